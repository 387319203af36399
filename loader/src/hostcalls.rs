//! One round of hypercalls between two launches: reads the waiting VMs' headers and copy-in data,
//! services them on host threads, and writes results, copy-outs and RUNNING status back.

use crate::error::{ClContext, RunError};
use crate::helper_kernels::HelperKernels;
use crate::pack;
use crate::vm_state::VmBuffers;
use crate::wasi::{self, Next, Reply, Request, VmContext};
use opencl3::command_queue::CommandQueue;
use opencl3::types::{CL_BLOCKING, CL_NON_BLOCKING};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vv_bundle::abi::{HostCall, HC_RESULT, HC_WORDS, STATE_CODE, STATUS_EXITED, STATUS_RUNNING};

/// Waiting VMs per host thread below which servicing stays on one thread.
const PER_THREAD: usize = 64;

/// The host threads that service hypercalls, shared by the devices of one run: a device's round
/// runs on its own thread plus as many extra threads as are free, so rounds of several devices
/// that fall together split the cores, and a round alone gets them all.
#[derive(Debug)]
pub struct HostThreads {
    free: AtomicUsize,
}

impl HostThreads {
    /// Extra threads for `devices` devices: the host's cores less one per device thread.
    pub fn for_devices(devices: usize) -> HostThreads {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        HostThreads::new(cores.saturating_sub(devices.max(1)))
    }

    pub fn new(extra: usize) -> HostThreads {
        HostThreads { free: AtomicUsize::new(extra) }
    }

    /// Takes up to `want` extra threads (maybe none); they return when the guard drops.
    pub fn take(&self, want: usize) -> Taken<'_> {
        let mut free = self.free.load(Ordering::Relaxed);
        loop {
            let n = want.min(free);
            match self.free.compare_exchange_weak(free, free - n, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Taken { pool: self, n },
                Err(now) => free = now,
            }
        }
    }
}

/// Extra threads taken from a `HostThreads`.
pub struct Taken<'a> {
    pool: &'a HostThreads,
    pub n: usize,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.pool.free.fetch_add(self.n, Ordering::AcqRel);
    }
}

/// What one round did: time spent moving bytes and servicing calls, and the VMs left waiting.
#[derive(Debug, Default, Clone)]
pub struct Round {
    pub transfer: Duration,
    pub service: Duration,
    /// VMs whose call stays unanswered (`serverless_invoke` with no request yet), in order.
    pub parked: Vec<usize>,
}

/// Services every VM in `waiting` (sorted VM indices whose status is HYPERCALL) and marks them
/// RUNNING in `status` (the host copy of the status row) and on the device; a VM whose reply
/// says so stays waiting (`Round::parked`) or ends (EXITED, with its exit code).
pub fn service_round(
    queue: &CommandQueue,
    helpers: &HelperKernels,
    bufs: &mut VmBuffers,
    status: &mut [u32],
    waiting: &[usize],
    contexts: &mut [VmContext],
    threads: &HostThreads,
) -> Result<Round, RunError> {
    let (Some(&lo), Some(&hi)) = (waiting.first(), waiting.last()) else { return Ok(Round::default()) };
    let t0 = Instant::now();

    // Headers of rows lo..=hi, then the copy-in bytes each call needs.
    let mut hdr = vec![0u64; (hi + 1 - lo) * HC_WORDS];
    // SAFETY: blocking read into a live vector inside the buffer's bounds.
    unsafe { queue.enqueue_read_buffer(&bufs.hc_hdr, CL_BLOCKING, lo * HC_WORDS * 8, &mut hdr, &[]) }.cl("reading hypercall headers")?;
    let header = |vm: usize| -> &[u64; HC_WORDS] { hdr[(vm - lo) * HC_WORDS..][..HC_WORDS].try_into().unwrap() };
    let wants: Vec<(usize, usize)> = waiting.iter().map(|&vm| (vm, wasi::copy_in_len(header(vm)))).collect();
    let (packed, starts) = pack::read_rows(queue, helpers, bufs, pack::Rows::Data, &wants).cl("reading hypercall data")?;
    let data: Vec<&[u8]> = wants.iter().zip(&starts).map(|(&(_, len), &start)| &packed[start..][..len]).collect();
    let requests: Vec<Request> = waiting.iter().zip(&data).map(|(&vm, d)| Request::from_header(header(vm), d)).collect();
    let t1 = Instant::now();

    let replies = service_parallel(contexts, waiting, &requests, threads);
    let t2 = Instant::now();

    // Results into the headers, copy-outs into the data rows, RUNNING into the status row.
    let mut parked = Vec::new();
    let mut exits = Vec::new();
    for (&vm, reply) in waiting.iter().zip(&replies) {
        match reply.next {
            Next::Resume => {
                hdr[(vm - lo) * HC_WORDS + HC_RESULT] = reply.errno as u64;
                status[vm] = STATUS_RUNNING;
            }
            Next::Wait => parked.push(vm),
            Next::Exit(code) => {
                status[vm] = STATUS_EXITED;
                exits.push((vm, [code]));
            }
        }
    }
    let outs: Vec<(usize, usize)> = waiting.iter().zip(&replies).map(|(&vm, r)| (vm, r.copy_out.encoded_len())).collect();
    pack::write_rows(queue, helpers, bufs, &outs, |i, out| replies[i].copy_out.encode_into(out)).cl("writing hypercall replies")?;
    // SAFETY: every host slice lives until after finish(), also on error; offsets lie inside the
    // buffers.
    let enqueued = unsafe {
        queue
            .enqueue_write_buffer(&mut bufs.hc_hdr, CL_NON_BLOCKING, lo * HC_WORDS * 8, &hdr, &[])
            .map(drop)
            .and_then(|()| queue.enqueue_write_buffer(&mut bufs.state, CL_NON_BLOCKING, lo * 4, &status[lo..=hi], &[]).map(drop))
            .and_then(|()| {
                let n = bufs.nvms;
                exits.iter().try_for_each(|(vm, code)| {
                    queue.enqueue_write_buffer(&mut bufs.state, CL_NON_BLOCKING, (STATE_CODE * n + vm) * 4, code, &[]).map(drop)
                })
            })
    };
    let finished = queue.finish();
    enqueued.and(finished).cl("writing hypercall replies")?;
    trace!(
        "round of {} calls ({}): headers and {} KiB in {:.1} ms, service {:.1} ms, {} KiB out {:.1} ms",
        waiting.len(),
        call_tally(&requests),
        packed.len() >> 10,
        (t1 - t0).as_secs_f64() * 1e3,
        (t2 - t1).as_secs_f64() * 1e3,
        outs.iter().map(|o| o.1).sum::<usize>() >> 10,
        t2.elapsed().as_secs_f64() * 1e3
    );
    Ok(Round { transfer: (t1 - t0) + t2.elapsed(), service: t2 - t1, parked })
}

