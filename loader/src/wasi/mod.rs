//! The host side of WASI preview1: answers one VM's hypercall from its context, in pure Rust.
//! Knows the header words and the copy-in/copy-out formats of `abi`; never touches OpenCL.

mod args;
mod clock;
mod context;
mod copyout;
mod fd;
mod random;
pub mod serverless;

pub use context::VmContext;
pub use copyout::CopyOut;
pub use random::{os_seed, SplitMix64};

use vv_bundle::abi::{errno, HostCall, HC_ARGS, HC_CALL, HC_DATA_BYTES, HC_LEN, HC_MAX_ARGS, HC_WORDS};

/// One waiting hypercall: the call id, its argument words and the bytes the device copied in.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub call: u32,
    pub args: [u64; HC_MAX_ARGS],
    pub data: &'a [u8],
}

impl<'a> Request<'a> {
    /// Builds a request from a VM's header words and its copied-in data.
    pub fn from_header(hdr: &[u64], data: &'a [u8]) -> Request<'a> {
        let mut args = [0; HC_MAX_ARGS];
        args.copy_from_slice(&hdr[HC_ARGS..HC_ARGS + HC_MAX_ARGS]);
        Request { call: hdr[HC_CALL] as u32, args, data }
    }

    /// Argument `i` as a Wasm i32 (the low 32 bits of its word).
    fn arg32(&self, i: usize) -> u32 {
        self.args[i] as u32
    }
}

/// The host's answer: the result word for `HC_RESULT` (the errno of a WASI call), what to write
/// into guest memory, and what the VM does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub errno: u32,
    pub copy_out: CopyOut,
    pub next: Next,
}

/// What becomes of a VM after its call is serviced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// It runs on with the reply.
    Resume,
    /// It stays in its call, unanswered (`serverless_invoke` with no request yet).
    Wait,
    /// It ends with this exit code.
    Exit(u32),
}

/// How many bytes of a VM's `hc_data` the host must read to service the call in `hdr`.
pub fn copy_in_len(hdr: &[u64; HC_WORDS]) -> usize {
    let len = match HostCall::from_id(hdr[HC_CALL] as u32) {
        Some(HostCall::FdWrite) => hdr[HC_LEN],
        Some(HostCall::FdRead) => (hdr[HC_ARGS + 2] as u32 as u64) * 8,
        Some(HostCall::ServerlessResponse) => hdr[HC_LEN],
        _ => 0,
    };
    len.min(HC_DATA_BYTES as u64) as usize
}

/// Services one hypercall. A call that fails writes nothing back.
pub fn service(ctx: &mut VmContext, req: &Request) -> Reply {
    let mut out = CopyOut::new();
    let result = match HostCall::from_id(req.call) {
        Some(HostCall::ServerlessInvoke) => invoke(ctx, req, &mut out),
        Some(call) => dispatch(call, ctx, req, &mut out).map(|()| (errno::SUCCESS, Next::Resume)),
        None => Err(errno::NOSYS),
    };
    match result {
        Ok((word, next)) => Reply { errno: word, copy_out: out, next },
        Err(e) => Reply { errno: e, copy_out: CopyOut::new(), next: Next::Resume },
    }
}

/// `serverless_invoke`: the request's length as the result word, or the VM waits or ends.
fn invoke(ctx: &mut VmContext, req: &Request, out: &mut CopyOut) -> Result<(u32, Next), u32> {
    Ok(match serverless::invoke(ctx, req.arg32(0), req.arg32(1), out) {
        serverless::Invoked::Delivered(n) => (n, Next::Resume),
        serverless::Invoked::Wait => (0, Next::Wait),
        serverless::Invoked::Exit => (0, Next::Exit(0)),
    })
}

fn dispatch(call: HostCall, ctx: &mut VmContext, req: &Request, out: &mut CopyOut) -> Result<(), u32> {
    let a = |i| req.arg32(i);
    match call {
        HostCall::ArgsSizesGet => args::sizes_get(&ctx.args, a(0), a(1), out),
        HostCall::ArgsGet => args::get(&ctx.args, a(0), a(1), out),
        HostCall::EnvironSizesGet => args::sizes_get(&ctx.env, a(0), a(1), out),
        HostCall::EnvironGet => args::get(&ctx.env, a(0), a(1), out),
        HostCall::ClockResGet => clock::res_get(a(0), a(1), out),
        HostCall::ClockTimeGet => clock::time_get(ctx, a(0), a(2), out),
        HostCall::FdWrite => fd::write(ctx, a(0), req.data, a(3), out),
        HostCall::FdRead => fd::read(ctx, a(0), req.data, a(3), out),
        HostCall::FdClose => fd::close(a(0)),
        HostCall::FdSeek => fd::seek(a(0)),
        HostCall::FdPrestatGet | HostCall::FdPrestatDirName => Err(errno::BADF),
        HostCall::RandomGet => random::get(ctx, a(0), a(1), out),
        HostCall::ServerlessResponse => {
            serverless::respond(ctx, req.data, a(1));
            Ok(())
        }
        // The device handles these itself, and `service` the invoke; one that reaches here is
        // not serviced.
        HostCall::ProcExit | HostCall::SchedYield | HostCall::FdFdstatGet | HostCall::ServerlessInvoke => Err(errno::NOSYS),
    }
}

#[cfg(test)]
mod tests;
