//! The messages about references to a Buildkite resource: its attributes, and the forms of a
//! reference that work.

use crate::template::problems::nearest;

/// The attributes a Buildkite resource answers to.
pub const ATTRIBUTE_NAMES: [&str; 8] = [
    "TaskDefinitionArn",
    "Family",
    "ExecutionRoleArn",
    "TaskRoleArn",
    "ExecutionRoleName",
    "TaskRoleName",
    "LogGroupName",
    "LogGroupArn",
];

/// Why an attribute has no value.
pub enum MissingAttribute {
    /// Not an attribute of a Buildkite resource (or `RunPolicyArn` without the policy).
    Unknown,
    /// `TaskRoleName` or `ExecutionRoleName` of a role given by an ARN that hides its name.
    UnreadableRoleName { property: &'static str },
}

pub fn missing_attribute(name: &str, attribute: &str, missing: &MissingAttribute) -> String {
    match missing {
        MissingAttribute::Unknown => unknown_attribute(name, attribute),
        MissingAttribute::UnreadableRoleName { property } => format!(
            "{name}'s {property} does not show the role's name (an ARN from a parameter, an import or another stack may carry a path, so its last segment need not be the name); write the role's name here, or give {property} as a literal ARN or as !GetAtt <Role>.Arn of an AWS::IAM::Role in this template, whose {attribute} is then its Ref"
        ),
    }
}

/// What Buildkite resource `id` became, for a message.
pub fn became(id: &str) -> String {
    format!("it becomes {id}TaskDefinition, {id}LogGroup and its roles")
}

/// The forms of a reference to Buildkite resource `id` that work, for a message.
pub fn how_to_name(id: &str, written_in: &str) -> String {
    let example = match written_in {
        "Fn::GetAtt" => format!("!GetAtt {id}.Family"),
        "DependsOn" => format!("DependsOn: {id}"),
        "Fn::Sub" => format!("${{{id}.Family}}"),
        _ => format!("!Ref {id}"),
    };
    format!(
        "write the logical ID out ({example}), or list AWS::LanguageExtensions before Buildkite-Agents-2020-03-09 in Transform so that it resolves the name first"
    )
}

fn unknown_attribute(name: &str, attribute: &str) -> String {
    if attribute == "RunPolicyArn" {
        return format!("{name} has a RunPolicyArn only with RunPolicy: true, which generates it");
    }
    format!(
        "{name} is a Buildkite task definition, which has no attribute {attribute}; {}",
        match nearest(attribute, &ATTRIBUTE_NAMES) {
            Some(known) => format!("did you mean {known}?"),
            None => format!("it has {}", ATTRIBUTE_NAMES.join(", ")),
        }
    )
}

/// For `Fn::Select` 1 of `Fn::Split "/"` of `name.attribute`, a generated role's ARN: what AWS
/// CDK's `iam.Role.fromRoleArn` writes for the role's name, which the role's path makes wrong.
pub fn path_taken_for_role_name(name: &str, attribute: &str) -> String {
    let (path_property, default_path, name_attribute) = match attribute {
        "ExecutionRoleArn" => (
            "ExecutionRolePath",
            "/BuildkiteAgentExecution/",
            "ExecutionRoleName",
        ),
        _ => ("TaskRolePath", "/BuildkiteAgentTask/", "TaskRoleName"),
    };
    format!(
        "takes the part of {name}.{attribute} after role/ as the role's name (Fn::Select 1 of Fn::Split \"/\", as AWS CDK's iam.Role.fromRoleArn writes it), but the macro writes that role with a path ({path_property}, {default_path} by default), so that part is the path and names no role: the AWS::IAM::Policy would fail at deploy; use !GetAtt {name}.{name_attribute} (in AWS CDK: iam.Role.fromRoleName(this, 'Role', agent.getAtt('{name_attribute}').toString()))"
    )
}
