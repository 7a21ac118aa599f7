//! The properties every Buildkite resource of the template shares: `Globals.TaskDefinition`,
//! or, where the SAM CLI checks `Globals` itself and refuses that section, the same under the
//! template's `Metadata` as `Buildkite::TaskDefinitionGlobals`.

use serde_json::{Map, Value};

use crate::properties::declarations::{ListShape, Shape, declaration};
use crate::properties::reader::{PropertyInput, Sourced};
use crate::properties::unknown_property_message;
use crate::template::place::Place;
use crate::template::problems::{Problems, nearest};

pub const GLOBALS_PATH: &str = "Globals.TaskDefinition";

/// The template `Metadata` key that holds the shared properties in a SAM CLI project: `sam
/// build`, `sam package` and `sam validate` refuse `Globals.TaskDefinition`, whatever the
/// Transform order, and pass `Metadata` through (docs/sam-cli.md).
pub const METADATA_GLOBALS_KEY: &str = "Buildkite::TaskDefinitionGlobals";
pub const METADATA_GLOBALS_PATH: &str = "Metadata.Buildkite::TaskDefinitionGlobals";

/// The shared properties as written and where: `Globals.TaskDefinition`, else the `Metadata`
/// entry (a template giving both is refused by [`check_globals_sections`]).
pub fn shared_properties(root: &Map<String, Value>) -> Option<(&'static str, &Value)> {
    if let Some(globals) = root
        .get("Globals")
        .and_then(|globals| globals.get("TaskDefinition"))
    {
        return Some((GLOBALS_PATH, globals));
    }
    let entry = root.get("Metadata")?.get(METADATA_GLOBALS_KEY)?;
    Some((METADATA_GLOBALS_PATH, entry))
}

/// Removes the shared properties, and `Globals` or `Metadata` if that leaves it empty, so
/// that a later `AWS::Serverless-2016-10-31` sees only the globals it knows.
pub fn remove_shared_properties(root: &mut Map<String, Value>) {
    for (section, key) in [
        ("Globals", "TaskDefinition"),
        ("Metadata", METADATA_GLOBALS_KEY),
    ] {
        let Some(Value::Object(members)) = root.get_mut(section) else {
            continue;
        };
        if members.shift_remove(key).is_some() && members.is_empty() {
            root.shift_remove(section);
        }
    }
}

/// The `Globals` sections SAM reads (its guide's "Globals section of the AWS SAM template",
/// and `LayerVersion` and `WebSocketApi`, which SAM CLI 1.170 lists): they pass through for a
/// SAM after the macro.
const SAM_GLOBALS_SECTIONS: [&str; 11] = [
    "Api",
    "CapacityProvider",
    "Function",
    "HttpApi",
    "LayerVersion",
    "MicrovmImage",
    "NetworkConnector",
    "SimpleTable",
    "StateMachine",
    "WebFunction",
    "WebSocketApi",
];

/// Refuses a `Globals` section whose name is a near miss of `TaskDefinition`
/// (`TaskDefinitions`): nothing would read it, so its properties would silently apply to no
/// resource. Every other section is left for SAM, which knows its own.
pub fn check_globals_sections(root: &Map<String, Value>, problems: &mut Problems) {
    let in_metadata = root
        .get("Metadata")
        .and_then(|metadata| metadata.get(METADATA_GLOBALS_KEY));
    let Some(Value::Object(sections)) = root.get("Globals") else {
        return;
    };
    if let Some(in_metadata) = in_metadata
        && sections.contains_key("TaskDefinition")
    {
        // Globals.TaskDefinition is the one read; the other's own problems are named too.
        check_globals(in_metadata, METADATA_GLOBALS_PATH, problems);
        problems.push(
            METADATA_GLOBALS_PATH,
            format!("gives the shared properties a second time, beside {GLOBALS_PATH}: write them in one place ({METADATA_GLOBALS_PATH} where the SAM CLI builds the template, which refuses {GLOBALS_PATH})"),
        );
    }
    const SECTION: &str = "TaskDefinition";
    for name in sections.keys() {
        if name == SECTION || SAM_GLOBALS_SECTIONS.contains(&name.as_str()) {
            continue;
        }
        if nearest(name, &[SECTION]).is_some() {
            problems.push(
                format!("Globals.{name}"),
                format!("is not a section the macro reads, so its properties would apply to no resource; did you mean {SECTION}?"),
            );
        }
    }
}

/// Checks the globals section itself: an object of known properties, each one its
/// declaration lets be global (not `TaskFamily`: a family belongs to one task definition).
/// The known keys still apply when another is refused, so that their values are checked in
/// the same round and no resource is told it lacks what the globals give it.
pub fn check_globals<'a>(
    globals: &'a Value,
    globals_path: &str,
    problems: &mut Problems,
) -> Option<&'a Map<String, Value>> {
    let Some(properties) = globals.as_object() else {
        problems.push(globals_path, "must be an object of resource properties");
        return None;
    };
    for name in properties.keys() {
        let path = format!("{globals_path}.{name}");
        match declaration(name) {
            Some(property) if property.global => {}
            Some(_) => {
                problems.push(
                    path,
                    "cannot be global: each task definition needs its own family",
                );
            }
            None => {
                problems.push(path, unknown_property_message(name));
            }
        }
    }
    Some(properties)
}

