//! Expanding a whole template: every Buildkite resource replaced, in its place, by what
//! it becomes, and every reference to it rewritten.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::ExpansionContext;
use crate::generate::{GeneratedIds, ResourceAttributes, generate};
use crate::globals::{apply_globals, check_globals};
use crate::problems::{Problems, unknown_name_message};
use crate::properties::{TaskDefinitionProperties, read_properties};
use crate::references::{ReferenceRewriter, ReferenceTarget};
use crate::value::TemplateScope;

/// The resource types the macro expands; `Buildkite::ECS::Agent` is the first release's name.
pub const RESOURCE_TYPES: [&str; 2] = ["Buildkite::ECS::TaskDefinition", "Buildkite::ECS::Agent"];

/// CloudFormation's quota of resources in one stack.
pub const MAX_RESOURCES: usize = 500;

/// CloudFormation resource attributes that no generated type takes.
const UNCARRIED_ATTRIBUTES: [&str; 2] = ["CreationPolicy", "UpdatePolicy"];

const RESOURCE_KEYS: [&str; 7] = [
    "Type",
    "Properties",
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
];

/// One Buildkite resource, ready to be put in its place.
struct Expansion {
    logical_id: String,
    resources: Vec<(String, Value)>,
}

/// Summary of an expansion, for logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpansionSummary {
    pub buildkite_resources: usize,
    pub resources_out: usize,
}

/// Expands `template`, or returns every problem found in it.
pub fn expand(template: Value, context: &ExpansionContext) -> Result<Value, Problems> {
    expand_with_summary(template, context).map(|(template, _)| template)
}

