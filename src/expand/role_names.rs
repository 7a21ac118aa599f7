//! The name of a role given by its ARN, for the `TaskRoleName` and `ExecutionRoleName`
//! attributes: AWS CDK's `iam.Role.fromRoleName` wants the name, and the last segment of a
//! role ARN is the name only because IAM paths end in `/`.

use serde_json::{Map, Value, json};

use crate::template::sub::{sub_arguments, sub_literal};
use crate::template::value::{get_att_parts, intrinsic_name, resource_member};

/// The role name that `arn` (a `TaskRoleArn` or `ExecutionRoleArn` as written, on one branch)
/// names, as a value CloudFormation resolves: the text after the ARN's last `/` when that is
/// literal, or `Ref R` for `!GetAtt R.Arn` of an `AWS::IAM::Role` of the template. `None` where
/// the name cannot be read (a parameter, an import, a role of another stack): the number of
/// path segments is unknown, so no `Fn::Select` of a `Fn::Split` could pick the name out.
pub fn role_name_of_arn(arn: &Value, resources: &Map<String, Value>) -> Option<Value> {
    match intrinsic_name(arn) {
        None => {
            let (_, name) = arn.as_str()?.split_once(":role/")?;
            let name = name.rsplit('/').next()?;
            (!name.is_empty()).then(|| Value::String(name.to_owned()))
        }
        Some("Fn::GetAtt") => {
            let (role, attribute) = get_att_parts(arn)?;
            let is_role = resources
                .get(role)
                .and_then(|resource| resource_member(resource, "Type"))
                .and_then(Value::as_str)
                == Some("AWS::IAM::Role");
            (attribute == "Arn" && is_role).then(|| json!({"Ref": role}))
        }
        Some("Fn::Sub") => {
            let (template, _) = sub_arguments(arn)?;
            let (_, tail) = template.split_once(":role/")?;
            let name = tail.rsplit('/').next()?;
            let name = sub_literal(name)?;
            (!name.is_empty()).then(|| Value::String(name.into_owned()))
        }
        Some("Fn::If") => match arn.get("Fn::If")?.as_array()?.as_slice() {
            [condition, when_true, when_false] => Some(json!({"Fn::If": [
                condition,
                role_name_of_arn(when_true, resources)?,
                role_name_of_arn(when_false, resources)?
            ]})),
            _ => None,
        },
        _ => None,
    }
}

/// The resource and attribute (`X.TaskRoleArn`) of a role ARN that `argument`, a `Fn::Select`'s,
/// takes a name from as AWS CDK's `iam.Role.fromRoleArn` does: item 1 of a `Fn::Split` at `/` of
/// a value holding the ARN, the segment after `role/`. For a role with a path, that segment is
/// the path's first, not the name. `is_role_arn` says which attributes are such ARNs.
pub fn name_taken_after_role<'v>(
    argument: &'v Value,
    is_role_arn: &impl Fn(&str, &str) -> bool,
) -> Option<(&'v str, &'v str)> {
    let [index, split] = argument.as_array()?.as_slice() else {
        return None;
    };
    let second = index.as_u64() == Some(1) || index.as_str() == Some("1");
    let [Value::String(delimiter), source] = split.get("Fn::Split")?.as_array()?.as_slice() else {
        return None;
    };
    if !second || delimiter != "/" {
        return None;
    }
    role_arn_within(source, is_role_arn)
}

/// The first `Fn::GetAtt` of a role ARN in `value`, as [`name_taken_after_role`] looks for it.
fn role_arn_within<'v>(
    value: &'v Value,
    is_role_arn: &impl Fn(&str, &str) -> bool,
) -> Option<(&'v str, &'v str)> {
    match value {
        Value::Object(map) => {
            if let Some(parts) = get_att_parts(value)
                && is_role_arn(parts.0, parts.1)
            {
                return Some(parts);
            }
            map.values()
                .find_map(|child| role_arn_within(child, is_role_arn))
        }
        Value::Array(items) => items
            .iter()
            .find_map(|item| role_arn_within(item, is_role_arn)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_name_is_read_where_the_arn_shows_it() {
        let resources = json!({
            "Mine": {"Type": "AWS::IAM::Role"},
            "Bucket": {"Type": "AWS::S3::Bucket"}
        });
        let resources = resources.as_object().unwrap();
        let name = |arn: Value| role_name_of_arn(&arn, resources);
        assert_eq!(
            name(json!("arn:aws:iam::123456789012:role/ci/agents/Ruby")),
            Some(json!("Ruby"))
        );
        assert_eq!(
            name(json!("arn:aws:iam::123456789012:role/Ruby")),
            Some(json!("Ruby"))
        );
        assert_eq!(
            name(json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ci/Ruby"})),
            Some(json!("Ruby"))
        );
        assert_eq!(
            name(json!({"Fn::GetAtt": ["Mine", "Arn"]})),
            Some(json!({"Ref": "Mine"}))
        );
        assert_eq!(
            name(json!({"Fn::GetAtt": "Mine.Arn"})),
            Some(json!({"Ref": "Mine"}))
        );
        assert_eq!(
            name(
                json!({"Fn::If": ["C", "arn:aws:iam::1:role/A", {"Fn::GetAtt": ["Mine", "Arn"]}]})
            ),
            Some(json!({"Fn::If": ["C", "A", {"Ref": "Mine"}]}))
        );
        // Where the name is not in sight, none is made up.
        for unreadable in [
            json!({"Ref": "RoleArn"}),
            json!({"Fn::ImportValue": "agents-role"}),
            json!({"Fn::GetAtt": ["Bucket", "Arn"]}),
            json!({"Fn::GetAtt": ["Stack", "Outputs.RoleArn"]}),
            json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"}),
            json!({"Fn::If": ["C", "arn:aws:iam::1:role/A", {"Ref": "RoleArn"}]}),
            json!("arn:aws:iam::1:user/Ruby"),
            json!("arn:aws:iam::1:role/ci/"),
        ] {
            assert_eq!(name(unreadable.clone()), None, "{unreadable}");
        }
    }

    #[test]
    fn cdk_from_role_arn_is_found_around_a_generated_role_arn() {
        let is_role_arn =
            |name: &str, attribute: &str| name == "Ruby" && attribute == "TaskRoleArn";
        let from_role_arn = |arn: Value| json!([1, {"Fn::Split": ["/", {"Fn::Select": [5, {"Fn::Split": [":", arn]}]}]}]);
        let found = |argument: Value| {
            name_taken_after_role(&argument, &is_role_arn).map(|(n, a)| format!("{n}.{a}"))
        };
        assert_eq!(
            found(from_role_arn(
                json!({"Fn::GetAtt": ["Ruby", "TaskRoleArn"]})
            )),
            Some("Ruby.TaskRoleArn".to_owned())
        );
        assert_eq!(
            found(from_role_arn(json!({"Fn::GetAtt": "Ruby.TaskRoleArn"}))),
            Some("Ruby.TaskRoleArn".to_owned())
        );
        // Another item, another delimiter or another ARN is not the idiom.
        for other in [
            json!([0, {"Fn::Split": ["/", {"Fn::GetAtt": ["Ruby", "TaskRoleArn"]}]}]),
            json!([1, {"Fn::Split": [":", {"Fn::GetAtt": ["Ruby", "TaskRoleArn"]}]}]),
            from_role_arn(json!({"Fn::GetAtt": ["Ruby", "ExecutionRoleArn"]})),
            from_role_arn(json!({"Fn::GetAtt": ["Mine", "Arn"]})),
        ] {
            assert_eq!(found(other.clone()), None, "{other}");
        }
    }
}
