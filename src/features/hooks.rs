//! `HooksBucket` (with `HooksPrefix`) or `HooksImage` (with `HooksImageDirectory`): agent hooks
//! copied, before the agent starts, into a task volume the agent reads as its hooks path.
//!
//! An init container, `hooks-init`, copies them and makes them executable; `agent` waits for it
//! to exit 0 (`DependsOn` `SUCCESS`), so a task whose hooks cannot be fetched never runs a job
//! without them. From S3 it runs the AWS CLI with the task role, which may list and read
//! exactly the bucket and prefix (`ReadHooks`); from an image it copies the image's directory,
//! and the execution role pulls that image as any other (`images.rs`).
//!
//! The agent's option is `hooks-path` (`BUILDKITE_HOOKS_PATH`, buildkite/agent
//! `clicommand/global.go`), read by every agent 3.x; `additional-hooks-paths` came in 3.89 and
//! an older agent would ignore it and run jobs without the hooks.

use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::LazyLock;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{
    Actions, Allow, ContainerDefinition, LogConfiguration, MountPoint, NameValue, Statement, Text,
};
use crate::properties::checked::{EfsVolume, HOOKS_CONTAINER, Hooks, HooksSource};
use crate::properties::reader::{PropertyReader, UsedNames};
use crate::template::arn::s3_arn;
use crate::template::context::ExpansionContext;
use crate::template::place::Place;
use crate::template::sub::{Piece, build_sub};

/// The task volume the hooks are copied into, and where `agent` reads it (read-only): beside
/// `/buildkite` (the sidecar's volume), never under it.
pub const HOOKS_VOLUME: &str = "buildkite-hooks";
pub const HOOKS_PATH: &str = "/buildkite-hooks";
pub const HOOKS_PATH_VARIABLE: &str = "BUILDKITE_HOOKS_PATH";
/// Where `hooks-init` writes the volume: the agent's path, so the copy's log names it as the
/// agent sees it. A `HooksImageDirectory` at, under or above it is refused (the mount would hide
/// the image's directory, or be copied into itself).
const COPY_TO: &str = HOOKS_PATH;

/// The AWS CLI's own image, kept by AWS on ECR Public (no Docker Hub pull limits, no ECR grant),
/// with `/bin/sh`; pinned so a task starts the same way every time.
pub const AWS_CLI_IMAGE: &str = "public.ecr.aws/aws-cli/aws-cli:2.36.15";

/// The copy fails the task if it yields nothing: a typo in the prefix or directory must not
/// run jobs without their hooks.
const FROM_S3: &str = "set -eu; aws s3 cp --recursive --only-show-errors \"$HOOKS_SOURCE\" /buildkite-hooks/; chmod -R a+rx /buildkite-hooks; [ -n \"$(ls -A /buildkite-hooks)\" ] || { echo \"no hooks under $HOOKS_SOURCE\" >&2; exit 1; }";
const FROM_IMAGE: &str = "set -eu; cp -R \"$HOOKS_SOURCE\"/. /buildkite-hooks/; chmod -R a+rx /buildkite-hooks; [ -n \"$(ls -A /buildkite-hooks)\" ] || { echo \"no hooks in $HOOKS_SOURCE of the hooks image\" >&2; exit 1; }";

static SHELL: LazyLock<Value> = LazyLock::new(|| json!(["/bin/sh", "-c"]));
static COPY_FROM_S3: LazyLock<Value> = LazyLock::new(|| json!([FROM_S3]));
static COPY_FROM_IMAGE: LazyLock<Value> = LazyLock::new(|| json!([FROM_IMAGE]));

pub(crate) fn check_directory(path: &str, _: &ExpansionContext) -> Result<(), String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let overlaps =
        |a: &str, b: &str| a == b || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'));
    if !path.starts_with('/') || path.is_empty() {
        Err(
            "is not an absolute path below / (the directory of the image holding the hooks)"
                .to_owned(),
        )
    } else if overlaps(path, COPY_TO) || overlaps(COPY_TO, path) {
        Err(format!(
            "overlaps {COPY_TO}, where hooks-init mounts the volume it copies the hooks into: keep the hooks in another directory of the image"
        ))
    } else {
        Ok(())
    }
}

pub(crate) fn check_bucket(name: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::s3::check_bucket_name(name, Some("HooksPrefix"))
}

