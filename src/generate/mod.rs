//! The resources one Buildkite task definition becomes.

pub mod execution_role;
pub mod log_group;
pub mod output_types;
pub mod policy_size;
pub mod run_policy;
pub mod task_definition_size;

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::features::{GrantInputs, role_policies};
use crate::generate::output_types::{
    AuthorizationConfig, ContainerDefinition, ContainerDependency, EfsVolumeConfiguration,
    EnvironmentFile, GeneratedResource, LogConfiguration, Member, MountPoint, Name, NameValue,
    POLICY_VERSION, Properties, Resource, Role, RoleArn, RolePolicy, RuntimePlatform, SecretEntry,
    TaskDefinition, Text, Volume, VolumeFrom,
};
use crate::properties::checked::{
    AGENT_CONTAINER, BackendUrl, ContainerSecret, EfsVolume, RegistryCredentials,
    SIDECAR_CONTAINER, SSH_AGENT_CONTAINER, SSH_VOLUME, ServiceContainer, SshAgent,
    TaskDefinitionProperties,
};

/// The logical IDs generated for resource `X`, in output order.
#[derive(Debug, Clone)]
pub struct GeneratedIds {
    pub task_definition: String,
    pub log_group: String,
    /// `None` when `ExecutionRoleArn` names the user's own role.
    pub execution_role: Option<String>,
    /// `None` when `TaskRoleArn` names the user's own role.
    pub task_role: Option<String>,
    /// `Some` with `RunPolicy: true`.
    pub run_policy: Option<String>,
}

impl GeneratedIds {
    pub fn new(logical_id: &str, generates_task_role: bool) -> Self {
        Self {
            task_definition: [logical_id, "TaskDefinition"].concat(),
            log_group: [logical_id, "LogGroup"].concat(),
            execution_role: Some([logical_id, "ExecutionRole"].concat()),
            task_role: generates_task_role.then(|| [logical_id, "TaskRole"].concat()),
            run_policy: None,
        }
    }

    /// The same, with `XRunPolicy` generated when `generates` is true.
    pub fn generating_run_policy(mut self, generates: bool) -> Self {
        self.run_policy = generates.then(|| [self.logical_id(), "RunPolicy"].concat());
        self
    }

    /// The Buildkite resource's logical ID, which every generated ID starts with.
    pub fn logical_id(&self) -> &str {
        self.task_definition
            .strip_suffix("TaskDefinition")
            .unwrap_or(&self.task_definition)
    }

    /// The same, with no execution role generated when `generates` is false.
    pub fn generating_execution_role(mut self, generates: bool) -> Self {
        if !generates {
            self.execution_role = None;
        }
        self
    }

