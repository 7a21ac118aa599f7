//! The reader's primitives: a property by its declaration, strings, numbers, booleans,
//! names, lists and the fields of their entries.

use serde_json::{Map, Value, json};

use super::reader::{PropertyInput, PropertyReader, Sourced, UsedNames, declared};
use crate::properties::declarations::{EntryShape, PropertyDefault, Shape, TextCheck};
use crate::template::evaluate::describe_computed;
use crate::template::place::Place;
use crate::template::problems::unknown_name_message;
use crate::template::scope::Resolved;
use crate::template::value::small_object_member;

/// A check of a string's text: `Err` says why it is refused.
type StringCheck<'c> = dyn Fn(&str) -> Result<(), String> + 'c;

impl<'i> PropertyReader<'_, '_, 'i> {
    pub(crate) fn input(&self, name: &str) -> Option<&'i PropertyInput<'i>> {
        self.inputs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, input)| input)
    }

    /// The value given for a property, or the `Ref` to the first release's parameter it
    /// defaults to.
    pub(crate) fn sourced(&self, name: &str) -> Option<Sourced<'i>> {
        match self.input(name) {
            Some(PropertyInput::Single(sourced)) => Some(*sourced),
            Some(PropertyInput::Entries { .. }) => None,
            None => {
                let default = self
                    .parameter_defaults
                    .iter()
                    .find(|d| d.property == name)?;
                Some(Sourced {
                    value: &default.reference,
                    place: default.place,
                })
            }
        }
    }

    /// Where property `name` of this resource is, or would be, written.
    pub(crate) fn place<'n>(&self, name: &'n str) -> Place<'n>
    where
        'i: 'n,
    {
        Place::member(self.properties_path, name)
    }

    pub(crate) fn text_check(name: &str) -> Option<TextCheck> {
        match declared(name).shape {
            Shape::Text(check) => check,
            _ => None,
        }
    }

    /// An optional string property, checked as declared; `None` when absent or unset.
    pub(crate) fn text(&mut self, name: &str) -> Option<Value> {
        let sourced = self.sourced(name)?;
        let check = Self::text_check(name);
        let context = self.scope.context;
        self.optional_string(&sourced, |text| check.map_or(Ok(()), |c| c(text, context)))
    }

    /// A string property with a default: the value, else the declared default.
    pub(crate) fn text_or_default(&mut self, name: &str) -> Value {
        let default = match declared(name).default {
            PropertyDefault::Text(text)
            | PropertyDefault::FirstReleaseParameter {
                otherwise: text, ..
            } => text,
            _ => unreachable!("{name} declares a text default"),
        };
        self.text(name).unwrap_or_else(|| json!(default))
    }

    pub(crate) fn required_text(&mut self, name: &str, what: &str) -> Option<Value> {
        let Some(sourced) = self.sourced(name) else {
            // Written in another case (`image`), it is reported as unknown, with the spelling.
            let respelt = self
                .inputs
                .iter()
                .any(|(key, _)| key.eq_ignore_ascii_case(name));
            if !respelt {
                self.problems
                    .push(self.place(name), format!("is required: {what}"));
            }
            return None;
        };
        let before = self.problems.len();
        let value = self.text(name);
        if value.is_none() && self.problems.len() == before {
            self.problems
                .push(sourced.place, format!("must not be empty: it is {what}"));
        }
        value
    }

    /// A whole-number property: the value for the output and the number when known, or the
    /// declared default; `None` when absent without a default.
    pub(crate) fn number(&mut self, name: &str) -> Option<(Value, Option<u64>)> {
        let declaration = declared(name);
        let check = match declaration.shape {
            Shape::WholeNumber(check) => check,
            _ => unreachable!("{name} is a whole number"),
        };
        match self.sourced(name) {
            Some(sourced) => Some(self.whole_number(&sourced, |n| check.map_or(Ok(()), |c| c(n)))),
            None => match declaration.default {
                PropertyDefault::Number(number) => Some((json!(number), Some(number))),
                _ => None,
            },
        }
    }

    pub(crate) fn number_or_default(&mut self, name: &str) -> Value {
        self.number(name)
            .map(|(value, _)| value)
            .unwrap_or_default()
    }

    pub(crate) fn boolean_property(&mut self, name: &str) -> bool {
        let default = match declared(name).default {
            PropertyDefault::Boolean(flag) => flag,
            _ => false,
        };
        self.sourced(name)
            .and_then(|sourced| self.boolean(&sourced))
            .unwrap_or(default)
    }

    /// A string, an intrinsic yielding one, or nothing (absent, `""`, `AWS::NoValue`).
    pub(crate) fn optional_string(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Option<Value> {
        self.string_checked(sourced, Some(&check))
    }

    /// [`Self::optional_string`]; with no check, a function is taken as written, unevaluated.
    fn string_checked(
        &mut self,
        sourced: &Sourced<'_>,
        check: Option<&StringCheck<'_>>,
    ) -> Option<Value> {
        let resolved = self.scope.resolve(sourced.value);
        if resolved.is_unset() {
            return None;
        }
        match &resolved {
            Resolved::Literal(Value::String(_)) | Resolved::Parameter { .. } => {
                if let (Some(text), Some(check)) = (resolved.as_str(), check)
                    && let Err(why) = check(text)
                {
                    self.problems
                        .push(sourced.place, format!("{} {why}", resolved.describe()));
                }
                Some(sourced.value.clone())
            }
            Resolved::Literal(other) => {
                self.problems.push(
                    sourced.place,
                    format!("must be a string, not {}", kind_of(other)),
                );
                None
            }
            Resolved::NoValue => None,
            // A function: checked as CloudFormation will compute it, where that is known here.
            Resolved::Unknown => {
                let Some(check) = check else {
                    return Some(sourced.value.clone());
                };
                let sample = self.scope.evaluate(sourced.value).sample();
                // `""` as CloudFormation computes it (a mapping's, a decided `Fn::If`'s) is unset too.
                if sample.as_deref() == Some("") {
                    return None;
                }
                if let Some(sample) = sample
                    && let Err(why) = check(&sample)
                {
                    self.problems.push(
                        sourced.place,
                        format!("{} {why}", describe_computed(sourced.value)),
                    );
                }
                Some(sourced.value.clone())
            }
        }
    }

    pub(crate) fn required_string(&mut self, sourced: &Sourced<'_>) -> Option<Value> {
        self.required_string_of(sourced, None)
    }

    pub(crate) fn required_string_checked(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Option<Value> {
        self.required_string_of(sourced, Some(&check))
    }

    fn required_string_of(
        &mut self,
        sourced: &Sourced<'_>,
        check: Option<&StringCheck<'_>>,
    ) -> Option<Value> {
        let before = self.problems.len();
        let value = self.string_checked(sourced, check);
        if value.is_none() && self.problems.len() == before {
            self.problems.push(sourced.place, "must not be empty");
        }
        value
    }

    /// A name the macro must see, written as a string: containers and volumes are matched by it.
    pub(crate) fn literal_name<'n>(
        &mut self,
        sourced: &Sourced<'n>,
        what: &str,
        names: &mut UsedNames<'n>,
        reserved: &[&str],
    ) -> Option<String> {
        let name = match self.scope.resolve(sourced.value) {
            Resolved::Literal(Value::String(name)) => name.clone(),
            Resolved::Literal(other) => {
                self.problems.push(
                    sourced.place,
                    format!("must be a string, not {}", kind_of(other)),
                );
                return None;
            }
            _ => {
                self.problems.push(
                    sourced.place,
                    format!("must be written out, not a function or parameter: the macro refers to a {what} by its name"),
                );
                return None;
            }
        };
        // Worded only for a message.
        let shown = || crate::template::problems::show_literal(sourced.value);
        let fits = (1..=255).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !fits {
            self.problems.push(
                sourced.place,
                format!(
                    "{} is not a {what} name (1 to 255 of A-Z, a-z, 0-9, _ and -)",
                    shown()
                ),
            );
            return None;
        }
        if reserved.contains(&name.as_str()) {
            self.problems.push(
                sourced.place,
                format!(
                    "{} is the name of one the macro generates ({}); choose another",
                    shown(),
                    reserved.join(", ")
                ),
            );
            return None;
        }
        if let Some(first) = names.claim(name.clone(), sourced.place) {
            self.problems.push(
                sourced.place,
                format!(
                    "{} is also the name at {first}; each {what} needs a name of its own",
                    shown()
                ),
            );
            return None;
        }
        Some(name)
    }

    /// `true` or `false`, written (a boolean, or the strings CloudFormation writes) or as a
    /// parameter's value; the macro decides with it, so another function is refused.
    /// A boolean property as an environment variable's value, with the flag the macro decides
    /// by: `"true"` or `"false"`, or the parameter's `Ref` where a parameter gives it, so that
    /// the value deployed is the one the program reads.
    pub(crate) fn flag_as_variable(&mut self, sourced: &Sourced<'_>) -> Option<(bool, Value)> {
        let flag = self.boolean(sourced)?;
        let written = match self.scope.resolve(sourced.value) {
            Resolved::Parameter { .. } => sourced.value.clone(),
            _ => Value::String(flag.to_string()),
        };
        Some((flag, written))
    }

    pub(crate) fn boolean(&mut self, sourced: &Sourced<'_>) -> Option<bool> {
        let resolved = self.scope.resolve(sourced.value);
        let flag = match resolved.value() {
            None if resolved == Resolved::NoValue => return None,
            None => {
                self.problems.push(
                    sourced.place,
                    "must be true or false, written or as a parameter's value: the macro decides with it, so it cannot wait for a function to be evaluated",
                );
                return None;
            }
            Some(Value::Bool(flag)) => Some(*flag),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Some(false),
            Some(_) => None,
        };
        if flag.is_none() {
            let message = match &resolved {
                Resolved::Literal(value @ (Value::Array(_) | Value::Object(_) | Value::Null)) => {
                    format!("must be true or false, not {}", kind_of(value))
                }
                _ => format!("{} is not true or false", resolved.describe()),
            };
            self.problems.push(sourced.place, message);
        }
        flag
    }

    /// A whole number, written as a number or a string of digits, checked when known.
    /// Returns the value for the output and the number when known.
    pub(crate) fn whole_number(
        &mut self,
        sourced: &Sourced<'_>,
        check: impl Fn(u64) -> Result<(), String>,
    ) -> (Value, Option<u64>) {
        let resolved = self.scope.resolve(sourced.value);
        let known = match resolved.value() {
            None => return (sourced.value.clone(), None),
            Some(value) => whole_number(value),
        };
        let Some(number) = known else {
            let message = match &resolved {
                Resolved::Literal(
                    value @ (Value::Array(_) | Value::Object(_) | Value::Bool(_) | Value::Null),
                ) => {
                    format!("must be a whole number, not {}", kind_of(value))
                }
                _ => format!("{} is not a whole number", resolved.describe()),
            };
            self.problems.push(sourced.place, message);
            return (Value::Null, None);
        };
        if let Err(why) = check(number) {
            self.problems
                .push(sourced.place, format!("{} {why}", resolved.describe()));
            return (Value::Null, None);
        }
        match resolved {
            Resolved::Literal(_) => (json!(number), Some(number)),
            _ => (sourced.value.clone(), Some(number)),
        }
    }

    /// The entries of a list property, each read by `read_entry`.
    pub(crate) fn list<'e, T>(
        &mut self,
        input: Option<&PropertyInput<'e>>,
        mut read_entry: impl FnMut(&mut Self, &Sourced<'e>) -> Option<T>,
    ) -> Vec<T> {
        match input {
            None => Vec::new(),
            Some(PropertyInput::Entries { entries, .. }) => {
                self.read_entries(entries.iter().copied(), &mut read_entry)
            }
            Some(PropertyInput::Single(sourced)) => match sourced.value {
                Value::Array(items) => {
                    let entries = items.iter().enumerate().map(|(index, value)| Sourced {
                        value,
                        place: sourced.place.index(index),
                    });
                    self.read_entries(entries, &mut read_entry)
                }
                Value::Null => Vec::new(),
                other => {
                    let what = if crate::template::value::is_intrinsic(other) {
                        "an intrinsic function (write the list, with intrinsics in its entries)"
                    } else {
                        kind_of(other)
                    };
                    self.problems
                        .push(sourced.place, format!("must be a list, not {what}"));
                    Vec::new()
                }
            },
        }
    }

    /// Each entry but `AWS::NoValue` ones (skipped in place), read by `read_entry`, into a
    /// list with room for them all.
    fn read_entries<'e, T>(
        &mut self,
        entries: impl ExactSizeIterator<Item = Sourced<'e>>,
        read_entry: &mut impl FnMut(&mut Self, &Sourced<'e>) -> Option<T>,
    ) -> Vec<T> {
        let mut read = Vec::with_capacity(entries.len());
        read.extend(
            entries
                .filter(|entry| self.scope.resolve(entry.value) != Resolved::NoValue)
                .filter_map(|entry| read_entry(self, &entry)),
        );
        read
    }

    /// The fields of a list entry, an object of the keys `shape` declares. An unknown key or a
    /// missing required one is a problem, but the fields are still returned so that every other
    /// key of the entry is checked too; `None` only when the entry is not an object at all.
    pub(crate) fn entry_fields<'v>(
        &mut self,
        entry: &Sourced<'v>,
        shape: EntryShape,
    ) -> Option<&'v Map<String, Value>> {
        let EntryShape::Object { required, optional } = shape else {
            unreachable!("an entry of fields is an object")
        };
        let Some(fields) = entry
            .value
            .as_object()
            .filter(|_| !crate::template::value::is_intrinsic(entry.value))
        else {
            self.problems.push(
                entry.place,
                format!(
                    "must be an object with {}, not {}",
                    required.join(" and "),
                    kind_of(entry.value)
                ),
            );
            return None;
        };
        // An object's keys are distinct: when as many as `required` holds are required ones,
        // none is missing, and they are not looked for again.
        let mut required_keys = 0;
        // Keys written in another case (`name`, `valueFrom`, as ECS's JSON spells them): one
        // line for the entry, not one per key and one per required key it then lacks.
        let mut respelt: Vec<(&str, &'static str)> = Vec::new();
        for key in fields.keys() {
            if required.contains(&key.as_str()) {
                required_keys += 1;
                continue;
            }
            if optional.contains(&key.as_str()) {
                continue;
            }
            let keys = shape.keys();
            match keys.iter().find(|known| known.eq_ignore_ascii_case(key)) {
                Some(meant) => respelt.push((key, meant)),
                None => self.problems.push(
                    entry.place.key(key),
                    unknown_name_message("key", key, &keys),
                ),
            }
        }
        if !respelt.is_empty() {
            let (written, meant): (Vec<&str>, Vec<&str>) = respelt.iter().copied().unzip();
            self.problems.push(
                entry.place,
                format!(
                    "keys are written as CloudFormation spells them: {} (not {})",
                    meant.join(", "),
                    written.join(", ")
                ),
            );
        }
        if required_keys < required.len() {
            for key in required {
                let respelt = respelt.iter().any(|(_, meant)| meant == key);
                if !respelt && small_object_member(fields, key).is_none() {
                    self.problems.push(entry.place, format!("has no {key}"));
                }
            }
        }
        Some(fields)
    }

    /// The field `key` of an entry, with its place.
    pub(crate) fn entry_field<'v>(
        fields: &'v Map<String, Value>,
        entry: &Sourced<'v>,
        key: &str,
    ) -> Option<Sourced<'v>> {
        small_object_member(fields, key).map(|(key, value)| Sourced {
            value,
            place: entry.place.key(key),
        })
    }

    /// A string, number or boolean as a string (the type ECS and tags take).
    pub(crate) fn scalar_as_string(&mut self, value: &Value, place: Place<'_>) -> Option<Value> {
        match value {
            Value::String(_) => Some(value.clone()),
            Value::Number(number) => Some(Value::String(number.to_string())),
            Value::Bool(flag) => Some(Value::String(flag.to_string())),
            _ if crate::template::value::is_intrinsic(value) => Some(value.clone()),
            other => {
                self.problems.push(
                    place,
                    format!(
                        "must be a string, number or boolean, not {}",
                        kind_of(other)
                    ),
                );
                None
            }
        }
    }
}

/// A whole number from a JSON number or a string of digits.
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        _ => None,
    }
}

/// What kind of JSON value this is, for messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) if crate::template::value::is_intrinsic(value) => "an intrinsic function",
        Value::Object(_) => "an object",
    }
}
