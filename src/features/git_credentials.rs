//! `GitCredentialsSecret` and `GitSshKeySecret`: git credentials beside iam-ssh-agent, read
//! from SSM or Secrets Manager by ECS (the execution role reads exactly them, through the
//! secrets feature's grant) into a container other than `agent`, so that neither is ever in
//! the environment of `agent`, which the agent passes whole to every job (buildkite/agent
//! `agent/job_runner.go`: `processEnv := append(os.Environ(), env...)`).
//!
//! - HTTPS: `git-credentials-init` (the agent's image) writes the secret, a git-credentials file
//!   (`https://<user>:<token>@<host>` a line), into a task volume `agent` mounts read-only, and
//!   `agent`'s git is given a credential helper that reads it (`GIT_CONFIG_COUNT`, git 2.31+).
//! - SSH: `git-ssh-agent` (the agent's own image, which has `ssh` if it clones over SSH) starts
//!   `ssh-agent` on the socket the iam-ssh-agent would use, loads the key from its environment,
//!   and `agent` gets `SSH_AUTH_SOCK`: jobs sign with the key but never read it.

use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::LazyLock;

use crate::generate::output_types::{
    ContainerDefinition, LogConfiguration, Member, MountPoint, SecretEntry, Text,
};
use crate::properties::checked::{
    ContainerSecret, EfsVolume, GIT_CREDENTIALS_CONTAINER, GIT_SSH_AGENT_CONTAINER, GitCredentials,
};
use crate::properties::reader::{PropertyReader, UsedNames};
use crate::template::place::Place;

/// The task volume of the git-credentials file, where `agent` reads it (read-only).
pub const CREDENTIALS_VOLUME: &str = "buildkite-git-credentials";
pub const CREDENTIALS_PATH: &str = "/buildkite-git-credentials";

/// The variables that hand `agent`'s git the helper: one more `credential.helper`, after any
/// the image's git config names. It answers `get` only, so git never tries to write the file
/// back (a read-only mount) after a clone.
pub const HELPER_VARIABLES: [(&str, &str); 3] = [
    ("GIT_CONFIG_COUNT", "1"),
    ("GIT_CONFIG_KEY_0", "credential.helper"),
    (
        "GIT_CONFIG_VALUE_0",
        "!f() { test \"$1\" = get && git credential-store --file=/buildkite-git-credentials/.git-credentials get; }; f",
    ),
];

/// What the secrets are called in the containers that read them.
const CREDENTIALS_VARIABLE: &str = "GIT_CREDENTIALS";
const SSH_KEY_VARIABLE: &str = "GIT_SSH_KEY";

/// Readable by whatever user `agent` runs as: it is the only other container that mounts it.
const WRITE_CREDENTIALS: &str = "set -eu; umask 077; printf '%s\\n' \"$GIT_CREDENTIALS\" > /buildkite-git-credentials/.git-credentials; chmod 0444 /buildkite-git-credentials/.git-credentials";
/// Starts ssh-agent on the shared socket, loads the key from standard input (ssh-add.c reads
/// the file `-` so), forgets it, and lives as long as the agent does (an essential container:
/// if ssh-agent dies, the task stops). ECS mounts the task volume root-owned, mode 0755, so an
/// image running as another user cannot create the socket: say so, and how, in the task's log.
const RUN_SSH_AGENT: &str = "set -eu; if ! [ -w /ssh ]; then echo 'git-ssh-agent: the image runs as a user that cannot create /ssh/socket (ECS mounts the task volume /ssh owned by root, mode 0755): run the image as root, or give it a directory /ssh its user owns, declared VOLUME /ssh in its Dockerfile' >&2; exit 1; fi; rm -f /ssh/socket; eval \"$(ssh-agent -s -a /ssh/socket)\" >/dev/null; printf '%s\\n' \"$GIT_SSH_KEY\" | ssh-add -q -; unset GIT_SSH_KEY; while kill -0 \"$SSH_AGENT_PID\" 2>/dev/null; do sleep 5; done; echo ssh-agent exited >&2; exit 1";

