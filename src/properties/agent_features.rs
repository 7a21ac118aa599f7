//! Agent features that bring their own task role grant: signed pipelines, an artifacts bucket.

use serde_json::{Value, json};

use super::PropertyReader;
use crate::ExpansionContext;
use crate::artifacts::ArtifactsBucket;
use crate::exec_logging::ExecuteCommandLogging;
use crate::signing_key::{SigningKey, signing_key};

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The cluster's exec key, log group and bucket, which need `ExecuteCommand: true`.
    pub(super) fn execute_command_logging(
        &mut self,
        execute_command: bool,
    ) -> ExecuteCommandLogging {
        let logging = ExecuteCommandLogging {
            kms_key: self
                .text("ExecuteCommandKmsKeyArn")
                .map(|key| partition_relative(key, self.scope.context)),
            log_group: self.text("ExecuteCommandLogGroup"),
            bucket: self.text("ExecuteCommandBucket"),
        };
        if !execute_command {
            for (name, set) in [
                ("ExecuteCommandKmsKeyArn", logging.kms_key.is_some()),
                ("ExecuteCommandLogGroup", logging.log_group.is_some()),
                ("ExecuteCommandBucket", logging.bucket.is_some()),
            ] {
                if set && let Some(input) = self.input(name) {
                    self.problems.push(
                        input.place(),
                        "has no effect without ExecuteCommand: true, which readies the task for ECS Exec",
                    );
                }
            }
        }
        logging
    }

    /// `ArtifactsBucket` and its `ArtifactsPrefix`.
    pub(super) fn artifacts_bucket(&mut self) -> Option<ArtifactsBucket> {
        let bucket = self.text("ArtifactsBucket");
        let prefix = self.text("ArtifactsPrefix");
        if bucket.is_none()
            && prefix.is_some()
            && let Some(input) = self.input("ArtifactsPrefix")
        {
            self.problems.push(
                input.place(),
                "has no effect without ArtifactsBucket: name the bucket the prefix is in",
            );
        }
        Some(ArtifactsBucket {
            bucket: bucket?,
            prefix,
        })
    }

    /// `SecretsKmsKeyArn`, its partition written as `${AWS::Partition}`.
    pub(super) fn secrets_kms_key(&mut self) -> Option<Value> {
        let key = self.text("SecretsKmsKeyArn")?;
        Some(partition_relative(key, self.scope.context))
    }

    /// `PipelineSigningKmsKey`: the key the agent signs and verifies with, and its grant.
    pub(super) fn pipeline_signing_key(&mut self) -> Option<SigningKey> {
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

/// A literal ARN of the stack's partition (checked so) with its partition as
/// `${AWS::Partition}`, as every ARN the macro writes; any other value as it is.
fn partition_relative(value: Value, context: &ExpansionContext) -> Value {
    let prefix = format!("arn:{}:", context.partition());
    match value.as_str().and_then(|text| text.strip_prefix(&prefix)) {
        Some(rest) if !rest.contains("${") => {
            json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:{rest}") })
        }
        _ => value,
    }
}
