//! ECS Exec on a cluster that encrypts or logs its sessions (the cluster's
//! `ExecuteCommandConfiguration`): what the task role needs beside the four `ssmmessages`
//! actions, as ECS's guide to ECS Exec and CDK grant it.

use crate::properties::reader::PropertyReader;
use serde_json::Value;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::template::arn::partition_relative;
use crate::template::arn::{s3_arn, stack_arn_with_suffix};
use crate::template::sub::Piece;

/// The cluster's exec settings the task must satisfy; each `None` when not named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecuteCommandLogging {
    /// The cluster's `KmsKeyId`, a key ARN: the session's data channel is encrypted with it.
    pub kms_key: Option<Value>,
    /// The cluster's `LogConfiguration.CloudWatchLogGroupName`.
    pub log_group: Option<Value>,
    /// The cluster's `LogConfiguration.S3BucketName`.
    pub bucket: Option<Value>,
}

impl ExecuteCommandLogging {
    pub fn is_empty(&self) -> bool {
        self.kms_key.is_none() && self.log_group.is_none() && self.bucket.is_none()
    }

    /// The statements beside `OpenSessionChannels`.
    pub fn statements(&self) -> Vec<Statement> {
        let mut statements = Vec::new();
        if let Some(key) = &self.kms_key {
            statements.push(Allow::new(
                "DecryptTheSessions",
                Actions::One("kms:Decrypt"),
                key.clone(),
            ));
        }
        if let Some(group) = &self.log_group {
            // DescribeLogGroups takes no resource but `*` (docs/grants.md, where the IAM keeps a wildcard).
            statements.push(Allow::new(
                "FindTheSessionLogGroup",
                Actions::One("logs:DescribeLogGroups"),
                Value::String("*".to_owned()),
            ));
            statements.push(Allow::new(
                "WriteTheSessionLogs",
                Actions::List(&[
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ]),
                stack_arn_with_suffix("logs", ":log-group:", group, ":*"),
            ));
        }
        if let Some(bucket) = &self.bucket {
            statements.push(Allow::new(
                "CheckTheSessionBucket",
                Actions::List(&["s3:GetBucketLocation", "s3:GetEncryptionConfiguration"]),
                s3_arn(bucket, []),
            ));
            statements.push(Allow::new(
                "WriteTheSessionTranscripts",
                Actions::One("s3:PutObject"),
                s3_arn(bucket, [Piece::Text("/*")]),
            ));
        }
        statements.into_iter().map(Statement::Allow).collect()
    }
}

/// A CloudWatch Logs group name: 1 to 512 of letters, digits, `_`, `-`, `/`, `.` and `#`.
pub fn check_log_group_name(name: &str) -> Result<(), String> {
    let fits = (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
    if fits {
        Ok(())
    } else {
        Err("is not a log group name (1 to 512 of A-Z, a-z, 0-9, _, -, /, . and #)".to_owned())
    }
}

/// The four actions ECS Exec opens its session channels with.
const SESSION_CHANNEL_ACTIONS: [&str; 4] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// The task role's `ExecuteCommand`: ECS Exec's session channels, and the session logs.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ExecuteCommand",
    role: GrantedRole::Task {
        asked_by: "ExecuteCommand",
        asked: |features| features.execute_command,
    },
    statements: |properties, _| {
        if !properties.execute_command {
            return None;
        }
        // These four actions take no resource but `*` (ECS Exec's own guide).
        let mut statements = vec![Statement::Allow(Allow::new(
            "OpenSessionChannels",
            Actions::List(&SESSION_CHANNEL_ACTIONS),
            Value::String("*".to_owned()),
        ))];
        statements.extend(properties.execute_command_logging.statements());
        Some(statements)
    },
};

/// Reading `ExecuteCommand`'s logging properties.
impl<'i> PropertyReader<'_, '_, 'i> {
    /// The cluster's exec key, log group and bucket, which need `ExecuteCommand: true`.
    pub(crate) fn execute_command_logging(
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
}