static SHELL: LazyLock<Value> = LazyLock::new(|| json!(["/bin/sh", "-c"]));
static WRITE_CREDENTIALS_COMMAND: LazyLock<Value> = LazyLock::new(|| json!([WRITE_CREDENTIALS]));
static RUN_SSH_AGENT_COMMAND: LazyLock<Value> = LazyLock::new(|| json!([RUN_SSH_AGENT]));
/// Healthy once the key is loaded: `ssh-add -l` exits 1 with no identities, 2 with no agent.
static SSH_AGENT_HEALTH_CHECK: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "Command": ["CMD-SHELL", "SSH_AUTH_SOCK=/ssh/socket ssh-add -l >/dev/null"],
        "Interval": 5,
        "Timeout": 2,
        "Retries": 3,
        "StartPeriod": 10
    })
});

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The git credentials, each with the grant the execution role reads it by, claiming the
    /// variables they set on `agent` in `agent_names`; and the credentials file's volume.
    pub(crate) fn git_credentials(
        &mut self,
        image: Option<&Value>,
        has_iam_ssh_agent: bool,
        agent_names: &mut UsedNames<'i>,
    ) -> (GitCredentials, Option<EfsVolume>) {
        let https = self.git_secret("GitCredentialsSecret", CREDENTIALS_VARIABLE);
        if https.is_some() {
            for (name, _) in HELPER_VARIABLES {
                agent_names.claim(name, Place::at("GitCredentialsSecret"));
            }
        }
        let mut ssh_key = self.git_secret("GitSshKeySecret", SSH_KEY_VARIABLE);
        if ssh_key.is_some() && has_iam_ssh_agent {
            let place = self
                .sourced("GitSshKeySecret")
                .map_or_else(|| self.place("GitSshKeySecret"), |s| s.place);
            self.problems.push(
                place,
                "is a second SSH agent beside the iam-ssh-agent of SshAgentBackend: the agent has one SSH_AUTH_SOCK, so use one of them",
            );
            ssh_key = None;
        }
        if ssh_key.is_some() {
            agent_names.claim("SSH_AUTH_SOCK", Place::at("GitSshKeySecret"));
        }
        let volume = https.as_ref().map(|_| EfsVolume {
            name: CREDENTIALS_VOLUME.to_owned(),
            file_system_id: None,
            access_point_id: None,
            root_directory: None,
            container_path: Value::String(CREDENTIALS_PATH.to_owned()),
            read_only: true,
        });
        // Without an image (its problem is reported already), nothing is built.
        let image = image.cloned().unwrap_or_default();
        (
            GitCredentials {
                https,
                ssh_key,
                image,
                repository_credentials: None,
            },
            volume,
        )
    }

    /// A secret property read as a `Secrets` entry's `ValueFrom`, named `variable`.
    fn git_secret(&mut self, property: &str, variable: &str) -> Option<ContainerSecret> {
        let sourced = self.sourced(property)?;
        let value_from = self.optional_string(&sourced, |_| Ok(()))?;
        let grant = self.grant(&value_from, sourced.place)?;
        Some(ContainerSecret {
            name: json!(variable),
            value_from,
            grant,
        })
    }
}

/// The agent's `RepositoryCredentials`, for a container pulling its image.
fn registry_credentials(git: &GitCredentials) -> Option<Member<Value>> {
    git.repository_credentials
        .clone()
        .map(|secret| Member("CredentialsParameter", secret))
}

fn secret_entry(secret: ContainerSecret) -> SecretEntry {
    SecretEntry {
        name: secret.name,
        value_from: secret.value_from,
    }
}

/// `git-credentials-init`: writes the credentials file, then exits. It runs the agent's image
/// (already pulled for `agent`, and with the `/bin/sh` every job needs) as root, whatever user
/// the image names, to write the task volume.
pub fn credentials_container(
    secret: ContainerSecret,
    git: &GitCredentials,
    log: LogConfiguration,
) -> ContainerDefinition {
    let mut container =
        ContainerDefinition::new(GIT_CREDENTIALS_CONTAINER, git.image.clone(), false, log);
    container.repository_credentials = registry_credentials(git);
    container.user = Some("0");
    container.entry_point = Some(Cow::Borrowed(&SHELL));
    container.command = Some(Cow::Borrowed(&WRITE_CREDENTIALS_COMMAND));
    container.secrets = vec![secret_entry(secret)];
    container.mount_points = vec![MountPoint {
        source_volume: Cow::Borrowed(CREDENTIALS_VOLUME),
        container_path: Text::Constant(CREDENTIALS_PATH),
        read_only: false,
    }];
    container
}

/// `git-ssh-agent`: holds the key, serving it on the socket `agent` mounts. It runs the
/// agent's image as the image's user, so that `agent` may use the socket.
pub fn ssh_agent_container(
    key: ContainerSecret,
    git: &GitCredentials,
    socket_mount: MountPoint,
    log: LogConfiguration,
) -> ContainerDefinition {
    let mut container =
        ContainerDefinition::new(GIT_SSH_AGENT_CONTAINER, git.image.clone(), true, log);
    container.repository_credentials = registry_credentials(git);
    container.entry_point = Some(Cow::Borrowed(&SHELL));
    container.command = Some(Cow::Borrowed(&RUN_SSH_AGENT_COMMAND));
    container.secrets = vec![secret_entry(key)];
    container.mount_points = vec![socket_mount];
    container.health_check = Some(Cow::Borrowed(&SSH_AGENT_HEALTH_CHECK));
    container
}
