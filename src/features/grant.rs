//! What a feature asks the roles for: the shape of an entry of the features' registry
//! ([`crate::features::FEATURE_GRANTS`]).

use crate::generate::output_types::Statement;
use crate::properties::checked::TaskDefinitionProperties;

/// One inline policy a feature asks for, and the role it goes on.
pub struct FeatureGrant {
    /// The inline policy's name.
    pub policy_name: &'static str,
    pub role: GrantedRole,
    /// The policy's statements, or `None` where these properties need none. It may take the
    /// values it names out of the properties: nothing reads them after the roles are built.
    pub statements: fn(&mut TaskDefinitionProperties, &GrantInputs) -> Option<Vec<Statement>>,
}

/// What a grant may need beside the properties.
pub struct GrantInputs<'a> {
    /// The logical ID of the generated log group.
    pub log_group_id: &'a str,
}

pub enum GrantedRole {
    /// The execution role, which ECS starts the task with. A grant covered by AWS's managed
    /// policy is left out when `AttachTaskExecutionRolePolicy` attaches it.
    Execution { covered_by_managed_policy: bool },
    /// The task role, which the build runs with. `asked_by` names the property for a clash
    /// with a `TaskRolePolicies` name, found by `asked` before the properties are whole.
    Task {
        asked_by: &'static str,
        asked: fn(&TaskRoleFeatures) -> bool,
    },
}

/// What the task role is given inline policies for: read before the properties are whole, so
/// that a name a `TaskRolePolicies` entry shares with one is found with every other problem.
pub struct TaskRoleFeatures {
    pub ssh_agent: bool,
    pub mounts_file_systems: bool,
    pub artifacts: bool,
    pub signs_pipelines: bool,
    pub execute_command: bool,
    pub reads_hooks: bool,
}
