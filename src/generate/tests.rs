use super::GeneratedIds;
use crate::features::{TaskRoleFeatures, task_role_policy_names};
use crate::template::context::ExpansionContext;
use serde_json::json;

/// So that a `TaskRolePolicies` entry named as one of them is found: with every feature,
/// the task role has the inline policies `policy_names` lists, in its order.
#[test]
fn the_task_role_policies_are_the_ones_named() {
    let template = json!({"Resources": {"Agent": {
        "Type": "Buildkite::ECS::TaskDefinition",
        "Properties": {
            "Image": "buildkite/agent:3",
            "SshAgentBackend": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod",
            "Volumes": [{"Name": "tools", "FileSystemId": "fs-89abcdef", "ContainerPath": "/opt/tools"}],
            "HooksBucket": "hooks",
            "ArtifactsBucket": "artifacts",
            "PipelineSigningKmsKey": "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
            "ExecuteCommand": true
        }
    }}});
    let expanded = crate::expand::expand(
        template,
        &ExpansionContext::new("us-east-1", "123456789012"),
    )
    .unwrap_or_else(|problems| panic!("{problems}"));
    let written: Vec<&str> = expanded["Resources"]["AgentTaskRole"]["Properties"]["Policies"]
        .as_array()
        .expect("the task role's policies")
        .iter()
        .filter_map(|policy| policy["PolicyName"].as_str())
        .collect();
    let every = TaskRoleFeatures {
        ssh_agent: true,
        mounts_file_systems: true,
        artifacts: true,
        signs_pipelines: true,
        execute_command: true,
        reads_hooks: true,
    };
    let named: Vec<&str> = task_role_policy_names(&every)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(written, named);
}

/// So that two Buildkite resources (two logical IDs) never expand to one generated ID.
#[test]
fn no_generated_suffix_ends_another() {
    let ids = GeneratedIds::new("X", true).generating_run_policy(true);
    let suffixes: Vec<&str> = ids.all().map(|id| &id[1..]).collect();
    assert_eq!(suffixes.len(), 5);
    for suffix in &suffixes {
        for other in &suffixes {
            assert!(
                suffix == other || !suffix.ends_with(other),
                "{suffix} ends {other}"
            );
        }
    }
}
