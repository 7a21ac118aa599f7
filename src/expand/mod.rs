//! Expanding a whole template: every Buildkite resource replaced, in its place, by what
//! it becomes, and every reference to it rewritten.

pub mod composition;
pub mod conditions;
pub mod globals;
pub mod references;

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::ExpansionContext;
use crate::expand::conditions::{
    Branching, MAX_CONDITIONS, Presence, join_resources, join_values, resolve_map,
};
use crate::expand::globals::{GLOBALS_PATH, apply_globals, check_globals, check_globals_sections};
use crate::expand::references::{ReferenceRewriter, ReferenceTarget};
use crate::generate::output_types::GeneratedResource;
use crate::generate::{GeneratedIds, ResourceAttributes, generate};
use crate::properties::read_properties;
use crate::template::arn::get_att_arn;
use crate::template::place::Trail;
use crate::template::problems::{Problem, Problems, unknown_name_message};
use crate::template::scope::TemplateScope;
use crate::template::value::{resource_member, small_member};

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
#[derive(Debug)]
struct Expansion {
    resources: Vec<(String, GeneratedResource)>,
    /// Conditions made for generated resources that exist on some branches only.
    conditions: Vec<(String, Value)>,
    /// The name its log group will have, where known before the stack is deployed.
    log_group_name: Option<String>,
}

/// An expanded template: the template as written, less its Buildkite resources, and what each
/// of them expands to. Serialising it writes the generated resources, in place of theirs,
/// straight from their typed form.
#[derive(Debug)]
pub struct ExpandedTemplate {
    /// The template, its Buildkite resources still in `Resources` (never written).
    root: Map<String, Value>,
    /// One for each Buildkite resource in `Resources`, in their order.
    expansions: Vec<Expansion>,
    resources_out: usize,
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
struct ExpandedResources<'a>(&'a ExpandedTemplate, &'a Map<String, Value>);

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
    let globals_sound = match task_definition_globals(&root) {
        Some(globals) => check_globals(globals, &mut problems).is_some(),
        None if buildkite_resources(resources).next().is_none() => {
            let summary = ExpansionSummary {
                buildkite_resources: 0,
                resources_out: resources.len(),
            };
            let template = ExpandedTemplate {
                root,
                expansions: Vec::new(),
                resources_out: summary.resources_out,
            };
            return problems.into_result((template, summary));
        }
        None => false,
    };

