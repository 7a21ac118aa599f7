//! Every property of `Buildkite::ECS::TaskDefinition`, declared once: its name, its shape, its
//! default, whether `Globals.TaskDefinition` may set it, and what it means. The reader
//! (`properties`), the unknown-property and Globals checks, and the README's property table
//! all come from [`PROPERTIES`], so they cannot disagree.

use crate::features::git_mirrors::{
    LOCK_TIMEOUT_SECONDS, check_access_point_id, check_file_system_id, check_lock_timeout,
};
use crate::features::hooks::{check_bucket, check_directory, check_prefix};
use crate::properties::value_limits::{
    CPU_ARCHITECTURES, EPHEMERAL_STORAGE_GIB, FAMILY, FARGATE_CPU, FARGATE_MEMORY,
    LOG_RETENTION_DAYS, STOP_TIMEOUT_SECONDS, ValueLimits, check_artifacts_bucket,
    check_artifacts_prefix, check_cpu, check_cpu_architecture, check_ephemeral_storage,
    check_exec_bucket, check_exec_kms_key, check_exec_log_group, check_execute_api_stage,
    check_family, check_iam_path, check_kms_key_arn, check_log_kms_key, check_log_retention,
    check_memory, check_policy_arn, check_role_arn, check_stop_timeout,
};

mod agent;
mod log_delivery;
mod shapes;

pub(crate) use shapes::{ANY_TEXT, list, object, text};
pub use shapes::{
    EntryShape, ListShape, NumberCheck, PropertyDeclaration, PropertyDefault, Shape, TextCheck,
};

/// The iam-ssh-agent image the first release's users run: the tag its examples pin (the
/// agent crate's version 0.2.2); an Alpine image with the binary on the PATH and busybox's
/// `sh` and `test` for the health check (docs/grants.md, "Choices").
pub const DEFAULT_SSH_AGENT_IMAGE: &str = "keithduncan/iam-ssh-agent:0.2.2";
pub const AGENT_TOKEN_VARIABLE: &str = "BUILDKITE_AGENT_TOKEN";

/// The shapes `arn` checks, less what only the stack's partition tells.
/// A stage's ARN, or (written in the template) its invoke URL.
const EXECUTE_API_STAGE: &str = "^arn:[^:]+:execute-api:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9]+/[A-Za-z0-9_-]+$|^https://[A-Za-z0-9]+\\.execute-api\\.[a-z0-9-]+\\.[a-z0-9.]+/[A-Za-z0-9_-]+/?$";
const ROLE_ARN: &str = "^arn:[^:]+:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$";
const POLICY_ARN: &str =
    "^arn:[^:]+:iam::([0-9]{12}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$";
const KMS_KEY_ARN: &str = "^arn:[^:]+:kms:[a-z0-9-]+:[0-9]{12}:key/[^/]+$";
const EFS_FILE_SYSTEM_ID: &str = "^fs-[0-9a-f]{8,40}$";
const EFS_ACCESS_POINT_ID: &str = "^fsap-[0-9a-f]{8,40}$";
const IAM_PATH: &str = "^(/|/[!-~]{1,510}/)$";

/// The keys of a `Secrets` entry, of the resource or of a service container.
pub const SECRET_ENTRY: EntryShape = object(&["Name", "ValueFrom"], &[]);
/// The keys of an `Environment` entry.
pub const ENVIRONMENT_ENTRY: EntryShape = object(&["Name", "Value"], &[]);
/// The keys of a `Services` entry: a container beside the agent.
pub const SERVICE_ENTRY: EntryShape = object(
    &["Name", "Image"],
    &[
        "Environment",
        "Secrets",
        "Command",
        "HealthCheck",
        "RepositoryCredentials",
        "Essential",
        "Volumes",
        "Ulimits",
        "Cpu",
        "Memory",
        "MemoryReservation",
        "StopTimeout",
        "EnvironmentFiles",
        "EntryPoint",
    ],
);
/// The keys of a `Ulimits` entry, of `agent` or of a service.
pub const ULIMIT_ENTRY: EntryShape = object(&["Name", "SoftLimit", "HardLimit"], &[]);
/// The keys of a `Volumes` entry: an EFS file system mounted into the containers.
pub const VOLUME_ENTRY: EntryShape = object(
    &["Name", "ContainerPath"],
    &["FileSystemId", "AccessPointId", "RootDirectory", "ReadOnly"],
);

