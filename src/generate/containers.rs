//! The task definition's containers: the agent, its sidecar, the ssh agent and the services.

use crate::generate::output_types::ContainerDefinition;
use crate::generate::output_types::ContainerDependency;
use crate::generate::output_types::EnvironmentFile;
use crate::generate::output_types::LogConfiguration;
use crate::generate::output_types::Member;
use crate::generate::output_types::MountPoint;
use crate::generate::output_types::Name;
use crate::generate::output_types::NameValue;
use crate::generate::output_types::SecretEntry;
use crate::generate::output_types::Text;
use crate::generate::output_types::VolumeFrom;
use crate::properties::checked::AGENT_CONTAINER;
use crate::properties::checked::BackendUrl;
use crate::properties::checked::ContainerSecret;
use crate::properties::checked::EfsVolume;
use crate::properties::checked::HOOKS_CONTAINER;
use crate::properties::checked::RegistryCredentials;
use crate::properties::checked::SIDECAR_CONTAINER;
use crate::properties::checked::SSH_AGENT_CONTAINER;
use crate::properties::checked::SSH_VOLUME;
use crate::properties::checked::ServiceContainer;
use crate::properties::checked::SshAgent;
use crate::properties::checked::TaskDefinitionProperties;
use crate::properties::checked::{GIT_CREDENTIALS_CONTAINER, GIT_SSH_AGENT_CONTAINER};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::LazyLock;

pub(crate) const SSH_SOCKET_DIRECTORY: &str = "/ssh";
pub(crate) const SSH_SOCKET: &str = "/ssh/socket";

pub(crate) fn mount_point(volume: &EfsVolume) -> MountPoint {
    MountPoint {
        source_volume: Cow::Owned(volume.name.clone()),
        container_path: Text::Given(volume.container_path.clone()),
        read_only: volume.read_only,
    }
}

/// What the agent and every service end with: `Ulimits`, `EnvironmentFiles` and
/// `StopTimeout` (the task's `LogConfiguration` comes last, set when it is made).
pub(crate) fn set_limits(
    container: &mut ContainerDefinition,
    ulimits: Vec<Value>,
    environment_files: Vec<Value>,
    stop_timeout: Option<Value>,
) {
    container.ulimits = ulimits;
    container.environment_files = environment_files
        .into_iter()
        .map(|file| EnvironmentFile {
            value: file,
            kind: "s3",
        })
        .collect();
    container.stop_timeout = stop_timeout;
}

pub(crate) fn name_value_entries(entries: Vec<(Value, Value)>) -> impl Iterator<Item = NameValue> {
    entries.into_iter().map(|(name, value)| NameValue {
        name: Text::Given(name),
        value: Text::Given(value),
    })
}

pub(crate) fn secret_entries(secrets: Vec<ContainerSecret>) -> impl Iterator<Item = SecretEntry> {
    secrets.into_iter().map(|secret| SecretEntry {
        name: secret.name,
        value_from: secret.value_from,
    })
}

pub(crate) fn repository_credentials(
    credentials: Option<RegistryCredentials>,
) -> Option<Member<Value>> {
    credentials.map(|credentials| Member("CredentialsParameter", credentials.secret))
}

