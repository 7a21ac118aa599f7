//! Expanding a whole template: every Buildkite resource replaced, in its place, by what
//! it becomes, and every reference to it rewritten.

mod attributes;
pub mod composition;
pub mod conditions;
mod connectors;
mod function_named_ids;
pub mod globals;
mod join;
pub mod language_extensions;
mod log_group_names;
pub mod output;
mod reference_messages;
mod reference_targets;
pub mod references;
mod role_names;

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::expand::attributes::RESOURCE_KEYS;
use crate::expand::attributes::UNCARRIED_ATTRIBUTES;
use crate::expand::attributes::resource_attributes;
use crate::expand::composition::{RESOURCE_TYPES, is_buildkite_resource};
use crate::expand::conditions::{Branching, MAX_CONDITIONS, own_condition, resolve_map};
use crate::expand::globals::{
    GLOBALS_PATH, METADATA_GLOBALS_KEY, apply_globals, check_globals, check_globals_sections,
    remove_shared_properties, shared_properties,
};
use crate::expand::join::as_values;
use crate::expand::join::join_under_conditions;
use crate::expand::log_group_names::NamedLogGroup;
use crate::expand::log_group_names::check_log_group_names;
use crate::expand::log_group_names::log_group_name;
use crate::expand::log_group_names::log_group_written_out;
use crate::expand::output::ExpandedTemplate;
use crate::expand::output::Expansion;
use crate::expand::reference_targets::branching_of;
use crate::expand::reference_targets::reference_target;
use crate::expand::references::{ReferenceRewriter, ReferenceTarget};
use crate::generate::output_types::GeneratedResource;
use crate::generate::{GeneratedIds, generate};
use crate::properties::read_properties;
use crate::template::context::ExpansionContext;
use crate::template::place::Trail;
use crate::template::problems::{Problem, Problems, unknown_name_message};
use crate::template::scope::TemplateScope;
use crate::template::value::{resource_member, small_member};

/// CloudFormation's quota of resources in one stack.
pub const MAX_RESOURCES: usize = 500;

/// Summary of an expansion, for logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpansionSummary {
    pub buildkite_resources: usize,
    pub resources_out: usize,
}

/// Expands `template`, or returns every problem found in it.
pub fn expand(template: Value, context: &ExpansionContext) -> Result<Value, Problems> {
    expand_with_summary(template, context).map(|(template, _)| template.to_value())
}

