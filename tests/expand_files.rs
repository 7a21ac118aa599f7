//! Every example expands, and every error fixture fails with a message naming the place;
//! each result is a snapshot named after its file.

use buildkite_ecs_macro::cli::{KNOWN_TRANSFORM_NAMES, drop_own_transform};
use buildkite_ecs_macro::yaml::parse_template;
use buildkite_ecs_macro::{ExpansionContext, Problems, expand};
use serde_json::Value;

fn expand_file(path: &std::path::Path) -> Result<Value, Problems> {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let mut template =
        parse_template(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    if let Value::Object(root) = &mut template {
        drop_own_transform(root, &KNOWN_TRANSFORM_NAMES);
    }
    expand(
        template,
        &ExpansionContext::new("us-east-1", "123456789012"),
    )
}

#[test]
fn examples_expand() {
    insta::glob!("../examples", "*.yaml", |path| {
        let expanded =
            expand_file(path).unwrap_or_else(|problems| panic!("{}: {problems}", path.display()));
        let text = serde_json::to_string_pretty(&expanded).unwrap();
        assert!(!text.contains("Buildkite::"), "no Buildkite type is left");
        assert_no_bare_no_value(&expanded, &mut String::new());
        insta::assert_snapshot!(text);
    });
}

/// No list holds a `{"Ref": "AWS::NoValue"}` placeholder, and no key has one for its value,
/// except as a branch of `Fn::If`.
fn assert_no_bare_no_value(value: &Value, path: &mut String) {
    let no_value = |v: &Value| v.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue");
    match value {
        Value::Object(map) if map.contains_key("Fn::If") => {
            if let Some(Value::Array(arguments)) = map.get("Fn::If") {
                for branch in arguments.iter().skip(1).filter(|b| !no_value(b)) {
                    assert_no_bare_no_value(branch, path);
                }
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                let length = path.len();
                path.push('.');
                path.push_str(key);
                assert!(!no_value(child), "a bare AWS::NoValue at {path}");
                assert_no_bare_no_value(child, path);
                path.truncate(length);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                assert!(!no_value(item), "a bare AWS::NoValue at {path}");
                assert_no_bare_no_value(item, path);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

#[test]
fn error_fixtures_fail_naming_the_place() {
    insta::glob!("fixtures", "*.yaml", |path| {
        let problems = expand_file(path).expect_err("an error fixture must not expand");
        for problem in problems.iter() {
            let root = problem.path.split(['.', '[']).next().unwrap_or_default();
            assert!(
                ["Resources", "Globals", "Outputs", "Parameters"].contains(&root),
                "{} names no place: {problem}",
                path.display()
            );
        }
        insta::assert_snapshot!(problems.to_string());
    });
}
