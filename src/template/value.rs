//! Template values: intrinsic functions, what a value resolves to for checks, and
//! `Fn::Sub` strings, read and built.

use std::borrow::{Borrow, Cow};
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::ExpansionContext;

/// An object of the given entries, in order. Unlike `json!`, which copies every interpolated
/// value through the serializer, this moves them: the generated resources are built of it.
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (key, value) in entries {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// `{"Fn::Sub": argument}`, the intrinsic the macro writes most.
pub fn fn_sub(argument: Value) -> Value {
    static MADE_ONCE: LazyLock<Map<String, Value>> = LazyLock::new(|| one_member("Fn::Sub"));
    copy_with_member_value(&MADE_ONCE, argument)
}

/// `{"Fn::GetAtt": argument}`.
fn fn_get_att(argument: Value) -> Value {
    static MADE_ONCE: LazyLock<Map<String, Value>> = LazyLock::new(|| one_member("Fn::GetAtt"));
    copy_with_member_value(&MADE_ONCE, argument)
}

/// A one-member map, `{name: null}`, made once and copied for each intrinsic: a copy does not
/// hash the name, and an insert into serde_json's map (an `IndexMap` with SipHash) does.
fn one_member(name: &str) -> Map<String, Value> {
    let mut map = Map::with_capacity(1);
    map.insert(name.to_owned(), Value::Null);
    map
}

fn copy_with_member_value(made: &Map<String, Value>, value: Value) -> Value {
    let mut map = made.clone();
    if let Some(slot) = map.values_mut().next() {
        *slot = value;
    }
    Value::Object(map)
}

/// The function name of an intrinsic (`Ref`, `Fn::GetAtt`, ...): an object with one key.
pub fn intrinsic_name(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let key = object.keys().next()?;
    (key == "Ref" || key.starts_with("Fn::")).then_some(key.as_str())
}

pub fn is_intrinsic(value: &Value) -> bool {
    intrinsic_name(value).is_some()
}

/// Whether a value can hold an intrinsic (a reference, an `Fn::If`): an object or a list. A walk
/// looking for one need not go into a string, a number, a boolean or null.
pub fn may_hold_intrinsic(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

/// Member `key` of an object the template writes with a few keys (a list entry's fields),
/// found by comparing keys: for so few, hashing the key costs more than comparing it with each.
pub fn small_object_member<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Option<(&'v String, &'v Value)> {
    object.iter().find(|(member, _)| member.as_str() == key)
}

/// The value of member `key` of an object with a few keys, found as [`small_object_member`]
/// finds it.
pub fn small_member<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    small_object_member(object, key).map(|(_, value)| value)
}

/// Attribute `key` of a resource (`Type`, `Properties`, `Condition`, ...): a resource has a
/// handful of keys at most, so it is found by comparing them.
pub fn resource_member<'v>(resource: &'v Value, key: &str) -> Option<&'v Value> {
    small_member(resource.as_object()?, key)
}

/// The target of `{"Ref": "X"}`.
pub fn ref_target(value: &Value) -> Option<&str> {
    match only_member(value)? {
        (key, Value::String(target)) if key == "Ref" => Some(target),
        _ => None,
    }
}

/// The key and value of an object with exactly one key, as an intrinsic function is written.
fn only_member(value: &Value) -> Option<(&String, &Value)> {
    let object = value.as_object()?;
    if object.len() == 1 {
        object.iter().next()
    } else {
        None
    }
}

