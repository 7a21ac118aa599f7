//! Expanding a whole template: every Buildkite resource replaced, in its place, by what
//! it becomes, and every reference to it rewritten.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::ExpansionContext;
use crate::generate::{GeneratedIds, ResourceAttributes, generate};
use crate::globals::{apply_globals, check_globals};
use crate::model::TaskDefinitionProperties;
use crate::problems::{Problems, unknown_name_message};
use crate::properties::read_properties;
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
///
/// References to Buildkite resources are rewritten in the template as written, before its
/// properties are read, so that a problem in a reference names the place the user wrote and
/// the generated resources, built from rewritten values, need no second walk.
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
    let buildkite_ids: Vec<String> = resources
        .iter()
        .filter(|(_, resource)| is_buildkite_resource(resource))
        .map(|(id, _)| id.clone())
        .collect();
    check_resource_types(resources, &mut problems);
    let globals_sound = match task_definition_globals(&root) {
        Some(globals) => check_globals(globals, &mut problems).is_some(),
        None if buildkite_ids.is_empty() => {
            let summary = ExpansionSummary {
                buildkite_resources: 0,
                resources_out: resources.len(),
            };
            return problems.into_result((Value::Object(root), summary));
        }
        None => false,
    };

    let targets: HashMap<String, ReferenceTarget> = {
        let scope = TemplateScope {
            context,
            parameters: root.get("Parameters").and_then(Value::as_object),
            resources,
        };
        let globals = sound_globals(&root, globals_sound);
        buildkite_ids
            .iter()
            .map(|id| {
                let target = reference_target(id, &resources[id.as_str()], globals, &scope);
                (id.clone(), target)
            })
            .collect()
    };
    let resources_out = resources.len() - buildkite_ids.len()
        + targets
            .values()
            .map(|target| target.ids.all().count())
            .sum::<usize>();
    if resources_out > MAX_RESOURCES {
        problems.push(
            "Resources",
            format!("the expanded template has {resources_out} resources, over the {MAX_RESOURCES} CloudFormation allows in one stack"),
        );
        return Err(problems);
    }

    rewrite_references(&mut root, &targets, &mut problems);

    let resources = match root.get("Resources") {
        Some(Value::Object(resources)) => resources,
        _ => &empty,
    };
    let globals = sound_globals(&root, globals_sound);
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
    let mut generated_ids: HashMap<&str, &str> = HashMap::new();
    let mut expansions = Vec::new();
    for logical_id in &buildkite_ids {
        let ids = &targets[logical_id].ids;
        for generated_id in ids.all() {
            if taken.contains(generated_id) {
                problems.push(
                    format!("Resources.{logical_id}"),
                    format!("expands to {generated_id}, which the template already has; rename one of them"),
                );
            } else if let Some(first) = generated_ids.insert(generated_id, logical_id) {
                problems.push(
                    format!("Resources.{logical_id}"),
                    format!(
                        "expands to {generated_id}, as Resources.{first} does; rename one of them"
                    ),
                );
            }
        }
        let resource = &resources[logical_id.as_str()];
        if let Some(expansion) =
            expand_resource(logical_id, resource, ids, globals, &scope, &mut problems)
        {
            expansions.push(expansion);
        }
    }
    crate::run_policy::check_outputs(
        &root,
        buildkite_ids.iter().filter_map(|id| {
            let run_policy = targets[id].ids.run_policy.as_deref()?;
            Some((id.as_str(), run_policy))
        }),
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    let summary = ExpansionSummary {
        buildkite_resources: buildkite_ids.len(),
        resources_out,
    };

    put_in_place(&mut root, expansions, resources_out);
    crate::run_policy::add_outputs(
        &mut root,
        buildkite_ids
            .iter()
            .filter_map(|id| targets[id].ids.run_policy.as_deref()),
    );
    remove_task_definition_globals(&mut root);
    Ok((Value::Object(root), summary))
}

/// Rewrites every reference to a Buildkite resource, where it is written: in the resources
/// (Buildkite ones included), `Globals` and `Outputs`.
fn rewrite_references(
    root: &mut Map<String, Value>,
    targets: &HashMap<String, ReferenceTarget>,
    problems: &mut Problems,
) {
    let mut rewriter = ReferenceRewriter::new(targets, problems);
    if let Some(Value::Object(resources)) = root.get_mut("Resources") {
        let mut path = String::from("Resources");
        for (logical_id, resource) in resources.iter_mut() {
            path.truncate("Resources".len());
            path.push('.');
            path.push_str(logical_id);
            rewriter.rewrite_resource(resource, &mut path);
        }
    }
    for section in ["Globals", "Outputs"] {
        if let Some(value) = root.get_mut(section) {
            rewriter.rewrite(value, &mut section.to_owned());
        }
    }
}

