//! End to end: the bootstrap that `sam build` made runs as a Lambda function under cargo
//! lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) on 127.0.0.1, and
//! macro events go in through the emulator's Invoke endpoint, as CloudFormation's would.
//!
//! Ignored by plain `cargo test`: it needs the built bootstrap and the emulator. `make lambda-e2e`
//! (part of `make test`) builds both and runs it with
//! `E2E_BOOTSTRAP=<bootstrap> E2E_CARGO_LAMBDA=<cargo-lambda> cargo test --test lambda_e2e -- --ignored`.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use buildkite_ecs_macro::ExpansionContext;
use buildkite_ecs_macro::shells::cli::{
    DEFAULT_TRANSFORM_NAME, KNOWN_TRANSFORM_NAMES, prepare_for_expand,
};
use buildkite_ecs_macro::shells::macro_io::respond_to_text;
use buildkite_ecs_macro::template::yaml::parse_template;
use serde_json::{Map, Value, json};

const TRANSFORM: &str = DEFAULT_TRANSFORM_NAME;
/// A recognisable fake secret, passed as a NoEcho parameter's value in every event: it must
/// appear in no response and no log line.
const FAKE_SECRET: &str = "fake-secret-e2e-Zq7vX2";
const SECRET_PARAMETER: &str = "E2eFakeSecret";
/// Every read and write on a socket, and the wait for the emulator to listen.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A child process killed when the test ends, passed or failed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn required_path(variable: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{variable} is not set: run this test with `make lambda-e2e`"));
    assert!(
        path.is_file(),
        "{variable}={} is not a file",
        path.display()
    );
    path
}

