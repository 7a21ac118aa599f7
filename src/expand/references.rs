//! Rewriting references to a Buildkite resource `X` so they point at what it became.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::generate::GeneratedIds;
use crate::properties::declarations::default_family;
use crate::template::place::Trail;
use crate::template::problems::{Problems, nearest};
use crate::template::sub::{SubPart, push_sub_variable, sub_literal, sub_parts};
use crate::template::value::may_hold_intrinsic;

/// The attributes a Buildkite resource answers to.
pub const ATTRIBUTE_NAMES: [&str; 6] = [
    "TaskDefinitionArn",
    "Family",
    "ExecutionRoleArn",
    "TaskRoleArn",
    "LogGroupName",
    "LogGroupArn",
];

/// What references to one Buildkite resource become.
#[derive(Debug, Clone)]
pub struct ReferenceTarget {
    /// The resources it becomes.
    pub ids: GeneratedIds,
    /// The user's `TaskRoleArn`; `None` for the generated task role's (`Fn::GetAtt`, built
    /// when a reference asks for it).
    pub task_role_arn: Option<Value>,
    /// The user's `ExecutionRoleArn`; `None` for the generated execution role's.
    pub execution_role_arn: Option<Value>,
    /// The `TaskFamily` given; `None` for the default one (built when a reference asks for it).
    pub family: Option<Value>,
    /// Whether its properties, or the globals it takes, hold an `Fn::If`.
    pub meets_fn_if: bool,
}

impl ReferenceTarget {
    fn attribute(&self, name: &str) -> Option<Value> {
        Some(match name {
            "TaskDefinitionArn" => json!({"Ref": self.ids.task_definition}),
            "Family" => match &self.family {
                Some(family) => family.clone(),
                None => Value::String(default_family(self.ids.logical_id())),
            },
            "ExecutionRoleArn" => role_arn(&self.execution_role_arn, &self.ids.execution_role)?,
            "TaskRoleArn" => role_arn(&self.task_role_arn, &self.ids.task_role)?,
            "LogGroupName" => json!({"Ref": self.ids.log_group}),
            "LogGroupArn" => crate::template::arn::get_att_arn(&self.ids.log_group),
            "RunPolicyArn" => json!({"Ref": self.ids.run_policy.as_ref()?}),
            _ => return None,
        })
    }
}

/// The user's role ARN, else the generated role's `Fn::GetAtt`.
fn role_arn(given: &Option<Value>, generated_id: &Option<String>) -> Option<Value> {
    match given {
        Some(arn) => Some(arn.clone()),
        None => Some(crate::template::arn::get_att_arn(generated_id.as_deref()?)),
    }
}

/// Rewrites every reference under `value` (found at `path`) to a resource of `targets`.
pub struct ReferenceRewriter<'t> {
    targets: &'t HashMap<&'t str, &'t ReferenceTarget>,
    problems: &'t mut Problems,
    /// The targets whose copied value (`Family`, `TaskRoleArn`) is being rewritten, so that a
    /// value that refers to itself is reported instead of expanded for ever.
    copying: Vec<&'t str>,
}

/// What became of a one-key object.
enum Rewritten {
    Replaced(Value),
    /// Rewritten in place, its arguments included.
    Done,
    /// Not a reference to a target: its arguments are walked as any value.
    Untouched,
}

impl<'t> ReferenceRewriter<'t> {
    pub fn new(
        targets: &'t HashMap<&'t str, &'t ReferenceTarget>,
        problems: &'t mut Problems,
    ) -> Self {
        Self {
            targets,
            problems,
            copying: Vec::new(),
        }
    }