    // One for each Buildkite resource, in order.
    let targets: Vec<ReferenceTarget> = {
        let scope = TemplateScope {
            context,
            parameters: root.get("Parameters").and_then(Value::as_object),
            resources,
        };
        let globals = sound_globals(&root, globals_sound);
        let known_conditions = root.get("Conditions").and_then(Value::as_object);
        buildkite_resources(resources)
            .map(|(id, resource)| reference_target(id, resource, globals, known_conditions, &scope))
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
    rewrite_references(&mut root, &targets_by_name, &mut problems);

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
    };
    let taken =
        |id: &str| resources.contains_key(id) || parameters.is_some_and(|p| p.contains_key(id));
    let shared = SharedInputs {
        scope: &scope,
        globals,
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
    remove_task_definition_globals(&mut root);
    let template = ExpandedTemplate {
        root,
        expansions,
        resources_out,
    };
    Ok((template, summary))
}

/// A log group the template will create under a name known before the stack is deployed.
struct NamedLogGroup<'t> {
    /// The logical ID of the resource that creates it (a Buildkite resource or a log group).
    owner: &'t str,
    /// The owner's `Condition`: it exists only where that holds.
    condition: Option<&'t Value>,
    name: String,
    /// Whether the name is written out in the template (else it comes from a parameter's
    /// value, never shown).
    written: bool,
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
fn log_group_written_out(expansion: &Expansion, ids: &GeneratedIds) -> bool {
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
fn check_log_group_names(
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

/// Rewrites every reference to a Buildkite resource, where it is written: in the resources
/// (Buildkite ones included), `Globals` and `Outputs`.
fn rewrite_references(
    root: &mut Map<String, Value>,
    targets: &HashMap<&str, &ReferenceTarget>,
    problems: &mut Problems,
) {
    let mut rewriter = ReferenceRewriter::new(targets, problems);
    if let Some(Value::Object(resources)) = root.get_mut("Resources") {
        let section = Trail::start("Resources");
        for (logical_id, resource) in resources.iter_mut() {
            rewriter.rewrite_resource(resource, &section.key(logical_id));
        }
    }
    for section in ["Globals", "Outputs"] {
        if let Some(value) = root.get_mut(section) {
            rewriter.rewrite(value, &Trail::start(section));
        }
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
/// (a `TaskRoleArn` of its own or of `Globals.TaskDefinition`, its `TaskFamily`), on each
/// branch of its conditions and joined under them. They are checked later, with the rest; a
/// resource with a problem there is not expanded anyway.
fn reference_target(
    logical_id: &str,
    resource: &Value,
    globals: Option<&Map<String, Value>>,
    known_conditions: Option<&Map<String, Value>>,
    scope: &TemplateScope<'_>,
) -> ReferenceTarget {
    let empty = Map::new();
    let own = resource_member(resource, "Properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Its problems are found and reported where the resource is expanded: none here, so no
    // place is written for them.
    let mut branching = branching_of(own, "", globals, known_conditions, &mut Problems::new());
    let meets_fn_if = branching.meets_fn_if;
    if branching.conditions.len() > MAX_CONDITIONS {
        // Refused later; one branch is enough to name the resources it would become.
        branching = Branching::default();
    }
    let own_false_bit = own_condition(resource_member(resource, "Condition"), known_conditions)
        .and_then(|condition| branching.false_bit(condition));
    // What each branch gives.
    let mut given: Vec<GivenValues> = Vec::new();
    let (mut generates_task_role, mut generates_execution_role) = (false, false);
    let mut generates_run_policy = false;
    for (index, assignment) in branching.assignments().enumerate() {
        if let Some(bit) = own_false_bit.filter(|bit| index & bit != 0) {
            // The resource does not exist here: as where its own condition holds.
            given.push(given[index & !bit].clone());
            continue;
        }
        let own = resolve_map(own, &assignment);
        let globals = globals.map(|globals| resolve_map(globals, &assignment));
        // Found by comparing names, as the property reader finds them: hashing each name
        // costs more than comparing it with the few properties a resource has.
        let own_or_global = |name: &str| {
            small_member(&own, name)
                .or_else(|| {
                    globals
                        .as_deref()
                        .and_then(|globals| small_member(globals, name))
                })
                .filter(|value| !scope.resolve(value).is_unset())
                .cloned()
        };
        let task_role_arn = own_or_global("TaskRoleArn");
        generates_task_role |= task_role_arn.is_none();
        let execution_role_arn = own_or_global("ExecutionRoleArn");
        generates_execution_role |= execution_role_arn.is_none();
        // Read as the property reader does; a value it refuses fails the expansion anyway.
        generates_run_policy |=
            own_or_global("RunPolicy").is_some_and(|value| match scope.resolve(&value).value() {
                Some(Value::Bool(flag)) => *flag,
                Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
                _ => false,
            });
        given.push(GivenValues {
            task_role_arn,
            execution_role_arn,
            family: small_member(&own, "TaskFamily").cloned(),
        });
    }
    ReferenceTarget {
        ids: GeneratedIds::new(logical_id, generates_task_role)
            .generating_execution_role(generates_execution_role)
            .generating_run_policy(generates_run_policy),
        task_role_arn: join_given(
            &branching,
            given.iter().map(|branch| &branch.task_role_arn),
            || get_att_arn(&[logical_id, "TaskRole"].concat()),
        ),
        execution_role_arn: join_given(
            &branching,
            given.iter().map(|branch| &branch.execution_role_arn),
            || get_att_arn(&[logical_id, "ExecutionRole"].concat()),
        ),
        family: join_given(
            &branching,
            given.iter().map(|branch| &branch.family),
            || Value::String(crate::properties::declarations::default_family(logical_id)),
        ),
        meets_fn_if,
    }
}

/// The values one branch of a reference target's conditions gives, as written: `None` where the
/// macro makes them (a generated role's ARN, the default family).
#[derive(Clone)]
struct GivenValues {
    task_role_arn: Option<Value>,
    execution_role_arn: Option<Value>,
    family: Option<Value>,
}

/// A value given on each branch (`None` where the macro makes it, as `made` does), joined under
/// the branches' conditions; `None` when no branch gives it, so that the made value is built
/// only where a reference asks for it.
fn join_given<'v>(
    branching: &Branching,
    given: impl Iterator<Item = &'v Option<Value>> + Clone,
    made: impl Fn() -> Value,
) -> Option<Value> {
    if given.clone().all(Option::is_none) {
        return None;
    }
    let values = given
        .map(|value| value.clone().unwrap_or_else(&made))
        .collect();
    Some(join_values(branching, values))
}

/// The conditions that the `Fn::If`s of a resource's properties and of the globals it takes
/// name, with a problem for each `Fn::If` the macro cannot branch on.
fn branching_of(
    own: &Map<String, Value>,
    properties_path: &str,
    globals: Option<&Map<String, Value>>,
    known_conditions: Option<&Map<String, Value>>,
    problems: &mut Problems,
) -> Branching {
    let mut branching = Branching::default();
    let properties = own.iter().map(|property| (properties_path, property));
    let global_properties = globals
        .into_iter()
        .flatten()
        .map(|property| (GLOBALS_PATH, property));
    for (parent, (name, value)) in properties.chain(global_properties) {
        let trail = Trail::start(parent);
        branching.collect(value, &trail.key(name), known_conditions, problems);
    }
    branching
}

/// The Buildkite resources of `resources`, in order.
fn buildkite_resources(resources: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    resources
        .iter()
        .filter(|(_, resource)| is_buildkite_resource(resource))
}

fn is_buildkite_resource(resource: &Value) -> bool {
    resource_member(resource, "Type")
        .and_then(Value::as_str)
        .is_some_and(|resource_type| RESOURCE_TYPES.contains(&resource_type))
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
    /// `Globals.TaskDefinition`, when sound.
    globals: Option<&'t Map<String, Value>>,
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
        let message = if UNCARRIED_ATTRIBUTES.contains(&key.as_str()) {
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
        branching_of(own, &properties_path, globals, known_conditions, problems)
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
        let inputs = apply_globals(&own, &properties_path, globals.as_deref());
        let mut branch_problems = Problems::new();
        let properties = read_properties(
            logical_id,
            &properties_path,
            &inputs,
            scope,
            &mut branch_problems,
        );
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

/// The `LogGroupName` of a generated log group, as written.
fn log_group_name(log_group: &GeneratedResource) -> Option<&Value> {
    match log_group {
        GeneratedResource::Typed(crate::generate::output_types::Resource {
            properties: crate::generate::output_types::Properties::LogGroup(log_group),
            ..
        }) => Some(&log_group.log_group_name),
        GeneratedResource::Typed(_) => None,
        GeneratedResource::Joined(value) => value.pointer("/Properties/LogGroupName"),
    }
}

/// Whether `ids` has a task role, an execution role and a run policy generated.
fn roles_and_policy_generated(ids: &GeneratedIds) -> (bool, bool, bool) {
    (
        ids.task_role.is_some(),
        ids.execution_role.is_some(),
        ids.run_policy.is_some(),
    )
}

/// Generated resources as values, to be joined with another combination's.
fn as_values(resources: Vec<(String, GeneratedResource)>) -> Vec<(String, Value)> {
    resources
        .into_iter()
        .map(|(id, resource)| {
            let value = serde_json::to_value(&resource).expect("a generated resource is JSON");
            (id, value)
        })
        .collect()
}

/// The resources generated on each branch of a resource's conditions, joined: each once, under
/// the conditions where it exists (a condition made for it when that is not a declared one).
/// `None` when a made condition's name is taken, with that problem.
fn join_under_conditions(
    branching: &Branching,
    outputs: Vec<Vec<(String, Value)>>,
    attributes: &ResourceAttributes,
    path: &str,
    known_conditions: Option<&Map<String, Value>>,
    problems: &mut Problems,
) -> Option<JoinedResources> {
    let mut resources = Vec::new();
    let mut conditions = Vec::new();
    for (id, mut value, presence) in join_resources(branching, outputs) {
        if let Presence::When(expression) = presence {
            let expression = match attributes.shared.get("Condition") {
                Some(own_condition) => {
                    serde_json::json!({"Fn::And": [{"Condition": own_condition}, expression]})
                }
                None => expression,
            };
            let name = match expression.get("Condition").and_then(Value::as_str) {
                Some(name) if expression.as_object().is_some_and(|e| e.len() == 1) => {
                    name.to_owned()
                }
                _ => {
                    let name = format!("{id}Condition");
                    if known_conditions.is_some_and(|known| known.contains_key(&name)) {
                        problems.push(
                            path,
                            format!("expands to condition {name} (for {id}, which exists on some branches of its Fn::If only), which the template's Conditions already has; rename that condition"),
                        );
                        return None;
                    }
                    conditions.push((name.clone(), expression));
                    name
                }
            };
            if let Some(resource) = value.as_object_mut() {
                resource.insert("Condition".to_owned(), Value::String(name));
            }
        }
        resources.push((id, GeneratedResource::Joined(value)));
    }
    Some((resources, conditions))
}

/// Generated resources and the conditions made for them.
type JoinedResources = (Vec<(String, GeneratedResource)>, Vec<(String, Value)>);

/// The resource's own `Condition`, when it names one the template declares: the resource
/// exists only when it holds.
fn own_condition<'r>(
    condition: Option<&'r Value>,
    known_conditions: Option<&Map<String, Value>>,
) -> Option<&'r str> {
    condition
        .and_then(Value::as_str)
        .filter(|name| known_conditions.is_some_and(|known| known.contains_key(*name)))
}

fn resource_attributes(
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
fn check_condition_attribute(
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
fn check_policy_attribute(
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
