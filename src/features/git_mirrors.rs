//! `GitMirrorsFileSystemId` and its settings: an EFS file system the agent keeps its git
//! mirrors on (`git-mirrors-path`), so a one-shot task fetches into a mirror that outlives it
//! instead of cloning afresh. The volume is one more EFS volume of the task, so the EFS
//! feature (`efs.rs`) writes it and grants its mount: this file only reads the settings.
//!
//! The agent's options (buildkite/agent `clicommand/global.go`): `git-mirrors-path`
//! (`BUILDKITE_GIT_MIRRORS_PATH`, no default: mirrors off), `git-mirrors-lock-timeout`
//! (`BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT`, 300 seconds), `git-mirrors-skip-update`
//! (`BUILDKITE_GIT_MIRRORS_SKIP_UPDATE`, false).

use serde_json::Value;

use crate::features::efs::check_efs_id;
use crate::generate::output_types::Text;
use crate::properties::checked::{EfsVolume, GitMirrors};
use crate::properties::reader::{PropertyReader, UsedNames};
use crate::properties::value_limits::ValueLimits;
use crate::template::context::ExpansionContext;
use crate::template::place::Place;
use crate::template::value::is_intrinsic;

/// The task volume of the mirrors, and where the agent container mounts it: beside `/buildkite`
/// (the sidecar's volume), never under it.
pub const GIT_MIRRORS_VOLUME: &str = "git-mirrors";
pub const GIT_MIRRORS_PATH: &str = "/buildkite-git-mirrors";

pub const PATH_VARIABLE: &str = "BUILDKITE_GIT_MIRRORS_PATH";
pub const LOCK_TIMEOUT_VARIABLE: &str = "BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT";
pub const SKIP_UPDATE_VARIABLE: &str = "BUILDKITE_GIT_MIRRORS_SKIP_UPDATE";

/// The properties that only mean something with `GitMirrorsFileSystemId`.
const SETTINGS: [&str; 3] = [
    "GitMirrorsAccessPointId",
    "GitMirrorsLockTimeout",
    "GitMirrorsSkipUpdate",
];

/// The agent's variables for its mirrors.
pub fn agent_variables(git_mirrors: &GitMirrors) -> Vec<(&'static str, Text)> {
    let mut variables = vec![(PATH_VARIABLE, Text::Constant(GIT_MIRRORS_PATH))];
    if let Some(seconds) = &git_mirrors.lock_timeout {
        variables.push((LOCK_TIMEOUT_VARIABLE, Text::Given(seconds.clone())));
    }
    if let Some(skip_update) = &git_mirrors.skip_update {
        variables.push((SKIP_UPDATE_VARIABLE, Text::Given(skip_update.clone())));
    }
    variables
}

pub(crate) fn check_file_system_id(id: &str, _: &ExpansionContext) -> Result<(), String> {
    check_efs_id(id, "fs-", "an EFS file system ID")
}

pub(crate) fn check_access_point_id(id: &str, _: &ExpansionContext) -> Result<(), String> {
    check_efs_id(id, "fsap-", "an EFS access point ID")
}

/// The agent's `git-mirrors-lock-timeout`: how long a checkout waits for another task's lock
/// on a mirror. 0 would give up at once; a day is past any checkout a task waits for.
pub(crate) const LOCK_TIMEOUT_SECONDS: ValueLimits = ValueLimits::Range {
    min: 1,
    max: 86_400,
};

pub(crate) fn check_lock_timeout(seconds: u64) -> Result<(), String> {
    let ValueLimits::Range { min, max } = LOCK_TIMEOUT_SECONDS else {
        unreachable!("the lock timeouts are a range")
    };
    if (min..=max).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "is not a lock timeout: give the seconds, {min} to {max}, a checkout may wait for another task's lock on a mirror (the agent's default is 300)"
        ))
    }
}

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The mirrors' settings and their volume, claiming the agent's variables in `agent_names`
    /// so that an `Environment` or `Secrets` entry of the same name is refused.
    pub(crate) fn git_mirrors(
        &mut self,
        agent_names: &mut UsedNames<'i>,
    ) -> Option<(GitMirrors, EfsVolume)> {
        let file_system_id = self.text("GitMirrorsFileSystemId");
        if file_system_id.is_none() {
            for name in SETTINGS {
                if let Some(input) = self.input(name) {
                    self.problems.push(
                        input.place(),
                        "has no effect without GitMirrorsFileSystemId: name the EFS file system the mirrors are kept on",
                    );
                }
            }
            return None;
        }
        let access_point_id = self.text("GitMirrorsAccessPointId");
        let lock_timeout =
            self.number("GitMirrorsLockTimeout")
                .map(|(seconds, known)| match known {
                    Some(known) if !is_intrinsic(&seconds) => Value::String(known.to_string()),
                    _ => seconds,
                });
        // Written where it is true, or where a parameter gives it (as its `Ref`).
        let skip_update = self.sourced("GitMirrorsSkipUpdate").and_then(|sourced| {
            let (flag, written) = self.flag_as_variable(&sourced)?;
            (flag || is_intrinsic(&written)).then_some(written)
        });
        let place = Place::at("GitMirrorsFileSystemId");
        agent_names.claim(PATH_VARIABLE, place);
        if lock_timeout.is_some() {
            agent_names.claim(LOCK_TIMEOUT_VARIABLE, Place::at("GitMirrorsLockTimeout"));
        }
        if skip_update.is_some() {
            agent_names.claim(SKIP_UPDATE_VARIABLE, Place::at("GitMirrorsSkipUpdate"));
        }
        let volume = EfsVolume {
            name: GIT_MIRRORS_VOLUME.to_owned(),
            file_system_id,
            access_point_id,
            root_directory: None,
            container_path: Value::String(GIT_MIRRORS_PATH.to_owned()),
            // The agent clones and fetches into its mirrors.
            read_only: false,
        };
        Some((
            GitMirrors {
                lock_timeout,
                skip_update,
            },
            volume,
        ))
    }
}
