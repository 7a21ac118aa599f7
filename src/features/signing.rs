//! The KMS key that signs and verifies pipelines (`PipelineSigningKmsKey`): the value the agent
//! is given, and the task role's grant of exactly the two actions the agent calls on that one
//! key: `kms:GetPublicKey` and `kms:Sign` (buildkite/agent `internal/cryptosigner/aws/kms.go`; it
//! verifies jobs itself with the public key, so never calls `kms:Verify`).

use crate::properties::reader::PropertyReader;

use serde_json::{Value, json};

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::Statement;
use crate::template::arn::stack_arn;
use crate::template::arn::{
    check_partition, is_account_id, is_aws_managed_alias, is_region, parse_arn,
};
use crate::template::evaluate::{Piece, Text};
use crate::template::scope::{Resolved, TemplateScope};
use crate::template::value::ref_target;

/// The actions the agent calls on its signing key: sign uploads, and read the public key it
/// checks the key's usage with and verifies jobs with, locally.
pub const SIGNING_ACTIONS: [&str; 2] = ["kms:Sign", "kms:GetPublicKey"];

/// The agent's own variable for `buildkite-agent start --signing-aws-kms-key`; the agent hands
/// it on to its jobs, whose `pipeline upload` signs with it.
pub const SIGNING_KEY_VARIABLE: &str = "BUILDKITE_AGENT_SIGNING_AWS_KMS_KEY";

/// Why an AWS managed key cannot be the signing key ("Asymmetric keys in AWS KMS": AWS services
/// use symmetric encryption keys only; "Change a key policy": only AWS sets such a key's policy).
const MANAGED_KEY: &str = "names an AWS managed key (alias/aws/...), which an AWS service created to encrypt with: a symmetric encryption key, which cannot sign, with a key policy only AWS sets; create an asymmetric KMS key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY) and name it or its alias/<name>";

const FORMS: &str = "write a key ID, a key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>), an alias name (alias/<name>) or alias ARN, a !Ref or !GetAtt <Key>.Arn of an AWS::KMS::Key or a !Ref of an AWS::KMS::Alias of the template, a !Ref to a parameter with a value, or a !Sub whose text says which (arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}, alias/${Name})";

/// The key as the agent takes it and the task role's statement for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKey {
    /// `BUILDKITE_AGENT_SIGNING_AWS_KMS_KEY`: the value as written (a key ID, ARN or alias).
    pub agent_value: Value,
    pub statement: Value,
}

/// Which key a value names, and how the grant reaches it.
enum Named {
    /// The key's ARN.
    Key(Value),
    /// An alias (`alias/<name>`) in a region and account: any key there that has it, which is
    /// the one key the alias points to.
    Alias {
        name: Value,
        region: Value,
        account: Value,
    },
}

pub fn signing_key(value: &Value, scope: &TemplateScope<'_>) -> Result<SigningKey, String> {
    // A `Fn::Join` (as AWS CDK writes) is read, and written, as its `Fn::Sub` twin.
    let value = &*scope.written_form(value);
    let named = match scope.resolve(value) {
        Resolved::Literal(Value::String(text)) => {
            read_text(text, value, scope).map_err(|why| format!("{} {why}", show(value)))?
        }
        Resolved::Parameter {
            name,
            value: Value::String(text),
        } => read_text(&text, value, scope)
            .map_err(|why| format!("the value of parameter {name} {why}"))?,
        Resolved::Parameter { name, .. } => {
            return Err(format!("the value of parameter {name} is not a KMS key"));
        }
        _ => read_intrinsic(value, scope)?,
    };
    let agent_value = match ref_target(value) {
        // A key of the template: its ARN, which the agent takes as well as an ID.
        Some(target) if scope.resource_type(target) == Some("AWS::KMS::Key") => {
            json!({"Fn::GetAtt": [target, "Arn"]})
        }
        _ => value.clone(),
    };
    let statement = match named {
        Named::Key(arn) => json!({
            "Sid": "SignAndVerifyPipelines",
            "Effect": "Allow",
            "Action": SIGNING_ACTIONS,
            "Resource": arn
        }),
        Named::Alias {
            name,
            region,
            account,
        } => {
            let keys = crate::template::sub::build_sub(&[
                crate::template::sub::Piece::Text("arn:"),
                crate::template::sub::Piece::Pseudo("AWS::Partition"),
                crate::template::sub::Piece::Text(":kms:"),
                crate::template::sub::Piece::Value(&region),
                crate::template::sub::Piece::Text(":"),
                crate::template::sub::Piece::Value(&account),
                crate::template::sub::Piece::Text(":key/*"),
            ]);
            json!({
                "Sid": "SignAndVerifyPipelines",
                "Effect": "Allow",
                "Action": SIGNING_ACTIONS,
                "Resource": keys,
                // The one key the alias names: an alias is unique in its region and account.
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": name}}
            })
        }
    };
    Ok(SigningKey {
        agent_value,
        statement,
    })
}

