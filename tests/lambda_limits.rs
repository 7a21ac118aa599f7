//! Limits and logs on the Lambda path. The binary runs as the Lambda function against a
//! stand-in Runtime API on 127.0.0.1, so events arrive as text through lambda_runtime
//! exactly as in AWS; the in-process tests call the same text path directly.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use buildkite_ecs_macro::shells::macro_io::{MacroStatus, respond_to_text};
use serde_json::{Value, json};

#[path = "support/runtime_api.rs"]
mod runtime_api;
use runtime_api::{function_command, start_runtime_api};

#[path = "support/macro_events.rs"]
mod macro_events;
use macro_events::{PARAMETER_MARKER, agent, big_failing_event_text, event};

const SECRET_MARKER: &str = "secret-ref-zq82";
const FRAGMENT_MARKER: &str = "fragment-text-zq83";

/// `{"requestId": ..., "fragment": {"Resources": {"A": [[[...]]]}}}`, `levels` deep.
fn deep_event_text(request_id: &str, levels: usize) -> String {
    format!(
        r#"{{"region":"us-east-1","accountId":"123456789012","transformId":"t","fragment":{{"Resources":{{"A":{}1{}}}}},"requestId":"{request_id}"}}"#,
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

fn answer(text: &str) -> Value {
    serde_json::to_value(respond_to_text(text).0).unwrap()
}

#[test]
fn an_event_deeper_than_serde_json_reads_fails_with_its_request_id() {
    let response = answer(&deep_event_text("deep-1", 2_000));
    assert_eq!(response["requestId"], "deep-1");
    assert_eq!(response["status"], "failure");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents could not read the request: it is nested more than 128 levels deep"
    );
    // A million levels: skipped without recursion, so no stack overflow either.
    let response = answer(&deep_event_text("deep-2", 1_000_000));
    assert_eq!(response["requestId"], "deep-2");
    assert_eq!(response["status"], "failure");
}

#[test]
fn an_event_just_within_the_depth_limit_is_expanded_or_refused_normally() {
    // 120 levels inside the event is within serde_json's 128, and within our own walks.
    let mut value = json!("x");
    for _ in 0..120 {
        value = json!({"Fn::If": ["C", [value], {"Ref": "AWS::NoValue"}]});
    }
    let text = event(
        "within",
        json!({"Resources": {"Ruby": agent(json!({"Image": "ruby:3.3"})), "Other": {"Type": "AWS::S3::Bucket", "Metadata": value}}}),
    )
    .to_string();
    let response = answer(&text);
    assert_eq!(response["requestId"], "within");
    assert!(matches!(
        response["status"].as_str(),
        Some("success" | "failure")
    ));
}

#[test]
fn text_that_is_not_json_fails() {
    // Not reached from Lambda, whose runtime reads the event as JSON first; the CLI's invoke.
    let response = answer(r#"{"requestId": "half", "fragment": {"#);
    assert_eq!(response["requestId"], "");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents could not read the request: it is not JSON"
    );
    assert_eq!(answer("[1, 2")["requestId"], "");
}

#[test]
fn a_five_megabyte_fragment_fails_with_a_bounded_message() {
    let text = big_failing_event_text(5);
    assert!(text.len() > 5_000_000, "{}", text.len());
    let response = answer(&text);
    assert_eq!(response["status"], "failure");
    let message = response["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("Buildkite-Agents found 15100 problems in the template:\nResources.Agent0.Properties.Environment[0].Nme: unknown key; did you mean Name?\nResources.Agent0.Properties.Environment[0]: has no Name\n"),
        "{}",
        &message[..200]
    );
    assert!(
        message.ends_with("\n... and 15000 more"),
        "{}",
        &message[message.len() - 100..]
    );
    assert!(message.len() < 20_000, "{}", message.len());
}

#[test]
fn two_thousand_resources_fail_as_over_the_stack_quota() {
    let resources: serde_json::Map<String, Value> = (0..2000)
        .map(|index| (format!("Agent{index}"), agent(json!({"Image": "ruby:3.3"}))))
        .collect();
    let response = answer(&event("many", json!({"Resources": resources})).to_string());
    assert_eq!(response["status"], "failure");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents found 1 problem in the template:\nResources: the expanded template has 8000 resources, over the 500 CloudFormation allows in one stack"
    );
}

#[test]
fn an_expansion_past_five_hundred_resources_fails() {
    // 400 resources of other types and 26 agents: 400 + 26 * 4 = 504.
    let mut resources: serde_json::Map<String, Value> = (0..400)
        .map(|index| (format!("Bucket{index}"), json!({"Type": "AWS::S3::Bucket"})))
        .collect();
    for index in 0..26 {
        resources.insert(format!("Agent{index}"), agent(json!({"Image": "ruby:3.3"})));
    }
    let response = answer(&event("quota", json!({"Resources": resources})).to_string());
    assert_eq!(response["status"], "failure");
    assert!(response["errorMessage"].as_str().unwrap().ends_with(
        "the expanded template has 504 resources, over the 500 CloudFormation allows in one stack"
    ));
    // 2,000 resources of other types and no agent: CloudFormation's own business.
    let resources: serde_json::Map<String, Value> = (0..2000)
        .map(|index| (format!("Bucket{index}"), json!({"Type": "AWS::S3::Bucket"})))
        .collect();
    let response = answer(&event("plain", json!({"Resources": resources})).to_string());
    assert_eq!(response["status"], "success");
}

