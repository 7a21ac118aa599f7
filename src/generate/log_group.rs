//! The task's log group, and the execution role's grant to write to it alone.

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, LogGroup, Statement};
use crate::properties::checked::TaskDefinitionProperties;
use crate::template::arn::get_att_arn;
use crate::template::sub::{Piece, build_sub};

/// The log group, moving the values only it takes out of `properties`.
pub fn log_group(properties: &mut TaskDefinitionProperties) -> LogGroup {
    LogGroup {
        log_group_name: build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&properties.family)]),
        retention_in_days: std::mem::take(&mut properties.log_retention_days),
        kms_key_id: properties.log_kms_key_id.take(),
        tags: properties.tags.clone(),
    }
}

/// The execution role's `WriteLogs`: the containers' log streams in the task's log group alone.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "WriteLogs",
    role: GrantedRole::Execution {
        covered_by_managed_policy: true,
    },
    statements: |_, inputs| {
        Some(vec![Statement::Allow(Allow::new(
            "WriteToTheTaskLogGroup",
            Actions::List(&["logs:CreateLogStream", "logs:PutLogEvents"]),
            get_att_arn(inputs.log_group_id),
        ))])
    },
};
