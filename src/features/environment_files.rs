//! `EnvironmentFiles`: the execution role reads the `.env` objects ECS loads into the
//! containers (ECS's guide: `s3:GetObject` on the objects and `s3:GetBucketLocation` on their
//! buckets).

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::primitives::kind_of;
use crate::properties::reader::Sourced;
use crate::properties::reader::{PropertyInput, PropertyReader};
use crate::template::evaluate::{Piece, Text, Written, describe_computed};
use crate::template::scope::Resolved;
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
        let files = self.text_list(input, |reader, entry| {
            count += 1;
            let shape = format!("arn:{partition}:s3:::<bucket>/<key>.env");
            let resolved = reader.scope.resolve(entry.value);
            // How a function's item is written: as the function, never as a parameter's value.
            let mut computed_written = None;
            let text = match &resolved {
                Resolved::Literal(Value::String(text)) => text.clone(),
                Resolved::Parameter {
                    value: Value::String(text),
                    ..
                } => text.clone(),
                Resolved::Literal(other) => {
                    reader.problems.push(
                        entry.place,
                        format!("must be an S3 object ARN ({shape}), not {}", kind_of(other)),
                    );
                    return None;
                }
                // A function: read as CloudFormation computes it, checked as its text where
                // all of that is known here (a list parameter's item included).
                _ => {
                    let text = reader.scope.evaluate(entry.value).into_text(entry.value)?;
                    match text.sample() {
                        Some(sample) => {
                            // A known string is kept as written (a mapping's, say).
                            computed_written = text.as_literal().is_none().then(|| text.to_value());
                            sample
                        }
                        None => return reader.computed_environment_file(entry, &text, &shape),
                    }
                }
            };
            let described = match &resolved {
                Resolved::Literal(_) | Resolved::Parameter { .. } => resolved.describe(),
                _ => describe_computed(entry.value),
            };
            let Some((arn_partition, object)) = text
                .strip_prefix("arn:")
                .and_then(|rest| rest.split_once(":s3:::"))
            else {
                reader.problems.push(entry.place, format!("{described} is not an S3 object ARN ({shape})"));
                return None;
            };
            if arn_partition != partition {
                reader.problems.push(entry.place, format!("{described} is not an S3 object ARN in the stack's partition ({shape})"));
                return None;
            }
            let fits = object
                .split_once('/')
                .is_some_and(|(bucket, key)| !bucket.is_empty() && key.ends_with(".env") && key.len() > 4 && !key.contains(['*', '?']));
            if !fits {
                reader.problems.push(entry.place, format!("{described} is not an S3 object ARN of a .env file ({shape}), as ECS requires"));
                return None;
            }
            Some(match entry.value {
                // The partition written as `${AWS::Partition}`, as every ARN the macro writes.
                Value::String(text) => json!({"Fn::Sub": text.replacen(&format!("arn:{partition}:"), "arn:${AWS::Partition}:", 1)}),
                other => computed_written.unwrap_or_else(|| other.clone()),
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

impl PropertyReader<'_, '_, '_> {
    /// An object ARN computed by a function (a `Fn::Sub`, its `Fn::Join` twin, a bucket's `Arn`
    /// and a key), read from its text: where that text starts `arn:`, it must be an S3 object ARN
    /// of the stack's partition with its bucket and `/` written; what only a deploy fills (an
    /// `!ImportValue`, a stack's output) is granted as itself, since ECS takes nothing but an
    /// object ARN there, its bucket cut at the first `/` by CloudFormation.
    fn computed_environment_file(
        &mut self,
        entry: &Sourced<'_>,
        text: &Text,
        shape: &str,
    ) -> Option<Value> {
        let starts_with_arn =
            matches!(text.pieces.first(), Some(Piece::Literal(first)) if first.starts_with("arn:"));
        if !starts_with_arn {
            return Some(entry.value.clone());
        }
        let described = function_of(entry.value);
        let fields = text.split(':', 6);
        let literal = |index: usize| fields.get(index).and_then(Text::as_literal);
        if fields.len() != 6
            || literal(2) != Some("s3")
            || literal(3) != Some("")
            || literal(4) != Some("")
        {
            self.problems.push(
                entry.place,
                format!("{described} is not an S3 object ARN ({shape})"),
            );
            return None;
        }
        let partition = self.scope.context.partition();
        let own_partition = match fields[1].pieces.as_slice() {
            [Piece::Literal(written)] => written == partition,
            [
                Piece::Known {
                    written: Written::Variable(name),
                    ..
                },
            ] => name == "AWS::Partition",
            _ => false,
        };
        if !own_partition {
            self.problems.push(
                entry.place,
                format!("{described} is not an S3 object ARN in the stack's partition ({shape})"),
            );
            return None;
        }
        if fields[5].split('/', 2).len() < 2 {
            self.problems.push(
                entry.place,
                format!("{described} must write the bucket and the / before the key ({shape})"),
            );
            return None;
        }
        Some(text.to_value())
    }
}

/// How a message names a value computed by a function: by the function alone (`the !Sub`).
fn function_of(value: &Value) -> String {
    let name = crate::template::value::intrinsic_name(value).unwrap_or("value");
    format!("the !{}", name.trim_start_matches("Fn::"))
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
