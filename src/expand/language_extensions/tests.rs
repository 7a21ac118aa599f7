use super::*;
use crate::template::context::ExpansionContext;
use serde_json::json;

fn applied(template: Value) -> (Value, Vec<String>) {
    let Value::Object(mut root) = template else {
        panic!("a template is an object")
    };
    let context = ExpansionContext::new("eu-west-1", "123456789012");
    let parameters = root.get("Parameters").and_then(Value::as_object).cloned();
    let resources = Map::new();
    let scope = TemplateScope::new(&context, parameters.as_ref(), &resources);
    let mut problems = Problems::new();
    apply_language_extensions(&mut root, &scope, &mut problems);
    let problems = problems.iter().map(ToString::to_string).collect();
    (Value::Object(root), problems)
}

#[test]
fn for_each_copies_its_fragment_for_each_value_as_cfn_lint_does() {
    let (template, problems) = applied(json!({
        "Parameters": {"Queues": {"Type": "CommaDelimitedList", "Default": "small, large-x"}},
        "Mappings": {"Sizes": {"small": {"Cpu": "256"}, "large-x": {"Cpu": "1024"}}},
        "Resources": {
            "Fn::ForEach::Agents": ["Queue", {"Ref": "Queues"}, {
                "&{Queue}Agent": {
                    "Type": "Buildkite::ECS::TaskDefinition",
                    "Properties": {
                        "Image": "ruby",
                        "TaskCpu": {"Fn::FindInMap": ["Sizes", {"Ref": "Queue"}, "Cpu"]},
                        "TaskFamily": {"Fn::Sub": "agents-${Queue}"},
                        "Environment": [{"Name": "QUEUE", "Value": {"Ref": "Queue"}}],
                        "Fn::ForEach::Tags": ["Tag", ["a", "b"], {"Tag${Tag}": {"Fn::Sub": "${Queue}-${Tag}-${AWS::Region}"}}]
                    }
                }
            }],
            "Bucket": {"Type": "AWS::S3::Bucket"}
        },
        "Outputs": {
            "Fn::ForEach::Families": ["Queue", ["small"], {
                "${Queue}Family": {"Value": {"Fn::GetAtt": [{"Fn::Sub": "${Queue}Agent"}, "Family"]}}
            }]
        }
    }));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        template["Resources"],
        json!({
            "smallAgent": {
                "Type": "Buildkite::ECS::TaskDefinition",
                "Properties": {
                    "Image": "ruby",
                    "TaskCpu": "256",
                    "TaskFamily": "agents-small",
                    "Environment": [{"Name": "QUEUE", "Value": "small"}],
                    "Taga": {"Fn::Sub": "small-a-${AWS::Region}"},
                    "Tagb": {"Fn::Sub": "small-b-${AWS::Region}"}
                }
            },
            "largexAgent": {
                "Type": "Buildkite::ECS::TaskDefinition",
                "Properties": {
                    "Image": "ruby",
                    "TaskCpu": "1024",
                    "TaskFamily": "agents-large-x",
                    "Environment": [{"Name": "QUEUE", "Value": "large-x"}],
                    "Taga": {"Fn::Sub": "large-x-a-${AWS::Region}"},
                    "Tagb": {"Fn::Sub": "large-x-b-${AWS::Region}"}
                }
            },
            "Bucket": {"Type": "AWS::S3::Bucket"}
        })
    );
    assert_eq!(
        template["Outputs"],
        json!({"smallFamily": {"Value": {"Fn::GetAtt": ["smallAgent", "Family"]}}})
    );
}

#[test]
fn length_json_strings_and_policies_are_computed_or_refused_by_place() {
    let (template, problems) = applied(json!({
        "Parameters": {
            "Policy": {"Type": "String", "Default": "Retain"},
            "Unknown": {"Type": "String"},
            "Names": {"Type": "CommaDelimitedList", "Default": "a,b,c"}
        },
        "Resources": {
            "Agent": {
                "Type": "Buildkite::ECS::TaskDefinition",
                "DeletionPolicy": {"Ref": "Policy"},
                "UpdateReplacePolicy": {"Ref": "Unknown"},
                "Properties": {
                    "Count": {"Fn::Length": {"Ref": "Names"}},
                    "Written": {"Fn::Length": [1, 2]},
                    "Json": {"Fn::ToJsonString": {"a": ["b", 1], "p": {"Ref": "Policy"}, "r": {"Ref": "AWS::Region"}}},
                    "Deployed": {"Fn::ToJsonString": {"a": {"Fn::GetAtt": ["X", "Arn"]}}},
                    "Unseen": {"Fn::Length": {"Fn::GetAZs": ""}}
                }
            },
            "Fn::ForEach::Bad": ["X", {"Fn::ImportValue": "queues"}, {"${X}": {}}]
        }
    }));
    let agent = &template["Resources"]["Agent"];
    assert_eq!(agent["DeletionPolicy"], "Retain");
    assert_eq!(agent["Properties"]["Count"], 3);
    assert_eq!(agent["Properties"]["Written"], 2);
    // As AWS documents it: compact, a Ref replaced by its value.
    assert_eq!(
        agent["Properties"]["Json"],
        r#"{"a":["b",1],"p":"Retain","r":"eu-west-1"}"#
    );
    let places: Vec<&str> = problems
        .iter()
        .map(|problem| problem.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            "Resources.Agent.Properties.Deployed.Fn::ToJsonString",
            "Resources.Agent.Properties.Unseen.Fn::Length",
            "Resources.Fn::ForEach::Bad[1]",
            "Resources.Agent.UpdateReplacePolicy",
        ],
        "{problems:?}"
    );
}

#[test]
fn aws_documented_nested_loops_name_attributes_by_identifier() {
    // The Outputs example of AWS's Fn::ForEach page (intrinsic-function-reference-foreach-
    // example-outputs), shortened: the name by Fn::Sub, the attribute by Ref to the inner loop.
    let (template, problems) = applied(json!({
        "Outputs": {"Fn::ForEach::BucketOutputs": ["Identifier", ["A", "B"], {
            "Fn::ForEach::GetAttLoop": ["Property", ["Arn", "DomainName"], {
                "S3Bucket${Identifier}${Property}": {
                    "Value": {"Fn::GetAtt": [{"Fn::Sub": "S3Bucket${Identifier}"}, {"Ref": "Property"}]}
                }
            }]
        }]}
    }));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        template["Outputs"],
        json!({
            "S3BucketAArn": {"Value": {"Fn::GetAtt": ["S3BucketA", "Arn"]}},
            "S3BucketADomainName": {"Value": {"Fn::GetAtt": ["S3BucketA", "DomainName"]}},
            "S3BucketBArn": {"Value": {"Fn::GetAtt": ["S3BucketB", "Arn"]}},
            "S3BucketBDomainName": {"Value": {"Fn::GetAtt": ["S3BucketB", "DomainName"]}}
        })
    );
}

#[test]
fn nested_loops_stop_at_a_bounded_number_of_copies() {
    let values: Vec<String> = (0..40).map(|n| format!("v{n}")).collect();
    let (_, problems) = applied(json!({
        "Resources": {
            "Fn::ForEach::A": ["A", values, {
                "Fn::ForEach::B": ["B", values, {
                    "Fn::ForEach::C": ["C", values, {
                        "R${A}${B}${C}": {"Type": "AWS::SNS::Topic"}
                    }]
                }]
            }]
        }
    }));
    // 40 * 40 * 40 copies would be 64,000 resources: refused once the bound is reached.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("makes more than 10000 copies")),
        "{problems:?}"
    );
    assert!(problems.len() < 50, "{} problems", problems.len());
}
