//! Expands `Buildkite::ECS::TaskDefinition` resources of a CloudFormation template into a
//! Fargate task definition, its log group and its IAM roles.
//!
//! The library is pure: [`expand()`] takes a template and the request context and returns the
//! expanded template or every problem found. The Lambda handler and the command line are thin
//! shells over it.
//!
//! The folders follow a request: `shells` (Lambda, command line) hand the template to `expand`,
//! which reads each resource's `properties`, asks the `features` for what they grant, has
//! `generate` write the resources, and rewrites the references; all of it over `template`.

pub mod expand;
pub mod features;
pub mod generate;
pub mod properties;
pub mod shells;
pub mod template;

pub use expand::{ExpansionSummary, expand, expand_with_summary};
pub use template::context::ExpansionContext;
pub use template::problems::{Problem, Problems};
