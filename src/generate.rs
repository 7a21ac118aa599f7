//! The resources one Buildkite task definition becomes.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::model::{
    AGENT_CONTAINER, ContainerSecret, EfsVolume, RegistryCredentials, SIDECAR_CONTAINER,
    SSH_AGENT_CONTAINER, SSH_VOLUME, ServiceContainer, SshAgent, TaskDefinitionProperties,
};
use crate::secret_grant::{SecretGrant, SecretStore};
use crate::value::{Piece, allow, build_sub, distinct, object, stack_arn};

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
    fn logical_id(&self) -> &str {
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

const SSH_SOCKET_DIRECTORY: &str = "/ssh";
const SSH_SOCKET: &str = "/ssh/socket";

/// The generated resources, in output order.
pub fn generate(
    ids: &GeneratedIds,
    properties: &TaskDefinitionProperties,
    attributes: &ResourceAttributes,
) -> Vec<(String, Value)> {
    let mut resources = vec![
        (
            ids.task_definition.clone(),
            task_definition(ids, properties),
        ),
        (ids.log_group.clone(), log_group(properties)),
    ];
    if let Some(execution_role_id) = &ids.execution_role {
        resources.push((execution_role_id.clone(), execution_role(ids, properties)));
    }
    if let Some(task_role_id) = &ids.task_role {
        resources.push((task_role_id.clone(), task_role(properties)));
    }
    if let Some(run_policy_id) = &ids.run_policy {
        resources.push((
            run_policy_id.clone(),
            crate::run_policy::run_policy(
                execution_role_arn(ids, properties),
                task_role_arn(ids, properties),
                properties,
            ),
        ));
    }
    for (id, resource) in &mut resources {
        let resource = resource
            .as_object_mut()
            .expect("generated resources are objects");
        for (name, value) in &attributes.shared {
            resource.insert(name.clone(), value.clone());
        }
        if *id == ids.task_definition {
            for (name, value) in &attributes.task_definition_only {
                resource.insert(name.clone(), value.clone());
            }
        }
    }
    resources
}

/// The generated execution role's ARN, or the user's `ExecutionRoleArn`.
fn execution_role_arn(ids: &GeneratedIds, properties: &TaskDefinitionProperties) -> Value {
    match (&ids.execution_role, &properties.execution_role_arn) {
        (Some(execution_role_id), _) => json!({"Fn::GetAtt": [execution_role_id, "Arn"]}),
        (None, Some(arn)) => arn.clone(),
        (None, None) => {
            unreachable!("an execution role is generated unless ExecutionRoleArn is given")
        }
    }
}

/// The generated task role's ARN, or the user's `TaskRoleArn`.
fn task_role_arn(ids: &GeneratedIds, properties: &TaskDefinitionProperties) -> Value {
    match (&ids.task_role, &properties.task_role_arn) {
        (Some(task_role_id), _) => json!({"Fn::GetAtt": [task_role_id, "Arn"]}),
        (None, Some(arn)) => arn.clone(),
        (None, None) => unreachable!("a task role is generated unless TaskRoleArn is given"),
    }
}

fn resource(resource_type: &str, properties: Map<String, Value>) -> Value {
    object([
        ("Type", Value::String(resource_type.to_owned())),
        ("Properties", Value::Object(properties)),
    ])
}

/// Inserts `value` unless it is an empty list (lists never hold placeholders).
fn insert_list(map: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        map.insert(key.to_owned(), Value::Array(items));
    }
}

fn insert_tags(map: &mut Map<String, Value>, properties: &TaskDefinitionProperties) {
    insert_list(map, "Tags", properties.tags.clone());
}

