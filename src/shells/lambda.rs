//! The Lambda function: the runtime loop around [`respond_to_event`].

use std::time::Instant;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::shells::macro_io::{
    MacroResponse, MacroStatus, RequestSummary, read_event, respond_to_event,
};

/// Answers one invocation. Always `Ok`: a bad template or event is a `failure` response.
pub async fn handle(event: LambdaEvent<Value>) -> Result<MacroResponse, Error> {
    let started = Instant::now();
    let (response, summary) = respond_to_event(event.payload);
    log_request(&summary, started.elapsed().as_secs_f64() * 1000.0);
    Ok(response)
}

/// As [`handle`], for the event as the runtime received it. The runtime would refuse an
/// event nested deeper than serde_json's 128 levels with a Lambda error, which reaches the
/// user only as "malformed response"; taken as raw JSON, it gets a `failure` answer. The text
/// is freed once it is read, before the expansion.
pub async fn handle_raw(event: LambdaEvent<Box<RawValue>>) -> Result<MacroResponse, Error> {
    let started = Instant::now();
    let read = read_event(event.payload.get());
    drop(event);
    let (response, summary) = match read {
        Ok(event) => respond_to_event(event),
        Err(unreadable) => unreadable.answer(),
    };
    log_request(&summary, started.elapsed().as_secs_f64() * 1000.0);
    Ok(response)
}

/// One structured line per request, with nothing from the template in it.
fn log_request(summary: &RequestSummary, duration_ms: f64) {
    let outcome = match summary.status {
        MacroStatus::Success => "success",
        MacroStatus::Failure => "failure",
    };
    tracing::info!(
        request_id = %summary.request_id,
        transform_id = %summary.transform_id,
        resources_expanded = summary.expansion.buildkite_resources,
        resources_out = summary.expansion.resources_out,
        problems = summary.problems,
        // Where the grant is wider than exact (an image pulled from any repository): places only.
        notes = %summary.note_places.join(" "),
        outcome,
        duration_ms,
        "macro request"
    );
}

/// Runs the function under the Lambda Runtime API named by `AWS_LAMBDA_RUNTIME_API`.
pub async fn run() -> Result<(), Error> {
    init_logging();
    lambda_runtime::run(service_fn(handle_raw)).await
}

/// Log lines as lambda_runtime's default subscriber writes them (no target, no time: Lambda
/// stamps each line; JSON objects when the function's log format is JSON), at the level Lambda's
/// logging controls set (`AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO). A level only:
/// the macro logs one line per request, so per-module filters (and their regex engine) are not
/// carried.
fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_default();
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(std::io::stdout);
    if format.eq_ignore_ascii_case("json") {
        logs.json().init();
    } else {
        logs.init();
    }
}
