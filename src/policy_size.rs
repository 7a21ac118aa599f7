//! IAM's quota on a role's inline policies: together at most 10,240 characters, white space not
//! counted. The macro writes exact grants, one ARN per secret, repository or file, so a task that
//! names very many can pass cfn-lint and still be refused by IAM at deploy. The size is only known
//! once CloudFormation has filled in the functions, so the macro counts the least it can be and
//! refuses only what is sure to be over.

use serde_json::Value;

use crate::problems::Problems;
use crate::resources::{
    Actions, GeneratedResource, Member, POLICY_VERSION, Properties, Resource, RolePolicy, Statement,
};
use crate::value::intrinsic_name;

/// IAM's limit on the inline policies of one role, summed ("Role policy size").
pub const ROLE_POLICY_CHARACTERS: usize = 10_240;

/// The fewest characters each pseudo parameter can stand for.
const SHORTEST_PSEUDO: [(&str, usize); 4] = [
    ("AWS::Partition", "aws".len()),
    ("AWS::Region", "us-east-1".len()),
    ("AWS::AccountId", 12),
    ("AWS::URLSuffix", "amazonaws.com".len()),
];

/// Refuses a generated role (`resources`, as generated for `logical_id`) whose inline policies
/// are sure to be over IAM's limit.
pub fn check_role_policy_sizes(
    logical_id: &str,
    resources: &[(String, GeneratedResource)],
    problems: &mut Problems,
) {
    for (id, resource) in resources {
        let least = match resource {
            GeneratedResource::Typed(Resource {
                properties: Properties::Role(role),
                ..
            }) => {
                // Each Fn::Sub counted as written, not read for its variables, gives at least
                // the fewest characters: only a role over the limit that way is counted exactly.
                let bound: usize = (role.policies.iter())
                    .map(least_role_policy_characters::<false>)
                    .sum();
                if bound <= ROLE_POLICY_CHARACTERS {
                    continue;
                }
                (role.policies.iter())
                    .map(least_role_policy_characters::<true>)
                    .sum()
            }
            GeneratedResource::Joined(value)
                if value.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role") =>
            {
                match value.pointer("/Properties/Policies") {
                    Some(policies) => least_policy_characters::<true>(policies),
                    None => continue,
                }
            }
            _ => continue,
        };
        if least > ROLE_POLICY_CHARACTERS {
            problems.push(
                format!("Resources.{logical_id}"),
                format!(
                    "expands to {id}, whose inline policies come to at least {least} characters, over the {ROLE_POLICY_CHARACTERS} IAM allows a role: split the secrets, images or files across more resources, or give a role of your own (ExecutionRoleArn, TaskRoleArn)"
                ),
            );
        }
    }
}

/// [`least_policy_characters`] of a typed `Policies` entry: counted as its value would be,
/// without building it.
fn least_role_policy_characters<const SHORTEST: bool>(policy: &RolePolicy) -> usize {
    match policy {
        RolePolicy::Written(policy) => least_policy_characters::<SHORTEST>(policy),
        RolePolicy::Inline(policy) => object_characters([
            ("Version", Some(POLICY_VERSION.len() + 2)),
            (
                "Statement",
                Some(list_characters(
                    policy
                        .statements
                        .iter()
                        .map(least_statement_characters::<SHORTEST>),
                )),
            ),
        ]),
    }
}

/// A statement's fewest characters; `None` for one CloudFormation removes.
fn least_statement_characters<const SHORTEST: bool>(statement: &Statement) -> Option<usize> {
    let allow = match statement {
        Statement::Allow(allow) => allow,
        Statement::Written(value) => return least_member_characters::<SHORTEST>(value),
    };
    let text = |text: &str| Some(text.len() + 2);
    let action = match allow.action {
        Actions::One(action) => text(action),
        Actions::List(actions) => Some(list_characters(actions.iter().map(|a| text(a)))),
    };
    let condition = allow
        .condition
        .as_ref()
        .map(|Member(operator, Member(key, value))| {
            let test = object_characters([(*key, least_member_characters::<SHORTEST>(value))]);
            object_characters([(*operator, Some(test))])
        });
    Some(object_characters([
        ("Sid", allow.sid.and_then(text)),
        ("Effect", text(allow.effect)),
        ("Action", action),
        (
            "Resource",
            least_member_characters::<SHORTEST>(&allow.resource),
        ),
        ("Condition", condition),
    ]))
}

