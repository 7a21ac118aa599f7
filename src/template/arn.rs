//! Amazon Resource Names: reading them and checking the kinds the macro accepts.
//! Every check returns why a value is wrong, worded so the caller can prefix it with
//! what the value is (never the value of a parameter).

use crate::template::context::ExpansionContext;
use crate::template::sub::Piece;
use crate::template::sub::build_sub;
use crate::template::sub::push_sub_text;
use crate::template::value::fn_get_att;
use crate::template::value::fn_sub;
use serde_json::{Value, json};

/// The partitions of AWS.
const PARTITIONS: [&str; 7] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
];

/// `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn parse_arn(text: &str) -> Option<Arn<'_>> {
    let rest = text.strip_prefix("arn:")?;
    let (partition, rest) = split_field(rest)?;
    let (service, rest) = split_field(rest)?;
    let (region, rest) = split_field(rest)?;
    let (account, resource) = split_field(rest)?;
    let arn = Arn {
        partition,
        service,
        region,
        account,
        resource,
    };
    (!arn.partition.is_empty() && !arn.service.is_empty()).then_some(arn)
}

/// The text before the first colon and the text after it: a byte scan, cheaper for an ARN's
/// short fields than the searcher `split(':')` sets up for each.
fn split_field(text: &str) -> Option<(&str, &str)> {
    let colon = text.bytes().position(|byte| byte == b':')?;
    Some((&text[..colon], &text[colon + 1..]))
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

pub fn is_region(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// Reads `text` as an ARN of `service` in the stack's partition.
fn parse_in_partition<'a>(
    text: &'a str,
    service: &str,
    kind: &str,
    context: &ExpansionContext,
) -> Result<Arn<'a>, String> {
    let arn = parse_arn(text).ok_or_else(|| format!("is not {kind} ARN"))?;
    in_partition(arn, service, kind, context)
}

/// An ARN read already, checked to be of `service` in the stack's partition.
fn in_partition<'a>(
    arn: Arn<'a>,
    service: &str,
    kind: &str,
    context: &ExpansionContext,
) -> Result<Arn<'a>, String> {
    if arn.service != service {
        return Err(format!("is not {kind} ARN (its service is not {service})"));
    }
    check_partition(arn.partition, kind, context)?;
    Ok(arn)
}

/// Why an ARN of `kind` in `partition` does not belong in the stack's partition.
pub fn check_partition(
    partition: &str,
    kind: &str,
    context: &ExpansionContext,
) -> Result<(), String> {
    if partition == context.partition() {
        return Ok(());
    }
    // The value may be a parameter's: name its partition only when it is a known one.
    Err(if PARTITIONS.contains(&partition) {
        format!(
            "is in partition {partition}, but the stack is in partition {}",
            context.partition()
        )
    } else {
        format!(
            "is not {kind} ARN in the stack's partition {}",
            context.partition()
        )
    })
}

fn check_iam_arn<'a>(
    text: &'a str,
    kind: &str,
    resource_prefix: &str,
    account_may_be_aws: bool,
    context: &ExpansionContext,
) -> Result<&'a str, String> {
    let arn = parse_in_partition(text, "iam", kind, context)?;
    let account_ok = is_account_id(arn.account) || (account_may_be_aws && arn.account == "aws");
    let name = arn.resource.strip_prefix(resource_prefix);
    match name {
        Some(name) if arn.region.is_empty() && account_ok && is_iam_path_and_name(name) => Ok(name),
        _ => Err(format!(
            "is not {kind} ARN (arn:{}:iam::<account>:{resource_prefix}<path/><name>)",
            context.partition()
        )),
    }
}

fn is_iam_path_and_name(text: &str) -> bool {
    let name = text.rsplit('/').next().unwrap_or_default();
    !name.is_empty()
        && text.len() <= 512
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
}

/// An IAM path, as IAM's pattern has it: `/`, or `/`, 1 to 510 characters from `!` to `~`,
/// and `/`.
pub fn check_iam_path(text: &str) -> Result<(), String> {
    let fits = text == "/"
        || ((3..=512).contains(&text.len())
            && text.starts_with('/')
            && text.ends_with('/')
            && text.bytes().all(|b| (b'!'..=b'~').contains(&b)));
    if fits {
        Ok(())
    } else {
        Err("is not an IAM path (/, or /<path>/ of at most 512 characters from ! to ~)".to_owned())
    }
}

pub fn check_role_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    check_iam_arn(text, "an IAM role", "role/", false, context).map(drop)
}

pub fn check_policy_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    check_iam_arn(text, "an IAM policy", "policy/", true, context).map(drop)
}

