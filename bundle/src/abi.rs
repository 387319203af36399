//! The contract between generated kernels and the host: VM status words, per-VM state fields,
//! trap codes, host calls and the hypercall buffer layout. The OpenCL prelude mirrors these numbers.
//!
//! Kernels of every bundle (global size: the VM count rounded up; each work-item is one VM and
//! returns at once when its id is `>= nvms`):
//! - `vv_init(mem, globals, image, image_len, nvms)`: writes the memory image (a buffer of
//!   `image_len` bytes, a multiple of 8 and at least 8) into every VM's interleaved memory and the
//!   initial globals. The host zero-fills `mem` before it.
//! - `vv_run(mem, stack, globals, state, hc_hdr, hc_data, hc_out, stdin, nvms, fuel)`: runs every
//!   VM whose status is `STATUS_RUNNING` until it exits, traps, makes a hypercall or spends `fuel`.
//!   A VM whose header word `HC_STDIN_LEFT` is not 0 reads fd 0 on the device, from `stdin`; one
//!   whose `HC_ARGS_AT` is not 0 gets its argv and environment there too; one whose `HC_OUT` is
//!   not 0 writes fd 1 into its `hc_out` row.
//! - `vv_reset(mem, globals, state, image, image_len, nvms, list, count, func, fp, pages, invoke)`:
//!   puts the `count` VMs whose ids are in `list` back to their start, on the device: zeros from
//!   `image_len` up to the memory they grew to, the image, the initial globals, and state fields
//!   RUNNING at `func` with `fp`, `pages` and `invoke` (what serving does between requests).
//!
//! Buffers, per VM: `mem` max_pages * 64 KiB bytes, at least 8 and at least the interleave
//! (interleaved); `stack` `stack_rows` ulongs, row-major (`stack[row * nvms + vm]`), rows
//! `0..invoke_slots` carry invoke arguments and results as raw bits; `globals` one ulong per
//! global (`globals[g * nvms + vm]`, at least one);
//! `state` `STATE_FIELDS` uints (`state[field * nvms + vm]`); `hc_hdr` `HC_WORDS` ulongs
//! (`hc_hdr[vm * HC_WORDS + word]`); `hc_data` `HC_DATA_BYTES` bytes (`hc_data[vm * HC_DATA_BYTES + i]`);
//! `hc_out` `HC_OUT_BYTES` bytes, likewise.
//! `stdin` is one buffer the VMs share (at least one byte): the host packs every distinct input
//! into it once, and each VM's `HC_STDIN_AT` points at its own; likewise each VM's argv and
//! environment (`HC_ARGS_AT`).
//!
//! A VM starts with status RUNNING, func = `Bundle::entry_function`, resume 0,
//! fp = `Bundle::invoke_slots`, pages = initial pages, invoke = export index or `INVOKE_COMMAND`.

use bincode::{Decode, Encode};

pub const PAGE_SIZE: u64 = 65536;

/// Status word of a VM (state field `STATE_STATUS`).
pub const STATUS_RUNNING: u32 = 0;
pub const STATUS_HYPERCALL: u32 = 1;
pub const STATUS_EXITED: u32 = 2;
pub const STATUS_TRAPPED: u32 = 3;

/// Per-VM state is a `uint` array laid out field-major: word `field * nvms + vm`.
pub const STATE_STATUS: usize = 0;
pub const STATE_FUNC: usize = 1;
pub const STATE_RESUME: usize = 2;
pub const STATE_FP: usize = 3;
pub const STATE_PAGES: usize = 4;
/// Exit code of an exited VM, trap code of a trapped one.
pub const STATE_CODE: usize = 5;
/// Function id a trapped VM was in.
pub const STATE_TRAP_FUNC: usize = 6;
/// Which export the VM runs (`Export::invoke_index`), or `INVOKE_COMMAND` for the WASI entry.
pub const STATE_INVOKE: usize = 7;
pub const STATE_FIELDS: usize = 8;

pub const INVOKE_COMMAND: u32 = u32::MAX;
/// Invoke word of a VM that only instantiates (runs the start function) and exits.
pub const INVOKE_INSTANTIATE: u32 = u32::MAX - 1;

