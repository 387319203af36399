//! `vv-run serve`: keeps N VMs resident on the device and answers HTTP requests with them, in
//! batches. Two guest styles: a WASI command run once per request (its VM reset on the device in
//! between), or a resident guest that loops on `env.serverless_invoke` / `serverless_response`.
//!
//! The HTTP side (axum on tokio, `http`) queues requests; the calling thread drives the device
//! (`dispatch`, `pool`), so OpenCL objects never cross threads.

mod dispatch;
mod http;
mod job;
mod metrics;
mod pool;

pub use dispatch::Batching;
pub use job::{Done, Failure};
pub use metrics::Metrics;

use crate::error::RunError;
use crate::Loader;
use pool::{Pool, PoolConfig};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vv_bundle::abi::{HostCall, HC_DATA_BYTES};
use vv_bundle::Bundle;

/// How a program serves requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A WASI command: one run per request, the request as stdin, stdout as the answer.
    Command,
    /// A guest that imports `env.serverless_invoke` and loops, answering each request with
    /// `env.serverless_response`.
    Resident,
}

impl Style {
    pub fn of(bundle: &Bundle) -> Style {
        if bundle.imports.iter().any(|i| i.call == HostCall::ServerlessInvoke) {
            Style::Resident
        } else {
            Style::Command
        }
    }
}

/// Largest request a resident guest can get: what one `serverless_invoke` copy-out carries.
pub const RESIDENT_MAX_REQUEST: usize = HC_DATA_BYTES - 12;
/// Default largest request body of a command.
pub const COMMAND_MAX_REQUEST: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub vms: usize,
    pub listen: SocketAddr,
    pub batching: Batching,
    /// Requests that may wait for a VM; more get `503` with `Retry-After`.
    pub queue: usize,
    /// A request not answered by then gets `504` and its VM is reset.
    pub request_timeout: Duration,
    /// Largest request body (default: `COMMAND_MAX_REQUEST`, or `RESIDENT_MAX_REQUEST`).
    pub max_body: Option<usize>,
    pub env: Vec<(String, String)>,
    /// argv[1..] of resident guests (commands take theirs per request).
    pub args: Vec<String>,
    pub local_size: Option<usize>,
    pub seed: Option<u64>,
}

/// What a server did, for its closing line.
#[derive(Debug, Clone)]
pub struct ServeSummary {
    pub style: Style,
    pub requests: u64,
    pub completed: u64,
    pub launches: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the HTTP server failed: {0}")]
    Http(std::io::Error),
}

/// Sets up the VMs, listens on `cfg.listen`, calls `ready` with the bound address, and serves
/// until `shutdown` resolves; then stops taking connections, finishes the requests in flight and
/// returns. Blocks the calling thread, which drives the device.
pub fn serve<F>(loader: &Loader, cfg: &ServeConfig, shutdown: F, ready: impl FnOnce(SocketAddr)) -> Result<ServeSummary, ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let bundle = loader.bundle();
    let style = Style::of(bundle);
    let limit = match style {
        Style::Command => COMMAND_MAX_REQUEST,
        Style::Resident => RESIDENT_MAX_REQUEST,
    };
    let max_body = cfg.max_body.unwrap_or(limit);
    if style == Style::Resident && max_body > RESIDENT_MAX_REQUEST {
        return Err(ServeError::Config(format!(
            "--max-body {max_body}: a resident guest gets a request in one serverless_invoke, at most {RESIDENT_MAX_REQUEST} bytes"
        )));
    }
    if cfg.queue == 0 {
        return Err(ServeError::Config("the queue must hold at least one request".into()));
    }
    let metrics = Arc::new(Metrics::new());
    let pool_cfg = PoolConfig { vms: cfg.vms, env: cfg.env.clone(), args: cfg.args.clone(), local_size: cfg.local_size, seed: cfg.seed };
    let mut pool = Pool::new(&loader.dev, bundle, style, pool_cfg, metrics.clone())?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
        .enable_all()
        .build()
        .map_err(ServeError::Http)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(cfg.listen))
        .map_err(|source| ServeError::Bind { addr: cfg.listen, source })?;
    let addr = listener.local_addr().map_err(ServeError::Http)?;
    let (tx, rx) = std::sync::mpsc::sync_channel(cfg.queue);
    let app = Arc::new(http::App {
        tx,
        metrics: metrics.clone(),
        style,
        timeout: cfg.request_timeout,
        max_body,
        vms: cfg.vms,
        device: loader.device_name(),
    });
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(async move {
        let stop = async move {
            tokio::select! {
                () = shutdown => {}
                _ = failed_rx => {}
            }
        };
        axum::serve(listener, http::router(app)).with_graceful_shutdown(stop).await
    });
    ready(addr);

    let served = dispatch::serve_requests(&mut pool, &rx, cfg.batching, &metrics);
    if let Err(e) = &served {
        // The device is gone: fail what is in flight and what still arrives, and stop serving.
        let _ = failed_tx.send(());
        let why = e.to_string();
        pool.abandon(&why);
        for job in rx.iter() {
            metrics.queue_depth.dec();
            job.answer(Err(Failure::Device(why.clone())));
        }
    }
    let http = runtime.block_on(server).map_err(|e| ServeError::Http(std::io::Error::other(e)))?;
    served?;
    http.map_err(ServeError::Http)?;
    Ok(ServeSummary {
        style,
        requests: metrics.requests.get(),
        completed: metrics.completed.get(),
        launches: metrics.launches.get(),
    })
}
