//! The benchmark's input: a macro request at CloudFormation's limit. 100
//! `Buildkite::ECS::TaskDefinition` resources, each with an agent sidecar, an ssh backend, 4 secrets
//! and 8 environment variables, beside 100 other resources; it expands to 500 resources.

use serde_json::{Map, Value, json};

/// Each Buildkite resource has one other resource beside it.
const BUILDKITE_RESOURCES: usize = 100;

pub fn limit_request_json() -> String {
    let mut resources = Map::new();
    for index in 0..BUILDKITE_RESOURCES {
        resources.insert(format!("Agent{index}"), buildkite_resource(index));
        resources.insert(format!("Cache{index}"), other_resource(index));
    }
    let request = json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::Buildkite-Agents-2020-03-09",
        "requestId": "bench-request",
        "params": {},
        "templateParameterValues": {"Stage": "prod"},
        "fragment": {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
            "Resources": resources,
            "Outputs": {
                "FirstAgent": {"Value": {"Ref": "Agent0"}},
                "FirstRole": {"Value": {"Fn::GetAtt": ["Agent0", "TaskRoleArn"]}}
            }
        }
    });
    serde_json::to_string(&request).expect("a JSON value serialises")
}

fn buildkite_resource(index: usize) -> Value {
    let environment: Vec<Value> = (0..8)
        .map(|variable| json!({"Name": format!("VARIABLE_{variable}"), "Value": format!("value-{index}-{variable}")}))
        .collect();
    json!({
        "Type": "Buildkite::ECS::TaskDefinition",
        "Properties": {
            "Image": format!("public.ecr.aws/docker/library/ruby:3.{index}"),
            "BuildkiteAgentImage": "keithduncan/buildkite-sidecar:latest",
            "SshAgentBackend": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod",
            "TaskCpu": 1024,
            "TaskMemory": 2048,
            "Secrets": [
                {"Name": "NPM_TOKEN", "ValueFrom": format!("/ci/{index}/npm-token")},
                {"Name": "GITHUB_TOKEN", "ValueFrom": format!("github-token-{index}")},
                {"Name": "SENTRY_TOKEN", "ValueFrom": {"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/ci/{index}/sentry")}},
                {"Name": "DATABASE_URL", "ValueFrom": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/{index}/db-AbC123:url::")}
            ],
            "Environment": environment
        }
    })
}

fn other_resource(index: usize) -> Value {
    json!({
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Name": {"Fn::Sub": format!("/ci/${{Stage}}/cache-{index}")},
            "Type": "String",
            "Value": {"Fn::GetAtt": [format!("Agent{index}"), "Family"]},
            "Description": format!("Cache settings for agent {index}, kept beside its task definition")
        }
    })
}
