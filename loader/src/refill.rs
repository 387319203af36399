//! Running more VMs than are on a device at once: each of the device's places ("slots") holds one
//! VM; when its VM stops, the next VM not yet started takes the slot (`vv_reset`, fresh context).

use crate::device_program::DeviceProgram;
use crate::error::{ClContext, RunError};
use crate::header_rows::HeaderRows;
use crate::report::VmStatus;
use crate::run::{read_outcomes, status_of, Statuses};
use crate::vm_state::{DeviceInputs, VmBuffers};
use crate::wasi::VmContext;
use crate::{Invoke, RunConfig};
use opencl3::kernel::Kernel;
use vv_bundle::abi;
use vv_bundle::Bundle;

/// How many VMs of a device's `len` are on it at once: all, or at most `cfg.resident`.
pub(crate) fn resident(cfg: &RunConfig, len: usize) -> usize {
    cfg.resident.map_or(len, |r| r.clamp(1, len.max(1)))
}

/// Which VM each slot holds, and what the VMs that are not in a slot left behind.
pub(crate) struct Slots {
    /// The VM (index in the device's range) in each slot.
    vm: Vec<usize>,
    /// The next VM to start.
    next: usize,
    /// Contexts of the VMs not in a slot, by VM: not started yet, or done.
    away: Vec<Option<VmContext>>,
    /// Status and results of the VMs that left their slot, by VM.
    done: Vec<Option<(VmStatus, Vec<u64>)>>,
    reset: Kernel,
}

impl Slots {
    /// Slots for `n` of the VMs of `contexts` (one context per VM); the first `n` VMs start in
    /// them, and `contexts` keeps only theirs, in slot order.
    pub fn new(dev: &DeviceProgram, cfg: &RunConfig, contexts: &mut Vec<VmContext>, n: usize) -> Result<Slots, RunError> {
        if !matches!(cfg.invoke, Invoke::Command) {
            return Err(RunError::Config(
                "running fewer VMs at once than the run has (--resident) works for WASI commands only, not for invoked exports".into(),
            ));
        }
        let reset = dev.kernel("vv_reset").cl("finding kernel vv_reset (rebuild the bundle with this vvc)")?;
        let total = contexts.len();
        let later = contexts.split_off(n);
        let mut away: Vec<Option<VmContext>> = (0..n).map(|_| None).collect();
        away.extend(later.into_iter().map(Some));
        Ok(Slots { vm: (0..n).collect(), next: n, away, done: (0..total).map(|_| None).collect(), reset })
    }

    /// The VM in slot `k`.
    pub fn vm(&self, k: usize) -> usize {
        self.vm[k]
    }

    /// The slots whose VM stopped (by `status`) that a VM not yet started takes next, in order.
    pub fn to_start(&self, status: &[u32]) -> Vec<usize> {
        let left = self.away.len() - self.next;
        (0..status.len()).filter(|&k| matches!(status[k], abi::STATUS_EXITED | abi::STATUS_TRAPPED)).take(left).collect()
    }

    /// Gives each slot of `stopped` (from `to_start`) the next VM not yet started: keeps the
    /// stopped VM's outcome and context, puts the slot back to the start on the device with the
    /// new VM's header from `inputs` (into `hdr`, which holds those rows, where the inputs are on
    /// the device), and marks it RUNNING in `status`. `contexts` is in slot order; `first` numbers
    /// the device's VMs in messages.
    #[allow(clippy::too_many_arguments)]
    pub fn refill(
        &mut self,
        dev: &DeviceProgram,
        bufs: &mut VmBuffers,
        hdr: &mut HeaderRows,
        bundle: &Bundle,
        inputs: &DeviceInputs,
        stopped: &[usize],
        status: &mut [u32],
        contexts: &mut [VmContext],
        first: usize,
    ) -> Result<(), RunError> {
        if stopped.is_empty() {
            return Ok(());
        }
        let n = status.len();
        let (state, results) = read_outcomes(&dev.queue, bufs, bundle, n)?;
        let rows = bundle.invoke_slots as usize;
        for &k in stopped {
            let vm = self.vm[k];
            let outcome = status_of(bundle, &state, n, k, first + vm)?;
            self.done[vm] = Some((outcome, (0..rows).map(|row| results[row * n + k]).collect()));
            let next = self.away[self.next].take().expect("a VM not started yet has its context");
            self.away[vm] = Some(std::mem::replace(&mut contexts[k], next));
            self.vm[k] = self.next;
            self.next += 1;
            status[k] = abi::STATUS_RUNNING;
        }
        let list: Vec<u32> = stopped.iter().map(|&k| k as u32).collect();
        bufs.reset_to_start(dev, &self.reset, bundle, &list, abi::INVOKE_COMMAND)?;
        if inputs.on_device() {
            for &k in stopped {
                hdr.row_mut(k).copy_from_slice(inputs.header(self.vm[k]));
            }
        }
        Ok(())
    }

    /// Every VM's status and results in VM order, from those that left their slots and `last`
    /// (each slot's VM at the end, in slot order); `contexts` goes back to one per VM in VM order.
    /// VMs that never started (the run stopped at a limit first) are reported at the entry.
    pub fn finish(mut self, last: Statuses, contexts: &mut Vec<VmContext>, bundle: &Bundle) -> Statuses {
        for (k, outcome) in last.into_iter().enumerate() {
            self.done[self.vm[k]] = Some(outcome);
        }
        let done = std::mem::take(&mut self.done);
        self.give_back(contexts);
        let entry = VmStatus::Running { function: bundle.function_name(bundle.entry_function).to_string() };
        let rows = bundle.invoke_slots as usize;
        done.into_iter().map(|d| d.unwrap_or_else(|| (entry.clone(), vec![0; rows]))).collect()
    }

    /// Puts `contexts` (in slot order) back to one per VM in VM order, also when the run failed.
    pub fn give_back(self, contexts: &mut Vec<VmContext>) {
        let Slots { vm, mut away, .. } = self;
        for (k, ctx) in contexts.drain(..).enumerate() {
            away[vm[k]] = Some(ctx);
        }
        *contexts = away.into_iter().map(|c| c.expect("every VM's context is back")).collect();
    }
}
