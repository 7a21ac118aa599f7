//! Reading templates (JSON, or YAML with CloudFormation's short-form tags) into the long JSON form
//! CloudFormation sends a macro, and writing a template back as YAML that reads the same way.

use serde_json::{Map, Number, Value};
use serde_yaml::value::{Tag, TaggedValue};
use thiserror::Error;

use crate::problems::push_index;

/// Why a template file could not be read. Messages name the place and never quote the content.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateReadError {
    #[error("the template is not valid JSON: {0}")]
    Json(String),
    #[error("the template is not valid YAML: {0}")]
    Yaml(String),
    #[error("{path}: unknown tag !{tag}; CloudFormation knows {known}")]
    UnknownTag {
        path: String,
        tag: String,
        known: String,
    },
    #[error("{path}: !{tag} {expected}")]
    TagShape {
        path: String,
        tag: &'static str,
        expected: &'static str,
    },
    #[error("{path}: mapping keys must be strings")]
    NonStringKey { path: String },
    #[error("{path}: numbers must be finite")]
    NonFiniteNumber { path: String },
    #[error("the template must be a mapping at the top level")]
    NotAMapping,
}

/// Short-form tags and the long form each becomes (`!GetAtt` is handled apart: `A.B` splits).
const FUNCTION_TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("ForEach", "Fn::ForEach"),
];

/// Reads a template. JSON is read as JSON (it is also YAML, but the JSON reader is faster and keeps
/// its exact numbers); anything else is read as YAML.
pub fn parse_template(text: &str) -> Result<Value, TemplateReadError> {
    let template = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|error| TemplateReadError::Json(error.to_string()))?
    } else {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text)
            .map_err(|error| TemplateReadError::Yaml(yaml_error_text(&error)))?;
        yaml_to_json(yaml, &mut String::new())?
    };
    if template.is_object() {
        Ok(template)
    } else {
        Err(TemplateReadError::NotAMapping)
    }
}

/// serde_yaml's message with its location, but not the text it failed on.
fn yaml_error_text(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    match error.location() {
        Some(location) if !message.contains("line") => {
            format!(
                "{message} at line {} column {}",
                location.line(),
                location.column()
            )
        }
        _ => message,
    }
}

fn yaml_to_json(yaml: serde_yaml::Value, path: &mut String) -> Result<Value, TemplateReadError> {
    use serde_yaml::Value as Yaml;
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::Bool(flag),
        Yaml::Number(number) => yaml_number(&number, path)?,
        Yaml::String(text) => Value::String(text),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let length = path.len();
                push_index(path, index);
                out.push(yaml_to_json(item, path)?);
                path.truncate(length);
            }
            Value::Array(out)
        }
        Yaml::Mapping(mapping) => {
            let mut out = Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(key) => key,
                    Yaml::Number(number) => number.to_string(),
                    Yaml::Bool(flag) => flag.to_string(),
                    _ => {
                        return Err(TemplateReadError::NonStringKey {
                            path: display_path(path),
                        });
                    }
                };
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                let value = yaml_to_json(value, path)?;
                path.truncate(length);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => tagged_to_json(*tagged, path)?,
    })
}

fn yaml_number(number: &serde_yaml::Number, path: &str) -> Result<Value, TemplateReadError> {
    if let Some(integer) = number.as_i64() {
        return Ok(Value::Number(integer.into()));
    }
    if let Some(integer) = number.as_u64() {
        return Ok(Value::Number(integer.into()));
    }
    number
        .as_f64()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| TemplateReadError::NonFiniteNumber {
            path: display_path(path),
        })
}

