//! The log group names the template will create, checked for clashes before deploying.

use crate::expand::output::Expansion;
use crate::generate::GeneratedIds;
use crate::generate::output_types::GeneratedResource;
use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;
use crate::template::value::resource_member;
use serde_json::{Map, Value};

/// The `LogGroupName` of a generated log group, as written.
pub(crate) fn log_group_name(log_group: &GeneratedResource) -> Option<&Value> {
    match log_group {
        GeneratedResource::Typed(crate::generate::output_types::Resource {
            properties: crate::generate::output_types::Properties::LogGroup(log_group),
            ..
        }) => Some(&log_group.log_group_name),
        GeneratedResource::Typed(_) => None,
        GeneratedResource::Joined(value) => value.pointer("/Properties/LogGroupName"),
    }
}

/// A log group the template will create under a name known before the stack is deployed.
pub(crate) struct NamedLogGroup<'t> {
    /// The logical ID of the resource that creates it (a Buildkite resource or a log group).
    pub(crate) owner: &'t str,
    /// The owner's `Condition`: it exists only where that holds.
    pub(crate) condition: Option<&'t Value>,
    pub(crate) name: String,
    /// Whether the name is written out in the template (else it comes from a parameter's
    /// value, never shown).
    pub(crate) written: bool,
}

impl NamedLogGroup<'_> {
    /// How a message names the log group: by its name where the template writes it.
    fn describe(&self) -> String {
        if self.written {
            format!("log group {:?}", self.name)
        } else {
            "a log group named from a parameter's value".to_owned()
        }
    }

    /// Whether both may exist at once: unless each is under its own condition, which may
    /// exclude the other.
    fn may_coexist(&self, other: &NamedLogGroup<'_>) -> bool {
        match (self.condition, other.condition) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
    }
}

/// Whether the expansion's log group is named by text written in the template (a literal
/// family), not by a parameter's value.
pub(crate) fn log_group_written_out(expansion: &Expansion, ids: &GeneratedIds) -> bool {
    (expansion.resources.iter())
        .find(|(id, _)| *id == ids.log_group)
        .and_then(|(_, log_group)| log_group_name(log_group))
        .is_some_and(Value::is_string)
}

/// CloudWatch Logs keeps one log group of a name in an account and region, so of two log groups
/// the template names alike the second fails to create, failing the stack. `generated` are the
/// Buildkite resources' log groups of known names; the template's own `AWS::Logs::LogGroup`s with
/// a known `LogGroupName` are compared with them too. Names compare exactly, as cfn-lint's
/// E3019 does (CloudWatch Logs documents no case folding).
pub(crate) fn check_log_group_names(
    generated: &[NamedLogGroup<'_>],
    resources: &Map<String, Value>,
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) {
    if generated.is_empty() {
        return;
    }
    for (index, log_group) in generated.iter().enumerate() {
        if let Some(first) = generated[..index]
            .iter()
            .find(|first| first.name == log_group.name && first.may_coexist(log_group))
        {
            problems.push(
                format!("Resources.{}", log_group.owner),
                format!(
                    "expands to {}, as Resources.{} does, and CloudWatch Logs keeps one log group of a name: the second fails to create; set TaskFamily on one of them (the log group is /aws/ecs/<family>)",
                    log_group.describe(),
                    first.owner
                ),
            );
        }
    }
    for (logical_id, resource) in resources {
        if resource_member(resource, "Type").and_then(Value::as_str) != Some("AWS::Logs::LogGroup")
        {
            continue;
        }
        let Some(written) = resource_member(resource, "Properties")
            .and_then(|properties| properties.get("LogGroupName"))
        else {
            continue;
        };
        let Some(name) = crate::generate::policy_size::known_text(scope, written) else {
            continue;
        };
        let declared = NamedLogGroup {
            owner: logical_id,
            condition: resource_member(resource, "Condition"),
            name,
            written: written.is_string(),
        };
        for log_group in generated
            .iter()
            .filter(|log_group| log_group.name == declared.name && log_group.may_coexist(&declared))
        {
            problems.push(
                format!("Resources.{}", log_group.owner),
                format!(
                    "expands to {}, which Resources.{} (an AWS::Logs::LogGroup) also creates, and CloudWatch Logs keeps one log group of a name: set TaskFamily to another family (the log group is /aws/ecs/<family>), or rename that log group",
                    log_group.describe(),
                    declared.owner
                ),
            );
        }
    }
}
