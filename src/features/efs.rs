//! EFS volumes (`Volumes` with a `FileSystemId`): the task role mounts exactly those file
//! systems, through their access points, writing only where a volume is not read-only.

use serde_json::Value;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::checked::EfsVolume;
use crate::template::arn::stack_arn;

/// The task role's `MountFileSystems`, when a volume names a file system.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "MountFileSystems",
    role: GrantedRole::Task {
        asked_by: "Volumes with a FileSystemId",
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
