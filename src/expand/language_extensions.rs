//! `AWS::LanguageExtensions` listed before the macro, applied by `expand` as CloudFormation
//! applies it before calling the macro: `Fn::ForEach` in `Conditions`, `Resources` (properties
//! included) and `Outputs`, `Fn::Length`, `Fn::ToJsonString`, `Fn::FindInMap` with a
//! `DefaultValue` or a loop's identifier, and a function in `DeletionPolicy` or
//! `UpdateReplacePolicy`. It follows cfn-lint 1.58's implementation
//! (`cfnlint/template/transforms/_language_extensions.py`): an identifier is replaced in keys
//! (`${Id}`, and `&{Id}` with the value's non-alphanumeric characters dropped), in `Fn::Sub`
//! strings and as `Ref: Id`. What `expand` cannot compute (a collection, a length or a JSON
//! string of values only a deploy knows) is refused by place, saying how to see it.

use serde_json::{Map, Value};

use crate::template::problems::Problems;
use crate::template::scope::TemplateScope;
use crate::template::value::{intrinsic_name, is_intrinsic};

/// The name of the transform in a template's `Transform`.
pub const LANGUAGE_EXTENSIONS: &str = "AWS::LanguageExtensions";

/// The sections `Fn::ForEach` may be used in, as AWS documents it.
const FOR_EACH_SECTIONS: [&str; 3] = ["Conditions", "Resources", "Outputs"];

/// How deep a template is walked: far deeper than any template nests.
const MAX_DEPTH: usize = 64;

const HOW_TO_SEE: &str = "make a change set and read what CloudFormation made of it (aws cloudformation get-template --change-set-name NAME --template-stage Processed)";

/// Applies `AWS::LanguageExtensions` to `root`, whose `Transform` lists it before this macro.
pub fn apply_language_extensions(
    root: &mut Map<String, Value>,
    scope: &TemplateScope<'_>,
    problems: &mut Problems,
) {
    let mappings = root.get("Mappings").and_then(Value::as_object).cloned();
    let extensions = Extensions {
        scope,
        mappings: mappings.as_ref(),
        copies: std::cell::Cell::new(0),
    };
    for section in FOR_EACH_SECTIONS {
        if let Some(value) = root.get(section) {
            let walked = extensions.walk(value, &[], section, 0, problems);
            root.insert(section.to_owned(), walked);
        }
    }
    if let Some(Value::Object(resources)) = root.get_mut("Resources") {
        for (logical_id, resource) in resources.iter_mut() {
            for attribute in ["DeletionPolicy", "UpdateReplacePolicy"] {
                let Some(policy) = resource.get_mut(attribute) else {
                    continue;
                };
                if is_intrinsic(policy) {
                    let path = format!("Resources.{logical_id}.{attribute}");
                    if let Some(value) = extensions.policy(policy, &path, problems) {
                        *policy = value;
                    }
                }
            }
        }
    }
}

struct Extensions<'s> {
    scope: &'s TemplateScope<'s>,
    mappings: Option<&'s Map<String, Value>>,
    /// The fragment copies made so far, against [`MAX_COPIES`].
    copies: std::cell::Cell<usize>,
}

/// How many fragment copies `Fn::ForEach` may make in one template: nested loops multiply, and
/// far fewer than this already pass CloudFormation's 500 resources and 1 MB of template.
const MAX_COPIES: usize = 10_000;

/// The identifiers of the loops a value is in, with their values for this copy.
type Identifiers = [(String, String)];