/// The agent's container, moving the values it takes out of `properties`.
pub(crate) fn agent_container(
    properties: &mut TaskDefinitionProperties,
    log: LogConfiguration,
) -> ContainerDefinition {
    let has_sidecar = properties.agent_sidecar_image.is_some();
    let has_ssh_agent = properties.ssh_agent.is_some();
    let git_ssh_agent = properties.git_credentials.ssh_key.is_some();
    let has_ssh_socket = has_ssh_agent || git_ssh_agent;

    // The user's variables come first; a generated one gives way to a user's of the same name.
    let mut generated: Vec<(&str, Text)> = Vec::new();
    if has_sidecar {
        generated.extend([
            ("BUILDKITE_BUILD_PATH", Text::Constant("/buildkite/builds")),
            ("BUILDKITE_HOOKS_PATH", Text::Constant("/buildkite/hooks")),
            (
                "BUILDKITE_PLUGINS_PATH",
                Text::Constant("/buildkite/plugins"),
            ),
        ]);
    }
    if has_ssh_socket {
        generated.push(("SSH_AUTH_SOCK", Text::Constant(SSH_SOCKET)));
    }
    if properties.git_credentials.https.is_some() {
        generated.extend(
            crate::features::git_credentials::HELPER_VARIABLES
                .map(|(name, value)| (name, Text::Constant(value))),
        );
    }
    if let Some(artifacts) = &properties.artifacts {
        generated.extend([
            (
                "BUILDKITE_ARTIFACT_UPLOAD_DESTINATION",
                Text::Given(artifacts.destination()),
            ),
            (
                "BUILDKITE_S3_ACL",
                Text::Constant(crate::features::artifacts::ARTIFACT_ACL),
            ),
        ]);
    }
    if properties.hooks.is_some() {
        // The delivered hooks take the place of the sidecar's hooks directory.
        generated.retain(|(name, _)| *name != crate::features::hooks::HOOKS_PATH_VARIABLE);
        generated.push((
            crate::features::hooks::HOOKS_PATH_VARIABLE,
            Text::Constant(crate::features::hooks::HOOKS_PATH),
        ));
    }
    if let Some(git_mirrors) = &properties.git_mirrors {
        generated.extend(crate::features::git_mirrors::agent_variables(git_mirrors));
    }
    if let Some(key) = &properties.pipeline_signing_key {
        generated.push((
            crate::features::signing::SIGNING_KEY_VARIABLE,
            Text::Given(key.agent_value.clone()),
        ));
    }
    generated.extend(
        std::mem::take(&mut properties.agent_variables)
            .into_iter()
            .map(|variable| (variable.name, Text::Given(variable.value))),
    );
    let given_by_user = |name: &str| {
        (properties.environment.iter().map(|(name, _)| name))
            .chain(properties.secrets.iter().map(|secret| &secret.name))
            .any(|user| user.as_str() == Some(name))
    };
    generated.retain(|(name, _)| !given_by_user(name));
    let user_environment = std::mem::take(&mut properties.environment);
    let mut environment = Vec::with_capacity(user_environment.len() + generated.len());
    environment.extend(name_value_entries(user_environment));
    environment.extend(generated.into_iter().map(|(name, value)| NameValue {
        name: Text::Constant(name),
        value,
    }));

    let mut depends_on = Vec::new();
    let dependency = |name: Name, condition| ContainerDependency {
        container_name: name,
        condition,
    };
    if has_sidecar {
        depends_on.push(dependency(Cow::Borrowed(SIDECAR_CONTAINER), "COMPLETE"));
    }
    if has_ssh_agent {
        depends_on.push(dependency(Cow::Borrowed(SSH_AGENT_CONTAINER), "HEALTHY"));
    }
    if properties.hooks.is_some() {
        // Only once the hooks are in place: a failed copy never runs a job without them.
        depends_on.push(dependency(Cow::Borrowed(HOOKS_CONTAINER), "SUCCESS"));
    }
    if properties.git_credentials.https.is_some() {
        depends_on.push(dependency(
            Cow::Borrowed(GIT_CREDENTIALS_CONTAINER),
            "SUCCESS",
        ));
    }
    if git_ssh_agent {
        // Once the key is loaded.
        depends_on.push(dependency(
            Cow::Borrowed(GIT_SSH_AGENT_CONTAINER),
            "HEALTHY",
        ));
    }
    for service in &properties.services {
        // A service with a health check is waited for until healthy, else until started.
        let condition = if service.health_check.is_some() {
            "HEALTHY"
        } else {
            "START"
        };
        depends_on.push(dependency(Cow::Owned(service.name.clone()), condition));
    }

    let mut mount_points = Vec::new();
    if has_ssh_socket {
        mount_points.push(ssh_socket_mount());
    }
    mount_points.extend(properties.volumes.iter().map(mount_point));

    let mut container = ContainerDefinition::new(
        AGENT_CONTAINER,
        std::mem::take(&mut properties.image),
        true,
        log,
    );
    container.repository_credentials =
        repository_credentials(properties.repository_credentials.take());
    container.entry_point = Some(Cow::Borrowed(if has_sidecar {
        &AGENT_ENTRY_POINT_FROM_SIDECAR
    } else {
        &AGENT_ENTRY_POINT
    }));
    container.command = Some(Cow::Borrowed(&AGENT_COMMAND));
    container.environment = environment;
    let token = &mut properties.agent_token;
    container.secrets = std::iter::once(SecretEntry {
        name: std::mem::take(&mut token.name),
        value_from: std::mem::take(&mut token.value_from),
    })
    .chain(secret_entries(std::mem::take(&mut properties.secrets)))
    .collect();
    container.depends_on = depends_on;
    if has_sidecar {
        // Builds are written to the sidecar's /buildkite volume.
        container.volumes_from = vec![VolumeFrom {
            source_container: SIDECAR_CONTAINER,
            read_only: false,
        }];
    }
    container.mount_points = mount_points;
    if properties.execute_command {
        // ECS Exec's agent runs beside the build: an init process reaps what it leaves.
        container.linux_parameters = Some(Member("InitProcessEnabled", true));
    }
    set_limits(
        &mut container,
        std::mem::take(&mut properties.ulimits),
        std::mem::take(&mut properties.environment_files),
        properties.stop_timeout.take(),
    );
    container
}

