//! The resource attributes of a Buildkite resource: which are carried to what it becomes,
//! and the checks on `Condition`, `DeletionPolicy` and `UpdateReplacePolicy`.

use crate::generate::ResourceAttributes;
use crate::template::context::ExpansionContext;
use crate::template::problems::Problems;
use crate::template::problems::unknown_name_message;
use crate::template::value::small_member;
use serde_json::{Map, Value};

pub(crate) fn resource_attributes(
    resource: &Map<String, Value>,
    path: &str,
    known_conditions: Option<&Map<String, Value>>,
    context: &ExpansionContext,
    problems: &mut Problems,
) -> ResourceAttributes {
    let mut attributes = ResourceAttributes::default();
    for name in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(value) = small_member(resource, name) {
            if name == "Condition" {
                check_condition_attribute(
                    value,
                    &crate::template::problems::member_path(path, name),
                    known_conditions,
                    problems,
                );
            } else {
                check_policy_attribute(
                    name,
                    value,
                    &crate::template::problems::member_path(path, name),
                    context,
                    problems,
                );
            }
            attributes.shared.insert(name.to_owned(), value.clone());
        }
    }
    for name in ["DependsOn", "Metadata"] {
        if let Some(value) = small_member(resource, name) {
            attributes
                .task_definition_only
                .insert(name.to_owned(), value.clone());
        }
    }
    attributes
}

/// A resource's `Condition` is the name of a condition the template declares, as
/// CloudFormation requires; every generated resource carries it, and a generated condition
/// may name it.
pub(crate) fn check_condition_attribute(
    value: &Value,
    path: &str,
    known_conditions: Option<&Map<String, Value>>,
    problems: &mut Problems,
) {
    match value.as_str() {
        Some(name) if known_conditions.is_some_and(|known| known.contains_key(name)) => {}
        Some(name) => {
            let declared: Vec<&str> = known_conditions
                .into_iter()
                .flat_map(|known| known.keys().map(String::as_str))
                .collect();
            let hint = crate::template::problems::nearest(name, &declared)
                .map(|nearest| format!("; did you mean {nearest}?"))
                .unwrap_or_default();
            problems.push(
                path,
                format!("names condition {name}, which the template's Conditions section does not declare{hint}"),
            );
        }
        None => problems.push(
            path,
            "must be the name of a condition the template's Conditions section declares",
        ),
    }
}

/// `DeletionPolicy` and `UpdateReplacePolicy` values as CloudFormation takes them for every
/// generated type: `Snapshot` applies to none of them, and `RetainExceptOnCreate` is a
/// `DeletionPolicy` value only. A function there needs `AWS::LanguageExtensions` after the
/// macro; only `expand` knows the Transform list, so the Lambda carries it as written.
pub(crate) fn check_policy_attribute(
    name: &str,
    value: &Value,
    path: &str,
    context: &ExpansionContext,
    problems: &mut Problems,
) {
    let policies: &[&str] = if name == "DeletionPolicy" {
        &["Delete", "Retain", "RetainExceptOnCreate"]
    } else {
        &["Delete", "Retain"]
    };
    let listed = match policies {
        [one, two] => format!("{one} or {two}"),
        _ => "Delete, Retain or RetainExceptOnCreate".to_owned(),
    };
    match value.as_str() {
        Some(policy) if policies.contains(&policy) => {}
        Some("Snapshot") => problems.push(
            path,
            format!("Snapshot applies to none of the generated resources (a task definition, a log group and IAM roles); use {listed}"),
        ),
        Some("RetainExceptOnCreate") => problems.push(
            path,
            format!("RetainExceptOnCreate is a DeletionPolicy value only; {name} takes {listed}"),
        ),
        Some(policy) => problems.push(path, unknown_name_message("policy", policy, policies)),
        None if crate::template::value::is_intrinsic(value) => {
            if context.language_extensions_after == Some(false) {
                problems.push(
                    path,
                    format!("CloudFormation takes a function in {name} only when the template's Transform lists AWS::LanguageExtensions after this macro; add it there, or write {listed}"),
                );
            }
        }
        None => problems.push(path, format!("must be {listed}")),
    }
}

/// CloudFormation resource attributes that no generated type takes.
pub(crate) const UNCARRIED_ATTRIBUTES: [&str; 2] = ["CreationPolicy", "UpdatePolicy"];

pub(crate) const RESOURCE_KEYS: [&str; 7] = [
    "Type",
    "Properties",
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
];
