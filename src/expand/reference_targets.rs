//! What references to a Buildkite resource become, on each branch of its conditions.

use crate::expand::conditions::Branching;
use crate::expand::conditions::MAX_CONDITIONS;
use crate::expand::conditions::join_values;
use crate::expand::conditions::own_condition;
use crate::expand::conditions::resolve_map;
use crate::expand::references::{ReferenceTarget, RoleName, UnreadableRoleName};
use crate::expand::role_names::role_name_of_arn;
use crate::generate::GeneratedIds;
use crate::template::arn::get_att_arn;
use crate::template::place::Trail;
use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;
use crate::template::value::resource_member;
use crate::template::value::small_member;
use serde_json::{Map, Value, json};

/// What references to Buildkite resource `logical_id` become, from its properties as written
/// (a `TaskRoleArn` of its own or of `Globals.TaskDefinition`, its `TaskFamily`), on each
/// branch of its conditions and joined under them. They are checked later, with the rest; a
/// resource with a problem there is not expanded anyway.
pub(crate) fn reference_target(
    logical_id: &str,
    resource: &Value,
    globals: Option<&Map<String, Value>>,
    globals_path: &'static str,
    known_conditions: Option<&Map<String, Value>>,
    scope: &TemplateScope<'_>,
) -> ReferenceTarget {
    let empty = Map::new();
    let own = resource_member(resource, "Properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Its problems are found and reported where the resource is expanded: none here, so no
    // place is written for them.
    let mut branching = branching_of(
        own,
        "",
        globals,
        globals_path,
        known_conditions,
        &mut Problems::new(),
    );
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
        let role_name = |arn: &Option<Value>| match arn {
            None => Ok(None),
            Some(arn) => role_name_of_arn(arn, scope.resources)
                .map(Some)
                .ok_or(UnreadableRoleName),
        };
        given.push(GivenValues {
            task_role_name: role_name(&task_role_arn),
            execution_role_name: role_name(&execution_role_arn),
            task_role_arn,
            execution_role_arn,
            family: small_member(&own, "TaskFamily").cloned(),
        });
    }
    let role_names = |name_of: fn(&GivenValues) -> &RoleName, made: &str| -> RoleName {
        let names: Vec<Option<Value>> = given
            .iter()
            .map(|branch| name_of(branch).clone())
            .collect::<Result<_, _>>()?;
        // Built only where a branch gives no name of its own.
        let made = || json!({"Ref": ([logical_id, made].concat())});
        Ok(join_given(&branching, names.iter(), made))
    };
    let task_role_name = role_names(|branch| &branch.task_role_name, "TaskRole");
    let execution_role_name = role_names(|branch| &branch.execution_role_name, "ExecutionRole");
    ReferenceTarget {
        ids: GeneratedIds::new(logical_id, generates_task_role)
            .generating_execution_role(generates_execution_role)
            .generating_run_policy(generates_run_policy),
        task_role_arn: join_given(
            &branching,
            given.iter().map(|branch| &branch.task_role_arn),
            || get_att_arn(&[logical_id, "TaskRole"].concat()),
        ),
        task_role_name,
        execution_role_name,
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
pub(crate) struct GivenValues {
    pub(crate) task_role_arn: Option<Value>,
    pub(crate) execution_role_arn: Option<Value>,
    pub(crate) family: Option<Value>,
    pub(crate) task_role_name: RoleName,
    pub(crate) execution_role_name: RoleName,
}

/// A value given on each branch (`None` where the macro makes it, as `made` does), joined under
/// the branches' conditions; `None` when no branch gives it, so that the made value is built
/// only where a reference asks for it.
pub(crate) fn join_given<'v>(
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
pub(crate) fn branching_of(
    own: &Map<String, Value>,
    properties_path: &str,
    globals: Option<&Map<String, Value>>,
    globals_path: &str,
    known_conditions: Option<&Map<String, Value>>,
    problems: &mut Problems,
) -> Branching {
    let mut branching = Branching::default();
    let properties = own.iter().map(|property| (properties_path, property));
    let global_properties = globals
        .into_iter()
        .flatten()
        .map(|property| (globals_path, property));
    for (parent, (name, value)) in properties.chain(global_properties) {
        let trail = Trail::start(parent);
        branching.collect(value, &trail.key(name), known_conditions, problems);
    }
    branching
}
