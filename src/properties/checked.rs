//! The checked model of one Buildkite resource: what the property reader builds and the
//! generator writes out.

use serde_json::Value;

use crate::features::secrets::SecretGrant;
use crate::features::signing::SigningKey;

pub const AGENT_CONTAINER: &str = "agent";
pub const SIDECAR_CONTAINER: &str = "agent-init";
pub const SSH_AGENT_CONTAINER: &str = "ssh-agent";
pub const HOOKS_CONTAINER: &str = "hooks-init";
pub const GIT_CREDENTIALS_CONTAINER: &str = "git-credentials-init";
pub const GIT_SSH_AGENT_CONTAINER: &str = "git-ssh-agent";
/// Container names the macro gives its own containers.
pub const RESERVED_CONTAINER_NAMES: [&str; 6] = [
    AGENT_CONTAINER,
    SIDECAR_CONTAINER,
    SSH_AGENT_CONTAINER,
    HOOKS_CONTAINER,
    GIT_CREDENTIALS_CONTAINER,
    GIT_SSH_AGENT_CONTAINER,
];
/// The task volume the macro gives the ssh agent's socket.
pub const SSH_VOLUME: &str = "ssh-agent";

/// An entry of a container's `Secrets`, with what the execution role needs to read it.
#[derive(Debug, Clone)]
pub struct ContainerSecret {
    pub name: Value,
    pub value_from: Value,
    pub grant: SecretGrant,
}

fn container_secret<'a>(
    secret: &'a mut ContainerSecret,
    read_by: impl FnOnce(&'a Value) -> ReadBy<'a>,
) -> ExecutionRoleSecret<'a> {
    let ContainerSecret {
        name,
        value_from,
        grant,
    } = secret;
    ExecutionRoleSecret {
        read_by: read_by(name),
        value_from,
        grant,
    }
}

fn registry<'a>(
    credentials: &'a mut RegistryCredentials,
    read_by: ReadBy<'a>,
) -> ExecutionRoleSecret<'a> {
    ExecutionRoleSecret {
        read_by,
        value_from: &credentials.secret,
        grant: &mut credentials.grant,
    }
}

/// A secret the execution role reads: what reads it, its value as written, and its grant.
pub struct ExecutionRoleSecret<'a> {
    pub read_by: ReadBy<'a>,
    pub value_from: &'a Value,
    pub grant: &'a mut SecretGrant,
}