fn task_definition(ids: &GeneratedIds, properties: &TaskDefinitionProperties) -> Value {
    let mut task = Map::new();
    task.insert("Family".into(), properties.family.clone());
    task.insert("Cpu".into(), properties.cpu.clone());
    task.insert("Memory".into(), properties.memory.clone());
    task.insert("NetworkMode".into(), json!("awsvpc"));
    task.insert("RequiresCompatibilities".into(), json!(["FARGATE"]));
    task.insert(
        "ExecutionRoleArn".into(),
        execution_role_arn(ids, properties),
    );
    task.insert("TaskRoleArn".into(), task_role_arn(ids, properties));
    task.insert(
        "RuntimePlatform".into(),
        object([
            ("CpuArchitecture", properties.cpu_architecture.clone()),
            ("OperatingSystemFamily", json!("LINUX")),
        ]),
    );
    if let Some(size) = &properties.ephemeral_storage_gib {
        task.insert(
            "EphemeralStorage".into(),
            object([("SizeInGiB", size.clone())]),
        );
    }
    let mut volumes = Vec::new();
    if properties.ssh_agent.is_some() {
        volumes.push(json!({ "Name": SSH_VOLUME }));
    }
    volumes.extend(properties.volumes.iter().map(efs_volume));
    insert_list(&mut task, "Volumes", volumes);
    let log_configuration = json!({
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": {"Ref": ids.log_group},
            "awslogs-region": {"Ref": "AWS::Region"},
            "awslogs-stream-prefix": "ecs"
        }
    });
    let mut containers = vec![agent_container(properties, &log_configuration)];
    if let Some(image) = &properties.agent_sidecar_image {
        containers.push(object([
            ("Name", json!(SIDECAR_CONTAINER)),
            ("Image", image.clone()),
            ("Essential", json!(false)),
            ("EntryPoint", json!(["/bin/sh", "-c"])),
            (
                "Command",
                json!(["echo The Buildkite agent is ready in /buildkite"]),
            ),
            ("ReadonlyRootFilesystem", json!(true)),
            ("LogConfiguration", log_configuration.clone()),
        ]));
    }
    if let Some(ssh_agent) = &properties.ssh_agent {
        containers.push(ssh_agent_container(ssh_agent, &log_configuration));
    }
    for service in &properties.services {
        containers.push(service_container(
            service,
            &properties.volumes,
            &log_configuration,
        ));
    }
    task.insert("ContainerDefinitions".into(), Value::Array(containers));
    insert_tags(&mut task, properties);
    resource("AWS::ECS::TaskDefinition", task)
}

/// An EFS volume: encrypted in transit, mounted with the task role's identity (IAM
/// authorisation), through its access point when it has one.
fn efs_volume(volume: &EfsVolume) -> Value {
    let mut configuration = Map::new();
    let Some(file_system_id) = &volume.file_system_id else {
        // A task-scoped volume: a Fargate bind mount, shared by the task's containers.
        return object([("Name", json!(volume.name))]);
    };
    configuration.insert("FilesystemId".into(), file_system_id.clone());
    if let Some(root) = &volume.root_directory {
        configuration.insert("RootDirectory".into(), root.clone());
    }
    configuration.insert("TransitEncryption".into(), json!("ENABLED"));
    let mut authorization = Map::new();
    if let Some(access_point) = &volume.access_point_id {
        authorization.insert("AccessPointId".into(), access_point.clone());
    }
    authorization.insert("IAM".into(), json!("ENABLED"));
    configuration.insert("AuthorizationConfig".into(), Value::Object(authorization));
    object([
        ("Name", json!(volume.name)),
        ("EFSVolumeConfiguration", Value::Object(configuration)),
    ])
}

fn mount_point(volume: &EfsVolume) -> Value {
    object([
        ("SourceVolume", json!(volume.name)),
        ("ContainerPath", volume.container_path.clone()),
        ("ReadOnly", json!(volume.read_only)),
    ])
}

/// What the agent and every service end with, in this order: `Ulimits`, `EnvironmentFiles`,
/// `StopTimeout` and the task's `LogConfiguration`.
fn insert_limits_and_logging(
    container: &mut Map<String, Value>,
    ulimits: &[Value],
    environment_files: &[Value],
    stop_timeout: Option<&Value>,
    log_configuration: &Value,
) {
    insert_list(container, "Ulimits", ulimits.to_vec());
    insert_list(
        container,
        "EnvironmentFiles",
        environment_file_entries(environment_files),
    );
    if let Some(seconds) = stop_timeout {
        container.insert("StopTimeout".into(), seconds.clone());
    }
    container.insert("LogConfiguration".into(), log_configuration.clone());
}

fn environment_file_entries(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .map(|file| object([("Value", file.clone()), ("Type", json!("s3"))]))
        .collect()
}

