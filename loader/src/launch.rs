//! Kernel launch plumbing: work sizes (one work-item per VM, rounded up to the local size),
//! scalar arguments, and the 1-D NDRange enqueue. Knows nothing of VMs or hypercalls.

use crate::device::DeviceKind;
use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::{ClError, CL_INVALID_ARG_SIZE};
use opencl3::kernel::Kernel;

/// Local size on GPUs unless the kernel allows less; CPU devices (PoCL) run best with 1.
pub const GPU_LOCAL_SIZE: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkSizes {
    pub global: usize,
    pub local: usize,
}

impl WorkSizes {
    /// `local` work-items per group (the override, else 1 on CPUs and 64 on GPUs, capped by the
    /// kernel's limit) and `nvms` rounded up to a multiple of it.
    pub fn new(nvms: usize, kind: DeviceKind, requested: Option<usize>, kernel_max: usize) -> Result<WorkSizes, String> {
        let local = match requested {
            Some(0) => return Err("--local-size must be at least 1".into()),
            Some(l) if l > kernel_max => {
                return Err(format!("local size {l} exceeds this kernel's limit of {kernel_max} on this device"))
            }
            Some(l) => l,
            None if kind == DeviceKind::Gpu => GPU_LOCAL_SIZE.min(kernel_max.max(1)),
            None => 1,
        };
        Ok(WorkSizes { global: nvms.div_ceil(local) * local, local })
    }
}

/// Sets a `uint` kernel argument, or a `ulong` one where the kernel declares that width.
///
/// # Safety
/// The index must name a scalar argument of the kernel.
pub unsafe fn set_uint_arg(kernel: &Kernel, index: u32, value: u64) -> Result<(), ClError> {
    // SAFETY: forwarded from the caller; the value lives across the call.
    unsafe {
        match kernel.set_arg(index, &(value as u32)) {
            Err(ClError(CL_INVALID_ARG_SIZE)) => kernel.set_arg(index, &value),
            other => other,
        }
    }
}

/// Enqueues `kernel` over `sizes` (1-D); does not wait.
///
/// # Safety
/// Every argument of the kernel must be set to a live buffer or value.
pub unsafe fn enqueue(queue: &CommandQueue, kernel: &Kernel, sizes: WorkSizes) -> Result<(), ClError> {
    let global = [sizes.global];
    let local = [sizes.local];
    // SAFETY: the size arrays outlive the call; work_dim is 1.
    unsafe { queue.enqueue_nd_range_kernel(kernel.get(), 1, std::ptr::null(), global.as_ptr(), local.as_ptr(), &[]) }?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up() {
        assert_eq!(WorkSizes::new(100, DeviceKind::Gpu, None, 1024).unwrap(), WorkSizes { global: 128, local: 64 });
        assert_eq!(WorkSizes::new(100, DeviceKind::Cpu, None, 4096).unwrap(), WorkSizes { global: 100, local: 1 });
        assert_eq!(WorkSizes::new(100, DeviceKind::Gpu, None, 32).unwrap(), WorkSizes { global: 128, local: 32 });
        assert_eq!(WorkSizes::new(5, DeviceKind::Cpu, Some(4), 8).unwrap(), WorkSizes { global: 8, local: 4 });
        assert!(WorkSizes::new(5, DeviceKind::Cpu, Some(16), 8).is_err());
        assert!(WorkSizes::new(5, DeviceKind::Cpu, Some(0), 8).is_err());
    }
}
