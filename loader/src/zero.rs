//! Zeroing VM memories with a tiny helper kernel of the loader's own. clEnqueueFillBuffer breaks
//! NVIDIA's queue on buffers past 16 GiB (measured on an H200, driver 580), so it is not used.

use crate::device::{DeviceInfo, DeviceKind};
use crate::launch::{self, WorkSizes};
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::error_codes::ClError;
use opencl3::kernel::Kernel;
use opencl3::memory::Buffer;
use opencl3::program::Program;

const SOURCE: &str = "__kernel void vv_zero(__global ulong *p, ulong words) {
    for (ulong i = get_global_id(0); i < words; i += get_global_size(0))
        p[i] = 0ul;
}
";

/// Most work-items a zeroing launch uses; each loops over its share.
const GPU_ITEMS: usize = 1 << 20;
const CPU_ITEMS: usize = 256;

/// The built helper program.
pub struct Zeroer {
    program: Program,
}

impl Zeroer {
    pub fn build(context: &Context, dev: &DeviceInfo) -> Result<Zeroer, ClError> {
        let mut program = Program::create_from_source(context, SOURCE)?;
        program.build(&[dev.device.id()], "")?;
        Ok(Zeroer { program })
    }

    /// Enqueues zeroing the first `bytes` (a multiple of 8) of `buf`; does not wait.
    pub fn enqueue(&self, queue: &CommandQueue, buf: &Buffer<u8>, bytes: usize, kind: DeviceKind) -> Result<(), ClError> {
        let words = bytes / 8;
        let kernel = Kernel::create(&self.program, "vv_zero")?;
        let items = words.clamp(1, if kind == DeviceKind::Gpu { GPU_ITEMS } else { CPU_ITEMS });
        let local = if kind == DeviceKind::Gpu { 64.min(kernel.get_work_group_size(queue.device()?).unwrap_or(1).max(1)) } else { 1 };
        let sizes = WorkSizes { global: items.div_ceil(local) * local, local };
        // SAFETY: both arguments are set; the buffer holds at least `words` ulongs.
        unsafe {
            kernel.set_arg(0, buf)?;
            kernel.set_arg(1, &(words as u64))?;
            launch::enqueue(queue, &kernel, sizes)
        }
    }
}
