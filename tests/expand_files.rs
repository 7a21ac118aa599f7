//! Every example expands, and every error fixture fails with a message naming the place;
//! each result is a snapshot named after its file.

use buildkite_ecs_macro::shells::cli::{KNOWN_TRANSFORM_NAMES, prepare_for_expand};
use buildkite_ecs_macro::template::yaml::parse_template;
use buildkite_ecs_macro::{ExpansionContext, Problems, expand};
use serde_json::Value;

fn expand_file(path: &std::path::Path) -> Result<Value, Problems> {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let mut template =
        parse_template(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    // As `expand` does: the Transform list read, and what CloudFormation runs first.
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    if let Value::Object(root) = &mut template {
        prepare_for_expand(root, &KNOWN_TRANSFORM_NAMES, &mut context)?;
    }
    expand(template, &context)
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
                ["Resources", "Globals", "Metadata", "Outputs", "Parameters"].contains(&root),
                "{} names no place: {problem}",
                path.display()
            );
        }
        insta::assert_snapshot!(problems.to_string());
    });
}

/// The problems of a template written inline, one line each.
fn problems_of(yaml: &str) -> Vec<String> {
    let template = parse_template(yaml).expect("the test's YAML reads");
    match expand(
        template,
        &ExpansionContext::new("us-east-1", "123456789012"),
    ) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

/// Every key of an entry is checked even after another failed; only these problems hide later
/// checks, because those checks would have nothing to read: an entry that is not an object (its
/// keys), a `ValueFrom` that is empty or not a string (its grant), a health check `Command` that
/// is not a list of strings (its `CMD`/`CMD-SHELL` form), a container or volume `Name` that is
/// not written out (its uniqueness).
#[test]
fn only_a_problem_that_makes_later_checks_meaningless_hides_them() {
    let problems = problems_of(
        r#"
Resources:
  Agent:
    Type: Buildkite::ECS::TaskDefinition
    Properties:
      Image: buildkite/agent:3
      Secrets:
        - not an entry
        - {Name: "A B", ValueFrom: "", Colour: red}
      Services:
        - Name: !Ref AWS::StackName
          Image: ""
          HealthCheck:
            Command: CMD true
            Interval: 1
            Retries: 0
        - Name: !Ref AWS::StackName
          Image: redis:7
          Command: [7]
"#,
    );
    let path = "Resources.Agent.Properties";
    assert_eq!(
        problems,
        [
            format!("{path}.Secrets[0]: must be an object with Name and ValueFrom, not a string"),
            format!("{path}.Secrets[1].Colour: unknown key; expected one of Name, ValueFrom"),
            format!(
                "{path}.Secrets[1].Name: \"A B\" is not a variable name (no =, spaces or control characters)"
            ),
            format!("{path}.Secrets[1].ValueFrom: must not be empty"),
            format!(
                "{path}.Services[0].Name: must be written out, not a function or parameter: the macro refers to a container by its name"
            ),
            format!("{path}.Services[0].Image: must not be empty"),
            format!("{path}.Services[0].HealthCheck.Command: must be a list, not a string"),
            format!(
                "{path}.Services[0].HealthCheck.Interval: 1 is not between 5 and 300, as ECS requires"
            ),
            format!(
                "{path}.Services[0].HealthCheck.Retries: 0 is not between 1 and 10, as ECS requires"
            ),
            format!(
                "{path}.Services[1].Name: must be written out, not a function or parameter: the macro refers to a container by its name"
            ),
            format!("{path}.Services[1].Command[0]: must be a string, not a number"),
        ]
    );
}

/// A resource under its own `Condition: C` exists only when `C` holds, so an `Fn::If` on `C`
/// in its properties or the globals it takes is read on its true branch only: its false
/// branch would give the task role a condition that never holds (`C` and not `C`), which
/// cfn-lint refuses (E3001), and leave unreachable `Fn::If` branches (W1028).
#[test]
fn a_resource_under_its_own_condition_reads_only_the_branch_where_it_holds() {
    let template = parse_template(
        r#"
Parameters:
  Production: {Type: String, AllowedValues: ["true", "false"]}
Conditions:
  IsProduction: !Equals [!Ref Production, "true"]
Globals:
  TaskDefinition:
    TaskRoleArn: !If [IsProduction, "arn:aws:iam::123456789012:role/deploy", !Ref AWS::NoValue]
Resources:
  Deploy:
    Type: Buildkite::ECS::TaskDefinition
    Condition: IsProduction
    Properties:
      Image: buildkite/agent:3
      Environment:
        - !If [IsProduction, {Name: STAGE, Value: production}, !Ref AWS::NoValue]
Outputs:
  Role:
    Condition: IsProduction
    Value: !GetAtt Deploy.TaskRoleArn
"#,
    )
    .expect("the test's YAML reads");
    let expanded = expand(
        template,
        &ExpansionContext::new("us-east-1", "123456789012"),
    )
    .unwrap_or_else(|problems| panic!("{problems}"));
    let text = serde_json::to_string(&expanded).unwrap();
    assert!(!text.contains("Fn::If"), "{text}");
    assert!(
        expanded["Resources"].get("DeployTaskRole").is_none(),
        "{text}"
    );
    assert_eq!(
        expanded["Conditions"].as_object().unwrap().len(),
        1,
        "no condition is generated: {text}"
    );
    let task_definition = &expanded["Resources"]["DeployTaskDefinition"];
    assert_eq!(task_definition["Condition"], "IsProduction");
    assert_eq!(
        task_definition["Properties"]["TaskRoleArn"],
        "arn:aws:iam::123456789012:role/deploy"
    );
    // The user's variables come first, then the generated ones (the grace periods).
    assert_eq!(
        task_definition["Properties"]["ContainerDefinitions"][0]["Environment"][0],
        serde_json::json!({"Name": "STAGE", "Value": "production"})
    );
    assert_eq!(
        expanded["Outputs"]["Role"]["Value"],
        "arn:aws:iam::123456789012:role/deploy"
    );
}

/// The value with its logical IDs' prefix `from` made `to`, and each `Fn::Sub`'s list-form
/// variables named by their order: two spellings of one value then compare equal.
fn canonical(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace(from, to)),
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(v, from, to)).collect()),
        Value::Object(map) => {
            if let Some(Value::Array(arguments)) = map.get("Fn::Sub")
                && let [Value::String(text), Value::Object(variables)] = arguments.as_slice()
            {
                let mut text = text.clone();
                let mut renamed = serde_json::Map::new();
                for (index, (name, bound)) in variables.iter().enumerate() {
                    let new = format!("V{index}");
                    text = text.replace(&format!("${{{name}}}"), &format!("${{{new}}}"));
                    renamed.insert(new, canonical(bound, from, to));
                }
                return serde_json::json!({"Fn::Sub": [text, renamed]});
            }
            Value::Object(
                map.iter()
                    .map(|(key, v)| (key.replace(from, to), canonical(v, from, to)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

#[test]
fn a_join_and_its_sub_twin_get_the_same_roles() {
    let expanded = expand_file(std::path::Path::new("examples/join-and-sub-twins.yaml")).unwrap();
    let resources = &expanded["Resources"];
    for role in ["ExecutionRole", "TaskRole"] {
        let sub = &resources[format!("WrittenAsSub{role}")]["Properties"];
        let join = &resources[format!("WrittenAsJoin{role}")]["Properties"];
        assert_eq!(
            canonical(sub, "WrittenAsSub", "X"),
            canonical(join, "WrittenAsJoin", "X"),
            "{role}"
        );
    }
}

/// The template AWS CDK 2.278 synthesizes from `tests/cdk/app.js` (README, "From AWS CDK"):
/// its expansion, or what it is refused for.
#[test]
fn the_cdk_template_expands() {
    let path = std::path::Path::new("tests/cdk/agents.template.json");
    let text = match expand_file(path) {
        Ok(expanded) => serde_json::to_string_pretty(&expanded).unwrap(),
        Err(problems) => problems.to_string(),
    };
    insta::assert_snapshot!("cdk_agents_template", text);
}

/// CDK's `Fn::Join`s get the grants the hand-written `Fn::Sub`s get. (The policy CDK's
/// `Role.fromRoleName` writes needs the `TaskRoleName` attribute; where the macro lacks it, the
/// template is read without that policy.)
#[test]
fn the_cdk_template_gets_the_hand_written_grants() {
    let text = std::fs::read_to_string("tests/cdk/agents.template.json").unwrap();
    let mut template: Value = serde_json::from_str(&text).unwrap();
    let context = ExpansionContext::new("us-east-1", "123456789012");
    let mut expanded = expand(template.clone(), &context);
    if let Err(problems) = &expanded
        && problems.to_string().contains("no attribute TaskRoleName")
    {
        let resources = template["Resources"].as_object_mut().unwrap();
        resources.retain(|id, _| !id.starts_with("RubyTaskRoleByName"));
        expanded = expand(template, &context);
    }
    let expanded = expanded.unwrap_or_else(|problems| panic!("{problems}"));
    let resources = &expanded["Resources"];
    let policies = &resources["RubyExecutionRole"]["Properties"]["Policies"];
    let statement = |policy: &str, sid: &str| {
        let policy = policies
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["PolicyName"] == policy)
            .unwrap_or_else(|| panic!("{policy}"));
        policy["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{sid}"))["Resource"]
            .clone()
    };
    // repositoryUriForTag and repositoryUri: the repository's ARN as a person writes it;
    // attrRepositoryUri + ':3.4': its Arn, as `${Images.RepositoryUri}:3.4` is granted.
    assert_eq!(
        statement("PullImages", "PullFromTheRepositoriesUsed"),
        serde_json::json!([
            {"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Images2D38C313}"},
            {"Fn::GetAtt": ["Images2D38C313", "Arn"]}
        ])
    );
    // parameterArn: the parameter, as the !Sub of it; secretArn: the secret's Ref.
    assert_eq!(
        statement("ReadAgentSecrets", "ReadParameters")[1],
        serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${NpmTokenF3B73978}"})
    );
    assert_eq!(
        statement("ReadAgentSecrets", "ReadSecrets"),
        serde_json::json!([{"Ref": "DeployKey5586FB14"}])
    );
    // arnForObjects('ci.env'): that object of the bucket.
    assert_eq!(
        statement("ReadEnvironmentFiles", "ReadTheEnvironmentFiles"),
        serde_json::json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Config57D1D894}/ci.env"}])
    );
    // valueAsList: each item of the list parameter.
    assert_eq!(
        resources["RubyTaskRole"]["Properties"]["ManagedPolicyArns"],
        serde_json::json!([{"Fn::Select": [0, {"Ref": "TaskPolicyArns"}]}])
    );
}

/// The first release's templates that are not examples (their own resources have lint findings
/// that say nothing about the macro; see each header): each expands with no edit.
#[test]
fn the_first_release_templates_expand() {
    insta::glob!("first-release", "*.yaml", |path| {
        let expanded =
            expand_file(path).unwrap_or_else(|problems| panic!("{}: {problems}", path.display()));
        let text = serde_json::to_string_pretty(&expanded).unwrap();
        assert!(!text.contains("Buildkite::"), "no Buildkite type is left");
        insta::assert_snapshot!(text);
    });
}
