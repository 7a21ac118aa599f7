//! Reading a secret reference (`ValueFrom`, the agent token, registry credentials) into
//! exactly what the execution role must read: the SSM parameter or Secrets Manager secret
//! ARN, and where its KMS key lives.

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::features::secrets::written::{
    ReadText, STACK_ACCOUNT, STACK_REGION, WrittenReference, fields_of_text, read_text, stack_field,
};
use crate::template::arn::stack_arn;
use crate::template::arn::{
    SECRETS_MANAGER_REFERENCE, SecretName, SecretReference, check_partition,
    classify_secret_reference, is_account_id, is_region, name_with_slash,
};
use crate::template::context::ExpansionContext;
use crate::template::evaluate::{Piece as EvaluatedPiece, Text};
use crate::template::scope::TemplateScope;
use crate::template::sub::{Piece, build_sub, sub_arguments};
use crate::template::value::{get_att_parts, ref_target};

use crate::features::secrets::grant::{SecretGrant, SecretStore};

pub(super) const CANNOT_TELL: &str = "cannot tell an SSM parameter from a Secrets Manager secret in this value, so the execution role could not be limited to it; write a name or ARN, a !Ref to a parameter, an AWS::SSM::Parameter or an AWS::SecretsManager::Secret, or a !Sub whose text says the kind and leaves the name to a variable: !Sub [\"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}\", {Name: ...}] for an SSM parameter path (parameter/${Name} for a name without a leading /) or !Sub [\"arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}\", {Name: ...}] for a Secrets Manager secret name";

pub(super) const TOKEN_IN_SECRETS_MANAGER: &str = "names a Secrets Manager secret, but the agent token is read from an SSM parameter: write the parameter's name, path or ARN";

/// The grant for a `Secrets` entry's `ValueFrom`, or why none can be derived. Messages
/// never contain the value of a parameter.
pub fn grant_for(value_from: &Value, scope: &TemplateScope<'_>) -> Result<SecretGrant, String> {
    match read(value_from, scope) {
        Reading::Grant(grant) => Ok(grant),
        Reading::Invalid(why) | Reading::Opaque(why) => Err(why),
    }
}

/// The grant for the agent token, which is always an SSM parameter: a name, path or ARN
/// is read as for a secret; any value the macro cannot see is granted exactly, whichever
/// of the three forms it takes when the stack is deployed ([`ssm_parameter_of_any_form`]).
pub fn agent_token_grant(value: &Value, scope: &TemplateScope<'_>) -> Result<SecretGrant, String> {
    match read(value, scope) {
        // SSM's reference to a Secrets Manager secret is an SSM parameter too.
        Reading::Grant(grant)
            if grant.store == SecretStore::Ssm || grant.through_parameter.is_some() =>
        {
            Ok(grant)
        }
        Reading::Grant(_) => Err(TOKEN_IN_SECRETS_MANAGER.to_owned()),
        Reading::Invalid(why) => Err(why),
        Reading::Opaque(_) => Ok(ssm_parameter_of_any_form(value)),
    }
}

/// What a value says about the secret it names.
#[expect(
    clippy::large_enum_variant,
    reason = "a reading is unpacked where it is made: boxing its grant would cost an allocation"
)]
pub(super) enum Reading {
    Grant(SecretGrant),
    /// It names something no secret can be: the message says why.
    Invalid(String),
    /// Nothing the macro can see tells the store (or, for a parameter without a value,
    /// the name): the message for a secret.
    Opaque(String),
}

pub(super) fn read(value: &Value, scope: &TemplateScope<'_>) -> Reading {
    // A `Fn::Join` (as AWS CDK writes) is read as its `Fn::Sub` twin.
    let value = &*scope.written_form(value);
    if let Some(target) = ref_target(value) {
        if let Some(grant) = grant_for_resource_ref(value, target, scope) {
            return Reading::Grant(grant);
        }
        if scope.is_parameter(target) && scope.sample_variable(target).is_none() {
            return Reading::Opaque(no_value(target, scope));
        }
    }
    if let Some(secret) = get_att_target(value, "Id")
        && scope.resource_type(secret) == Some("AWS::SecretsManager::Secret")
    {
        // A secret's Id is its ARN, as its Ref is.
        return Reading::Grant(secret_of_the_template(value));
    }
    match read_text(value, scope) {
        ReadText::Known(written) => read_sample(value, &written, scope.context),
        ReadText::WithHoles(text) => read_sub_text(value, &text, scope.context),
        ReadText::Other => Reading::Opaque(CANNOT_TELL.to_owned()),
    }
}

