//! The command line as a user runs it: `expand` and `invoke`, their output formats and exit
//! codes (0 success, 1 a failing template, 2 bad usage or unreadable input).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use buildkite_ecs_macro::template::yaml::parse_template;
use serde_json::{Value, json};

fn run(arguments: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_buildkite-ecs-macro"))
        .args(arguments)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A usage error exits before reading its input: the pipe may be closed already.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const MINIMAL: &str = "Transform: Buildkite-Agents-2020-03-09\nResources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n";

#[test]
fn expand_prints_yaml_for_yaml_that_reads_back_without_the_transform() {
    let output = run(&["expand", "examples/minimal.yaml"], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expanded = parse_template(&text(&output.stdout)).expect("the output is YAML we read");
    assert!(expanded.get("Transform").is_none());
    assert_eq!(
        expanded["AWSTemplateFormatVersion"], "2010-09-09",
        "a date-like string stays a string"
    );
    assert_eq!(
        expanded["Resources"]["AgentTaskDefinition"]["Properties"]["Cpu"],
        "256"
    );
}

#[test]
fn expand_reads_standard_input_and_writes_the_format_asked_for() {
    let output = run(&["expand", "-", "--format", "json"], MINIMAL);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expanded: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let ids: Vec<&String> = expanded["Resources"].as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        [
            "RubyTaskDefinition",
            "RubyLogGroup",
            "RubyExecutionRole",
            "RubyTaskRole"
        ]
    );

    // JSON in gives JSON out; other transforms stay in order.
    let template = json!({
        "Transform": ["Buildkite-Agents-2020-03-09", "AWS::Serverless-2016-10-31"],
        "Resources": {"Go": {"Type": "Buildkite::ECS::Agent", "Properties": {"Image": "golang:1"}}}
    });
    let output = run(&["expand"], &template.to_string());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expanded: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    assert_eq!(expanded["Transform"], json!(["AWS::Serverless-2016-10-31"]));
}

/// The `Transform` left in the output of `expand` with `arguments` for a template naming
/// `transforms`.
fn transforms_left(transforms: Value, arguments: &[&str]) -> Value {
    let template = json!({
        "Transform": transforms,
        "Resources": {"Go": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "golang:1"}}}
    });
    let output = run(
        &[&["expand", "-"], arguments].concat(),
        &template.to_string(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expanded: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    expanded.get("Transform").cloned().unwrap_or(Value::Null)
}

#[test]
fn expand_drops_either_name_of_the_first_release_unless_told_another() {
    // The first release deployed as -2020-03-09; its README's examples said -2020-03-21.
    for name in ["Buildkite-Agents-2020-03-09", "Buildkite-Agents-2020-03-21"] {
        assert_eq!(transforms_left(json!(name), &[]), Value::Null, "{name}");
        assert_eq!(
            transforms_left(json!([name, "AWS::Serverless-2016-10-31"]), &[]),
            json!(["AWS::Serverless-2016-10-31"]),
            "{name}"
        );
    }
    // A name of your own replaces both: the others are another macro's, which runs after.
    assert_eq!(
        transforms_left(
            json!([
                "Buildkite-Agents-2020-03-09",
                "Ours",
                "Buildkite-Agents-2020-03-21"
            ]),
            &["--transform-name", "Ours"]
        ),
        json!(["Buildkite-Agents-2020-03-09", "Buildkite-Agents-2020-03-21"])
    );
    assert_eq!(
        transforms_left(
            json!(["Ours", "Staging"]),
            &["--transform-name", "Ours", "--transform-name", "Staging"]
        ),
        Value::Null,
        "--transform-name is repeatable"
    );
}

#[test]
fn expand_uses_parameters_region_and_account() {
    let template = "Transform: Buildkite-Agents-2020-03-09\nParameters:\n  Backend:\n    Type: String\nResources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n      SshAgentBackend: !Ref Backend\n";
    let without = run(
        &["expand", "-", "--parameter", "Backend=", "--format", "json"],
        template,
    );
    assert_eq!(without.status.code(), Some(0), "{}", text(&without.stderr));
    assert!(!text(&without.stdout).contains("ssh-agent"));

    let with = run(
        &[
            "expand",
            "-",
            "--format",
            "json",
            "--region",
            "cn-north-1",
            "--parameter",
            "Backend=arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod",
        ],
        template,
    );
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stderr));
    let output = text(&with.stdout);
    assert!(output.contains("ssh-agent"));
    assert!(
        !output.contains("abc123"),
        "the parameter's value stays a Ref"
    );
}