/// What a property value stands for when a check or a decision needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// Written in the template.
    Literal(&'a Value),
    /// A `Ref` to a template parameter with a known value: usable for checks, never
    /// to be echoed in a message nor written to the output.
    Parameter { name: &'a str, value: Value },
    /// `{"Ref": "AWS::NoValue"}`: as if the property were not there.
    NoValue,
    /// Any other intrinsic: known only when the stack is deployed.
    Unknown,
}

impl<'a> Resolved<'a> {
    /// The value to check, wherever it came from.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Resolved::Literal(value) => Some(value),
            Resolved::Parameter { value, .. } => Some(value),
            Resolved::NoValue | Resolved::Unknown => None,
        }
    }

    /// How a message names this value: the literal itself, or the parameter by name.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Literal(value) => crate::template::problems::show_literal(value),
            Resolved::Parameter { name, value } => format!(
                "the value of parameter {name}{}",
                value
                    .as_str()
                    .map(crate::template::problems::whitespace_note)
                    .unwrap_or_default()
            ),
            Resolved::NoValue => "AWS::NoValue".to_owned(),
            Resolved::Unknown => "an intrinsic function".to_owned(),
        }
    }

    /// A string value or a parameter holding one; `""` included.
    pub fn as_str(&self) -> Option<&str> {
        self.value().and_then(Value::as_str)
    }

    /// True when the value is known to be empty (`""`), which optional properties read
    /// as "not set".
    pub fn is_empty_string(&self) -> bool {
        self.as_str().is_some_and(str::is_empty)
    }

    /// True when an optional property with this value counts as absent: `AWS::NoValue`, or
    /// `""` written or as a parameter's value.
    pub fn is_unset(&self) -> bool {
        matches!(self, Resolved::NoValue) || self.is_empty_string()
    }
}

/// The template around the values being read: its parameters and resources, and the
/// request's context.
pub struct TemplateScope<'a> {
    pub context: &'a ExpansionContext,
    pub parameters: Option<&'a Map<String, Value>>,
    pub resources: &'a Map<String, Value>,
}

impl<'a> TemplateScope<'a> {
    pub fn resolve<'v>(&self, value: &'v Value) -> Resolved<'v> {
        match intrinsic_name(value) {
            None => Resolved::Literal(value),
            Some(_) => match ref_target(value) {
                Some("AWS::NoValue") => Resolved::NoValue,
                Some(name) => match self.parameter_value(name) {
                    Some(known) => Resolved::Parameter { name, value: known },
                    None => Resolved::Unknown,
                },
                None => Resolved::Unknown,
            },
        }
    }

    /// A parameter's value from the request, else its `Default` in the template (never for a
    /// Parameter Store type, whose `Default` is a Parameter Store name, not the value).
    pub fn parameter_value(&self, name: &str) -> Option<Value> {
        self.declared_parameter_value(name).cloned()
    }

    fn declared_parameter_value(&self, name: &str) -> Option<&'a Value> {
        let declared = self.parameters?.get(name)?;
        let given = self.context.parameter_values.get(name);
        if is_parameter_store_type(declared) {
            // CloudFormation resolves the name and sends the macro the value it holds.
            return given;
        }
        given.or_else(|| declared.get("Default"))
    }

    /// Whether parameter `name` is declared with a Parameter Store type
    /// (`AWS::SSM::Parameter::Value<...>`).
    pub fn is_parameter_store_parameter(&self, name: &str) -> bool {
        self.parameters
            .and_then(|parameters| parameters.get(name))
            .is_some_and(is_parameter_store_type)
    }

    /// How to give parameter `name`, which has no value here, one: a Parameter Store type's
    /// `Default` is the name of the parameter holding the value, so only a given value helps.
    pub fn how_to_give_value(&self, name: &str) -> String {
        if self.is_parameter_store_parameter(name) {
            format!(
                "give expand the value it holds (--parameter {name}=...): it is a Parameter Store type, whose Default names where CloudFormation reads the value from, and CloudFormation passes the macro that value"
            )
        } else {
            format!("give the parameter a Default (or a value: expand --parameter {name}=...)")
        }
    }

    pub fn is_parameter(&self, name: &str) -> bool {
        self.parameters.is_some_and(|p| p.contains_key(name))
    }

    pub fn resource_type(&self, name: &str) -> Option<&'a str> {
        resource_member(self.resources.get(name)?, "Type")?.as_str()
    }

    /// The value a `${Name}` of a `Fn::Sub` stands for, as far as checks may know it:
    /// pseudo parameters from the request, template parameters from their values.
    /// Borrowed from the request or the template, except a number's text.
    pub fn sample_variable(&self, name: &str) -> Option<Cow<'a, str>> {
        let context = self.context;
        match name {
            "AWS::Partition" => Some(Cow::Borrowed(context.partition())),
            "AWS::Region" => Some(Cow::Borrowed(&context.region)),
            "AWS::AccountId" => Some(Cow::Borrowed(&context.account_id)),
            "AWS::URLSuffix" => Some(Cow::Borrowed(context.url_suffix())),
            _ => match self.declared_parameter_value(name)? {
                Value::String(text) => Some(Cow::Borrowed(text)),
                Value::Number(number) => Some(Cow::Owned(number.to_string())),
                _ => None,
            },
        }
    }
}

