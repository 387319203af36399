//! The host side of WASI preview1: answers one VM's hypercall from its context, in pure Rust.
//! Knows the header words and the copy-in/copy-out formats of `abi`; never touches OpenCL.

mod args;
mod clock;
mod context;
mod copyout;
mod fd;
mod random;

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

/// The host's answer: the errno for `HC_RESULT` and what to write into guest memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub errno: u32,
    pub copy_out: CopyOut,
}

/// How many bytes of a VM's `hc_data` the host must read to service the call in `hdr`.
pub fn copy_in_len(hdr: &[u64; HC_WORDS]) -> usize {
    let len = match HostCall::from_id(hdr[HC_CALL] as u32) {
        Some(HostCall::FdWrite) => hdr[HC_LEN],
        Some(HostCall::FdRead) => (hdr[HC_ARGS + 2] as u32 as u64) * 8,
        _ => 0,
    };
    len.min(HC_DATA_BYTES as u64) as usize
}

/// Services one hypercall. A call that fails writes nothing back.
pub fn service(ctx: &mut VmContext, req: &Request) -> Reply {
    let mut out = CopyOut::new();
    let result = match HostCall::from_id(req.call) {
        Some(call) => dispatch(call, ctx, req, &mut out),
        None => Err(errno::NOSYS),
    };
    match result {
        Ok(()) => Reply { errno: errno::SUCCESS, copy_out: out },
        Err(e) => Reply { errno: e, copy_out: CopyOut::new() },
    }
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
        HostCall::FdFdstatGet => fd::fdstat_get(a(0), a(1), out),
        HostCall::FdPrestatGet | HostCall::FdPrestatDirName => Err(errno::BADF),
        HostCall::RandomGet => random::get(ctx, a(0), a(1), out),
        // The device handles these itself; one that reaches the host is not serviced here.
        HostCall::ProcExit | HostCall::SchedYield => Err(errno::NOSYS),
    }
}

#[cfg(test)]
mod tests;
