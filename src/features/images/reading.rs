//! Container images: whether a registry can serve each, whether it runs on the task's
//! architecture, and what the execution role needs to pull it.

use std::borrow::Cow;

use serde_json::Value;

use super::reference::Stretch;
use crate::features::images::{ANY_REPOSITORY, ECR_PULL_ACTIONS, NARROWING_FORMS, pull_grant};
use crate::properties::reader::{NamedImage, PropertyReader};
use crate::template::evaluate::{Piece, Text, describe_computed};
use crate::template::place::Place;
use crate::template::scope::{Resolved, TemplateScope};

/// Images built for x86_64 alone (docs/ci-features.md, "Images: architectures"): their Docker
/// Hub repositories, and what to run on ARM64 instead.
const X86_64_ONLY: [(&str, &str); 2] = [
    (
        "keithduncan/buildkite-sidecar",
        "use buildkite/agent:3-sidecar, built for arm64 too",
    ),
    (
        "keithduncan/iam-ssh-agent",
        "build iam-ssh-agent for arm64 and name that image",
    ),
];

impl<'i> PropertyReader<'_, '_, 'i> {
    /// Checks `image` (every branch of an `Fn::If`) and returns the ECR repositories the
    /// execution role pulls it from; none with AWS's managed policy, which allows every
    /// repository. A problem names `place`.
    pub(crate) fn image_pull(&mut self, image: &Value, place: Place<'_>) -> Vec<Value> {
        self.checked_image_pull(image, place, true)
    }

    /// [`Self::image_pull`]; `written` is false for a property's default, whose architecture
    /// the property's own check names.
    fn checked_image_pull(&mut self, image: &Value, place: Place<'_>, written: bool) -> Vec<Value> {
        let mut refused = false;
        for text in image_texts(image, self.scope) {
            if let Err(why) = text.check_reference() {
                self.problems.push(place, why);
                refused = true;
            }
            if let Some(instead) = text.x86_64_only().filter(|_| written)
                && let Some(named) = text.named()
            {
                self.x86_64_only_images.push((place.into(), named, instead));
            }
        }
        if refused || self.attach_task_execution_role_policy {
            return Vec::new();
        }
        match pull_grant(image, self.scope) {
            Ok(pull) => {
                if let Some(why) = pull.unplaced {
                    self.problems.note(place, unplaced_note(&why));
                }
                pull.repositories
            }
            Err(why) => {
                self.problems.push(place, why);
                Vec::new()
            }
        }
    }

    /// [`Self::image_pull`] of an image property, reported at the place it was written.
    pub(crate) fn image_property_pull(&mut self, name: &str, image: Option<&Value>) -> Vec<Value> {
        let Some(image) = image else {
            return Vec::new();
        };
        match self.sourced(name) {
            Some(sourced) => self.checked_image_pull(image, sourced.place, true),
            None => self.checked_image_pull(image, self.place(name), false),
        }
    }
}

/// The note for an image the macro cannot place: the pull it gets, and how to narrow it.
fn unplaced_note(why: &str) -> String {
    format!(
        "cannot tell which ECR repository this image is in ({why}), so the execution role may pull from any repository of the partition, as the first release's AmazonECSTaskExecutionRolePolicy let it: {} on {}; to narrow it, {}",
        ECR_PULL_ACTIONS.join(", "),
        ANY_REPOSITORY,
        NARROWING_FORMS
    )
}

/// An image as far as the checks can read it.
enum ImageText<'v> {
    Written(&'v Value, &'v str),
    /// A parameter's value: read, never shown.
    Parameter {
        name: &'v str,
        value: String,
    },
    /// A function's value: literal text (a parameter's value among it, read, never shown)
    /// around what only a deploy fills.
    Computed {
        described: String,
        stretches: Vec<Stretch<'static>>,
        holds_parameters: bool,
    },
}

