//! The expanded template and how it is written out: each Buildkite resource replaced, in
//! place, by what it becomes, without copying the rest of the template.

use crate::expand::composition::is_buildkite_resource;
use crate::generate::output_types::GeneratedResource;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

/// One Buildkite resource, ready to be put in its place.
#[derive(Debug)]
pub(crate) struct Expansion {
    pub(crate) resources: Vec<(String, GeneratedResource)>,
    /// Conditions made for generated resources that exist on some branches only.
    pub(crate) conditions: Vec<(String, Value)>,
    /// The name its log group will have, where known before the stack is deployed.
    pub(crate) log_group_name: Option<String>,
}

/// An expanded template: the template as written, less its Buildkite resources, and what each
/// of them expands to. Serialising it writes the generated resources, in place of theirs,
/// straight from their typed form.
#[derive(Debug)]
pub struct ExpandedTemplate {
    /// The template, its Buildkite resources still in `Resources` (never written).
    pub(crate) root: Map<String, Value>,
    /// One for each Buildkite resource in `Resources`, in their order.
    pub(crate) expansions: Vec<Expansion>,
    pub(crate) resources_out: usize,
    /// What the user should know of it: each place the macro granted wider than exact.
    pub notes: Vec<crate::template::problems::Problem>,
}

impl ExpandedTemplate {
    /// The expanded template as a value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("an expanded template is JSON")
    }
}

impl Serialize for ExpandedTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.root.len()))?;
        for (key, value) in &self.root {
            match value {
                Value::Object(resources) if key == "Resources" => {
                    map.serialize_entry(key, &ExpandedResources(self, resources))?
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

/// The `Resources` of an expanded template: each Buildkite resource replaced, in its place, by
/// the resources it expands to.
pub(crate) struct ExpandedResources<'a>(&'a ExpandedTemplate, &'a Map<String, Value>);

impl Serialize for ExpandedResources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ExpandedResources(template, resources) = self;
        let mut map = serializer.serialize_map(Some(template.resources_out))?;
        let mut expansions = template.expansions.iter();
        for (logical_id, resource) in resources.iter() {
            if !is_buildkite_resource(resource) {
                map.serialize_entry(logical_id, resource)?;
                continue;
            }
            let expansion = expansions
                .next()
                .expect("an expansion for each Buildkite resource");
            for (id, generated) in &expansion.resources {
                map.serialize_entry(id, generated)?;
            }
        }
        map.end()
    }
}