/// Every property, in the order of the README's table.
pub const PROPERTIES: &[PropertyDeclaration] = &[
    PropertyDeclaration {
        name: "Image",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Required,
        global: true,
        meaning: "image of the `agent` container, which runs the Buildkite agent",
    },
    PropertyDeclaration {
        name: "BuildkiteAgentImage",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "agent sidecar image (a `/buildkite` volume holding `bin/buildkite-agent`); adds container `agent-init`",
    },
    PropertyDeclaration {
        name: "SshAgentBackend",
        shape: text(check_execute_api_stage),
        limits: ValueLimits::Pattern(EXECUTE_API_STAGE),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "iam-ssh-agent backend, an execute-api stage ARN `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>` or its invoke URL `https://<api-id>.execute-api.<region>.<url-suffix>/<stage>`, written or a parameter's value (granted in the stack's own account); adds container `ssh-agent`",
    },
    PropertyDeclaration {
        name: "SshAgentImage",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Text(DEFAULT_SSH_AGENT_IMAGE),
        global: true,
        meaning: "image of the `ssh-agent` container",
    },
    PropertyDeclaration {
        name: "Secrets",
        shape: list(SECRET_ENTRY, Some("Name")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "variables of the `agent` container read from SSM or Secrets Manager; `ValueFrom` is an SSM parameter name (`token`), path (`/ci/token`) or ARN (SSM's `/aws/reference/secretsmanager/<name>` included), or a Secrets Manager secret ARN (optionally with a `:json-key:version-stage:version-id` suffix)",
    },
    PropertyDeclaration {
        name: "Environment",
        shape: list(ENVIRONMENT_ENTRY, Some("Name")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "variables of the `agent` container; number and boolean values become strings",
    },
    agent::QUEUE,
    agent::TAGS,
    agent::TAGS_FROM_ECS_METADATA,
    agent::DISCONNECT_AFTER_JOB,
    agent::DISCONNECT_AFTER_IDLE_TIMEOUT,
    agent::PRIORITY,
    agent::NAME,
    agent::NO_COMMAND_EVAL,
    agent::NO_LOCAL_HOOKS,
    agent::NO_PLUGINS,
    agent::ALLOWED_REPOSITORIES,
    agent::ALLOWED_PLUGINS,
    PropertyDeclaration {
        name: "TaskFamily",
        shape: text(check_family),
        limits: FAMILY,
        default: PropertyDefault::Computed("the logical ID in lower case"),
        global: false,
        meaning: "task definition family: 1-255 of `A-Za-z0-9_-`",
    },
    PropertyDeclaration {
        name: "TaskCpu",
        shape: Shape::WholeNumber(Some(check_cpu)),
        limits: FARGATE_CPU,
        default: PropertyDefault::Number(256),
        global: true,
        meaning: "Fargate CPU units; with `TaskMemory`, a pair Fargate accepts (below)",
    },
    PropertyDeclaration {
        name: "TaskMemory",
        shape: Shape::WholeNumber(Some(check_memory)),
        limits: FARGATE_MEMORY,
        default: PropertyDefault::Number(512),
        global: true,
        meaning: "Fargate memory in MiB; with `TaskCpu`, a pair Fargate accepts (below)",
    },
    PropertyDeclaration {
        name: "TaskRoleArn",
        shape: text(check_role_arn),
        limits: ValueLimits::Pattern(ROLE_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "use this role; no task role is generated (you then own its ssh, EFS, hooks and ECS Exec grants)",
    },
    PropertyDeclaration {
        name: "TaskRolePolicies",
        shape: list(object(&["PolicyName", "PolicyDocument"], &[]), None),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "inline policies added to the generated task role (IAM `Policies` shape)",
    },
    PropertyDeclaration {
        name: "TaskRoleManagedPolicyArns",
        shape: list(EntryShape::Text, None),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "managed policy ARNs attached to the generated task role",
    },
    PropertyDeclaration {
        name: "BuildkiteAgentTokenParameterPath",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::FirstReleaseParameter {
            parameter: "BuildkiteAgentTokenParameterPath",
            otherwise: "/buildkite-agent/token",
        },
        global: true,
        meaning: "SSM parameter (name, path or ARN; any intrinsic, `!ImportValue` included) injected as secret `BUILDKITE_AGENT_TOKEN`",
    },
    PropertyDeclaration {
        name: "ExecutionRolePath",
        shape: text(check_iam_path),
        limits: ValueLimits::Pattern(IAM_PATH),
        default: PropertyDefault::FirstReleaseParameter {
            parameter: "ExecutionRolePrefix",
            otherwise: "/BuildkiteAgentExecution/",
        },
        global: true,
        meaning: "IAM `Path` of the generated execution role (`/` or `/.../`)",
    },
    PropertyDeclaration {
        name: "TaskRolePath",
        shape: text(check_iam_path),
        limits: ValueLimits::Pattern(IAM_PATH),
        default: PropertyDefault::FirstReleaseParameter {
            parameter: "TaskRolePrefix",
            otherwise: "/BuildkiteAgentTask/",
        },
        global: true,
        meaning: "IAM `Path` of the generated task role (`/` or `/.../`)",
    },
    PropertyDeclaration {
        name: "LogRetentionInDays",
        shape: Shape::WholeNumber(Some(check_log_retention)),
        limits: LOG_RETENTION_DAYS,
        default: PropertyDefault::Number(30),
        global: true,
        meaning: "retention of the log group: one of the values CloudWatch Logs accepts",
    },
    PropertyDeclaration {
        name: "LogKmsKeyId",
        shape: text(check_log_kms_key),
        limits: ValueLimits::Pattern(KMS_KEY_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "KMS key ARN, in the stack's region, that encrypts the log group (its key policy must let CloudWatch Logs use it)",
    },
    log_delivery::LOG_DRIVER_MODE,
    log_delivery::LOG_MAX_BUFFER_SIZE_PROPERTY,
    PropertyDeclaration {
        name: "CpuArchitecture",
        shape: text(check_cpu_architecture),
        limits: CPU_ARCHITECTURES,
        default: PropertyDefault::Text("X86_64"),
        global: true,
        meaning: "`X86_64` or `ARM64` (sets `RuntimePlatform`)",
    },
    PropertyDeclaration {
        name: "EphemeralStorageGiB",
        shape: Shape::WholeNumber(Some(check_ephemeral_storage)),
        limits: EPHEMERAL_STORAGE_GIB,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "task storage in GiB, 21-200",
    },
    PropertyDeclaration {
        name: "PermissionsBoundary",
        shape: text(check_policy_arn),
        limits: ValueLimits::Pattern(POLICY_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "IAM policy ARN set on every generated role",
    },
    PropertyDeclaration {
        name: "Tags",
        shape: list(object(&["Key", "Value"], &[]), Some("Key")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "tags set on every generated resource that takes tags",
    },
    PropertyDeclaration {
        name: "RepositoryCredentials",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "Secrets Manager secret (ARN, name of a secret in the stack's region, `!Ref` or `!GetAtt <secret>.Id` of an `AWS::SecretsManager::Secret`, or any intrinsic, `!ImportValue` included) holding the private registry credentials of `Image`; the execution role reads it",
    },
    PropertyDeclaration {
        name: "Services",
        shape: list(SERVICE_ENTRY, Some("Name")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "containers beside the agent that builds reach on localhost (a database, a cache, a browser); the agent waits for each",
    },
    PropertyDeclaration {
        name: "Volumes",
        shape: list(VOLUME_ENTRY, Some("Name")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "volumes mounted into `agent` and, by name, into services: an EFS file system (build caches; the task role may mount exactly those), or, without `FileSystemId`, a task-scoped volume the task's containers share (a Fargate bind mount)",
    },
    PropertyDeclaration {
        name: "ExecuteCommand",
        shape: Shape::Boolean,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Boolean(false),
        global: true,
        meaning: "ready the task for ECS Exec (`aws ecs execute-command`): the task role's `ssmmessages` grant and an init process in `agent`",
    },
    PropertyDeclaration {
        name: "StopTimeout",
        shape: Shape::WholeNumber(Some(check_stop_timeout)),
        limits: STOP_TIMEOUT_SECONDS,
        default: PropertyDefault::Computed("ECS's, 30"),
        global: true,
        meaning: "seconds `agent` has to finish after SIGTERM before SIGKILL, 2-120 on Fargate",
    },
    agent::CANCEL_GRACE_PERIOD,
    agent::SIGNAL_GRACE_PERIOD,
    PropertyDeclaration {
        name: "AttachTaskExecutionRolePolicy",
        shape: Shape::Boolean,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Boolean(false),
        global: true,
        meaning: "attach AWS's managed `AmazonECSTaskExecutionRolePolicy` to the execution role (ECR pulls and log writes on `*`) in place of its exact `PullImages` and `WriteLogs` grants; any image is then accepted",
    },
    PropertyDeclaration {
        name: "ExecutionRoleArn",
        shape: text(check_role_arn),
        limits: ValueLimits::Pattern(ROLE_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "use this execution role; none is generated, and `expand --explain-roles` prints what it must allow for the properties used",
    },
    PropertyDeclaration {
        name: "PipelineSigningKmsKey",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "KMS key (ID, ARN, alias or alias ARN) the agent signs and verifies pipelines with (`BUILDKITE_AGENT_SIGNING_AWS_KMS_KEY`, agent 3.80 or later); the task role may `kms:Sign` and `kms:GetPublicKey` on that key only (the agent verifies with the public key)",
    },
    PropertyDeclaration {
        name: "ArtifactsBucket",
        shape: text(check_artifacts_bucket),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "S3 bucket (name) the agent uploads artifacts to (`BUILDKITE_ARTIFACT_UPLOAD_DESTINATION`); the task role may read, write and list exactly there",
    },
    PropertyDeclaration {
        name: "ArtifactsPrefix",
        shape: text(check_artifacts_prefix),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "key prefix in `ArtifactsBucket` (no / at either end): artifacts go under `<prefix>/`, and the grant is held to it",
    },
    PropertyDeclaration {
        name: "SecretsKmsKeyArn",
        shape: text(check_kms_key_arn),
        limits: ValueLimits::Pattern(KMS_KEY_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "KMS key ARN that encrypts every secret named (the agent token included), in their region: the execution role's `kms:Decrypt` names it instead of `key/*`",
    },
    PropertyDeclaration {
        name: "ExecuteCommandKmsKeyArn",
        shape: text(check_exec_kms_key),
        limits: ValueLimits::Pattern(KMS_KEY_ARN),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "with `ExecuteCommand`, the cluster's exec `KmsKeyId` (in the stack's region): the task role may `kms:Decrypt` with it",
    },
    PropertyDeclaration {
        name: "ExecuteCommandLogGroup",
        shape: text(check_exec_log_group),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "with `ExecuteCommand`, the cluster's exec log group (name): the task role may write session logs there",
    },
    PropertyDeclaration {
        name: "ExecuteCommandBucket",
        shape: text(check_exec_bucket),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "with `ExecuteCommand`, the cluster's exec log bucket (name): the task role may write session transcripts there",
    },
    PropertyDeclaration {
        name: "Ulimits",
        shape: list(ULIMIT_ENTRY, Some("Name")),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "ulimits of the `agent` container (ECS's names; `nofile` at most 1048576 on Fargate); services take their own",
    },
    PropertyDeclaration {
        name: "EnvironmentFiles",
        shape: list(EntryShape::Text, None),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::EmptyList,
        global: true,
        meaning: "S3 object ARNs of `.env` files whose variables ECS sets in `agent` (services take their own); the execution role may read exactly those objects",
    },
    PropertyDeclaration {
        name: "RunPolicy",
        shape: Shape::Boolean,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Boolean(false),
        global: true,
        meaning: "also generate `XRunPolicy`, a managed policy allowing `ecs:RunTask` on this family and `iam:PassRole` of its two roles to ECS, exported as `<stack name>-XRunPolicy` for the stack that runs the agents",
    },
    PropertyDeclaration {
        name: "GitMirrorsFileSystemId",
        shape: text(check_file_system_id),
        limits: ValueLimits::Pattern(EFS_FILE_SYSTEM_ID),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "EFS file system ID the agent keeps git mirrors on (`BUILDKITE_GIT_MIRRORS_PATH`, mounted at `/buildkite-git-mirrors`), so one-shot tasks fetch instead of cloning; the task role may mount and write it, as for `Volumes`",
    },
    PropertyDeclaration {
        name: "GitMirrorsAccessPointId",
        shape: text(check_access_point_id),
        limits: ValueLimits::Pattern(EFS_ACCESS_POINT_ID),
        default: PropertyDefault::Absent,
        global: true,
        meaning: "EFS access point the git mirrors are mounted through (the mount is granted through it alone)",
    },
    PropertyDeclaration {
        name: "GitMirrorsLockTimeout",
        shape: Shape::WholeNumber(Some(check_lock_timeout)),
        limits: LOCK_TIMEOUT_SECONDS,
        default: PropertyDefault::Computed("the agent's, 300"),
        global: true,
        meaning: "seconds a checkout waits for another task's lock on a mirror (`BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT`); longer than your longest clone",
    },
    PropertyDeclaration {
        name: "GitMirrorsSkipUpdate",
        shape: Shape::Boolean,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Boolean(false),
        global: true,
        meaning: "check out from the mirrors without fetching into them first (`BUILDKITE_GIT_MIRRORS_SKIP_UPDATE`): for mirrors another job keeps up to date",
    },
    PropertyDeclaration {
        name: "HooksBucket",
        shape: text(check_bucket),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "S3 bucket (name) holding agent hooks, copied before the agent starts by container `hooks-init` (the AWS CLI's image) into the agent's hooks path (`BUILDKITE_HOOKS_PATH=/buildkite-hooks`, read-only) and made executable; the task role may list and read exactly there",
    },
    PropertyDeclaration {
        name: "HooksPrefix",
        shape: text(check_prefix),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "key prefix in `HooksBucket` (no / at either end): the hooks are the objects under `<prefix>/`",
    },
    PropertyDeclaration {
        name: "HooksImage",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "image holding agent hooks in `HooksImageDirectory`, copied as from `HooksBucket` (the image needs `/bin/sh`, `cp`, `chmod` and `ls`); the execution role pulls it",
    },
    PropertyDeclaration {
        name: "HooksImageDirectory",
        shape: text(check_directory),
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Text("/buildkite/hooks"),
        global: true,
        meaning: "directory of `HooksImage` holding the hooks",
    },
    PropertyDeclaration {
        name: "GitCredentialsSecret",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "SSM parameter or Secrets Manager secret (the forms of a `Secrets` `ValueFrom`) holding a git-credentials file (`https://<user>:<token>@<host>` a line: GitHub, GitLab, Bitbucket); container `git-credentials-init` writes it where a credential helper `agent`'s git is given reads it, never into `agent`'s environment; the execution role reads exactly it",
    },
    PropertyDeclaration {
        name: "GitSshKeySecret",
        shape: ANY_TEXT,
        limits: ValueLimits::Unlimited,
        default: PropertyDefault::Absent,
        global: true,
        meaning: "Secrets Manager secret (or SSM parameter, the forms of a `Secrets` `ValueFrom`) holding an SSH private key, loaded into `ssh-agent` in container `git-ssh-agent` (run from `Image`); `agent` gets its socket (`SSH_AUTH_SOCK`), never the key; the execution role reads exactly it; not with `SshAgentBackend`",
    },
];

/// The declaration of `name`, if it is a property.
pub fn declaration(name: &str) -> Option<&'static PropertyDeclaration> {
    PROPERTIES.iter().find(|property| property.name == name)
}

/// The family of a task definition without `TaskFamily`: its logical ID in lower case.
pub fn default_family(logical_id: &str) -> String {
    logical_id.to_ascii_lowercase()
}

/// Every property name, for "did you mean" messages.
pub fn property_names() -> Vec<&'static str> {
    PROPERTIES.iter().map(|property| property.name).collect()
}

#[cfg(test)]
mod tests;