/// Whether a declared parameter's `Type` is `AWS::SSM::Parameter::Value<...>`: its value is a
/// Parameter Store name, which CloudFormation resolves to the value the parameter holds.
fn is_parameter_store_type(declared: &Value) -> bool {
    declared
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.starts_with("AWS::SSM::Parameter::Value<"))
}

/// One piece of a string that is built from literal text and template values.
pub enum Piece<'a> {
    Text(&'a str),
    /// A pseudo parameter such as `AWS::Partition`.
    Pseudo(&'static str),
    /// A value from the template: a literal string or an intrinsic that yields one.
    Value(&'a Value),
}

/// Joins pieces into a plain string when all are literal, else into the simplest
/// `Fn::Sub` that yields them: a `Ref` becomes `${Name}`, a `Fn::Sub` string is inlined,
/// any other intrinsic becomes a variable of the list form.
pub fn build_sub(pieces: &[Piece<'_>]) -> Value {
    fn literal<'p>(piece: &'p Piece<'_>) -> Option<&'p str> {
        match piece {
            Piece::Text(text) => Some(text),
            Piece::Value(Value::String(text)) => Some(text),
            Piece::Pseudo(_) | Piece::Value(_) => None,
        }
    }
    let texts: usize = pieces.iter().filter_map(literal).map(str::len).sum();
    if pieces.iter().all(|piece| literal(piece).is_some()) {
        let mut plain = String::with_capacity(texts);
        pieces
            .iter()
            .filter_map(literal)
            .for_each(|text| plain.push_str(text));
        return Value::String(plain);
    }
    // Room for the text and a variable or two, so that the string is rarely grown.
    let mut sub = String::with_capacity(texts + 20 * (pieces.len() - 1));
    let mut variables = Map::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => push_sub_text(&mut sub, text),
            Piece::Pseudo(name) => push_sub_variable(&mut sub, name),
            Piece::Value(Value::String(text)) => push_sub_text(&mut sub, text),
            Piece::Value(value) => {
                if let Some(target) = ref_target(value) {
                    push_sub_variable(&mut sub, target);
                } else if let Some(Value::String(inner)) = value.get("Fn::Sub") {
                    sub.push_str(inner);
                } else {
                    let name = format!("Value{}", variables.len() + 1);
                    push_sub_variable(&mut sub, &name);
                    variables.insert(name, (*value).clone());
                }
            }
        }
    }
    if variables.is_empty() {
        fn_sub(Value::String(sub))
    } else {
        fn_sub(Value::Array(vec![
            Value::String(sub),
            Value::Object(variables),
        ]))
    }
}

/// `arn:${AWS::Partition}:s3:::<bucket><rest>`: a bucket, or (with `rest`) objects in it.
pub fn s3_arn<'a>(bucket: &'a Value, rest: impl IntoIterator<Item = Piece<'a>>) -> Value {
    let mut pieces = vec![
        Piece::Text("arn:"),
        Piece::Pseudo("AWS::Partition"),
        Piece::Text(":s3:::"),
        Piece::Value(bucket),
    ];
    pieces.extend(rest);
    build_sub(&pieces)
}

