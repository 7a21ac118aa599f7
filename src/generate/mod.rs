//! The resources one Buildkite task definition becomes.

mod containers;
pub mod execution_role;
pub mod ids;
pub mod log_group;
pub mod output_types;
pub mod policy_size;
mod role;
pub mod run_policy;
mod task_definition;
pub mod task_definition_size;
mod task_role;

use serde_json::{Map, Value};

pub use ids::GeneratedIds;

use crate::generate::execution_role::execution_role;
use crate::generate::output_types::{GeneratedResource, Properties, Resource, RoleArn};
use crate::generate::task_definition::task_definition;
use crate::generate::task_role::task_role;
use crate::properties::checked::TaskDefinitionProperties;

/// Resource attributes of `X` that its generated resources carry.
#[derive(Default)]
pub struct ResourceAttributes {
    /// `Condition`, `DeletionPolicy`, `UpdateReplacePolicy`: on every generated resource.
    pub shared: Map<String, Value>,
    /// `DependsOn`, `Metadata`: on the task definition only.
    pub task_definition_only: Map<String, Value>,
}

impl ResourceAttributes {
    /// The attributes every generated resource carries.
    fn carried(&self) -> Vec<(String, Value)> {
        (self.shared.iter())
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// The attributes the task definition carries: the shared ones, then its own.
    fn carried_by_task_definition(&self) -> Vec<(String, Value)> {
        (self.shared.iter().chain(&self.task_definition_only))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

/// The generated resources, in output order. Each moves the values only it takes out of
/// `properties`; the task definition is built last, from the values the other resources have
/// read: they are moved into it, not copied.
pub fn generate(
    ids: &GeneratedIds,
    mut properties: TaskDefinitionProperties,
    attributes: &ResourceAttributes,
) -> Vec<(String, GeneratedResource)> {
    let log_group = Properties::LogGroup(log_group::log_group(&mut properties));
    let execution_role = ids.execution_role.as_ref().map(|id| {
        let role = execution_role(ids, &mut properties);
        (id.clone(), Properties::Role(Box::new(role)))
    });
    let task_role = ids.task_role.as_ref().map(|id| {
        let role = task_role(ids, &mut properties);
        (id.clone(), Properties::Role(Box::new(role)))
    });
    // The task's roles, as the run policy and the task definition write them.
    let execution_role_arn = RoleArn::of(&ids.execution_role, &mut properties.execution_role_arn);
    let task_role_arn = RoleArn::of(&ids.task_role, &mut properties.task_role_arn);
    let run_policy = ids.run_policy.as_ref().map(|id| {
        let policy = crate::generate::run_policy::run_policy(
            &execution_role_arn,
            &task_role_arn,
            &properties,
        );
        (id.clone(), Properties::ManagedPolicy(policy))
    });
    let task_definition = task_definition(ids, execution_role_arn, task_role_arn, &mut properties);
    let resource = |properties, attributes| {
        GeneratedResource::Typed(Resource {
            properties,
            attributes,
        })
    };
    let mut resources = Vec::with_capacity(ids.all().count());
    resources.push((
        ids.task_definition.clone(),
        resource(
            Properties::TaskDefinition(Box::new(task_definition)),
            attributes.carried_by_task_definition(),
        ),
    ));
    resources.push((
        ids.log_group.clone(),
        resource(log_group, attributes.carried()),
    ));
    resources.extend(
        [execution_role, task_role, run_policy]
            .into_iter()
            .flatten()
            .map(|(id, properties)| (id, resource(properties, attributes.carried()))),
    );
    resources
}

#[cfg(test)]
mod tests;