#[test]
fn a_failing_template_exits_1_with_the_problems_on_standard_error() {
    let output = run(&["expand", "tests/fixtures/spec-example.yaml"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        text(&output.stderr).starts_with("Buildkite-Agents found 2 problems in the template:\n"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn bad_usage_exits_2() {
    for arguments in [
        &["expand", "-", "--format", "toml"][..],
        &["expand", "-", "--parameter", "Undeclared=x"],
        &["expand", "-", "--parameter", "no-equals-sign"],
        &["frobnicate"],
        &[],
    ] {
        let output = run(arguments, MINIMAL);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        assert!(!output.stderr.is_empty(), "{arguments:?} says why");
    }
}

#[test]
fn invoke_answers_as_the_lambda_with_exit_codes_for_each_outcome() {
    let event = |fragment: Value| {
        json!({
            "region": "us-east-1", "accountId": "123456789012", "transformId": "t",
            "params": {}, "requestId": "cli-1", "templateParameterValues": {},
            "fragment": fragment
        })
        .to_string()
    };
    let good = json!({"Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby"}}}});
    let bad = json!({"Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {}}}});
    let deep = format!(
        r#"{{"requestId": "cli-deep", "fragment": {}{}}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    for (stdin, code, status, request_id) in [
        (event(good), 0, "success", "cli-1"),
        (event(bad), 1, "failure", "cli-1"),
        (
            r#"{"requestId": "cli-2"}"#.to_owned(),
            2,
            "failure",
            "cli-2",
        ),
        (deep, 2, "failure", "cli-deep"),
        ("not json".to_owned(), 2, "failure", ""),
    ] {
        let output = run(&["invoke"], &stdin);
        assert_eq!(output.status.code(), Some(code), "{}", text(&output.stdout));
        let response: Value = serde_json::from_slice(&output.stdout).expect("a JSON response");
        assert_eq!(response["status"], status);
        assert_eq!(response["requestId"], request_id);
    }
}

#[test]
fn help_and_version_behave_as_users_expect() {
    let version = run(&["--version"], "");
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        text(&version.stdout).trim(),
        format!("buildkite-ecs-macro {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run(&["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    for word in ["expand", "invoke", "AWS_LAMBDA_RUNTIME_API"] {
        assert!(help.contains(word), "{help}");
    }
    let expand_help = text(&run(&["expand", "--help"], "").stdout);
    for flag in [
        "--parameter",
        "--region",
        "--account-id",
        "--format",
        "--transform-name",
        "--no-transform-check",
    ] {
        assert!(expand_help.contains(flag), "{expand_help}");
    }
}

#[test]
fn a_function_in_a_deletion_policy_needs_language_extensions_after_the_macro() {
    let template = |transform: &str| {
        format!(
            "Transform: {transform}\nParameters:\n  Policy:\n    Type: String\nResources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    DeletionPolicy: !Ref Policy\n    UpdateReplacePolicy: !Ref Policy\n    Properties:\n      Image: ruby:3.3\n"
        )
    };
    let refused = run(&["expand", "-"], &template("Buildkite-Agents-2020-03-09"));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("Resources.Ruby.DeletionPolicy: CloudFormation takes a function in DeletionPolicy only when the template's Transform lists AWS::LanguageExtensions after this macro")
            && stderr.contains("Resources.Ruby.UpdateReplacePolicy: "),
        "{stderr}"
    );
    // Before the macro, it has run by the time the macro sees the template: expand runs it too,
    // with the parameter's value, and says so by place where the parameter has none.
    let before = run(
        &["expand", "-"],
        &template("[AWS::LanguageExtensions, Buildkite-Agents-2020-03-09]"),
    );
    assert_eq!(before.status.code(), Some(1));
    let stderr = text(&before.stderr);
    assert!(
        stderr.contains(
            "Resources.Ruby.DeletionPolicy: is parameter Policy, which has no value here"
        ) && stderr.contains("--parameter Policy=...")
            && !stderr.contains("after this macro"),
        "{stderr}"
    );
    let before = run(
        &[
            "expand",
            "-",
            "--format",
            "json",
            "--parameter",
            "Policy=Retain",
        ],
        &template("[AWS::LanguageExtensions, Buildkite-Agents-2020-03-09]"),
    );
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    let expanded: Value = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(expanded.get("Transform"), None, "both transforms have run");
    for resource in expanded["Resources"].as_object().unwrap().values() {
        assert_eq!(resource["DeletionPolicy"], "Retain");
        assert_eq!(resource["UpdateReplacePolicy"], "Retain");
    }

    let after = run(
        &["expand", "-", "--format", "json"],
        &template("[Buildkite-Agents-2020-03-09, AWS::LanguageExtensions]"),
    );
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
    let expanded: Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(expanded["Transform"], json!(["AWS::LanguageExtensions"]));
    for resource in expanded["Resources"].as_object().unwrap().values() {
        assert_eq!(resource["DeletionPolicy"], json!({"Ref": "Policy"}));
    }

    // The Lambda cannot see the Transform list: it carries the function.
    let event = json!({
        "region": "us-east-1", "accountId": "123456789012", "transformId": "t",
        "params": {}, "requestId": "policy", "templateParameterValues": {"Policy": "Retain"},
        "fragment": parse_template(&template("Buildkite-Agents-2020-03-09")).unwrap()
    });
    let invoked = run(&["invoke"], &event.to_string());
    assert_eq!(invoked.status.code(), Some(0), "{}", text(&invoked.stdout));
}

#[test]
fn expand_refuses_a_template_whose_transform_does_not_name_the_macro() {
    let resources = "Resources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n";
    let refusal = |template: &str, arguments: &[&str]| {
        let output = run(&[&["expand", "-"], arguments].concat(), template);
        assert_eq!(output.status.code(), Some(1), "{template}");
        assert!(output.stdout.is_empty());
        text(&output.stderr)
    };

    let none = refusal(resources, &[]);
    assert!(
        none.starts_with("Buildkite-Agents found 1 problem in the template:\nTransform: the template has none, so CloudFormation would never call the macro: add `Transform: Buildkite-Agents-2020-03-09`"),
        "{none}"
    );
    assert!(
        none.contains("--transform-name NAME") && none.contains("--no-transform-check"),
        "{none}"
    );

    // Month and day swapped.
    let swapped = refusal(
        &format!(
            "Transform: [AWS::Serverless-2016-10-31, Buildkite-Agents-2020-09-03]\n{resources}"
        ),
        &[],
    );
    assert!(
        swapped.contains("Transform: Buildkite-Agents-2020-09-03 does not name the macro (Buildkite-Agents-2020-03-09 or Buildkite-Agents-2020-03-21), so CloudFormation would never call it; did you mean Buildkite-Agents-2020-03-09?"),
        "{swapped}"
    );

    let other = refusal(
        &format!("Transform: AWS::Serverless-2016-10-31\n{resources}"),
        &[],
    );
    assert!(
        other.contains("Transform: does not name the macro"),
        "{other}"
    );
    assert!(!other.contains("did you mean"), "{other}");

    // The names given with --transform-name are the macro's.
    let ours = refusal(
        &format!("Transform: Buildkite-Agents-2020-03-09\n{resources}"),
        &["--transform-name", "Ours"],
    );
    assert!(ours.contains("does not name the macro (Ours)"), "{ours}");

    // Expanding anyway.
    let anyway = run(&["expand", "-", "--no-transform-check"], resources);
    assert_eq!(anyway.status.code(), Some(0), "{}", text(&anyway.stderr));
    assert!(text(&anyway.stdout).contains("RubyTaskDefinition"));
}

#[test]
fn a_yaml_value_that_reads_as_a_key_is_suggested_quoting() {
    let template = "Transform: Buildkite-Agents-2020-03-09\nResources:\n  Agent:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: buildkite/agent:3\n      Secrets:\n        - Name: DB\n          ValueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123:password::\n";
    let output = run(&["expand", "-"], template);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("cannot read the template: the template is not valid YAML: mapping values are not allowed in this context at line 9 column 94; a plain value holding \": \" or ending in \":\" reads as a key: quote the value"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("db-AbC123"),
        "the text is never shown: {stderr}"
    );
}

#[test]
fn unreadable_input_exits_as_every_help_says() {
    // SPEC 6: for expand a template that cannot be read is a failed expansion, 1; for invoke an
    // event that cannot be read is 2. Both help texts say the code the binary gives.
    for (arguments, stdin) in [
        (&["expand", "tests/fixtures/no-such-template.yaml"][..], ""),
        (&["expand", "-"][..], "Resources: [unclosed"),
    ] {
        let output = run(arguments, stdin);
        assert_eq!(output.status.code(), Some(1), "{arguments:?}");
        assert!(!output.stderr.is_empty(), "{arguments:?} says why");
    }
    let output = run(&["invoke", "tests/fixtures/no-such-event.json"], "");
    assert_eq!(output.status.code(), Some(2));
    let help = text(&run(&["--help"], "").stdout);
    let expand_help = text(&run(&["expand", "--help"], "").stdout);
    let invoke_help = text(&run(&["invoke", "--help"], "").stdout);
    for (name, help, says) in [
        ("--help", &help, "1 a template that cannot be read"),
        (
            "--help",
            &help,
            "2 bad usage, or for invoke an event that cannot be read",
        ),
        (
            "expand --help",
            &expand_help,
            "1 a template that cannot be read",
        ),
        (
            "invoke --help",
            &invoke_help,
            "2 an event that cannot be read",
        ),
    ] {
        // clap wraps help text to the terminal; compare the words alone.
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains(says), "{name} should say {says:?}:\n{help}");
    }
}

#[test]
fn help_states_the_exit_codes_and_what_goes_to_standard_error() {
    let help = text(&run(&["--help"], "").stdout);
    assert!(help.contains("Exit status: 0 success"), "{help}");
    for command in ["expand", "invoke"] {
        let help = text(&run(&[command, "--help"], "").stdout);
        assert!(help.contains("Exit status: 0"), "{help}");
        assert!(help.contains("Standard error:"), "{help}");
    }
}

#[test]
fn an_undeclared_parameter_is_named_with_the_nearest_declared_one_and_never_its_value() {
    let template = "Parameters:\n  Backend:\n    Type: String\n  TokenPath:\n    Type: String\nResources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n";
    let output = run(
        &[
            "expand",
            "-",
            "--parameter",
            "Backnd=marker-value-1",
            "--parameter",
            "Unrelated=marker-value-2",
        ],
        template,
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "--parameter Backnd: the template declares no such parameter; did you mean Backend?"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("--parameter Unrelated: the template declares no such parameter; it declares Backend, TokenPath"),
        "{stderr}"
    );
    assert!(!stderr.contains("marker-value"), "{stderr}");
}

#[test]
fn invoke_lists_every_missing_field_at_once() {
    let output = run(&["invoke"], r#"{"requestId": "cli-3", "params": {}}"#);
    assert_eq!(output.status.code(), Some(2));
    let response: Value = serde_json::from_slice(&output.stdout).expect("a JSON response");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents could not read the request: the macro request has no region, accountId or fragment"
    );

    let output = run(
        &["invoke"],
        r#"{"requestId": "cli-4", "region": 1, "accountId": "123456789012", "templateParameterValues": {"P": "marker-value"}}"#,
    );
    let response: Value = serde_json::from_slice(&output.stdout).expect("a JSON response");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents could not read the request: the macro request has no fragment; the macro request's region is not a string"
    );
}

#[test]
fn the_readme_event_is_the_smallest_invoke_answers() {
    // The README's event, and the one `invoke --help` shows, expand as they are.
    let readme = std::fs::read_to_string("README.md").unwrap();
    let help = text(&run(&["invoke", "--help"], "").stdout);
    for (source, text) in [
        ("README.md", readme.as_str()),
        ("invoke --help", help.as_str()),
    ] {
        // The event's first key is region.
        let start = text
            .find("\"region\"")
            .and_then(|region| text[..region].rfind('{'))
            .unwrap_or_else(|| panic!("{source} shows an event"));
        let mut depth = 0;
        let end = text[start..]
            .char_indices()
            .find_map(|(index, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(start + index + 1)
            })
            .unwrap();
        let event = &text[start..end];
        let output = run(&["invoke"], event);
        assert_eq!(output.status.code(), Some(0), "{source}: {event}");
        let response: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(response["status"], "success", "{source}");
    }
}

#[test]
fn schema_prints_the_committed_schemas() {
    for (arguments, path) in [
        (&["schema"][..], "schema/task-definition.schema.json"),
        (&["schema", "--template"], "schema/template.schema.json"),
    ] {
        let output = run(arguments, "");
        assert_eq!(output.status.code(), Some(0));
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let committed: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(printed, committed, "{path}");
        assert_eq!(
            printed["$schema"],
            "http://json-schema.org/draft-07/schema#"
        );
    }
}

#[test]
fn sam_before_the_macro_with_globals_task_definition_is_refused() {
    let template = |transform: &str| {
        format!(
            "Transform: {transform}\nGlobals:\n  TaskDefinition:\n    TaskCpu: 512\n    TaskMemory: 1024\nResources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n"
        )
    };
    let refused = run(
        &["expand", "-"],
        &template("[AWS::Serverless-2016-10-31, Buildkite-Agents-2020-03-09]"),
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("Transform: AWS::Serverless-2016-10-31 runs before Buildkite-Agents-2020-03-09 and refuses Globals.TaskDefinition"),
        "{stderr}"
    );
    // The macro first, SAM after it: SAM sees the Globals the macro leaves.
    let after = run(
        &["expand", "-"],
        &template("[Buildkite-Agents-2020-03-09, AWS::Serverless-2016-10-31]"),
    );
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
}

#[test]
fn expand_notes_each_image_it_cannot_place_on_standard_error_and_nothing_else() {
    let output = run(
        &["expand", "examples/first-release-complex-example.yaml"],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let notes = text(&output.stderr);
    let lines: Vec<&str> = notes.lines().collect();
    assert_eq!(lines.len(), 2, "{notes}");
    for (line, place) in lines.iter().zip(["Image", "BuildkiteAgentImage"]) {
        assert!(
            line.starts_with(&format!(
                "note: Resources.CargoPublish.Properties.{place}: cannot tell which ECR repository"
            )),
            "{line}"
        );
        assert!(
            line.contains("arn:${AWS::Partition}:ecr:*:*:repository/*"),
            "{line}"
        );
        assert!(line.contains("to narrow it"), "{line}");
    }
    // A template whose every image the macro places has no note.
    let exact = run(&["expand", "examples/ecr-images.yaml"], "");
    assert_eq!(exact.status.code(), Some(0));
    assert_eq!(text(&exact.stderr), "");
}