/// As [`expand`], with how many resources were expanded and produced.
///
/// References to Buildkite resources are rewritten in the template as written, before its
/// properties are read, so that a problem in a reference names the place the user wrote and
/// the generated resources, built from rewritten values, need no second walk.
pub fn expand_with_summary(
    template: Value,
    context: &ExpansionContext,
) -> Result<(ExpandedTemplate, ExpansionSummary), Problems> {
    let mut problems = Problems::new();
    let Value::Object(mut root) = template else {
        problems.push("Template", "must be an object with a Resources section");
        return Err(problems);
    };
    crate::expand::composition::check_composition(&root, &mut problems);
    let empty = Map::new();
    let resources = match root.get("Resources") {
        None => &empty,
        Some(Value::Object(resources)) => resources,
        Some(_) => {
            problems.push("Resources", "must be an object of resources");
            return Err(problems);
        }
    };
    check_resource_types(resources, &mut problems);
    check_globals_sections(&root, &mut problems);
    let shared_section = shared_properties(&root);
    let globals_path = shared_section.map_or(GLOBALS_PATH, |(path, _)| path);
    let globals_sound = match shared_section {
        Some((path, globals)) => check_globals(globals, path, &mut problems).is_some(),
        None if buildkite_resources(resources).next().is_none() => {
            let summary = ExpansionSummary {
                buildkite_resources: 0,
                resources_out: resources.len(),
            };
            let template = ExpandedTemplate {
                root,
                expansions: Vec::new(),
                resources_out: summary.resources_out,
                notes: Vec::new(),
            };
            return problems.into_result((template, summary));
        }
        None => false,
    };

    crate::expand::connectors::check_connectors(resources, &mut problems);
    // One for each Buildkite resource, in order.
    let targets: Vec<ReferenceTarget> = {
        let scope = TemplateScope {
            context,
            parameters: root.get("Parameters").and_then(Value::as_object),
            resources,
            mappings: root.get("Mappings").and_then(Value::as_object),
            conditions: root.get("Conditions").and_then(Value::as_object),
        };
        let globals = sound_globals(&root, globals_sound);
        let known_conditions = root.get("Conditions").and_then(Value::as_object);
        buildkite_resources(resources)
            .map(|(id, resource)| {
                reference_target(
                    id,
                    resource,
                    globals,
                    globals_path,
                    known_conditions,
                    &scope,
                )
            })
            .collect()
    };
    let resources_out = resources.len() - targets.len()
        + targets
            .iter()
            .map(|target| target.ids.all().count())
            .sum::<usize>();
    if resources_out > MAX_RESOURCES {
        problems.push(
            "Resources",
            format!("the expanded template has {resources_out} resources, over the {MAX_RESOURCES} CloudFormation allows in one stack"),
        );
        return Err(problems);
    }

    let targets_by_name: HashMap<&str, &ReferenceTarget> = targets
        .iter()
        .map(|target| (target.ids.logical_id(), target))
        .collect();
    // The parameters are read while the rest is rewritten: lent out, and put back in place.
    let parameters = root.get_mut("Parameters").map(std::mem::take);
    let parameter_scope = TemplateScope::new(
        context,
        parameters.as_ref().and_then(Value::as_object),
        &empty,
    );
    rewrite_references(&mut root, &targets_by_name, &parameter_scope, &mut problems);
    if let Some(parameters) = parameters {
        root.insert("Parameters".to_owned(), parameters);
    }

    let resources = match root.get("Resources") {
        Some(Value::Object(resources)) => resources,
        _ => &empty,
    };
    let globals = sound_globals(&root, globals_sound);
    let parameters = root.get("Parameters").and_then(Value::as_object);
    let known_conditions = root.get("Conditions").and_then(Value::as_object);
    let scope = TemplateScope {
        context,
        parameters,
        resources,
        mappings: root.get("Mappings").and_then(Value::as_object),
        conditions: known_conditions,
    };
    let taken =
        |id: &str| resources.contains_key(id) || parameters.is_some_and(|p| p.contains_key(id));
    let shared = SharedInputs {
        scope: &scope,
        globals,
        globals_path,
        known_conditions,
        any_fn_if: targets.iter().any(|target| target.meets_fn_if),
    };
    let mut expansions: Vec<Expansion> = Vec::new();
    let mut log_groups: Vec<NamedLogGroup> = Vec::new();
    // The resources as rewritten, in the order of their targets: rewriting changes no `Type`.
    for ((logical_id, resource), target) in buildkite_resources(resources).zip(&targets) {
        let ids = &target.ids;
        // Two Buildkite resources never expand to one ID: none of the generated IDs' suffixes
        // ends another (`GeneratedIds`).
        for generated_id in ids.all().filter(|id| taken(id)) {
            problems.push(
                format!("Resources.{logical_id}"),
                format!(
                    "expands to {generated_id}, which the template already has; rename one of them"
                ),
            );
        }
        if let Some(expansion) = expand_resource(logical_id, resource, ids, &shared, &mut problems)
        {
            if let Some(name) = &expansion.log_group_name {
                log_groups.push(NamedLogGroup {
                    owner: logical_id,
                    condition: resource_member(resource, "Condition"),
                    name: name.clone(),
                    written: log_group_written_out(&expansion, ids),
                });
            }
            expansions.push(expansion);
        }
    }
    check_log_group_names(&log_groups, resources, &scope, &mut problems);
    crate::generate::run_policy::check_outputs(
        &root,
        targets.iter().filter_map(|target| {
            let run_policy = target.ids.run_policy.as_deref()?;
            Some((target.ids.logical_id(), run_policy))
        }),
        &mut problems,
    );
    let notes = problems.take_notes();
    if !problems.is_empty() {
        return Err(problems);
    }
    let summary = ExpansionSummary {
        buildkite_resources: targets.len(),
        resources_out,
    };

    add_conditions(&mut root, &expansions);
    crate::generate::run_policy::add_outputs(
        &mut root,
        expansions
            .iter()
            .zip(&targets)
            .flat_map(|(expansion, target)| {
                let run_policy = target.ids.run_policy.as_deref();
                expansion
                    .resources
                    .iter()
                    .filter(move |(id, _)| Some(id.as_str()) == run_policy)
                    .map(|(id, resource)| (id.as_str(), resource.condition().cloned()))
            }),
    );
    remove_shared_properties(&mut root);
    let template = ExpandedTemplate {
        root,
        expansions,
        resources_out,
        notes,
    };
    Ok((template, summary))
}