fn name_value_entries(entries: &[(Value, Value)]) -> Vec<Value> {
    entries
        .iter()
        .map(|(name, value)| object([("Name", name.clone()), ("Value", value.clone())]))
        .collect()
}

fn secret_entries<'a>(secrets: impl Iterator<Item = &'a ContainerSecret>) -> Vec<Value> {
    secrets
        .map(|secret| {
            object([
                ("Name", secret.name.clone()),
                ("ValueFrom", secret.value_from.clone()),
            ])
        })
        .collect()
}

fn insert_repository_credentials(
    container: &mut Map<String, Value>,
    credentials: Option<&RegistryCredentials>,
) {
    if let Some(credentials) = credentials {
        container.insert(
            "RepositoryCredentials".into(),
            object([("CredentialsParameter", credentials.secret.clone())]),
        );
    }
}

fn agent_container(properties: &TaskDefinitionProperties, log_configuration: &Value) -> Value {
    let has_sidecar = properties.agent_sidecar_image.is_some();
    let has_ssh_agent = properties.ssh_agent.is_some();
    let entry_point = if has_sidecar {
        "/buildkite/bin/buildkite-agent"
    } else {
        "buildkite-agent"
    };

    // The user's variables come first; a generated one gives way to a user's of the same name.
    let mut environment = name_value_entries(&properties.environment);
    let mut generated: Vec<(&str, Value)> = Vec::new();
    if has_sidecar {
        generated.extend([
            ("BUILDKITE_BUILD_PATH", json!("/buildkite/builds")),
            ("BUILDKITE_HOOKS_PATH", json!("/buildkite/hooks")),
            ("BUILDKITE_PLUGINS_PATH", json!("/buildkite/plugins")),
        ]);
    }
    if has_ssh_agent {
        generated.push(("SSH_AUTH_SOCK", json!(SSH_SOCKET)));
    }
    if let Some(artifacts) = &properties.artifacts {
        generated.extend([
            (
                "BUILDKITE_ARTIFACT_UPLOAD_DESTINATION",
                artifacts.destination(),
            ),
            ("BUILDKITE_S3_ACL", json!(crate::artifacts::ARTIFACT_ACL)),
        ]);
    }
    if let Some(key) = &properties.pipeline_signing_key {
        generated.push((
            crate::signing_key::SIGNING_KEY_VARIABLE,
            key.agent_value.clone(),
        ));
    }
    let user_names: Vec<&Value> = properties
        .environment
        .iter()
        .map(|(name, _)| name)
        .chain(properties.secrets.iter().map(|secret| &secret.name))
        .collect();
    for (name, value) in generated {
        if !user_names.iter().any(|user| user.as_str() == Some(name)) {
            environment.push(object([("Name", json!(name)), ("Value", value)]));
        }
    }
    let secrets =
        secret_entries(std::iter::once(&properties.agent_token).chain(&properties.secrets));

    let mut depends_on = Vec::new();
    if has_sidecar {
        depends_on.push(json!({"ContainerName": SIDECAR_CONTAINER, "Condition": "COMPLETE"}));
    }
    if has_ssh_agent {
        depends_on.push(json!({"ContainerName": SSH_AGENT_CONTAINER, "Condition": "HEALTHY"}));
    }
    for service in &properties.services {
        // A service with a health check is waited for until healthy, else until started.
        let condition = if service.health_check.is_some() {
            "HEALTHY"
        } else {
            "START"
        };
        depends_on.push(json!({"ContainerName": service.name, "Condition": condition}));
    }

    let mut mount_points = Vec::new();
    if has_ssh_agent {
        mount_points.push(SSH_SOCKET_MOUNT.clone());
    }
    mount_points.extend(properties.volumes.iter().map(mount_point));

    let mut container = Map::new();
    container.insert("Name".into(), json!(AGENT_CONTAINER));
    container.insert("Image".into(), properties.image.clone());
    insert_repository_credentials(&mut container, properties.repository_credentials.as_ref());
    container.insert("Essential".into(), json!(true));
    container.insert("EntryPoint".into(), json!([entry_point]));
    container.insert("Command".into(), json!(["start"]));
    insert_list(&mut container, "Environment", environment);
    insert_list(&mut container, "Secrets", secrets);
    insert_list(&mut container, "DependsOn", depends_on);
    if has_sidecar {
        // Builds are written to the sidecar's /buildkite volume.
        container.insert(
            "VolumesFrom".into(),
            json!([{"SourceContainer": SIDECAR_CONTAINER, "ReadOnly": false}]),
        );
    }
    insert_list(&mut container, "MountPoints", mount_points);
    if properties.execute_command {
        // ECS Exec's agent runs beside the build: an init process reaps what it leaves.
        container.insert(
            "LinuxParameters".into(),
            json!({"InitProcessEnabled": true}),
        );
    }
    insert_limits_and_logging(
        &mut container,
        &properties.ulimits,
        &properties.environment_files,
        properties.stop_timeout.as_ref(),
        log_configuration,
    );
    Value::Object(container)
}