/// The properties of one resource with the globals applied: the resource's own value
/// wins, and the merged lists keep the global entries first, an entry of the resource
/// replacing the global entry of the same name in its place.
pub fn apply_globals<'a>(
    own: &'a Map<String, Value>,
    own_path: &'a str,
    globals: Option<&'a Map<String, Value>>,
    globals_path: &'static str,
) -> Vec<(&'a str, PropertyInput<'a>)> {
    let mut inputs: Vec<(&'a str, PropertyInput<'a>)> = Vec::with_capacity(own.len());
    let single =
        |value: &'a Value, place: Place<'a>| PropertyInput::Single(Sourced { value, place });
    for (name, value) in globals.into_iter().flatten() {
        let global = declaration(name).is_some_and(|property| property.global);
        if !global || own.contains_key(name) && merge_key(name).is_none() {
            continue;
        }
        inputs.push((
            name.as_str(),
            single(value, Place::member(globals_path, name)),
        ));
    }
    for (name, value) in own {
        let place = Place::member(own_path, name);
        let global = inputs.iter_mut().find(|(key, _)| *key == name);
        match global {
            Some((_, input)) => {
                let merged = merge_key(name)
                    .and_then(|key| merge_entries(input, value, place, key, globals_path));
                *input = merged.unwrap_or_else(|| single(value, place));
            }
            None => inputs.push((name.as_str(), single(value, place))),
        }
    }
    inputs
}

/// The key by which a list property's global and own entries merge, if it merges.
fn merge_key(name: &str) -> Option<&'static str> {
    match declaration(name)?.shape {
        Shape::List(ListShape { merge_key, .. }) => merge_key,
        _ => None,
    }
}