/// An AWS managed key's alias (`alias/aws/<service>`), the resource part of its ARN or the name.
pub fn is_aws_managed_alias(resource: &str) -> bool {
    resource.starts_with("alias/aws/")
}

pub fn check_kms_key_arn(text: &str, context: &ExpansionContext) -> Result<(), String> {
    let arn = parse_in_partition(text, "kms", "a KMS key", context)?;
    if is_aws_managed_alias(arn.resource) {
        // "Change a key policy": only the AWS service that created it sets its key policy.
        return Err(format!(
            "names an AWS managed key (alias/aws/...), whose key policy only AWS sets: a secret it encrypts needs no SecretsKmsKeyArn (leave it out), and CloudWatch Logs and ECS Exec need a customer managed key, named by its ARN (arn:{}:kms:<region>:<account>:key/<key-id>)",
            context.partition()
        ));
    }
    let id = arn.resource.strip_prefix("key/").unwrap_or_default();
    if is_region(arn.region) && is_account_id(arn.account) && !id.is_empty() && !id.contains('/') {
        Ok(())
    } else {
        Err(format!(
            "is not a KMS key ARN (arn:{}:kms:<region>:<account>:key/<key-id>)",
            context.partition()
        ))
    }
}

/// A KMS key ARN that a service of the stack's region uses with its resources there (`user`
/// says which and why): KMS answers a region's calls with that region's keys only, a
/// multi-Region key's replica in each region having its own ARN ("Multi-Region keys in AWS KMS").
/// The key's own region is never named: it may be a parameter's value.
pub fn check_kms_key_arn_in_stack_region(
    text: &str,
    context: &ExpansionContext,
    user: &str,
) -> Result<(), String> {
    check_kms_key_arn(text, context)?;
    match parse_arn(text) {
        Some(arn) if arn.region != context.region => Err(format!(
            "is a key of another region than the stack's, {region}, {user}; name a key in {region} (arn:{partition}:kms:{region}:<account>:key/<key-id>; a multi-Region key's replica there has that ARN)",
            region = context.region,
            partition = context.partition()
        )),
        _ => Ok(()),
    }
}

/// An iam-ssh-agent backend: an API Gateway stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteApiStage<'a> {
    pub region: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
}

pub fn parse_execute_api_stage<'a>(
    text: &'a str,
    context: &ExpansionContext,
) -> Result<ExecuteApiStage<'a>, String> {
    let kind = "an API Gateway stage";
    if text.starts_with("https://") {
        // The URL is read by `parse_execute_api_url` where it is the whole value, written or a
        // parameter's; anywhere else only the ARN can be taken apart.
        return Err(format!(
            "is an invoke URL, which is read only as the whole value (written, or a parameter's); here write the stage's ARN (arn:{}:execute-api:<region>:<account>:<api-id>/<stage>)",
            context.partition()
        ));
    }
    let arn = parse_in_partition(text, "execute-api", kind, context)?;
    // Which part is wrong is said, never what it holds: the value may be a parameter's.
    let shape = |wrong: &str| {
        format!(
            "is not {kind} ARN (arn:{}:execute-api:<region>:<account>:<api-id>/<stage>): {wrong}",
            context.partition()
        )
    };
    let (api_id, stage) = arn
        .resource
        .split_once('/')
        .ok_or_else(|| shape("it has no /<stage> after the API's ID"))?;
    let is_word = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let wrong = if !is_region(arn.region) {
        Some("its region is not a region's code (us-east-1, ...)")
    } else if !is_account_id(arn.account) {
        Some("its account is not an account ID of 12 digits (a placeholder from documentation?)")
    } else if api_id.is_empty() || !api_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        Some("its API ID is not letters and digits")
    } else if !is_word(stage) {
        Some("its stage is not a stage name (letters, digits, _ and -)")
    } else {
        None
    };
    if let Some(wrong) = wrong {
        return Err(shape(wrong));
    }
    Ok(ExecuteApiStage {
        region: arn.region,
        api_id,
        stage,
    })
}

