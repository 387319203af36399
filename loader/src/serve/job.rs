//! A request on its way through the server: what the VM gets (input, argv), when it must be
//! done, and where its outcome goes.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use vv_bundle::abi::Trap;

/// One request for one VM.
#[derive(Debug)]
pub struct Job {
    /// Stdin of a command; the request bytes `serverless_invoke` hands a resident guest.
    pub input: Arc<[u8]>,
    /// argv[1..] of a command (resident guests keep the argv they started with).
    pub args: Vec<String>,
    /// After this the request fails with `Failure::TimedOut` and its VM is reset.
    pub deadline: Instant,
    pub reply: oneshot::Sender<Outcome>,
}

/// What a request came to.
pub type Outcome = Result<Done, Failure>;

/// A request the VM finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// A command's stdout; a resident guest's response.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// A command's exit code (resident guests do not exit to answer).
    pub exit_code: Option<u32>,
    /// Time of the launches during which the VM ran this request.
    pub device_time: Duration,
}

/// Why a request has no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("the VM trapped: {trap} in function {function}")]
    Trapped { trap: Trap, function: String },
    #[error("the guest exited with code {0} while serving the request")]
    Exited(u32),
    #[error("the request took longer than the server's request timeout")]
    TimedOut,
    #[error("the guest asked for its next request without answering this one")]
    NoResponse,
    #[error("the response is longer than the {0} bytes one serverless_response carries")]
    ResponseTooLarge(usize),
    #[error("the device failed: {0}")]
    Device(String),
}

impl Failure {
    /// The label of the error counter.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Trapped { .. } => "trap",
            Failure::Exited(_) => "exit",
            Failure::TimedOut => "timeout",
            Failure::NoResponse => "no_response",
            Failure::ResponseTooLarge(_) => "response_too_large",
            Failure::Device(_) => "device",
        }
    }
}

impl Job {
    /// Sends the outcome; a client that went away is not an error.
    pub fn answer(self, outcome: Outcome) {
        let _ = self.reply.send(outcome);
    }
}