/// Why parameter `name`, which has no value, cannot be granted.
pub(super) fn no_value(name: &str, scope: &TemplateScope<'_>) -> String {
    format!(
        "parameter {name} has no value to check, so the execution role could not be limited to it; {}",
        scope.how_to_give_value(name)
    )
}

/// The resource `{"Fn::GetAtt": [resource, attribute]}` (or `"resource.attribute"`) names.
pub(super) fn get_att_target<'v>(value: &'v Value, attribute: &str) -> Option<&'v str> {
    let (resource, named) = get_att_parts(value)?;
    (named == attribute).then_some(resource)
}

/// The grant for an `AWS::SecretsManager::Secret` of the template, named by `value` (its
/// `Ref` or `Id`, both its ARN): that ARN, in the stack's region and account.
pub(super) fn secret_of_the_template(value: &Value) -> SecretGrant {
    SecretGrant::in_stack(SecretStore::SecretsManager, value.clone())
}

/// A value whose text the macro knows (a literal, a parameter's value, a `!Sub` of known
/// variables), granted by what that text is.
pub(super) fn read_sample(
    value: &Value,
    written: &WrittenReference<'_>,
    context: &ExpansionContext,
) -> Reading {
    let reference = match classify_secret_reference(&written.sample, context) {
        Ok(reference) => reference,
        Err(why) => return Reading::Invalid(format!("{} {why}", written.subject())),
    };
    let grant = match reference {
        SecretReference::SsmName { is_path } => ssm_name_in_stack(value, is_path, &written.sample),
        SecretReference::SsmArn => {
            let fields = written.fields(value, context);
            let reference = format!(":parameter{SECRETS_MANAGER_REFERENCE}");
            if written.sample.contains(&reference) {
                let name = text_after(value, &reference);
                return Reading::Grant(secret_through_parameter(
                    value.clone(),
                    &name,
                    fields.region(),
                    fields.account(),
                ));
            }
            SecretGrant {
                store: SecretStore::Ssm,
                resource: value.clone(),
                partial: None,
                through_parameter: None,
                region: fields.region(),
                account: fields.account(),
            }
        }
        SecretReference::SecretsManagerArn {
            with_selector,
            name,
        } => {
            let fields = written.fields(value, context);
            let secret_arn = if with_selector {
                match fields.leading(7) {
                    Some(arn) => arn,
                    None => {
                        return Reading::Invalid(format!(
                            "{} ends in a JSON key selector that cannot be removed from an intrinsic function to name the secret itself; write the ARN literally or with a !Sub whose variables hold no colons",
                            written.subject()
                        ));
                    }
                }
            } else {
                value.clone()
            };
            let (resource, partial) = either_form(secret_arn, name);
            SecretGrant {
                store: SecretStore::SecretsManager,
                resource,
                partial,
                through_parameter: None,
                region: fields.region(),
                account: fields.account(),
            }
        }
    };
    Reading::Grant(grant)
}

/// What a Secrets Manager ARN reads: with a partial name, the secret of that name, whatever
/// six characters AWS appended (`-??????`); with a name that may be full or partial
/// (`db-AbC123`, `db-backup`), both readings, each exactly: the ARN as written, and the
/// secret named so plus its six characters.
pub(super) fn either_form(secret_arn: Value, name: SecretName) -> (Value, Option<Box<Value>>) {
    match name {
        SecretName::Partial => (with_random_suffix(&secret_arn), None),
        SecretName::FullOrPartial => {
            let partial = with_random_suffix(&secret_arn);
            (secret_arn, Some(Box::new(partial)))
        }
    }
}

