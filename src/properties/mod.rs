//! Reading and checking the properties of one `Buildkite::ECS::TaskDefinition`, each by its
//! declaration in [`crate::properties::declarations`]. [`read_properties`] calls the readers in
//! turn: those of plain settings here, those of a grant-bearing feature in its own file under
//! `crate::features`.

pub mod checked;
pub mod declarations;
pub mod fargate;
pub mod readme;
pub mod schema;
pub mod value_limits;

mod containers;
mod limits;
pub mod log_delivery;
pub(crate) mod primitives;
pub mod reader;
mod task;
pub(crate) mod text_lists;

use serde_json::json;

use crate::properties::checked::{
    AGENT_CONTAINER, GIT_CREDENTIALS_CONTAINER, GIT_SSH_AGENT_CONTAINER, HOOKS_CONTAINER,
    HooksSource, SIDECAR_CONTAINER, SSH_AGENT_CONTAINER, TaskDefinitionProperties,
};
use crate::properties::declarations::{
    AGENT_TOKEN_VARIABLE, DEFAULT_SSH_AGENT_IMAGE, PropertyDefault, Shape, declaration,
    property_names,
};
use crate::template::place::Place;
use crate::template::problems::{Problems, unknown_name_message};
use crate::template::scope::TemplateScope;

use crate::properties::reader::ParameterDefault;
use crate::properties::reader::PropertyInput;
use crate::properties::reader::PropertyReader;
use crate::properties::reader::UsedNames;
pub use primitives::kind_of;

/// The resource attributes the macro carries to what it generates: written under `Properties`,
/// they are misplaced rather than unknown.
const CARRIED_ATTRIBUTES: [&str; 5] = [
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
];