    /// A resource: its `DependsOn` names, and references anywhere in its body.
    pub fn rewrite_resource(&mut self, resource: &mut Value, trail: &Trail<'_>) {
        // A resource has a handful of keys: compared, not hashed (as value::resource_member).
        let depends_on = resource.as_object_mut().and_then(|resource| {
            let (_, depends_on) = resource.iter_mut().find(|(key, _)| *key == "DependsOn")?;
            Some(depends_on)
        });
        if let Some(depends_on) = depends_on {
            match depends_on {
                Value::String(name) => self.rewrite_dependency(name),
                Value::Array(names) => {
                    for name in names.iter_mut().filter_map(|v| match v {
                        Value::String(name) => Some(name),
                        _ => None,
                    }) {
                        self.rewrite_dependency(name);
                    }
                }
                _ => {}
            }
        }
        self.rewrite(resource, trail);
    }

    fn rewrite_dependency(&self, name: &mut String) {
        if let Some(target) = self.targets.get(name.as_str()) {
            *name = target.ids.task_definition.clone();
        }
    }

    pub fn rewrite(&mut self, value: &mut Value, trail: &Trail<'_>) {
        match value {
            Value::Object(map) => {
                if map.len() == 1 {
                    match self.rewrite_intrinsic(map, trail) {
                        Rewritten::Replaced(replacement) => {
                            *value = replacement;
                            return;
                        }
                        Rewritten::Done => return,
                        Rewritten::Untouched => {}
                    }
                }
                for (key, child) in map
                    .iter_mut()
                    .filter(|(_, child)| may_hold_intrinsic(child))
                {
                    self.rewrite(child, &trail.key(key));
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    if may_hold_intrinsic(item) {
                        self.rewrite(item, &trail.index(index));
                    }
                }
            }
            _ => {}
        }
    }

    /// The value a one-key object becomes when it references a target.
    fn rewrite_intrinsic(&mut self, map: &mut Map<String, Value>, trail: &Trail<'_>) -> Rewritten {
        let Some((key, argument)) = map.iter_mut().next() else {
            return Rewritten::Untouched;
        };
        match (key.as_str(), argument) {
            ("Ref", Value::String(name)) => match self.targets.get(name.as_str()) {
                Some(target) => Rewritten::Replaced(json!({"Ref": target.ids.task_definition})),
                None => Rewritten::Untouched,
            },
            ("Fn::GetAtt", argument) => {
                let (name, attribute) = match argument {
                    Value::Array(parts) => match parts.as_slice() {
                        [Value::String(name), Value::String(attribute)] => {
                            (name.as_str(), Some(attribute.as_str()))
                        }
                        [Value::String(name), ..] => (name.as_str(), None),
                        _ => return Rewritten::Untouched,
                    },
                    Value::String(dotted) => match dotted.split_once('.') {
                        Some((name, attribute)) => (name, Some(attribute)),
                        None => (dotted.as_str(), None),
                    },
                    _ => return Rewritten::Untouched,
                };
                let Some(&target) = self.targets.get(name) else {
                    return Rewritten::Untouched;
                };
                let Some(attribute) = attribute else {
                    self.problems.push(
                        trail,
                        format!(
                            "{name} is a Buildkite task definition; Fn::GetAtt of it takes [{name}, Attribute] with the attribute written out ({})",
                            ATTRIBUTE_NAMES.join(", ")
                        ),
                    );
                    return Rewritten::Untouched;
                };
                match target.attribute(attribute) {
                    Some(mut replacement) => {
                        self.rewrite_copied(target, attribute, &mut replacement, trail);
                        Rewritten::Replaced(replacement)
                    }
                    None => {
                        self.problems
                            .push(trail, unknown_attribute(name, attribute));
                        Rewritten::Untouched
                    }
                }
            }
            ("Fn::Sub", argument) => match self.rewrite_sub(argument, trail) {
                SubRewritten::NotSub => Rewritten::Untouched,
                SubRewritten::Done => Rewritten::Done,
                SubRewritten::Plain(text) => Rewritten::Replaced(Value::String(text)),
            },
            _ => Rewritten::Untouched,
        }
    }

