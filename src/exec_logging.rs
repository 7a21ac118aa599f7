//! ECS Exec on a cluster that encrypts or logs its sessions (the cluster's
//! `ExecuteCommandConfiguration`): what the task role needs beside the four `ssmmessages`
//! actions, as ECS's guide to ECS Exec and CDK grant it.

use serde_json::{Value, json};

use crate::value::{Piece, build_sub, stack_arn_with_suffix};

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
    pub fn statements(&self) -> Vec<Value> {
        let mut statements = Vec::new();
        if let Some(key) = &self.kms_key {
            statements.push(json!({
                "Sid": "DecryptTheSessions",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key
            }));
        }
        if let Some(group) = &self.log_group {
            // DescribeLogGroups takes no resource but `*` (docs/grants.md, where the IAM keeps a wildcard).
            statements.push(json!({
                "Sid": "FindTheSessionLogGroup",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": "*"
            }));
            statements.push(json!({
                "Sid": "WriteTheSessionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": stack_arn_with_suffix("logs", ":log-group:", group, ":*")
            }));
        }
        if let Some(bucket) = &self.bucket {
            let bucket_arn = build_sub(&[
                Piece::Text("arn:"),
                Piece::Pseudo("AWS::Partition"),
                Piece::Text(":s3:::"),
                Piece::Value(bucket),
            ]);
            statements.push(json!({
                "Sid": "CheckTheSessionBucket",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:GetEncryptionConfiguration"],
                "Resource": bucket_arn
            }));
            statements.push(json!({
                "Sid": "WriteTheSessionTranscripts",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": build_sub(&[
                    Piece::Text("arn:"),
                    Piece::Pseudo("AWS::Partition"),
                    Piece::Text(":s3:::"),
                    Piece::Value(bucket),
                    Piece::Text("/*"),
                ])
            }));
        }
        statements
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
