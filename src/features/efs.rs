//! `Volumes`: EFS file systems and task-scoped volumes, read and checked; the task role mounts
//! exactly those file systems, through their access points, writing only where a volume is not
//! read-only.

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::checked::{EfsVolume, SSH_VOLUME};
use crate::properties::declarations::VOLUME_ENTRY;
use crate::properties::reader::{PropertyReader, UsedNames};
use crate::template::arn::stack_arn;
use crate::template::place::Place;
use serde_json::Value;

impl<'i> PropertyReader<'_, '_, 'i> {
    /// The EFS volumes, each with a name of its own and a mount point that no other mount of
    /// the agent container uses.
    /// `ssh_socket_by` names the property that gives the agent an ssh agent's socket, if any.
    pub(crate) fn volumes(
        &mut self,
        has_sidecar: bool,
        ssh_socket_by: Option<&'static str>,
    ) -> Vec<EfsVolume> {
        let mut names = UsedNames::default();
        let mut agent_paths = UsedNames::default();
        if has_sidecar {
            agent_paths.claim("/buildkite", Place::at("BuildkiteAgentImage"));
        }
        if let Some(property) = ssh_socket_by {
            agent_paths.claim("/ssh", Place::at(property));
        }
        self.list(self.input("Volumes"), |reader, entry| {
            let fields = reader.entry_fields(entry, VOLUME_ENTRY)?;
            let field = |key: &str| Self::entry_field(fields, entry, key);
            let name = field("Name")
                .and_then(|name| reader.literal_name(&name, "volume", &mut names, &[SSH_VOLUME]));
            // No file system: a task-scoped volume, which the task's containers share.
            let file_system_id = match field("FileSystemId") {
                Some(sourced) => Some(reader.required_string_checked(&sourced, |id| {
                    check_efs_id(id, "fs-", "an EFS file system ID")
                })),
                None => {
                    for key in ["AccessPointId", "RootDirectory"] {
                        if let Some(sourced) = field(key) {
                            reader.problems.push(
                                sourced.place,
                                format!("needs FileSystemId: without one the volume is task-scoped, which has no {key}"),
                            );
                        }
                    }
                    None
                }
            };
            let on_a_file_system = file_system_id.is_some();
            let access_point_id = field("AccessPointId").filter(|_| on_a_file_system).and_then(|sourced| {
                reader.optional_string(&sourced, |id| {
                    check_efs_id(id, "fsap-", "an EFS access point ID")
                })
            });
            let root_directory = field("RootDirectory").filter(|_| on_a_file_system).and_then(|sourced| {
                let with_access_point = access_point_id.is_some();
                reader.optional_string(&sourced, |path| {
                    if !path.starts_with('/') {
                        Err("is not an absolute path".to_owned())
                    } else if with_access_point && path != "/" {
                        Err("must be / or left out with AccessPointId: the access point sets the directory".to_owned())
                    } else {
                        Ok(())
                    }
                })
            });
            let container_path = field("ContainerPath").and_then(|container_path_field| {
                let container_path =
                    reader.required_string_checked(&container_path_field, |path| {
                        if path.starts_with('/') && path.len() > 1 {
                            Ok(())
                        } else {
                            Err("is not an absolute path below /".to_owned())
                        }
                    });
                if let Some(path) = reader.scope.resolve(container_path_field.value).as_str()
                    && let Some(first) =
                        agent_paths.claim(path.to_owned(), container_path_field.place)
                {
                    let shown = reader.scope.resolve(container_path_field.value).describe();
                    reader.problems.push(
                        container_path_field.place,
                        format!("{shown} is also mounted by {first} in the agent container; give each mount its own path"),
                    );
                }
                container_path
            });
            let read_only = field("ReadOnly")
                .and_then(|sourced| reader.boolean(&sourced))
                .unwrap_or(false);
            Some(EfsVolume {
                name: name?,
                file_system_id: match file_system_id {
                    Some(id) => Some(id?),
                    None => None,
                },
                access_point_id,
                root_directory,
                container_path: container_path?,
                read_only,
            })
        })
    }
}