/// Rewrites every reference to a Buildkite resource, where it is written: in the resources
/// (Buildkite ones included), `Globals` and `Outputs`.
fn rewrite_references(
    root: &mut Map<String, Value>,
    targets: &HashMap<&str, &ReferenceTarget>,
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) {
    let mut rewriter = ReferenceRewriter::new(targets, problems).with_scope(scope);
    if let Some(Value::Object(resources)) = root.get_mut("Resources") {
        let section = Trail::start("Resources");
        for (logical_id, resource) in resources.iter_mut() {
            rewriter.rewrite_resources_entry(logical_id, resource, &section.key(logical_id));
        }
    }
    for section in ["Globals", "Outputs"] {
        if let Some(value) = root.get_mut(section) {
            rewriter.rewrite(value, &Trail::start(section));
        }
    }
    if let Some(shared) = root
        .get_mut("Metadata")
        .and_then(|metadata| metadata.get_mut(METADATA_GLOBALS_KEY))
    {
        rewriter.rewrite(shared, &Trail::start("Metadata").key(METADATA_GLOBALS_KEY));
    }
}

/// Adds the conditions made for generated resources that exist on some branches only.
fn add_conditions(root: &mut Map<String, Value>, expansions: &[Expansion]) {
    let mut new_conditions = expansions
        .iter()
        .flat_map(|expansion| expansion.conditions.iter().cloned())
        .peekable();
    if new_conditions.peek().is_none() {
        return;
    }
    let conditions = root
        .entry("Conditions")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(conditions) = conditions {
        conditions.extend(new_conditions);
    }
}

/// The globals every Buildkite resource takes, once checked: none when their keys are wrong.
fn sound_globals(root: &Map<String, Value>, sound: bool) -> Option<&Map<String, Value>> {
    shared_properties(root)
        .and_then(|(_, globals)| globals.as_object())
        .filter(|_| sound)
}

/// The Buildkite resources of `resources`, in order.
fn buildkite_resources(resources: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    resources
        .iter()
        .filter(|(_, resource)| is_buildkite_resource(resource))
}

