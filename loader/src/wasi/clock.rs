//! clock_res_get and clock_time_get: realtime is the host's wall clock, the monotonic and CPU-time
//! clocks count nanoseconds since the run started. Unknown clock ids are INVAL.

use super::{CopyOut, VmContext};
use std::time::{SystemTime, UNIX_EPOCH};
use vv_bundle::abi::errno;

const REALTIME: u32 = 0;
const MONOTONIC: u32 = 1;
const PROCESS_CPUTIME: u32 = 2;
const THREAD_CPUTIME: u32 = 3;

fn known(id: u32) -> Result<(), u32> {
    match id {
        REALTIME | MONOTONIC | PROCESS_CPUTIME | THREAD_CPUTIME => Ok(()),
        _ => Err(errno::INVAL),
    }
}

pub fn res_get(id: u32, res_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    known(id)?;
    out.push_u64(res_ptr, 1)
}

pub fn time_get(ctx: &VmContext, id: u32, time_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    known(id)?;
    let ns = if id == REALTIME {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    } else {
        ctx.started.elapsed().as_nanos()
    };
    out.push_u64(time_ptr, ns.min(u64::MAX as u128) as u64)
}
