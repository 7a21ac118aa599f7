//! The execution role's policies: the inline ones the features ask for (secrets, environment
//! files, image pulls, the log group), and AWS's managed policy when asked for.

use serde_json::{Value, json};

use crate::features::{GrantInputs, role_policies};
use crate::generate::ids::GeneratedIds;
use crate::generate::output_types::InlinePolicy;
use crate::generate::output_types::Role;
use crate::generate::output_types::RolePolicy;
use crate::generate::role::role;
use crate::generate::role::trust_policy;
use crate::properties::checked::TaskDefinitionProperties;
use std::sync::LazyLock;

/// The AWS managed policy `AttachTaskExecutionRolePolicy: true` attaches.
pub const TASK_EXECUTION_ROLE_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// The inline policies the execution role needs for these properties, the log group being
/// the resource `log_group_id`.
pub fn execution_role_policies(
    log_group_id: &str,
    properties: &mut TaskDefinitionProperties,
) -> Vec<InlinePolicy> {
    role_policies(properties, &GrantInputs { log_group_id }, true)
}

/// The managed policies of the execution role: AWS's, when asked for.
pub fn execution_role_managed_policies(properties: &TaskDefinitionProperties) -> Vec<Value> {
    if properties.attach_task_execution_role_policy {
        vec![json!({ "Fn::Sub": TASK_EXECUTION_ROLE_POLICY })]
    } else {
        Vec::new()
    }
}

/// The execution role's trust policy: any ECS task may assume it.
pub(crate) static EXECUTION_ROLE_TRUST: LazyLock<Value> = LazyLock::new(|| trust_policy(None));

pub(crate) fn execution_role(
    ids: &GeneratedIds,
    properties: &mut TaskDefinitionProperties,
) -> Role {
    let policies =
        crate::generate::execution_role::execution_role_policies(&ids.log_group, properties)
            .into_iter()
            .map(RolePolicy::Inline)
            .collect();
    role(
        std::mem::take(&mut properties.execution_role_path),
        &EXECUTION_ROLE_TRUST,
        policies,
        crate::generate::execution_role::execution_role_managed_policies(properties),
        properties,
    )
}