/// As [`expand`], with how many resources were expanded and produced.
pub fn expand_with_summary(
    template: Value,
    context: &ExpansionContext,
) -> Result<(Value, ExpansionSummary), Problems> {
    let mut problems = Problems::new();
    let Value::Object(mut root) = template else {
        problems.push("Template", "must be an object with a Resources section");
        return Err(problems);
    };
    let empty = Map::new();
    let resources = match root.get("Resources") {
        None => &empty,
        Some(Value::Object(resources)) => resources,
        Some(_) => {
            problems.push("Resources", "must be an object of resources");
            return Err(problems);
        }
    };
    let buildkite_ids: Vec<&String> = resources
        .iter()
        .filter(|(_, resource)| is_buildkite_resource(resource))
        .map(|(id, _)| id)
        .collect();
    check_resource_types(resources, &mut problems);
    let globals_value = root
        .get("Globals")
        .and_then(|globals| globals.get("TaskDefinition"));
    if buildkite_ids.is_empty() && globals_value.is_none() {
        let summary = ExpansionSummary {
            buildkite_resources: 0,
            resources_out: resources.len(),
        };
        return problems.into_result((Value::Object(root), summary));
    }
    let globals = globals_value.and_then(|globals| check_globals(globals, &mut problems));

    let parameters = root.get("Parameters").and_then(Value::as_object);
    let scope = TemplateScope {
        context,
        parameters,
        resources,
    };
    let mut taken: HashSet<&str> = resources.keys().map(String::as_str).collect();
    taken.extend(
        parameters
            .into_iter()
            .flat_map(|p| p.keys().map(String::as_str)),
    );
    let mut generated_ids: HashMap<String, String> = HashMap::new();
    let mut expansions = Vec::new();
    let mut targets = HashMap::new();
    for logical_id in &buildkite_ids {
        let resource = &resources[logical_id.as_str()];
        let Some((expansion, target)) =
            expand_resource(logical_id, resource, globals, &scope, &mut problems)
        else {
            continue;
        };
        for (generated_id, _) in &expansion.resources {
            if taken.contains(generated_id.as_str()) {
                problems.push(
                    format!("Resources.{logical_id}"),
                    format!("expands to {generated_id}, which the template already has; rename one of them"),
                );
            } else if let Some(first) =
                generated_ids.insert(generated_id.clone(), logical_id.to_string())
            {
                problems.push(
                    format!("Resources.{logical_id}"),
                    format!(
                        "expands to {generated_id}, as Resources.{first} does; rename one of them"
                    ),
                );
            }
        }
        targets.insert(logical_id.to_string(), target);
        expansions.push(expansion);
    }
    let resources_out = resources.len() - buildkite_ids.len()
        + expansions.iter().map(|e| e.resources.len()).sum::<usize>();
    if resources_out > MAX_RESOURCES && problems.is_empty() {
        problems.push(
            "Resources",
            format!("the expanded template has {resources_out} resources, over the {MAX_RESOURCES} CloudFormation allows in one stack"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let summary = ExpansionSummary {
        buildkite_resources: buildkite_ids.len(),
        resources_out,
    };

    let mut expanded_resources = Map::with_capacity(resources_out);
    let mut expansions = expansions.into_iter().peekable();
    let input_resources = match root.get_mut("Resources") {
        Some(Value::Object(resources)) => std::mem::take(resources),
        _ => Map::new(),
    };
    for (logical_id, resource) in input_resources {
        match expansions.next_if(|expansion| expansion.logical_id == logical_id) {
            Some(expansion) => expanded_resources.extend(expansion.resources),
            None => {
                expanded_resources.insert(logical_id, resource);
            }
        }
    }
    let mut rewriter = ReferenceRewriter::new(&targets, &mut problems);
    let mut path = String::from("Resources");
    for (logical_id, resource) in expanded_resources.iter_mut() {
        path.truncate("Resources".len());
        path.push('.');
        path.push_str(logical_id);
        rewriter.rewrite_resource(resource, &mut path);
    }
    remove_task_definition_globals(&mut root);
    for section in ["Outputs", "Globals"] {
        if let Some(value) = root.get_mut(section) {
            rewriter.rewrite(value, &mut section.to_owned());
        }
    }
    if let Some(resources) = root.get_mut("Resources") {
        *resources = Value::Object(expanded_resources);
    }
    problems.into_result((Value::Object(root), summary))
}

fn is_buildkite_resource(resource: &Value) -> bool {
    resource
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|resource_type| RESOURCE_TYPES.contains(&resource_type))
}

/// A type in the `Buildkite::` namespace that the macro does not know is a typo.
fn check_resource_types(resources: &Map<String, Value>, problems: &mut Problems) {
    for (logical_id, resource) in resources {
        let Some(resource_type) = resource.get("Type").and_then(Value::as_str) else {
            continue;
        };
        if resource_type.starts_with("Buildkite::") && !RESOURCE_TYPES.contains(&resource_type) {
            problems.push(
                format!("Resources.{logical_id}.Type"),
                unknown_name_message("resource type", resource_type, &RESOURCE_TYPES),
            );
        }
    }
}

fn expand_resource(
    logical_id: &str,
    resource: &Value,
    globals: Option<&Map<String, Value>>,
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) -> Option<(Expansion, ReferenceTarget)> {
    let path = format!("Resources.{logical_id}");
    let before = problems.len();
    let Some(resource) = resource.as_object() else {
        problems.push(&path, "must be an object");
        return None;
    };
    if !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) || logical_id.len() > 240 {
        problems.push(&path, "a logical ID is letters and digits only (A-Z, a-z, 0-9), at most 240 of them here so that the generated IDs fit");
    }
    for key in resource.keys() {
        if RESOURCE_KEYS.contains(&key.as_str()) {
            continue;
        }
        let message = if UNCARRIED_ATTRIBUTES.contains(&key.as_str()) {
            format!(
                "{key} applies to none of the resources this expands to (a task definition, a log group and IAM roles)"
            )
        } else {
            unknown_name_message("resource attribute", key, &RESOURCE_KEYS)
        };
        problems.push(format!("{path}.{key}"), message);
    }
    let properties_path = format!("{path}.Properties");
    let empty = Map::new();
    let own = match resource.get("Properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(own)) if !crate::value::is_intrinsic(&resource["Properties"]) => own,
        Some(_) => {
            problems.push(&properties_path, "must be an object of properties");
            &empty
        }
    };
    let attributes = resource_attributes(resource, &path, problems);
    let inputs = apply_globals(own, &properties_path, globals);
    let properties = read_properties(logical_id, &properties_path, &inputs, scope, problems);
    if problems.len() > before {
        return None;
    }
    let properties: TaskDefinitionProperties = properties?;
    let ids = GeneratedIds::new(logical_id, properties.task_role_arn.is_none());
    let target = ReferenceTarget {
        task_definition: ids.task_definition.clone(),
        log_group: ids.log_group.clone(),
        execution_role: ids.execution_role.clone(),
        task_role_arn: match &ids.task_role {
            Some(task_role) => serde_json::json!({"Fn::GetAtt": [task_role, "Arn"]}),
            None => properties.task_role_arn.clone().unwrap_or_default(),
        },
        family: properties.family.clone(),
    };
    let resources = generate(&ids, &properties, &attributes);
    Some((
        Expansion {
            logical_id: logical_id.to_owned(),
            resources,
        },
        target,
    ))
}

fn resource_attributes(
    resource: &Map<String, Value>,
    path: &str,
    problems: &mut Problems,
) -> ResourceAttributes {
    let mut attributes = ResourceAttributes::default();
    for name in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(value) = resource.get(name) {
            if name != "Condition" {
                check_policy_attribute(value, &format!("{path}.{name}"), problems);
            }
            attributes.shared.insert(name.to_owned(), value.clone());
        }
    }
    for name in ["DependsOn", "Metadata"] {
        if let Some(value) = resource.get(name) {
            attributes
                .task_definition_only
                .insert(name.to_owned(), value.clone());
        }
    }
    attributes
}

/// `DeletionPolicy` and `UpdateReplacePolicy` values that apply to every generated type
/// (`Snapshot` applies to none of them).
fn check_policy_attribute(value: &Value, path: &str, problems: &mut Problems) {
    const POLICIES: [&str; 3] = ["Delete", "Retain", "RetainExceptOnCreate"];
    match value.as_str() {
        Some(policy) if POLICIES.contains(&policy) => {}
        Some("Snapshot") => problems.push(
            path,
            "Snapshot applies to none of the generated resources; use Delete, Retain or RetainExceptOnCreate",
        ),
        Some(policy) => problems.push(path, unknown_name_message("policy", policy, &POLICIES)),
        None if crate::value::is_intrinsic(value) => {}
        None => problems.push(path, "must be Delete, Retain or RetainExceptOnCreate"),
    }
}

/// Removes `Globals.TaskDefinition`, and `Globals` if that leaves it empty, so that a
/// later `AWS::Serverless-2016-10-31` sees only the globals it knows.
fn remove_task_definition_globals(root: &mut Map<String, Value>) {
    let Some(Value::Object(globals)) = root.get_mut("Globals") else {
        return;
    };
    globals.shift_remove("TaskDefinition");
    if globals.is_empty() {
        root.shift_remove("Globals");
    }
}