/// The readable forms `image` may take: one per branch of an `Fn::If`, none for a value
/// that is not text.
fn image_texts<'v>(image: &'v Value, scope: &TemplateScope<'_>) -> Vec<ImageText<'v>> {
    if let Some(Value::Array(arguments)) = image.get("Fn::If")
        && let [_, yes, no] = arguments.as_slice()
    {
        return [yes, no]
            .into_iter()
            .flat_map(|branch| image_texts(branch, scope))
            .collect();
    }
    match scope.resolve(image) {
        Resolved::Literal(Value::String(text)) => vec![ImageText::Written(image, text)],
        Resolved::Parameter {
            name,
            value: Value::String(value),
        } => vec![ImageText::Parameter { name, value }],
        Resolved::Unknown => scope
            .evaluate(image)
            .into_text(image)
            .map(|text| computed(image, &text))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The stretches of an image's text: literal and known pieces are text, holes are holes.
fn computed<'v>(image: &Value, text: &Text) -> ImageText<'v> {
    let mut stretches: Vec<Stretch<'static>> = Vec::new();
    for piece in &text.pieces {
        let stretch = match piece {
            Piece::Literal(text) | Piece::Known { value: text, .. } => {
                Stretch::Text(Cow::Owned(text.clone()))
            }
            Piece::Hole(_) => Stretch::Hole,
        };
        match (stretches.last_mut(), stretch) {
            (Some(Stretch::Text(before)), Stretch::Text(text)) => before.to_mut().push_str(&text),
            (_, stretch) => stretches.push(stretch),
        }
    }
    if stretches.is_empty() {
        stretches.push(Stretch::Text(Cow::Borrowed("")));
    }
    ImageText::Computed {
        described: describe_computed(image),
        stretches,
        holds_parameters: text.has_known_expressions(),
    }
}

impl ImageText<'_> {
    /// How a message names the image: as written, or the parameter by name.
    fn describe(&self) -> String {
        match self {
            ImageText::Written(value, _) => crate::template::problems::show_literal(value),
            ImageText::Parameter { name, .. } => format!("the value of parameter {name}"),
            ImageText::Computed { described, .. } => described.clone(),
        }
    }

    /// `Err` saying why no registry can serve this image, and the fix.
    fn check_reference(&self) -> Result<(), String> {
        let checked = match self {
            ImageText::Written(_, text) => super::reference::check_text(text),
            ImageText::Parameter { value, .. } => super::reference::check_text(value),
            ImageText::Computed { stretches, .. } => super::reference::check(stretches),
        };
        let Err(refused) = checked else {
            return Ok(());
        };
        let fix = match (self, refused.corrected) {
            (ImageText::Parameter { .. }, _) => "; correct the parameter's value".to_owned(),
            // The corrected text would show a parameter's value.
            (
                ImageText::Computed {
                    holds_parameters: true,
                    ..
                },
                _,
            ) => String::new(),
            (_, Some(corrected)) => format!("; write {corrected}"),
            (_, None) => String::new(),
        };
        Err(format!(
            "{} is not an image a registry can serve: {}{fix}",
            self.describe(),
            refused.reasons.join("; ")
        ))
    }

    /// How a message names a written image or a parameter's, formatted only when shown.
    fn named(&self) -> Option<NamedImage> {
        match self {
            ImageText::Written(value, _) => Some(NamedImage::Written((*value).clone())),
            ImageText::Parameter { name, .. } => Some(NamedImage::Parameter((*name).to_owned())),
            ImageText::Computed { .. } => None,
        }
    }

    /// What to run instead, when this is an image built for x86_64 alone.
    fn x86_64_only(&self) -> Option<&'static str> {
        let text = match self {
            ImageText::Written(_, text) => *text,
            ImageText::Parameter { value, .. } => value,
            ImageText::Computed { .. } => return None,
        };
        let (domain, rest) = super::reference::split_domain(text);
        if !matches!(
            domain,
            "" | "docker.io/" | "index.docker.io/" | "registry-1.docker.io/"
        ) {
            return None;
        }
        let repository = rest.split([':', '@']).next().unwrap_or_default();
        X86_64_ONLY
            .iter()
            .find(|(x86_64_only, _)| *x86_64_only == repository)
            .map(|(_, instead)| *instead)
    }
}
