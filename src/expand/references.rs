//! Rewriting references to a Buildkite resource `X` so they point at what it became.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::expand::function_named_ids::{
    composed_sub_variables, function_could_name, placeholder_could_name,
};
pub use crate::expand::reference_messages::ATTRIBUTE_NAMES;
use crate::expand::reference_messages::{
    MissingAttribute, became, how_to_name, missing_attribute, path_taken_for_role_name,
};
use crate::expand::role_names::name_taken_after_role;
use crate::generate::GeneratedIds;
use crate::properties::declarations::default_family;
use crate::template::place::Trail;
use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;
use crate::template::sub::{SubPart, push_sub_variable, sub_literal, sub_parts};
use crate::template::value::may_hold_intrinsic;

/// A role's name, for `TaskRoleName` and `ExecutionRoleName`: `Ok(None)` for the generated
/// role's (`Ref`, built when a reference asks for it), `Ok(Some)` for a given role whose ARN
/// shows its name, `Err` where no name can be read from the ARN given.
pub type RoleName = Result<Option<Value>, UnreadableRoleName>;

/// The role's ARN was given in a form that does not show its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadableRoleName;

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
    /// The name of the task role, and of the execution role.
    pub task_role_name: RoleName,
    pub execution_role_name: RoleName,
    /// The `TaskFamily` given; `None` for the default one (built when a reference asks for it).
    pub family: Option<Value>,
    /// Whether its properties, or the globals it takes, hold an `Fn::If`.
    pub meets_fn_if: bool,
}

