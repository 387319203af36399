//! `vv-run serve` end to end on the default OpenCL device (PoCL in CI): a server on a loopback
//! port, thousands of requests from concurrent clients, and every answer checked against the
//! reference engine running the same input: none lost, none duplicated, none mixed up between
//! VMs, and a VM that served one request starts the next from its initial memory.
//!
//! Two guests: `guests/request_log.c`, a WASI command (stdin and `?arg=` per request; it prints
//! values that differ if memory leaked from an earlier request), and `guests/serverless_hash.c`,
//! a resident guest looping on `env.serverless_invoke` / `env.serverless_response`. Some
//! requests make the VM trap or exit; they must get a 500 naming it, and the VM must serve on.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::Semaphore;
use vv_bundle::BuildOptions;
use vv_loader::serve::{self, Batching, ServeConfig, ServeSummary};
use vv_testsuite::reference;

/// Requests a test keeps in flight at once (each is a connection on both ends).
const IN_FLIGHT: usize = 256;

fn config(vms: usize) -> ServeConfig {
    ServeConfig {
        vms,
        listen: "127.0.0.1:0".parse().unwrap(),
        batching: Batching { size: vms, timeout: Duration::from_millis(2) },
        queue: 4096,
        request_timeout: Duration::from_secs(120),
        max_body: None,
        env: Vec::new(),
        args: Vec::new(),
        local_size: None,
        seed: Some(1),
    }
}

/// A server on its own thread, stopped (gracefully) by `stop`.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<ServeSummary, String>>>,
}

impl Server {
    fn start(rel: &'static str, opts: BuildOptions, cfg: ServeConfig) -> Server {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let loader = load(compile(rel, &opts));
            let ready_err = ready_tx.clone();
            let shutdown = async move {
                let _ = stop_rx.await;
            };
            let result = serve::serve(&loader, &cfg, shutdown, move |addr| ready_tx.send(Ok(addr)).unwrap());
            if let Err(e) = &result {
                let _ = ready_err.send(Err(e.to_string()));
            }
            result.map_err(|e| e.to_string())
        });
        let addr = ready_rx.recv().expect("the server thread ended").unwrap_or_else(|e| panic!("serve failed: {e}"));
        Server { addr, stop: Some(stop_tx), thread: Some(thread) }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn stop(mut self) -> ServeSummary {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().expect("server thread panicked").unwrap_or_else(|e| panic!("serve: {e}"))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// One answer: status, body, and the Retry-After header if any.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    retry_after: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Posts every body (with its query string) to `url`, `IN_FLIGHT` at a time; answers in order.
fn post_all(url: &str, requests: Vec<(String, Vec<u8>)>) -> Vec<Answer> {
    let rt = runtime();
    rt.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build().unwrap();
        let gate = Arc::new(Semaphore::new(IN_FLIGHT));
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(query, body)| {
                let (client, gate, url) = (client.clone(), gate.clone(), format!("{url}{query}"));
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.unwrap();
                    let r = client.post(&url).body(body).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
                    let status = r.status();
                    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
                    Answer { status, body: r.bytes().await.unwrap().to_vec(), retry_after }
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
}

fn get(url: &str) -> (StatusCode, String) {
    runtime().block_on(async {
        let r = reqwest::get(url).await.unwrap();
        (r.status(), r.text().await.unwrap())
    })
}

/// The value of an unlabelled metric in a `/metrics` text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
        .parse()
        .unwrap()
}

/// Request `i`'s stdin for request_log: text of varying length; some make the VM trap or exit.
fn command_input(i: usize) -> Vec<u8> {
    if i % 500 == 5 {
        // More than a VM's input row on the device holds: this stdin goes through the host.
        return (0..70_000).map(|k| b'a' + (k % 26) as u8).collect();
    }
    if i % 97 == 13 {
        return b"trap please".to_vec();
    }
    if i % 41 == 7 {
        return format!("exit {}", i % 5 + 1).into_bytes();
    }
    let mut rng = Rng::new(i as u64 + 1);
    let lines = 1 + rng.next() % 20;
    let mut s = String::new();
    for l in 0..lines {
        for w in 0..(rng.next() % 12) {
            s.push_str(&format!("w{}-{} ", rng.next() % 1000, w));
        }
        s.push_str(&format!("line {l} of request {i}\n"));
    }
    s.into_bytes()
}

#[test]
fn command_requests_match_the_reference() {
    const REQUESTS: usize = 1500;
    let opts = BuildOptions { heap_size: 2 << 20, ..BuildOptions::default() };
    let server = Server::start("guests/request_log.wasm", opts, config(48));
    let requests: Vec<(String, Vec<u8>)> =
        (0..REQUESTS).map(|i| (format!("/run?arg=req{i}&arg=two%20words"), command_input(i))).collect();
    let answers = post_all(&server.url(""), requests.clone());

    let wasm = read("guests/request_log.wasm");
    let reference = reference::Command::new(&wasm).unwrap();
    let (mut ok, mut traps, mut exits) = (0, 0, 0);
    for (i, ((_, stdin), answer)) in requests.iter().zip(&answers).enumerate() {
        let argv: Vec<String> = ["request_log.wasm".to_string(), format!("req{i}"), "two words".into()].into();
        let want = reference.run(&argv, &[], stdin);
        let got = answer.json();
        match &want.exit {
            Ok(code) => {
                assert_eq!(answer.status, StatusCode::OK, "request {i}: {got}");
                assert_eq!(got["stdout"].as_str().unwrap(), want.stdout_str(), "request {i}: stdout");
                assert_eq!(got["stderr"].as_str().unwrap(), want.stderr_str(), "request {i}: stderr");
                assert_eq!(got["exit_code"].as_i64().unwrap(), *code as i64, "request {i}: exit code");
                assert!(got["on_device_execution_time_ns"].as_u64().unwrap() > 0, "request {i}: device time");
                ok += 1;
                exits += (*code != 0) as usize;
            }
            Err(trap) => {
                assert_eq!(reference::trap_kind(trap), Some("unreachable"), "request {i}: reference {trap}");
                assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "request {i}: {got}");
                assert_eq!(got["trap"], "unreachable", "request {i}: {got}");
                assert!(got["error"].as_str().unwrap().contains("unreachable in function"), "request {i}: {got}");
                traps += 1;
            }
        }
    }
    assert!(traps >= 10 && exits >= 30, "the inputs exercise traps ({traps}) and exit codes ({exits})");

    let (status, text) = get(&server.url("/metrics"));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metric(&text, "vv_requests_total"), REQUESTS as f64, "{text}");
    assert_eq!(metric(&text, "vv_requests_completed_total"), ok as f64, "{text}");
    assert!(text.contains(&format!("vv_request_errors_total{{kind=\"trap\"}} {traps}")), "{text}");
    assert_eq!(metric(&text, "vv_queue_depth"), 0.0);
    // One call to the host a request, its line to stderr: stdin, argv and stdout stay on the
    // device. Any of them through the host adds 2 a request (stdin, argv: sizes, then data;
    // stdout: two writes), except for the three stdin too large for the device.
    let calls = metric(&text, "vv_hypercalls_total");
    let (status, health) = get(&server.url("/healthz"));
    assert_eq!(status, StatusCode::OK);
    assert!(health.contains("\"style\":\"command\"") && health.contains("\"vms\":48"), "{health}");
    let summary = server.stop();
    assert_eq!(summary.requests, REQUESTS as u64);
    eprintln!("command: {REQUESTS} requests, {ok} answered, {traps} traps, {} launches, {calls} hypercalls", summary.launches);
    assert!(calls <= 1.5 * REQUESTS as f64, "{calls} hypercalls: stdin, argv or stdout through the host?\n{text}");
}