/// A stage's invoke URL, `https://<api-id>.execute-api.<region>.<url-suffix>/<stage>`, on the
/// domain of the stack's partition.
pub fn parse_execute_api_url<'a>(
    text: &'a str,
    context: &ExpansionContext,
) -> Result<ExecuteApiStage<'a>, String> {
    let shape = || {
        format!(
            "is not an API Gateway stage's invoke URL (https://<api-id>.execute-api.<region>.{}/<stage>) nor its ARN (arn:{}:execute-api:<region>:<account>:<api-id>/<stage>)",
            context.url_suffix(),
            context.partition()
        )
    };
    let rest = text.strip_prefix("https://").ok_or_else(shape)?;
    let (host, path) = rest.split_once('/').ok_or_else(shape)?;
    let stage = path.strip_suffix('/').unwrap_or(path);
    let (api_id, host) = host.split_once(".execute-api.").ok_or_else(shape)?;
    let (region, suffix) = host.split_once('.').ok_or_else(shape)?;
    let is_word = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if api_id.is_empty()
        || !api_id.chars().all(|c| c.is_ascii_alphanumeric())
        || !is_region(region)
        || !is_word(stage)
    {
        return Err(shape());
    }
    if suffix != context.url_suffix() {
        return Err(format!(
            "is an invoke URL on {suffix}, but the stack's partition {} serves API Gateway on {}",
            context.partition(),
            context.url_suffix()
        ));
    }
    Ok(ExecuteApiStage {
        region,
        api_id,
        stage,
    })
}

/// Where an ECS secret's `ValueFrom` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretReference {
    /// An SSM parameter in the stack's region and account, by name (`token`) or
    /// path (`/ci/token`).
    SsmName {
        is_path: bool,
    },
    SsmArn,
    /// A Secrets Manager secret ARN; `with_selector` when it ends in
    /// `:json-key:version-stage:version-id`.
    SecretsManagerArn {
        with_selector: bool,
        name: SecretName,
    },
}

/// What the name in a Secrets Manager ARN may be: AWS ends a secret's full name with `-` and
/// six random characters, which a partial ARN leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// It does not end so: a partial ARN, the name alone.
    Partial,
    /// It ends in `-` and six letters or digits, which may be AWS's suffix (`db-AbC123`) or
    /// the end of the name alone (`db-backup`): nothing in the text tells which.
    FullOrPartial,
}

impl SecretName {
    pub fn of(name: &str) -> Self {
        if has_random_suffix(name) {
            SecretName::FullOrPartial
        } else {
            SecretName::Partial
        }
    }
}

/// The reserved path under which SSM reads a Secrets Manager secret (SSM's "Referencing AWS
/// Secrets Manager secrets from Parameter Store parameters").
pub const SECRETS_MANAGER_REFERENCE: &str = "/aws/reference/secretsmanager/";

/// Why a name such as `ci/token` names nothing: SSM's parameter names in a hierarchy begin
/// with `/` (its PutParameter `Name`), so no parameter has it.
pub fn name_with_slash(context: &ExpansionContext) -> String {
    format!(
        "is not an SSM parameter name: a name holding / is a path, which begins with / (write /<name>), so no parameter has this name; a Secrets Manager secret is named by its ARN (arn:{}:secretsmanager:<region>:<account>:secret:<name>)",
        context.partition()
    )
}

pub fn classify_secret_reference(
    text: &str,
    context: &ExpansionContext,
) -> Result<SecretReference, String> {
    if text.starts_with("arn:") {
        let arn = parse_arn(text).ok_or("is not an ARN")?;
        return match arn.service {
            "ssm" => classify_ssm_arn(arn, context),
            "secretsmanager" => classify_secrets_manager_arn(arn, context),
            _ => Err("is an ARN, but not of an SSM parameter or a Secrets Manager secret".into()),
        };
    }
    if is_ssm_parameter_name(text) {
        if !text.starts_with('/') && text.contains('/') {
            return Err(name_with_slash(context));
        }
        Ok(SecretReference::SsmName {
            is_path: text.starts_with('/'),
        })
    } else {
        Err("is neither an SSM parameter name (letters, digits and _.-/ , a path starting with /) nor an SSM or Secrets Manager ARN".into())
    }
}

/// Letters, digits and `_.-/`, in segments none of them empty, after an optional leading `/`:
/// one pass over the bytes.
fn is_ssm_parameter_name(text: &str) -> bool {
    let body = text.strip_prefix('/').unwrap_or(text);
    if text.len() > 2048 {
        return false;
    }
    // The start counts as a slash, so that an empty first segment is refused as the others are.
    let mut previous = b'/';
    for &byte in body.as_bytes() {
        let allowed = byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'/');
        if !allowed || (byte == b'/' && previous == b'/') {
            return false;
        }
        previous = byte;
    }
    previous != b'/'
}

fn classify_ssm_arn(arn: Arn<'_>, context: &ExpansionContext) -> Result<SecretReference, String> {
    let arn = in_partition(arn, "ssm", "an SSM parameter", context)?;
    let name = arn.resource.strip_prefix("parameter").unwrap_or_default();
    if is_region(arn.region)
        && is_account_id(arn.account)
        && name.starts_with('/')
        && is_ssm_parameter_name(name)
    {
        Ok(SecretReference::SsmArn)
    } else {
        Err(format!(
            "is not an SSM parameter ARN (arn:{}:ssm:<region>:<account>:parameter/<name>)",
            context.partition()
        ))
    }
}