impl ReferenceTarget {
    fn attribute(&self, name: &str) -> Result<Value, MissingAttribute> {
        let missing = MissingAttribute::Unknown;
        Ok(match name {
            "TaskDefinitionArn" => json!({"Ref": self.ids.task_definition}),
            "Family" => match &self.family {
                Some(family) => family.clone(),
                None => Value::String(default_family(self.ids.logical_id())),
            },
            "ExecutionRoleArn" => {
                role_arn(&self.execution_role_arn, &self.ids.execution_role).ok_or(missing)?
            }
            "TaskRoleArn" => role_arn(&self.task_role_arn, &self.ids.task_role).ok_or(missing)?,
            "ExecutionRoleName" => role_name(
                &self.execution_role_name,
                &self.ids.execution_role,
                "ExecutionRoleArn",
            )?,
            "TaskRoleName" => role_name(&self.task_role_name, &self.ids.task_role, "TaskRoleArn")?,
            "LogGroupName" => json!({"Ref": self.ids.log_group}),
            "LogGroupArn" => crate::template::arn::get_att_arn(&self.ids.log_group),
            "RunPolicyArn" => json!({"Ref": self.ids.run_policy.as_ref().ok_or(missing)?}),
            _ => return Err(missing),
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

/// The name of the user's role where its ARN shows it, else the generated role's `Ref`.
fn role_name(
    given: &RoleName,
    generated_id: &Option<String>,
    property: &'static str,
) -> Result<Value, MissingAttribute> {
    match given {
        Ok(Some(name)) => Ok(name.clone()),
        Ok(None) => match generated_id {
            Some(id) => Ok(json!({"Ref": id})),
            None => Err(MissingAttribute::UnreadableRoleName { property }),
        },
        Err(UnreadableRoleName) => Err(MissingAttribute::UnreadableRoleName { property }),
    }
}

/// Rewrites every reference under `value` (found at `path`) to a resource of `targets`.
pub struct ReferenceRewriter<'t> {
    targets: &'t HashMap<&'t str, &'t ReferenceTarget>,
    /// Their logical IDs, in order, for the names a function could stand for.
    target_ids: Vec<&'t str>,
    /// The template's parameters, for an attribute a parameter names.
    scope: Option<&'t TemplateScope<'t>>,
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
        let mut target_ids: Vec<&str> = targets.keys().copied().collect();
        target_ids.sort_unstable();
        Self {
            targets,
            target_ids,
            scope: None,
            problems,
            copying: Vec::new(),
        }
    }

    /// Reads the parameters of `scope` where a parameter names an attribute.
    pub fn with_scope(mut self, scope: &'t TemplateScope<'t>) -> Self {
        self.scope = Some(scope);
        self
    }

    /// An entry of `Resources`: a resource, or a `Fn::ForEach` (for `AWS::LanguageExtensions`
    /// listed after the macro) whose fragment's entries are resources in turn.
    pub fn rewrite_resources_entry(&mut self, key: &str, entry: &mut Value, trail: &Trail<'_>) {
        if !key.starts_with("Fn::ForEach::") {
            return self.rewrite_resource(entry, trail);
        }
        let Some([_, collection, Value::Object(fragment)]) =
            entry.as_array_mut().map(Vec::as_mut_slice)
        else {
            return self.rewrite(entry, trail);
        };
        self.rewrite(collection, &trail.index(1));
        let fragment_trail = trail.index(2);
        for (key, entry) in fragment.iter_mut() {
            self.rewrite_resources_entry(key, entry, &fragment_trail.key(key));
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
            let trail = trail.key("DependsOn");
            match depends_on {
                Value::Array(names) => {
                    for (index, name) in names.iter_mut().enumerate() {
                        self.rewrite_dependency(name, &trail.index(index));
                    }
                }
                name => self.rewrite_dependency(name, &trail),
            }
        }
        self.rewrite(resource, trail);
    }

    fn rewrite_dependency(&mut self, name: &mut Value, trail: &Trail<'_>) {
        match name {
            Value::String(name) => match self.targets.get(name.as_str()) {
                Some(target) => *name = target.ids.task_definition.clone(),
                None => self.refuse_placeholder_name(name, "DependsOn", trail),
            },
            Value::Object(_) => self.refuse_function_name(name, "DependsOn", trail),
            _ => {}
        }
    }

    /// A logical ID written as a function, which only `AWS::LanguageExtensions` after the
    /// macro resolves: refused where it could name a target, which is gone by then.
    fn refuse_function_name(&mut self, written: &Value, written_in: &str, trail: &Trail<'_>) {
        let Some(id) = function_could_name(written, &self.target_ids, self.scope) else {
            return;
        };
        let function = crate::template::value::intrinsic_name(written).unwrap_or("a function");
        self.problems.push(
            trail,
            format!("{written_in} names a logical ID with {function}, which AWS::LanguageExtensions resolves only after this macro has run; it could name {id}, a Buildkite resource that is gone by then ({}), so nothing would rewrite it: {}", became(id), how_to_name(id, written_in)),
        );
    }

    /// A logical ID holding `Fn::ForEach` identifiers (`${Queue}Agent`), refused where it could
    /// name a target, as [`Self::refuse_function_name`].
    fn refuse_placeholder_name(&mut self, name: &str, written_in: &str, trail: &Trail<'_>) {
        let Some(id) = placeholder_could_name(name, &self.target_ids) else {
            return;
        };
        let language_extensions_after = self
            .scope
            .and_then(|scope| scope.context.language_extensions_after);
        let message = if language_extensions_after == Some(false) {
            // expand has run AWS::LanguageExtensions listed first (or it is not listed): it
            // fills identifiers in keys, Fn::Sub strings and Ref, as cfn-lint's does, not here.
            format!(
                "{written_in} names {name}, which holds a Fn::ForEach identifier that AWS::LanguageExtensions does not fill in here (it replaces identifiers in keys, Fn::Sub strings and Ref: Identifier, not in a plain name), so it names no resource ({id} was probably meant): compute the name with Fn::Sub (!GetAtt [!Sub \"{name}\", Family]), or write the logical ID out"
            )
        } else {
            format!(
                "{written_in} names {name}, whose Fn::ForEach identifier AWS::LanguageExtensions fills in only after this macro has run; it could be {id}, a Buildkite resource that is gone by then ({}), so nothing would rewrite it: {}",
                became(id),
                how_to_name(id, written_in)
            )
        };
        self.problems.push(trail, message);
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
                None => {
                    self.refuse_placeholder_name(name, "Ref", trail);
                    Rewritten::Untouched
                }
            },
            ("Ref", written @ Value::Object(_)) => {
                self.refuse_function_name(written, "Ref", trail);
                Rewritten::Untouched
            }
            ("Fn::GetAtt", argument) => {
                let named_attribute;
                let (name, attribute) = match argument {
                    Value::Array(parts) => match parts.as_slice() {
                        [Value::String(name), Value::String(attribute)] => {
                            (name.as_str(), Some(attribute.as_str()))
                        }
                        [Value::String(name), attribute @ Value::Object(_)]
                            if self.targets.contains_key(name.as_str()) =>
                        {
                            match self.attribute_named_by(name, attribute, trail) {
                                Some(attribute) => named_attribute = attribute,
                                None => return Rewritten::Untouched,
                            }
                            (name.as_str(), Some(named_attribute.as_str()))
                        }
                        [Value::String(name), ..] => (name.as_str(), None),
                        [written @ Value::Object(_), ..] => {
                            self.refuse_function_name(written, "Fn::GetAtt", trail);
                            return Rewritten::Untouched;
                        }
                        _ => return Rewritten::Untouched,
                    },
                    Value::String(dotted) => match dotted.split_once('.') {
                        Some((name, attribute)) => (name, Some(attribute)),
                        None => (dotted.as_str(), None),
                    },
                    _ => return Rewritten::Untouched,
                };
                let Some(&target) = self.targets.get(name) else {
                    self.refuse_placeholder_name(name, "Fn::GetAtt", trail);
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
                    Ok(mut replacement) => {
                        self.rewrite_copied(target, attribute, &mut replacement, trail);
                        Rewritten::Replaced(replacement)
                    }
                    Err(missing) => {
                        let message = missing_attribute(name, attribute, &missing);
                        self.problems.push(trail, message);
                        Rewritten::Untouched
                    }
                }
            }
            ("Fn::Select", argument) => {
                let generates = |name: &str, attribute: &str| {
                    self.targets
                        .get(name)
                        .is_some_and(|target| match attribute {
                            "TaskRoleArn" => target.task_role_arn.is_none(),
                            "ExecutionRoleArn" => target.execution_role_arn.is_none(),
                            _ => false,
                        })
                };
                if let Some((name, attribute)) = name_taken_after_role(argument, &generates) {
                    let message = path_taken_for_role_name(name, attribute);
                    self.problems.push(trail, message);
                }
                Rewritten::Untouched
            }
            ("Fn::Sub", argument) => match self.rewrite_sub(argument, trail) {
                SubRewritten::NotSub => Rewritten::Untouched,
                SubRewritten::Done => Rewritten::Done,
                SubRewritten::Plain(text) => Rewritten::Replaced(Value::String(text)),
            },
            _ => Rewritten::Untouched,
        }
    }

