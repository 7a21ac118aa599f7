//! The task role the build runs with: the inline policies the features ask for, then the
//! user's own.

use crate::features::GrantInputs;
use crate::features::role_policies;
use crate::generate::ids::GeneratedIds;
use crate::generate::output_types::Role;
use crate::generate::output_types::RolePolicy;
use crate::generate::role::role;
use crate::generate::role::trust_policy;
use crate::properties::checked::TaskDefinitionProperties;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The task role's trust policy: tasks of the stack's own account only, as the ECS guide
/// advises against the confused deputy.
pub(crate) static TASK_ROLE_TRUST: LazyLock<Value> = LazyLock::new(|| {
    trust_policy(Some(
        json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}),
    ))
});

/// The task role, moving the values only it takes out of `properties`.
pub(crate) fn task_role(ids: &GeneratedIds, properties: &mut TaskDefinitionProperties) -> Role {
    let inputs = GrantInputs {
        log_group_id: &ids.log_group,
    };
    let mut policies: Vec<RolePolicy> = role_policies(properties, &inputs, false)
        .into_iter()
        .map(RolePolicy::Inline)
        .collect();
    policies.extend(
        std::mem::take(&mut properties.task_role_policies)
            .into_iter()
            .map(RolePolicy::Written),
    );
    role(
        std::mem::take(&mut properties.task_role_path),
        &TASK_ROLE_TRUST,
        policies,
        std::mem::take(&mut properties.task_role_managed_policy_arns),
        properties,
    )
}
