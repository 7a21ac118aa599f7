//! The ssh agent (`SshAgentBackend`): the task role invokes the iam-ssh-agent backend's API
//! stage to list keys and sign.

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::template::sub::{Piece, build_sub};

/// The task role's `InvokeSshAgentBackend`, with an ssh agent.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "InvokeSshAgentBackend",
    role: GrantedRole::Task {
        asked_by: "SshAgentBackend",
        asked: |features| features.ssh_agent,
    },
    statements: |properties, _| {
        let ssh_agent = properties.ssh_agent.as_ref()?;
        Some(vec![Statement::Allow(Allow::new(
            "ListKeysAndSign",
            Actions::One("execute-api:Invoke"),
            build_sub(&[Piece::Value(&ssh_agent.backend), Piece::Text("/*/*")]),
        ))])
    },
};
