//! `ArtifactsBucket` and `ArtifactsPrefix`: where the agent uploads artifacts, and the task
//! role's grant of exactly that bucket and prefix.
//!
//! What the agent does there (buildkite/agent `internal/artifact`): before uploading it checks
//! its credentials with `ListObjects` of no prefix and `MaxKeys: 0`; it uploads with `PutObject`
//! (multipart for large files) carrying the canned ACL of `BUILDKITE_S3_ACL` (default
//! `public-read`); `artifact download` reads with `GetObject`.

use crate::properties::reader::PropertyReader;
use serde_json::Value;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
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

    /// The statements of the task role's inline policy `ReadAndWriteArtifacts`.
    pub fn statements(&self) -> Vec<Statement> {
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
        statements.into_iter().map(Statement::Allow).collect()
    }
}

/// The task role reads and writes the artifacts under the bucket and prefix.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ReadAndWriteArtifacts",
    role: GrantedRole::Task {
        asked_by: "ArtifactsBucket",
        asked: |features| features.artifacts,
    },
    statements: |properties, _| Some(properties.artifacts.as_ref()?.statements()),
};

/// Reading `ArtifactsBucket`.
impl<'i> PropertyReader<'_, '_, 'i> {
    /// `ArtifactsBucket` and its `ArtifactsPrefix`.
    pub(crate) fn artifacts_bucket(&mut self) -> Option<ArtifactsBucket> {
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
}
