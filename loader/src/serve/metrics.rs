//! The server's counters, exported at `GET /metrics` in the Prometheus text format: requests,
//! batches and their sizes, queue depth, device time, launches, hypercalls and errors by kind.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Label of the error counter: what went wrong with a request.
pub type ErrorKind = Vec<(&'static str, &'static str)>;

pub struct Metrics {
    registry: Registry,
    /// Requests received (each entry of a batch counts).
    pub requests: Counter,
    /// Requests answered with a result (200).
    pub completed: Counter,
    /// Requests that failed, by kind (`trap`, `exit`, `timeout`, `queue_full`, `too_large`, ...).
    pub errors: Family<ErrorKind, Counter>,
    /// Admissions of waiting requests into free VMs.
    pub batches: Counter,
    pub batch_size: Histogram,
    /// Requests waiting for a free VM.
    pub queue_depth: Gauge,
    /// VMs serving a request.
    pub busy_vms: Gauge,
    pub launches: Counter,
    pub hypercalls: Counter,
    /// Seconds the device spent in `vv_run` launches.
    pub device_seconds: Counter<f64, AtomicU64>,
    /// OpenCL programs the VMs run on: a split program's partitions until its whole program
    /// takes over, then 1.
    pub programs: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("vv");
        let m = Metrics {
            requests: Counter::default(),
            completed: Counter::default(),
            errors: Family::default(),
            batches: Counter::default(),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 17)),
            queue_depth: Gauge::default(),
            busy_vms: Gauge::default(),
            launches: Counter::default(),
            hypercalls: Counter::default(),
            device_seconds: Counter::default(),
            programs: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("requests", "Requests received", m.requests.clone());
        registry.register("requests_completed", "Requests answered with a result", m.completed.clone());
        registry.register("request_errors", "Requests that failed, by kind", m.errors.clone());
        registry.register("batches", "Admissions of waiting requests into free VMs", m.batches.clone());
        registry.register("batch_size", "Requests per admission", m.batch_size.clone());
        registry.register("queue_depth", "Requests waiting for a free VM", m.queue_depth.clone());
        registry.register("busy_vms", "VMs serving a request", m.busy_vms.clone());
        registry.register("launches", "Kernel launches", m.launches.clone());
        registry.register("hypercalls", "Hypercalls serviced", m.hypercalls.clone());
        registry.register("device_seconds", "Seconds spent in kernel launches", m.device_seconds.clone());
        registry.register("programs", "OpenCL programs the VMs run on (partitions, or 1: the whole program)", m.programs.clone());
        Metrics { registry, ..m }
    }

    pub fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&vec![("kind", kind)]).inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String does not fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_error_kinds() {
        let m = Metrics::new();
        m.requests.inc_by(3);
        m.error("trap");
        m.batch_size.observe(5.0);
        let text = m.render();
        assert!(text.contains("vv_requests_total 3"), "{text}");
        assert!(text.contains("vv_request_errors_total{kind=\"trap\"} 1"), "{text}");
        assert!(text.contains("vv_batch_size_count 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
