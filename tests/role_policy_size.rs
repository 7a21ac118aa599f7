//! IAM's 10,240 characters of inline policies per role, counted as CloudFormation will write
//! them in the stack's own region: the same template fits in one region and not in another.

use buildkite_ecs_macro::{ExpansionContext, expand};
use serde_json::{Value, json};

/// A resource reading `count` SSM parameters: one ARN each in its execution role's policy,
/// each naming the stack's region.
fn template_with_secrets(count: usize) -> Value {
    let secrets: Vec<Value> = (0..count)
        .map(|n| json!({"Name": format!("TOKEN_{n}"), "ValueFrom": format!("/ci/service-tokens/token-{n}")}))
        .collect();
    json!({"Resources": {"Agent": {
        "Type": "Buildkite::ECS::TaskDefinition",
        "Properties": {"Image": "buildkite/agent:3", "Secrets": secrets}
    }}})
}

#[test]
fn a_role_that_fits_in_us_east_1_is_refused_in_ap_southeast_2() {
    // 9,663 characters in us-east-1; ap-southeast-2 is five characters longer in each of the
    // 126 ARNs that name the region, 10,293 in all.
    let template = template_with_secrets(122);
    let here = ExpansionContext::new("us-east-1", "123456789012");
    assert!(expand(template.clone(), &here).is_ok());
    let there = ExpansionContext::new("ap-southeast-2", "123456789012");
    let problems = expand(template, &there).expect_err("over IAM's limit in ap-southeast-2");
    assert_eq!(
        problems.to_string(),
        "Buildkite-Agents found 1 problem in the template:\nResources.Agent: expands to AgentExecutionRole, whose inline policies come to at least 10293 characters, over the 10240 IAM allows a role: split the secrets, images or files across more resources, or give a role of your own (ExecutionRoleArn, TaskRoleArn)"
    );
}