/// Request `i` of the resident guest.
fn resident_input(i: usize) -> Vec<u8> {
    if i % 89 == 5 {
        return format!("trap {i}").into_bytes();
    }
    if i % 71 == 3 {
        return b"exit 5".to_vec();
    }
    let mut rng = Rng::new(0x5eed + i as u64);
    let n = (rng.next() % 2000) as usize;
    (0..n).map(|k| b"abc def\nghij klm nopq rstuv wxyz 0123456789 "[(k * 7 + i) % 43]).collect()
}

#[test]
fn resident_requests_match_the_reference() {
    const REQUESTS: usize = 1500;
    let opts = BuildOptions { heap_size: 1 << 20, ..BuildOptions::default() };
    let server = Server::start("guests/serverless_hash.wasm", opts, config(48));
    let requests: Vec<(String, Vec<u8>)> = (0..REQUESTS).map(|i| ("/run".to_string(), resident_input(i))).collect();
    let answers = post_all(&server.url(""), requests.clone());

    let wasm = read("guests/serverless_hash.wasm");
    let reference = reference::Command::new(&wasm).unwrap();
    let argv = vec!["serverless_hash.wasm".to_string()];
    let (mut ok, mut failed) = (0, 0);
    for (i, ((_, body), answer)) in requests.iter().zip(&answers).enumerate() {
        let want = reference.run(&argv, &[], body);
        match &want.exit {
            // A request answered, then the next invoke ends the reference run.
            Ok(0) if !want.stdout.is_empty() => {
                assert_eq!(answer.status, StatusCode::OK, "request {i}: {}", String::from_utf8_lossy(&answer.body));
                assert_eq!(String::from_utf8_lossy(&answer.body), want.stdout_str(), "request {i}");
                ok += 1;
            }
            Ok(code) => {
                let got = answer.json();
                assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "request {i}: {got}");
                assert_eq!(got["kind"], "exit", "request {i}: {got}");
                assert!(got["error"].as_str().unwrap().contains(&format!("code {code}")), "request {i}: {got}");
                failed += 1;
            }
            Err(trap) => {
                assert_eq!(reference::trap_kind(trap), Some("unreachable"), "request {i}: reference {trap}");
                let got = answer.json();
                assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "request {i}: {got}");
                assert_eq!(got["trap"], "unreachable", "request {i}: {got}");
                failed += 1;
            }
        }
    }
    assert!(failed >= 20, "the inputs exercise traps and exits ({failed})");

    // The batch API: one POST, many requests, answers keyed by req_id.
    let entries: Vec<Value> = (0..300)
        .map(|i| serde_json::json!({ "req": format!("batch request {i} {}", "x".repeat(i % 50)), "req_id": i }))
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "requests": entries })).unwrap();
    let answer = post_all(&server.url("/batch_submit"), vec![(String::new(), body)]).remove(0);
    assert_eq!(answer.status, StatusCode::OK);
    let got = answer.json();
    let map = got["requests"].as_object().unwrap();
    assert_eq!(map.len(), 300);
    for i in 0..300 {
        let input = format!("batch request {i} {}", "x".repeat(i % 50));
        let want = reference.run(&argv, &[], input.as_bytes());
        let entry = &map[&i.to_string()];
        assert_eq!(entry["response"].as_str().unwrap(), want.stdout_str(), "batch entry {i}: {entry}");
        assert!(entry["on_device_execution_time_ns"].as_u64().unwrap() > 0);
    }
    let (_, health) = get(&server.url("/healthz"));
    assert!(health.contains("\"style\":\"resident\""), "{health}");
    let summary = server.stop();
    assert_eq!(summary.requests, (REQUESTS + 300) as u64);
    eprintln!("resident: {REQUESTS} requests, {ok} answered, {failed} failed as asked, {} launches", summary.launches);
}

