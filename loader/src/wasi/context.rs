//! What one VM's WASI calls see and change: argv, environment, stdin and its position, captured
//! stdout/stderr, the run's clock and a random stream. Plain data; no OpenCL, no I/O.

use super::random::SplitMix64;
use super::serverless::Inbox;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct VmContext {
    /// argv, program name first.
    pub args: Vec<String>,
    /// Environment entries as `K=V`.
    pub env: Vec<String>,
    pub(super) stdin: Arc<[u8]>,
    pub(super) stdin_pos: usize,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// When the run started: the zero of the monotonic and CPU-time clocks.
    pub(super) started: Instant,
    pub(super) rng: SplitMix64,
    /// The request `serverless_invoke` hands over: in a batch run, stdin once.
    pub serverless: Inbox,
}

impl VmContext {
    pub fn new(args: Vec<String>, env: &[(String, String)], stdin: Arc<[u8]>, started: Instant, seed: u64) -> VmContext {
        VmContext {
            args,
            env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            serverless: Inbox::once(stdin.clone()),
            stdin,
            stdin_pos: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
            started,
            rng: SplitMix64::new(seed),
        }
    }

    /// Stdin bytes not read yet.
    /// All of the VM's stdin, read or not.
    pub fn stdin(&self) -> &Arc<[u8]> {
        &self.stdin
    }

    pub fn stdin_left(&self) -> usize {
        self.stdin.len() - self.stdin_pos
    }
}