/// The text of `value` after the first `separator`: cut here from a literal, by
/// CloudFormation (`Fn::Select`/`Fn::Split`) from any other value.
pub(super) fn text_after(value: &Value, separator: &str) -> Value {
    match value {
        Value::String(text) => Value::String(
            text.split_once(separator)
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default(),
        ),
        _ => json!({"Fn::Select": [1, {"Fn::Split": [separator, value]}]}),
    }
}

/// SSM's reference to the Secrets Manager secret `name` (parameter
/// `/aws/reference/secretsmanager/<name>`): ECS calls `ssm:GetParameters` on the parameter, and
/// SSM reads the secret as the caller, so the role needs `secretsmanager:GetSecretValue` on
/// the secret (ECS's "Required IAM permissions for Amazon ECS secrets"), which SSM names by
/// its name alone: the secret of that name in the parameter's region and account.
pub(super) fn secret_through_parameter(
    parameter: Value,
    name: &Value,
    region: Cow<'static, Value>,
    account: Cow<'static, Value>,
) -> SecretGrant {
    let secret = build_sub(&[
        Piece::Text("arn:"),
        Piece::Pseudo("AWS::Partition"),
        Piece::Text(":secretsmanager:"),
        Piece::Value(&region),
        Piece::Text(":"),
        Piece::Value(&account),
        Piece::Text(":secret:"),
        Piece::Value(name),
        Piece::Text("-??????"),
    ]);
    SecretGrant {
        store: SecretStore::SecretsManager,
        resource: secret,
        partial: None,
        through_parameter: Some(Box::new(parameter)),
        region,
        account,
    }
}

/// `arn:...:secret:`) the text after the first `arn:` is the ARN without its `arn:`, the
/// prefix's and the name for a name, the value's own for an ARN. That ARN may name the secret
/// whole or in part, so both readings are granted, as for any name the macro cannot see; the
/// region and account are fields 3 and 4 of `value + prefix`.
/// The Secrets Manager secret `value` names, built by CloudFormation for whichever form the
/// value takes when the stack is deployed, as [`ssm_parameter_of_any_form`] builds a parameter:
/// a secret's name has no colon, so in `value + prefix + value` (prefix the stack's own
pub(super) fn secret_of_any_form(value: &Value) -> SecretGrant {
    let prefix = stack_arn("secretsmanager", ":secret:", &json!(""));
    let doubled = json!({"Fn::Join": ["", [value, prefix, value]]});
    let after_first_arn = json!({"Fn::Select": [1, {"Fn::Split": ["arn:", doubled]}]});
    let arn = json!({"Fn::Join": ["", ["arn:", after_first_arn]]});
    let value_then_prefix = json!({"Fn::Join": ["", [value, prefix]]});
    let field =
        |index: usize| json!({"Fn::Select": [index, {"Fn::Split": [":", value_then_prefix]}]});
    let (resource, partial) = either_form(arn, SecretName::FullOrPartial);
    SecretGrant {
        store: SecretStore::SecretsManager,
        resource,
        partial,
        through_parameter: None,
        region: Cow::Owned(field(3)),
        account: Cow::Owned(field(4)),
    }
}

/// The Secrets Manager secret named `name` in the stack's region and account: its ARN is the
/// name followed by `-` and six characters AWS chose.
pub(super) fn secret_named(name: &Value) -> SecretGrant {
    SecretGrant::in_stack(
        SecretStore::SecretsManager,
        with_random_suffix(&stack_arn("secretsmanager", ":secret:", name)),
    )
}