#[test]
fn limits_timeouts_and_a_full_queue() {
    let opts = BuildOptions { heap_size: 2 << 20, ..BuildOptions::default() };
    let mut cfg = config(2);
    cfg.queue = 2;
    cfg.request_timeout = Duration::from_secs(3);
    cfg.max_body = Some(4000);
    let server = Server::start("guests/request_log.wasm", opts, cfg);
    let url = server.url("/run");

    // A request that never finishes gets 504, and its VM serves the next one.
    let spin = post_all(&url, vec![(String::new(), b"spin".to_vec())]).remove(0);
    assert_eq!(spin.status, StatusCode::GATEWAY_TIMEOUT, "{}", String::from_utf8_lossy(&spin.body));
    assert_eq!(spin.json()["kind"], "timeout");
    let big = post_all(&url, vec![(String::new(), vec![b'a'; 5000])]).remove(0);
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);

    // 2 VMs and a queue of 2 against 120 requests at once: some are turned away with 503 and
    // Retry-After; every one taken is answered correctly.
    let requests: Vec<(String, Vec<u8>)> = (0..120).map(|i| (format!("?arg={i}"), format!("input {i}\n").into_bytes())).collect();
    let answers = post_all(&url, requests.clone());
    let wasm = read("guests/request_log.wasm");
    let reference = reference::Command::new(&wasm).unwrap();
    let mut busy = 0;
    for (i, ((_, stdin), a)) in requests.iter().zip(&answers).enumerate() {
        if a.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(a.retry_after.as_deref(), Some("1"));
            assert_eq!(a.json()["kind"], "queue_full");
            busy += 1;
            continue;
        }
        assert_eq!(a.status, StatusCode::OK, "request {i}");
        let want = reference.run(&["request_log.wasm".to_string(), i.to_string()], &[], stdin);
        assert_eq!(a.json()["stdout"].as_str().unwrap(), want.stdout_str(), "request {i}");
    }
    assert!(busy > 0, "a queue of 2 turned no request away");
    assert!(busy < 120, "no request was served");
    let (_, text) = get(&server.url("/metrics"));
    assert!(text.contains("vv_request_errors_total{kind=\"timeout\"} 1"), "{text}");
    assert!(text.contains(&format!("vv_request_errors_total{{kind=\"queue_full\"}} {busy}")), "{text}");
    assert!(text.contains("vv_request_errors_total{kind=\"too_large\"} 1"), "{text}");
    server.stop();
}

#[test]
fn shutdown_finishes_requests_in_flight() {
    let opts = BuildOptions { heap_size: 2 << 20, ..BuildOptions::default() };
    let server = Server::start("guests/request_log.wasm", opts, config(8));
    let url = server.url("/run");
    let metrics_url = server.url("/metrics");
    let requests: Vec<(String, Vec<u8>)> = (0..64).map(|i| (format!("?arg={i}"), format!("drain {i}\n").into_bytes())).collect();
    let sender = {
        let requests = requests.clone();
        std::thread::spawn(move || post_all(&url, requests))
    };
    // Stop once every request has reached the server, most of them still queued.
    loop {
        let (_, text) = get(&metrics_url);
        if metric(&text, "vv_requests_total") >= 64.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let summary = server.stop();
    let answers = sender.join().unwrap();
    assert_eq!(summary.requests, 64);
    assert_eq!(summary.completed, 64, "every request taken before the shutdown is answered");
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.status, StatusCode::OK, "request {i}");
        assert!(a.json()["stdout"].as_str().unwrap().contains(&format!("args: [{i}]")), "request {i}");
    }
}