    pub fn all(&self) -> impl Iterator<Item = &str> {
        [
            Some(&self.task_definition),
            Some(&self.log_group),
            self.execution_role.as_ref(),
            self.task_role.as_ref(),
            self.run_policy.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }
}

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

const SSH_SOCKET_DIRECTORY: &str = "/ssh";
const SSH_SOCKET: &str = "/ssh/socket";

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

/// The task definition, moving the values it takes out of `properties` (left empty).
fn task_definition(
    ids: &GeneratedIds,
    execution_role_arn: RoleArn,
    task_role_arn: RoleArn,
    properties: &mut TaskDefinitionProperties,
) -> TaskDefinition {
    let mut volumes = Vec::new();
    if properties.ssh_agent.is_some() {
        volumes.push(Volume {
            name: Cow::Borrowed(SSH_VOLUME),
            efs: None,
        });
    }
    volumes.extend(properties.volumes.iter().map(efs_volume));
    let log = || LogConfiguration::awslogs(&ids.log_group);
    let mut containers = Vec::with_capacity(
        1 + usize::from(properties.agent_sidecar_image.is_some())
            + usize::from(properties.ssh_agent.is_some())
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
fn efs_volume(volume: &EfsVolume) -> Volume {
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

fn mount_point(volume: &EfsVolume) -> MountPoint {
    MountPoint {
        source_volume: Cow::Owned(volume.name.clone()),
        container_path: Text::Given(volume.container_path.clone()),
        read_only: volume.read_only,
    }
}

/// What the agent and every service end with: `Ulimits`, `EnvironmentFiles` and
/// `StopTimeout` (the task's `LogConfiguration` comes last, set when it is made).
fn set_limits(
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

fn name_value_entries(entries: Vec<(Value, Value)>) -> impl Iterator<Item = NameValue> {
    entries.into_iter().map(|(name, value)| NameValue {
        name: Text::Given(name),
        value: Text::Given(value),
    })
}

fn secret_entries(secrets: Vec<ContainerSecret>) -> impl Iterator<Item = SecretEntry> {
    secrets.into_iter().map(|secret| SecretEntry {
        name: secret.name,
        value_from: secret.value_from,
    })
}

fn repository_credentials(credentials: Option<RegistryCredentials>) -> Option<Member<Value>> {
    credentials.map(|credentials| Member("CredentialsParameter", credentials.secret))
}

/// The agent's container, moving the values it takes out of `properties`.
fn agent_container(
    properties: &mut TaskDefinitionProperties,
    log: LogConfiguration,
) -> ContainerDefinition {
    let has_sidecar = properties.agent_sidecar_image.is_some();
    let has_ssh_agent = properties.ssh_agent.is_some();

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
    if has_ssh_agent {
        generated.push(("SSH_AUTH_SOCK", Text::Constant(SSH_SOCKET)));
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
    if let Some(key) = &properties.pipeline_signing_key {
        generated.push((
            crate::features::signing::SIGNING_KEY_VARIABLE,
            Text::Given(key.agent_value.clone()),
        ));
    }
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
    if has_ssh_agent {
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

fn service_container(
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

static AGENT_ENTRY_POINT: LazyLock<Value> = LazyLock::new(|| json!(["buildkite-agent"]));
/// The agent the sidecar put in the shared /buildkite volume.
static AGENT_ENTRY_POINT_FROM_SIDECAR: LazyLock<Value> =
    LazyLock::new(|| json!(["/buildkite/bin/buildkite-agent"]));
static AGENT_COMMAND: LazyLock<Value> = LazyLock::new(|| json!(["start"]));
static SIDECAR_ENTRY_POINT: LazyLock<Value> = LazyLock::new(|| json!(["/bin/sh", "-c"]));
static SIDECAR_COMMAND: LazyLock<Value> =
    LazyLock::new(|| json!(["echo The Buildkite agent is ready in /buildkite"]));

/// The mount of the ssh agent's socket, in its container and the agent's.
fn ssh_socket_mount() -> MountPoint {
    MountPoint {
        source_volume: Cow::Borrowed(SSH_VOLUME),
        container_path: Text::Constant(SSH_SOCKET_DIRECTORY),
        read_only: false,
    }
}

static SSH_AGENT_COMMAND: LazyLock<Value> =
    LazyLock::new(|| json!(["iam-ssh-agent", "daemon", format!("--bind-to={SSH_SOCKET}")]));

static SSH_AGENT_HEALTH_CHECK: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "Command": ["CMD-SHELL", format!("test -S {SSH_SOCKET}")],
        "Interval": 5,
        "Timeout": 2,
        "Retries": 3,
        "StartPeriod": 10
    })
});

fn ssh_agent_container(ssh_agent: SshAgent, log: LogConfiguration) -> ContainerDefinition {
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
fn backend_url(url: BackendUrl, backend: &Value) -> Text {
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

/// The trust policy of a role ECS tasks assume, with `condition` on its statement.
fn trust_policy(condition: Option<Value>) -> Value {
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

/// The execution role's trust policy: any ECS task may assume it.
static EXECUTION_ROLE_TRUST: LazyLock<Value> = LazyLock::new(|| trust_policy(None));

/// The task role's trust policy: tasks of the stack's own account only, as the ECS guide
/// advises against the confused deputy.
static TASK_ROLE_TRUST: LazyLock<Value> = LazyLock::new(|| {
    trust_policy(Some(
        json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}),
    ))
});

fn role(
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

fn execution_role(ids: &GeneratedIds, properties: &mut TaskDefinitionProperties) -> Role {
    let policies =
        crate::generate::execution_role::execution_role_policies(&ids.log_group, properties)
            .into_iter()
            .map(RolePolicy::Inline)
            .collect();
    role(
        std::mem::take(&mut properties.execution_role_path),
        &EXECUTION_ROLE_TRUST,
        policies,
        crate::generate::execution_role::execution_role_managed_policies(properties),
        properties,
    )
}

/// The task role, moving the values only it takes out of `properties`.
fn task_role(ids: &GeneratedIds, properties: &mut TaskDefinitionProperties) -> Role {
    let inputs = GrantInputs {
        log_group_id: &ids.log_group,
    };
    let mut policies: Vec<RolePolicy> = role_policies(properties, &inputs, false)
        .into_iter()
        .map(RolePolicy::Inline)
        .collect();
    policies.extend(
        std::mem::take(&mut properties.task_role_policies)
            .into_iter()
            .map(RolePolicy::Written),
    );
    role(
        std::mem::take(&mut properties.task_role_path),
        &TASK_ROLE_TRUST,
        policies,
        std::mem::take(&mut properties.task_role_managed_policy_arns),
        properties,
    )
}

#[cfg(test)]
mod tests;
