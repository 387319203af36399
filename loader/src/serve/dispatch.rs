//! The device thread's loop: waits for requests while the VMs are idle, gathers a batch (until
//! the batch is full or the batch timeout passes), admits it into free VMs, and steps the pool.

use super::job::Job;
use super::metrics::Metrics;
use super::pool::Pool;
use crate::error::RunError;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// When a batch is launched.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Launch once this many requests wait (capped by the free VMs).
    pub size: usize,
    /// Or once the first waiting request has waited this long.
    pub timeout: Duration,
}

/// Serves requests from `rx` until every sender is gone and nothing is in flight.
pub(crate) fn serve_requests(pool: &mut Pool, rx: &Receiver<Job>, batching: Batching, metrics: &Metrics) -> Result<(), RunError> {
    let mut open = true;
    loop {
        let room = pool.free().min(batching.size.max(1));
        let mut batch = Vec::new();
        if pool.has_work() {
            // VMs are running: take whatever waits, without holding up the next launch.
            while open && batch.len() < room {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
        } else {
            if !open {
                return Ok(());
            }
            match rx.recv() {
                Ok(job) => batch.push(job),
                Err(_) => return Ok(()),
            }
            let until = Instant::now() + batching.timeout;
            while batch.len() < room {
                match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                    Ok(job) => batch.push(job),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
        }
        if !batch.is_empty() {
            metrics.queue_depth.dec_by(batch.len() as i64);
            metrics.batches.inc();
            metrics.batch_size.observe(batch.len() as f64);
            pool.admit(batch)?;
        }
        if pool.has_work() {
            pool.step()?;
        }
    }
}