/// Both sides must be literal lists to merge; otherwise the resource's value wins.
fn merge_entries<'a>(
    global: &PropertyInput<'a>,
    own: &'a Value,
    own_place: Place<'a>,
    key: &str,
    globals_path: &str,
) -> Option<PropertyInput<'a>> {
    let PropertyInput::Single(Sourced {
        value: Value::Array(global_entries),
        place: global_place,
    }) = global
    else {
        return None;
    };
    let Value::Array(own_entries) = own else {
        return None;
    };
    let entry_name = |entry: &Value| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut entries: Vec<Sourced<'a>> = global_entries
        .iter()
        .enumerate()
        .map(|(index, value)| Sourced {
            value,
            place: global_place.index(index),
        })
        .collect();
    for (index, value) in own_entries.iter().enumerate() {
        let sourced = Sourced {
            value,
            place: own_place.index(index),
        };
        let replaced = entry_name(value).and_then(|name| {
            entries.iter().position(|entry| {
                entry.place.starts_at(globals_path)
                    && entry_name(entry.value).as_deref() == Some(name.as_str())
            })
        });
        match replaced {
            Some(position) => entries[position] = sourced,
            None => entries.push(sourced),
        }
    }
    Some(PropertyInput::Entries {
        place: own_place,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_metadata_entry_is_read_when_there_are_no_globals_and_removed_alone() {
        let mut root = json!({
            "Metadata": {"Buildkite::TaskDefinitionGlobals": {"TaskCpu": 512}, "Owner": "ci"},
            "Globals": {"Function": {"Timeout": 10}}
        });
        let root = root.as_object_mut().unwrap();
        let (path, shared) = shared_properties(root).unwrap();
        assert_eq!(
            (path, shared),
            (METADATA_GLOBALS_PATH, &json!({"TaskCpu": 512}))
        );
        remove_shared_properties(root);
        assert_eq!(
            Value::Object(root.clone()),
            json!({"Metadata": {"Owner": "ci"}, "Globals": {"Function": {"Timeout": 10}}})
        );
        let mut both = json!({
            "Metadata": {"Buildkite::TaskDefinitionGlobals": {}},
            "Globals": {"TaskDefinition": {"TaskCpu": 1024}}
        });
        let both = both.as_object_mut().unwrap();
        assert_eq!(shared_properties(both).unwrap().0, GLOBALS_PATH);
        remove_shared_properties(both);
        assert!(both.is_empty(), "{both:?}");
    }

    fn applied(own: Value, globals: Value) -> Vec<(String, Value, Vec<String>)> {
        let own = own.as_object().unwrap().clone();
        let globals = globals.as_object().unwrap().clone();
        apply_globals(&own, "Resources.A.Properties", Some(&globals), GLOBALS_PATH)
            .into_iter()
            .map(|(name, input)| match input {
                PropertyInput::Single(s) => {
                    (name.to_owned(), s.value.clone(), vec![s.place.to_string()])
                }
                PropertyInput::Entries { entries, .. } => (
                    name.to_owned(),
                    Value::Array(entries.iter().map(|e| e.value.clone()).collect()),
                    entries.iter().map(|e| e.place.to_string()).collect(),
                ),
            })
            .collect()
    }

    #[test]
    fn the_resource_value_wins_and_globals_fill_the_rest() {
        let merged = applied(
            json!({"TaskCpu": 1024, "Image": "own"}),
            json!({"TaskCpu": 512, "TaskMemory": 2048}),
        );
        assert_eq!(
            merged[0],
            (
                "TaskMemory".into(),
                json!(2048),
                vec!["Globals.TaskDefinition.TaskMemory".into()]
            )
        );
        assert_eq!(
            merged[1],
            (
                "TaskCpu".into(),
                json!(1024),
                vec!["Resources.A.Properties.TaskCpu".into()]
            )
        );
        assert_eq!(merged[2].0, "Image");
    }

    #[test]
    fn lists_merge_globals_first_with_same_named_entries_replaced_in_place() {
        let merged = applied(
            json!({"Environment": [{"Name": "B", "Value": "own"}, {"Name": "C", "Value": "own"}]}),
            json!({"Environment": [{"Name": "A", "Value": "g"}, {"Name": "B", "Value": "g"}]}),
        );
        assert_eq!(
            merged[0].1,
            json!([{"Name": "A", "Value": "g"}, {"Name": "B", "Value": "own"}, {"Name": "C", "Value": "own"}])
        );
        assert_eq!(
            merged[0].2,
            vec![
                "Globals.TaskDefinition.Environment[0]".to_owned(),
                "Resources.A.Properties.Environment[0]".to_owned(),
                "Resources.A.Properties.Environment[1]".to_owned(),
            ]
        );
    }

    #[test]
    fn tags_merge_by_key_and_a_non_list_resource_value_wins() {
        let merged = applied(
            json!({"Tags": [{"Key": "team", "Value": "ci"}], "Secrets": {"Ref": "X"}}),
            json!({"Tags": [{"Key": "team", "Value": "g"}, {"Key": "cost", "Value": "1"}], "Secrets": [{"Name": "A", "ValueFrom": "a"}]}),
        );
        assert_eq!(
            merged[0].1,
            json!([{"Key": "team", "Value": "ci"}, {"Key": "cost", "Value": "1"}])
        );
        assert_eq!(merged[1].1, json!({"Ref": "X"}));
    }

    #[test]
    fn services_and_volumes_merge_by_name_as_declared_and_policies_are_replaced_whole() {
        let merged = applied(
            json!({
                "Services": [{"Name": "db", "Image": "postgres:17"}],
                "Volumes": [{"Name": "npm", "FileSystemId": "fs-2", "ContainerPath": "/npm"}],
                "TaskRolePolicies": [{"PolicyName": "own"}]
            }),
            json!({
                "Services": [{"Name": "db", "Image": "postgres:16"}, {"Name": "redis", "Image": "redis:7"}],
                "Volumes": [{"Name": "cache", "FileSystemId": "fs-1", "ContainerPath": "/cache"}],
                "TaskRolePolicies": [{"PolicyName": "global"}]
            }),
        );
        assert_eq!(
            merged[0].1,
            json!([{"Name": "db", "Image": "postgres:17"}, {"Name": "redis", "Image": "redis:7"}])
        );
        assert_eq!(
            merged[1].1,
            json!([{"Name": "cache", "FileSystemId": "fs-1", "ContainerPath": "/cache"},
                   {"Name": "npm", "FileSystemId": "fs-2", "ContainerPath": "/npm"}])
        );
        assert_eq!(merged[2].1, json!([{"PolicyName": "own"}]));
        assert_eq!(
            merged[2].2,
            vec!["Resources.A.Properties.TaskRolePolicies".to_owned()]
        );
    }

    #[test]
    fn a_near_miss_of_the_section_is_refused_and_sam_sections_pass() {
        let mut problems = Problems::new();
        let root = json!({"Globals": {
            "TaskDefinitions": {}, "taskdefinition": {}, "TaskDefintion": {},
            "TaskDefinition": {}, "Function": {}, "Api": {}, "HttpApi": {}, "SimpleTable": {},
            "StateMachine": {}, "LayerVersion": {}, "CapacityProvider": {}, "Task": {}
        }});
        check_globals_sections(root.as_object().unwrap(), &mut problems);
        let places: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            places,
            [
                "Globals.TaskDefinitions",
                "Globals.taskdefinition",
                "Globals.TaskDefintion"
            ]
        );
        assert!(
            problems
                .to_string()
                .contains("did you mean TaskDefinition?"),
            "{problems}"
        );
    }

    #[test]
    fn globals_may_not_set_a_family_or_unknown_properties() {
        let mut problems = Problems::new();
        let globals = json!({"TaskFamily": "x", "TaskMemroy": 1, "TaskCpu": 512});
        // The known keys still apply: their values are checked in the same round.
        assert!(check_globals(&globals, GLOBALS_PATH, &mut problems).is_some());
        let text = problems.to_string();
        assert!(
            text.contains("Globals.TaskDefinition.TaskFamily: cannot be global"),
            "{text}"
        );
        assert!(
            text.contains(
                "Globals.TaskDefinition.TaskMemroy: unknown property; did you mean TaskMemory?"
            ),
            "{text}"
        );
    }
}