/// The calls of a round by name, for traces: `fd_write 4096, clock_time_get 12`.
fn call_tally(requests: &[Request]) -> String {
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for r in requests {
        match counts.iter_mut().find(|c| c.0 == r.call) {
            Some(c) => c.1 += 1,
            None => counts.push((r.call, 1)),
        }
    }
    let name = |id: u32| HostCall::from_id(id).map_or_else(|| format!("call {id}"), |c| c.name().to_string());
    counts.iter().map(|&(id, n)| format!("{} {n}", name(id))).collect::<Vec<_>>().join(", ")
}

/// Services `requests[k]` for VM `waiting[k]`, on several threads when there are many: this one
/// and as many free ones of `threads` as there are `PER_THREAD` calls beyond the first.
pub fn service_parallel(contexts: &mut [VmContext], waiting: &[usize], requests: &[Request], threads: &HostThreads) -> Vec<Reply> {
    let mut jobs: Vec<(&mut VmContext, &Request)> = Vec::with_capacity(waiting.len());
    let mut next = waiting.iter().zip(requests).peekable();
    for (vm, ctx) in contexts.iter_mut().enumerate() {
        match next.peek() {
            Some(&(&w, req)) if w == vm => {
                jobs.push((ctx, req));
                next.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    let extra = threads.take(jobs.len().div_ceil(PER_THREAD).saturating_sub(1));
    let threads = 1 + extra.n;
    if threads == 1 {
        return jobs.into_iter().map(|(ctx, req)| wasi::service(ctx, req)).collect();
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks_mut(chunk)
            .map(|part| s.spawn(move || part.iter_mut().map(|(ctx, req)| wasi::service(ctx, req)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("hypercall service thread panicked")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn thread_pool_lends_what_is_free() {
        let pool = HostThreads::new(4);
        let a = pool.take(3);
        assert_eq!(a.n, 3);
        assert_eq!(pool.take(5).n, 1, "only one left");
        drop(a);
        assert_eq!(pool.take(5).n, 4);
        assert_eq!(HostThreads::new(0).take(8).n, 0, "the caller's own thread still services");
    }
    use vv_bundle::abi::HC_MAX_ARGS;

    #[test]
    fn parallel_service_matches_each_vm() {
        let n = 1000;
        let mut contexts: Vec<VmContext> =
            (0..n).map(|_| VmContext::new(vec!["p".into()], &[], Arc::from(&b""[..]), Instant::now(), 1)).collect();
        let waiting: Vec<usize> = (0..n).filter(|vm| vm % 3 != 1).collect();
        let texts: Vec<String> = waiting.iter().map(|vm| format!("vm {vm}\n")).collect();
        let mut args = [0u64; HC_MAX_ARGS];
        args[0] = 1;
        let requests: Vec<Request> =
            texts.iter().map(|t| Request { call: HostCall::FdWrite as u32, args, data: t.as_bytes() }).collect();
        let pool = HostThreads::new(3);
        let replies = service_parallel(&mut contexts, &waiting, &requests, &pool);
        assert_eq!(pool.take(usize::MAX).n, 3, "threads return to the pool");
        assert_eq!(replies.len(), waiting.len());
        for (vm, ctx) in contexts.iter().enumerate() {
            let want = if vm % 3 != 1 { format!("vm {vm}\n") } else { String::new() };
            assert_eq!(String::from_utf8_lossy(&ctx.stdout), want);
        }
    }
}