fn classify_secrets_manager_arn(
    arn: Arn<'_>,
    context: &ExpansionContext,
) -> Result<SecretReference, String> {
    let arn = in_partition(arn, "secretsmanager", "a Secrets Manager secret", context)?;
    // `secret:<name>`, and the selector `<json-key>:<version-stage>:<version-id>` when written.
    let secret = arn.resource.strip_prefix("secret:").unwrap_or_default();
    let (name, selector) = match split_field(secret) {
        Some((name, selector)) => (name, Some(selector)),
        None => (secret, None),
    };
    let shape_ok = is_region(arn.region)
        && is_account_id(arn.account)
        && !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'=' | b'.' | b'@' | b'-')
        })
        && selector.is_none_or(|selector| selector.bytes().filter(|&b| b == b':').count() == 2);
    if !shape_ok {
        return Err(format!(
            "is not a Secrets Manager secret ARN (arn:{}:secretsmanager:<region>:<account>:secret:<name>, optionally followed by :<json-key>:<version-stage>:<version-id>)",
            context.partition()
        ));
    }
    Ok(SecretReference::SecretsManagerArn {
        with_selector: selector.is_some(),
        name: SecretName::of(name),
    })
}

/// Secrets Manager ends every secret's ARN with `-` and six random characters.
pub fn has_random_suffix(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((stem, suffix)) => {
            !stem.is_empty()
                && suffix.len() == 6
                && suffix.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// `arn:${AWS::Partition}:s3:::<bucket><rest>`: a bucket, or (with `rest`) objects in it.
pub fn s3_arn<'a>(bucket: &'a Value, rest: impl IntoIterator<Item = Piece<'a>>) -> Value {
    let mut pieces = vec![
        Piece::Text("arn:"),
        Piece::Pseudo("AWS::Partition"),
        Piece::Text(":s3:::"),
        Piece::Value(bucket),
    ];
    pieces.extend(rest);
    build_sub(&pieces)
}

/// `{"Fn::GetAtt": [logical_id, "Arn"]}`: the ARN of a resource of the template.
pub fn get_att_arn(logical_id: &str) -> Value {
    fn_get_att(Value::Array(vec![
        Value::String(logical_id.to_owned()),
        Value::String("Arn".to_owned()),
    ]))
}

/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}<resource><value>`: the ARN of
/// a resource in the stack's own partition, region and account, as simply as [`build_sub`] can.
pub fn stack_arn(service: &str, resource: &str, value: &Value) -> Value {
    stack_arn_with_suffix(service, resource, value, "")
}

/// [`stack_arn`] followed by `suffix` (`:*` for every log stream of a group, say).
pub fn stack_arn_with_suffix(service: &str, resource: &str, value: &Value, suffix: &str) -> Value {
    if let Value::String(text) = value {
        // The usual case, a name written out: the `Fn::Sub` text [`build_sub`] would make,
        // written at once.
        let mut sub = String::with_capacity(
            STACK_ARN_FIXED + service.len() + resource.len() + text.len() + suffix.len(),
        );
        sub.push_str("arn:${AWS::Partition}:");
        sub.push_str(service);
        sub.push_str(":${AWS::Region}:${AWS::AccountId}");
        sub.push_str(resource);
        push_sub_text(&mut sub, text);
        sub.push_str(suffix);
        return fn_sub(Value::String(sub));
    }
    build_sub(&[
        Piece::Text("arn:"),
        Piece::Pseudo("AWS::Partition"),
        Piece::Text(":"),
        Piece::Text(service),
        Piece::Text(":"),
        Piece::Pseudo("AWS::Region"),
        Piece::Text(":"),
        Piece::Pseudo("AWS::AccountId"),
        Piece::Text(resource),
        Piece::Value(value),
        Piece::Text(suffix),
    ])
}

/// The characters of a stack ARN's `Fn::Sub` text besides the service, resource, name and suffix.
const STACK_ARN_FIXED: usize =
    "arn:${AWS::Partition}:".len() + ":${AWS::Region}:${AWS::AccountId}".len();

/// A literal ARN of the stack's partition (checked so) with its partition as
/// `${AWS::Partition}`, as every ARN the macro writes; any other value as it is.
pub fn partition_relative(value: Value, context: &ExpansionContext) -> Value {
    let prefix = format!("arn:{}:", context.partition());
    match value.as_str().and_then(|text| text.strip_prefix(&prefix)) {
        Some(rest) if !rest.contains("${") => {
            json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:{rest}") })
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests;
