//! The floor every stage stands on: reading and writing YAML, CloudFormation values and
//! `Fn::Sub`, where a value sits, the problems found, ARNs and the request's context.

pub mod arn;
pub mod context;
pub mod evaluate;
pub mod place;
pub mod problems;
pub mod scope;
pub mod sub;
pub mod value;
pub mod yaml;