/// `{"key":value,...}` of the members present.
fn object_characters<'k>(members: impl IntoIterator<Item = (&'k str, Option<usize>)>) -> usize {
    list_characters(
        members
            .into_iter()
            .map(|(key, value)| value.map(|value| key.len() + 3 + value)),
    )
}

/// `[a,b,...]` of the entries present (the same count as an object's braces and commas).
fn list_characters(entries: impl IntoIterator<Item = Option<usize>>) -> usize {
    let (count, characters) = entries
        .into_iter()
        .flatten()
        .fold((0, 0), |(count, sum), entry| (count + 1, sum + entry));
    2 + characters + usize::saturating_sub(count, 1)
}

/// A member's or entry's fewest characters, `None` for `AWS::NoValue`, which removes it.
fn least_member_characters<const SHORTEST: bool>(value: &Value) -> Option<usize> {
    (!is_no_value(value)).then(|| least_characters::<SHORTEST>(value))
}

/// The fewest characters of the policy documents in `policies` (a role's `Policies` list, any
/// entry possibly under `Fn::If`), white space outside strings not counted, as IAM counts.
fn least_policy_characters<const SHORTEST: bool>(policies: &Value) -> usize {
    match policies {
        Value::Array(entries) => entries
            .iter()
            .map(least_policy_characters::<SHORTEST>)
            .sum(),
        Value::Object(_) if intrinsic_name(policies) == Some("Fn::If") => branches(policies)
            .map_or(0, |(a, b)| {
                least_policy_characters::<SHORTEST>(a).min(least_policy_characters::<SHORTEST>(b))
            }),
        Value::Object(policy) => policy
            .get("PolicyDocument")
            .map_or(0, least_characters::<SHORTEST>),
        _ => 0,
    }
}

fn branches(value: &Value) -> Option<(&Value, &Value)> {
    match value.get("Fn::If")?.as_array()?.as_slice() {
        [_, a, b] => Some((a, b)),
        _ => None,
    }
}

/// The fewest characters `value` can be once CloudFormation has evaluated it, written as compact
/// JSON: a function whose result it cannot bound counts as nothing. With `SHORTEST` false, each
/// `Fn::Sub` counts as written: a bound at least as high, cheaper to take.
fn least_characters<const SHORTEST: bool>(value: &Value) -> usize {
    match value {
        Value::Null => "null".len(),
        Value::Bool(flag) => flag.to_string().len(),
        Value::Number(number) => number.to_string().len(),
        Value::String(text) => text.len() + 2,
        Value::Array(items) => {
            list_characters(items.iter().map(least_member_characters::<SHORTEST>))
        }
        Value::Object(map) => {
            match intrinsic_name(value) {
                Some("Fn::Sub") => least_sub_characters::<SHORTEST>(&value["Fn::Sub"]) + 2,
                Some("Fn::If") => branches(value).map_or(0, |(a, b)| {
                    least_characters::<SHORTEST>(a).min(least_characters::<SHORTEST>(b))
                }),
                Some(_) => 0,
                None => object_characters(map.iter().map(|(key, member)| {
                    (key.as_str(), least_member_characters::<SHORTEST>(member))
                })),
            }
        }
    }
}

fn is_no_value(value: &Value) -> bool {
    crate::value::ref_target(value) == Some("AWS::NoValue")
}

