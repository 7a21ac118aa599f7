//! Container images and what the execution role needs to pull them.

use serde_json::Value;

use super::PropertyReader;
use crate::image_grant::pull_grant;
use crate::place::Place;

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The ECR repositories the execution role pulls `image` from; none with AWS's managed
    /// policy, which allows every repository. A problem names `place` when no exact grant
    /// can be derived.
    pub(super) fn image_pull(&mut self, image: &Value, place: Place<'_>) -> Vec<Value> {
        if self.attach_task_execution_role_policy {
            return Vec::new();
        }
        match pull_grant(image, self.scope) {
            Ok(repositories) => repositories,
            Err(why) => {
                self.problems.push(place, why);
                Vec::new()
            }
        }
    }

    /// [`Self::image_pull`] of an image property, reported at the place it was written.
    pub(super) fn image_property_pull(&mut self, name: &str, image: Option<&Value>) -> Vec<Value> {
        let Some(image) = image else {
            return Vec::new();
        };
        let place = self
            .sourced(name)
            .map_or_else(|| self.place(name), |sourced| sourced.place);
        self.image_pull(image, place)
    }
}