/// Bits of a null reference (funcref or externref) at the host boundary and in tables.
pub const REF_NULL: u64 = 0xffff_ffff;

/// Hypercall header: `HC_WORDS` ulongs per VM, contiguous per VM.
pub const HC_CALL: usize = 0;
/// First of `HC_MAX_ARGS` argument words.
pub const HC_ARGS: usize = 1;
pub const HC_MAX_ARGS: usize = 10;
/// Result (errno) written by the host.
pub const HC_RESULT: usize = 11;
/// Bytes the device copied into the data buffer for the host.
pub const HC_LEN: usize = 12;
/// Where the VM's stdin on the device goes on: a byte offset into the `stdin` buffer.
pub const HC_STDIN_AT: usize = 13;
/// 0: the host serves the VM's reads of fd 0 (hypercalls). Otherwise 1 + the bytes of stdin left
/// at `HC_STDIN_AT`, and fd_read on fd 0 copies them on the device, without leaving the kernel:
/// a VM that reads its input in pieces does not wait at every piece for the other VMs.
pub const HC_STDIN_LEFT: usize = 14;
/// 0: the host serves the VM's args_* and environ_* calls. Otherwise 1 + the byte offset (a
/// multiple of 4) in the `stdin` buffer of the VM's argv and environment, each list laid out as
/// `u32 count, u32 bytes, then its NUL-terminated strings (bytes in all), padded to 4 bytes`,
/// argv first; the device answers those calls from it.
pub const HC_ARGS_AT: usize = 15;
/// 0: the host serves the VM's writes to fd 1 (hypercalls). Otherwise 1 + the bytes the VM wrote
/// to stdout on the device that the host has not taken yet, at the start of its `hc_out` row: a
/// write that fits the row does not leave the kernel. After every launch the host takes the bytes
/// of each VM that stopped (exited, trapped or made a hypercall), and of all VMs when the run ends.
pub const HC_OUT: usize = 16;
pub const HC_WORDS: usize = 17;

/// Per-VM hypercall data buffer. The host answers with copy-out segments laid out as
/// `u32 count, count x (u32 address, u32 length), then the bytes of each segment in order`.
pub const HC_DATA_BYTES: usize = 65536;

/// Per-VM stdout buffer (`HC_OUT`): rows as long as the data rows, so one packing kernel reads both.
pub const HC_OUT_BYTES: usize = HC_DATA_BYTES;

/// Why a VM stopped abnormally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trap {
    Unreachable = 1,
    MemoryOutOfBounds = 2,
    IntegerDivideByZero = 3,
    IntegerOverflow = 4,
    InvalidConversionToInteger = 5,
    CallStackExhausted = 6,
    IndirectCallTypeMismatch = 7,
    UndefinedElement = 8,
    UninitializedElement = 9,
    TableOutOfBounds = 10,
    /// A loop inside a function called directly (`vvc build --direct-calls`) ran 2^30
    /// iterations past the launch's fuel: such loops cannot yield.
    RunawayLoop = 11,
}

impl Trap {
    pub const ALL: [Trap; 11] = [
        Trap::Unreachable,
        Trap::MemoryOutOfBounds,
        Trap::IntegerDivideByZero,
        Trap::IntegerOverflow,
        Trap::InvalidConversionToInteger,
        Trap::CallStackExhausted,
        Trap::IndirectCallTypeMismatch,
        Trap::UndefinedElement,
        Trap::UninitializedElement,
        Trap::TableOutOfBounds,
        Trap::RunawayLoop,
    ];

    pub fn from_code(code: u32) -> Option<Trap> {
        Trap::ALL.into_iter().find(|t| *t as u32 == code)
    }