/// The text of a `Fn::Sub` with each `${Name}` at its fewest characters: a pseudo parameter's
/// shortest value, anything else nothing; `${!Literal}` as the `${Literal}` it writes. Not
/// `SHORTEST`: the text as written, which is never fewer.
fn least_sub_characters<const SHORTEST: bool>(sub: &Value) -> usize {
    let text = match sub {
        Value::String(text) => text.as_str(),
        Value::Array(parts) => match parts.first() {
            Some(Value::String(text)) => text.as_str(),
            _ => return 0,
        },
        _ => return 0,
    };
    if !SHORTEST {
        return text.len();
    }
    let mut length = 0;
    let mut rest = text;
    while let Some(start) = crate::value::variable_start(rest) {
        length += start;
        let after = &rest[start + 2..];
        let Some(end) = crate::value::closing_brace(after) else {
            return length + rest[start..].len();
        };
        let name = &after[..end];
        length += match name.strip_prefix('!') {
            Some(literal) => literal.len() + 3,
            None => SHORTEST_PSEUDO
                .iter()
                .find(|(pseudo, _)| *pseudo == name)
                .map_or(0, |(_, shortest)| *shortest),
        };
        rest = &after[end + 1..];
    }
    length + rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_counts_as_its_compact_json_with_the_shortest_pseudo_parameters() {
        let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        assert_eq!(
            least_characters::<true>(&document),
            document.to_string().len()
        );
        assert_eq!(
            least_characters::<true>(
                &json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/x"})
            ),
            "\"arn:aws:ssm:us-east-1:123456789012:parameter/x\"".len()
        );
        // A variable CloudFormation fills in, or another function, may be as short as nothing.
        assert_eq!(
            least_characters::<true>(&json!({"Fn::Sub": "a${Name}b"})),
            4
        );
        assert_eq!(
            least_characters::<true>(&json!({"Fn::GetAtt": ["L", "Arn"]})),
            0
        );
        assert_eq!(
            least_characters::<true>(&json!(["a", {"Ref": "AWS::NoValue"}, "b"])),
            r#"["a","b"]"#.len()
        );
        assert_eq!(
            least_characters::<true>(&json!({"Fn::If": ["C", "long text", "s"]})),
            r#""s""#.len()
        );
    }

    #[test]
    fn a_typed_policy_counts_as_its_value_does() {
        use crate::resources::{Allow, InlinePolicy};
        let inline = InlinePolicy {
            name: "ReadAgentSecrets",
            statements: vec![
                Statement::Allow(
                    Allow::new(
                        "ReadParameters",
                        Actions::List(&["ssm:GetParameters", "ssm:GetParameter"]),
                        json!([
                            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/a"},
                            {"Ref": "AWS::NoValue"},
                            "arn:aws:ssm:eu-west-1:123456789012:parameter/b"
                        ]),
                    )
                    .when("StringEquals", "kms:ViaService", json!({"Fn::If": ["C", "long text", "s"]})),
                ),
                Statement::Allow(Allow::unnamed(Actions::One("s3:GetObject"), json!(-12))),
                Statement::Allow(
                    Allow::new("Gone", Actions::One("s3:GetObject"), json!({"Ref": "AWS::NoValue"}))
                        .when("StringLike", "k", json!({"Ref": "AWS::NoValue"})),
                ),
                Statement::Written(json!({"Effect": "Allow", "Resource": [1.5, null, true]})),
                Statement::Written(json!({"Ref": "AWS::NoValue"})),
            ],
        };
        let written = RolePolicy::Written(
            json!({"Fn::If": ["C", {"PolicyDocument": {"a": "b"}}, {"PolicyDocument": {}}]}),
        );
        for policy in [RolePolicy::Inline(inline), written] {
            let value = serde_json::to_value(&policy).unwrap();
            assert_eq!(
                least_role_policy_characters::<true>(&policy),
                least_policy_characters::<true>(&value),
                "{value}"
            );
        }
    }

    #[test]
    fn counting_each_sub_as_written_is_never_fewer() {
        for value in [
            json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:p/a"}),
            json!({"Fn::Sub": ["${!Literal}-${Name}-${AWS::URLSuffix}", {"Name": "x"}]}),
            json!({"Fn::Sub": "unclosed ${AWS::Region"}),
            json!([{"Fn::If": ["C", {"Fn::Sub": "${AWS::StackName}"}, "s"]}, "t"]),
        ] {
            assert!(
                least_characters::<false>(&value) >= least_characters::<true>(&value),
                "{value}"
            );
        }
    }

    #[test]
    fn a_role_sure_to_be_over_the_limit_is_refused_and_one_that_may_fit_is_not() {
        let role = |resources: usize| {
            let arns: Vec<Value> = (0..resources)
                .map(|n| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/ci/token-{n}")}))
                .collect();
            vec![(
                "AgentExecutionRole".to_owned(),
                GeneratedResource::Joined(
                    json!({"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
                        "PolicyName": "ReadAgentSecrets",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": arns}
                        ]}
                    }]}}),
                ),
            )]
        };
        let mut problems = Problems::new();
        check_role_policy_sizes("Agent", &role(100), &mut problems);
        assert!(problems.is_empty(), "{problems}");
        check_role_policy_sizes("Agent", &role(300), &mut problems);
        let text = problems.to_string();
        assert!(
            text.contains("Resources.Agent: expands to AgentExecutionRole, whose inline policies come to at least")
                && text.contains("over the 10240 IAM allows a role"),
            "{text}"
        );
    }
}