/// How a message names a value computed by a function: by the function alone (`the !Sub`).
fn function_of(value: &Value) -> String {
    let name = crate::template::value::intrinsic_name(value).unwrap_or("value");
    format!("the !{}", name.trim_start_matches("Fn::"))
}

fn show(value: &Value) -> String {
    crate::template::problems::show_literal(value)
}

fn stack_region() -> Value {
    json!({"Ref": "AWS::Region"})
}

fn stack_account() -> Value {
    json!({"Ref": "AWS::AccountId"})
}

/// A key ID (`1234abcd-...`, `mrk-...`), a key or alias ARN, or an alias name, as known text.
/// `value` is what the output writes: the text itself or the `Ref` that holds it.
fn read_text(text: &str, value: &Value, scope: &TemplateScope<'_>) -> Result<Named, String> {
    let context = scope.context;
    if let Some(name) = text.strip_prefix("alias/") {
        if is_aws_managed_alias(text) {
            return Err(MANAGED_KEY.to_owned());
        }
        if name.is_empty() {
            return Err("is an alias without its name: write alias/<name>".to_owned());
        }
        return Ok(Named::Alias {
            name: value.clone(),
            region: stack_region(),
            account: stack_account(),
        });
    }
    if let Some(arn) = parse_arn(text) {
        check_partition(arn.partition, "a KMS key", context)?;
        if arn.service != "kms" || !is_region(arn.region) || !is_account_id(arn.account) {
            return Err(format!(
                "is not a KMS key or alias ARN (arn:{}:kms:<region>:<account>:key/<key-id> or ...:alias/<name>)",
                context.partition()
            ));
        }
        let literal = matches!(value, Value::String(_));
        let field = |index: usize, known: &str| {
            if literal {
                json!(known)
            } else {
                json!({"Fn::Select": [index, {"Fn::Split": [":", value]}]})
            }
        };
        if let Some(id) = arn.resource.strip_prefix("key/")
            && is_key_id(id)
        {
            let arn_value = if literal {
                json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:kms:{}:{}:key/{id}", arn.region, arn.account)})
            } else {
                value.clone()
            };
            return Ok(Named::Key(arn_value));
        }
        if is_aws_managed_alias(arn.resource) {
            return Err(MANAGED_KEY.to_owned());
        }
        if let Some(name) = arn.resource.strip_prefix("alias/")
            && !name.is_empty()
        {
            let alias = if literal {
                json!(arn.resource)
            } else {
                field(5, arn.resource)
            };
            return Ok(Named::Alias {
                name: alias,
                region: field(3, arn.region),
                account: field(4, arn.account),
            });
        }
        return Err(format!(
            "is not a KMS key or alias ARN (arn:{}:kms:<region>:<account>:key/<key-id> or ...:alias/<name>)",
            context.partition()
        ));
    }
    if is_key_id(text) {
        return Ok(Named::Key(stack_arn("kms", ":key/", value)));
    }
    Err(format!("is not a KMS key: {FORMS}"))
}