/// What a secret the execution role reads is for.
pub enum ReadBy<'a> {
    /// A variable of `agent`: the agent token or a `Secrets` entry.
    Agent(&'a Value),
    /// A property's own secret (`GitCredentialsSecret`, `GitSshKeySecret`).
    Property(&'static str),
    /// A variable of a service.
    Service(&'a str, &'a Value),
    /// The `RepositoryCredentials` of `agent` (`None`) or of a service.
    RegistryCredentials(Option<&'a str>),
}

/// A Secrets Manager secret holding a private registry's credentials.
#[derive(Debug, Clone)]
pub struct RegistryCredentials {
    pub secret: Value,
    pub grant: SecretGrant,
}

#[derive(Debug, Clone)]
pub struct SshAgent {
    /// The execute-api stage ARN, as written or built from the invoke URL.
    pub backend: Value,
    pub url: BackendUrl,
    pub image: Value,
    /// The ECR repositories the execution role pulls `image` from.
    pub image_pull: Vec<Value>,
}

/// The `ssh-agent` container's `IAM_SSH_AGENT_BACKEND_URL`.
#[derive(Debug, Clone)]
pub enum BackendUrl {
    /// Of a literal ARN or URL, computed when it is read: the text of a `Fn::Sub`.
    Literal(String),
    /// Of a parameter holding the URL: computed by CloudFormation from its `Ref`.
    Given(Value),
    /// Of any other intrinsic: taken apart from `backend`, the ARN, by CloudFormation.
    FromArn,
}

/// A container beside the agent (`Services`).
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    pub name: String,
    pub image: Value,
    /// The ECR repositories the execution role pulls `image` from.
    pub image_pull: Vec<Value>,
    pub environment: Vec<(Value, Value)>,
    pub secrets: Vec<ContainerSecret>,
    pub command: Option<Value>,
    pub health_check: Option<Value>,
    pub repository_credentials: Option<RegistryCredentials>,
    pub essential: bool,
    /// Names of `Volumes` mounted into it.
    pub volumes: Vec<String>,
    pub entry_point: Option<Value>,
    pub ulimits: Vec<Value>,
    /// S3 object ARNs of its `.env` files.
    pub environment_files: Vec<Value>,
    pub cpu: Option<Value>,
    pub memory: Option<Value>,
    pub memory_reservation: Option<Value>,
    pub stop_timeout: Option<Value>,
    /// CPU units and MiB it takes of the task, where known, to check their sums.
    pub known_cpu: Option<u64>,
    pub known_memory: Option<u64>,
}

/// An EFS file system mounted into the containers (`Volumes`).
#[derive(Debug, Clone)]
pub struct EfsVolume {
    pub name: String,
    /// `None` for a task-scoped volume (a Fargate bind mount), which needs no grant.
    pub file_system_id: Option<Value>,
    pub access_point_id: Option<Value>,
    pub root_directory: Option<Value>,
    pub container_path: Value,
    pub read_only: bool,
}

/// What the agent is told about its git mirrors (`GitMirrors...`), kept on an EFS volume.
#[derive(Debug, Clone)]
pub struct GitMirrors {
    /// Seconds, as a string or the intrinsic written.
    pub lock_timeout: Option<Value>,
    pub skip_update: Option<Value>,
}

/// Git credentials beside iam-ssh-agent, each read by ECS into a container of its own.
#[derive(Debug, Clone, Default)]
pub struct GitCredentials {
    /// A git-credentials file, written by `git-credentials-init` where `agent`'s helper reads it.
    pub https: Option<ContainerSecret>,
    /// An SSH private key, loaded into `git-ssh-agent`, whose socket `agent` gets.
    pub ssh_key: Option<ContainerSecret>,
    /// The agent's image, which both containers run: it has `/bin/sh` for the jobs, and
    /// `ssh-agent` and `ssh-add` if it clones over SSH.
    pub image: Value,
    /// The image's `RepositoryCredentials` secret, which each container pulling it names.
    pub repository_credentials: Option<Value>,
}

/// Where the agent's hooks are copied from (`HooksBucket` or `HooksImage`).
#[derive(Debug, Clone)]
pub struct Hooks {
    pub source: HooksSource,
}

#[derive(Debug, Clone)]
pub enum HooksSource {
    /// `s3://<bucket>/<prefix>/`, read by the task role.
    S3 {
        bucket: Value,
        prefix: Option<Value>,
    },
    /// A directory of an image, which the execution role pulls.
    Image {
        image: Value,
        /// The ECR repositories the execution role pulls `image` from.
        image_pull: Vec<Value>,
        directory: Value,
    },
}

/// The checked properties of one resource, each as it goes into the output.
#[derive(Debug, Clone)]
pub struct TaskDefinitionProperties {
    pub image: Value,
    /// The ECR repositories the execution role pulls `image` from (none outside ECR).
    pub image_pull: Vec<Value>,
    pub agent_sidecar_image: Option<Value>,
    pub agent_sidecar_image_pull: Vec<Value>,
    pub ssh_agent: Option<SshAgent>,
    pub agent_token: ContainerSecret,
    pub secrets: Vec<ContainerSecret>,
    /// `(Name, Value)` entries, values as strings.
    pub environment: Vec<(Value, Value)>,
    /// The agent's settings from the properties, after the user's variables.
    pub agent_variables: Vec<crate::features::agent_settings::AgentVariable>,
    pub family: Value,
    pub cpu: Value,
    pub memory: Value,
    pub task_role_arn: Option<Value>,
    /// The user's own execution role: none is generated.
    pub execution_role_arn: Option<Value>,
    pub task_role_policies: Vec<Value>,
    pub task_role_managed_policy_arns: Vec<Value>,
    pub execution_role_path: Value,
    pub task_role_path: Value,
    pub log_retention_days: Value,
    pub log_kms_key_id: Option<Value>,
    /// The `awslogs` `mode` and `max-buffer-size` of every container.
    pub log_delivery: crate::properties::log_delivery::LogDelivery,
    pub cpu_architecture: Value,
    pub ephemeral_storage_gib: Option<Value>,
    pub permissions_boundary: Option<Value>,
    pub tags: Vec<Value>,
    pub repository_credentials: Option<RegistryCredentials>,
    pub services: Vec<ServiceContainer>,
    pub volumes: Vec<EfsVolume>,
    pub execute_command: bool,
    pub stop_timeout: Option<Value>,
    /// AWS's managed policy in place of the exact image and log grants.
    pub attach_task_execution_role_policy: bool,
    /// Generate the managed policy a scheduler needs to run the task definition.
    pub run_policy: bool,
    /// The KMS key the agent signs and verifies pipelines with.
    pub pipeline_signing_key: Option<SigningKey>,
    /// Ulimits of the `agent` container.
    pub ulimits: Vec<Value>,
    /// S3 object ARNs of the `agent` container's `.env` files.
    pub environment_files: Vec<Value>,
    /// Where the agent uploads artifacts.
    pub artifacts: Option<crate::features::artifacts::ArtifactsBucket>,
    /// The one key every secret is encrypted with, when named.
    pub secrets_kms_key: Option<Value>,
    /// The cluster's exec key, log group and bucket, with `ExecuteCommand`.
    pub execute_command_logging: crate::features::exec::ExecuteCommandLogging,
    /// The agent's git mirrors, on the EFS volume among `volumes`.
    pub git_mirrors: Option<GitMirrors>,
    /// The agent's hooks, copied by `hooks-init` into a volume among `volumes`.
    pub hooks: Option<Hooks>,
    pub git_credentials: GitCredentials,
}

impl TaskDefinitionProperties {
    /// Every secret the execution role reads: the agent's, its registry's, the git
    /// credentials, the services'; each with what reads it and its value. Mutable, so that
    /// the execution role's statements take the resources they name.
    pub fn execution_role_secrets(&mut self) -> Vec<ExecutionRoleSecret<'_>> {
        let agent =
            std::iter::once(&mut self.agent_token)
                .chain(&mut self.secrets)
                .map(|entry| container_secret(entry, ReadBy::Agent))
                .chain(
                    self.repository_credentials.iter_mut().map(|credentials| {
                        registry(credentials, ReadBy::RegistryCredentials(None))
                    }),
                )
                .chain(self.git_credentials.https.iter_mut().map(|entry| {
                    container_secret(entry, |_| ReadBy::Property("GitCredentialsSecret"))
                }))
                .chain(
                    self.git_credentials.ssh_key.iter_mut().map(|entry| {
                        container_secret(entry, |_| ReadBy::Property("GitSshKeySecret"))
                    }),
                );
        let services = self.services.iter_mut().flat_map(|service| {
            let name = service.name.as_str();
            service
                .secrets
                .iter_mut()
                .map(move |entry| {
                    container_secret(entry, |variable| ReadBy::Service(name, variable))
                })
                .chain(
                    service
                        .repository_credentials
                        .iter_mut()
                        .map(move |credentials| {
                            registry(credentials, ReadBy::RegistryCredentials(Some(name)))
                        }),
                )
        });
        agent.chain(services).collect()
    }

    /// Every `.env` object the execution role reads, each once, in container order.
    pub fn execution_role_environment_files(&self) -> Vec<&Value> {
        crate::template::value::distinct(
            self.environment_files
                .iter()
                .chain(self.services.iter().flat_map(|s| &s.environment_files)),
        )
    }

    /// Every ECR repository the execution role pulls from, each once, in container order.
    pub fn execution_role_pulls(&self) -> Vec<&Value> {
        let images = [&self.image_pull, &self.agent_sidecar_image_pull]
            .into_iter()
            .chain(self.ssh_agent.iter().map(|ssh_agent| &ssh_agent.image_pull))
            .chain(self.hooks.iter().filter_map(|hooks| match &hooks.source {
                HooksSource::Image { image_pull, .. } => Some(image_pull),
                HooksSource::S3 { .. } => None,
            }))
            .chain(self.services.iter().map(|service| &service.image_pull));
        crate::template::value::distinct(images.flatten())
    }
}
