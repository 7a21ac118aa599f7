//! The full request path against the JSON floor, on a request at CloudFormation's limit
//! (100 Buildkite resources and 100 others, expanding to 500 resources).
//!
//! (a) full: parse the request JSON, expand, write the response JSON.
//! (b) floor: parse the same request JSON, write the same response JSON (computed once, as a
//!     JSON value: what any program answering with that text must at least write).
//!
//! The ratio (a)/(b) is what docs/performance.md reports; both run in the same `cargo bench`.

#[path = "support/limit_template.rs"]
mod limit_template;

// The macro's own allocator (src/main.rs), for the full path and the floor alike: what the
// Lambda and the command line run with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use buildkite_ecs_macro::shells::macro_io::{MacroStatus, respond_to_event};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;

fn full_path(request: &str) -> String {
    let event: Value = serde_json::from_str(request).expect("the request is JSON");
    let (response, _) = respond_to_event(event);
    serde_json::to_string(&response).expect("a response serialises")
}

fn request_path(c: &mut Criterion) {
    let request = limit_template::limit_request_json();
    let (response, summary) = respond_to_event(serde_json::from_str(&request).unwrap());
    assert_eq!(
        response.status,
        MacroStatus::Success,
        "{:?}",
        response.error_message
    );
    assert_eq!(summary.expansion.resources_out, 500);
    let response = serde_json::to_value(&response).unwrap();

    let mut group = c.benchmark_group("limit-request");
    group.throughput(criterion::Throughput::Bytes(request.len() as u64));
    group.bench_function("full: parse, expand, write", |b| {
        b.iter(|| full_path(black_box(&request)))
    });
    group.bench_function("floor: parse, write", |b| {
        b.iter(|| {
            let event: Value = serde_json::from_str(black_box(&request)).unwrap();
            black_box(event);
            serde_json::to_string(black_box(&response)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, request_path);
criterion_main!(benches);
