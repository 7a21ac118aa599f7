//! The resources the macro writes, as typed values. They are serialised straight to the
//! output (the Lambda's response, `invoke`'s and `expand`'s JSON) without being built as
//! `serde_json::Value` trees first: a struct's fields are written in the order declared here,
//! which is the order the macro has always written them, and an empty list or an absent
//! value is left out. Values from the template stay `Value`s; constant fragments are built
//! once and borrowed (`Cow::Borrowed`).

use std::borrow::Cow;

use crate::properties::log_delivery::LogDelivery;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// `{key: value}`: a JSON object of one member, such as `{"Ref": "AWS::Region"}`.
#[derive(Debug, Clone)]
pub struct Member<V>(pub &'static str, pub V);

impl<V: Serialize> Serialize for Member<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// A value that is the same for every resource (built once, borrowed) or made for this one.
pub type Fragment = Cow<'static, Value>;

/// A name the macro writes (`agent`, `ssh-agent`) or one the template gives.
pub type Name = Cow<'static, str>;

/// A string the macro writes, or a value the template gives (a string or an intrinsic).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Text {
    Constant(&'static str),
    Given(Value),
    /// `{"Fn::Sub": text}`, the text made for this resource.
    Sub(Member<String>),
}

/// One generated resource: its type and properties, and the attributes of the Buildkite
/// resource it carries (`Condition`, `DeletionPolicy`, ... in the order they are added).
#[derive(Debug)]
pub struct Resource {
    pub properties: Properties,
    pub attributes: Vec<(String, Value)>,
}

/// A resource's properties, written as the variant's own.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Properties {
    TaskDefinition(Box<TaskDefinition>),
    LogGroup(LogGroup),
    Role(Box<Role>),
    /// `RunPolicy: true`'s `AWS::IAM::ManagedPolicy`: one per resource, kept as a value.
    ManagedPolicy(Value),
}