    /// Short machine-readable name, as written to `status.json`.
    pub fn name(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "memory_out_of_bounds",
            Trap::IntegerDivideByZero => "integer_divide_by_zero",
            Trap::IntegerOverflow => "integer_overflow",
            Trap::InvalidConversionToInteger => "invalid_conversion_to_integer",
            Trap::CallStackExhausted => "call_stack_exhausted",
            Trap::IndirectCallTypeMismatch => "indirect_call_type_mismatch",
            Trap::UndefinedElement => "undefined_element",
            Trap::UninitializedElement => "uninitialized_element",
            Trap::TableOutOfBounds => "table_out_of_bounds",
            Trap::RunawayLoop => "runaway_loop",
        }
    }

    /// The name the OpenCL prelude uses for the trap code.
    pub fn c_name(self) -> &'static str {
        match self {
            Trap::Unreachable => "VV_TRAP_UNREACHABLE",
            Trap::MemoryOutOfBounds => "VV_TRAP_OOB",
            Trap::IntegerDivideByZero => "VV_TRAP_DIV_ZERO",
            Trap::IntegerOverflow => "VV_TRAP_INT_OVERFLOW",
            Trap::InvalidConversionToInteger => "VV_TRAP_BAD_CONVERSION",
            Trap::CallStackExhausted => "VV_TRAP_STACK_EXHAUSTED",
            Trap::IndirectCallTypeMismatch => "VV_TRAP_SIGNATURE",
            Trap::UndefinedElement => "VV_TRAP_TABLE_BOUNDS",
            Trap::UninitializedElement => "VV_TRAP_NULL_ELEMENT",
            Trap::TableOutOfBounds => "VV_TRAP_TABLE_OOB",
            Trap::RunawayLoop => "VV_TRAP_RUNAWAY",
        }
    }
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Host functions a program may import. The discriminant is the id the kernel writes to `HC_CALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub enum HostCall {
    ArgsGet = 1,
    ArgsSizesGet = 2,
    EnvironGet = 3,
    EnvironSizesGet = 4,
    ClockResGet = 5,
    ClockTimeGet = 6,
    FdWrite = 7,
    FdRead = 8,
    FdClose = 9,
    FdSeek = 10,
    FdFdstatGet = 11,
    FdPrestatGet = 12,
    FdPrestatDirName = 13,
    RandomGet = 14,
    ProcExit = 15,
    SchedYield = 16,
    /// `env.serverless_invoke(buf, cap) -> len`: waits for the next request and copies it to `buf`.
    ServerlessInvoke = 17,
    /// `env.serverless_response(ptr, len)`: answers the request being served.
    ServerlessResponse = 18,
}

/// What the kernel copies into the hypercall data buffer before leaving for the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyIn {
    /// Nothing: the host needs only the argument words.
    None,
    /// The bytes of the iovec list (args 1 and 2): what `fd_write` writes.
    IovecData,
    /// The iovec list itself (args 1 and 2, 8 bytes an entry): where `fd_read` scatters.
    IovecList,
    /// The bytes at address arg 0, arg 1 of them: what `serverless_response` sends.
    Range,
}

/// How a host call is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The kernel leaves for the host, which answers in a batch.
    Host(CopyIn),
    /// The device answers (`vv_dev_<name>` in the prelude, which stores the errno at
    /// `HC_RESULT`) when it holds what the call reads (the VM's stdin, argv, environment) or has
    /// room for what it writes (stdout); otherwise as `Host`.
    DeviceFirst(CopyIn),
    /// The device answers from the arguments alone (`vv_dev_<name>`, errno at `HC_RESULT`).
    Device,
    /// The kernel ends the VM with the first argument as exit code.
    DeviceExit,
    /// The kernel returns 0 and ends the VM's launch early.
    DeviceYield,
}

use ValKind::*;

/// Parameter kinds of host call signatures (all WASI preview1 values are i32 or i64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValKind {
    I32,
    I64,
}

impl HostCall {
    pub const ALL: [HostCall; 18] = [
        HostCall::ArgsGet,
        HostCall::ArgsSizesGet,
        HostCall::EnvironGet,
        HostCall::EnvironSizesGet,
        HostCall::ClockResGet,
        HostCall::ClockTimeGet,
        HostCall::FdWrite,
        HostCall::FdRead,
        HostCall::FdClose,
        HostCall::FdSeek,
        HostCall::FdFdstatGet,
        HostCall::FdPrestatGet,
        HostCall::FdPrestatDirName,
        HostCall::RandomGet,
        HostCall::ProcExit,
        HostCall::SchedYield,
        HostCall::ServerlessInvoke,
        HostCall::ServerlessResponse,
    ];

    pub const WASI_MODULE: &'static str = "wasi_snapshot_preview1";
    /// Module of the serverless calls, as guests of the original VectorVisor import them.
    pub const SERVERLESS_MODULE: &'static str = "env";

    pub fn from_id(id: u32) -> Option<HostCall> {
        HostCall::ALL.into_iter().find(|c| *c as u32 == id)
    }

    /// Looks up an import by module and field name.
    pub fn lookup(module: &str, name: &str) -> Option<HostCall> {
        HostCall::ALL.into_iter().find(|c| c.module() == module && c.name() == name)
    }

    /// The import module the call belongs to.
    pub fn module(self) -> &'static str {
        match self {
            HostCall::ServerlessInvoke | HostCall::ServerlessResponse => Self::SERVERLESS_MODULE,
            _ => Self::WASI_MODULE,
        }
    }

    /// The import's field name.
    pub fn name(self) -> &'static str {
        match self {
            HostCall::ArgsGet => "args_get",
            HostCall::ArgsSizesGet => "args_sizes_get",
            HostCall::EnvironGet => "environ_get",
            HostCall::EnvironSizesGet => "environ_sizes_get",
            HostCall::ClockResGet => "clock_res_get",
            HostCall::ClockTimeGet => "clock_time_get",
            HostCall::FdWrite => "fd_write",
            HostCall::FdRead => "fd_read",
            HostCall::FdClose => "fd_close",
            HostCall::FdSeek => "fd_seek",
            HostCall::FdFdstatGet => "fd_fdstat_get",
            HostCall::FdPrestatGet => "fd_prestat_get",
            HostCall::FdPrestatDirName => "fd_prestat_dir_name",
            HostCall::RandomGet => "random_get",
            HostCall::ProcExit => "proc_exit",
            HostCall::SchedYield => "sched_yield",
            HostCall::ServerlessInvoke => "serverless_invoke",
            HostCall::ServerlessResponse => "serverless_response",
        }
    }

    /// Parameter kinds and whether the call returns an i32 (an errno for WASI calls, the request's
    /// length for `serverless_invoke`).
    pub fn signature(self) -> (&'static [ValKind], bool) {
        match self {
            HostCall::ArgsGet
            | HostCall::ArgsSizesGet
            | HostCall::EnvironGet
            | HostCall::EnvironSizesGet
            | HostCall::ClockResGet
            | HostCall::FdFdstatGet
            | HostCall::FdPrestatGet
            | HostCall::RandomGet
            | HostCall::ServerlessInvoke => (&[I32, I32], true),
            HostCall::ClockTimeGet => (&[I32, I64, I32], true),
            HostCall::FdWrite | HostCall::FdRead => (&[I32, I32, I32, I32], true),
            HostCall::FdClose => (&[I32], true),
            HostCall::FdSeek => (&[I32, I64, I32, I32], true),
            HostCall::FdPrestatDirName => (&[I32, I32, I32], true),
            HostCall::ProcExit => (&[I32], false),
            HostCall::SchedYield => (&[], true),
            HostCall::ServerlessResponse => (&[I32, I32], false),
        }
    }

    pub fn service(self) -> Service {
        match self {
            HostCall::FdWrite => Service::DeviceFirst(CopyIn::IovecData),
            HostCall::FdRead => Service::DeviceFirst(CopyIn::IovecList),
            HostCall::ArgsGet | HostCall::ArgsSizesGet | HostCall::EnvironGet | HostCall::EnvironSizesGet => {
                Service::DeviceFirst(CopyIn::None)
            }
            HostCall::FdFdstatGet => Service::Device,
            HostCall::ServerlessResponse => Service::Host(CopyIn::Range),
            HostCall::ProcExit => Service::DeviceExit,
            HostCall::SchedYield => Service::DeviceYield,
            _ => Service::Host(CopyIn::None),
        }
    }
}

/// WASI errno values the host returns.
pub mod errno {
    pub const SUCCESS: u32 = 0;
    pub const BADF: u32 = 8;
    pub const FAULT: u32 = 21;
    pub const INVAL: u32 = 28;
    pub const NOSYS: u32 = 52;
    pub const SPIPE: u32 = 70;
}