impl Extensions<'_> {
    fn walk(
        &self,
        value: &Value,
        identifiers: &Identifiers,
        path: &str,
        depth: usize,
        problems: &mut Problems,
    ) -> Value {
        if depth > MAX_DEPTH {
            return value.clone();
        }
        match value {
            Value::Object(object)
                if is_intrinsic(value)
                    && !object.keys().any(|key| key.starts_with("Fn::ForEach::")) =>
            {
                self.walk_function(object, identifiers, path, depth, problems)
            }
            Value::Object(object) => {
                let mut walked = Map::with_capacity(object.len());
                for (key, child) in object {
                    if key.starts_with("Fn::ForEach::") {
                        let at = format!("{path}.{key}");
                        self.expand_for_each(child, identifiers, &at, depth, &mut walked, problems);
                        continue;
                    }
                    let key = replace_identifiers(key, identifiers);
                    let at = format!("{path}.{key}");
                    let child = self.walk(child, identifiers, &at, depth + 1, problems);
                    if walked.insert(key.clone(), child).is_some() {
                        problems.push(at, "is made twice once AWS::LanguageExtensions has replaced the Fn::ForEach identifiers in it");
                    }
                }
                Value::Object(walked)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let at = format!("{path}[{index}]");
                        self.walk(item, identifiers, &at, depth + 1, problems)
                    })
                    .collect(),
            ),
            _ => value.clone(),
        }
    }

    /// A one-key object whose key is a function.
    fn walk_function(
        &self,
        object: &Map<String, Value>,
        identifiers: &Identifiers,
        path: &str,
        depth: usize,
        problems: &mut Problems,
    ) -> Value {
        let Some((name, argument)) = object.iter().next() else {
            return Value::Object(object.clone());
        };
        let at = format!("{path}.{name}");
        let walk = |value: &Value, problems: &mut Problems| {
            self.walk(value, identifiers, &at, depth + 1, problems)
        };
        let rebuilt = |argument: Value| Value::Object(Map::from_iter([(name.clone(), argument)]));
        match name.as_str() {
            "Ref" => {
                let target = match argument {
                    Value::Object(_) => walk(argument, problems),
                    _ => argument.clone(),
                };
                match target
                    .as_str()
                    .and_then(|name| identifier_value(identifiers, name))
                {
                    Some(value) => Value::String(value.to_owned()),
                    None => rebuilt(target),
                }
            }
            "Fn::Sub" if !identifiers.is_empty() => match argument {
                Value::String(template) => sub_of(replace_identifiers(template, identifiers), None),
                Value::Array(parts) => match parts.as_slice() {
                    [Value::String(template), variables] => sub_of(
                        replace_identifiers(template, identifiers),
                        Some(walk(variables, problems)),
                    ),
                    _ => rebuilt(walk(argument, problems)),
                },
                _ => rebuilt(walk(argument, problems)),
            },
            "Fn::FindInMap" => {
                let walked = walk(argument, problems);
                let with_default = walked.as_array().is_some_and(|keys| keys.len() == 4);
                if (!identifiers.is_empty() || with_default)
                    && let Some(found) = self.find_in_map(&walked)
                {
                    return found;
                }
                rebuilt(walked)
            }
            "Fn::If" => match argument.as_array().map(Vec::as_slice) {
                // The condition's name is not an identifier's place: CloudFormation keeps it.
                Some([condition, when_true, when_false]) => rebuilt(Value::Array(vec![
                    condition.clone(),
                    walk(when_true, problems),
                    walk(when_false, problems),
                ])),
                _ => rebuilt(walk(argument, problems)),
            },
            "Fn::Length" => {
                let walked = walk(argument, problems);
                match self.list_of(&walked) {
                    Some(items) => Value::from(items.len()),
                    None => {
                        problems.push(at, format!("is the length of a list expand cannot see (Fn::Length takes a list, or a Ref to a list parameter with a value here); write the list out, give the parameter a value (expand --parameter NAME=...), or {HOW_TO_SEE}"));
                        rebuilt(walked)
                    }
                }
            }
            "Fn::ToJsonString" => {
                let walked = self.with_known_refs(walk(argument, problems), 0);
                if holds_intrinsic(&walked, 0) {
                    problems.push(at, format!("holds a function whose value only a deploy knows, so expand cannot write the JSON string AWS::LanguageExtensions makes of it; {HOW_TO_SEE}"));
                    return rebuilt(walked);
                }
                match serde_json::to_string(&walked) {
                    Ok(text) => Value::String(text),
                    Err(_) => rebuilt(walked),
                }
            }
            _ => rebuilt(walk(argument, problems)),
        }
    }

    /// `value` with each `Ref` to a parameter or pseudo parameter whose value is known here
    /// replaced by that value, as `Fn::ToJsonString` writes it.
    fn with_known_refs(&self, value: Value, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return value;
        }
        if let Some(name) = crate::template::value::ref_target(&value) {
            let context = self.scope.context;
            let known = match name {
                "AWS::Region" => Some(Value::String(context.region.clone())),
                "AWS::AccountId" => Some(Value::String(context.account_id.clone())),
                "AWS::Partition" => Some(Value::String(context.partition().to_owned())),
                "AWS::URLSuffix" => Some(Value::String(context.url_suffix().to_owned())),
                _ => self.scope.parameter_value(name),
            };
            return known.unwrap_or(value);
        }
        match value {
            Value::Object(object) => Value::Object(
                object
                    .into_iter()
                    .map(|(key, child)| (key, self.with_known_refs(child, depth + 1)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.with_known_refs(item, depth + 1))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Each copy of a `Fn::ForEach` fragment, merged into `into`.
    fn expand_for_each(
        &self,
        for_each: &Value,
        identifiers: &Identifiers,
        path: &str,
        depth: usize,
        into: &mut Map<String, Value>,
        problems: &mut Problems,
    ) {
        let Some(
            [
                Value::String(identifier),
                collection,
                Value::Object(fragment),
            ],
        ) = for_each.as_array().map(Vec::as_slice)
        else {
            problems.push(
                path,
                "takes [Identifier, Collection, {OutputKey: OutputValue}]",
            );
            return;
        };
        let collection = self.walk(collection, identifiers, path, depth + 1, problems);
        let Some(values) = self.collection_of(&collection) else {
            problems.push(
                format!("{path}[1]"),
                format!("is a collection expand cannot see (a list of strings, or a Ref to a CommaDelimitedList or List parameter with a value here); write it out, give the parameter a value (expand --parameter NAME=...), or {HOW_TO_SEE}"),
            );
            return;
        };
        for value in values {
            if self.copies.get() >= MAX_COPIES {
                problems.push(
                    path,
                    format!("makes more than {MAX_COPIES} copies with the loops it is in, far past the 500 resources and 1 MB a template may hold: loop over fewer values"),
                );
                return;
            }
            self.copies.set(self.copies.get() + 1);
            let mut inner = identifiers.to_vec();
            inner.retain(|(name, _)| name != identifier);
            inner.push((identifier.clone(), value));
            let fragment = Value::Object(fragment.clone());
            let Value::Object(copy) = self.walk(&fragment, &inner, path, depth + 1, problems)
            else {
                continue;
            };
            for (key, child) in copy {
                let at = format!("{path}[2].{key}");
                if into.insert(key, child).is_some() {
                    problems.push(at, "is made twice by Fn::ForEach: its OutputKey must hold ${Identifier} or &{Identifier}, and the collection's values must differ");
                }
            }
        }
    }

    /// The strings of a collection, where expand can see them.
    fn collection_of(&self, collection: &Value) -> Option<Vec<String>> {
        self.list_of(collection)?
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Some(text),
                Value::Number(number) => Some(number.to_string()),
                Value::Bool(flag) => Some(flag.to_string()),
                _ => None,
            })
            .collect()
    }

    /// A literal list (its entries resolved as far as they can be), or a list parameter's value.
    fn list_of(&self, value: &Value) -> Option<Vec<Value>> {
        match value {
            Value::Array(items) => items
                .iter()
                .map(|item| match crate::template::value::ref_target(item) {
                    Some(name) => self.scope.parameter_value(name).filter(Value::is_string),
                    None if is_intrinsic(item) => None,
                    None => Some(item.clone()),
                })
                .collect(),
            _ => match self
                .scope
                .parameter_value(crate::template::value::ref_target(value)?)?
            {
                Value::Array(items) => Some(items),
                // A CommaDelimitedList's members are space trimmed, as CloudFormation does.
                Value::String(text) => Some(
                    text.split(',')
                        .map(|member| Value::String(member.trim().to_owned()))
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// A `Fn::FindInMap` whose keys are known, or its `DefaultValue`.
    fn find_in_map(&self, arguments: &Value) -> Option<Value> {
        let arguments = arguments.as_array()?;
        let key = |index: usize| -> Option<String> {
            match &arguments[index] {
                Value::String(text) => Some(text.clone()),
                written => match self
                    .scope
                    .parameter_value(crate::template::value::ref_target(written)?)?
                {
                    Value::String(text) => Some(text),
                    _ => None,
                },
            }
        };
        if !(3..=4).contains(&arguments.len()) {
            return None;
        }
        let found = (|| {
            let (map, top, second) = (key(0)?, key(1)?, key(2)?);
            self.mappings?.get(&map)?.get(&top)?.get(&second).cloned()
        })();
        match found {
            Some(value) => Some(value),
            None => arguments.get(3)?.get("DefaultValue").cloned(),
        }
    }

    /// A `DeletionPolicy` or `UpdateReplacePolicy` function's value.
    fn policy(&self, written: &Value, path: &str, problems: &mut Problems) -> Option<Value> {
        let value = match intrinsic_name(written) {
            Some("Ref") => {
                let name = crate::template::value::ref_target(written)?;
                match self.scope.parameter_value(name) {
                    Some(value @ Value::String(_)) => Some(value),
                    _ => {
                        problems.push(path, format!("is parameter {name}, which has no value here, so expand cannot tell the policy AWS::LanguageExtensions writes; {}", self.scope.how_to_give_value(name)));
                        return None;
                    }
                }
            }
            Some("Fn::FindInMap") => self.find_in_map(written.get("Fn::FindInMap")?),
            _ => None,
        };
        if value.is_none() {
            problems.push(path, format!("is a function expand cannot compute (it takes a Ref to a parameter, or a Fn::FindInMap of known keys); write the policy, or {HOW_TO_SEE}"));
        }
        value
    }
}

/// The value of loop identifier `name`, where `name` is one.
fn identifier_value<'i>(identifiers: &'i Identifiers, name: &str) -> Option<&'i str> {
    identifiers
        .iter()
        .rev()
        .find(|(identifier, _)| identifier == name)
        .map(|(_, value)| value.as_str())
}

/// `text` with `${Id}` replaced by each identifier's value and `&{Id}` by that value's letters
/// and digits.
fn replace_identifiers(text: &str, identifiers: &Identifiers) -> String {
    if identifiers.is_empty() || !(text.contains("${") || text.contains("&{")) {
        return text.to_owned();
    }
    let mut replaced = text.to_owned();
    for (identifier, value) in identifiers {
        replaced = replaced.replace(&format!("${{{identifier}}}"), value);
        let alphanumeric: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
        replaced = replaced.replace(&format!("&{{{identifier}}}"), &alphanumeric);
    }
    replaced
}

/// A `Fn::Sub` whose identifiers were replaced: its text where nothing is left for `Fn::Sub`
/// to do (as cfn-lint; one with a `${!` escape stays a `Fn::Sub`, which undoes it).
fn sub_of(template: String, variables: Option<Value>) -> Value {
    let nothing_left = crate::template::sub::sub_literal(&template).is_some()
        && !template.contains("${!")
        && !template.contains("&{");
    if nothing_left {
        return Value::String(template);
    }
    let argument = match variables {
        Some(variables) => Value::Array(vec![Value::String(template), variables]),
        None => Value::String(template),
    };
    Value::Object(Map::from_iter([("Fn::Sub".to_owned(), argument)]))
}

fn holds_intrinsic(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    match value {
        Value::Object(object) => {
            is_intrinsic(value)
                || object
                    .values()
                    .any(|child| holds_intrinsic(child, depth + 1))
        }
        Value::Array(items) => items.iter().any(|item| holds_intrinsic(item, depth + 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
