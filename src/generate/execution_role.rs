//! The execution role's grants, assembled from what the property readers found ECS needs to
//! start the task: the secrets it reads, the ECR repositories it pulls from, and the one log
//! group its containers write to.

use serde_json::{Value, json};

use crate::generate::output_types::{Actions, Allow, InlinePolicy, Statement};
use crate::generate::secret_statements;
use crate::properties::checked::TaskDefinitionProperties;
use crate::template::arn::get_att_arn;

/// The AWS managed policy `AttachTaskExecutionRolePolicy: true` attaches.
pub const TASK_EXECUTION_ROLE_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// The ECR actions that pull an image's layers, granted on its repository.
pub const ECR_PULL_ACTIONS: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];

/// The inline policies the execution role needs for these properties, the log group being
/// the resource `log_group_id`.
pub fn execution_role_policies(
    log_group_id: &str,
    properties: &mut TaskDefinitionProperties,
) -> Vec<InlinePolicy> {
    let secrets_kms_key = properties.secrets_kms_key.take();
    let secrets = secret_statements(&mut properties.execution_role_grants(), secrets_kms_key);
    let mut policies = vec![InlinePolicy {
        name: "ReadAgentSecrets",
        statements: secrets,
    }];
    let environment_files = properties.execution_role_environment_files();
    if !environment_files.is_empty() {
        let buckets = crate::template::value::distinct(
            environment_files
                .iter()
                .map(|object| crate::properties::bucket_of(object)),
        );
        policies.push(InlinePolicy {
            name: "ReadEnvironmentFiles",
            statements: vec![
                Statement::Allow(Allow::new(
                    "ReadTheEnvironmentFiles",
                    Actions::One("s3:GetObject"),
                    Value::Array(environment_files.into_iter().cloned().collect()),
                )),
                Statement::Allow(Allow::new(
                    "LocateTheirBuckets",
                    Actions::One("s3:GetBucketLocation"),
                    Value::Array(buckets),
                )),
            ],
        });
    }
    if properties.attach_task_execution_role_policy {
        return policies;
    }
    let repositories = properties.execution_role_pulls();
    if !repositories.is_empty() {
        policies.push(InlinePolicy {
            name: "PullImages",
            statements: vec![
                Statement::Allow(Allow::new(
                    "PullFromTheRepositoriesUsed",
                    Actions::List(&ECR_PULL_ACTIONS),
                    Value::Array(repositories.into_iter().cloned().collect()),
                )),
                // ECR's registry login, which takes no resource but `*`.
                Statement::Allow(Allow::new(
                    "LogInToTheRegistry",
                    Actions::One("ecr:GetAuthorizationToken"),
                    Value::String("*".to_owned()),
                )),
            ],
        });
    }
    policies.push(InlinePolicy {
        name: "WriteLogs",
        statements: vec![Statement::Allow(Allow::new(
            "WriteToTheTaskLogGroup",
            Actions::List(&["logs:CreateLogStream", "logs:PutLogEvents"]),
            get_att_arn(log_group_id),
        ))],
    });
    policies
}

/// The managed policies of the execution role: AWS's, when asked for.
pub fn execution_role_managed_policies(properties: &TaskDefinitionProperties) -> Vec<Value> {
    if properties.attach_task_execution_role_policy {
        vec![json!({ "Fn::Sub": TASK_EXECUTION_ROLE_POLICY })]
    } else {
        Vec::new()
    }
}
