//! What the execution role must be allowed to read for one secret's `ValueFrom`:
//! the exact SSM parameter or Secrets Manager secret ARN, and where its KMS key lives.

use serde_json::{Value, json};

use crate::arn::{SecretReference, classify_secret_reference};
use crate::value::{
    Piece, SubPart, TemplateScope, build_sub, parse_sub, ref_target, sub_arguments,
    unescape_sub_text,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretStore {
    Ssm,
    SecretsManager,
}

/// One resource the execution role reads, with the region and account of the service
/// that decrypts it (`*` where the template leaves them open).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretGrant {
    pub store: SecretStore,
    pub resource: Value,
    pub region: Value,
    pub account: Value,
}

const CANNOT_TELL: &str = "cannot tell which SSM parameter or Secrets Manager secret this names, so the execution role could not be limited to it; write a name or ARN, a !Sub of one, or a !Ref to a parameter, an AWS::SSM::Parameter or an AWS::SecretsManager::Secret";

/// The grant for `value_from`, or why none can be derived. Messages never contain the
/// value of a parameter.
pub fn grant_for(value_from: &Value, scope: &TemplateScope<'_>) -> Result<SecretGrant, String> {
    if let Some(grant) = grant_for_resource_ref(value_from, scope) {
        return Ok(grant);
    }
    let written = WrittenReference::read(value_from, scope)?;
    let reference = classify_secret_reference(&written.sample, scope.context)
        .map_err(|why| format!("{} {why}", written.subject))?;
    let stack_region = || json!({"Ref": "AWS::Region"});
    let stack_account = || json!({"Ref": "AWS::AccountId"});
    let grant = match reference {
        SecretReference::SsmName { is_path } => SecretGrant {
            store: SecretStore::Ssm,
            resource: build_sub(&[
                Piece::Text("arn:"),
                Piece::Pseudo("AWS::Partition"),
                Piece::Text(":ssm:"),
                Piece::Pseudo("AWS::Region"),
                Piece::Text(":"),
                Piece::Pseudo("AWS::AccountId"),
                Piece::Text(if is_path { ":parameter" } else { ":parameter/" }),
                Piece::Value(value_from),
            ]),
            region: stack_region(),
            account: stack_account(),
        },
        SecretReference::SsmArn => SecretGrant {
            store: SecretStore::Ssm,
            resource: value_from.clone(),
            region: written.field(3),
            account: written.field(4),
        },
        SecretReference::SecretsManagerArn {
            with_selector,
            partial,
        } => {
            let secret_arn = if with_selector {
                written.leading_fields(7).ok_or_else(|| {
                    format!("{} ends in a JSON key selector that cannot be removed from an intrinsic function to name the secret itself; write the ARN literally or with a !Sub whose variables hold no colons", written.subject)
                })?
            } else {
                value_from.clone()
            };
            // A partial ARN names the secret without the six characters AWS appends.
            let resource = if partial {
                build_sub(&[Piece::Value(&secret_arn), Piece::Text("-??????")])
            } else {
                secret_arn
            };
            SecretGrant {
                store: SecretStore::SecretsManager,
                resource,
                region: written.field(3),
                account: written.field(4),
            }
        }
    };
    Ok(grant)
}

/// The grant for a private registry's credentials (`RepositoryCredentials`), which ECS reads
/// from a Secrets Manager secret, named whole.
pub fn registry_credentials_grant(
    secret: &Value,
    scope: &TemplateScope<'_>,
) -> Result<SecretGrant, String> {
    let grant = grant_for(secret, scope)?;
    let shape = format!(
        "arn:{}:secretsmanager:<region>:<account>:secret:<name>",
        scope.context.partition()
    );
    if grant.store != SecretStore::SecretsManager {
        return Err(format!(
            "is not a Secrets Manager secret: ECS reads private registry credentials from Secrets Manager only ({shape})"
        ));
    }
    if secret
        .as_str()
        .is_some_and(|arn| arn.split(':').count() > 7)
    {
        return Err(format!(
            "names a JSON key of a secret; ECS takes the secret itself ({shape})"
        ));
    }
    Ok(grant)
}

