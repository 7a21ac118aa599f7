//! A role as the macro writes it: the trust policy ECS tasks assume it by, its path,
//! permissions boundary and tags.

use crate::generate::output_types::POLICY_VERSION;
use crate::generate::output_types::Role;
use crate::generate::output_types::RolePolicy;
use crate::properties::checked::TaskDefinitionProperties;
use serde_json::{Value, json};
use std::borrow::Cow;

/// The trust policy of a role ECS tasks assume, with `condition` on its statement.
pub(crate) fn trust_policy(condition: Option<Value>) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"
    });
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": POLICY_VERSION, "Statement": [statement]})
}

pub(crate) fn role(
    path: Value,
    trust: &'static Value,
    policies: Vec<RolePolicy>,
    managed: Vec<Value>,
    properties: &TaskDefinitionProperties,
) -> Role {
    Role {
        path,
        assume_role_policy_document: Cow::Borrowed(trust),
        managed_policy_arns: managed,
        policies,
        permissions_boundary: properties.permissions_boundary.clone(),
        tags: properties.tags.clone(),
    }
}
