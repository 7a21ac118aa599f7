//! The JSON Schema (draft-07) of `Buildkite::ECS::TaskDefinition`'s properties and of
//! `Globals.TaskDefinition`, generated from the property table: a property declared in
//! [`PROPERTIES`] is in the schema with its description, type, default, enum, range and
//! pattern. Two documents come from it:
//!
//! - [`resource_schema`]: the resource's `Properties`, for cfn-lint and any JSON Schema
//!   validator, which see an intrinsic function in its long form (`{"Ref": "X"}`);
//! - [`template_schema`]: a whole CloudFormation template, for the YAML language server in an
//!   editor: it checks the Buildkite resources and `Globals.TaskDefinition` and leaves every
//!   other resource alone.
//!
//! A schema is a first check, never the last word: the macro's checks refuse more (a
//! partition other than the stack's, a parameter's value, a value from `Globals`).

use serde_json::{Map, Value, json};

use crate::expand::composition::RESOURCE_TYPES;
use crate::properties::declarations::{
    EntryShape, ListShape, PROPERTIES, PropertyDeclaration, PropertyDefault, Shape, declaration,
};
use crate::properties::fargate;
use crate::properties::value_limits::ValueLimits;

const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";
const INTRINSIC: &str = "#/definitions/Intrinsic";

/// How the schema's reader sees an intrinsic function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntrinsicForm {
    /// `{"Ref": "X"}`, `{"Fn::Sub": ...}`: CloudFormation's JSON and cfn-lint's decoder.
    LongForm,
    /// Also a plain string or list: the YAML language server checks a short-form tag's value
    /// (`!Ref X`, `!If [C, a, b]`) as the scalar or sequence it tags.
    AsEditorsSeeIt,
}

/// The schema of a resource's `Properties`; `definitions` holds `Globals` (of
/// `Globals.TaskDefinition`), `Type` (the resource types), `Required` (what a resource must set
/// unless `Globals.TaskDefinition` does) and `Intrinsic`.
pub fn resource_schema() -> Value {
    let mut document = Map::new();
    document.insert("$schema".into(), json!(DRAFT_07));
    document.insert(
        "title".into(),
        json!("Properties of Buildkite::ECS::TaskDefinition"),
    );
    document.insert(
        "description".into(),
        json!(format!(
            "The Properties of a {} resource, as the buildkite-ecs-macro CloudFormation macro reads them, with intrinsic functions in their long JSON form. `definitions.Globals` is `Globals.TaskDefinition`; `definitions.Required` lists what a resource must set unless `Globals.TaskDefinition` sets it. Generated from the property table by `buildkite-ecs-macro schema`.",
            RESOURCE_TYPES.join(" or ")
        )),
    );
    let Value::Object(properties) = properties_schema() else {
        unreachable!("a schema of an object")
    };
    document.extend(properties);
    document.insert(
        "definitions".into(),
        json!({
            "Type": {"enum": RESOURCE_TYPES},
            "Globals": globals_schema(),
            "Required": {"required": required_names()},
            "Intrinsic": intrinsic_schema(IntrinsicForm::LongForm),
        }),
    );
    Value::Object(document)
}

/// The schema of a CloudFormation template that uses the macro: its Buildkite resources'
/// `Properties` and its `Globals.TaskDefinition` are checked, nothing else.
pub fn template_schema() -> Value {
    let is_buildkite = json!({
        "type": "object",
        "properties": {"Type": {"enum": RESOURCE_TYPES}},
        "required": ["Type"],
    });
    let required_unless_global: Vec<Value> = required_names()
        .into_iter()
        .map(|name| {
            json!({
                "if": {
                    "properties": {"Globals": {
                        "properties": {"TaskDefinition": {"required": [name]}},
                        "required": ["TaskDefinition"],
                    }},
                    "required": ["Globals"],
                },
                "else": {"properties": {"Resources": {"additionalProperties": {
                    "if": is_buildkite,
                    "then": {
                        "required": ["Properties"],
                        "properties": {"Properties": {"required": [name]}},
                    },
                }}}},
            })
        })
        .collect();
    json!({
        "$schema": DRAFT_07,
        "title": "CloudFormation template using buildkite-ecs-macro",
        "description": format!(
            "Checks the {} resources and Globals.TaskDefinition of a CloudFormation template; every other resource and section is left alone. For an editor's YAML language server, which sees a short-form tag (!Ref, !Sub, !If, ...) as the string or list it tags, so any string or list passes where a function may stand. Generated from the property table by `buildkite-ecs-macro schema --template`.",
            RESOURCE_TYPES.join(" and ")
        ),
        "type": "object",
        "properties": {
            "Resources": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/Resource"},
            },
            "Globals": {
                "type": "object",
                "properties": {"TaskDefinition": {"$ref": "#/definitions/Globals"}},
            },
        },
        "allOf": required_unless_global,
        "definitions": {
            "Resource": {
                "properties": {"Type": {
                    "if": {"type": "string", "pattern": "^Buildkite::"},
                    "then": {
                        "description": "A type the macro expands",
                        "enum": RESOURCE_TYPES,
                    },
                }},
                "if": is_buildkite,
                "then": {"properties": {"Properties": {"$ref": "#/definitions/Properties"}}},
            },
            "Properties": properties_schema(),
            "Globals": globals_schema(),
            "Intrinsic": intrinsic_schema(IntrinsicForm::AsEditorsSeeIt),
        },
    })
}

