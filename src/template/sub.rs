//! `Fn::Sub` strings: taken apart into text and variables, and built from pieces.

use crate::template::value::fn_sub;
use crate::template::value::ref_target;
use crate::template::value::small_member;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Appends text that `Fn::Sub` gives back unchanged (`${` is written `${!`).
pub(crate) fn push_sub_text(sub: &mut String, text: &str) {
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

/// Splits a `Fn::Sub` string into text and variables, one at a time. An unclosed `${` is text.
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
    let parts: Vec<SubPiece<'_>> = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => SubPiece::Literal(text),
            Piece::Pseudo(name) => SubPiece::Variable(name),
            Piece::Value(Value::String(text)) => SubPiece::Literal(text),
            Piece::Value(value) => {
                // `{"Fn::Sub": ["${V}", {"V": x}]}` is `x`.
                let value = lone_variable(value).unwrap_or(value);
                if let Some(target) = ref_target(value) {
                    SubPiece::Variable(target)
                } else if let Some(Value::String(inner)) = value.get("Fn::Sub") {
                    SubPiece::Written(inner)
                } else {
                    SubPiece::Expression(value)
                }
            }
        })
        .collect();
    write_sub(&parts)
}

/// A part of a `Fn::Sub` to write, for [`write_sub`].
#[derive(Debug, Clone, Copy)]
pub enum SubPiece<'a> {
    /// Text that the `Fn::Sub` gives back as it is (its `${` escaped when written).
    Literal(&'a str),
    /// Text already in `Fn::Sub` form (an inlined `Fn::Sub` string), escapes and variables kept.
    Written(&'a str),
    /// `${Name}`: a parameter, a pseudo parameter, a resource, or `X.Attribute`.
    Variable(&'a str),
    /// An expression under the variable name a list-form `Fn::Sub` gave it, kept where free.
    Named(&'a str, &'a Value),
    /// Any other expression: a variable `ValueN` of the list form.
    Expression(&'a Value),
}

/// The one writer of a `Fn::Sub` from parts (the generated ARNs and the evaluator's text): a
/// plain string when all is literal, else the string form, or the list form where an
/// expression needs a variable (named `ValueN`, clear of every name the parts use).
pub fn write_sub(parts: &[SubPiece<'_>]) -> Value {
    let literal_length = |part: &SubPiece<'_>| match part {
        SubPiece::Literal(text) => Some(text.len()),
        _ => None,
    };
    let texts: usize = parts.iter().filter_map(literal_length).sum();
    if parts.iter().all(|part| literal_length(part).is_some()) {
        let mut plain = String::with_capacity(texts);
        for part in parts {
            if let SubPiece::Literal(text) = part {
                plain.push_str(text);
            }
        }
        return Value::String(plain);
    }
    let is_variable = |name: &str| {
        parts
            .iter()
            .any(|part| matches!(part, SubPiece::Variable(used) if *used == name))
    };
    let taken = |name: &str| {
        parts.iter().any(|part| {
            matches!(part, SubPiece::Variable(used) | SubPiece::Named(used, _) if *used == name)
        })
    };
    // Room for the text and a variable or two, so that the string is rarely grown.
    let mut sub = String::with_capacity(texts + 20 * parts.len());
    let mut variables = Map::new();
    let mut next = 1;
    for part in parts {
        match *part {
            SubPiece::Literal(text) => push_sub_text(&mut sub, text),
            SubPiece::Written(text) => sub.push_str(text),
            SubPiece::Variable(name) => push_sub_variable(&mut sub, name),
            SubPiece::Named(name, expression)
                if !is_variable(name)
                    && variables.get(name).is_none_or(|bound| bound == expression) =>
            {
                push_sub_variable(&mut sub, name);
                variables.insert(name.to_owned(), expression.clone());
            }
            SubPiece::Named(_, expression) | SubPiece::Expression(expression) => {
                let name = loop {
                    let name = format!("Value{next}");
                    next += 1;
                    if !taken(&name) {
                        break name;
                    }
                };
                push_sub_variable(&mut sub, &name);
                variables.insert(name, expression.clone());
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

/// The value of a list-form `Fn::Sub` that is one variable and nothing else.
fn lone_variable(value: &Value) -> Option<&Value> {
    let (template, variables) = sub_arguments(value)?;
    let variables = variables.filter(|variables| variables.len() == 1)?;
    variables.get(template.strip_prefix("${")?.strip_suffix('}')?)
}
