//! Process start to first response: the release binary started as the Lambda function against a
//! Runtime API on 127.0.0.1, timed from spawn until its response to one macro event arrives.
//! The baseline, in the same run, is the same binary started for `--version` and waited for.
//!
//! `cargo bench --bench cold_start` (after `cargo build --release`); `BOOTSTRAP=path` times
//! another build of the binary, such as the one `sam build` made.

#[path = "../tests/support/runtime_api.rs"]
mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const RUNS: usize = 30;

fn bootstrap() -> PathBuf {
    std::env::var_os("BOOTSTRAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/buildkite-ecs-macro")
        })
}

fn minimal_event() -> String {
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::Buildkite-Agents-2020-03-09",
        "requestId": "cold-start",
        "params": {},
        "templateParameterValues": {},
        "fragment": {"Resources": {"Agent": {
            "Type": "Buildkite::ECS::TaskDefinition",
            "Properties": {"Image": "buildkite/agent:3"}
        }}}
    })
    .to_string()
}

/// Spawn to first posted response, as the function.
fn first_response(binary: &Path, event: &str) -> Duration {
    let (address, posted) = runtime_api::start_runtime_api(vec![event.to_owned()]);
    let started = Instant::now();
    let mut function = runtime_api::function_command(binary, address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let answer = posted.recv_timeout(Duration::from_secs(30));
    let elapsed = started.elapsed();
    let _ = function.kill();
    let _ = function.wait();
    let (path, body) = answer.expect("the function answers within 30 s");
    assert!(
        path.ends_with("/response") && body.contains("\"status\":\"success\""),
        "{path}: {body}"
    );
    elapsed
}

/// Spawn to exit, printing the version.
fn version_run(binary: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(binary)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .expect("the binary starts");
    assert!(status.success());
    started.elapsed()
}

fn median_and_p90(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs bench targets only when asked.
    if std::env::args().any(|argument| argument == "--list") {
        return;
    }
    let binary = bootstrap();
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build --release` first",
        binary.display()
    );
    let event = minimal_event();
    // One of each first, so the binary is in the page cache for both.
    first_response(&binary, &event);
    version_run(&binary);
    let mut lambda = Vec::with_capacity(RUNS);
    let mut baseline = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        lambda.push(first_response(&binary, &event));
        baseline.push(version_run(&binary));
    }
    let (lambda_median, lambda_p90) = median_and_p90(lambda);
    let (baseline_median, baseline_p90) = median_and_p90(baseline);
    println!(
        "binary: {} ({} bytes)",
        binary.display(),
        binary.metadata().map(|m| m.len()).unwrap_or(0)
    );
    println!(
        "start to first response, as the Lambda function: median {:.2} ms, p90 {:.2} ms ({RUNS} runs)",
        lambda_median.as_secs_f64() * 1e3,
        lambda_p90.as_secs_f64() * 1e3
    );
    println!(
        "baseline, start to exit for --version:          median {:.2} ms, p90 {:.2} ms",
        baseline_median.as_secs_f64() * 1e3,
        baseline_p90.as_secs_f64() * 1e3
    );
    println!(
        "ratio (median): {:.2}",
        lambda_median.as_secs_f64() / baseline_median.as_secs_f64()
    );
}