/// A key ID: a UUID, or a multi-Region key's `mrk-` and 32 hexadecimal digits.
fn is_key_id(id: &str) -> bool {
    let hex = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(digits) = id.strip_prefix("mrk-") {
        return digits.len() == 32 && hex(digits);
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, length)| group.len() == length && hex(group))
}

fn read_intrinsic(value: &Value, scope: &TemplateScope<'_>) -> Result<Named, String> {
    if let Some(target) = ref_target(value) {
        match scope.resource_type(target) {
            Some("AWS::KMS::Key") => {
                return Ok(Named::Key(json!({"Fn::GetAtt": [target, "Arn"]})));
            }
            // An alias resource's Ref is its name, alias/<name>.
            Some("AWS::KMS::Alias") => {
                return Ok(Named::Alias {
                    name: value.clone(),
                    region: stack_region(),
                    account: stack_account(),
                });
            }
            _ if scope.is_parameter(target) => {
                return Err(format!(
                    "parameter {target} has no value to read the key from, so the task role could not be limited to it; {}",
                    scope.how_to_give_value(target)
                ));
            }
            _ => {}
        }
    }
    if let Some(Value::Array(parts)) = value.get("Fn::GetAtt")
        && let [Value::String(target), Value::String(attribute)] = parts.as_slice()
        && attribute == "Arn"
        && scope.resource_type(target) == Some("AWS::KMS::Key")
    {
        return Ok(Named::Key(value.clone()));
    }
    // Any other function: read as CloudFormation computes it, its holes left to the deploy.
    if let Some(text) = scope.evaluate(value).into_text(value)
        && let Some(Piece::Literal(first)) = text.pieces.first()
    {
        if is_aws_managed_alias(first) {
            return Err(format!("{} {MANAGED_KEY}", function_of(value)));
        }
        if first.starts_with("alias/") {
            return Ok(Named::Alias {
                name: value.clone(),
                region: stack_region(),
                account: stack_account(),
            });
        }
        if first.starts_with("arn:") {
            let fields = text.split(':', 6);
            let literal = |index: usize| fields.get(index).and_then(Text::as_literal);
            if fields.len() == 6 && literal(2) == Some("kms") {
                if let Some(partition) = literal(1) {
                    check_partition(partition, "a KMS key", scope.context)
                        .map_err(|why| format!("{} {why}", function_of(value)))?;
                }
                let resource = &fields[5];
                if resource.as_literal().is_some_and(is_aws_managed_alias) {
                    return Err(format!("{} {MANAGED_KEY}", function_of(value)));
                }
                let starts = |prefix: &str| matches!(resource.pieces.first(), Some(Piece::Literal(text)) if text.starts_with(prefix));
                if starts("key/") {
                    return Ok(Named::Key(value.clone()));
                }
                if starts("alias/") {
                    return Ok(Named::Alias {
                        name: resource.to_value(),
                        region: fields[3].to_value(),
                        account: fields[4].to_value(),
                    });
                }
            }
        }
    }
    Err(format!(
        "cannot tell which KMS key this is, so the task role could not be limited to it; {FORMS}"
    ))
}

/// The task role's `SignPipelines`: sign and verify with the one key named.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "SignPipelines",
    role: GrantedRole::Task {
        asked_by: "PipelineSigningKmsKey",
        asked: |features| features.signs_pipelines,
    },
    statements: |properties, _| {
        let key = properties.pipeline_signing_key.as_ref()?;
        Some(vec![Statement::Written(key.statement.clone())])
    },
};

/// Reading `PipelineSigningKmsKey`.
impl<'i> PropertyReader<'_, '_, 'i> {
    /// `PipelineSigningKmsKey`: the key the agent signs and verifies with, and its grant.
    pub(crate) fn pipeline_signing_key(&mut self) -> Option<SigningKey> {
        let sourced = self.sourced("PipelineSigningKmsKey")?;
        let value = self.optional_string(&sourced, |_| Ok(()))?;
        match signing_key(&value, self.scope) {
            Ok(key) => Some(key),
            Err(why) => {
                self.problems.push(sourced.place, why);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
