//! The serverless calls of resident guests (`env.serverless_invoke` / `env.serverless_response`,
//! the ABI of the original VectorVisor's serverless guests): each VM's inbox of one request.

use super::{CopyOut, VmContext};
use std::sync::Arc;

/// What `serverless_invoke` does when no request is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenIdle {
    /// End the VM with exit code 0: a batch run gives each VM one request (its stdin).
    Exit,
    /// Keep the VM waiting in its call until the server hands it a request.
    Wait,
}

/// A VM's next request and how many responses it has sent.
#[derive(Debug, Clone)]
pub struct Inbox {
    pending: Option<Arc<[u8]>>,
    pub when_idle: WhenIdle,
    /// `serverless_response` calls so far.
    pub responses: u64,
    /// A response was longer than one hypercall carries (`abi::HC_DATA_BYTES`) and was cut.
    pub truncated: bool,
}

impl Inbox {
    /// An inbox that delivers `request` once, then ends the VM.
    pub fn once(request: Arc<[u8]>) -> Inbox {
        Inbox { pending: Some(request), when_idle: WhenIdle::Exit, responses: 0, truncated: false }
    }

    /// An empty inbox the server fills: `serverless_invoke` waits until it does.
    pub fn waiting() -> Inbox {
        Inbox { pending: None, when_idle: WhenIdle::Wait, responses: 0, truncated: false }
    }

    /// Queues the next request (replacing one not yet delivered).
    pub fn put(&mut self, request: Arc<[u8]>) {
        self.pending = Some(request);
    }

    pub fn has_request(&self) -> bool {
        self.pending.is_some()
    }
}

/// What a `serverless_invoke` call comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invoked {
    /// The request went into the buffer; the call returns this length.
    Delivered(u32),
    /// No request: the VM waits.
    Wait,
    /// No request: the VM ends.
    Exit,
}

/// Copies the waiting request to `buf`: at most `cap` bytes, what one copy-out holds and what
/// fits below 4 GiB (the device traps if `buf` lies outside the VM's memory).
pub fn invoke(ctx: &mut VmContext, buf: u32, cap: u32, out: &mut CopyOut) -> Invoked {
    let Some(request) = ctx.serverless.pending.take() else {
        return match ctx.serverless.when_idle {
            WhenIdle::Exit => Invoked::Exit,
            WhenIdle::Wait => Invoked::Wait,
        };
    };
    let below_4g = (1u64 << 32) - buf as u64;
    let n = (request.len() as u64).min(cap as u64).min(out.room() as u64).min(below_4g) as usize;
    if n > 0 {
        out.push(buf, &request[..n]).expect("the length is clamped to the copy-out's room and the address space");
    }
    Invoked::Delivered(n as u32)
}

/// Takes the response bytes the device copied in (`len` is what the guest passed): they become
/// the VM's output.
pub fn respond(ctx: &mut VmContext, data: &[u8], len: u32) {
    ctx.stdout.extend_from_slice(data);
    ctx.serverless.responses += 1;
    ctx.serverless.truncated |= data.len() < len as usize;
}