/// Replaces each Buildkite resource, in its place, by the resources it expands to.
fn put_in_place(root: &mut Map<String, Value>, expansions: Vec<Expansion>, resources_out: usize) {
    let Some(Value::Object(input_resources)) = root.get_mut("Resources") else {
        return;
    };
    let mut expanded_resources = Map::with_capacity(resources_out);
    let mut expansions = expansions.into_iter().peekable();
    for (logical_id, resource) in std::mem::take(input_resources) {
        match expansions.next_if(|expansion| expansion.logical_id == logical_id) {
            Some(expansion) => expanded_resources.extend(expansion.resources),
            None => {
                expanded_resources.insert(logical_id, resource);
            }
        }
    }
    *input_resources = expanded_resources;
}

fn task_definition_globals(root: &Map<String, Value>) -> Option<&Value> {
    root.get("Globals")?.get("TaskDefinition")
}

/// The globals every Buildkite resource takes, once checked: none when their keys are wrong.
fn sound_globals(root: &Map<String, Value>, sound: bool) -> Option<&Map<String, Value>> {
    task_definition_globals(root)
        .and_then(Value::as_object)
        .filter(|_| sound)
}

/// What references to Buildkite resource `logical_id` become, from its properties as written
/// (a `TaskRoleArn` of its own or of `Globals.TaskDefinition`, its `TaskFamily`). They are
/// checked later, with the rest; a resource with a problem there is not expanded anyway.
fn reference_target(
    logical_id: &str,
    resource: &Value,
    globals: Option<&Map<String, Value>>,
    scope: &TemplateScope<'_>,
) -> ReferenceTarget {
    let own = resource.get("Properties");
    let own_or_global = |name: &str| {
        own.and_then(|own| own.get(name))
            .or_else(|| globals.and_then(|globals| globals.get(name)))
    };
    let task_role_arn =
        own_or_global("TaskRoleArn").filter(|value| !scope.resolve(value).is_unset());
    let execution_role_arn =
        own_or_global("ExecutionRoleArn").filter(|value| !scope.resolve(value).is_unset());
    // Read as the property reader does; a value it refuses fails the expansion anyway.
    let run_policy =
        own_or_global("RunPolicy").is_some_and(|value| match scope.resolve(value).value() {
            Some(Value::Bool(flag)) => *flag,
            Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
            _ => false,
        });
    let ids = GeneratedIds::new(logical_id, task_role_arn.is_none())
        .generating_execution_role(execution_role_arn.is_none())
        .generating_run_policy(run_policy);
    ReferenceTarget {
        execution_role_arn: match &ids.execution_role {
            Some(execution_role) => serde_json::json!({"Fn::GetAtt": [execution_role, "Arn"]}),
            None => execution_role_arn.cloned().unwrap_or_default(),
        },
        task_role_arn: match &ids.task_role {
            Some(task_role) => serde_json::json!({"Fn::GetAtt": [task_role, "Arn"]}),
            None => task_role_arn.cloned().unwrap_or_default(),
        },
        family: own
            .and_then(|own| own.get("TaskFamily"))
            .cloned()
            .unwrap_or_else(|| Value::String(logical_id.to_ascii_lowercase())),
        ids,
    }
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
    ids: &GeneratedIds,
    globals: Option<&Map<String, Value>>,
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) -> Option<Expansion> {
    let path = format!("Resources.{logical_id}");
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
    // A problem anywhere fails the expansion: build nothing more. (A global value's problem is
    // reported once, so it would not show as this resource's.)
    if !problems.is_empty() {
        return None;
    }
    let properties: TaskDefinitionProperties = properties?;
    debug_assert_eq!(
        ids.task_role.is_none(),
        properties.task_role_arn.is_some(),
        "the reference target and the properties agree on the task role"
    );
    Some(Expansion {
        logical_id: logical_id.to_owned(),
        resources: generate(ids, &properties, &attributes),
    })
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