/// A `Ref` to a secret or parameter declared in the same template.
fn grant_for_resource_ref(value_from: &Value, scope: &TemplateScope<'_>) -> Option<SecretGrant> {
    let target = ref_target(value_from)?;
    let (store, resource) = match scope.resource_type(target)? {
        "AWS::SecretsManager::Secret" => (SecretStore::SecretsManager, value_from.clone()),
        "AWS::SSM::Parameter" => {
            let declared_name = scope.resources.get(target)?.pointer("/Properties/Name");
            let is_path = declared_name
                .and_then(Value::as_str)
                .is_some_and(|name| name.starts_with('/'));
            let resource = build_sub(&[
                Piece::Text("arn:"),
                Piece::Pseudo("AWS::Partition"),
                Piece::Text(":ssm:"),
                Piece::Pseudo("AWS::Region"),
                Piece::Text(":"),
                Piece::Pseudo("AWS::AccountId"),
                Piece::Text(if is_path { ":parameter" } else { ":parameter/" }),
                Piece::Value(value_from),
            ]);
            (SecretStore::Ssm, resource)
        }
        _ => return None,
    };
    Some(SecretGrant {
        store,
        resource,
        region: json!({"Ref": "AWS::Region"}),
        account: json!({"Ref": "AWS::AccountId"}),
    })
}

/// A `ValueFrom` as written (a string, a `Fn::Sub`, a `Ref` to a parameter), with the
/// text it stands for when checked.
struct WrittenReference {
    /// The value in `Fn::Sub` syntax, when it has no list-form variables.
    sub_template: Option<String>,
    sample: String,
    /// How messages name it: the literal, or "the value of parameter P".
    subject: String,
}

impl WrittenReference {
    fn read(value_from: &Value, scope: &TemplateScope<'_>) -> Result<Self, String> {
        if let Value::String(text) = value_from {
            return Ok(Self {
                sub_template: Some(text.replace("${", "${!")),
                sample: text.clone(),
                subject: crate::problems::show_literal(value_from),
            });
        }
        if let Some(name) = ref_target(value_from) {
            if scope.is_parameter(name) {
                let sample = scope.sample_variable(name).ok_or_else(|| {
                    format!("parameter {name} has no value to check, so the execution role could not be limited to it")
                })?;
                return Ok(Self {
                    sub_template: Some(format!("${{{name}}}")),
                    sample,
                    subject: format!("the value of parameter {name}"),
                });
            }
            return Err(CANNOT_TELL.to_owned());
        }
        if let Some((template, variables)) = sub_arguments(value_from) {
            let mut sample = String::new();
            for part in parse_sub(template) {
                match part {
                    SubPart::Text(text) => sample.push_str(&unescape_sub_text(text)),
                    SubPart::Variable(name) => {
                        let known = match variables.and_then(|v| v.get(name)) {
                            Some(Value::String(text)) => Some(text.clone()),
                            Some(other) => ref_target(other).and_then(|p| scope.sample_variable(p)),
                            None => scope.sample_variable(name),
                        };
                        sample.push_str(&known.ok_or_else(|| CANNOT_TELL.to_owned())?);
                    }
                }
            }
            return Ok(Self {
                sub_template: variables.is_none().then(|| template.to_owned()),
                sample,
                subject: "the !Sub".to_owned(),
            });
        }
        Err(CANNOT_TELL.to_owned())
    }

    /// The fields of the template split at colons outside `${...}`, when they line up
    /// with the fields of the sample.
    fn fields(&self) -> Option<Vec<&str>> {
        let template = self.sub_template.as_deref()?;
        let fields = split_outside_variables(template);
        (fields.len() == self.sample.split(':').count()).then_some(fields)
    }

    /// Field `index` as a value: a string, a `Fn::Sub`, or `*` when it cannot be told.
    fn field(&self, index: usize) -> Value {
        match self.fields().and_then(|fields| fields.get(index).copied()) {
            Some(field) => sub_value(field),
            None => json!("*"),
        }
    }

    fn leading_fields(&self, count: usize) -> Option<Value> {
        let fields = self.fields()?;
        Some(sub_value(&fields.get(..count)?.join(":")))
    }
}

/// A `Fn::Sub` string as the simplest value: plain when it has no variables.
fn sub_value(template: &str) -> Value {
    if parse_sub(template)
        .iter()
        .any(|part| matches!(part, SubPart::Variable(_)))
    {
        json!({ "Fn::Sub": template })
    } else {
        Value::String(unescape_sub_text(template))
    }
}