/// A type in the `Buildkite::` namespace that the macro does not know is a typo.
fn check_resource_types(resources: &Map<String, Value>, problems: &mut Problems) {
    for (logical_id, resource) in resources {
        let Some(resource_type) = resource_member(resource, "Type").and_then(Value::as_str) else {
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

/// What the expansion of every Buildkite resource reads of the template around it.
struct SharedInputs<'t> {
    scope: &'t TemplateScope<'t>,
    /// The shared properties (`Globals.TaskDefinition` or its `Metadata` twin), when sound.
    globals: Option<&'t Map<String, Value>>,
    /// Where they are written, for the places of their problems.
    globals_path: &'static str,
    known_conditions: Option<&'t Map<String, Value>>,
    /// Whether any Buildkite resource's properties, or the globals, hold an `Fn::If` as
    /// written: where none does, no rewritten reference brought one, and none is looked for.
    any_fn_if: bool,
}

fn expand_resource(
    logical_id: &str,
    resource: &Value,
    ids: &GeneratedIds,
    shared: &SharedInputs<'_>,
    problems: &mut Problems,
) -> Option<Expansion> {
    let SharedInputs {
        scope,
        globals,
        globals_path,
        known_conditions,
        any_fn_if,
    } = *shared;
    // The places of its problems: `Resources.X.Properties`, and `Resources.X` at its start.
    let properties_path = ["Resources.", logical_id, ".Properties"].concat();
    let path = &properties_path[..properties_path.len() - ".Properties".len()];
    let Some(resource) = resource.as_object() else {
        problems.push(path, "must be an object");
        return None;
    };
    if !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) || logical_id.len() > 240 {
        problems.push(path, "a logical ID is letters and digits only (A-Z, a-z, 0-9), at most 240 of them here so that the generated IDs fit");
    }
    for key in resource.keys() {
        if RESOURCE_KEYS.contains(&key.as_str()) {
            continue;
        }
        let message = if key == "Connectors" {
            "SAM's embedded connectors are for SAM's own resources; this one becomes a task definition and roles, which no SAM connector takes: give the task role the access with TaskRolePolicies instead".to_owned()
        } else if UNCARRIED_ATTRIBUTES.contains(&key.as_str()) {
            format!(
                "{key} applies to none of the resources this expands to (a task definition, a log group and IAM roles)"
            )
        } else {
            unknown_name_message("resource attribute", key, &RESOURCE_KEYS)
        };
        problems.push(format!("{path}.{key}"), message);
    }
    let empty = Map::new();
    let own = match small_member(resource, "Properties") {
        None | Some(Value::Null) => Some(&empty),
        Some(value @ Value::Object(own)) if !crate::template::value::is_intrinsic(value) => {
            Some(own)
        }
        Some(value) if crate::template::value::intrinsic_name(value) == Some("Fn::If") => {
            problems.push(
                &properties_path,
                "must be an object of properties: write the Fn::If on each property that differs",
            );
            None
        }
        Some(_) => {
            problems.push(&properties_path, "must be an object of properties");
            None
        }
    };
    let attributes = resource_attributes(resource, path, known_conditions, scope.context, problems);
    // Properties that cannot be read are one problem, not also each required one missing.
    let own = own?;
    let branching = if any_fn_if {
        branching_of(
            own,
            &properties_path,
            globals,
            globals_path,
            known_conditions,
            problems,
        )
    } else {
        Branching::default()
    };
    if branching.conditions.len() > MAX_CONDITIONS {
        problems.push(
            &properties_path,
            format!(
                "branches on {} conditions ({}), and the macro expands every combination of them: at most {MAX_CONDITIONS} in one resource; split it into resources under the resource's own Condition, or use one condition for what goes together",
                branching.conditions.len(),
                branching.conditions.join(", ")
            ),
        );
        return None;
    }
    // Each combination of the conditions is read and generated as a template without them.
    // Where the resource's own Condition does not hold, the resource does not exist: that
    // combination is the one where it holds, so nothing branches on it (its false side would
    // give a generated resource a condition that never holds) and a problem there says so.
    let own_false_bit = own_condition(small_member(resource, "Condition"), known_conditions)
        .and_then(|condition| branching.false_bit(condition));
    // What each combination generates: where nothing branches, the one set of typed resources
    // (`typed`, written as they are); else each combination's as values, to be joined.
    let mut typed: Option<Vec<(String, GeneratedResource)>> = None;
    let mut outputs: Vec<Option<Vec<(String, Value)>>> = Vec::new();
    let mut found: Vec<(Problem, Vec<usize>)> = Vec::new();
    let mut found_at: HashMap<Problem, usize> = HashMap::new();
    for (index, assignment) in branching.assignments().enumerate() {
        if let Some(bit) = own_false_bit.filter(|bit| index & bit != 0) {
            outputs.push(outputs[index & !bit].clone());
            continue;
        }
        let own = resolve_map(own, &assignment);
        let globals = globals.map(|globals| resolve_map(globals, &assignment));
        let inputs = apply_globals(&own, &properties_path, globals.as_deref(), globals_path);
        let mut branch_problems = Problems::new();
        let properties = read_properties(
            logical_id,
            &properties_path,
            &inputs,
            scope,
            &mut branch_problems,
        );
        for note in branch_problems.take_notes() {
            problems.note(note.path, note.message);
        }
        for problem in branch_problems.iter() {
            match found_at.get(problem) {
                Some(&at) => found[at].1.push(index),
                None => {
                    found_at.insert(problem.clone(), found.len());
                    found.push((problem.clone(), vec![index]));
                }
            }
        }
        if let Some(properties) = properties.filter(|_| branch_problems.is_empty()) {
            let generates = (
                properties.task_role_arn.is_none(),
                properties.execution_role_arn.is_none(),
                properties.run_policy,
            );
            // Almost always the resources counted and named from the properties as written:
            // those IDs are used, not made again.
            let branch_ids = if generates == roles_and_policy_generated(ids) {
                Cow::Borrowed(ids)
            } else {
                Cow::Owned(
                    GeneratedIds::new(logical_id, generates.0)
                        .generating_execution_role(generates.1)
                        .generating_run_policy(generates.2),
                )
            };
            if !branch_ids
                .all()
                .all(|id| ids.all().any(|known| known == id))
            {
                // The resources were counted and named from the properties as written; a
                // reference rewritten since can differ only where it names a resource that is
                // refused itself (its role, say, left as written). Never written out unsure.
                problems.push(
                    &properties_path,
                    "refers to another Buildkite resource that is refused, and cannot be expanded until that one is fixed",
                );
                outputs.push(None);
                continue;
            }
            let generated = generate(&branch_ids, properties, &attributes);
            if branching.conditions.is_empty() {
                typed = Some(generated);
            } else {
                outputs.push(Some(as_values(generated)));
            }
        } else {
            outputs.push(None);
        }
    }
    for (problem, indexes) in found {
        let when = branching.when(&indexes);
        problems.push(problem.path, format!("{}{when}", problem.message));
    }
    // A problem anywhere fails the expansion: build nothing more. (A global value's problem is
    // reported once, so it would not show as this resource's.)
    if !problems.is_empty() {
        return None;
    }
    let (resources, conditions) = match typed {
        Some(resources) => (resources, Vec::new()),
        None => {
            let outputs = outputs.into_iter().collect::<Option<Vec<_>>>()?;
            join_under_conditions(
                &branching,
                outputs,
                &attributes,
                path,
                known_conditions,
                problems,
            )?
        }
    };
    // What CloudFormation will name the log group, where the request and the template tell it.
    let log_group_name = (resources.iter())
        .find(|(id, _)| *id == ids.log_group)
        .and_then(|(_, log_group)| log_group_name(log_group))
        .and_then(|name| crate::generate::policy_size::known_text(scope, name));
    let before = problems.len();
    let known = crate::generate::policy_size::KnownValues::new(
        scope,
        &ids.log_group,
        log_group_name.as_deref(),
    );
    crate::generate::policy_size::check_role_policy_sizes(logical_id, &resources, &known, problems);
    crate::generate::task_definition_size::check_task_definition_size(
        logical_id, &resources, &known, problems,
    );
    if problems.len() > before {
        return None;
    }
    Some(Expansion {
        resources,
        conditions,
        log_group_name,
    })
}

/// Whether `ids` has a task role, an execution role and a run policy generated.
fn roles_and_policy_generated(ids: &GeneratedIds) -> (bool, bool, bool) {
    (
        ids.task_role.is_some(),
        ids.execution_role.is_some(),
        ids.run_policy.is_some(),
    )
}
