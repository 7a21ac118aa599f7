//! IAM's quota on a role's inline policies: together at most 10,240 characters, white space not
//! counted ("IAM and AWS STS quotas"). The macro writes exact grants, one ARN per secret,
//! repository or file, so a task that names very many can pass cfn-lint and still be refused by
//! IAM at deploy. The size is only known once CloudFormation has filled in the functions, so the
//! macro counts what CloudFormation will write where the request or the template tells it (the
//! region, account, partition and URL suffix, a parameter's value, the generated log group's
//! ARN) and the fewest characters anything else can be, and refuses only what is sure to be over.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::generate::output_types::{
    Actions, GeneratedResource, Member, POLICY_VERSION, Properties, Resource, RolePolicy, Statement,
};
use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;
use crate::template::sub::{SubPart, sub_parts};
use crate::template::value::{intrinsic_name, small_member};

/// IAM's limit on the inline policies of one role, summed ("Role policy size").
pub const ROLE_POLICY_CHARACTERS: usize = 10_240;

/// The values a policy may name that are known before the stack is deployed: the request's
/// pseudo parameters and the template's parameter values (`scope`), and the name and ARN of the
/// log group generated as `log_group_id`, whose name is `log_group_name` where known.
#[derive(Clone, Copy)]
pub struct KnownValues<'s> {
    scope: &'s TemplateScope<'s>,
    log_group_id: &'s str,
    log_group_name: Option<&'s str>,
    /// The most characters a `${Name}` can gain when CloudFormation fills it in: the longest
    /// known value less the four characters of the shortest `${X}`.
    most_gained: usize,
    /// Whether each `Fn::Sub` string counts as its text plus [`Self::most_gained`] for each `$`
    /// in it: at least as many characters as counting it exactly, for less.
    bounding: bool,
}

impl<'s> KnownValues<'s> {
    pub fn new(
        scope: &'s TemplateScope<'s>,
        log_group_id: &'s str,
        log_group_name: Option<&'s str>,
    ) -> Self {
        let mut known = Self {
            scope,
            log_group_id,
            log_group_name,
            most_gained: 0,
            bounding: false,
        };
        let context = scope.context;
        let parameters = (scope.parameters.into_iter().flatten())
            .filter_map(|(name, _)| known_variable(scope, name).map(|value| value.len()));
        let longest = [
            context.region.len(),
            context.account_id.len(),
            context.partition().len(),
            context.url_suffix().len(),
            log_group_name.map_or(0, str::len),
            known.log_group_arn_length().unwrap_or(0),
        ]
        .into_iter()
        .chain(parameters)
        .max()
        .unwrap_or(0);
        known.most_gained = longest.saturating_sub("${X}".len());
        known
    }

    /// The same values, each `Fn::Sub` bounded rather than counted (`bounding`).
    pub(crate) fn bounding(self) -> Self {
        Self {
            bounding: true,
            ..self
        }
    }

    /// The length of the text `${name}` (a pseudo parameter, a template parameter, the log
    /// group's name or its `Arn` attribute) stands for, where known.
    fn variable_length(&self, name: &str) -> Option<usize> {
        match name.split_once('.') {
            Some((id, "Arn")) if id == self.log_group_id => self.log_group_arn_length(),
            Some(_) => None,
            // A log group's `Ref` is its name.
            None if name == self.log_group_id => self.log_group_name.map(str::len),
            None => known_variable(self.scope, name).map(|text| text.len()),
        }
    }

    /// While bounding, what any `{"Ref": ...}` is counted as: no fewer characters than the
    /// longest known value, so never fewer than counting it exactly.
    pub(crate) fn bounded_ref_length(&self) -> Option<usize> {
        self.bounding.then_some(self.most_gained + "${X}".len())
    }

    /// The length of what `{"Ref": target}` gives, where known.
    pub fn ref_length(&self, target: &str) -> Option<usize> {
        self.variable_length(target)
    }

    /// `arn:<partition>:logs:<region>:<account>:log-group:<name>:*`, the `Arn` CloudFormation
    /// gives an `AWS::Logs::LogGroup`.
    fn log_group_arn_length(&self) -> Option<usize> {
        let name = self.log_group_name?;
        let context = self.scope.context;
        Some(
            "arn:".len()
                + context.partition().len()
                + ":logs:".len()
                + context.region.len()
                + 1
                + context.account_id.len()
                + ":log-group:".len()
                + name.len()
                + ":*".len(),
        )
    }
}

