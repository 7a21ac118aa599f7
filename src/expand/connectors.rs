//! SAM connectors (`AWS::Serverless::Connector`, and the `Connectors` of a SAM resource) that
//! name a Buildkite resource. SAM runs after the macro, when the resource has become a task
//! definition, a log group and roles, and SAM's connector profiles take none of those types
//! (samtranslator 1.115, `model/connector_profiles/profiles.json`): SAM would fail the change
//! set ("Unable to find resource with logical ID") after the macro said `success`.

use serde_json::{Map, Value};

use crate::expand::composition::{RESOURCE_TYPES, is_buildkite_resource};
use crate::template::problems::Problems;
use crate::template::value::resource_member;

const CONNECTOR_TYPE: &str = "AWS::Serverless::Connector";

/// Refuses, by place, each connector end that names a Buildkite resource (by `Id`) or type (by
/// `Type`): a `Source`, a `Destination` (one or a list) or an embedded connector's
/// `SourceReference`.
pub fn check_connectors(resources: &Map<String, Value>, problems: &mut Problems) {
    let names_buildkite = |id: &str| resources.get(id).is_some_and(is_buildkite_resource);
    for (logical_id, resource) in resources {
        let path = format!("Resources.{logical_id}");
        if resource_member(resource, "Type").and_then(Value::as_str) == Some(CONNECTOR_TYPE)
            && let Some(properties) = resource_member(resource, "Properties")
        {
            let at = format!("{path}.Properties");
            check_ends(properties, &at, &names_buildkite, problems);
        }
        // Embedded connectors: the resource that holds them is their source.
        let Some(Value::Object(connectors)) = resource_member(resource, "Connectors") else {
            continue;
        };
        for (name, connector) in connectors {
            if let Some(properties) = connector.get("Properties") {
                let at = format!("{path}.Connectors.{name}.Properties");
                check_ends(properties, &at, &names_buildkite, problems);
            }
        }
    }
}

fn check_ends(
    properties: &Value,
    path: &str,
    names_buildkite: &dyn Fn(&str) -> bool,
    problems: &mut Problems,
) {
    for (key, end) in [
        ("Source", End::Source),
        ("SourceReference", End::Source),
        ("Destination", End::Destination),
    ] {
        match properties.get(key) {
            Some(Value::Array(references)) => {
                for (index, reference) in references.iter().enumerate() {
                    let at = format!("{path}.{key}[{index}]");
                    check_reference(reference, &at, end, names_buildkite, problems);
                }
            }
            Some(reference) => {
                let at = format!("{path}.{key}");
                check_reference(reference, &at, end, names_buildkite, problems);
            }
            None => {}
        }
    }
}

#[derive(Clone, Copy)]
enum End {
    Source,
    Destination,
}

fn check_reference(
    reference: &Value,
    path: &str,
    end: End,
    names_buildkite: &dyn Fn(&str) -> bool,
    problems: &mut Problems,
) {
    if let Some(id) = reference
        .get("Id")
        .and_then(Value::as_str)
        .filter(|id| names_buildkite(id))
    {
        problems.push(
            format!("{path}.Id"),
            format!("names the Buildkite resource {id}, which is gone when SAM (listed after this macro) makes the connector: it has become {id}TaskDefinition, {id}LogGroup and its roles, and SAM connects none of those types (its connector profiles have no ECS type and no IAM role), so SAM would fail with \"Unable to find resource with logical ID '{id}'\"; {}", the_form_that_works(id, end)),
        );
    }
    if let Some(kind) = reference
        .get("Type")
        .and_then(Value::as_str)
        .filter(|kind| RESOURCE_TYPES.contains(kind))
    {
        problems.push(
            format!("{path}.Type"),
            format!("{kind} is no type a SAM connector takes (none is left once this macro has run, and SAM's connector profiles have no ECS type and no IAM role); {}", the_form_that_works(named_by_arn(reference).unwrap_or("the Buildkite resource"), end)),
        );
    }
}

/// The resource a reference's `Arn` points at (`!Ref X`, `!GetAtt X.Attribute`).
fn named_by_arn(reference: &Value) -> Option<&str> {
    let arn = reference.get("Arn")?;
    if let Some(name) = crate::template::value::ref_target(arn) {
        return Some(name);
    }
    match arn.get("Fn::GetAtt")? {
        Value::String(dotted) => dotted.split('.').next(),
        Value::Array(parts) => parts.first()?.as_str(),
        _ => None,
    }
}

/// How to grant what the connector was for.
fn the_form_that_works(id: &str, end: End) -> String {
    match end {
        End::Source => format!(
            "give {id}'s task role the access with TaskRolePolicies (a policy whose statements name the destination's actions and ARN) instead"
        ),
        End::Destination => format!(
            "to let the source run {id}'s task, set RunPolicy: true on {id} and attach !GetAtt {id}.RunPolicyArn to the source's role (a function's Policies) instead"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems_of(resources: Value) -> Vec<String> {
        let mut problems = Problems::new();
        check_connectors(resources.as_object().unwrap(), &mut problems);
        problems
            .iter()
            .map(|problem| problem.path.clone())
            .collect()
    }

    #[test]
    fn a_connector_end_naming_a_buildkite_resource_is_refused_by_place() {
        let agent =
            json!({"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "go"}});
        let places = problems_of(json!({
            "Go": agent,
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "GoWritesJobs": {"Type": "AWS::Serverless::Connector", "Properties": {
                "Source": {"Id": "Go"},
                "Destination": [{"Id": "Jobs"}, {"Type": "Buildkite::ECS::Agent", "Arn": "x"}],
                "Permissions": ["Write"]
            }},
            "Runner": {"Type": "AWS::Serverless::Function", "Connectors": {
                "RunsGo": {"Properties": {"Destination": {"Id": "Go"}, "Permissions": ["Write"]}}
            }},
            // A connector naming what SAM connects, a generated role's name included, is SAM's.
            "Fine": {"Type": "AWS::Serverless::Connector", "Properties": {
                "Source": {"Type": "AWS::Lambda::Function", "RoleName": {"Ref": "GoTaskRole"}},
                "Destination": {"Id": "Jobs"}
            }}
        }));
        assert_eq!(
            places,
            [
                "Resources.GoWritesJobs.Properties.Source.Id",
                "Resources.GoWritesJobs.Properties.Destination[1].Type",
                "Resources.Runner.Connectors.RunsGo.Properties.Destination.Id",
            ]
        );
    }
}
