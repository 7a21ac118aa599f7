//! Agent features that bring their own task role grant: signed pipelines, an artifacts bucket.

use super::PropertyReader;
use crate::artifacts::ArtifactsBucket;
use crate::signing_key::{SigningKey, signing_key};

impl<'i> PropertyReader<'_, '_, 'i> {
    /// `ArtifactsBucket` and its `ArtifactsPrefix`.
    pub(super) fn artifacts_bucket(&mut self) -> Option<ArtifactsBucket> {
        let bucket = self.text("ArtifactsBucket");
        let prefix = self.text("ArtifactsPrefix");
        if bucket.is_none()
            && prefix.is_some()
            && let Some(input) = self.input("ArtifactsPrefix")
        {
            self.problems.push(
                input.path(),
                "has no effect without ArtifactsBucket: name the bucket the prefix is in",
            );
        }
        Some(ArtifactsBucket {
            bucket: bucket?,
            prefix,
        })
    }

    /// `PipelineSigningKmsKey`: the key the agent signs and verifies with, and its grant.
    pub(super) fn pipeline_signing_key(&mut self) -> Option<SigningKey> {
        let sourced = self.sourced("PipelineSigningKmsKey")?;
        let value = self.optional_string(&sourced, |_| Ok(()))?;
        match signing_key(&value, self.scope) {
            Ok(key) => Some(key),
            Err(why) => {
                self.problems.push(&sourced.path, why);
                None
            }
        }
    }
}