/// A `!Sub` with variables the macro cannot see, read from its text as the evaluator gives it:
/// an ARN whose service is written (`arn:...:ssm:...:parameter${Path}`,
/// `arn:...:secretsmanager:...`), or text that cannot begin an ARN, which is an SSM
/// parameter's name or path (ECS reads a Secrets Manager secret by ARN only). What a deploy
/// fills is left to CloudFormation.
pub(super) fn read_sub_text(value: &Value, text: &Text, context: &ExpansionContext) -> Reading {
    let fields = text.split(':', usize::MAX);
    if fields[0].as_literal() == Some("arn") {
        return read_arn_text(value, text, &fields, context);
    }
    let Some(EvaluatedPiece::Literal(first)) = text.pieces.first() else {
        return Reading::Opaque(CANNOT_TELL.to_owned());
    };
    if "arn:".starts_with(first.as_str()) || first.starts_with("arn:") {
        return Reading::Opaque(CANNOT_TELL.to_owned());
    }
    let literals = || {
        text.pieces.iter().filter_map(|piece| match piece {
            EvaluatedPiece::Literal(literal) => Some(literal),
            _ => None,
        })
    };
    let names_a_parameter = literals().all(|literal| {
        literal
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
    });
    if !names_a_parameter {
        return Reading::Invalid("the !Sub is neither an SSM parameter name (letters, digits and _.-/ , a path starting with /) nor an SSM or Secrets Manager ARN".to_owned());
    }
    let is_path = first.starts_with('/');
    if !is_path && literals().any(|literal| literal.contains('/')) {
        return Reading::Invalid(format!("the !Sub {}", name_with_slash(context)));
    }
    Reading::Grant(ssm_name_in_stack(value, is_path, first))
}

/// The fields of an ARN a `!Sub` computes, cut at the colons of its text.
pub(super) fn read_arn_text(
    value: &Value,
    text: &Text,
    fields: &[Text],
    context: &ExpansionContext,
) -> Reading {
    let literal = |index: usize| fields.get(index).and_then(Text::as_literal);
    let Some(service) = literal(2) else {
        return Reading::Opaque(CANNOT_TELL.to_owned());
    };
    let (kind, shape) = match service {
        "ssm" => (
            "an SSM parameter",
            "arn:${AWS::Partition}:ssm:<region>:<account>:parameter/<name>, the name's slash written or in a variable",
        ),
        "secretsmanager" => (
            "a Secrets Manager secret",
            "arn:${AWS::Partition}:secretsmanager:<region>:<account>:secret:<name>, optionally followed by :<json-key>:<version-stage>:<version-id>",
        ),
        _ => {
            return Reading::Invalid(
                "the !Sub is an ARN, but not of an SSM parameter or a Secrets Manager secret"
                    .to_owned(),
            );
        }
    };
    if let Some(partition) = literal(1)
        && let Err(why) = check_partition(partition, kind, context)
    {
        return Reading::Invalid(format!("the !Sub {why}"));
    }
    let wrong_shape = || Reading::Invalid(format!("the !Sub is not {kind} ARN ({shape})"));
    if fields.len() < 6
        || literal(3).is_some_and(|region| !is_region(region))
        || literal(4).is_some_and(|account| !is_account_id(account))
    {
        return wrong_shape();
    }
    let region = stack_field(&fields[3], ("AWS::Region", &context.region), &STACK_REGION);
    let account = stack_field(
        &fields[4],
        ("AWS::AccountId", &context.account_id),
        &STACK_ACCOUNT,
    );
    if service == "ssm" {
        let names_a_parameter = fields.len() == 6
            && match fields[5].pieces.as_slice() {
                [EvaluatedPiece::Literal(text), _, ..] if text == "parameter" => true,
                [EvaluatedPiece::Literal(text), ..] => text.starts_with("parameter/"),
                _ => false,
            };
        if !names_a_parameter {
            return wrong_shape();
        }
        return Reading::Grant(SecretGrant {
            store: SecretStore::Ssm,
            resource: value.clone(),
            partial: None,
            through_parameter: None,
            region,
            account,
        });
    }
    if !matches!(fields.len(), 7 | 10)
        || literal(5) != Some("secret")
        || fields[6].pieces.is_empty()
    {
        return wrong_shape();
    }
    let secret_arn = if fields.len() == 7 {
        value.clone()
    } else {
        fields_of_text(text, 7, 0).to_value()
    };
    // A name the macro cannot see, like one ending in `-` and six characters, may be the full
    // name or the name alone: both forms are granted, each exactly.
    let name = literal(6).map_or(SecretName::FullOrPartial, SecretName::of);
    let (resource, partial) = either_form(secret_arn, name);
    Reading::Grant(SecretGrant {
        store: SecretStore::SecretsManager,
        resource,
        partial,
        through_parameter: None,
        region,
        account,
    })
}

