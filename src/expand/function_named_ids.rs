//! Logical IDs that only `AWS::LanguageExtensions` resolves: a function in `Ref`, `Fn::GetAtt`
//! or `DependsOn`, and a `Fn::ForEach` identifier (`${Queue}Agent`, `&{Queue}`) in a name.
//! Listed after this macro, it resolves them once the Buildkite resources are gone, so the
//! macro cannot rewrite them: one that could name a Buildkite resource is refused.

use serde_json::Value;

use crate::template::scope::TemplateScope;
use crate::template::value::intrinsic_name;

/// A piece of the names a written value can stand for.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// Any text: a value only a deploy or `AWS::LanguageExtensions` knows.
    Any,
}

/// The first of `ids` that `written` (a function standing for a logical ID) could name.
pub fn function_could_name<'i>(
    written: &Value,
    ids: &[&'i str],
    scope: Option<&TemplateScope<'_>>,
) -> Option<&'i str> {
    let patterns = patterns_of(written, scope, 0);
    first_match(&patterns, ids)
}

/// The first of `ids` that `name`, a logical ID holding `Fn::ForEach` identifiers
/// (`${Queue}Agent`, `&{Queue}Agent`), could become; `None` for a name without one.
pub fn placeholder_could_name<'i>(name: &str, ids: &[&'i str]) -> Option<&'i str> {
    // Almost every name holds none: not taken apart.
    if !name.contains('{') {
        return None;
    }
    let pattern = placeholder_pattern(name);
    if !pattern.contains(&Piece::Any) {
        return None;
    }
    first_match(&[pattern], ids)
}

/// The names of the `Fn::Sub` variables that are themselves made of `Fn::ForEach` identifiers,
/// such as `${${Queue}Agent.Family}`: the part before the attribute.
pub fn composed_sub_variables(template: &str) -> Vec<&str> {
    let bytes = template.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at + 1 < bytes.len() {
        if bytes[at] != b'$' || bytes[at + 1] != b'{' || bytes.get(at + 2) == Some(&b'!') {
            at += 1;
            continue;
        }
        // The matching brace, counting the nested ones.
        let (mut depth, mut end) = (0usize, None);
        for (offset, byte) in bytes[at + 1..].iter().enumerate() {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(at + 1 + offset);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let inner = &template[at + 2..end];
        if inner.contains("${") || inner.contains("&{") {
            found.push(name_before_attribute(inner));
        }
        at = end + 1;
    }
    found
}

/// `Name` of `Name.Attribute`, where the `.` is outside any `${...}`.
fn name_before_attribute(variable: &str) -> &str {
    let mut depth = 0usize;
    for (index, byte) in variable.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'.' if depth == 0 => return &variable[..index],
            _ => {}
        }
    }
    variable
}

fn first_match<'i>(patterns: &[Vec<Piece>], ids: &[&'i str]) -> Option<&'i str> {
    ids.iter()
        .copied()
        .find(|id| patterns.iter().any(|pattern| matches(pattern, id)))
}

/// The patterns of the names `written` can stand for; past a small depth, anything.
fn patterns_of(
    written: &Value,
    scope: Option<&TemplateScope<'_>>,
    depth: usize,
) -> Vec<Vec<Piece>> {
    if depth > 8 {
        return vec![vec![Piece::Any]];
    }
    let argument = |name: &str| written.get(name);
    match (written, intrinsic_name(written)) {
        (Value::String(text), _) => vec![placeholder_pattern(text)],
        (_, Some("Fn::Sub")) => match argument("Fn::Sub") {
            Some(Value::String(template)) => vec![placeholder_pattern(template)],
            Some(Value::Array(parts)) => match parts.first() {
                Some(Value::String(template)) => vec![placeholder_pattern(template)],
                _ => vec![vec![Piece::Any]],
            },
            _ => vec![vec![Piece::Any]],
        },
        (_, Some("Fn::Join")) => match argument("Fn::Join").and_then(Value::as_array) {
            Some(parts) => match parts.as_slice() {
                [Value::String(separator), Value::Array(items)] => {
                    let mut pattern = Vec::new();
                    for (index, item) in items.iter().enumerate() {
                        if index > 0 {
                            pattern.push(Piece::Text(separator.clone()));
                        }
                        match item {
                            Value::String(text) => pattern.extend(placeholder_pattern(text)),
                            _ => pattern.push(Piece::Any),
                        }
                    }
                    vec![pattern]
                }
                _ => vec![vec![Piece::Any]],
            },
            None => vec![vec![Piece::Any]],
        },
        (_, Some("Fn::If")) => match argument("Fn::If").and_then(Value::as_array) {
            Some(parts) if parts.len() == 3 => parts[1..]
                .iter()
                .flat_map(|branch| patterns_of(branch, scope, depth + 1))
                .collect(),
            _ => vec![vec![Piece::Any]],
        },
        (_, Some("Ref")) => match argument("Ref").and_then(Value::as_str) {
            // Of the pseudo parameters, only these can be letters and digits alone.
            Some("AWS::AccountId" | "AWS::StackName") => vec![vec![Piece::Any]],
            Some(pseudo) if pseudo.starts_with("AWS::") => Vec::new(),
            Some(name) => match scope.and_then(|scope| scope.parameter_value(name)) {
                Some(Value::String(value)) => vec![vec![Piece::Text(value)]],
                _ => vec![vec![Piece::Any]],
            },
            None => vec![vec![Piece::Any]],
        },
        _ => vec![vec![Piece::Any]],
    }
}

