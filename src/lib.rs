//! Expands `Buildkite::ECS::TaskDefinition` resources of a CloudFormation template into a
//! Fargate task definition, its log group and its IAM roles.
//!
//! The library is pure: [`expand`] takes a template and the request context and returns the
//! expanded template or every problem found. The Lambda handler and the command line are thin
//! shells over it.

pub mod yaml;