/// The text `${name}` or `{"Ref": name}` stands for, where the request or the template tells
/// it: a pseudo parameter, or a template parameter's value. A parameter whose type makes
/// CloudFormation look its value up (`AWS::SSM::Parameter::Value<...>`) is not known.
pub fn known_variable<'a>(scope: &TemplateScope<'a>, name: &str) -> Option<Cow<'a, str>> {
    if name.starts_with("AWS::") {
        // A pseudo parameter (no template parameter is named so), found without a lookup.
        return scope.sample_variable(name);
    }
    let looked_up = scope
        .parameters
        .and_then(|parameters| parameters.get(name))
        .and_then(|parameter| parameter.get("Type"))
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.starts_with("AWS::SSM::"));
    if looked_up {
        return None;
    }
    scope.sample_variable(name)
}

/// The text a string value will be once deployed, where every part of it is known: a literal,
/// a `Ref` to a known parameter, or a `Fn::Sub` of known variables.
pub fn known_text(scope: &TemplateScope<'_>, value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        _ => match intrinsic_name(value)? {
            "Ref" => known_variable(scope, value["Ref"].as_str()?).map(Cow::into_owned),
            "Fn::Sub" => {
                let (template, variables) = crate::template::sub::sub_arguments(value)?;
                let mut text = String::with_capacity(template.len());
                for part in sub_parts(template) {
                    match part {
                        SubPart::Text(literal) => {
                            text.push_str(&crate::template::sub::unescape_sub_text(literal))
                        }
                        SubPart::Variable(name) => {
                            match variables.and_then(|variables| small_member(variables, name)) {
                                Some(given) => text.push_str(&known_text(scope, given)?),
                                None => text.push_str(&known_variable(scope, name)?),
                            }
                        }
                    }
                }
                Some(text)
            }
            _ => None,
        },
    }
}

