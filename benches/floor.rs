//! The whole process against its JSON floor, on the limit request (100 Buildkite resources and
//! 100 others, expanding to 500 resources).
//!
//! - `cargo bench --bench floor` writes the limit request and the response `invoke` must print
//!   to a temporary folder, then starts, alternately, `buildkite-ecs-macro invoke REQUEST` and
//!   this program as the floor, and prints both medians and their ratio.
//! - `floor REQUEST RESPONSE` (the bench binary's own arguments) is the floor: parse the request,
//!   parse the response, write the response as `invoke` does (pretty JSON and a newline). It is
//!   the fastest such program we know: the macro's allocator (mimalloc), one buffer for standard
//!   output, its trees not freed at exit. For `valgrind --tool=cachegrind`, run it from
//!   `target/release/deps/floor-*`.

#[path = "support/limit_template.rs"]
mod limit_template;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

// The macro's own allocator (src/main.rs), so an allocator alone does not make the ratio.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 30;

fn floor(request: &Path, response: &Path) {
    let request_text = std::fs::read_to_string(request).expect("the request is readable");
    let request: Value = serde_json::from_str(&request_text).expect("the request is JSON");
    let response_text = std::fs::read_to_string(response).expect("the response is readable");
    let response: Value = serde_json::from_str(&response_text).expect("the response is JSON");
    let mut stdout = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, &response).expect("the response is written");
    stdout.write_all(b"\n").expect("the response is written");
    stdout.flush().expect("the response is written");
    // Not freed, as the macro's command line does not free its trees at exit.
    std::mem::forget((request_text, request, response_text, response));
}

fn timed(command: &mut Command) -> Duration {
    let started = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .status()
        .expect("the program starts");
    let elapsed = started.elapsed();
    assert!(status.success(), "{command:?}: {status}");
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn side_by_side() {
    let folder =
        std::env::temp_dir().join(format!("buildkite-ecs-macro-floor-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let request_path = folder.join("limit-event.json");
    let response_path = folder.join("limit-response.json");
    let request = limit_template::limit_request_json();
    std::fs::write(&request_path, &request).expect("the request is written");
    let macro_binary = PathBuf::from(env!("CARGO_BIN_EXE_buildkite-ecs-macro"));
    let response = Command::new(&macro_binary)
        .arg("invoke")
        .arg(&request_path)
        .output()
        .expect("the macro starts");
    assert!(response.status.success(), "invoke failed: {response:?}");
    std::fs::write(&response_path, &response.stdout).expect("the response is written");
    let own = std::env::current_exe().expect("this program's path");
    let floor_output = Command::new(&own)
        .arg("floor")
        .arg(&request_path)
        .arg(&response_path)
        .output()
        .expect("the floor starts");
    assert_eq!(
        floor_output.stdout, response.stdout,
        "the floor must write what invoke writes"
    );

    let mut invoke = Vec::with_capacity(RUNS);
    let mut floor = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        invoke.push(timed(
            Command::new(&macro_binary).arg("invoke").arg(&request_path),
        ));
        floor.push(timed(
            Command::new(&own)
                .arg("floor")
                .arg(&request_path)
                .arg(&response_path),
        ));
    }
    let (invoke, floor) = (median(invoke), median(floor));
    println!(
        "limit request ({} bytes in, {} bytes out), {RUNS} alternated runs",
        request.len(),
        response.stdout.len()
    );
    println!(
        "whole process, invoke:                    median {:.2} ms",
        invoke.as_secs_f64() * 1e3
    );
    println!(
        "floor (parse request and response, write): median {:.2} ms",
        floor.as_secs_f64() * 1e3
    );
    println!(
        "ratio (median): {:.2}",
        invoke.as_secs_f64() / floor.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&folder);
}

fn main() {
    let arguments: Vec<String> = std::env::args()
        .skip(1)
        .filter(|argument| argument != "--bench")
        .collect();
    match arguments.as_slice() {
        [command, request, response] if command == "floor" => {
            floor(Path::new(request), Path::new(response))
        }
        // `cargo test --benches` lists; it has nothing to test here.
        [flag] if flag == "--list" => {}
        [] => side_by_side(),
        _ => {
            eprintln!("usage: floor [floor REQUEST RESPONSE]");
            std::process::exit(2);
        }
    }
}
