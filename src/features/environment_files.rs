//! `EnvironmentFiles`: the execution role reads the `.env` objects ECS loads into the
//! containers (ECS's guide: `s3:GetObject` on the objects and `s3:GetBucketLocation` on their
//! buckets).

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::primitives::kind_of;
use crate::properties::reader::{PropertyInput, PropertyReader};
use crate::template::scope::{Resolved, TemplateScope};
use crate::template::sub::{SubPart, parse_sub, sub_arguments, unescape_sub_text};
use crate::template::value::distinct;
use serde_json::{Value, json};

/// The most environment files ECS takes in one container (its API reference, `EnvironmentFile`:
/// "You can specify up to ten environment files").
const MAX_ENVIRONMENT_FILES: usize = 10;

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The object ARNs of an `EnvironmentFiles` list, of `agent` or of a service.
    pub(crate) fn environment_files(&mut self, input: Option<&PropertyInput<'_>>) -> Vec<Value> {
        let partition = self.scope.context.partition();
        // Entries read, `AWS::NoValue` ones not counted: ECS never sees those.
        let mut count = 0;
        let files = self.list(input, |reader, entry| {
            count += 1;
            let shape = format!("arn:{partition}:s3:::<bucket>/<key>.env");
            let resolved = reader.scope.resolve(entry.value);
            // A function other than `Fn::Sub`, as the `Fn::Sub` that computes the same text.
            let mut computed = None;
            let text = match &resolved {
                Resolved::Literal(Value::String(text)) => Some(text.clone()),
                Resolved::Parameter {
                    value: Value::String(text),
                    ..
                } => Some(text.clone()),
                Resolved::Literal(other) => {
                    reader.problems.push(
                        entry.place,
                        format!("must be an S3 object ARN ({shape}), not {}", kind_of(other)),
                    );
                    return None;
                }
                // A function: read as CloudFormation computes it (a `Fn::Join` as its `Fn::Sub`
                // twin, a bucket's `Arn` as `arn:${AWS::Partition}:s3:::${Bucket}`); its text
                // must start with `arn:` written out.
                _ => written_text(reader.scope, entry.value).map(|(text, value)| {
                    computed = Some(value);
                    text
                }),
            };
            let Some(text) = text else {
                // What only a deploy fills (an `!ImportValue`, a stack's output): ECS takes
                // nothing but an object ARN here, so granting the value itself is exact, its
                // bucket cut at the first `/` by CloudFormation.
                return Some(entry.value.clone());
            };
            let is_sub = !matches!(resolved, Resolved::Literal(_) | Resolved::Parameter { .. })
                && crate::template::sub::has_variable_start(&text);
            let described = if is_sub { "the !Sub".to_owned() } else { resolved.describe() };
            let Some(rest) = text
                .strip_prefix("arn:")
                .and_then(|rest| rest.split_once(":s3:::"))
            else {
                reader.problems.push(entry.place, format!("{described} is not an S3 object ARN ({shape})"));
                return None;
            };
            let (arn_partition, object) = rest;
            if arn_partition != partition && !(is_sub && arn_partition == "${AWS::Partition}") {
                reader.problems.push(entry.place, format!("{described} is not an S3 object ARN in the stack's partition ({shape})"));
                return None;
            }
            if !is_sub {
                let fits = object
                    .split_once('/')
                    .is_some_and(|(bucket, key)| !bucket.is_empty() && key.ends_with(".env") && key.len() > 4 && !key.contains(['*', '?']));
                if !fits {
                    reader.problems.push(entry.place, format!("{described} is not an S3 object ARN of a .env file ({shape}), as ECS requires"));
                    return None;
                }
            } else if !object.contains('/') {
                reader.problems.push(entry.place, format!("the !Sub must write the bucket and the / before the key ({shape})"));
                return None;
            }
            Some(match entry.value {
                // The partition written as `${AWS::Partition}`, as every ARN the macro writes.
                Value::String(text) => json!({"Fn::Sub": text.replacen(&format!("arn:{partition}:"), "arn:${AWS::Partition}:", 1)}),
                // A function: as CloudFormation computes it, its partition as written.
                other if is_sub => computed.unwrap_or_else(|| other.clone()),
                other => other.clone(),
            })
        });
        if count > MAX_ENVIRONMENT_FILES
            && let Some(input) = input
        {
            self.problems.push(
                input.place(),
                format!("has {count} files, over the {MAX_ENVIRONMENT_FILES} ECS takes in one container; merge some of them into one .env file"),
            );
        }
        files
    }
}

/// The `Fn::Sub` text, and the value, of a function that CloudFormation computes to text
/// starting with `arn:` written out (a `Fn::Sub`, a `Fn::Join`, a bucket's `Arn` and a key),
/// or the text of one it computes to a literal string.
fn written_text(scope: &TemplateScope<'_>, value: &Value) -> Option<(String, Value)> {
    let text = scope.evaluate(value).into_text(value)?;
    let written = text.to_value();
    if let Value::String(literal) = &written {
        return Some((literal.clone(), written));
    }
    let (template, _) = sub_arguments(&written)?;
    let starts_with_arn = matches!(parse_sub(template).first(), Some(SubPart::Text(text)) if unescape_sub_text(text).starts_with("arn:"));
    starts_with_arn.then(|| (template.to_owned(), written.clone()))
}

/// The bucket ARN of an S3 object ARN: everything before the key's first `/`; cut here when
/// the bucket is written out, by CloudFormation (`Fn::Split` at `/`) when it is not.
pub fn bucket_of(object: &Value) -> Value {
    if let Some(text) = object.get("Fn::Sub").and_then(Value::as_str)
        && let Some(start) = text.find(":s3:::").map(|index| index + ":s3:::".len())
        && let Some(length) = text[start..].find('/')
        && !text[start..start + length].contains("${")
    {
        return json!({ "Fn::Sub": &text[..start + length] });
    }
    json!({"Fn::Select": [0, {"Fn::Split": ["/", object]}]})
}

/// The execution role's `ReadEnvironmentFiles`, when a container has `.env` files.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ReadEnvironmentFiles",
    role: GrantedRole::Execution {
        covered_by_managed_policy: false,
    },
    statements: |properties, _| {
        let environment_files = properties.execution_role_environment_files();
        if environment_files.is_empty() {
            return None;
        }
        let buckets = distinct(environment_files.iter().map(|object| bucket_of(object)));
        Some(vec![
            Statement::Allow(Allow::new(
                "ReadTheEnvironmentFiles",
                Actions::One("s3:GetObject"),
                Value::Array(environment_files.into_iter().cloned().collect()),
            )),
            Statement::Allow(Allow::new(
                "LocateTheirBuckets",
                Actions::One("s3:GetBucketLocation"),
                Value::Array(buckets),
            )),
        ])
    },
};
