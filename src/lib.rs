//! Expands `Buildkite::ECS::TaskDefinition` resources of a CloudFormation template into a
//! Fargate task definition, its log group and its IAM roles.
//!
//! The library is pure: [`expand`] takes a template and the request context and returns the
//! expanded template or every problem found. The Lambda handler and the command line are thin
//! shells over it.

pub mod arn;
pub mod artifacts;
pub mod cli;
pub mod composition;
pub mod conditions;
pub mod context;
pub mod exec_logging;
pub mod execution_role;
pub mod expand;
pub mod explain;
pub mod fargate;
pub mod generate;
pub mod globals;
pub mod image_grant;
pub mod lambda;
pub mod macro_io;
pub mod model;
pub mod place;
pub mod policy_size;
pub mod problems;
pub mod properties;
pub mod property_table;
pub mod references;
pub mod resources;
pub mod run_policy;
pub mod schema;
pub mod secret_grant;
pub mod signing_key;
pub mod task_definition_size;
pub mod value;
pub mod yaml;

pub use context::ExpansionContext;
pub use expand::{ExpansionSummary, expand, expand_with_summary};
pub use problems::{Problem, Problems};