fn service_container(
    service: &ServiceContainer,
    volumes: &[EfsVolume],
    log_configuration: &Value,
) -> Value {
    let mut container = Map::new();
    container.insert("Name".into(), json!(service.name));
    container.insert("Image".into(), service.image.clone());
    insert_repository_credentials(&mut container, service.repository_credentials.as_ref());
    container.insert("Essential".into(), json!(service.essential));
    if let Some(entry_point) = &service.entry_point {
        container.insert("EntryPoint".into(), entry_point.clone());
    }
    for (key, value) in [
        ("Cpu", &service.cpu),
        ("Memory", &service.memory),
        ("MemoryReservation", &service.memory_reservation),
    ] {
        if let Some(value) = value {
            container.insert(key.into(), value.clone());
        }
    }
    if let Some(command) = &service.command {
        container.insert("Command".into(), command.clone());
    }
    insert_list(
        &mut container,
        "Environment",
        name_value_entries(&service.environment),
    );
    insert_list(
        &mut container,
        "Secrets",
        secret_entries(service.secrets.iter()),
    );
    let mount_points = volumes
        .iter()
        .filter(|volume| service.volumes.contains(&volume.name))
        .map(mount_point)
        .collect();
    insert_list(&mut container, "MountPoints", mount_points);
    if let Some(health_check) = &service.health_check {
        container.insert("HealthCheck".into(), health_check.clone());
    }
    insert_limits_and_logging(
        &mut container,
        &service.ulimits,
        &service.environment_files,
        service.stop_timeout.as_ref(),
        log_configuration,
    );
    Value::Object(container)
}

// The constant parts of the ssh agent's containers: built once, cloned for each resource.

/// The mount of the ssh agent's socket, in its container and the agent's.
static SSH_SOCKET_MOUNT: LazyLock<Value> = LazyLock::new(
    || json!({"SourceVolume": SSH_VOLUME, "ContainerPath": SSH_SOCKET_DIRECTORY, "ReadOnly": false}),
);

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

fn ssh_agent_container(ssh_agent: &SshAgent, log_configuration: &Value) -> Value {
    object([
        ("Name", json!(SSH_AGENT_CONTAINER)),
        ("Image", ssh_agent.image.clone()),
        ("Essential", json!(true)),
        ("Command", SSH_AGENT_COMMAND.clone()),
        (
            "Environment",
            Value::Array(vec![object([
                ("Name", json!("IAM_SSH_AGENT_BACKEND_URL")),
                ("Value", backend_url(ssh_agent)),
            ])]),
        ),
        ("MountPoints", Value::Array(vec![SSH_SOCKET_MOUNT.clone()])),
        ("HealthCheck", SSH_AGENT_HEALTH_CHECK.clone()),
        ("ReadonlyRootFilesystem", json!(true)),
        ("LogConfiguration", log_configuration.clone()),
    ])
}

/// `https://<api-id>.execute-api.<region>.<url-suffix>/<stage>`: computed for a literal
/// ARN, taken apart with `Fn::Select`/`Fn::Split` for an intrinsic one.
fn backend_url(ssh_agent: &SshAgent) -> Value {
    if let Some((api_id, region, stage)) = &ssh_agent.literal_stage {
        return json!({
            "Fn::Sub": format!("https://{api_id}.execute-api.{region}.${{AWS::URLSuffix}}/{stage}")
        });
    }
    let arn_field =
        |index: usize| json!({"Fn::Select": [index, {"Fn::Split": [":", ssh_agent.backend]}]});
    let resource_part =
        |index: usize| json!({"Fn::Select": [index, {"Fn::Split": ["/", arn_field(5)]}]});
    json!({
        "Fn::Sub": [
            "https://${ApiId}.execute-api.${ApiRegion}.${AWS::URLSuffix}/${Stage}",
            {"ApiId": resource_part(0), "ApiRegion": arn_field(3), "Stage": resource_part(1)}
        ]
    })
}