/// A name with its `${...}` and `&{...}` holes as `Any` (`${!...}` is literal text).
fn placeholder_pattern(text: &str) -> Vec<Piece> {
    let mut pattern = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(['$', '&']) {
        let after = &rest[start + 1..];
        if !after.starts_with('{') || after.starts_with("{!") {
            literal.push_str(&rest[..=start]);
            rest = after;
            continue;
        }
        let Some(end) = after.find('}') else {
            break;
        };
        literal.push_str(&rest[..start]);
        if !literal.is_empty() {
            pattern.push(Piece::Text(std::mem::take(&mut literal)));
        }
        if pattern.last() != Some(&Piece::Any) {
            pattern.push(Piece::Any);
        }
        rest = &after[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pattern.push(Piece::Text(literal));
    }
    pattern
}

/// Whether `name` fits `pattern`, `Any` standing for any text (empty included).
fn matches(pattern: &[Piece], name: &str) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((Piece::Text(text), rest)) => name
            .strip_prefix(text.as_str())
            .is_some_and(|name| matches(rest, name)),
        Some((Piece::Any, rest)) => (0..=name.len())
            .filter(|at| name.is_char_boundary(*at))
            .any(|at| matches(rest, &name[at..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IDS: [&str; 2] = ["SmallAgent", "Builder"];

    #[test]
    fn a_function_could_name_a_resource_its_literal_text_fits() {
        let could = |written: Value| function_could_name(&written, &IDS, None);
        assert_eq!(
            could(json!({"Fn::Sub": "${Queue}Agent"})),
            Some("SmallAgent")
        );
        assert_eq!(
            could(json!({"Fn::Sub": "Small${Size}"})),
            Some("SmallAgent")
        );
        assert_eq!(could(json!({"Fn::Sub": "${Queue}Bucket"})), None);
        assert_eq!(
            could(json!({"Fn::Join": ["", ["Small", {"Ref": "Kind"}]]})),
            Some("SmallAgent")
        );
        assert_eq!(could(json!({"Fn::Join": ["-", ["Small", "Agent"]]})), None);
        assert_eq!(
            could(json!({"Fn::If": ["C", "Bucket", {"Fn::Sub": "Build${X}"}]})),
            Some("Builder")
        );
        // A pseudo parameter holding more than letters and digits names no resource.
        assert_eq!(could(json!({"Ref": "AWS::Region"})), None);
        assert_eq!(
            could(json!({"Fn::Sub": "${AWS::Region}Agent"})),
            Some("SmallAgent")
        );
        // A value only a deploy knows could be any name.
        assert_eq!(could(json!({"Fn::ImportValue": "x"})), Some("SmallAgent"));
    }

    #[test]
    fn for_each_identifiers_in_a_name_are_holes() {
        assert_eq!(
            placeholder_could_name("${Queue}Agent", &IDS),
            Some("SmallAgent")
        );
        assert_eq!(
            placeholder_could_name("&{Queue}Agent", &IDS),
            Some("SmallAgent")
        );
        assert_eq!(placeholder_could_name("${Queue}Topic", &IDS), None);
        // A name without one is a name: rewritten, or left alone, as written.
        assert_eq!(placeholder_could_name("SmallAgent", &IDS), None);
        assert_eq!(
            composed_sub_variables("${${Queue}Agent.Family} ${AWS::Region} ${!Literal} ${X}"),
            vec!["${Queue}Agent"]
        );
    }
}