    /// Rewrites the references inside a target's value that stands in for one of its
    /// attributes (its family or task role, as the user wrote them).
    fn rewrite_copied(
        &mut self,
        target: &'t ReferenceTarget,
        attribute: &str,
        value: &mut Value,
        trail: &Trail<'_>,
    ) {
        if !matches!(attribute, "Family" | "TaskRoleArn" | "ExecutionRoleArn") {
            return;
        }
        let name = target.ids.logical_id();
        if self.copying.contains(&name) {
            self.problems.push(
                format!("Resources.{name}"),
                format!(
                    "its {attribute} refers back to {name}.{attribute}, so it would contain itself"
                ),
            );
            return;
        }
        self.copying.push(name);
        self.rewrite(value, trail);
        self.copying.pop();
    }

    /// `${X}` and `${X.Attribute}` inside a `Fn::Sub` string, unless a variable of the
    /// list form of that very name shadows it (a variable `X` does not shadow `${X.Attribute}`,
    /// as in CloudFormation); a value that is not a name becomes a new variable. A string left
    /// with no variable is plain text (a `Fn::Sub` of none is what cfn-lint's W1020 flags).
    fn rewrite_sub(&mut self, argument: &mut Value, trail: &Trail<'_>) -> SubRewritten {
        let (template, mut variables) = match argument {
            Value::String(template) => (template, None),
            Value::Array(parts) => match parts.as_mut_slice() {
                [Value::String(template), Value::Object(variables)] => (template, Some(variables)),
                _ => return SubRewritten::NotSub,
            },
            _ => return SubRewritten::NotSub,
        };
        if let Some(variables) = variables.as_deref_mut() {
            for (name, value) in variables.iter_mut() {
                self.rewrite(value, &trail.key(name));
            }
        }
        let shadowed = |name: &str| variables.as_ref().is_some_and(|v| v.contains_key(name));
        let names_a_target = |variable: &str| {
            let name = variable.split_once('.').map_or(variable, |(name, _)| name);
            self.targets.contains_key(name) && !shadowed(variable)
        };
        // Most strings name no target and are left as they are: read once, not listed.
        if !sub_parts(template)
            .any(|part| matches!(part, SubPart::Variable(variable) if names_a_target(variable)))
        {
            return SubRewritten::Done;
        }
        let mut rewritten = String::with_capacity(template.len());
        let mut new_variables = Map::new();
        let mut changed = false;
        for part in sub_parts(template) {
            let variable = match part {
                SubPart::Text(text) => {
                    rewritten.push_str(text);
                    continue;
                }
                SubPart::Variable(variable) => variable,
            };
            let (name, attribute) = match variable.split_once('.') {
                Some((name, attribute)) => (name, Some(attribute)),
                None => (variable, None),
            };
            let Some(&target) = self.targets.get(name).filter(|_| !shadowed(variable)) else {
                push_sub_variable(&mut rewritten, variable);
                continue;
            };
            changed = true;
            let replacement = match attribute {
                None => json!({"Ref": target.ids.task_definition}),
                Some(attribute) => match target.attribute(attribute) {
                    Some(mut replacement) => {
                        self.rewrite_copied(target, attribute, &mut replacement, trail);
                        replacement
                    }
                    None => {
                        self.problems
                            .push(trail, unknown_attribute(name, attribute));
                        rewritten.push_str(&format!("${{{variable}}}"));
                        continue;
                    }
                },
            };
            rewritten.push_str(&sub_text_for(
                replacement,
                &format!("{name}{}", attribute.unwrap_or("")),
                &mut new_variables,
                &shadowed,
            ));
        }
        if !changed {
            return SubRewritten::Done;
        }
        if variables.is_none()
            && new_variables.is_empty()
            && let Some(text) = sub_literal(&rewritten)
        {
            return SubRewritten::Plain(text.into_owned());
        }
        *template = rewritten;
        if !new_variables.is_empty() {
            match variables {
                Some(variables) => variables.extend(new_variables),
                None => *argument = json!([template.clone(), new_variables]),
            }
        }
        SubRewritten::Done
    }
}