impl Properties {
    pub fn type_name(&self) -> &'static str {
        match self {
            Properties::TaskDefinition(_) => "AWS::ECS::TaskDefinition",
            Properties::LogGroup(_) => "AWS::Logs::LogGroup",
            Properties::Role(_) => "AWS::IAM::Role",
            Properties::ManagedPolicy(_) => "AWS::IAM::ManagedPolicy",
        }
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2 + self.attributes.len()))?;
        map.serialize_entry("Type", self.properties.type_name())?;
        map.serialize_entry("Properties", &self.properties)?;
        for (name, value) in &self.attributes {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A generated resource as written: typed, or a value (the resources of a Buildkite resource
/// whose properties branch on conditions, joined from each branch's).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum GeneratedResource {
    Typed(Resource),
    Joined(Value),
}

impl GeneratedResource {
    /// Its `Condition`: where it exists.
    pub fn condition(&self) -> Option<&Value> {
        match self {
            GeneratedResource::Typed(resource) => resource
                .attributes
                .iter()
                .find(|(name, _)| name == "Condition")
                .map(|(_, value)| value),
            GeneratedResource::Joined(value) => value.get("Condition"),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskDefinition {
    pub family: Value,
    pub cpu: Value,
    pub memory: Value,
    pub network_mode: &'static str,
    pub requires_compatibilities: [&'static str; 1],
    pub execution_role_arn: RoleArn,
    pub task_role_arn: RoleArn,
    pub runtime_platform: RuntimePlatform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Member<Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Value>,
}

/// A task definition's role: the user's ARN (`TaskRoleArn`, `ExecutionRoleArn`), or the
/// generated role's `{"Fn::GetAtt": [id, "Arn"]}`, written without being built as a value.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum RoleArn {
    Given(Value),
    Generated(Member<(String, &'static str)>),
}

impl RoleArn {
    /// The role generated as `generated_id`, else the user's `given` one (taken).
    pub fn of(generated_id: &Option<String>, given: &mut Option<Value>) -> Self {
        match (generated_id, given.take()) {
            (Some(id), _) => RoleArn::Generated(Member("Fn::GetAtt", (id.clone(), "Arn"))),
            (None, Some(arn)) => RoleArn::Given(arn),
            (None, None) => unreachable!("a role is generated unless its ARN is given"),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: Value,
    pub operating_system_family: &'static str,
}

/// A task volume: a Fargate bind mount, or an EFS file system.
#[derive(Debug, Serialize)]
pub struct Volume {
    #[serde(rename = "Name")]
    pub name: Name,
    #[serde(
        rename = "EFSVolumeConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    pub efs: Option<EfsVolumeConfiguration>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EfsVolumeConfiguration {
    #[serde(rename = "FilesystemId")]
    pub file_system_id: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<Value>,
    pub transit_encryption: &'static str,
    pub authorization_config: AuthorizationConfig,
}

#[derive(Debug, Serialize)]
pub struct AuthorizationConfig {
    #[serde(rename = "AccessPointId", skip_serializing_if = "Option::is_none")]
    pub access_point_id: Option<Value>,
    #[serde(rename = "IAM")]
    pub iam: &'static str,
}

/// A container of the task definition. The agent, its sidecar, the ssh agent and the services
/// each set the fields they have; the order is the one all of them are written in.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    pub name: Name,
    pub image: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<Member<Value>>,
    pub essential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Fragment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Fragment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<NameValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<VolumeFrom>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<Member<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<Fragment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<Value>,
    pub log_configuration: LogConfiguration,
}

impl ContainerDefinition {
    /// A container with only its name, image, essential flag and logging; the rest unset.
    pub fn new(
        name: impl Into<Name>,
        image: Value,
        essential: bool,
        log: LogConfiguration,
    ) -> Self {
        Self {
            name: name.into(),
            image,
            repository_credentials: None,
            essential,
            user: None,
            entry_point: None,
            cpu: None,
            memory: None,
            memory_reservation: None,
            command: None,
            environment: Vec::new(),
            secrets: Vec::new(),
            depends_on: Vec::new(),
            volumes_from: Vec::new(),
            mount_points: Vec::new(),
            linux_parameters: None,
            health_check: None,
            readonly_root_filesystem: None,
            ulimits: Vec::new(),
            environment_files: Vec::new(),
            stop_timeout: None,
            log_configuration: log,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameValue {
    pub name: Text,
    pub value: Text,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretEntry {
    pub name: Value,
    pub value_from: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDependency {
    pub container_name: Name,
    pub condition: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeFrom {
    pub source_container: &'static str,
    pub read_only: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    pub source_volume: Name,
    pub container_path: Text,
    pub read_only: bool,
}

/// An `.env` file in S3 (`{"Value": arn, "Type": "s3"}`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentFile {
    pub value: Value,
    #[serde(rename = "Type")]
    pub kind: &'static str,
}

/// Every container logs to the task's log group, one stream each.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfiguration {
    pub log_driver: &'static str,
    pub options: LogOptions,
}

#[derive(Debug, Serialize)]
pub struct LogOptions {
    #[serde(rename = "awslogs-group")]
    pub group: Member<String>,
    #[serde(rename = "awslogs-region")]
    pub region: Member<&'static str>,
    #[serde(rename = "awslogs-stream-prefix")]
    pub stream_prefix: &'static str,
    pub mode: Text,
    #[serde(rename = "max-buffer-size", skip_serializing_if = "Option::is_none")]
    pub max_buffer_size: Option<Value>,
}

impl LogConfiguration {
    /// `awslogs` to the log group `log_group_id` of the template, delivered as `delivery` says.
    pub fn awslogs(log_group_id: &str, delivery: &LogDelivery) -> Self {
        Self {
            log_driver: "awslogs",
            options: LogOptions {
                group: Member("Ref", log_group_id.to_owned()),
                region: Member("Ref", "AWS::Region"),
                stream_prefix: "ecs",
                // The modes written out are constants: no copy for each container.
                mode: match delivery.mode.as_str() {
                    Some("non-blocking") => Text::Constant("non-blocking"),
                    Some("blocking") => Text::Constant("blocking"),
                    _ => Text::Given(delivery.mode.clone()),
                },
                max_buffer_size: delivery.max_buffer_size.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub log_group_name: Value,
    pub retention_in_days: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub path: Value,
    pub assume_role_policy_document: Fragment,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<RolePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Value>,
}

/// An entry of a role's `Policies`: one the macro writes, or one the template gives.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum RolePolicy {
    Inline(InlinePolicy),
    Written(Value),
}

/// An inline policy: its name and statements, written as a role's `Policies` entry takes it.
#[derive(Debug)]
pub struct InlinePolicy {
    pub name: &'static str,
    pub statements: Vec<Statement>,
}

impl Serialize for InlinePolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("PolicyName", self.name)?;
        map.serialize_entry("PolicyDocument", &self.document())?;
        map.end()
    }
}

impl InlinePolicy {
    /// Its `PolicyDocument`.
    pub fn document(&self) -> PolicyDocument<'_> {
        PolicyDocument {
            version: POLICY_VERSION,
            statement: &self.statements,
        }
    }
}

/// The policy language's current version, which every document the macro writes names.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A policy document of statements.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument<'a> {
    version: &'static str,
    statement: &'a [Statement],
}

/// A policy statement: one the macro writes, or one a value holds.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Statement {
    Allow(Allow),
    Written(Value),
}

/// `Allow` `action` on `resource`, written `Sid`, `Effect`, `Action`, `Resource`, `Condition`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Allow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<&'static str>,
    pub effect: &'static str,
    pub action: Actions,
    pub resource: Value,
    /// `{operator: {key: value}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Member<Member<Value>>>,
}

impl Allow {
    pub fn new(sid: &'static str, action: Actions, resource: Value) -> Self {
        Self {
            sid: Some(sid),
            effect: "Allow",
            action,
            resource,
            condition: None,
        }
    }

    /// A statement without a `Sid`.
    pub fn unnamed(action: Actions, resource: Value) -> Self {
        Self {
            sid: None,
            ..Self::new("", action, resource)
        }
    }

    /// The same, only where `key` compares by `operator` with `value`.
    pub fn when(mut self, operator: &'static str, key: &'static str, value: Value) -> Self {
        self.condition = Some(Member(operator, Member(key, value)));
        self
    }
}

/// A statement's `Action`: one, written as a string, or a list.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Actions {
    One(&'static str),
    List(&'static [&'static str]),
}
