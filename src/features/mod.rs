//! The grant-bearing features: each reads its properties, checks them and says what it needs
//! granted. The roles are the sum of what the features ask for: [`FEATURE_GRANTS`] lists them
//! in the order their policies are written, and the generator goes over it.

pub mod agent_settings;
pub mod artifacts;
pub mod efs;
pub mod environment_files;
pub mod exec;
pub mod git_credentials;
pub mod git_mirrors;
pub mod grant;
pub mod hooks;
pub mod images;
pub mod s3;
pub mod secrets;
pub mod signing;
pub mod ssh_agent;
pub mod stop_grace;

pub use grant::{FeatureGrant, GrantInputs, GrantedRole, TaskRoleFeatures};

use crate::generate::log_group;
use crate::generate::output_types::InlinePolicy;
use crate::properties::checked::TaskDefinitionProperties;

/// Every feature's grant, in the order the roles list their policies. A new grant is one
/// entry here and its function in the feature's file.
pub const FEATURE_GRANTS: &[FeatureGrant] = &[
    secrets::GRANT,
    environment_files::GRANT,
    images::GRANT,
    log_group::GRANT,
    ssh_agent::GRANT,
    efs::GRANT,
    hooks::GRANT,
    artifacts::GRANT,
    signing::GRANT,
    exec::GRANT,
];

/// The inline policies of the execution role (`execution`), else of the task role, in
/// [`FEATURE_GRANTS`] order.
pub fn role_policies(
    properties: &mut TaskDefinitionProperties,
    inputs: &GrantInputs,
    execution: bool,
) -> Vec<InlinePolicy> {
    let managed = properties.attach_task_execution_role_policy;
    let mut policies = Vec::new();
    for grant in FEATURE_GRANTS {
        let applies = match grant.role {
            GrantedRole::Execution {
                covered_by_managed_policy,
            } => execution && !(managed && covered_by_managed_policy),
            GrantedRole::Task { .. } => !execution,
        };
        if !applies {
            continue;
        }
        if let Some(statements) = (grant.statements)(properties, inputs) {
            policies.push(InlinePolicy {
                name: grant.policy_name,
                statements,
            });
        }
    }
    policies
}

/// The inline policies the task role gets for `features`, by name, each with the property that
/// asks for it, in their order.
pub fn task_role_policy_names(features: &TaskRoleFeatures) -> Vec<(&'static str, &'static str)> {
    FEATURE_GRANTS
        .iter()
        .filter_map(|grant| match grant.role {
            GrantedRole::Task { asked_by, asked } if asked(features) => {
                Some((grant.policy_name, asked_by))
            }
            _ => None,
        })
        .collect()
}
