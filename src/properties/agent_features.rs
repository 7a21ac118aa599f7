//! Agent features that bring their own task role grant: signed pipelines.

use super::PropertyReader;
use crate::signing_key::{SigningKey, signing_key};

impl<'i> PropertyReader<'_, '_, 'i> {
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
