//! What a role the user brings must allow (`expand --explain-roles`): the grants the macro
//! gives the role it would generate, for the examples that bring their own roles.

use buildkite_ecs_macro::shells::cli::{KNOWN_TRANSFORM_NAMES, drop_own_transform};
use buildkite_ecs_macro::shells::explain::explain_own_roles;
use buildkite_ecs_macro::template::yaml::{parse_template, to_yaml_string};
use buildkite_ecs_macro::{ExpansionContext, expand};
use serde_json::{Value, json};

fn template(path: &str) -> Value {
    let text = std::fs::read_to_string(path).expect("example is readable");
    let mut template = parse_template(&text).expect("example parses");
    if let Value::Object(root) = &mut template {
        drop_own_transform(root, &KNOWN_TRANSFORM_NAMES);
    }
    template
}

fn context() -> ExpansionContext {
    ExpansionContext::new("us-east-1", "123456789012")
}

#[test]
fn an_own_execution_role_must_allow_what_the_generated_one_is_granted() {
    let explained = explain_own_roles(&template("examples/own-execution-role.yaml"), &context())
        .expect("the example expands");
    insta::assert_snapshot!(to_yaml_string(&explained));
}

#[test]
fn an_own_task_role_is_explained_too() {
    let explained = explain_own_roles(&template("examples/own-task-role.yaml"), &context())
        .expect("the example expands");
    insta::assert_snapshot!(to_yaml_string(&explained));
}

#[test]
fn the_explanation_is_the_generated_role_s_grants() {
    // The same resource with and without ExecutionRoleArn: the policies explained for the one
    // are the policies generated for the other.
    let mut generated = template("examples/own-execution-role.yaml");
    generated["Resources"]["Node"]["Properties"]
        .as_object_mut()
        .unwrap()
        .shift_remove("ExecutionRoleArn");
    generated.as_object_mut().unwrap().shift_remove("Outputs");
    let expanded = expand(generated, &context()).unwrap();
    let explained =
        explain_own_roles(&template("examples/own-execution-role.yaml"), &context()).unwrap();
    assert_eq!(
        explained["Node"]["ExecutionRole"]["Policies"],
        expanded["Resources"]["NodeExecutionRole"]["Properties"]["Policies"]
    );
}

#[test]
fn resources_with_generated_roles_are_left_out_and_problems_are_the_expansion_s() {
    assert_eq!(
        explain_own_roles(&template("examples/minimal.yaml"), &context()).unwrap(),
        json!({})
    );
    let broken = json!({"Resources": {"X": {"Type": "Buildkite::ECS::TaskDefinition",
        "Properties": {"ExecutionRoleArn": "arn:aws:iam::123456789012:role/x"}}}});
    let problems = explain_own_roles(&broken, &context()).unwrap_err();
    assert!(
        problems
            .to_string()
            .contains("Resources.X.Properties.Image")
    );
}

#[test]
fn an_execution_role_that_refers_to_itself_is_refused() {
    let template = json!({"Resources": {"X": {"Type": "Buildkite::ECS::TaskDefinition",
        "Properties": {"Image": "ruby:3.3", "ExecutionRoleArn": {"Fn::GetAtt": ["X", "ExecutionRoleArn"]}}}}});
    let problems = expand(template, &context()).unwrap_err();
    assert!(
        problems
            .to_string()
            .contains("refers back to X.ExecutionRoleArn"),
        "{problems}"
    );
}

#[test]
fn expand_explain_roles_prints_the_explanation() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_buildkite-ecs-macro"))
        .args([
            "expand",
            "examples/own-execution-role.yaml",
            "--explain-roles",
            "--format",
            "json",
        ])
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let explained =
        explain_own_roles(&template("examples/own-execution-role.yaml"), &context()).unwrap();
    assert_eq!(printed, explained);
}