fn log_group(properties: &TaskDefinitionProperties) -> Value {
    let mut log_group = Map::new();
    log_group.insert(
        "LogGroupName".into(),
        build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&properties.family)]),
    );
    log_group.insert(
        "RetentionInDays".into(),
        properties.log_retention_days.clone(),
    );
    if let Some(key) = &properties.log_kms_key_id {
        log_group.insert("KmsKeyId".into(), key.clone());
    }
    insert_tags(&mut log_group, properties);
    resource("AWS::Logs::LogGroup", log_group)
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
    json!({"Version": "2012-10-17", "Statement": [statement]})
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
    path: &Value,
    trust: Value,
    policies: Vec<Value>,
    managed: Vec<Value>,
    properties: &TaskDefinitionProperties,
) -> Value {
    let mut role = Map::new();
    role.insert("Path".into(), path.clone());
    role.insert("AssumeRolePolicyDocument".into(), trust);
    insert_list(&mut role, "ManagedPolicyArns", managed);
    insert_list(&mut role, "Policies", policies);
    if let Some(boundary) = &properties.permissions_boundary {
        role.insert("PermissionsBoundary".into(), boundary.clone());
    }
    insert_tags(&mut role, properties);
    resource("AWS::IAM::Role", role)
}

fn execution_role(ids: &GeneratedIds, properties: &TaskDefinitionProperties) -> Value {
    let policies = crate::execution_role::execution_role_policies(&ids.log_group, properties)
        .iter()
        .map(crate::execution_role::InlinePolicy::to_role_policy)
        .collect();
    role(
        &properties.execution_role_path,
        EXECUTION_ROLE_TRUST.clone(),
        policies,
        crate::execution_role::execution_role_managed_policies(properties),
        properties,
    )
}

/// Read exactly the secrets named; decrypt only through the services that hold them.
pub(crate) fn secret_statements(grants: &[&SecretGrant]) -> Vec<Value> {
    let mut statements = Vec::new();
    for (store, sid, action) in [
        (SecretStore::Ssm, "ReadParameters", "ssm:GetParameters"),
        (
            SecretStore::SecretsManager,
            "ReadSecrets",
            "secretsmanager:GetSecretValue",
        ),
    ] {
        let resources = distinct(
            grants
                .iter()
                .filter(|g| g.store == store)
                .flat_map(|g| g.resources.iter().cloned()),
        );
        if !resources.is_empty() {
            statements.push(allow(sid, json!(action), Value::Array(resources)));
        }
    }
    let keys = distinct(grants.iter().map(|grant| {
        build_sub(&[
            Piece::Text("arn:"),
            Piece::Pseudo("AWS::Partition"),
            Piece::Text(":kms:"),
            Piece::Value(&grant.region),
            Piece::Text(":"),
            Piece::Value(&grant.account),
            Piece::Text(":key/*"),
        ])
    }));
    let services = distinct(grants.iter().map(|grant| {
        let service = match grant.store {
            SecretStore::Ssm => "ssm.",
            SecretStore::SecretsManager => "secretsmanager.",
        };
        build_sub(&[
            Piece::Text(service),
            Piece::Value(&grant.region),
            Piece::Text("."),
            Piece::Pseudo("AWS::URLSuffix"),
        ])
    }));
    let operator = if services.iter().any(mentions_wildcard) {
        "StringLike"
    } else {
        "StringEquals"
    };
    let mut decrypt = allow(
        "DecryptThroughThoseServices",
        json!("kms:Decrypt"),
        Value::Array(keys),
    );
    decrypt["Condition"] = object([(
        operator,
        object([("kms:ViaService", Value::Array(services))]),
    )]);
    statements.push(decrypt);
    statements
}

