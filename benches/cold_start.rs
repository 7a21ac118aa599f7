//! Process start to first response: the release binary started as the Lambda function against a
//! Runtime API on 127.0.0.1, timed from spawn until its response to one macro event arrives.
//! The baseline, in the same run, is the same binary started for `--version` and waited for.
//!
//! `cargo bench --bench cold_start` (after `cargo build --release`); `BOOTSTRAP=path` times
//! another build of the binary, such as the one `sam build` made.
//!
//! The floor, timed in turn with the binary: this bench program started as the least function
//! there is (std only: one connection, `GET next`, `POST` a fixed answer), against its own
//! `--version`. Its ratio is what the Runtime API's round trips alone cost a start on this
//! machine, whatever a function does.

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

/// The floor's function: one `GET next`, one `POST` of a fixed success, then it waits to be
/// ended (5 s at most), as a function does between events.
fn least_function(runtime_api: &str) {
    use std::io::{BufRead, BufReader, Read, Write};
    let stream = std::net::TcpStream::connect(runtime_api).expect("the Runtime API answers");
    stream.set_nodelay(true).expect("a TCP socket");
    let mut writer = stream.try_clone().expect("a TCP socket");
    let mut reader = BufReader::new(stream);
    let next = "/2018-06-01/runtime/invocation/next";
    write!(writer, "GET {next} HTTP/1.1\r\nHost: {runtime_api}\r\n\r\n").expect("sent");
    let (mut length, mut request_id) = (0, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("a header");
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().expect("a length");
        } else if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
            request_id = value.trim().to_owned();
        }
    }
    let mut event = vec![0; length];
    reader.read_exact(&mut event).expect("the event");
    let answer = r#"{"requestId":"cold-start","status":"success","fragment":{}}"#;
    write!(
        writer,
        "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nHost: {runtime_api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
        answer.len()
    )
    .expect("sent");
    let mut status = String::new();
    let _ = reader.read_line(&mut status);
    std::thread::sleep(Duration::from_secs(5));
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs bench targets only when asked.
    if std::env::args().any(|argument| argument == "--list") {
        return;
    }
    // Started by itself as the floor (below): the function, or its `--version`.
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("cold_start floor");
        return;
    }
    if let Ok(runtime_api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
        least_function(&runtime_api);
        return;
    }
    let binary = bootstrap();
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build --release` first",
        binary.display()
    );
    let floor = std::env::current_exe().expect("the bench knows its own path");
    let event = minimal_event();
    // One of each first, so both programs are in the page cache.
    for program in [&binary, &floor] {
        first_response(program, &event);
        version_run(program);
    }
    let mut lambda = Vec::with_capacity(RUNS);
    let mut baseline = Vec::with_capacity(RUNS);
    let mut floor_lambda = Vec::with_capacity(RUNS);
    let mut floor_baseline = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        lambda.push(first_response(&binary, &event));
        baseline.push(version_run(&binary));
        floor_lambda.push(first_response(&floor, &event));
        floor_baseline.push(version_run(&floor));
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
    let (floor_median, _) = median_and_p90(floor_lambda);
    let (floor_baseline_median, _) = median_and_p90(floor_baseline);
    println!(
        "floor, the least function (std only) against its own --version: {:.2} against {:.2} ms, ratio {:.2}",
        floor_median.as_secs_f64() * 1e3,
        floor_baseline_median.as_secs_f64() * 1e3,
        floor_median.as_secs_f64() / floor_baseline_median.as_secs_f64()
    );
}