    /// The attribute that `written`, the second element of a `Fn::GetAtt` of target `name`,
    /// names: a `Ref` to a parameter with a known value, as CloudFormation allows. Its value
    /// is never shown: a message names the parameter.
    fn attribute_named_by(
        &mut self,
        name: &str,
        written: &Value,
        trail: &Trail<'_>,
    ) -> Option<String> {
        let write_out = format!("write the attribute out (!GetAtt {name}.Family)");
        let Some(parameter) = crate::template::value::ref_target(written) else {
            let function = crate::template::value::intrinsic_name(written).unwrap_or("a value");
            self.problems.push(
                trail,
                format!("names {name}'s attribute with {function}, which the macro cannot read before the deploy; {write_out}, or name it with a Ref to a template parameter"),
            );
            return None;
        };
        let scope = self.scope.filter(|scope| scope.is_parameter(parameter));
        let Some(scope) = scope else {
            self.problems.push(
                trail,
                format!("names {name}'s attribute with a Ref to {parameter}, which is not a parameter of the template; {write_out}, or Ref a template parameter"),
            );
            return None;
        };
        match scope.parameter_value(parameter) {
            Some(Value::String(attribute))
                if ATTRIBUTE_NAMES.contains(&attribute.as_str()) || attribute == "RunPolicyArn" =>
            {
                Some(attribute)
            }
            Some(_) => {
                self.problems.push(
                    trail,
                    format!("names {name}'s attribute with parameter {parameter}, whose value is none of {name}'s attributes ({}); give it one of them", ATTRIBUTE_NAMES.join(", ")),
                );
                None
            }
            None => {
                self.problems.push(
                    trail,
                    format!("names {name}'s attribute with parameter {parameter}, which has no value here, so the macro cannot tell what to rewrite it to; {}, or {write_out}", scope.how_to_give_value(parameter)),
                );
                None
            }
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
        // Most strings name no target and are left as they are: read once, not listed. A
        // variable made of a Fn::ForEach identifier (`${${Queue}Agent.Family}`) reads as a
        // name holding a brace; looked for in whole only where one is seen, or the pass stopped.
        let mut composed = false;
        let names_target = sub_parts(template).any(|part| match part {
            SubPart::Variable(variable) => {
                composed |= variable.contains('{');
                names_a_target(variable)
            }
            SubPart::Text(_) => false,
        });
        if composed || names_target {
            for composed in composed_sub_variables(template) {
                self.refuse_placeholder_name(composed, "Fn::Sub", trail);
            }
        }
        if !names_target {
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
                    Ok(mut replacement) => {
                        self.rewrite_copied(target, attribute, &mut replacement, trail);
                        replacement
                    }
                    Err(missing) => {
                        let message = missing_attribute(name, attribute, &missing);
                        self.problems.push(trail, message);
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

#[cfg(test)]
mod tests;