/// The names a resource must set unless `Globals.TaskDefinition` does.
fn required_names() -> Vec<&'static str> {
    PROPERTIES
        .iter()
        .filter(|property| matches!(property.default, PropertyDefault::Required))
        .map(|property| property.name)
        .collect()
}

fn properties_schema() -> Value {
    object_of(PROPERTIES.iter())
}

fn globals_schema() -> Value {
    let mut schema = object_of(PROPERTIES.iter().filter(|property| property.global));
    schema["description"] = json!(
        "Properties set for every Buildkite resource of the template (all but TaskFamily); a resource's own value wins, and the lists merge by Name or Key, the global entries first"
    );
    schema
}

fn object_of<'a>(properties: impl Iterator<Item = &'a PropertyDeclaration>) -> Value {
    let properties: Map<String, Value> = properties
        .map(|property| (property.name.to_owned(), property_schema(property)))
        .collect();
    let pairs = fargate_pairs();
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !pairs.is_empty() {
        schema["allOf"] = Value::Array(pairs);
    }
    schema
}

fn property_schema(property: &PropertyDeclaration) -> Value {
    let mut schema = Map::new();
    let mut description = property.meaning.to_owned();
    description.push_str(&format!(". Default: {}.", property.default_text()));
    if !property.global {
        description.push_str(" Not in Globals.TaskDefinition.");
    }
    schema.insert("description".into(), json!(description));
    if let Some(default) = default_value(property.default) {
        schema.insert("default".into(), default);
    }
    let required = matches!(property.default, PropertyDefault::Required);
    let alternatives = match property.shape {
        Shape::Text(_) => vec![text_schema(property.limits, required), intrinsic()],
        Shape::WholeNumber(_) => {
            let (number, digits) = number_schemas(property.limits);
            vec![number, digits, intrinsic()]
        }
        Shape::Boolean => vec![
            json!({"type": "boolean"}),
            json!({"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}),
            intrinsic(),
        ],
        Shape::List(ListShape { entry, .. }) => vec![
            json!({"type": "array", "items": {"anyOf": [entry_schema(entry), intrinsic()]}}),
            // A function that gives the list, not a list: a list is checked entry by entry.
            json!({"allOf": [intrinsic(), {"not": {"type": "array"}}]}),
        ],
    };
    schema.insert("anyOf".into(), Value::Array(alternatives));
    Value::Object(schema)
}

fn intrinsic() -> Value {
    json!({"$ref": INTRINSIC})
}

fn default_value(default: PropertyDefault) -> Option<Value> {
    match default {
        PropertyDefault::Text(text) => Some(json!(text)),
        PropertyDefault::Number(number) => Some(json!(number)),
        PropertyDefault::Boolean(flag) => Some(json!(flag)),
        PropertyDefault::EmptyList => Some(json!([])),
        PropertyDefault::Required
        | PropertyDefault::Absent
        | PropertyDefault::Computed(_)
        | PropertyDefault::FirstReleaseParameter { .. } => None,
    }
}

/// A literal string; `""` means absent for an optional property.
fn text_schema(limits: ValueLimits, required: bool) -> Value {
    let mut schema = json!({"type": "string"});
    match limits {
        ValueLimits::OneOf(texts) => {
            let mut texts: Vec<&str> = texts.to_vec();
            if !required {
                texts.push("");
            }
            schema["enum"] = json!(texts);
        }
        ValueLimits::Pattern(pattern) if required => schema["pattern"] = json!(pattern),
        ValueLimits::Pattern(pattern) => schema["pattern"] = json!(format!("^$|{pattern}")),
        _ if required => schema["minLength"] = json!(1),
        _ => {}
    }
    schema
}

/// A literal whole number, and a string of digits.
fn number_schemas(limits: ValueLimits) -> (Value, Value) {
    let mut number = json!({"type": "integer", "minimum": 0});
    let mut digits = json!({"type": "string", "pattern": "^[0-9]+$"});
    if let Some(listed) = limits.listed_numbers() {
        number["enum"] = json!(listed);
        digits["enum"] = json!(listed.iter().map(u64::to_string).collect::<Vec<_>>());
    } else if let ValueLimits::Range { min, max } = limits {
        number["minimum"] = json!(min);
        number["maximum"] = json!(max);
    }
    (number, digits)
}

fn entry_schema(entry: EntryShape) -> Value {
    match entry {
        EntryShape::Text => json!({"type": "string"}),
        EntryShape::Object { required, .. } => {
            let keys: Map<String, Value> = entry
                .keys()
                .into_iter()
                .map(|key| (key.to_owned(), json!({})))
                .collect();
            json!({
                "type": "object",
                "properties": keys,
                "required": required,
                "additionalProperties": false,
            })
        }
    }
}

/// The memory sizes Fargate offers for each CPU size, when a resource sets both.
fn fargate_pairs() -> Vec<Value> {
    let (Some(cpu), Some(memory)) = (declaration("TaskCpu"), declaration("TaskMemory")) else {
        return Vec::new();
    };
    let (Some(cpus), Some(memories)) =
        (cpu.limits.listed_numbers(), memory.limits.listed_numbers())
    else {
        return Vec::new();
    };
    cpus.into_iter()
        .map(|cpu_size| {
            let fitting: Vec<u64> = memories
                .iter()
                .copied()
                .filter(|memory_size| fargate::pair_problem(cpu_size, *memory_size).is_none())
                .collect();
            let texts: Vec<String> = fitting.iter().map(u64::to_string).collect();
            json!({
                "if": {
                    "properties": {cpu.name: {"enum": [cpu_size, cpu_size.to_string()]}},
                    "required": [cpu.name],
                },
                "then": {"properties": {memory.name: {
                    "description": format!("Fargate's memory sizes for {cpu_size} CPU units"),
                    "anyOf": [
                        {"type": "integer", "enum": fitting},
                        {"type": "string", "enum": texts},
                        intrinsic(),
                    ],
                }}},
            })
        })
        .collect()
}

fn intrinsic_schema(form: IntrinsicForm) -> Value {
    let long_form = json!({
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "patternProperties": {"^(Ref|Fn::[A-Za-z]+)$": {}},
        "additionalProperties": false,
    });
    let about = "An intrinsic function (Ref or Fn::...), carried into the output untouched; checks that need its value are left to the macro";
    match form {
        IntrinsicForm::LongForm => json!({"description": about, "allOf": [long_form]}),
        IntrinsicForm::AsEditorsSeeIt => json!({
            "description": format!("{about}. A short-form tag (!Ref, !Sub, !If, ...) reaches the editor's YAML language server as the string or list it tags, so any string or list passes here"),
            "anyOf": [long_form, {"type": "string"}, {"type": "array"}],
        }),
    }
}

/// A copy of a schema committed under `schema/`, and the command that prints it.
pub struct CommittedSchema {
    pub path: &'static str,
    pub generate: fn() -> Value,
    pub command: &'static str,
}

pub const COMMITTED: [CommittedSchema; 2] = [
    CommittedSchema {
        path: "schema/task-definition.schema.json",
        generate: resource_schema,
        command: "schema",
    },
    CommittedSchema {
        path: "schema/template.schema.json",
        generate: template_schema,
        command: "schema --template",
    },
];

/// A schema document as the committed files hold it: pretty JSON and a final newline.
pub fn to_text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_property_is_in_both_schemas() {
        let resource = resource_schema();
        let template = template_schema();
        for property in PROPERTIES {
            assert!(resource["properties"][property.name].is_object());
            assert!(template["definitions"]["Properties"]["properties"][property.name].is_object());
            assert_eq!(
                resource["definitions"]["Globals"]["properties"][property.name].is_object(),
                property.global,
                "{}",
                property.name
            );
        }
    }

    #[test]
    fn the_committed_schemas_are_the_declarations() {
        let root = env!("CARGO_MANIFEST_DIR");
        for CommittedSchema {
            path,
            generate,
            command,
        } in COMMITTED
        {
            let committed = std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_default();
            assert!(
                committed == to_text(&generate()),
                "{path} differs from src/properties/declarations.rs; regenerate it with\n\n    cargo run -- {command} > {path}\n"
            );
        }
    }
}
