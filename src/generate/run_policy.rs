//! `RunPolicy: true`: the managed policy a scheduler needs to run the task definition (CDK's
//! `grantRun`), and its export, so the stack that runs the agents imports it by name.

use serde_json::{Map, Value, json};

use crate::generate::output_types::RoleArn;
use crate::properties::checked::TaskDefinitionProperties;
use crate::template::arn::stack_arn_with_suffix;
use crate::template::problems::Problems;
use crate::template::sub::{Piece, build_sub};
use crate::template::value::object;

/// The properties of `XRunPolicy`: `ecs:RunTask` on every revision of the family, and
/// `iam:PassRole` on the task's two roles to ECS only.
pub fn run_policy(
    execution_role_arn: &RoleArn,
    task_role_arn: &RoleArn,
    properties: &TaskDefinitionProperties,
) -> Value {
    let task_definitions =
        stack_arn_with_suffix("ecs", ":task-definition/", &properties.family, ":*");
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunTheTaskDefinition",
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": task_definitions
            },
            {
                "Sid": "PassItsRolesToEcs",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [execution_role_arn, task_role_arn],
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
            }
        ]
    });
    let description = build_sub(&[
        Piece::Text("Runs the Buildkite agent task definition family "),
        Piece::Value(&properties.family),
        Piece::Text(" and passes it its roles"),
    ]);
    object([("Description", description), ("PolicyDocument", document)])
}

/// The name `XRunPolicy` is exported under: `<stack name>-XRunPolicy`.
fn export_name(run_policy_id: &str) -> Value {
    json!({ "Fn::Sub": format!("${{AWS::StackName}}-{run_policy_id}") })
}

/// The run policies' outputs would overwrite outputs the template has.
pub fn check_outputs<'a>(
    root: &Map<String, Value>,
    run_policies: impl Iterator<Item = (&'a str, &'a str)>,
    problems: &mut Problems,
) {
    let outputs = root.get("Outputs").and_then(Value::as_object);
    for (logical_id, run_policy_id) in run_policies {
        if outputs.is_some_and(|outputs| outputs.contains_key(run_policy_id)) {
            problems.push(
                format!("Resources.{logical_id}.Properties.RunPolicy"),
                format!("exports the run policy as output {run_policy_id}, which the template's Outputs already has; rename that output"),
            );
        }
    }
}

/// An output per run policy, `!Ref XRunPolicy` (its ARN) exported as `<stack>-XRunPolicy`,
/// under the policy's own `Condition` (each given with it).
pub fn add_outputs<'a>(
    root: &mut Map<String, Value>,
    run_policies: impl Iterator<Item = (&'a str, Option<Value>)>,
) {
    let mut run_policies = run_policies.peekable();
    if run_policies.peek().is_none() {
        return;
    }
    let outputs = root
        .entry("Outputs")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(outputs) = outputs else {
        return;
    };
    for (id, condition) in run_policies {
        let mut output = Map::new();
        output.insert(
            "Description".into(),
            json!("The managed policy a scheduler needs to run this task definition"),
        );
        if let Some(condition) = condition {
            output.insert("Condition".into(), condition);
        }
        output.insert("Value".into(), json!({ "Ref": id }));
        output.insert("Export".into(), json!({ "Name": export_name(id) }));
        outputs.insert(id.to_owned(), Value::Object(output));
    }
}
