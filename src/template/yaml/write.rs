//! Writing a template as YAML that reads back the same: the mirror of the reader. Block style,
//! long form (`Ref:`, `Fn::GetAtt:`), and a string left plain only when the reader's own YAML 1.1
//! resolver, and a YAML 1.2 reader's core schema, both take it back as that string.

use serde_json::Value;

use super::resolve::{Plain, is_core_schema_non_string, resolve_plain};

/// Writes a template as YAML in long form. Strings that a YAML 1.1 reader (CloudFormation, cfn-lint)
/// would take for something else (`yes`, `on`, `2010-09-09`, `0755`, `1_000`, `1:20`, `<<`) are
/// quoted, and so are those a YAML 1.2 reader would (`1e3`, `0o755`).
pub fn to_yaml_string(template: &Value) -> String {
    let mut out = String::new();
    write_block(template, 0, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn write_block(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                push_indent(indent, out);
                push_key(key, indent, out);
                write_after_key(item, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                push_indent(indent, out);
                out.push('-');
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        // The first key goes on the dash line; the rest line up under it.
                        let mut entries = map.iter();
                        if let Some((key, first)) = entries.next() {
                            out.push(' ');
                            push_key(key, indent + 2, out);
                            write_after_key(first, indent + 2, out);
                        }
                        for (key, rest) in entries {
                            push_indent(indent + 2, out);
                            push_key(key, indent + 2, out);
                            write_after_key(rest, indent + 2, out);
                        }
                    }
                    Value::Array(inner) if !inner.is_empty() => {
                        out.push('\n');
                        write_block(item, indent + 2, out);
                    }
                    scalar => {
                        out.push(' ');
                        out.push_str(&inline(scalar));
                        out.push('\n');
                    }
                }
            }
        }
        scalar => {
            push_indent(indent, out);
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn write_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_block(value, indent + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_block(value, indent, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

/// `key:`, or, for a key too long to be a simple key in YAML 1.1 (1024 characters), `? key` with
/// the `:` on the next line at the same indentation.
fn push_key(key: &str, indent: usize, out: &mut String) {
    let written = scalar_string(key);
    if written.len() > 1000 {
        out.push_str("? ");
        out.push_str(&written);
        out.push('\n');
        push_indent(indent, out);
    } else {
        out.push_str(&written);
    }
    out.push(':');
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty list or mapping, on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number_text(number),
        Value::String(text) => scalar_string(text),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain YAML scalar when every YAML 1.1 and 1.2 reader takes it back as that same
/// string, else double-quoted.
fn scalar_string(text: &str) -> String {
    if is_safe_plain(text) {
        text.to_owned()
    } else {
        double_quoted(text)
    }
}

/// JSON's escapes, and more: YAML 1.1 takes U+0085, U+2028 and U+2029 for line breaks and refuses
/// DEL, the C1 controls, U+FFFE and U+FFFF written as they are.
fn double_quoted(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_safe_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.len() > 200 || text.trim() != text {
        return false;
    }
    // Indicators that change meaning at the start of a plain scalar.
    if "-?:,[]{}#&*!|>'\"%@`~".contains(first) {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
    {
        return false;
    }
    !looks_like_other_scalar(text)
}

/// True when a YAML 1.1 reader (the reader of this module) or a YAML 1.2 one could take the plain
/// scalar `text` for something other than this string.
/// `y` and `n` are booleans in the YAML 1.1 specification though not to PyYAML: quoted too.
fn looks_like_other_scalar(text: &str) -> bool {
    resolve_plain(text) != Plain::Str
        || is_core_schema_non_string(text)
        || matches!(text, "y" | "Y" | "n" | "N")
}

/// A number as both YAML 1.1 and 1.2 read it back: a float keeps a point and a signed exponent
/// (`1e16` would be a string to a YAML 1.1 reader; `1.0e+16` is a float to both).
fn number_text(number: &serde_json::Number) -> String {
    let text = number.to_string();
    if !number.is_f64() {
        return text;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text.as_str(), None),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    match exponent {
        None => mantissa,
        Some(exponent) if exponent.starts_with(['-', '+']) => format!("{mantissa}e{exponent}"),
        Some(exponent) => format!("{mantissa}e+{exponent}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::yaml::parse_template;
    use serde_json::json;

    /// What the reader makes of `text` written as a value.
    fn read_back(written: &str) -> Value {
        parse_template(&format!("K: {written}\n")).unwrap()["K"].clone()
    }

    #[test]
    fn strings_a_yaml_reader_would_take_for_something_else_are_quoted() {
        let strings = [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "N",
            "null",
            "Null",
            "~",
            "",
            "2010-09-09",
            "2001-12-14 21:59:43.10 -5",
            "0755",
            "0o755",
            "1_000",
            "1:20",
            "190:20:30.15",
            "0x1F",
            "0b101",
            "1e3",
            "1.5e+3",
            ".5",
            "1.",
            "-1",
            "+1",
            ".inf",
            "-.Inf",
            ".NaN",
            "true",
            "<<",
            "=",
            "a: b",
            "# not a comment",
            "- item",
            "tab\there",
            "line\nbreak",
            " padded",
            "*alias",
            "&anchor",
            "!tag",
            "{braces}",
            "[list]",
            "ends:",
            "%percent",
            "@at",
            "`tick",
            "nel\u{85}",
            "ls\u{2028}",
            "del\u{7f}",
            "c1\u{90}",
            "bom\u{feff}",
            "nul\u{0}",
        ];
        for text in strings {
            let written = scalar_string(text);
            assert_ne!(written, text, "{text:?} must be quoted");
            assert_eq!(read_back(&written), json!(text), "{written}");
        }
        for text in [
            "buildkite/agent:3",
            "arn:aws:iam::aws:policy/X",
            "/ci/token",
            "awslogs",
            "10.0.0.0/16",
            "ruby:3.3",
            "1.2.3",
            "v1",
            "0b",
            "1:60",
        ] {
            assert_eq!(scalar_string(text), text);
            assert_eq!(read_back(text), json!(text));
        }
    }

    #[test]
    fn numbers_are_written_as_both_yaml_versions_read_them() {
        for number in [
            json!(1),
            json!(-5),
            json!(u64::MAX),
            json!(1.5),
            json!(1500.0),
            json!(1e16),
            json!(-2.5e-7),
            json!(1e300),
        ] {
            let written = inline(&number);
            assert_eq!(read_back(&written), number, "{written}");
        }
        assert_eq!(inline(&json!(1e16)), "1.0e+16");
    }
}