/// Refuses a generated role (`resources`, as generated for `logical_id`) whose inline policies
/// are sure to be over IAM's limit.
pub fn check_role_policy_sizes(
    logical_id: &str,
    resources: &[(String, GeneratedResource)],
    known: &KnownValues<'_>,
    problems: &mut Problems,
) {
    for (id, resource) in resources {
        let least = match resource {
            GeneratedResource::Typed(Resource {
                properties: Properties::Role(role),
                ..
            }) => {
                let count = |known: &KnownValues<'_>| -> usize {
                    (role.policies.iter())
                        .map(|policy| least_role_policy_characters(policy, known))
                        .sum()
                };
                // Only a role that may be over is counted exactly.
                if count(&known.bounding()) <= ROLE_POLICY_CHARACTERS {
                    continue;
                }
                count(known)
            }
            GeneratedResource::Joined(value)
                if value.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role") =>
            {
                match value.pointer("/Properties/Policies") {
                    Some(policies) => least_policy_characters(policies, known),
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
fn least_role_policy_characters(policy: &RolePolicy, known: &KnownValues<'_>) -> usize {
    match policy {
        RolePolicy::Written(policy) => least_policy_characters(policy, known),
        RolePolicy::Inline(policy) => object_characters([
            ("Version", Some(POLICY_VERSION.len() + 2)),
            (
                "Statement",
                Some(list_characters(policy.statements.iter().map(|statement| {
                    least_statement_characters(statement, known)
                }))),
            ),
        ]),
    }
}

/// A statement's fewest characters; `None` for one CloudFormation removes.
fn least_statement_characters(statement: &Statement, known: &KnownValues<'_>) -> Option<usize> {
    let allow = match statement {
        Statement::Allow(allow) => allow,
        Statement::Written(value) => return least_member_characters(value, known),
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
            let test = object_characters([(*key, least_member_characters(value, known))]);
            object_characters([(*operator, Some(test))])
        });
    Some(object_characters([
        ("Sid", allow.sid.and_then(text)),
        ("Effect", text(allow.effect)),
        ("Action", action),
        ("Resource", least_member_characters(&allow.resource, known)),
        ("Condition", condition),
    ]))
}

/// `{"key":value,...}` of the members present.
pub fn object_characters<'k>(members: impl IntoIterator<Item = (&'k str, Option<usize>)>) -> usize {
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
fn least_member_characters(value: &Value, known: &KnownValues<'_>) -> Option<usize> {
    (!is_no_value(value)).then(|| least_characters(value, known))
}

/// The fewest characters of the policy documents in `policies` (a role's `Policies` list, any
/// entry possibly under `Fn::If`), white space outside strings not counted, as IAM counts.
fn least_policy_characters(policies: &Value, known: &KnownValues<'_>) -> usize {
    match policies {
        Value::Array(entries) => entries
            .iter()
            .map(|entry| least_policy_characters(entry, known))
            .sum(),
        Value::Object(_) if intrinsic_name(policies) == Some("Fn::If") => branches(policies)
            .map_or(0, |(a, b)| {
                least_policy_characters(a, known).min(least_policy_characters(b, known))
            }),
        Value::Object(policy) => policy
            .get("PolicyDocument")
            .map_or(0, |document| least_characters(document, known)),
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
/// JSON: what is known counts as CloudFormation will write it, a function whose result the
/// macro cannot know as nothing.
pub fn least_characters(value: &Value, known: &KnownValues<'_>) -> usize {
    match value {
        Value::Null => "null".len(),
        Value::Bool(flag) => flag.to_string().len(),
        Value::Number(number) => number.to_string().len(),
        Value::String(text) => text.len() + 2,
        Value::Array(items) => list_characters(
            items
                .iter()
                .map(|item| least_member_characters(item, known)),
        ),
        Value::Object(map) => match intrinsic_name(value) {
            Some(_) => least_text_characters(value, known).map_or(0, |length| length + 2),
            None => object_characters(
                map.iter()
                    .map(|(key, member)| (key.as_str(), least_member_characters(member, known))),
            ),
        },
    }
}

/// The fewest characters of the text a function gives, without its quotes; `None` where the
/// function's result is not a string the macro can bound (counted as nothing).
fn least_text_characters(value: &Value, known: &KnownValues<'_>) -> Option<usize> {
    match intrinsic_name(value)? {
        "Fn::Sub" => Some(least_sub_characters(&value["Fn::Sub"], known)),
        "Fn::If" => branches(value).map(|(a, b)| {
            least_characters(a, known)
                .min(least_characters(b, known))
                .saturating_sub(2)
        }),
        "Ref" => known.variable_length(value["Ref"].as_str()?),
        "Fn::GetAtt" => {
            let (id, attribute) = match &value["Fn::GetAtt"] {
                Value::Array(parts) => match parts.as_slice() {
                    [Value::String(id), Value::String(attribute)] => {
                        (id.as_str(), attribute.as_str())
                    }
                    _ => return None,
                },
                Value::String(dotted) => dotted.split_once('.')?,
                _ => return None,
            };
            (id == known.log_group_id && attribute == "Arn")
                .then(|| known.log_group_arn_length())
                .flatten()
        }
        _ => None,
    }
}

fn is_no_value(value: &Value) -> bool {
    crate::template::value::ref_target(value) == Some("AWS::NoValue")
}

/// The text of a `Fn::Sub` with each `${Name}` at its fewest characters: its value where known
/// (a variable of the list form, a pseudo parameter, a template parameter, the log group's
/// ARN), else nothing; `${!Literal}` as the `${Literal}` it writes.
/// [`least_sub_characters`] of a `Fn::Sub` string.
pub fn least_sub_text_characters(text: &str, known: &KnownValues<'_>) -> usize {
    least_sub_parts_characters(text, None, known)
}

fn least_sub_characters(sub: &Value, known: &KnownValues<'_>) -> usize {
    let (text, variables): (&str, Option<&Map<String, Value>>) = match sub {
        Value::String(text) => (text, None),
        Value::Array(parts) => match parts.as_slice() {
            [Value::String(text), Value::Object(variables)] => (text, Some(variables)),
            [Value::String(text), ..] => (text, None),
            _ => return 0,
        },
        _ => return 0,
    };
    least_sub_parts_characters(text, variables, known)
}

/// The fewest characters of a `Fn::Sub` string, its variables of the list form in `variables`.
fn least_sub_parts_characters(
    text: &str,
    variables: Option<&Map<String, Value>>,
    known: &KnownValues<'_>,
) -> usize {
    if known.bounding && variables.is_none() {
        let dollars = text.bytes().filter(|&byte| byte == b'$').count();
        return text.len() + dollars * known.most_gained;
    }
    sub_parts(text)
        .map(|part| match part {
            SubPart::Text(literal) => crate::template::sub::unescape_sub_text(literal).len(),
            SubPart::Variable(name) => {
                match variables.and_then(|variables| small_member(variables, name)) {
                    Some(Value::String(given)) => given.len(),
                    Some(given) => least_characters(given, known).saturating_sub(2),
                    None => known.variable_length(name).unwrap_or(0),
                }
            }
        })
        .sum()
}

#[cfg(test)]
mod tests;