fn log_file(name: &str) -> (PathBuf, File) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let file = File::create(&path).unwrap();
    (path, file)
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// Starts the emulator on a free loopback port; a port taken between the probe and the start
/// is retried on another, three times at most.
fn start_emulator(cargo_lambda: &Path) -> (Running, SocketAddr, PathBuf) {
    for _attempt in 0..3 {
        let address = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|probe| probe.local_addr())
            .unwrap();
        let (log_path, log) = log_file("lambda-e2e-emulator.log");
        let mut emulator = Running(
            Command::new(cargo_lambda)
                .args(["lambda", "watch", "--only-lambda-apis", "--quiet"])
                .args(["--invoke-address", "127.0.0.1"])
                .args(["--invoke-port", &address.port().to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline {
            if emulator.0.try_wait().unwrap().is_some() {
                break;
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return (emulator, address, log_path);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "the emulator did not listen on {address}:\n{}",
            read_lossy(&log_path)
        );
    }
    panic!("cannot start the Runtime API emulator");
}

/// Starts the bootstrap as Lambda starts it: a clean environment and the Runtime API's address.
fn start_function(bootstrap: &Path, runtime_api: SocketAddr) -> (Running, PathBuf, PathBuf) {
    let (stdout_path, stdout) = log_file("lambda-e2e-function.stdout");
    let (stderr_path, stderr) = log_file("lambda-e2e-function.stderr");
    let function = Command::new(bootstrap)
        .env_clear()
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://{runtime_api}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("LAMBDA_TASK_ROOT", bootstrap.parent().unwrap())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    (Running(function), stdout_path, stderr_path)
}

struct Invocation {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    elapsed: Duration,
}

/// POSTs one event to the emulator's Lambda Invoke endpoint for the function `_`.
fn invoke(function: &mut Running, address: SocketAddr, event: &str) -> Invocation {
    if let Some(status) = function.0.try_wait().unwrap() {
        panic!("the function exited ({status}) before the invocation");
    }
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let head = format!(
        "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        event.len()
    );
    // One write: a head and a body sent apart can wait 40 ms on Nagle and delayed ACKs.
    stream
        .write_all(format!("{head}{event}").as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("the emulator did not answer in time");
    let elapsed = started.elapsed();

    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Invocation {
        status: status.parse().unwrap(),
        headers,
        body: String::from_utf8(body).unwrap(),
        elapsed,
    }
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&chunked[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        let start = line_end + 2;
        body.extend_from_slice(&chunked[start..start + size]);
        chunked = &chunked[start + size + 2..];
    }
}

/// The event CloudFormation would send for a template: the template minus this macro's
/// Transform entry (with AWS::LanguageExtensions run where it is listed first), and every
/// parameter's value (its Default, as a string, unless given). Every template declares the
/// NoEcho parameter that carries the fake secret.
fn event_for(request_id: &str, mut template: Value, values: &[(&str, &str)]) -> String {
    let root = template.as_object_mut().unwrap();
    let mut context = ExpansionContext::new("us-east-1", "123456789012");
    prepare_for_expand(root, &KNOWN_TRANSFORM_NAMES, &mut context)
        .unwrap_or_else(|problems| panic!("{request_id}: {problems}"));
    let parameters = root
        .entry("Parameters")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap();
    parameters.insert(
        SECRET_PARAMETER.to_owned(),
        json!({"Type": "String", "NoEcho": true}),
    );
    let mut parameter_values = Map::new();
    for (name, declaration) in parameters.iter() {
        let default = match declaration.get("Default") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => continue,
        };
        parameter_values.insert(name.clone(), Value::String(default));
    }
    parameter_values.insert(SECRET_PARAMETER.to_owned(), json!(FAKE_SECRET));
    for (name, value) in values {
        parameter_values.insert((*name).to_owned(), json!(value));
    }
    json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": template,
        "transformId": format!("123456789012::{TRANSFORM}"),
        "params": {},
        "requestId": request_id,
        "templateParameterValues": parameter_values,
    })
    .to_string()
}

fn agent(properties: Value) -> Value {
    json!({"Type": "Buildkite::ECS::TaskDefinition", "Properties": properties})
}

/// The same answer as the library's, byte for byte: the binary is the code `cargo test` tests.
fn assert_answer_is_the_librarys(event: &str, invocation: &Invocation) {
    let expected = serde_json::to_string(&respond_to_text(event).0).unwrap();
    assert!(
        invocation.body == expected,
        "the Lambda's answer differs from the library's:\n{}\n{expected}",
        invocation.body
    );
}

#[test]
#[ignore = "needs the sam-built bootstrap and cargo lambda's emulator: run by `make lambda-e2e`"]
fn the_sam_built_bootstrap_answers_macro_events_under_a_runtime_api() {
    let bootstrap = required_path("E2E_BOOTSTRAP");
    let cargo_lambda = required_path("E2E_CARGO_LAMBDA");
    let (emulator, address, emulator_log) = start_emulator(&cargo_lambda);
    let (mut function, stdout_path, stderr_path) = start_function(&bootstrap, address);

    // Every example, as it ships: each must expand.
    let examples_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(&examples_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());

    let mut expected_ids = Vec::new();
    let mut answers = Vec::new();
    let mut timings = Vec::new();
    for path in &examples {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let request_id = format!("e2e-example-{name}");
        let event = event_for(&request_id, parse_template(&text).unwrap(), &[]);
        let invocation = invoke(&mut function, address, &event);
        assert_eq!(invocation.status, 200, "{name}: {}", invocation.body);
        let response: Value = serde_json::from_str(&invocation.body).unwrap();
        assert_eq!(response["requestId"], request_id.as_str(), "{name}");
        assert_eq!(
            response["status"], "success",
            "{name}: {}",
            response["errorMessage"]
        );
        assert!(response["fragment"]["Resources"].is_object(), "{name}");
        assert_answer_is_the_librarys(&event, &invocation);
        timings.push((name, request_id.clone(), text.len(), invocation.elapsed));
        expected_ids.push(request_id);
        answers.push(invocation);
    }

    // A good template that reads the secret parameter (the output keeps the Ref).
    let good = event_for(
        "e2e-good",
        json!({
            "Parameters": {"Memory": {"Type": "String", "Default": "1024"}},
            "Resources": {"Ruby": agent(json!({
                "Image": "ruby:3.3",
                "TaskMemory": {"Ref": "Memory"},
                "Environment": [{"Name": "API_KEY", "Value": {"Ref": SECRET_PARAMETER}}]
            }))}
        }),
        &[],
    );
    let invocation = invoke(&mut function, address, &good);
    assert_eq!(invocation.status, 200, "{}", invocation.body);
    let response: Value = serde_json::from_str(&invocation.body).unwrap();
    assert_eq!(response["requestId"], "e2e-good");
    assert_eq!(
        response["status"], "success",
        "{}",
        response["errorMessage"]
    );
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
    let agent_container = &resources["RubyTaskDefinition"]["Properties"]["ContainerDefinitions"][0];
    assert_eq!(agent_container["Name"], "agent");
    assert_eq!(
        agent_container["Environment"][0],
        json!({"Name": "API_KEY", "Value": {"Ref": SECRET_PARAMETER}})
    );
    assert_answer_is_the_librarys(&good, &invocation);
    expected_ids.push("e2e-good".to_owned());
    answers.push(invocation);

    // A bad template: a misspelt property, and a size whose parameter value is the secret.
    let bad = event_for(
        "e2e-bad",
        json!({"Resources": {"Php": agent(json!({
            "Image": "php:8.3",
            "TaskMemroy": 1024,
            "TaskCpu": {"Ref": SECRET_PARAMETER}
        }))}}),
        &[],
    );
    let invocation = invoke(&mut function, address, &bad);
    assert_eq!(
        invocation.status, 200,
        "a Lambda error: {}",
        invocation.body
    );
    let response: Value = serde_json::from_str(&invocation.body).unwrap();
    assert_eq!(response["requestId"], "e2e-bad");
    assert_eq!(response["status"], "failure");
    assert!(response.get("fragment").is_none());
    let message = response["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("Buildkite-Agents found 2 problems in the template:\n"),
        "{message}"
    );
    assert!(
        message.contains(
            "Resources.Php.Properties.TaskMemroy: unknown property; did you mean TaskMemory?"
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("the value of parameter {SECRET_PARAMETER}")),
        "{message}"
    );
    assert_answer_is_the_librarys(&bad, &invocation);
    expected_ids.push("e2e-bad".to_owned());
    answers.push(invocation);

    // Malformed events: a fragment that is not an object, and one nested past serde_json's
    // 128 levels (which lambda_runtime itself would refuse). Both still echo the request ID.
    let malformed = json!({
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": "Resources: {}",
        "transformId": format!("123456789012::{TRANSFORM}"),
        "params": {},
        "requestId": "e2e-malformed",
        "templateParameterValues": {SECRET_PARAMETER: FAKE_SECRET}
    })
    .to_string();
    let deep = format!(
        r#"{{"region":"us-east-1","accountId":"123456789012","transformId":"t","requestId":"e2e-deep","templateParameterValues":{{"{SECRET_PARAMETER}":"{FAKE_SECRET}"}},"fragment":{{"Resources":{{"A":{}1{}}}}}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    for (request_id, event, why) in [
        (
            "e2e-malformed",
            &malformed,
            "the macro request's fragment is not a JSON object",
        ),
        ("e2e-deep", &deep, "it is nested more than 128 levels deep"),
    ] {
        let invocation = invoke(&mut function, address, event);
        assert_eq!(
            invocation.status, 200,
            "a Lambda error: {}",
            invocation.body
        );
        let response: Value = serde_json::from_str(&invocation.body).unwrap();
        assert_eq!(
            response,
            json!({
                "requestId": request_id,
                "status": "failure",
                "errorMessage": format!("Buildkite-Agents could not read the request: {why}")
            })
        );
        expected_ids.push(request_id.to_owned());
        answers.push(invocation);
    }

    // Every answer is a response, not a function error, and holds no secret.
    for invocation in &answers {
        assert!(
            !invocation
                .headers
                .iter()
                .any(|(name, _)| name == "x-amz-function-error"),
            "{:?}",
            invocation.headers
        );
        assert!(
            !invocation.body.contains(FAKE_SECRET),
            "{}",
            invocation.body
        );
    }

    drop(function);
    drop(emulator);
    let stdout = read_lossy(&stdout_path);
    let stderr = read_lossy(&stderr_path);
    let context = || {
        format!(
            "function stdout:\n{stdout}\nfunction stderr:\n{stderr}\nemulator:\n{}",
            read_lossy(&emulator_log)
        )
    };

    // One structured (JSON) line per request, in order, and nothing else.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected_ids.len(), "{}", context());
    for (line, request_id) in lines.iter().zip(&expected_ids) {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {line}\n{}", context()));
        assert_eq!(record["level"], "INFO", "{line}");
        let fields = &record["fields"];
        assert_eq!(fields["message"], "macro request", "{line}");
        assert_eq!(fields["request_id"], request_id.as_str(), "{line}");
        assert!(
            matches!(fields["outcome"].as_str(), Some("success" | "failure")),
            "{line}"
        );
        assert!(fields["duration_ms"].is_number(), "{line}");
        assert!(fields["resources_expanded"].is_u64(), "{line}");
    }
    assert!(stderr.trim().is_empty(), "{}", context());
    assert!(
        !stdout.contains(FAKE_SECRET) && !stderr.contains(FAKE_SECRET),
        "the logs hold the secret parameter's value:\n{}",
        context()
    );

    // How long one invocation takes: at the client, through the emulator, and in the handler
    // (its logged duration_ms).
    let handler_ms = |request_id: &str| {
        lines
            .iter()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .find(|record| record["fields"]["request_id"] == request_id)
            .and_then(|record| record["fields"]["duration_ms"].as_f64())
            .unwrap()
    };
    eprintln!("one invocation of each example: round trip through the emulator / in the handler");
    for (name, request_id, template_bytes, elapsed) in &timings {
        eprintln!(
            "  {name:<32} {template_bytes:>5} B  {:>7.2} ms / {:>6.3} ms",
            elapsed.as_secs_f64() * 1000.0,
            handler_ms(request_id)
        );
    }
    let (name, request_id, template_bytes, elapsed) =
        timings.iter().max_by_key(|timing| timing.2).unwrap();
    eprintln!(
        "largest example, {name} ({template_bytes} B): {:.2} ms through the emulator, {:.3} ms in the handler",
        elapsed.as_secs_f64() * 1000.0,
        handler_ms(request_id)
    );
}