/// Whether a `*` is written anywhere in `value` (a key or a string), as its JSON text would
/// show, without writing that text.
fn mentions_wildcard(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('*'),
        Value::Array(items) => items.iter().any(mentions_wildcard),
        Value::Object(map) => map
            .iter()
            .any(|(key, member)| key.contains('*') || mentions_wildcard(member)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn task_role(properties: &TaskDefinitionProperties) -> Value {
    let mut policies = Vec::new();
    if let Some(ssh_agent) = &properties.ssh_agent {
        let statement = allow(
            "ListKeysAndSign",
            json!("execute-api:Invoke"),
            build_sub(&[Piece::Value(&ssh_agent.backend), Piece::Text("/*/*")]),
        );
        policies.push(object([
            ("PolicyName", json!("InvokeSshAgentBackend")),
            (
                "PolicyDocument",
                object([
                    ("Version", json!("2012-10-17")),
                    ("Statement", Value::Array(vec![statement])),
                ]),
            ),
        ]));
    }
    if let Some(policy) = mount_file_systems_policy(&properties.volumes) {
        policies.push(policy);
    }
    if let Some(artifacts) = &properties.artifacts {
        policies.push(artifacts.policy());
    }
    if let Some(key) = &properties.pipeline_signing_key {
        policies.push(object([
            ("PolicyName", json!("SignPipelines")),
            (
                "PolicyDocument",
                object([
                    ("Version", json!("2012-10-17")),
                    ("Statement", Value::Array(vec![key.statement.clone()])),
                ]),
            ),
        ]));
    }
    if properties.execute_command {
        policies.push(json!({
            "PolicyName": "ExecuteCommand",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "OpenSessionChannels",
                    "Effect": "Allow",
                    "Action": [
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel"
                    ],
                    // These four actions take no resource but `*` (ECS Exec's own guide).
                    "Resource": "*"
                }]
            }
        }));
        if let Some(Value::Array(statements)) = policies
            .last_mut()
            .and_then(|policy| policy.pointer_mut("/PolicyDocument/Statement"))
        {
            statements.extend(properties.execute_command_logging.statements());
        }
    }
    policies.extend(properties.task_role_policies.iter().cloned());
    role(
        &properties.task_role_path,
        TASK_ROLE_TRUST.clone(),
        policies,
        properties.task_role_managed_policy_arns.clone(),
        properties,
    )
}

/// Mount exactly the file systems of `Volumes`, through their access points, writing only
/// where a volume is not read-only.
fn mount_file_systems_policy(volumes: &[EfsVolume]) -> Option<Value> {
    let efs_arn = |kind: &str, id: &Value| stack_arn("elasticfilesystem", kind, id);
    // One statement per file system and access point, writing if any of its volumes writes.
    let mut mounts: Vec<(Value, Option<Value>, bool)> = Vec::new();
    for volume in volumes {
        let Some(file_system_id) = &volume.file_system_id else {
            continue;
        };
        let file_system = efs_arn(":file-system/", file_system_id);
        let access_point = volume
            .access_point_id
            .as_ref()
            .map(|id| efs_arn(":access-point/", id));
        match mounts
            .iter_mut()
            .find(|(fs, ap, _)| *fs == file_system && *ap == access_point)
        {
            Some((_, _, writes)) => *writes |= !volume.read_only,
            None => mounts.push((file_system, access_point, !volume.read_only)),
        }
    }
    if mounts.is_empty() {
        return None;
    }
    let statements: Vec<Value> = mounts
        .into_iter()
        .map(|(file_system, access_point, writes)| {
            let mut actions = vec![json!("elasticfilesystem:ClientMount")];
            if writes {
                actions.push(json!("elasticfilesystem:ClientWrite"));
            }
            let mut statement = Map::new();
            statement.insert("Effect".into(), json!("Allow"));
            statement.insert("Action".into(), Value::Array(actions));
            statement.insert("Resource".into(), file_system);
            if let Some(access_point) = access_point {
                statement.insert(
                    "Condition".into(),
                    json!({"ArnEquals": {"elasticfilesystem:AccessPointArn": access_point}}),
                );
            }
            Value::Object(statement)
        })
        .collect();
    Some(object([
        ("PolicyName", json!("MountFileSystems")),
        (
            "PolicyDocument",
            object([
                ("Version", json!("2012-10-17")),
                ("Statement", Value::Array(statements)),
            ]),
        ),
    ]))
}