/// What became of a `Fn::Sub`.
enum SubRewritten {
    /// Of neither form of `Fn::Sub`: left to walk as any value.
    NotSub,
    /// Rewritten in place (or nothing to rewrite).
    Done,
    /// No variable left: its text.
    Plain(String),
}

/// How a value is written inside a `Fn::Sub` string: a name for a `Ref` or
/// `Fn::GetAtt`, literal text for a string, else a new variable.
fn sub_text_for(
    value: Value,
    variable_name: &str,
    new_variables: &mut Map<String, Value>,
    shadowed: &dyn Fn(&str) -> bool,
) -> String {
    if let Some(name) = value.get("Ref").and_then(Value::as_str) {
        return format!("${{{name}}}");
    }
    if let Some([Value::String(name), Value::String(attribute)]) = value
        .get("Fn::GetAtt")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return format!("${{{name}.{attribute}}}");
    }
    if let Value::String(text) = &value {
        return text.replace("${", "${!");
    }
    let mut name = variable_name.to_owned();
    while shadowed(&name) || new_variables.contains_key(&name) {
        name.push('_');
    }
    new_variables.insert(name.clone(), value);
    format!("${{{name}}}")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> HashMap<String, ReferenceTarget> {
        HashMap::from([(
            "Ruby".to_owned(),
            ReferenceTarget {
                ids: GeneratedIds::new("Ruby", true),
                task_role_arn: Some(json!({"Fn::GetAtt": ["RubyTaskRole", "Arn"]})),
                execution_role_arn: Some(json!({"Fn::GetAtt": ["RubyExecutionRole", "Arn"]})),
                family: Some(json!({"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]})),
                meets_fn_if: false,
            },
        )])
    }

    fn by_name(targets: &HashMap<String, ReferenceTarget>) -> HashMap<&str, &ReferenceTarget> {
        targets
            .iter()
            .map(|(name, target)| (name.as_str(), target))
            .collect()
    }

    fn rewritten(mut value: Value) -> (Value, String) {
        let targets = targets();
        let targets = by_name(&targets);
        let mut problems = Problems::new();
        let mut rewriter = ReferenceRewriter::new(&targets, &mut problems);
        rewriter.rewrite_resource(
            &mut value,
            &crate::template::place::Trail::start("Resources.Y"),
        );
        (
            value,
            if problems.is_empty() {
                String::new()
            } else {
                problems.to_string()
            },
        )
    }

    #[test]
    fn refs_get_atts_and_depends_on_point_at_the_generated_resources() {
        let (value, problems) = rewritten(json!({
            "DependsOn": ["Ruby", "Other"],
            "Properties": {
                "A": {"Ref": "Ruby"},
                "B": {"Fn::GetAtt": ["Ruby", "TaskRoleArn"]},
                "C": {"Fn::GetAtt": "Ruby.LogGroupArn"},
                "D": [{"Fn::GetAtt": ["Ruby", "Family"]}, {"Ref": "Other"}],
                "E": {"Fn::If": ["Cond", {"Fn::GetAtt": ["Ruby", "ExecutionRoleArn"]}, {"Ref": "AWS::NoValue"}]}
            }
        }));
        assert_eq!(problems, "");
        assert_eq!(
            value,
            json!({
                "DependsOn": ["RubyTaskDefinition", "Other"],
                "Properties": {
                    "A": {"Ref": "RubyTaskDefinition"},
                    "B": {"Fn::GetAtt": ["RubyTaskRole", "Arn"]},
                    "C": {"Fn::GetAtt": ["RubyLogGroup", "Arn"]},
                    "D": [{"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]}, {"Ref": "Other"}],
                    "E": {"Fn::If": ["Cond", {"Fn::GetAtt": ["RubyExecutionRole", "Arn"]}, {"Ref": "AWS::NoValue"}]}
                }
            })
        );
    }

    #[test]
    fn sub_strings_are_rewritten_unless_shadowed() {
        let (value, problems) = rewritten(json!({
            "A": {"Fn::Sub": "${Ruby} ${Ruby.TaskRoleArn} ${Ruby.LogGroupName} ${!Ruby} ${Other}"},
            "B": {"Fn::Sub": ["${Ruby}", {"Ruby": "mine"}]},
            "C": {"Fn::Sub": "family ${Ruby.Family}"},
            "D": {"Fn::Sub": ["${Ruby} ${V}", {"V": {"Ref": "Ruby"}}]}
        }));
        assert_eq!(problems, "");
        assert_eq!(
            value,
            json!({
                "A": {"Fn::Sub": "${RubyTaskDefinition} ${RubyTaskRole.Arn} ${RubyLogGroup} ${!Ruby} ${Other}"},
                "B": {"Fn::Sub": ["${Ruby}", {"Ruby": "mine"}]},
                "C": {"Fn::Sub": ["family ${RubyFamily}", {"RubyFamily": {"Fn::Join": ["-", ["ruby", {"Ref": "Env"}]]}}]},
                "D": {"Fn::Sub": ["${RubyTaskDefinition} ${V}", {"V": {"Ref": "RubyTaskDefinition"}}]}
            })
        );
    }

    #[test]
    fn a_sub_left_with_no_variable_is_its_plain_text() {
        let targets = HashMap::from([(
            "Agent".to_owned(),
            ReferenceTarget {
                ids: GeneratedIds::new("Agent", true),
                task_role_arn: Some(json!({"Fn::GetAtt": ["AgentTaskRole", "Arn"]})),
                execution_role_arn: Some(json!({"Fn::GetAtt": ["AgentExecutionRole", "Arn"]})),
                family: Some(json!("buildkite-medium")),
                meets_fn_if: false,
            },
        )]);
        let mut problems = Problems::new();
        let mut value = json!({
            "A": {"Fn::Sub": "${Agent.Family}"},
            "B": {"Fn::Sub": "queue=${Agent.Family} ${!Literal}"},
            "C": {"Fn::Sub": "${Agent.Family}-${AWS::Region}"},
            "D": {"Fn::Sub": ["${Agent.Family}", {"Unused": "x"}]},
            "E": {"Fn::Sub": "untouched"}
        });
        ReferenceRewriter::new(&by_name(&targets), &mut problems)
            .rewrite(&mut value, &crate::template::place::Trail::start("Outputs"));
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(
            value,
            json!({
                "A": "buildkite-medium",
                "B": "queue=buildkite-medium ${Literal}",
                "C": {"Fn::Sub": "buildkite-medium-${AWS::Region}"},
                "D": {"Fn::Sub": ["buildkite-medium", {"Unused": "x"}]},
                "E": {"Fn::Sub": "untouched"}
            })
        );
    }

    #[test]
    fn a_sub_variable_shadows_only_its_very_name() {
        // As in CloudFormation: a variable `Ruby` does not make `${Ruby.Family}` local.
        let (value, problems) = rewritten(json!({
            "A": {"Fn::Sub": ["${Ruby.TaskDefinitionArn} ${Ruby}", {"Ruby": "mine"}]}
        }));
        assert_eq!(problems, "");
        assert_eq!(
            value,
            json!({"A": {"Fn::Sub": ["${RubyTaskDefinition} ${Ruby}", {"Ruby": "mine"}]}})
        );
    }

    #[test]
    fn an_unknown_attribute_is_a_problem_at_its_place() {
        let (_, problems) = rewritten(
            json!({"Properties": {"A": {"Fn::GetAtt": ["Ruby", "Arn"]}, "B": {"Fn::Sub": "${Ruby.Familly}"}}}),
        );
        assert!(problems.contains("Resources.Y.Properties.A: Ruby is a Buildkite task definition, which has no attribute Arn"), "{problems}");
        assert!(problems.contains("Resources.Y.Properties.B: Ruby is a Buildkite task definition, which has no attribute Familly; did you mean Family?"), "{problems}");
    }
}
