//! Container images: whether a registry can serve each, whether it runs on the task's
//! architecture, and what the execution role needs to pull it.

use std::borrow::Cow;

use serde_json::Value;

use super::reference::Stretch;
use crate::features::images::pull_grant;
use crate::properties::reader::{NamedImage, PropertyReader};
use crate::template::place::Place;
use crate::template::scope::{Resolved, TemplateScope};
use crate::template::sub::{SubPart, parse_sub, sub_arguments, unescape_sub_text};

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
            Ok(repositories) => repositories,
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

/// An image as far as the checks can read it.
enum ImageText<'v> {
    Written(&'v Value, &'v str),
    /// A parameter's value: read, never shown.
    Parameter {
        name: &'v str,
        value: String,
    },
    /// A `!Sub` or `!Join`: literal text around what only a deploy fills.
    Computed(String, Vec<Stretch<'v>>),
}

/// The readable forms `image` may take: one per branch of an `Fn::If`, none for an intrinsic
/// whose text the macro cannot see (`!GetAtt`, `!ImportValue`).
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
        Resolved::Unknown => computed_stretches(image).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The stretches of a `!Sub` (a list-form variable written as text is text) or a `!Join`.
fn computed_stretches(image: &Value) -> Option<ImageText<'_>> {
    let mut stretches: Vec<Stretch<'_>> = Vec::new();
    // Text next to text is one stretch, so a hole-free image reads as literal text.
    let mut push = |stretch| match (stretches.last_mut(), stretch) {
        (Some(Stretch::Text(before)), Stretch::Text(text)) => before.to_mut().push_str(&text),
        (_, stretch) => stretches.push(stretch),
    };
    if let Some((template, variables)) = sub_arguments(image) {
        for part in parse_sub(template) {
            push(match part {
                SubPart::Text(text) => Stretch::Text(unescape_sub_text(text)),
                SubPart::Variable(name) => match variables.and_then(|v| v.get(name)) {
                    Some(Value::String(text)) => Stretch::Text(Cow::Borrowed(text)),
                    _ => Stretch::Hole,
                },
            });
        }
        let shown = crate::template::problems::show_literal(&Value::String(template.to_owned()));
        return Some(ImageText::Computed(format!("the !Sub {shown}"), stretches));
    }
    let Some(Value::Array(arguments)) = image.get("Fn::Join") else {
        return None;
    };
    let [Value::String(delimiter), items] = arguments.as_slice() else {
        return None;
    };
    let Value::Array(items) = items else {
        return None;
    };
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            push(Stretch::Text(Cow::Borrowed(delimiter)));
        }
        push(match item {
            Value::String(text) => Stretch::Text(Cow::Borrowed(text)),
            _ => Stretch::Hole,
        });
    }
    Some(ImageText::Computed("the !Join".to_owned(), stretches))
}

impl ImageText<'_> {
    /// How a message names the image: as written, or the parameter by name.
    fn describe(&self) -> String {
        match self {
            ImageText::Written(value, _) => crate::template::problems::show_literal(value),
            ImageText::Parameter { name, .. } => format!("the value of parameter {name}"),
            ImageText::Computed(what, _) => what.clone(),
        }
    }

    /// `Err` saying why no registry can serve this image, and the fix.
    fn check_reference(&self) -> Result<(), String> {
        let checked = match self {
            ImageText::Written(_, text) => super::reference::check_text(text),
            ImageText::Parameter { value, .. } => super::reference::check_text(value),
            ImageText::Computed(_, stretches) => super::reference::check(stretches),
        };
        let Err(refused) = checked else {
            return Ok(());
        };
        let fix = match (self, refused.corrected) {
            (ImageText::Parameter { .. }, _) => "; correct the parameter's value".to_owned(),
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
            ImageText::Computed(..) => None,
        }
    }

    /// What to run instead, when this is an image built for x86_64 alone.
    fn x86_64_only(&self) -> Option<&'static str> {
        let text = match self {
            ImageText::Written(_, text) => *text,
            ImageText::Parameter { value, .. } => value,
            ImageText::Computed(..) => return None,
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
