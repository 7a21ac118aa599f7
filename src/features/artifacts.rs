//! `ArtifactsBucket` and `ArtifactsPrefix`: where the agent uploads artifacts, and the task
//! role's grant of exactly that bucket and prefix.
//!
//! What the agent does there (buildkite/agent `internal/artifact`): before uploading it checks
//! its credentials with `ListObjects` of no prefix and `MaxKeys: 0`; it uploads with `PutObject`
//! (multipart for large files) carrying the canned ACL of `BUILDKITE_S3_ACL` (default
//! `public-read`); `artifact download` reads with `GetObject`.

use serde_json::Value;

use crate::generate::output_types::{Actions, Allow, InlinePolicy, Statement};
use crate::template::arn::s3_arn;
use crate::template::sub::{Piece, build_sub};

/// The canned ACL the agent is given: accepted by buckets with ACLs disabled (S3's default
/// since 2023, bucket owner enforced) and by Block Public Access, unlike the agent's default.
pub const ARTIFACT_ACL: &str = "bucket-owner-full-control";

/// The artifacts bucket, checked, with its optional prefix (no slashes at either end).
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactsBucket {
    pub bucket: Value,
    pub prefix: Option<Value>,
}

impl ArtifactsBucket {
    /// `BUILDKITE_ARTIFACT_UPLOAD_DESTINATION`: `s3://<bucket>` or `s3://<bucket>/<prefix>`.
    pub fn destination(&self) -> Value {
        match &self.prefix {
            Some(prefix) => build_sub(&[
                Piece::Text("s3://"),
                Piece::Value(&self.bucket),
                Piece::Text("/"),
                Piece::Value(prefix),
            ]),
            None => build_sub(&[Piece::Text("s3://"), Piece::Value(&self.bucket)]),
        }
    }

    /// The task role's inline policy `ReadAndWriteArtifacts`.
    pub fn policy(&self) -> InlinePolicy {
        let bucket_arn = s3_arn(&self.bucket, []);
        let objects = match &self.prefix {
            Some(prefix) => s3_arn(
                &self.bucket,
                [Piece::Text("/"), Piece::Value(prefix), Piece::Text("/*")],
            ),
            None => s3_arn(&self.bucket, [Piece::Text("/*")]),
        };
        let mut statements = vec![
            // AbortMultipartUpload: a failed multipart upload of a large artifact is cleaned up.
            Allow::new(
                "ReadAndWriteTheArtifacts",
                Actions::List(&["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]),
                objects.clone(),
            ),
            // Every upload of the agent carries a canned ACL, which S3 authorises as
            // s3:PutObjectAcl: held to the one the agent is given.
            Allow::new(
                "GiveTheBucketOwnerTheArtifacts",
                Actions::One("s3:PutObjectAcl"),
                objects,
            )
            .when(
                "StringEquals",
                "s3:x-amz-acl",
                Value::String(ARTIFACT_ACL.to_owned()),
            ),
        ];
        let list = Allow::new(
            "ListTheArtifacts",
            Actions::One("s3:ListBucket"),
            bucket_arn.clone(),
        );
        match &self.prefix {
            Some(prefix) => {
                let under_prefix = build_sub(&[Piece::Value(prefix), Piece::Text("/*")]);
                statements.push(list.when("StringLike", "s3:prefix", under_prefix));
                // The agent's credentials check lists no prefix but no keys either.
                statements.push(
                    Allow::new(
                        "CheckTheBucketListingNothing",
                        Actions::One("s3:ListBucket"),
                        bucket_arn,
                    )
                    .when(
                        "NumericEquals",
                        "s3:max-keys",
                        Value::String("0".to_owned()),
                    ),
                );
            }
            None => statements.push(list),
        }
        InlinePolicy {
            name: "ReadAndWriteArtifacts",
            statements: statements.into_iter().map(Statement::Allow).collect(),
        }
    }
}

/// A bucket name as S3 takes it: 3 to 63 of lower-case letters, digits, `.` and `-`, starting
/// and ending with a letter or digit.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let fits = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ends(name.chars().next())
        && ends(name.chars().last());
    if fits {
        Ok(())
    } else if name.starts_with("arn:") || name.starts_with("s3://") {
        Err(
            "is not a bucket name: write the name alone (an artifacts prefix goes in ArtifactsPrefix)"
                .to_owned(),
        )
    } else {
        Err("is not an S3 bucket name (3 to 63 of a-z, 0-9, . and -, starting and ending with a letter or digit)".to_owned())
    }
}

/// A key prefix: not empty, no slash at either end, and none of the characters IAM would read
/// as a wildcard or a policy variable.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.starts_with('/') || prefix.ends_with('/') {
        Err("must not start or end with /: the macro adds the / between the prefix and the artifacts".to_owned())
    } else if prefix.contains(['*', '?', '$']) {
        Err("must not hold *, ? or $, which IAM reads as wildcards or variables".to_owned())
    } else if prefix.contains("//") || prefix.chars().any(char::is_control) {
        Err("is not a key prefix (no // and no control characters)".to_owned())
    } else {
        Ok(())
    }
}