/// A parameter of the stack's own region and account, by name or path.
/// The grant for an SSM name or path of the stack's own, `text` being how it begins: the
/// parameter, and for SSM's reference to a Secrets Manager secret
/// (`/aws/reference/secretsmanager/<name>`) the secret it reads through it too.
fn ssm_name_in_stack(value: &Value, is_path: bool, text: &str) -> SecretGrant {
    let parameter = ssm_parameter_in_stack(value, is_path);
    if !text.starts_with(SECRETS_MANAGER_REFERENCE) {
        return parameter;
    }
    let name = text_after(value, SECRETS_MANAGER_REFERENCE);
    secret_through_parameter(
        parameter.resource,
        &name,
        parameter.region,
        parameter.account,
    )
}

pub(super) fn ssm_parameter_in_stack(name: &Value, is_path: bool) -> SecretGrant {
    SecretGrant::in_stack(
        SecretStore::Ssm,
        stack_arn(
            "ssm",
            if is_path { ":parameter" } else { ":parameter/" },
            name,
        ),
    )
}

/// The ARN of the SSM parameter `value` names, built by CloudFormation for whichever form
/// the value takes when the stack is deployed: a name, a `/path` or an ARN. An SSM name
/// has no colon, so in `value + prefix + value` (prefix the stack's own
/// `arn:...:parameter/`) the first `arn:` is the prefix's for a name or path, and the
/// value's own for an ARN; either way the text after it, up to the next `arn:`, is the ARN
/// without its `arn:`. A path leaves `parameter//`, which becomes `parameter/`. The region
/// and account are fields 3 and 4 of `value + prefix`, which are that ARN's, so the KMS
/// grant is exact too.
pub fn ssm_parameter_of_any_form(value: &Value) -> SecretGrant {
    let prefix = stack_arn("ssm", ":parameter/", &json!(""));
    let doubled = json!({"Fn::Join": ["", [value, prefix, value]]});
    let after_first_arn = json!({"Fn::Select": [1, {"Fn::Split": ["arn:", doubled]}]});
    let with_double_slash = json!({"Fn::Join": ["", ["arn:", after_first_arn]]});
    let arn =
        json!({"Fn::Join": ["parameter/", {"Fn::Split": ["parameter//", with_double_slash]}]});
    let value_then_prefix = json!({"Fn::Join": ["", [value, prefix]]});
    let field =
        |index: usize| json!({"Fn::Select": [index, {"Fn::Split": [":", value_then_prefix]}]});
    SecretGrant {
        store: SecretStore::Ssm,
        resource: arn,
        partial: None,
        through_parameter: None,
        region: Cow::Owned(field(3)),
        account: Cow::Owned(field(4)),
    }
}

/// A `Ref` to a secret or parameter declared in the same template.
pub(super) fn grant_for_resource_ref(
    value_from: &Value,
    target: &str,
    scope: &TemplateScope<'_>,
) -> Option<SecretGrant> {
    match scope.resource_type(target)? {
        "AWS::SecretsManager::Secret" => Some(secret_of_the_template(value_from)),
        "AWS::SSM::Parameter" => {
            let declared_name = scope.resources.get(target)?.pointer("/Properties/Name");
            Some(match declared_name {
                // CloudFormation names it without a leading slash.
                None => ssm_parameter_in_stack(value_from, false),
                Some(Value::String(name)) => {
                    ssm_parameter_in_stack(value_from, name.starts_with('/'))
                }
                Some(_) => ssm_parameter_of_any_form(value_from),
            })
        }
        _ => None,
    }
}

/// `arn` followed by `-??????`: the secret whose name it ends with, and the six characters
/// Secrets Manager appends.
pub(super) fn with_random_suffix(arn: &Value) -> Value {
    const SUFFIX: &str = "-??????";
    match arn {
        Value::String(text) => Value::String(format!("{text}{SUFFIX}")),
        _ => match sub_arguments(arn) {
            Some((template, None)) => json!({ "Fn::Sub": format!("{template}{SUFFIX}") }),
            Some((template, Some(variables))) => {
                json!({ "Fn::Sub": [format!("{template}{SUFFIX}"), variables] })
            }
            None => build_sub(&[Piece::Value(arn), Piece::Text(SUFFIX)]),
        },
    }
}
