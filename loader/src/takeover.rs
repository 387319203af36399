//! The whole program of a split bundle, building in a helper process while the VMs start on the
//! bundle's partitions; between launches the run asks whether it is ready and moves onto it.
//!
//! NVIDIA's compiler takes 30-50 s for the larger corpus programs as one program; their
//! partitions build in parallel in a fraction of that but run slower (a call between partitions
//! costs a launch). The helper stores the whole program's binary in the cache and loads it once
//! (leaving the machine code in the driver's cache), so the next start loads it in milliseconds.

use crate::build_helper::{self, Running};
use crate::device::DeviceInfo;
use crate::program;
use opencl3::context::Context;
use opencl3::program::Program;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `VV_TAKEOVER_AT_LAUNCH=N`: after launch N, wait for the whole program instead of only
/// checking on it, so that a test sees the move at a known point.
const WAIT_AT_VAR: &str = "VV_TAKEOVER_AT_LAUNCH";

/// A whole-program build in progress.
pub(crate) struct Takeover {
    running: Option<Running>,
    out: PathBuf,
    options: String,
    started: Instant,
    wait_at: Option<u64>,
}

impl Takeover {
    /// Starts building `source` in a helper that stores the binary at `out` (its cache path).
    pub fn start(helper: &Path, dev: &DeviceInfo, source: &str, out: PathBuf, options: &str) -> Result<Takeover, String> {
        let running = Running::start(helper, dev, options, &build_helper::Job { source, out: out.clone() })?;
        let wait_at = std::env::var(WAIT_AT_VAR).ok().and_then(|v| v.parse().ok());
        Ok(Takeover { running: Some(running), out, options: options.to_string(), started: Instant::now(), wait_at })
    }

    /// After `launches` launches: `None` while the helper builds, then the whole program and how
    /// long its build took (until this call noticed it done), or why there is none.
    pub fn poll(&mut self, context: &Context, dev: &DeviceInfo, launches: u64) -> Option<Result<(Program, Duration), String>> {
        let running = self.running.as_mut()?;
        let done = if self.wait_at.is_some_and(|at| launches >= at) {
            self.running.take().map(Running::wait)
        } else {
            let done = running.poll();
            if done.is_some() {
                self.running = None;
            }
            done
        }?;
        let took = self.started.elapsed();
        Some(done.and_then(|()| {
            let binary = std::fs::read(&self.out).map_err(|e| format!("reading {}: {e}", self.out.display()))?;
            let program = program::from_binary(context, dev, &binary, &self.options).map_err(|e| format!("loading the whole program: {e}"))?;
            Ok((program, took))
        }))
    }

    /// Waits for the helper (without loading its program): how long the build took, or why it
    /// failed.
    pub fn finish(mut self) -> Result<Duration, String> {
        match self.running.take() {
            Some(running) => running.wait().map(|()| self.started.elapsed()),
            None => Err("already finished".into()),
        }
    }
}

impl Drop for Takeover {
    /// A run that ended first leaves the helper to finish: its binary lands in the cache for the
    /// next start, and no process outlives this one.
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.wait();
        }
    }
}
