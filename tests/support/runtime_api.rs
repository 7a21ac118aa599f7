//! A stand-in Lambda Runtime API on 127.0.0.1, for running the binary as the Lambda function in
//! tests (tests/lambda_limits.rs) and in the start-up benchmark (benches/cold_start.rs). It speaks
//! the part of the protocol lambda_runtime uses: `GET .../invocation/next` and the `POST`s of
//! responses and errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// Starts a stand-in Runtime API on a free port of 127.0.0.1, in a thread of its own, handing
/// out `events`: its address, and every `(path, body)` the function posts.
pub fn start_runtime_api(events: Vec<String>) -> (SocketAddr, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().unwrap();
    let (sender, posted) = mpsc::channel();
    std::thread::spawn(move || serve_runtime_api(listener, events, sender));
    (address, posted)
}

/// `binary` as Lambda starts the function: a clean environment naming the Runtime API.
pub fn function_command(binary: &Path, runtime_api: SocketAddr) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "macro")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "group");
    command
}

/// A stand-in Lambda Runtime API: hands out `events` in turn, then holds the next request;
/// sends every `(path, body)` the function posts.
fn serve_runtime_api(
    listener: TcpListener,
    events: Vec<String>,
    posted: mpsc::Sender<(String, String)>,
) {
    let mut events = events.into_iter().enumerate();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        while let Some((method, path, body)) = read_request(&mut reader) {
            if method == "GET" && path.ends_with("/invocation/next") {
                let Some((index, event)) = events.next() else {
                    // No more events: hold the function here until the test ends it.
                    std::thread::sleep(Duration::from_secs(3600));
                    return;
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: invocation-{index}\r\nLambda-Runtime-Deadline-Ms: 99999999999999\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:macro\r\nContent-Length: {}\r\n\r\n",
                    event.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(event.as_bytes()).unwrap();
            } else {
                stream
                    .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
                    .unwrap();
                let _ = posted.send((path, body));
            }
            stream.flush().unwrap();
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}
