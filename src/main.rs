//! One binary, two faces: the Lambda function under a Lambda Runtime API, else the
//! command line.

use std::process::ExitCode;

// mimalloc (2, with transparent huge pages): on the largest request glibc's malloc faults in
// about 15 times as many pages; the floor the process is measured against (benches/floor.rs)
// uses it too. docs/performance.md has the figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let is_lambda =
        std::env::args_os().len() == 1 && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    if !is_lambda {
        return buildkite_ecs_macro::shells::cli::main();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(buildkite_ecs_macro::shells::lambda::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("the Lambda runtime stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