/// `{"Fn::GetAtt": [logical_id, "Arn"]}`: the ARN of a resource of the template.
pub fn get_att_arn(logical_id: &str) -> Value {
    fn_get_att(Value::Array(vec![
        Value::String(logical_id.to_owned()),
        Value::String("Arn".to_owned()),
    ]))
}

/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}<resource><value>`: the ARN of
/// a resource in the stack's own partition, region and account, as simply as [`build_sub`] can.
pub fn stack_arn(service: &str, resource: &str, value: &Value) -> Value {
    stack_arn_with_suffix(service, resource, value, "")
}

/// [`stack_arn`] followed by `suffix` (`:*` for every log stream of a group, say).
pub fn stack_arn_with_suffix(service: &str, resource: &str, value: &Value, suffix: &str) -> Value {
    if let Value::String(text) = value {
        // The usual case, a name written out: the `Fn::Sub` text [`build_sub`] would make,
        // written at once.
        let mut sub = String::with_capacity(
            STACK_ARN_FIXED + service.len() + resource.len() + text.len() + suffix.len(),
        );
        sub.push_str("arn:${AWS::Partition}:");
        sub.push_str(service);
        sub.push_str(":${AWS::Region}:${AWS::AccountId}");
        sub.push_str(resource);
        push_sub_text(&mut sub, text);
        sub.push_str(suffix);
        return fn_sub(Value::String(sub));
    }
    build_sub(&[
        Piece::Text("arn:"),
        Piece::Pseudo("AWS::Partition"),
        Piece::Text(":"),
        Piece::Text(service),
        Piece::Text(":"),
        Piece::Pseudo("AWS::Region"),
        Piece::Text(":"),
        Piece::Pseudo("AWS::AccountId"),
        Piece::Text(resource),
        Piece::Value(value),
        Piece::Text(suffix),
    ])
}

/// The characters of a stack ARN's `Fn::Sub` text besides the service, resource, name and suffix.
const STACK_ARN_FIXED: usize =
    "arn:${AWS::Partition}:".len() + ":${AWS::Region}:${AWS::AccountId}".len();

/// Appends text that `Fn::Sub` gives back unchanged (`${` is written `${!`).
fn push_sub_text(sub: &mut String, text: &str) {
    if has_variable_start(text) {
        sub.push_str(&text.replace("${", "${!"));
    } else {
        sub.push_str(text);
    }
}

/// Appends the `Fn::Sub` variable `${name}`.
pub fn push_sub_variable(sub: &mut String, name: &str) {
    sub.push_str("${");
    sub.push_str(name);
    sub.push('}');
}

/// A part of a `Fn::Sub` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubPart<'a> {
    /// Literal text, as written (an escaped `${!X}` stays in its written form).
    Text(&'a str),
    /// `${Name}` or `${Name.Attribute}`: the name between the braces.
    Variable(&'a str),
}

/// Splits a `Fn::Sub` string into text and variables. An unclosed `${` is text.
pub fn parse_sub(template: &str) -> Vec<SubPart<'_>> {
    sub_parts(template).collect()
}

/// The parts [`parse_sub`] lists, one at a time, for a caller that reads them once.
pub fn sub_parts(template: &str) -> impl Iterator<Item = SubPart<'_>> {
    let mut rest = template;
    // A variable found after text, given by the next call.
    let mut variable = None;
    std::iter::from_fn(move || {
        if let Some(name) = variable.take() {
            return Some(SubPart::Variable(name));
        }
        if rest.is_empty() {
            return None;
        }
        let Some((start, length)) = variable_start(rest)
            .and_then(|start| Some((start, closing_brace(&rest[start + 2..])?)))
        else {
            return Some(SubPart::Text(std::mem::take(&mut rest)));
        };
        let after = &rest[start + 2..];
        let part = if after.starts_with('!') {
            SubPart::Text(&rest[..start + 3 + length])
        } else if start > 0 {
            variable = Some(&after[..length]);
            SubPart::Text(&rest[..start])
        } else {
            SubPart::Variable(&after[..length])
        };
        rest = &after[length + 1..];
        Some(part)
    })
}

/// Where the first `${` of a `Fn::Sub` string is, which starts a variable (or, as `${!`, an
/// escaped `${`).
pub fn variable_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|&byte| byte == b'$') {
        let dollar = from + offset;
        if bytes.get(dollar + 1) == Some(&b'{') {
            return Some(dollar);
        }
        from = dollar + 1;
    }
    None
}

/// Whether a `Fn::Sub` string holds a `${`: without one, it is its own text.
pub fn has_variable_start(text: &str) -> bool {
    variable_start(text).is_some()
}

/// Whether a `Fn::Sub` string holds a `${!`, found as [`variable_start`] finds a `${`.
fn has_escaped_variable_start(text: &str) -> bool {
    let mut rest = text;
    while let Some(start) = variable_start(rest) {
        if rest.as_bytes().get(start + 2) == Some(&b'!') {
            return true;
        }
        rest = &rest[start + 2..];
    }
    false
}

/// Where the first `}` is: a byte scan, cheaper than `str::find`'s searcher for the short
/// names between a `Fn::Sub`'s braces.
pub fn closing_brace(text: &str) -> Option<usize> {
    text.bytes().position(|byte| byte == b'}')
}

/// The text a `Fn::Sub` string's literal part stands for (`${!X}` reads `${X}`).
pub fn unescape_sub_text(text: &str) -> Cow<'_, str> {
    if has_escaped_variable_start(text) {
        Cow::Owned(text.replace("${!", "${"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a `Fn::Sub` string stands for when it holds no variable (its `${!` escapes undone);
/// `None` when it holds one.
pub fn sub_literal(template: &str) -> Option<Cow<'_, str>> {
    sub_parts(template)
        .all(|part| matches!(part, SubPart::Text(_)))
        .then(|| unescape_sub_text(template))
}

/// The `Fn::Sub` string and its variables, for either form of `Fn::Sub`.
pub fn sub_arguments(value: &Value) -> Option<(&str, Option<&Map<String, Value>>)> {
    let argument = small_member(value.as_object()?, "Fn::Sub")?;
    match argument {
        Value::String(template) => Some((template, None)),
        Value::Array(arguments) => match arguments.as_slice() {
            [Value::String(template), Value::Object(variables)] => {
                Some((template, Some(variables)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Byte indexes of any of `separators` in a `Fn::Sub` template, outside its `${...}` variables.
/// It skips to the next byte that can matter (a brace, or outside a variable a separator): the
/// separators are an array, so that comparing a byte with one or two is unrolled.
pub fn positions_outside_variables<const N: usize>(
    template: &str,
    separators: [u8; N],
) -> impl Iterator<Item = usize> + '_ {
    let bytes = template.as_bytes();
    let is_separator = move |byte: &u8| separators.iter().any(|separator| separator == byte);
    let mut depth = 0usize;
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let offset = bytes[from..].iter().position(|byte| {
                matches!(byte, b'{' | b'}') || (depth == 0 && is_separator(byte))
            })?;
            let index = from + offset;
            from = index + 1;
            match bytes[index] {
                b'{' if index > 0 && bytes[index - 1] == b'$' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                byte if depth == 0 && is_separator(&byte) => return Some(index),
                _ => {}
            }
        }
    })
}

/// The first of `separators` in a `Fn::Sub` template outside its variables.
pub fn first_outside_variables<const N: usize>(
    template: &str,
    separators: [u8; N],
) -> Option<usize> {
    positions_outside_variables(template, separators).next()
}

/// A `Fn::Sub` template cut at its first `separator` outside its variables.
pub fn split_once_outside_variables(template: &str, separator: u8) -> Option<(&str, &str)> {
    let index = first_outside_variables(template, [separator])?;
    Some((&template[..index], &template[index + 1..]))
}

/// A `Fn::Sub` template cut at `separator` outside its variables, into at most `most` fields
/// (the last keeps the rest, as an ARN's resource keeps its colons).
pub fn split_outside_variables(template: &str, separator: u8, most: usize) -> Vec<&str> {
    // Room for the ten fields of a Secrets Manager ARN with a JSON key selector.
    let mut fields = Vec::with_capacity(10);
    let mut start = 0;
    for index in positions_outside_variables(template, [separator]) {
        if fields.len() + 1 >= most {
            break;
        }
        fields.push(&template[start..index]);
        start = index + 1;
    }
    fields.push(&template[start..]);
    fields
}

/// The first `count` of `fields`, the fields [`split_outside_variables`] cut `template` into,
/// with the separators between them: a slice of the template, not a copy.
pub fn leading_fields<'t>(template: &'t str, fields: &[&str], count: usize) -> &'t str {
    let length: usize = fields[..count].iter().map(|field| field.len()).sum();
    &template[..length + count.saturating_sub(1)]
}

/// The values in first-seen order, each once (a grant names each resource once), compared by
/// [`same_value`].
pub fn distinct<T: Borrow<Value>>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    distinct_by(values, |a, b| same_value(a.borrow(), b.borrow()))
}

/// [`distinct`], two values the same where `same` says so.
pub fn distinct_by<T>(
    values: impl IntoIterator<Item = T>,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<T> {
    let mut seen: Vec<T> = Vec::new();
    for value in values {
        if !seen.iter().any(|first| same(first, &value)) {
            seen.push(value);
        }
    }
    seen
}

/// Whether two values are equal, as `==` tells, for less: one value is the same as itself,
/// and objects whose keys are in the same order compare member by member. `==` looks each key
/// of one up in the other, hashing it (serde_json's map is an `IndexMap` with SipHash), though
/// values built the same way list their members in the same order.
pub fn same_value(a: &Value, b: &Value) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() && x.keys().eq(y.keys()) => {
            x.values().zip(y.values()).all(|(x, y)| same_value(x, y))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_parameter_store_types_default_is_a_name_not_its_value() {
        let parameters = json!({
            "Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ci/image"},
            "Plain": {"Type": "String", "Default": "ruby:3.3"}
        });
        let resources = Map::new();
        let mut context = ExpansionContext::new("us-east-1", "123456789012");
        let without_value = TemplateScope {
            context: &context,
            parameters: parameters.as_object(),
            resources: &resources,
        };
        assert_eq!(without_value.parameter_value("Image"), None);
        assert_eq!(without_value.sample_variable("Image"), None);
        assert_eq!(
            without_value.parameter_value("Plain"),
            Some(json!("ruby:3.3"))
        );
        assert!(without_value.is_parameter_store_parameter("Image"));
        context
            .parameter_values
            .insert("Image".into(), json!("ruby:3.4"));
        let with_value = TemplateScope {
            context: &context,
            parameters: parameters.as_object(),
            resources: &resources,
        };
        assert_eq!(with_value.parameter_value("Image"), Some(json!("ruby:3.4")));
    }

    #[test]
    fn a_stack_arn_of_a_written_name_is_what_build_sub_makes_of_it() {
        for name in ["ci/token", "with-${braces}-in-it", ""] {
            let value = json!(name);
            let pieces = [
                Piece::Text("arn:"),
                Piece::Pseudo("AWS::Partition"),
                Piece::Text(":"),
                Piece::Text("ssm"),
                Piece::Text(":"),
                Piece::Pseudo("AWS::Region"),
                Piece::Text(":"),
                Piece::Pseudo("AWS::AccountId"),
                Piece::Text(":parameter/"),
                Piece::Value(&value),
                Piece::Text(":*"),
            ];
            assert_eq!(
                stack_arn_with_suffix("ssm", ":parameter/", &value, ":*"),
                build_sub(&pieces)
            );
        }
    }

    #[test]
    fn a_sub_template_is_cut_outside_its_variables_into_at_most_so_many_fields() {
        let arn = "arn:${AWS::Partition}:kms:${Region}:${AWS::AccountId}:alias/a:b";
        assert_eq!(
            split_outside_variables(arn, b':', usize::MAX),
            [
                "arn",
                "${AWS::Partition}",
                "kms",
                "${Region}",
                "${AWS::AccountId}",
                "alias/a",
                "b"
            ]
        );
        assert_eq!(
            split_outside_variables(arn, b':', 6),
            [
                "arn",
                "${AWS::Partition}",
                "kms",
                "${Region}",
                "${AWS::AccountId}",
                "alias/a:b"
            ]
        );
        assert_eq!(
            split_once_outside_variables("${Host}/repo:${Tag}", b'/'),
            Some(("${Host}", "repo:${Tag}"))
        );
        assert_eq!(first_outside_variables("${A:B}@x", *b":@"), Some(6));
    }

    #[test]
    fn same_value_is_equality_whatever_the_order_of_members() {
        let values = [
            json!({"Fn::Sub": "a"}),
            json!({"Fn::Sub": "b"}),
            json!({"Fn::Sub": ["a", {"X": 1, "Y": [2, {"Z": 3}]}]}),
            json!({"Fn::Sub": ["a", {"Y": [2, {"Z": 3}], "X": 1}]}),
            json!({"Fn::Sub": ["a", {"Y": [2, {"Z": 4}], "X": 1}]}),
            json!(["a", "b"]),
            json!(["a"]),
            json!("a"),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(same_value(a, b), a == b, "{a} and {b}");
            }
        }
    }

    #[test]
    fn recognises_intrinsics_by_their_single_key() {
        assert_eq!(intrinsic_name(&json!({"Ref": "X"})), Some("Ref"));
        assert_eq!(
            intrinsic_name(&json!({"Fn::GetAtt": ["A", "B"]})),
            Some("Fn::GetAtt")
        );
        assert_eq!(intrinsic_name(&json!({"Ref": "X", "Other": 1})), None);
        assert_eq!(intrinsic_name(&json!({"Name": "X"})), None);
        assert_eq!(intrinsic_name(&json!("Ref")), None);
    }

    #[test]
    fn splits_sub_strings_into_text_and_variables() {
        assert_eq!(
            parse_sub("arn:${AWS::Partition}:x/${Name.Arn}${!Literal}-end"),
            vec![
                SubPart::Text("arn:"),
                SubPart::Variable("AWS::Partition"),
                SubPart::Text(":x/"),
                SubPart::Variable("Name.Arn"),
                SubPart::Text("${!Literal}"),
                SubPart::Text("-end"),
            ]
        );
        assert_eq!(
            parse_sub("a ${unclosed"),
            vec![SubPart::Text("a ${unclosed")]
        );
        assert_eq!(parse_sub(""), vec![]);
    }

    #[test]
    fn builds_a_plain_string_when_every_piece_is_literal() {
        let family = json!("ruby");
        assert_eq!(
            build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&family)]),
            json!("/aws/ecs/ruby")
        );
    }

    #[test]
    fn builds_the_simplest_sub_for_intrinsic_pieces() {
        let by_ref = json!({"Ref": "Family"});
        assert_eq!(
            build_sub(&[Piece::Text("/aws/ecs/"), Piece::Value(&by_ref)]),
            json!({"Fn::Sub": "/aws/ecs/${Family}"})
        );
        let by_sub = json!({"Fn::Sub": "${AWS::StackName}-ci"});
        assert_eq!(
            build_sub(&[
                Piece::Pseudo("AWS::Partition"),
                Piece::Text(":"),
                Piece::Value(&by_sub)
            ]),
            json!({"Fn::Sub": "${AWS::Partition}:${AWS::StackName}-ci"})
        );
        let by_join = json!({"Fn::Join": ["-", ["a", "b"]]});
        assert_eq!(
            build_sub(&[Piece::Text("${literal}/"), Piece::Value(&by_join)]),
            json!({"Fn::Sub": ["${!literal}/${Value1}", {"Value1": by_join}]})
        );
    }
}