fn tagged_to_json(tagged: TaggedValue, path: &mut String) -> Result<Value, TemplateReadError> {
    let TaggedValue { tag, value } = tagged;
    let name = tag_name(&tag);
    let Some(&(short, long)) = FUNCTION_TAGS.iter().find(|(short, _)| *short == name) else {
        return Err(TemplateReadError::UnknownTag {
            path: display_path(path),
            tag: name,
            known: FUNCTION_TAGS
                .iter()
                .map(|(short, _)| format!("!{short}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let length = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(long);
    let argument = if short == "GetAtt" {
        get_att_argument(value, path)?
    } else {
        yaml_to_json(value, path)?
    };
    path.truncate(length);
    let mut call = Map::with_capacity(1);
    call.insert(long.to_owned(), argument);
    Ok(Value::Object(call))
}

/// `!GetAtt Resource.Attribute` becomes `[Resource, Attribute]`, split at the first dot (attribute
/// names such as `Endpoint.Address` keep theirs); the list form is kept as written.
fn get_att_argument(
    value: serde_yaml::Value,
    path: &mut String,
) -> Result<Value, TemplateReadError> {
    match value {
        serde_yaml::Value::String(text) => match text.split_once('.') {
            Some((resource, attribute)) if !resource.is_empty() && !attribute.is_empty() => {
                Ok(Value::Array(vec![resource.into(), attribute.into()]))
            }
            _ => Err(TemplateReadError::TagShape {
                path: display_path(path),
                tag: "GetAtt",
                expected: "takes Resource.Attribute or a list [Resource, Attribute]",
            }),
        },
        other => yaml_to_json(other, path),
    }
}

fn tag_name(tag: &Tag) -> String {
    let text = tag.to_string();
    text.strip_prefix('!').unwrap_or(&text).to_owned()
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(top level)".to_owned()
    } else {
        path.to_owned()
    }
}

/// Writes a template as YAML in long form. Strings that a YAML 1.1 reader (cfn-lint, PyYAML) would
/// take for something else (`yes`, `2010-09-09`, `0755`, `1_000`, `1:20`) are quoted.
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
                out.push_str(&scalar_string(key));
                out.push(':');
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
                            out.push_str(&scalar_string(key));
                            out.push(':');
                            write_after_key(first, indent + 2, out);
                        }
                        for (key, rest) in entries {
                            push_indent(indent + 2, out);
                            out.push_str(&scalar_string(key));
                            out.push(':');
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

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty list or mapping, on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar_string(text),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain YAML scalar when every YAML 1.1 and 1.2 reader takes it back as that same
/// string, else double-quoted with JSON escapes (a JSON string is a valid YAML double-quoted scalar).
fn scalar_string(text: &str) -> String {
    if is_safe_plain(text) {
        text.to_owned()
    } else {
        Value::String(text.to_owned()).to_string()
    }
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

/// True when a YAML 1.1 or 1.2 reader could resolve `text` to null, a boolean, a number or a date.
fn looks_like_other_scalar(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".nan", ".inf", "-.inf",
        "+.inf",
    ];
    let lower = text.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    // Anything that starts like a number (digits, sign, dot) is quoted: this covers integers,
    // floats, octal, hex, binary, `1_000`, sexagesimal `1:20` and dates, at the cost of quoting a few
    // strings that did not need it.
    let first = text.as_bytes()[0];
    first.is_ascii_digit()
        || ((first == b'+' || first == b'-' || first == b'.')
            && text.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_tags_become_long_form() {
        let text = r#"
Resources:
  A:
    Properties:
      Ref: !Ref Name
      Att: !GetAtt Db.Endpoint.Address
      AttList: !GetAtt [Db, Arn]
      Sub: !Sub "${AWS::Region}-x"
      SubList: !Sub ["${A}", {A: !Ref B}]
      Join: !Join [",", [a, b]]
      Select: !Select [0, !GetAZs ""]
      Split: !Split [",", "a,b"]
      If: !If [Cond, !Ref "AWS::NoValue", x]
      Cond: !And [!Equals [a, b], !Not [!Condition Other], !Or [!Condition C1, !Condition C2]]
      Map: !FindInMap [M, K, V]
      Import: !ImportValue Exported
      B64: !Base64 text
      Cidr: !Cidr [10.0.0.0/16, 4, 8]
      Tx: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"#;
        let template = parse_template(text).unwrap();
        let properties = &template["Resources"]["A"]["Properties"];
        assert_eq!(properties["Ref"], json!({"Ref": "Name"}));
        assert_eq!(
            properties["Att"],
            json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
        assert_eq!(properties["AttList"], json!({"Fn::GetAtt": ["Db", "Arn"]}));
        assert_eq!(properties["Sub"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(
            properties["SubList"],
            json!({"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]})
        );
        assert_eq!(properties["Join"], json!({"Fn::Join": [",", ["a", "b"]]}));
        assert_eq!(
            properties["Select"],
            json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(properties["Split"], json!({"Fn::Split": [",", "a,b"]}));
        assert_eq!(
            properties["If"],
            json!({"Fn::If": ["Cond", {"Ref": "AWS::NoValue"}, "x"]})
        );
        assert_eq!(
            properties["Cond"],
            json!({"Fn::And": [
                {"Fn::Equals": ["a", "b"]},
                {"Fn::Not": [{"Condition": "Other"}]},
                {"Fn::Or": [{"Condition": "C1"}, {"Condition": "C2"}]}
            ]})
        );
        assert_eq!(properties["Map"], json!({"Fn::FindInMap": ["M", "K", "V"]}));
        assert_eq!(properties["Import"], json!({"Fn::ImportValue": "Exported"}));
        assert_eq!(properties["B64"], json!({"Fn::Base64": "text"}));
        assert_eq!(
            properties["Cidr"],
            json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]})
        );
        assert_eq!(
            properties["Tx"],
            json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}})
        );
    }

    #[test]
    fn quoted_numbers_and_dates_stay_strings() {
        let template =
            parse_template("AWSTemplateFormatVersion: '2010-09-09'\nA: \"1\"\nB: 1\nC: 0.5\n")
                .unwrap();
        assert_eq!(
            template,
            json!({"AWSTemplateFormatVersion": "2010-09-09", "A": "1", "B": 1, "C": 0.5})
        );
    }

    #[test]
    fn json_is_read_as_json_keeping_key_order() {
        let template = parse_template(r#"{"Z": 1, "A": {"Ref": "X"}}"#).unwrap();
        let keys: Vec<_> = template.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Z", "A"]);
    }

    #[test]
    fn unknown_tag_and_bad_getatt_name_the_place() {
        let error = parse_template("Resources:\n  A:\n    Properties:\n      X: !Reff Y\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("Resources.A.Properties.X: unknown tag !Reff"),
            "{error}"
        );
        let error = parse_template("Outputs:\n  O:\n    Value: !GetAtt NoDot\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "Outputs.O.Value.Fn::GetAtt: !GetAtt takes Resource.Attribute or a list [Resource, Attribute]"
        );
    }

    #[test]
    fn yaml_errors_do_not_quote_the_template() {
        let error = parse_template("A: [unclosed-secret-value\n")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("unclosed-secret-value"), "{error}");
        assert!(error.contains("line"), "{error}");
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        assert_eq!(
            parse_template("- a\n- b\n"),
            Err(TemplateReadError::NotAMapping)
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted_and_read_back_the_same() {
        let strings = [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "null",
            "~",
            "",
            "2010-09-09",
            "0755",
            "1_000",
            "1:20",
            "0x1F",
            "1e3",
            ".5",
            "-1",
            "+1",
            ".inf",
            "true",
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
        ];
        for text in strings {
            let written = scalar_string(text);
            assert_ne!(written, text, "{text:?} must be quoted");
            let read_back: serde_yaml::Value = serde_yaml::from_str(&written).unwrap();
            assert_eq!(
                read_back,
                serde_yaml::Value::String(text.into()),
                "{written}"
            );
        }
        for text in [
            "buildkite/agent:3",
            "arn:aws:iam::aws:policy/X",
            "/ci/token",
            "awslogs",
        ] {
            assert_eq!(scalar_string(text), text);
        }
    }

    #[test]
    fn written_yaml_reads_back_to_the_same_template() {
        let template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "A": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "Cpu": "1024",
                        "Empty": [],
                        "EmptyMap": {},
                        "Nested": [[1, 2], [], {"K": "v", "L": [true, null]}],
                        "Containers": [{"Name": "agent", "Environment": [{"Name": "X", "Value": "yes"}]}],
                        "Sub": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}"}
                    }
                }
            }
        });
        let written = to_yaml_string(&template);
        assert_eq!(parse_template(&written).unwrap(), template, "{written}");
    }
}
