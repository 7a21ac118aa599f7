//! Macro request events shared by the limit tests (tests/lambda_limits.rs) and the benches that
//! write them to a file for measuring (benches/limit_event.rs: `write-failing PATH`).

use serde_json::{Value, json};

/// A template parameter's value that must never reach a log or a message.
pub const PARAMETER_MARKER: &str = "param-value-zq81";

/// A macro request event for `fragment`, as CloudFormation sends it.
pub fn event(request_id: &str, fragment: Value) -> Value {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": fragment,
        "transformId": "123456789012::Buildkite-Agents-2020-03-09",
        "params": {},
        "requestId": request_id,
        "templateParameterValues": {"Token": PARAMETER_MARKER, "Memory": "7168"}
    })
}

/// A `Buildkite::ECS::TaskDefinition` resource with these properties.
pub fn agent(properties: Value) -> Value {
    json!({"Type": "Buildkite::ECS::TaskDefinition", "Properties": properties})
}

/// A fragment of about `megabytes` MB within the stack quota: 100 Buildkite resources (400
/// once expanded), each with 10 broken environment entries a megabyte.
pub fn big_failing_fragment(megabytes: usize) -> Value {
    let filler = "x".repeat(1000);
    let entries: Vec<Value> = (0..megabytes * 10)
        .map(|_| json!({"Nme": filler}))
        .collect();
    let resources: serde_json::Map<String, Value> = (0..100)
        .map(|index| {
            (
                format!("Agent{index}"),
                agent(json!({"Image": "ruby:3.3", "TaskCpu": "lots", "Environment": entries})),
            )
        })
        .collect();
    json!({"Resources": resources})
}

/// The text of the big failing request (5 MB for `megabytes` = 5): it fails with 15,100 problems.
pub fn big_failing_event_text(megabytes: usize) -> String {
    event("big", big_failing_fragment(megabytes)).to_string()
}