fn split_outside_variables(template: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = template.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if index > 0 && bytes[index - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                fields.push(&template[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    fields.push(&template[start..]);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExpansionContext;
    use serde_json::Map;

    fn scope_with<'a>(
        context: &'a ExpansionContext,
        parameters: &'a Map<String, Value>,
        resources: &'a Map<String, Value>,
    ) -> TemplateScope<'a> {
        TemplateScope {
            context,
            parameters: Some(parameters),
            resources,
        }
    }

    fn grant(value_from: Value) -> Result<SecretGrant, String> {
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        context.parameter_values.insert(
            "TokenArn".into(),
            json!("arn:aws:secretsmanager:eu-west-1:210987654321:secret:t-AbCdEf"),
        );
        context
            .parameter_values
            .insert("TokenName".into(), json!("/ci/token"));
        let parameters = json!({"TokenArn": {"Type": "String"}, "TokenName": {"Type": "String"}, "Unset": {"Type": "String"}});
        let resources = json!({
            "Db": {"Type": "AWS::SecretsManager::Secret"},
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/ci/p"}},
            "Bucket": {"Type": "AWS::S3::Bucket"}
        });
        grant_for(
            &value_from,
            &scope_with(
                &context,
                parameters.as_object().unwrap(),
                resources.as_object().unwrap(),
            ),
        )
    }

    #[test]
    fn ssm_names_and_paths_become_parameter_arns_in_the_stack_account() {
        assert_eq!(
            grant(json!("token")).unwrap().resource,
            json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/token"})
        );
        let path = grant(json!("/ci/token")).unwrap();
        assert_eq!(path.store, SecretStore::Ssm);
        assert_eq!(
            path.resource,
            json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ci/token"})
        );
        assert_eq!(
            grant(json!({"Ref": "TokenName"})).unwrap().resource,
            json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TokenName}"}),
            "the parameter's value starts with a slash, so none is added, and the value stays a Ref"
        );
    }

    #[test]
    fn secrets_manager_selectors_are_cut_and_partial_names_widened_by_six_characters() {
        let selected = grant(json!(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123:password::"
        ))
        .unwrap();
        assert_eq!(
            selected.resource,
            json!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123")
        );
        assert_eq!(selected.region, json!("eu-west-1"));
        let in_sub = grant(json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db:password::"})).unwrap();
        assert_eq!(
            in_sub.resource,
            json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-??????"})
        );
        assert_eq!(in_sub.account, json!({"Fn::Sub": "${AWS::AccountId}"}));
        let by_parameter = grant(json!({"Ref": "TokenArn"})).unwrap();
        assert_eq!(by_parameter.resource, json!({"Ref": "TokenArn"}));
        assert_eq!(
            by_parameter.region,
            json!("*"),
            "the region sits inside the parameter"
        );
    }

    #[test]
    fn refs_to_secrets_and_parameters_of_the_template_are_understood() {
        assert_eq!(
            grant(json!({"Ref": "Db"})).unwrap().resource,
            json!({"Ref": "Db"})
        );
        assert_eq!(
            grant(json!({"Ref": "Param"})).unwrap().resource,
            json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Param}"})
        );
    }

    #[test]
    fn anything_else_is_refused_without_echoing_parameter_values() {
        assert!(
            grant(json!({"Ref": "Bucket"}))
                .unwrap_err()
                .starts_with("cannot tell")
        );
        assert!(
            grant(json!({"Fn::ImportValue": "x"}))
                .unwrap_err()
                .starts_with("cannot tell")
        );
        assert!(
            grant(json!({"Ref": "Unset"}))
                .unwrap_err()
                .contains("has no value")
        );
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        context
            .parameter_values
            .insert("Secret".into(), json!("not a valid name!"));
        let parameters = json!({"Secret": {"Type": "String", "NoEcho": true}});
        let resources = Map::new();
        let error = grant_for(
            &json!({"Ref": "Secret"}),
            &scope_with(&context, parameters.as_object().unwrap(), &resources),
        )
        .unwrap_err();
        assert!(
            error.starts_with("the value of parameter Secret is neither"),
            "{error}"
        );
        assert!(!error.contains("not a valid name!"));
    }
}
