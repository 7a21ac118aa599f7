//! What the macro can see of a template composed with other transforms: a Buildkite resource
//! that only another transform makes, after the macro has run, would never be expanded.

use serde_json::{Map, Value};

/// The resource types the macro expands; `Buildkite::ECS::Agent` is the first release's name.
pub const RESOURCE_TYPES: [&str; 2] = ["Buildkite::ECS::TaskDefinition", "Buildkite::ECS::Agent"];

use crate::template::problems::Problems;
use crate::template::value::resource_member;

/// How deep a walk looks for a Buildkite resource: far deeper than any template nests one.
const MAX_DEPTH: usize = 32;

/// Refuses a `Fn::ForEach::*` in `Resources` whose body makes a Buildkite resource (`expand`
/// has run `AWS::LanguageExtensions` listed before the macro, as CloudFormation would: one left
/// here is for a transform listed after it, or none), and a
/// fragment that is not a whole template (no `Resources`: the macro named in `Fn::Transform`
/// receives only the sibling nodes) that holds a Buildkite type.
pub fn check_composition(root: &Map<String, Value>, problems: &mut Problems) {
    match root.get("Resources") {
        Some(Value::Object(resources)) => {
            for (key, body) in resources {
                if !key.starts_with("Fn::ForEach::") {
                    continue;
                }
                let mut found = Vec::new();
                find_buildkite_types(body, &format!("Resources.{key}"), 0, &mut found);
                if let Some(first) = found.first() {
                    problems.push(
                        format!("Resources.{key}"),
                        format!("makes a Buildkite resource ({first}), but only AWS::LanguageExtensions expands Fn::ForEach, and listed after this macro (or not at all) it does so once the macro has run, so that resource would never be expanded; list AWS::LanguageExtensions before Buildkite-Agents-2020-03-09 in Transform"),
                    );
                }
            }
        }
        Some(_) => {}
        None => {
            let mut found = Vec::new();
            for (key, value) in root {
                find_buildkite_types(value, key, 0, &mut found);
            }
            for place in found {
                problems.push(
                    place,
                    "is a Buildkite resource in a fragment that is not a whole template (it has no Resources section): the macro named in Fn::Transform receives only the nodes beside it and cannot put resources in their place; name the macro in the template's Transform section instead",
                );
            }
        }
    }
}

/// The places under `value` (at `path`) of every object whose `Type` is a Buildkite type.
fn find_buildkite_types(value: &Value, path: &str, depth: usize, found: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(object) => {
            if object
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|name| RESOURCE_TYPES.contains(&name))
            {
                found.push(format!("{path}.Type"));
            }
            for (key, child) in object {
                find_buildkite_types(child, &format!("{path}.{key}"), depth + 1, found);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                find_buildkite_types(child, &format!("{path}[{index}]"), depth + 1, found);
            }
        }
        _ => {}
    }
}

/// Every `Fn::Transform` inside a Buildkite resource (at its top, in `Properties` or in a
/// value), with the macro it names: CloudFormation runs it before this macro, when it makes a
/// change set, so `expand`, which cannot fetch an `AWS::Include` snippet nor run a macro, cannot
/// preview the resource. The Lambda receives the template with them already run.
pub fn transforms_in_buildkite_resources(root: &Map<String, Value>, problems: &mut Problems) {
    let Some(Value::Object(resources)) = root.get("Resources") else {
        return;
    };
    for (logical_id, resource) in resources {
        if is_buildkite_resource(resource) {
            find_transforms(resource, &format!("Resources.{logical_id}"), 0, problems);
        }
    }
}

fn find_transforms(value: &Value, path: &str, depth: usize, problems: &mut Problems) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let place = format!("{path}.{key}");
                if key == "Fn::Transform" {
                    let name = child.get("Name").and_then(Value::as_str);
                    let (what, fix) = match name {
                        Some("AWS::Include") => (
                            "calls AWS::Include, which CloudFormation runs before this macro (it inserts the snippet when it makes a change set); expand cannot fetch the snippet from S3",
                            "write the snippet here in its place to preview it with expand",
                        ),
                        _ => (
                            "calls a macro, which CloudFormation runs before this macro (the most deeply nested first); expand cannot run it",
                            "write here what the macro would return to preview it with expand",
                        ),
                    };
                    problems.push(
                        place,
                        format!("{what}, so it cannot preview this resource: {fix}, or make a change set of the template as it is (aws cloudformation create-change-set, which runs the Fn::Transform and then this macro) and read the result with aws cloudformation get-template --change-set-name NAME --template-stage Processed"),
                    );
                    continue;
                }
                find_transforms(child, &place, depth + 1, problems);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                find_transforms(child, &format!("{path}[{index}]"), depth + 1, problems);
            }
        }
        _ => {}
    }
}

pub fn is_buildkite_resource(resource: &Value) -> bool {
    resource_member(resource, "Type")
        .and_then(Value::as_str)
        .is_some_and(|resource_type| RESOURCE_TYPES.contains(&resource_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems_of(template: Value) -> Vec<String> {
        let mut problems = Problems::new();
        check_composition(template.as_object().unwrap(), &mut problems);
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_for_each_that_makes_a_buildkite_resource_is_refused() {
        let problems = problems_of(json!({"Resources": {
            "Fn::ForEach::Queues": ["Queue", ["Small", "Large"], {
                "${Queue}Agent": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby"}}
            }],
            "Fn::ForEach::Buckets": ["Name", ["A"], {"${Name}": {"Type": "AWS::S3::Bucket"}}]
        }}));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "Resources.Fn::ForEach::Queues: makes a Buildkite resource (Resources.Fn::ForEach::Queues[2].${Queue}Agent.Type)"
            ) && problems[0].ends_with(
                "list AWS::LanguageExtensions before Buildkite-Agents-2020-03-09 in Transform"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn a_fragment_that_is_not_a_whole_template_may_not_hold_a_buildkite_type() {
        let problems = problems_of(json!({
            "Agent": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby"}},
            "Other": {"Type": "AWS::S3::Bucket"}
        }));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("Agent.Type: is a Buildkite resource in a fragment")
                && problems[0]
                    .ends_with("name the macro in the template's Transform section instead"),
            "{problems:?}"
        );
        // A fragment without a Buildkite type is left alone, and a Buildkite type nested
        // deeper than any template nests one is not looked for.
        assert!(problems_of(json!({"Bucket": {"Type": "AWS::S3::Bucket"}})).is_empty());
        let mut deep = json!({"Type": "Buildkite::ECS::TaskDefinition"});
        for _ in 0..40 {
            deep = json!({ "a": deep });
        }
        assert!(problems_of(json!({ "Deep": deep })).is_empty());
    }
}