pub(crate) fn check_prefix(prefix: &str, _: &ExpansionContext) -> Result<(), String> {
    crate::features::s3::check_prefix(prefix)
}

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The hooks' source and their volume, claiming `BUILDKITE_HOOKS_PATH` in `agent_names`.
    pub(crate) fn hooks(&mut self, agent_names: &mut UsedNames<'i>) -> Option<(Hooks, EfsVolume)> {
        let bucket = self.text("HooksBucket");
        let prefix = self.text("HooksPrefix");
        let image = self.text("HooksImage");
        let without = |reader: &mut Self, name: &str, needed: &str| {
            if let Some(input) = reader.input(name) {
                reader
                    .problems
                    .push(input.place(), format!("has no effect without {needed}"));
            }
        };
        if bucket.is_none() {
            without(
                self,
                "HooksPrefix",
                "HooksBucket: name the bucket the prefix is in",
            );
        }
        if image.is_none() {
            without(
                self,
                "HooksImageDirectory",
                "HooksImage: name the image the directory is in",
            );
        }
        let source = match (bucket, image) {
            (None, None) => return None,
            (Some(_), Some(_)) => {
                let place = self
                    .sourced("HooksImage")
                    .map_or_else(|| self.place("HooksImage"), |s| s.place);
                self.problems.push(
                    place,
                    "is a second source of hooks beside HooksBucket: the agent reads one hooks directory, so copy them from S3 or from an image, not both",
                );
                return None;
            }
            (Some(bucket), None) => HooksSource::S3 { bucket, prefix },
            (None, Some(image)) => {
                let image_pull = self.image_property_pull("HooksImage", Some(&image));
                let directory = self.text_or_default("HooksImageDirectory");
                HooksSource::Image {
                    image,
                    image_pull,
                    directory,
                }
            }
        };
        let place = match &source {
            HooksSource::S3 { .. } => Place::at("HooksBucket"),
            HooksSource::Image { .. } => Place::at("HooksImage"),
        };
        agent_names.claim(HOOKS_PATH_VARIABLE, place);
        let volume = EfsVolume {
            name: HOOKS_VOLUME.to_owned(),
            file_system_id: None,
            access_point_id: None,
            root_directory: None,
            container_path: Value::String(HOOKS_PATH.to_owned()),
            // A job cannot change the hooks of the jobs after it.
            read_only: true,
        };
        Some((Hooks { source }, volume))
    }
}

/// `hooks-init`: copies the hooks into the volume, then exits; not essential, so its exit does
/// not stop the task, and `agent` starts only once it has exited 0.
pub fn init_container(hooks: Hooks, log: LogConfiguration) -> ContainerDefinition {
    let (image, source, command) = match hooks.source {
        HooksSource::S3 { bucket, prefix } => {
            let mut pieces = vec![
                Piece::Text("s3://"),
                Piece::Value(&bucket),
                Piece::Text("/"),
            ];
            if let Some(prefix) = &prefix {
                pieces.extend([Piece::Value(prefix), Piece::Text("/")]);
            }
            (json!(AWS_CLI_IMAGE), build_sub(&pieces), &COPY_FROM_S3)
        }
        HooksSource::Image {
            image, directory, ..
        } => (image, directory, &COPY_FROM_IMAGE),
    };
    let mut container = ContainerDefinition::new(HOOKS_CONTAINER, image, false, log);
    // Root writes the task volume, whatever user the image names.
    container.user = Some("0");
    container.entry_point = Some(Cow::Borrowed(&SHELL));
    container.command = Some(Cow::Borrowed(command));
    container.environment = vec![NameValue {
        name: Text::Constant("HOOKS_SOURCE"),
        value: Text::Given(source),
    }];
    container.mount_points = vec![MountPoint {
        source_volume: Cow::Borrowed(HOOKS_VOLUME),
        container_path: Text::Constant(COPY_TO),
        read_only: false,
    }];
    container
}

/// The task role's `ReadHooks`, with `HooksBucket`: `hooks-init` runs with the task role.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ReadHooks",
    role: GrantedRole::Task {
        asked_by: "HooksBucket",
        asked: |features| features.reads_hooks,
    },
    statements: |properties, _| match &properties.hooks.as_ref()?.source {
        HooksSource::S3 { bucket, prefix } => Some(read_statements(bucket, prefix.as_ref())),
        HooksSource::Image { .. } => None,
    },
};

/// `aws s3 cp --recursive` lists the prefix (`ListObjectsV2` with `prefix=<prefix>/`) and reads
/// each object: exactly those, and nothing else of the bucket.
fn read_statements(bucket: &Value, prefix: Option<&Value>) -> Vec<Statement> {
    let objects = match prefix {
        Some(prefix) => s3_arn(
            bucket,
            [Piece::Text("/"), Piece::Value(prefix), Piece::Text("/*")],
        ),
        None => s3_arn(bucket, [Piece::Text("/*")]),
    };
    let list = Allow::new(
        "ListTheHooks",
        Actions::One("s3:ListBucket"),
        s3_arn(bucket, []),
    );
    let list = match prefix {
        Some(prefix) => list.when(
            "StringLike",
            "s3:prefix",
            build_sub(&[Piece::Value(prefix), Piece::Text("/*")]),
        ),
        None => list,
    };
    vec![
        Statement::Allow(Allow::new(
            "ReadTheHooks",
            Actions::One("s3:GetObject"),
            objects,
        )),
        Statement::Allow(list),
    ]
}