#[test]
fn the_lambda_answers_every_event_and_logs_nothing_of_the_template() {
    let good = event(
        "good",
        json!({
            "Parameters": {"Token": {"Type": "String", "NoEcho": true}},
            "Resources": {
                "Ruby": {
                    "Type": "Buildkite::ECS::TaskDefinition",
                    "Metadata": {"Note": FRAGMENT_MARKER},
                    "Properties": {
                        "Image": "ruby:3.3",
                        "Secrets": [{"Name": "TOKEN", "ValueFrom": format!("/ci/{SECRET_MARKER}")}],
                        "Environment": [{"Name": "TOKEN_REF", "Value": {"Ref": "Token"}}]
                    }
                }
            }
        }),
    );
    let bad = event(
        "bad",
        json!({
            "Parameters": {"Token": {"Type": "String", "NoEcho": true}, "Memory": {"Type": "String"}},
            "Resources": {
                "Ruby": agent(json!({
                    "Image": FRAGMENT_MARKER,
                    "TaskMemory": {"Ref": "Memory"},
                    "Secrets": [{"Name": "TOKEN", "ValueFrom": {"Ref": "Token"}}]
                }))
            }
        }),
    );
    let events = vec![
        good.to_string(),
        bad.to_string(),
        deep_event_text("deep", 500),
        big_failing_event_text(5),
    ];
    let count = events.len();

    let (address, posted) = start_runtime_api(events);
    let binary = Path::new(env!("CARGO_BIN_EXE_buildkite-ecs-macro"));
    let mut function = function_command(binary, address)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let answers: Vec<(String, String)> = (0..count)
        .map(|_| posted.recv_timeout(Duration::from_secs(120)))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|error| {
            let _ = function.kill();
            panic!("the function did not answer every event: {error}")
        });
    function.kill().unwrap();
    let output = function.wait_with_output().unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let mut statuses = Vec::new();
    for (index, (path, body)) in answers.iter().enumerate() {
        assert_eq!(
            path,
            &format!("/2018-06-01/runtime/invocation/invocation-{index}/response"),
            "a Lambda error instead of a response: {body}"
        );
        let response: Value = serde_json::from_str(body).unwrap();
        statuses.push((
            response["requestId"].as_str().unwrap().to_owned(),
            response["status"].as_str().unwrap().to_owned(),
        ));
        let message = response["errorMessage"].as_str().unwrap_or_default();
        for marker in [PARAMETER_MARKER, "7168"] {
            assert!(!message.contains(marker), "{message}");
        }
    }
    assert_eq!(
        statuses,
        [
            ("good".to_owned(), "success".to_owned()),
            ("bad".to_owned(), "failure".to_owned()),
            ("deep".to_owned(), "failure".to_owned()),
            ("big".to_owned(), "failure".to_owned()),
        ]
    );

    assert_eq!(logs.matches("macro request").count(), count, "{logs}");
    for marker in [
        PARAMETER_MARKER,
        SECRET_MARKER,
        FRAGMENT_MARKER,
        "7168",
        "ruby:3.3",
    ] {
        assert!(!logs.contains(marker), "the logs hold {marker}: {logs}");
    }
    assert!(
        logs.contains("request_id") && logs.contains("good"),
        "{logs}"
    );
}

#[test]
fn a_failure_answer_never_holds_a_parameter_value() {
    let text = event(
        "params",
        json!({
            "Parameters": {"Token": {"Type": "String", "NoEcho": true}, "Memory": {"Type": "String"}},
            "Resources": {"Ruby": agent(json!({
                "Image": "ruby:3.3",
                "TaskMemory": {"Ref": "Memory"},
                "SshAgentBackend": {"Ref": "Token"},
                "TaskFamily": {"Ref": "Token"},
                "Secrets": [{"Name": {"Ref": "Token"}, "ValueFrom": {"Ref": "Token"}}],
                "Tags": [{"Key": {"Ref": "Token"}, "Value": "x"}]
            }))}
        }),
    )
    .to_string();
    let (response, summary) = respond_to_text(&text);
    assert_eq!(response.status, MacroStatus::Failure);
    assert!(summary.problems >= 2, "{:?}", response.error_message);
    let message = response.error_message.unwrap();
    assert!(!message.contains(PARAMETER_MARKER), "{message}");
    assert!(!message.contains("7168"), "{message}");
}

/// The command line reads YAML to 128 levels of nesting (as deep as the Lambda reads
/// CloudFormation's JSON) and refuses aliases that expand past cfn-lint's 250,000 values; the
/// conversion to JSON recurses only on what it read.
#[test]
fn yaml_nested_too_deep_or_aliased_too_often_is_refused_by_the_command_line() {
    use buildkite_ecs_macro::template::yaml::parse_template;
    let flow = format!("Resources: {}1{}\n", "[".repeat(5_000), "]".repeat(5_000));
    let tagged = format!(
        "Resources:\n  A: {}x{}\n",
        "!Base64 [".repeat(5_000),
        "]".repeat(5_000)
    );
    let mut block = String::from("Resources:\n");
    for level in 1..1_000 {
        block.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
    }
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        laughs.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            vec![previous; 10].join(", ")
        ));
    }
    laughs.push_str("Resources: *a9\n");
    for (name, text, why) in [
        ("flow", flow, "nested deeper than 128 levels"),
        ("tagged", tagged, "nested deeper than 128 levels"),
        ("block", block, "nested deeper than 128 levels"),
        ("aliases", laughs, "once its aliases are expanded"),
    ] {
        let error = parse_template(&text).expect_err(name).to_string();
        assert!(error.contains(why), "{name}: {error}");

        let output = Command::new(env!("CARGO_BIN_EXE_buildkite-ecs-macro"))
            .args(["expand", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().unwrap().write_all(text.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("cannot read the template: ") && stderr.contains(why),
            "{name}: {stderr}"
        );
    }
    // Just within the limit, the template is read.
    let within = format!("Resources: {}1{}\n", "[".repeat(100), "]".repeat(100));
    assert!(parse_template(&within).is_ok());
}