/// Reads the properties of resource `logical_id`, recording every problem. Returns
/// `None` when a problem leaves nothing sound to build from.
pub fn read_properties(
    logical_id: &str,
    properties_path: &str,
    inputs: &[(&str, PropertyInput<'_>)],
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) -> Option<TaskDefinitionProperties> {
    let before = problems.len();
    let resource_path = properties_path
        .strip_suffix(".Properties")
        .unwrap_or(properties_path);
    for (name, input) in inputs {
        if declaration(name).is_some() {
            continue;
        }
        let message = if CARRIED_ATTRIBUTES.contains(name) {
            format!(
                "is a resource attribute, not a property: write it beside Type and Properties, as {resource_path}.{name}"
            )
        } else if ["CreationPolicy", "UpdatePolicy"].contains(name) {
            "is a resource attribute, not a property, and none of the resources this expands to (a task definition, a log group and IAM roles) takes it".to_owned()
        } else {
            unknown_property_message(name)
        };
        problems.push(input.place(), message);
    }
    // The first release's parameters, for the properties that default to them.
    let parameter_defaults: Vec<ParameterDefault> = crate::properties::declarations::PROPERTIES
        .iter()
        .filter_map(|property| match property.default {
            PropertyDefault::FirstReleaseParameter { parameter, .. }
                if scope.is_parameter(parameter) =>
            {
                Some(ParameterDefault {
                    property: property.name,
                    place: Place::member("Parameters", parameter),
                    reference: json!({ "Ref": parameter }),
                })
            }
            _ => None,
        })
        .collect();
    let mut reader = PropertyReader {
        scope,
        problems,
        inputs,
        parameter_defaults: &parameter_defaults,
        properties_path,
        attach_task_execution_role_policy: false,
        x86_64_only_images: Vec::new(),
    };

    // Read first: with AWS's managed policy, images need no exact grant.
    let attach_task_execution_role_policy =
        reader.boolean_property("AttachTaskExecutionRolePolicy");
    reader.attach_task_execution_role_policy = attach_task_execution_role_policy;
    let image = reader.required_text("Image", "the image of the agent container");
    let image_pull = reader.image_property_pull("Image", image.as_ref());
    let agent_sidecar_image = reader.text("BuildkiteAgentImage");
    let agent_sidecar_image_pull =
        reader.image_property_pull("BuildkiteAgentImage", agent_sidecar_image.as_ref());
    let ssh_agent = reader.ssh_agent();
    let agent_token = reader.agent_token();

    let mut agent_names = UsedNames::default();
    agent_names.claim(
        AGENT_TOKEN_VARIABLE,
        Place::at("BuildkiteAgentTokenParameterPath"),
    );
    let git_mirrors = reader.git_mirrors(&mut agent_names);
    let hooks = reader.hooks(&mut agent_names);
    let (git_credentials, git_credentials_volume) =
        reader.git_credentials(image.as_ref(), ssh_agent.is_some(), &mut agent_names);
    // The ssh agent's socket, from iam-ssh-agent or from git-ssh-agent.
    let ssh_socket_by = if ssh_agent.is_some() {
        Some("SshAgentBackend")
    } else {
        git_credentials.ssh_key.as_ref().map(|_| "GitSshKeySecret")
    };
    let secrets = reader.secrets(reader.input("Secrets"), &mut agent_names);
    let environment = reader.environment(reader.input("Environment"), &mut agent_names);
    let mut agent_settings = reader.agent_settings();
    let family = reader.family(logical_id);
    let (cpu, memory) = reader.cpu_and_memory();

    let task_role_arn = reader.text("TaskRoleArn");
    let execution_role_arn = reader.text("ExecutionRoleArn");
    if execution_role_arn.is_some()
        && let Some(PropertyInput::Single(path)) = reader.input("ExecutionRolePath")
        && !reader.scope.resolve(path.value).is_unset()
    {
        reader.problems.push(
            path.place,
            "has no effect with ExecutionRoleArn: no execution role is generated",
        );
    }
    let mut policy_names = UsedNames::default();
    let task_role_policies = reader.list(reader.input("TaskRolePolicies"), |reader, entry| {
        reader.policy(entry, &mut policy_names)
    });
    let context = reader.scope.context;
    let check_policy_arn = |text: &str| crate::template::arn::check_policy_arn(text, context);
    let task_role_managed_policy_arns = reader.text_list(
        reader.input("TaskRoleManagedPolicyArns"),
        |reader, entry| reader.required_string_checked(entry, check_policy_arn),
    );
    if task_role_arn.is_some() {
        for name in ["TaskRolePolicies", "TaskRoleManagedPolicyArns"] {
            if let Some(input) = reader.input(name) {
                reader.problems.push(input.place(), "has no effect with TaskRoleArn: no task role is generated, so attach these to your own role");
            }
        }
    }
    let execution_role_path = reader.text_or_default("ExecutionRolePath");
    let task_role_path = reader.text_or_default("TaskRolePath");

    let log_retention_days = reader.number_or_default("LogRetentionInDays");
    let log_kms_key_id = reader.text("LogKmsKeyId");
    let log_delivery = reader.log_delivery();
    let cpu_architecture = reader.text_or_default("CpuArchitecture");
    let architecture = reader.scope.resolve(&cpu_architecture);
    if ssh_agent.is_some()
        && reader.sourced("SshAgentImage").is_none()
        && architecture.as_str() == Some("ARM64")
    {
        // An exec format error at run time: the essential ssh-agent never starts, nor the task.
        let place = reader
            .sourced("CpuArchitecture")
            .map_or_else(|| reader.place("CpuArchitecture"), |s| s.place);
        reader.problems.push(
            place,
            format!("{} asks for arm64 images, and with an ssh agent that needs an SshAgentImage built for arm64: the default, {DEFAULT_SSH_AGENT_IMAGE}, is built for x86_64 only", architecture.describe()),
        );
    }
    if architecture.as_str() == Some("ARM64") {
        // ECS finds no arm64 variant to pull: an essential container never starts, and the
        // agent waits forever on an agent-init that never completes.
        for (place, image, instead) in std::mem::take(&mut reader.x86_64_only_images) {
            reader.problems.push(
                place,
                format!("{} is built for x86_64 only, and CpuArchitecture is ARM64, so ECS finds no arm64 image to pull and the task never starts: {instead}", image.describe()),
            );
        }
    }
    let ephemeral_storage_gib = reader.number("EphemeralStorageGiB").map(|(value, _)| value);
    let permissions_boundary = reader.text("PermissionsBoundary");
    let mut tag_count = 0;
    let mut tag_keys = UsedNames::default();
    let tags = reader.list(reader.input("Tags"), |reader, entry| {
        tag_count += 1;
        let tag = reader.tag(entry)?;
        if let Some(key) = tag["Key"].as_str()
            && let Some(first) = tag_keys.claim(key.to_owned(), entry.place)
        {
            reader.problems.push(
                entry.place.key("Key"),
                format!(
                    "{} is also the Key of {first}: a resource takes each tag key once",
                    crate::template::problems::show_literal(&tag["Key"])
                ),
            );
        }
        Some(tag)
    });
    if tag_count > MAX_TAGS
        && let Some(input) = reader.input("Tags")
    {
        reader.problems.push(
            input.place(),
            format!("has {tag_count} tags, over the {MAX_TAGS} ECS, IAM and CloudWatch Logs allow on one resource"),
        );
    }

    let repository_credentials = reader
        .sourced("RepositoryCredentials")
        .and_then(|sourced| reader.registry_credentials(&sourced));
    // The git containers pull Image as agent does.
    let mut git_credentials = git_credentials;
    git_credentials.repository_credentials = repository_credentials
        .as_ref()
        .map(|credentials| credentials.secret.clone());
    let mut volumes = reader.volumes(agent_sidecar_image.is_some(), ssh_socket_by);
    let macro_containers: Vec<&str> = [
        Some(AGENT_CONTAINER),
        agent_sidecar_image.as_ref().map(|_| SIDECAR_CONTAINER),
        ssh_agent.as_ref().map(|_| SSH_AGENT_CONTAINER),
        hooks.as_ref().map(|_| HOOKS_CONTAINER),
        git_credentials
            .https
            .as_ref()
            .map(|_| GIT_CREDENTIALS_CONTAINER),
        git_credentials
            .ssh_key
            .as_ref()
            .map(|_| GIT_SSH_AGENT_CONTAINER),
    ]
    .into_iter()
    .flatten()
    .collect();
    let services = reader.services(&volumes, &macro_containers);
    // The mirrors' volume is the agent's alone: added once the services have named theirs.
    let git_mirrors = git_mirrors.map(|(git_mirrors, volume)| {
        reader.check_volume_is_free(
            &volumes,
            &volume,
            "GitMirrorsFileSystemId",
            "the git mirrors",
        );
        volumes.push(volume);
        git_mirrors
    });
    if let Some(volume) = git_credentials_volume {
        reader.check_volume_is_free(
            &volumes,
            &volume,
            "GitCredentialsSecret",
            "the git credentials",
        );
        volumes.push(volume);
    }
    let hooks = hooks.map(|(hooks, volume)| {
        let property = match hooks.source {
            HooksSource::S3 { .. } => "HooksBucket",
            HooksSource::Image { .. } => "HooksImage",
        };
        reader.check_volume_is_free(&volumes, &volume, property, "the hooks");
        volumes.push(volume);
        hooks
    });
    let ulimits = reader.ulimits(reader.input("Ulimits"));
    let environment_files = reader.environment_files(reader.input("EnvironmentFiles"));
    reader.check_services_fit(&services);
    let execute_command = reader.boolean_property("ExecuteCommand");
    let stop_timeout = reader.number("StopTimeout");
    agent_settings.extend(reader.grace_periods(stop_timeout.as_ref(), &agent_names));
    reader.check_agent_variables_not_given(&agent_settings, &agent_names);
    let stop_timeout = stop_timeout.map(|(value, _)| value);
    let run_policy = reader.boolean_property("RunPolicy");
    let pipeline_signing_key = reader.pipeline_signing_key();
    let artifacts = reader.artifacts_bucket();
    // Checked against the secrets read once every one is read, below.
    let secrets_kms_key = reader.text("SecretsKmsKeyArn");
    let execute_command_logging = reader.execute_command_logging(execute_command);

    let task_role_features = crate::features::TaskRoleFeatures {
        ssh_agent: ssh_agent.is_some(),
        mounts_file_systems: volumes.iter().any(|volume| volume.file_system_id.is_some()),
        artifacts: artifacts.is_some(),
        signs_pipelines: pipeline_signing_key.is_some(),
        execute_command,
        reads_hooks: hooks
            .as_ref()
            .is_some_and(|hooks| matches!(hooks.source, HooksSource::S3 { .. })),
    };
    task::check_generated_policy_names(
        &policy_names,
        &crate::features::task_role_policy_names(&task_role_features),
        reader.problems,
    );

    let mut properties = TaskDefinitionProperties {
        image: image?,
        image_pull,
        agent_sidecar_image,
        agent_sidecar_image_pull,
        ssh_agent,
        agent_token: agent_token?,
        secrets,
        environment,
        agent_variables: agent_settings
            .into_iter()
            .map(|written| written.variable)
            .collect(),
        family,
        cpu,
        memory,
        task_role_arn,
        execution_role_arn,
        task_role_policies,
        task_role_managed_policy_arns,
        execution_role_path,
        task_role_path,
        log_retention_days,
        log_kms_key_id,
        log_delivery,
        cpu_architecture,
        ephemeral_storage_gib,
        permissions_boundary,
        tags,
        repository_credentials,
        services,
        volumes,
        execute_command,
        stop_timeout,
        attach_task_execution_role_policy,
        run_policy,
        pipeline_signing_key,
        artifacts,
        ulimits,
        environment_files,
        secrets_kms_key: None,
        execute_command_logging,
        git_mirrors,
        hooks,
        git_credentials,
    };
    // Checked against every secret the execution role reads, the git credentials' included.
    if secrets_kms_key.is_some() {
        properties.secrets_kms_key =
            reader.secrets_kms_key(secrets_kms_key, &properties.execution_role_secrets());
    }
    (reader.problems.len() == before).then_some(properties)
}

/// Why `name` is not a property, and what was meant: a key of a list's entries written at the
/// resource's level (mis-indented) is named as such, and a task-wide name without its `Task`
/// (`Cpu` for `TaskCpu`) suggests the property, as a near miss does.
pub fn unknown_property_message(name: &str) -> String {
    let task_named = format!("Task{name}");
    let meant = declaration(&task_named)
        .map(|property| property.name)
        .or_else(|| crate::template::problems::nearest(name, &property_names()));
    let lists: Vec<String> = crate::properties::declarations::PROPERTIES
        .iter()
        .filter(|property| match property.shape {
            Shape::List(list) => list.entry.keys().contains(&name),
            _ => false,
        })
        .map(|property| property.name.to_owned())
        .collect();
    let lists = crate::properties::fargate::join_alternatives(&lists);
    match meant {
        Some(meant) if lists.is_empty() => format!("unknown property; did you mean {meant}?"),
        None if lists.is_empty() => unknown_name_message("property", name, &property_names()),
        Some(meant) => format!(
            "unknown property; did you mean {meant}? ({name} is a key of an entry of {lists}: if it belongs there, check its indentation)"
        ),
        None => format!(
            "unknown property; {name} is a key of an entry of {lists}: check its indentation, it belongs under an entry there"
        ),
    }
}

/// The most tags ECS, IAM and CloudWatch Logs take on one resource.
const MAX_TAGS: usize = 50;