impl PropertyReader<'_, '_, '_> {
    /// Refuses a `Volumes` entry that takes the name or path of a volume a feature adds
    /// (`what`), naming `property`, which adds it.
    pub(crate) fn check_volume_is_free(
        &mut self,
        volumes: &[EfsVolume],
        added: &EfsVolume,
        property: &str,
        what: &str,
    ) {
        let place = self
            .sourced(property)
            .map_or_else(|| self.place(property), |s| s.place);
        let path = added.container_path.as_str();
        for volume in volumes {
            let message = if volume.name == added.name {
                format!(
                    "takes the volume name {} for {what}, which Volumes also declares: give that volume another name",
                    added.name
                )
            } else if path.is_some() && volume.container_path.as_str() == path {
                format!(
                    "mounts {what} at {}, where volume {} of Volumes is also mounted: mount that volume elsewhere",
                    path.unwrap_or_default(),
                    volume.name
                )
            } else {
                continue;
            };
            self.problems.push(place, message);
        }
    }
}

/// `fs-` or `fsap-` and 8 to 40 lower-case hexadecimal digits, as EFS's API states its IDs. ECS's
/// `EFSVolumeConfiguration` takes the IDs only, so an ARN (which EFS's own API also takes) is
/// refused, saying which part to write.
pub(crate) fn check_efs_id(id: &str, prefix: &str, what: &str) -> Result<(), String> {
    let is_id = |id: &str| {
        let digits = id.strip_prefix(prefix).unwrap_or_default();
        (8..=40).contains(&digits.len())
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if is_id(id) {
        return Ok(());
    }
    let resource = if prefix == "fs-" {
        "file-system/"
    } else {
        "access-point/"
    };
    let arn_id = crate::template::arn::parse_arn(id)
        .filter(|arn| arn.service == "elasticfilesystem")
        .and_then(|arn| arn.resource.strip_prefix(resource));
    Err(match arn_id {
        Some(arn_id) if is_id(arn_id) => format!(
            "is an ARN, but ECS takes only {what}: write the part after {resource} ({prefix} and 8 to 40 lower-case hexadecimal digits)"
        ),
        _ => format!("is not {what} ({prefix} and 8 to 40 lower-case hexadecimal digits)"),
    })
}

/// The task role's `MountFileSystems`, when a volume names a file system (the git mirrors' too).
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "MountFileSystems",
    role: GrantedRole::Task {
        asked_by: "Volumes with a FileSystemId, or GitMirrorsFileSystemId",
        asked: |features| features.mounts_file_systems,
    },
    statements: |properties, _| mount_statements(&properties.volumes),
};

/// The actions that mount a file system read-only, and read-write.
const MOUNT_ACTIONS: [&str; 1] = ["elasticfilesystem:ClientMount"];
const MOUNT_AND_WRITE_ACTIONS: [&str; 2] = [
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
];

/// Mount exactly the file systems of `Volumes`, through their access points, writing only
/// where a volume is not read-only.
fn mount_statements(volumes: &[EfsVolume]) -> Option<Vec<Statement>> {
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
    let statements = mounts
        .into_iter()
        .map(|(file_system, access_point, writes)| {
            let actions = if writes {
                Actions::List(&MOUNT_AND_WRITE_ACTIONS)
            } else {
                Actions::List(&MOUNT_ACTIONS)
            };
            // Written without a Sid, as it always was.
            let mut statement = Allow::unnamed(actions, file_system);
            if let Some(access_point) = access_point {
                statement = statement.when(
                    "ArnEquals",
                    "elasticfilesystem:AccessPointArn",
                    access_point,
                );
            }
            Statement::Allow(statement)
        })
        .collect();
    Some(statements)
}
