//! The task definition: its containers, volumes, roles and platform.

use crate::features::git_credentials;
use crate::generate::containers::SIDECAR_COMMAND;
use crate::generate::containers::SIDECAR_ENTRY_POINT;
use crate::generate::containers::agent_container;
use crate::generate::containers::service_container;
use crate::generate::containers::ssh_agent_container;
use crate::generate::ids::GeneratedIds;
use crate::generate::output_types::AuthorizationConfig;
use crate::generate::output_types::ContainerDefinition;
use crate::generate::output_types::EfsVolumeConfiguration;
use crate::generate::output_types::LogConfiguration;
use crate::generate::output_types::Member;
use crate::generate::output_types::RoleArn;
use crate::generate::output_types::RuntimePlatform;
use crate::generate::output_types::TaskDefinition;
use crate::generate::output_types::Volume;
use crate::properties::checked::EfsVolume;
use crate::properties::checked::SIDECAR_CONTAINER;
use crate::properties::checked::SSH_VOLUME;
use crate::properties::checked::TaskDefinitionProperties;
use std::borrow::Cow;

/// The task definition, moving the values it takes out of `properties` (left empty).
pub(crate) fn task_definition(
    ids: &GeneratedIds,
    execution_role_arn: RoleArn,
    task_role_arn: RoleArn,
    properties: &mut TaskDefinitionProperties,
) -> TaskDefinition {
    let mut volumes = Vec::new();
    if properties.ssh_agent.is_some() || properties.git_credentials.ssh_key.is_some() {
        volumes.push(Volume {
            name: Cow::Borrowed(SSH_VOLUME),
            efs: None,
        });
    }
    volumes.extend(properties.volumes.iter().map(efs_volume));
    let log_delivery = std::mem::take(&mut properties.log_delivery);
    let log = || LogConfiguration::awslogs(&ids.log_group, &log_delivery);
    let mut containers = Vec::with_capacity(
        1 + usize::from(properties.agent_sidecar_image.is_some())
            + usize::from(properties.ssh_agent.is_some())
            + usize::from(properties.hooks.is_some())
            + usize::from(properties.git_credentials.https.is_some())
            + usize::from(properties.git_credentials.ssh_key.is_some())
            + properties.services.len(),
    );
    containers.push(agent_container(properties, log()));
    if let Some(image) = properties.agent_sidecar_image.take() {
        let mut sidecar = ContainerDefinition::new(SIDECAR_CONTAINER, image, false, log());
        sidecar.entry_point = Some(Cow::Borrowed(&SIDECAR_ENTRY_POINT));
        sidecar.command = Some(Cow::Borrowed(&SIDECAR_COMMAND));
        sidecar.readonly_root_filesystem = Some(true);
        containers.push(sidecar);
    }
    if let Some(ssh_agent) = properties.ssh_agent.take() {
        containers.push(ssh_agent_container(ssh_agent, log()));
    }
    if let Some(hooks) = properties.hooks.take() {
        containers.push(crate::features::hooks::init_container(hooks, log()));
    }
    let git = &mut properties.git_credentials;
    if let Some(secret) = git.https.take() {
        containers.push(git_credentials::credentials_container(secret, git, log()));
    }
    if let Some(key) = git.ssh_key.take() {
        containers.push(git_credentials::ssh_agent_container(
            key,
            git,
            crate::generate::containers::ssh_socket_mount(),
            log(),
        ));
    }
    for service in std::mem::take(&mut properties.services) {
        containers.push(service_container(service, &properties.volumes, log()));
    }
    TaskDefinition {
        family: std::mem::take(&mut properties.family),
        cpu: std::mem::take(&mut properties.cpu),
        memory: std::mem::take(&mut properties.memory),
        network_mode: "awsvpc",
        requires_compatibilities: ["FARGATE"],
        execution_role_arn,
        task_role_arn,
        runtime_platform: RuntimePlatform {
            cpu_architecture: std::mem::take(&mut properties.cpu_architecture),
            operating_system_family: "LINUX",
        },
        ephemeral_storage: properties
            .ephemeral_storage_gib
            .take()
            .map(|size| Member("SizeInGiB", size)),
        volumes,
        container_definitions: containers,
        tags: std::mem::take(&mut properties.tags),
    }
}

/// An EFS volume: encrypted in transit, mounted with the task role's identity (IAM
/// authorisation), through its access point when it has one.
pub(crate) fn efs_volume(volume: &EfsVolume) -> Volume {
    let efs = volume
        .file_system_id
        .as_ref()
        .map(|file_system_id| EfsVolumeConfiguration {
            file_system_id: file_system_id.clone(),
            root_directory: volume.root_directory.clone(),
            transit_encryption: "ENABLED",
            authorization_config: AuthorizationConfig {
                access_point_id: volume.access_point_id.clone(),
                iam: "ENABLED",
            },
        });
    // Without a file system: a task-scoped volume, a Fargate bind mount shared by the task's
    // containers.
    Volume {
        name: Cow::Owned(volume.name.clone()),
        efs,
    }
}
