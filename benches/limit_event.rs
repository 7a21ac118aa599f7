//! Tools around the benchmark's input, for measurements criterion does not make:
//!
//! - `cargo bench --bench limit_event -- write PATH` writes the limit request event to PATH (for
//!   `/usr/bin/time -v buildkite-ecs-macro invoke PATH`, peak memory);
//! - `cargo bench --bench limit_event -- write-failing PATH` writes the 5 MB failing request of
//!   tests/lambda_limits.rs (100 resources, each with 50 broken 1 kB environment entries; 15,100
//!   problems) to PATH, for the same measurement of a request at Lambda's payload size;
//! - `cargo bench --bench limit_event -- full N` / `floor N` run the full path or the JSON floor
//!   N times, for `valgrind --tool=callgrind` to count instructions;
//! - `cargo bench --bench limit_event -- paired N` times the full path and the floor in turn, N
//!   times each in one process, and prints their medians and ratio: each full request is timed
//!   next to a floor request, so a shared machine's speed drifting from second to second (which
//!   moves criterion's separate runs of the two by 30% and more) moves both alike.
//!
//! Run by `cargo bench` with no such arguments, it does nothing.

#[path = "support/limit_template.rs"]
mod limit_template;
#[path = "../tests/support/macro_events.rs"]
mod macro_events;

// The macro's own allocator (src/main.rs), for the full path and the floor alike: what the
// Lambda and the command line run with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use buildkite_ecs_macro::shells::macro_io::respond_to_event;
use serde_json::Value;
use std::hint::black_box;

fn main() {
    let arguments: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match arguments.as_slice() {
        [command, path] if command == "write" || command == "write-failing" => {
            let request = if command == "write" {
                limit_template::limit_request_json()
            } else {
                macro_events::big_failing_event_text(5)
            };
            std::fs::write(path, &request).expect("the event file is writable");
            eprintln!("wrote {} bytes to {path}", request.len());
        }
        [command, times] if command == "full" || command == "floor" => {
            let times: usize = times.parse().expect("a count");
            let request = limit_template::limit_request_json();
            let response = floor_response(&request);
            for _ in 0..times {
                let written = if command == "full" {
                    full_path(&request)
                } else {
                    floor_path(&request, &response)
                };
                black_box(written);
            }
        }
        [command, times] if command == "paired" => {
            let times: usize = times.parse().expect("a count");
            assert!(times > 0, "paired takes a count of at least 1");
            paired(times);
        }
        _ => {}
    }
}

/// The full path: parse the request, answer it, write the answer.
fn full_path(request: &str) -> String {
    let event: Value = serde_json::from_str(black_box(request)).unwrap();
    serde_json::to_string(&respond_to_event(event).0).unwrap()
}

/// The response the floor writes, as a JSON value: what any program that answers with that
/// text must at least write.
fn floor_response(request: &str) -> Value {
    serde_json::to_value(respond_to_event(serde_json::from_str(request).unwrap()).0).unwrap()
}

/// The floor: parse the request, write `response`.
fn floor_path(request: &str, response: &Value) -> String {
    let event: Value = serde_json::from_str(black_box(request)).unwrap();
    black_box(event);
    serde_json::to_string(black_box(response)).unwrap()
}

/// The full path and the floor timed in turn (which goes first alternating), after a warm-up;
/// prints each one's median, the ratio of the medians and the median of the pairs' ratios.
fn paired(times: usize) {
    use std::time::Instant;
    let request = limit_template::limit_request_json();
    let response = floor_response(&request);
    let full = || {
        black_box(full_path(&request));
    };
    let floor = || {
        black_box(floor_path(&request, &response));
    };
    let timed = |run: &dyn Fn()| {
        let started = Instant::now();
        run();
        started.elapsed().as_secs_f64()
    };
    for _ in 0..times.min(20) {
        full();
        floor();
    }
    let (mut fulls, mut floors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for index in 0..times {
        let (full_time, floor_time) = if index % 2 == 0 {
            let full_time = timed(&full);
            (full_time, timed(&floor))
        } else {
            let floor_time = timed(&floor);
            (timed(&full), floor_time)
        };
        fulls.push(full_time);
        floors.push(floor_time);
        ratios.push(full_time / floor_time);
    }
    let median = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    let (full_median, floor_median) = (median(fulls), median(floors));
    println!(
        "paired, {times} each: full {:.3} ms, floor {:.3} ms, ratio of medians {:.3}, median of the pairs' ratios {:.3}",
        full_median * 1e3,
        floor_median * 1e3,
        full_median / floor_median,
        median(ratios)
    );
}
