//! The `vv_run` kernels of a run and which to launch next. A VM whose next function lives in
//! another partition leaves the kernel RUNNING; the host launches the partition where most VMs
//! wait, weighted by how many launches they have waited, so VMs gather again and none waits
//! forever. Once the whole program is built, the run moves onto its one kernel.

use crate::device_program::DeviceProgram;
use crate::error::RunError;
use crate::launch::WorkSizes;
use crate::report::Takeover;
use crate::run::bind_run_kernels;
use crate::vm_state::VmBuffers;
use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::ClError;
use opencl3::kernel::Kernel;
use opencl3::memory::Buffer;
use opencl3::types::CL_BLOCKING;
use vv_bundle::abi::{STATE_FUNC, STATUS_RUNNING};
use vv_bundle::Bundle;

/// The kernels a run launches, their work sizes and the choice between them.
pub(crate) struct RunKernels {
    kernels: Vec<Kernel>,
    pub sizes: WorkSizes,
    scheduler: Scheduler,
    /// The local size the run asked for, for the whole program's work sizes.
    requested_local: Option<usize>,
}

impl RunKernels {
    /// `home`: the index into `kernels` that runs each function, by function id (unused, and may
    /// be empty, with one kernel).
    pub fn new(kernels: Vec<Kernel>, home: Vec<u32>, sizes: WorkSizes, requested_local: Option<usize>, nvms: usize) -> RunKernels {
        let scheduler = Scheduler::new(home, kernels.len(), nvms);
        RunKernels { kernels, sizes, scheduler, requested_local }
    }

    pub fn all(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The kernel to launch next (and its index) for the VMs whose host status is RUNNING.
    pub fn next(&mut self, queue: &CommandQueue, state: &Buffer<u32>, status: &[u32]) -> Result<(usize, &Kernel), ClError> {
        let k = self.scheduler.next(queue, state, status)?;
        Ok((k, &self.kernels[k]))
    }

    /// After `launches` launches: moves onto the whole program if its build is done (binding its
    /// kernel to `bufs`). Returns what happened, if anything did.
    pub fn take_over(&mut self, dev: &DeviceProgram, bufs: &VmBuffers, bundle: &Bundle, launches: u64) -> Result<Option<Takeover>, RunError> {
        let Some(polled) = dev.poll_takeover(launches) else { return Ok(None) };
        let (kernel, build) = match polled {
            Ok(k) => k,
            Err(why) => return Ok(Some(Takeover::Failed(why))),
        };
        let n = bufs.nvms;
        let max = kernel.get_work_group_size(dev.device.device.id()).unwrap_or(1);
        let sizes = match WorkSizes::new(n, dev.device.kind, self.requested_local, max) {
            Ok(sizes) => sizes,
            Err(why) => return Ok(Some(Takeover::Failed(format!("the whole program's vv_run: {why}")))),
        };
        bind_run_kernels(std::slice::from_ref(&kernel), bufs, n, bundle)?;
        *self = RunKernels::new(vec![kernel], Vec::new(), sizes, self.requested_local, n);
        Ok(Some(Takeover::After { launch: launches, build }))
    }
}

struct Scheduler {
    /// Each function's home partition, by function id.
    home: Vec<u32>,
    /// Launches each partition's waiting VMs have waited since it last ran.
    age: Vec<u64>,
    /// Each VM's function, read from the device before a choice.
    funcs: Vec<u32>,
}

impl Scheduler {
    /// `count` kernels; `home` says which runs each function (read only with more than one).
    pub fn new(home: Vec<u32>, count: usize, nvms: usize) -> Scheduler {
        let count = count.max(1);
        let funcs = if count > 1 { vec![0; nvms] } else { Vec::new() };
        Scheduler { home, age: vec![0; count], funcs }
    }

    pub fn count(&self) -> usize {
        self.age.len()
    }

    /// The partition to launch next for the VMs whose host status is RUNNING; reads their
    /// functions from `state` (the queue is in order, so after every earlier write) when the
    /// bundle has several partitions.
    pub fn next(&mut self, queue: &CommandQueue, state: &Buffer<u32>, status: &[u32]) -> Result<usize, ClError> {
        if self.count() == 1 {
            return Ok(0);
        }
        let n = status.len();
        // SAFETY: blocking read of the function row, `n` words at its offset in the state buffer.
        unsafe { queue.enqueue_read_buffer(state, CL_BLOCKING, STATE_FUNC * n * 4, &mut self.funcs, &[]) }?;
        Ok(self.choose(status))
    }

    /// The partition with the largest (waiting VMs) x (1 + launches waited); 0 when none waits.
    fn choose(&mut self, status: &[u32]) -> usize {
        let mut waiting = vec![0u64; self.count()];
        let last = waiting.len() - 1;
        for (s, &f) in status.iter().zip(&self.funcs) {
            if *s == STATUS_RUNNING {
                // A function id out of range runs into partition 0's trap for it.
                let p = self.home.get(f as usize).map_or(0, |&p| p as usize);
                waiting[p.min(last)] += 1;
            }
        }
        let best = (0..waiting.len()).filter(|&p| waiting[p] > 0).max_by_key(|&p| (waiting[p] * (1 + self.age[p]), std::cmp::Reverse(p)));
        for (p, age) in self.age.iter_mut().enumerate() {
            *age = if waiting[p] == 0 || Some(p) == best { 0 } else { *age + 1 };
        }
        best.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduler(home: Vec<u32>, parts: usize, funcs: Vec<u32>) -> Scheduler {
        Scheduler { home, age: vec![0; parts], funcs }
    }

    #[test]
    fn most_waiting_first_and_nobody_starves() {
        // Functions 0, 1 in partition 0; 2 in partition 1. Three VMs in partition 0, one in 1.
        let mut s = scheduler(vec![0, 0, 1], 2, vec![0, 1, 1, 2]);
        let running = [STATUS_RUNNING; 4];
        assert_eq!(s.choose(&running), 0);
        // The lone VM's weight grows with each launch it waits: 1 x 2 < 3, 1 x 3 < 3, 1 x 4 > 3.
        assert_eq!(s.choose(&running), 0);
        assert_eq!(s.choose(&running), 0);
        assert_eq!(s.choose(&running), 1);
        assert_eq!(s.choose(&running), 0);
    }

    #[test]
    fn only_running_vms_count() {
        let mut s = scheduler(vec![0, 1], 2, vec![0, 0, 1]);
        let (run, wait) = (STATUS_RUNNING, STATUS_RUNNING + 1);
        assert_eq!(s.choose(&[wait, wait, run]), 1);
        assert_eq!(s.choose(&[run, wait, run]), 0, "a tie goes to the lower partition");
        assert_eq!(s.choose(&[wait, wait, wait]), 0, "none waits");
    }
}