pub(crate) fn service_container(
    service: ServiceContainer,
    volumes: &[EfsVolume],
    log: LogConfiguration,
) -> ContainerDefinition {
    let mount_points = volumes
        .iter()
        .filter(|volume| service.volumes.contains(&volume.name))
        .map(mount_point)
        .collect();
    let mut container =
        ContainerDefinition::new(service.name, service.image, service.essential, log);
    container.repository_credentials = repository_credentials(service.repository_credentials);
    container.entry_point = service.entry_point.map(Cow::Owned);
    container.cpu = service.cpu;
    container.memory = service.memory;
    container.memory_reservation = service.memory_reservation;
    container.command = service.command.map(Cow::Owned);
    container.environment = name_value_entries(service.environment).collect();
    container.secrets = secret_entries(service.secrets).collect();
    container.mount_points = mount_points;
    container.health_check = service.health_check.map(Cow::Owned);
    set_limits(
        &mut container,
        service.ulimits,
        service.environment_files,
        service.stop_timeout,
    );
    container
}

// The constant parts of the containers: built once, borrowed by each resource.

pub(crate) static AGENT_ENTRY_POINT: LazyLock<Value> = LazyLock::new(|| json!(["buildkite-agent"]));
/// The agent the sidecar put in the shared /buildkite volume.
pub(crate) static AGENT_ENTRY_POINT_FROM_SIDECAR: LazyLock<Value> =
    LazyLock::new(|| json!(["/buildkite/bin/buildkite-agent"]));
pub(crate) static AGENT_COMMAND: LazyLock<Value> = LazyLock::new(|| json!(["start"]));
pub(crate) static SIDECAR_ENTRY_POINT: LazyLock<Value> = LazyLock::new(|| json!(["/bin/sh", "-c"]));
pub(crate) static SIDECAR_COMMAND: LazyLock<Value> =
    LazyLock::new(|| json!(["echo The Buildkite agent is ready in /buildkite"]));

/// The mount of the ssh agent's socket, in its container and the agent's.
pub(crate) fn ssh_socket_mount() -> MountPoint {
    MountPoint {
        source_volume: Cow::Borrowed(SSH_VOLUME),
        container_path: Text::Constant(SSH_SOCKET_DIRECTORY),
        read_only: false,
    }
}

pub(crate) static SSH_AGENT_COMMAND: LazyLock<Value> =
    LazyLock::new(|| json!(["iam-ssh-agent", "daemon", format!("--bind-to={SSH_SOCKET}")]));

pub(crate) static SSH_AGENT_HEALTH_CHECK: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "Command": ["CMD-SHELL", format!("test -S {SSH_SOCKET}")],
        "Interval": 5,
        "Timeout": 2,
        "Retries": 3,
        "StartPeriod": 10
    })
});

pub(crate) fn ssh_agent_container(
    ssh_agent: SshAgent,
    log: LogConfiguration,
) -> ContainerDefinition {
    let backend_url = backend_url(ssh_agent.url, &ssh_agent.backend);
    let mut container = ContainerDefinition::new(SSH_AGENT_CONTAINER, ssh_agent.image, true, log);
    container.command = Some(Cow::Borrowed(&SSH_AGENT_COMMAND));
    container.environment = vec![NameValue {
        name: Text::Constant("IAM_SSH_AGENT_BACKEND_URL"),
        value: backend_url,
    }];
    container.mount_points = vec![ssh_socket_mount()];
    container.health_check = Some(Cow::Borrowed(&SSH_AGENT_HEALTH_CHECK));
    container.readonly_root_filesystem = Some(true);
    container
}

/// `https://<api-id>.execute-api.<region>.<url-suffix>/<stage>`: computed for a literal
/// ARN when it was read, taken apart with `Fn::Select`/`Fn::Split` for an intrinsic one.
pub(crate) fn backend_url(url: BackendUrl, backend: &Value) -> Text {
    match url {
        BackendUrl::Literal(url) => return Text::Sub(Member("Fn::Sub", url)),
        BackendUrl::Given(url) => return Text::Given(url),
        BackendUrl::FromArn => {}
    }
    let arn_field = |index: usize| json!({"Fn::Select": [index, {"Fn::Split": [":", backend]}]});
    let resource_part =
        |index: usize| json!({"Fn::Select": [index, {"Fn::Split": ["/", arn_field(5)]}]});
    Text::Given(json!({
        "Fn::Sub": [
            "https://${ApiId}.execute-api.${ApiRegion}.${AWS::URLSuffix}/${Stage}",
            {"ApiId": resource_part(0), "ApiRegion": arn_field(3), "Stage": resource_part(1)}
        ]
    }))
}
