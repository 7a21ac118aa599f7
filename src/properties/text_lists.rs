//! Lists of strings (`AgentTags`, `EnvironmentFiles`, `TaskRoleManagedPolicyArns`, a service's
//! `Command`, ...), read one way whether written as a list or as one function CloudFormation
//! computes into a list (a `CommaDelimitedList` or `List<...>` parameter's `Ref`, a `Fn::Split`,
//! a `Fn::FindInMap`, a decided `Fn::If`): each item goes through the list's own checks and
//! grants, written as the literal it is or as `Fn::Select` of the function, never as a
//! parameter's value.

use serde_json::{Value, json};

use super::reader::{PropertyInput, PropertyReader, Sourced};
use crate::template::evaluate::{Evaluated, describe_computed};
use crate::template::value::{intrinsic_name, ref_target};

/// What one function stands for where a list of strings is read.
pub(crate) enum ComputedList {
    /// Its items, counted here: each the literal it is, or `Fn::Select` of the function.
    Items(Vec<Value>),
    /// A list whose items only a deploy gives (a parameter without a value, a `Fn::Split` of
    /// text with holes, an undecided `Fn::If`): why, for a message, by place.
    Uncounted(String),
    /// One string, not a list: CloudFormation refuses it where a list goes.
    Text,
}

impl PropertyReader<'_, '_, '_> {
    /// The items of a list of strings, each read by `read_item`: a list's entries, or the
    /// items of the one function it is written as. A function whose items cannot be counted
    /// here is refused by place, saying how to give it a value.
    pub(crate) fn text_list<T>(
        &mut self,
        input: Option<&PropertyInput<'_>>,
        mut read_item: impl FnMut(&mut Self, &Sourced<'_>) -> Option<T>,
    ) -> Vec<T> {
        let Some(PropertyInput::Single(sourced)) = input else {
            return self.list(input, read_item);
        };
        if intrinsic_name(sourced.value).is_none() {
            return self.list(input, read_item);
        }
        match self.computed_list(sourced.value) {
            ComputedList::Items(items) => items
                .iter()
                .enumerate()
                .filter_map(|(index, value)| {
                    let item = Sourced {
                        value,
                        place: sourced.place.index(index),
                    };
                    read_item(self, &item)
                })
                .collect(),
            ComputedList::Uncounted(why) => {
                self.problems.push(sourced.place, why);
                Vec::new()
            }
            ComputedList::Text => {
                self.problems.push(
                    sourced.place,
                    format!(
                        "must be a list, and {} is one string (write the list, with a function in each entry)",
                        describe_computed(sourced.value)
                    ),
                );
                Vec::new()
            }
        }
    }

    /// What `function`, where a list of strings goes, evaluates to.
    pub(crate) fn computed_list(&self, function: &Value) -> ComputedList {
        let items = match self.scope.evaluate(function) {
            Evaluated::Known(Value::Array(items)) => {
                items.into_iter().map(Evaluated::Known).collect()
            }
            Evaluated::List(items) => items,
            Evaluated::NoValue => Vec::new(),
            Evaluated::Known(_) | Evaluated::Text(_) => return ComputedList::Text,
            Evaluated::Leading(_) | Evaluated::Unknown => {
                return ComputedList::Uncounted(self.uncounted(function));
            }
        };
        let written = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                // Written in the template (a mapping's, a literal's split): no parameter's value.
                Evaluated::Known(value) => value,
                _ => json!({"Fn::Select": [index, function]}),
            })
            .collect();
        ComputedList::Items(written)
    }

    /// Why a list function's items cannot be read here, and what to write instead.
    fn uncounted(&self, function: &Value) -> String {
        let described = describe_computed(function);
        match self.parameter_without_value(function) {
            Some(name) => {
                let which = match ref_target(function) {
                    Some(_) => "it".to_owned(),
                    None => format!("parameter {name}"),
                };
                format!(
                    "{described} is a list whose items the macro checks, and {which} has no value here: {}",
                    self.scope.how_to_give_value(name)
                )
            }
            None => format!(
                "{described} is a list whose items only a deploy gives, and the macro checks each item: write the list, with a function in each entry"
            ),
        }
    }

    /// The first template parameter `value` refers to that has no value here.
    fn parameter_without_value<'v>(&self, value: &'v Value) -> Option<&'v str> {
        if let Some(name) = ref_target(value)
            && self.scope.is_parameter(name)
            && self.scope.parameter_value(name).is_none()
        {
            return Some(name);
        }
        match value {
            Value::Array(items) => items
                .iter()
                .find_map(|item| self.parameter_without_value(item)),
            Value::Object(members) => members
                .values()
                .find_map(|member| self.parameter_without_value(member)),
            _ => None,
        }
    }
}
