//! Joining the resources generated on each branch of a resource's conditions into one set.

use crate::expand::conditions::Branching;
use crate::expand::conditions::Presence;
use crate::expand::conditions::join_resources;
use crate::generate::ResourceAttributes;
use crate::generate::output_types::GeneratedResource;
use crate::template::problems::Problems;
use serde_json::{Map, Value};

/// Generated resources as values, to be joined with another combination's.
pub(crate) fn as_values(resources: Vec<(String, GeneratedResource)>) -> Vec<(String, Value)> {
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
pub(crate) fn join_under_conditions(
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
pub(crate) type JoinedResources = (Vec<(String, GeneratedResource)>, Vec<(String, Value)>);
