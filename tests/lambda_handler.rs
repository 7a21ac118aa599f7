//! The Lambda handler, called directly: it answers every event with a response that
//! echoes the request ID, and never returns an error.

use buildkite_ecs_macro::shells::lambda::handle;
use buildkite_ecs_macro::shells::macro_io::MacroStatus;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

fn request(fragment: Value) -> Value {
    json!({
        "region": "eu-west-1",
        "accountId": "123456789012",
        "fragment": fragment,
        "transformId": "123456789012::Buildkite-Agents-2020-03-09",
        "params": {},
        "requestId": "6a6b0e3f-request",
        "templateParameterValues": {"Secret": "do-not-log-me"}
    })
}

async fn call(event: Value) -> serde_json::Value {
    let response = handle(LambdaEvent::new(event, Context::default()))
        .await
        .expect("the handler never returns an error");
    serde_json::to_value(response).unwrap()
}

#[tokio::test]
async fn a_good_template_succeeds_with_the_expanded_fragment() {
    let response = call(request(json!({
        "Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby:3.3"}}}
    })))
    .await;
    assert_eq!(response["requestId"], "6a6b0e3f-request");
    assert_eq!(response["status"], "success");
    let resources = response["fragment"]["Resources"].as_object().unwrap();
    let ids: Vec<&str> = resources.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "RubyTaskDefinition",
            "RubyLogGroup",
            "RubyExecutionRole",
            "RubyTaskRole"
        ]
    );
    assert!(response.get("errorMessage").is_none());
}

#[tokio::test]
async fn a_bad_template_fails_with_the_message() {
    let response = call(request(json!({
        "Parameters": {"Secret": {"Type": "String", "NoEcho": true}},
        "Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby", "TaskCpu": {"Ref": "Secret"}}}}
    })))
    .await;
    assert_eq!(response["requestId"], "6a6b0e3f-request");
    assert_eq!(response["status"], "failure");
    let message = response["errorMessage"].as_str().unwrap();
    assert!(
        message.contains(
            "Resources.Ruby.Properties.TaskCpu: the value of parameter Secret is not a whole number"
        ),
        "{message}"
    );
    assert!(!message.contains("do-not-log-me"));
    assert!(response.get("fragment").is_none());
}

#[tokio::test]
async fn a_malformed_event_fails_and_still_echoes_the_request_id() {
    let response = call(json!({"requestId": "only-an-id", "fragment": "not an object"})).await;
    assert_eq!(response["requestId"], "only-an-id");
    assert_eq!(response["status"], "failure");
    assert!(
        response["errorMessage"]
            .as_str()
            .unwrap()
            .contains("could not read the request")
    );

    let response = call(json!([1, 2, 3])).await;
    assert_eq!(response["requestId"], "");
    assert_eq!(response["status"], "failure");
}

#[test]
fn statuses_are_written_as_cloudformation_reads_them() {
    assert_eq!(
        serde_json::to_value(MacroStatus::Success).unwrap(),
        "success"
    );
    assert_eq!(
        serde_json::to_value(MacroStatus::Failure).unwrap(),
        "failure"
    );
}

/// The runtime calls `handle_raw` with the event as the JSON text it received, so that an event
/// too deep for serde_json still gets an answer rather than a Lambda error.
#[tokio::test]
async fn the_raw_handler_answers_as_the_value_handler_and_past_the_depth_limit() {
    use buildkite_ecs_macro::shells::lambda::handle_raw;
    use serde_json::value::RawValue;
    async fn call_raw(text: String) -> Value {
        let event = RawValue::from_string(text).expect("valid JSON text");
        let response = handle_raw(LambdaEvent::new(event, Context::default()))
            .await
            .expect("the handler never returns an error");
        serde_json::to_value(response).unwrap()
    }
    let good = request(json!({
        "Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {"Image": "ruby:3.3"}}}
    }));
    assert_eq!(call_raw(good.to_string()).await, call(good).await);

    let deep = format!(
        r#"{{"requestId": "deep-raw", "fragment": {{"Resources": {{"A": {}1{}}}}}}}"#,
        "[".repeat(500),
        "]".repeat(500)
    );
    let response = call_raw(deep).await;
    assert_eq!(response["requestId"], "deep-raw");
    assert_eq!(response["status"], "failure");
    assert_eq!(
        response["errorMessage"],
        "Buildkite-Agents could not read the request: it is nested more than 128 levels deep"
    );
}

#[test]
fn an_image_the_macro_cannot_place_is_logged_by_place_and_the_response_is_unchanged() {
    use buildkite_ecs_macro::shells::macro_io::respond_to_event;
    let (response, summary) = respond_to_event(request(json!({
        "Parameters": {"Secret": {"Type": "String"}},
        "Resources": {"Ruby": {"Type": "Buildkite::ECS::TaskDefinition", "Properties": {
            "Image": {"Fn::ImportValue": {"Fn::Sub": "${Secret}-image"}}
        }}}
    })));
    let response = serde_json::to_value(response).unwrap();
    assert_eq!(response["status"], "success");
    assert_eq!(
        response.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["requestId", "status", "fragment"],
        "no notes in the response"
    );
    assert_eq!(summary.note_places, ["Resources.Ruby.Properties.Image"]);
    assert!(!format!("{summary:?}").contains("do-not-log-me"));
}
