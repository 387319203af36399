//! The HTTP front end: routes, request parsing, answers and status codes. Requests reach the
//! device thread through a bounded queue; nothing here touches OpenCL.
//!
//! - `POST /run`: the body is one request (a command's stdin, a resident guest's request); a
//!   command also takes argv from `?arg=..&arg=..`, or from a JSON body `{"stdin": "...",
//!   "args": [...]}` sent as `application/json`.
//! - `POST /batch_submit`: `{"requests": [{"req": "...", "req_id": n}, ...]}`, answered as
//!   `{"requests": {"n": {"response": "...", "on_device_execution_time_ns": t}, ...}}`.
//! - `GET /healthz`, `GET /metrics` (Prometheus text).

use super::job::{Done, Failure, Job, Outcome};
use super::metrics::Metrics;
use super::Style;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Bytes argv may take (the copy-out of one `args_get`, with room for the table).
const MAX_ARG_BYTES: usize = 32 * 1024;
/// A batch body may hold this many maximal requests.
const BATCH_BODY_REQUESTS: usize = 1024;
/// Extra time a handler waits past the request timeout before it gives up on the device thread.
const REPLY_GRACE: Duration = Duration::from_secs(2);

/// What every handler shares.
pub(crate) struct App {
    pub tx: SyncSender<Job>,
    pub metrics: Arc<Metrics>,
    pub style: Style,
    pub timeout: Duration,
    pub max_body: usize,
    pub vms: usize,
    pub device: String,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    let max_body = app.max_body;
    Router::new()
        .route("/run", post(run).layer(DefaultBodyLimit::max(max_body)))
        .route(
            "/batch_submit",
            post(batch_submit).layer(DefaultBodyLimit::max(max_body.saturating_mul(BATCH_BODY_REQUESTS).min(1 << 30))),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// Why a request was not taken or has no result, as an HTTP answer.
#[derive(Debug)]
enum Refusal {
    Busy,
    TooLarge(usize),
    BadRequest(String),
    Failed(Failure),
    Lost,
}

impl Refusal {
    fn kind(&self) -> &'static str {
        match self {
            Refusal::Busy => "queue_full",
            Refusal::TooLarge(_) => "too_large",
            Refusal::BadRequest(_) => "bad_request",
            Refusal::Failed(f) => f.kind(),
            Refusal::Lost => "lost",
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::Busy => "the request queue is full; retry later".into(),
            Refusal::TooLarge(max) => format!("the request is larger than the {max} bytes this server takes"),
            Refusal::BadRequest(why) => why.clone(),
            Refusal::Failed(f) => f.to_string(),
            Refusal::Lost => "the server is shutting down or its device failed".into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Refusal::Busy | Refusal::Lost => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
            Refusal::Failed(Failure::TimedOut) => StatusCode::GATEWAY_TIMEOUT,
            Refusal::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn json(&self) -> Value {
        let mut v = json!({ "error": self.message(), "kind": self.kind() });
        if let Refusal::Failed(Failure::Trapped { trap, function }) = self {
            v["trap"] = json!(trap.name());
            v["function"] = json!(function);
        }
        v
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.json())).into_response();
        if matches!(self, Refusal::Busy | Refusal::Lost) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Queues one request; errors that come before the device are counted here.
fn submit(app: &App, input: Vec<u8>, args: Vec<String>) -> Result<oneshot::Receiver<Outcome>, Refusal> {
    app.metrics.requests.inc();
    let refused = |r: Refusal| {
        app.metrics.error(r.kind());
        r
    };
    if input.len() > app.max_body {
        return Err(refused(Refusal::TooLarge(app.max_body)));
    }
    if args.iter().map(|a| a.len() + 5).sum::<usize>() > MAX_ARG_BYTES {
        return Err(refused(Refusal::BadRequest(format!("the arguments take more than {MAX_ARG_BYTES} bytes"))));
    }
    let (reply, rx) = oneshot::channel();
    let job = Job { input: input.into(), args, deadline: Instant::now() + app.timeout, reply };
    app.metrics.queue_depth.inc();
    match app.tx.try_send(job) {
        Ok(()) => Ok(rx),
        Err(e) => {
            app.metrics.queue_depth.dec();
            Err(refused(match e {
                TrySendError::Full(_) => Refusal::Busy,
                TrySendError::Disconnected(_) => Refusal::Lost,
            }))
        }
    }
}

/// Waits for a queued request's outcome.
async fn outcome(app: &App, rx: oneshot::Receiver<Outcome>) -> Result<Done, Refusal> {
    match tokio::time::timeout(app.timeout + REPLY_GRACE, rx).await {
        Ok(Ok(Ok(done))) => Ok(done),
        Ok(Ok(Err(failure))) => Err(Refusal::Failed(failure)),
        Ok(Err(_)) => Err(Refusal::Lost),
        Err(_) => Err(Refusal::Failed(Failure::TimedOut)),
    }
}

#[derive(Deserialize)]
struct RunBody {
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    args: Vec<String>,
}

/// The body, or the answer to a body that could not be read (413 when it is too large), boxed as
/// it is the rare case.
fn body_or_refusal(app: &App, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Box<Response>> {
    body.map_err(|rejection| {
        app.metrics.requests.inc();
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            app.metrics.error(Refusal::TooLarge(0).kind());
            return Box::new(Refusal::TooLarge(app.max_body).into_response());
        }
        app.metrics.error("bad_request");
        Box::new(rejection.into_response())
    })
}

async fn run(
    State(app): State<Arc<App>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_or_refusal(&app, body) {
        Ok(b) => b,
        Err(response) => return *response,
    };
    let json_body = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/json"));
    let mut args: Vec<String> = query.into_iter().filter(|(k, _)| k == "arg").map(|(_, v)| v).collect();
    let input = if json_body && app.style == Style::Command {
        match serde_json::from_slice::<RunBody>(&body) {
            Ok(b) => {
                args.extend(b.args);
                b.stdin.into_bytes()
            }
            Err(e) => return Refusal::BadRequest(format!("the JSON body is not {{\"stdin\": \"...\", \"args\": [...]}}: {e}")).into_response(),
        }
    } else {
        body.to_vec()
    };
    let done = match submit(&app, input, args) {
        Ok(rx) => outcome(&app, rx).await,
        Err(r) => return r.into_response(),
    };
    match done {
        Ok(done) => answer(app.style, done),
        Err(r) => r.into_response(),
    }
}

/// A finished request: a command's outputs as JSON, a resident guest's response as it is.
fn answer(style: Style, done: Done) -> Response {
    let ns = done.device_time.as_nanos() as u64;
    match style {
        Style::Command => Json(json!({
            "stdout": String::from_utf8_lossy(&done.stdout),
            "stderr": String::from_utf8_lossy(&done.stderr),
            "exit_code": done.exit_code,
            "on_device_execution_time_ns": ns,
        }))
        .into_response(),
        Style::Resident => {
            let mut response = (StatusCode::OK, done.stdout).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            h.insert("x-vv-device-ns", HeaderValue::from(ns));
            response
        }
    }
}

#[derive(Deserialize)]
struct BatchBody {
    requests: Vec<BatchEntry>,
}

#[derive(Deserialize)]
struct BatchEntry {
    req: Value,
    req_id: Value,
}

async fn batch_submit(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body_or_refusal(&app, body) {
        Ok(b) => b,
        Err(response) => return *response,
    };
    let batch: BatchBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return Refusal::BadRequest(format!("the body is not {{\"requests\": [{{\"req\": \"...\", \"req_id\": n}}, ...]}}: {e}")).into_response()
        }
    };
    let mut pending = Vec::with_capacity(batch.requests.len());
    for entry in batch.requests {
        let id = match &entry.req_id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let input = match entry.req {
            Value::String(s) => s.into_bytes(),
            other => other.to_string().into_bytes(),
        };
        pending.push((id, submit(&app, input, Vec::new())));
    }
    let mut out = Map::new();
    for (id, queued) in pending {
        let result = match queued {
            Ok(rx) => outcome(&app, rx).await,
            Err(r) => Err(r),
        };
        let entry = match result {
            Ok(done) => json!({
                "response": String::from_utf8_lossy(&done.stdout),
                "on_device_execution_time_ns": done.device_time.as_nanos() as u64,
            }),
            Err(r) => r.json(),
        };
        out.insert(id, entry);
    }
    Json(json!({ "requests": out })).into_response()
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let style = match app.style {
        Style::Command => "command",
        Style::Resident => "resident",
    };
    Json(json!({ "status": "ok", "vms": app.vms, "style": style, "device": app.device })).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut response = app.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
