//! What a role the user brings (`ExecutionRoleArn`, `TaskRoleArn`) must allow: exactly the
//! grants the macro would have given the role it generates in its place, computed by the same
//! code, so the README, `expand --explain-roles` and the generated roles cannot disagree.

use serde_json::{Map, Value};

use crate::expand::expand;
use crate::template::context::ExpansionContext;
use crate::template::problems::Problems;
use crate::template::value::object;

/// The roles of a Buildkite resource that the user brings: the property that names each, and
/// the generated role whose grants it needs.
const OWN_ROLES: [(&str, &str, &str); 2] = [
    ("ExecutionRoleArn", "ExecutionRole", "ExecutionRole"),
    ("TaskRoleArn", "TaskRole", "TaskRole"),
];

/// For each Buildkite resource of `template` that names a role of its own, what that role must
/// allow: `{X: {ExecutionRole: {Arn, ManagedPolicyArns?, Policies}, TaskRole: {...}}}`, each
/// policy as an IAM role's `Policies` entry takes it (intrinsics as CloudFormation writes them;
/// `!GetAtt XLogGroup.Arn` is the log group the macro generates for `X`). Resources whose roles
/// are all generated are left out. `Err` holds the template's problems, as [`expand`] gives them.
pub fn explain_own_roles(template: &Value, context: &ExpansionContext) -> Result<Value, Problems> {
    let expanded = expand(template.clone(), context)?;
    let generated = expanded.get("Resources").and_then(Value::as_object);
    let buildkite_ids: Vec<String> = template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, resource)| is_buildkite(resource))
        .map(|(id, _)| id.clone())
        .collect();
    let mut explained = Map::new();
    for (property, suffix, name) in OWN_ROLES {
        let own: Vec<&String> = buildkite_ids
            .iter()
            .filter(|id| generated.is_none_or(|g| !g.contains_key(&format!("{id}{suffix}"))))
            .collect();
        if own.is_empty() {
            continue;
        }
        // The same template without the property: the macro generates the role, and its grants
        // are what the user's role needs.
        let mut without = template.clone();
        remove_property(&mut without, property);
        let with_roles = expand(without, context)?;
        for id in own {
            let role = with_roles
                .pointer(&format!("/Resources/{id}{suffix}/Properties"))
                .and_then(Value::as_object);
            let given = template
                .pointer(&format!("/Resources/{id}/Properties/{property}"))
                .or_else(|| template.pointer(&format!("/Globals/TaskDefinition/{property}")))
                .cloned()
                .unwrap_or_default();
            let mut needs = Map::new();
            needs.insert("Arn".into(), given);
            if let Some(managed) = role.and_then(|role| role.get("ManagedPolicyArns")) {
                needs.insert("ManagedPolicyArns".into(), managed.clone());
            }
            // An empty list says so: the properties used need nothing of the role.
            let policies = role.and_then(|role| role.get("Policies")).cloned();
            needs.insert(
                "Policies".into(),
                policies.unwrap_or(Value::Array(Vec::new())),
            );
            let entry = explained.entry(id.clone()).or_insert_with(|| object([]));
            if let Value::Object(entry) = entry {
                entry.insert(name.into(), Value::Object(needs));
            }
        }
    }
    Ok(Value::Object(explained))
}

fn is_buildkite(resource: &Value) -> bool {
    resource
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|kind| crate::expand::composition::RESOURCE_TYPES.contains(&kind))
}

fn remove_property(template: &mut Value, property: &str) {
    if let Some(Value::Object(resources)) = template.get_mut("Resources") {
        for resource in resources
            .values_mut()
            .filter(|resource| is_buildkite(resource))
        {
            if let Some(Value::Object(properties)) = resource.get_mut("Properties") {
                properties.shift_remove(property);
            }
        }
    }
    if let Some(Value::Object(globals)) = template.pointer_mut("/Globals/TaskDefinition") {
        globals.shift_remove(property);
    }
}
