//! `EnvironmentFiles`: the execution role reads the `.env` objects ECS loads into the
//! containers (ECS's guide: `s3:GetObject` on the objects and `s3:GetBucketLocation` on their
//! buckets).

use serde_json::Value;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::bucket_of;
use crate::template::value::distinct;

/// The execution role's `ReadEnvironmentFiles`, when a container has `.env` files.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ReadEnvironmentFiles",
    role: GrantedRole::Execution {
        covered_by_managed_policy: false,
    },
    statements: |properties, _| {
        let environment_files = properties.execution_role_environment_files();
        if environment_files.is_empty() {
            return None;
        }
        let buckets = distinct(environment_files.iter().map(|object| bucket_of(object)));
        Some(vec![
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
        ])
    },
};
