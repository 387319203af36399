//! `Invoke::Sequence`: VMs that instantiate and then make several calls on one instance. Between
//! launches, the host records the step each finished VM completed and starts its next call.

use crate::error::{ClContext, RunError};
use crate::report::CallOutcome;
use crate::vm_state::VmBuffers;
use crate::Call;
use opencl3::command_queue::CommandQueue;
use opencl3::types::CL_BLOCKING;
use crate::run::trap_of;
use vv_bundle::abi::{self, STATE_FIELDS};
use vv_bundle::Bundle;

/// One VM's calls and the outcomes of the steps it finished (instantiation first).
#[derive(Debug, Clone)]
pub struct Steps {
    calls: Vec<Call>,
    pub outcomes: Vec<CallOutcome>,
    /// No step is left to start (the last one finished, or the program exited).
    done: bool,
}

impl Steps {
    pub fn new(calls: Vec<Call>) -> Steps {
        Steps { calls, outcomes: Vec::new(), done: false }
    }

    /// Whether a VM that has stopped still has a finished step to record.
    fn pending(&self) -> bool {
        !self.done
    }

    /// Results an export returns, by the call the VM just finished.
    fn result_count(&self, bundle: &Bundle) -> usize {
        match self.outcomes.len().checked_sub(1) {
            None => 0,
            Some(i) => bundle.exports.iter().find(|e| e.invoke_index == self.calls[i].export).map_or(0, |e| e.results.len()),
        }
    }
}

fn outcome(bundle: &Bundle, state: &[u32], n: usize, k: usize, first: usize, results: Vec<u64>) -> Result<CallOutcome, RunError> {
    let at = |f: usize| state[f * n + k];
    match at(abi::STATE_STATUS) {
        // The entry exits with 0 when the invoked export returns; `proc_exit` stops elsewhere.
        abi::STATUS_EXITED if at(abi::STATE_CODE) == 0 && at(abi::STATE_TRAP_FUNC) == bundle.entry_function => {
            Ok(CallOutcome::Returned(results))
        }
        abi::STATUS_EXITED => Ok(CallOutcome::Exited(at(abi::STATE_CODE))),
        abi::STATUS_TRAPPED => {
            let (trap, function) = trap_of(bundle, state, n, k, first + k)?;
            Ok(CallOutcome::Trapped { trap, function })
        }
        other => Err(RunError::Abi(format!("VM {} is not finished (status {other})", first + k))),
    }
}

/// Records the step of every VM in `status` that has stopped and starts its next call, on the
/// device and in `status` (`first`: the run's number of the first of them, for messages).
/// Returns how many VMs were started again.
pub fn advance(
    queue: &CommandQueue,
    bufs: &mut VmBuffers,
    bundle: &Bundle,
    status: &mut [u32],
    steps: &mut [Steps],
    first: usize,
) -> Result<usize, RunError> {
    let stopped = |s: u32| s == abi::STATUS_EXITED || s == abi::STATUS_TRAPPED;
    if !status.iter().zip(steps.iter()).any(|(s, st)| stopped(*s) && st.pending()) {
        return Ok(0);
    }
    let n = status.len();
    let slots = bundle.invoke_slots as usize;
    let mut state = vec![0u32; STATE_FIELDS * n];
    let mut rows = vec![0u64; slots * n];
    // SAFETY: blocking reads into vectors sized to the buffers' prefixes.
    unsafe {
        queue.enqueue_read_buffer(&bufs.state, CL_BLOCKING, 0, &mut state, &[]).cl("reading VM state")?;
        if slots > 0 {
            queue.enqueue_read_buffer(&bufs.stack, CL_BLOCKING, 0, &mut rows, &[]).cl("reading invoke results")?;
        }
    }
    let mut restarted = 0;
    for (k, st) in steps.iter_mut().enumerate() {
        if !stopped(status[k]) || !st.pending() {
            continue;
        }
        let results = (0..st.result_count(bundle)).map(|row| rows[row * n + k]).collect();
        let out = outcome(bundle, &state, n, k, first, results)?;
        let exited = matches!(out, CallOutcome::Exited(_));
        st.outcomes.push(out);
        let next = st.outcomes.len() - 1;
        if exited || next >= st.calls.len() {
            st.done = true;
            continue;
        }
        let call = &st.calls[next];
        let mut set = |f: usize, v: u32| state[f * n + k] = v;
        set(abi::STATE_STATUS, abi::STATUS_RUNNING);
        set(abi::STATE_FUNC, bundle.entry_function);
        // Resume point 1 of the entry skips the start function.
        set(abi::STATE_RESUME, 1);
        set(abi::STATE_FP, bundle.invoke_slots);
        set(abi::STATE_INVOKE, call.export);
        for (row, bits) in call.args.iter().enumerate() {
            rows[row * n + k] = *bits;
        }
        status[k] = abi::STATUS_RUNNING;
        restarted += 1;
    }
    if restarted > 0 {
        // SAFETY: blocking writes from vectors sized to the buffers' prefixes.
        unsafe {
            queue.enqueue_write_buffer(&mut bufs.state, CL_BLOCKING, 0, &state, &[]).cl("writing VM state")?;
            if slots > 0 {
                queue.enqueue_write_buffer(&mut bufs.stack, CL_BLOCKING, 0, &rows, &[]).cl("writing invoke arguments")?;
            }
        }
    }
    Ok(restarted)
}
