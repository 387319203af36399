//! The loader's own small kernels: zeroing VM memories, and packing the used bytes of hypercall
//! data rows into one contiguous buffer (and back) so a round crosses the bus in one copy each way.

use crate::device::{DeviceInfo, DeviceKind};
use crate::launch::{self, WorkSizes};
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::error_codes::ClError;
use opencl3::kernel::Kernel;
use opencl3::memory::Buffer;
use opencl3::program::Program;
use vv_bundle::abi::HC_DATA_BYTES;

/// `vv_zero`: clEnqueueFillBuffer breaks NVIDIA's queue on buffers past 16 GiB (measured on an
/// H200, driver 580), so memories are zeroed by a kernel. `vv_gather` / `vv_scatter`: item i is
/// (row, first word in `packed`, words); `lanes` work-items copy one item's words.
const SOURCE: &str = "__kernel void vv_zero(__global ulong *p, ulong words) {
    for (ulong i = get_global_id(0); i < words; i += get_global_size(0))
        p[i] = 0ul;
}

__kernel void vv_gather(__global const uint *rows, __global const uint *items, uint count, uint lanes, __global uint *packed) {
    uint item = get_global_id(0) / lanes, lane = get_global_id(0) % lanes;
    if (item >= count) return;
    __global const uint *row = rows + (ulong)items[3 * item] * ROW_WORDS;
    __global uint *out = packed + items[3 * item + 1];
    for (uint w = lane; w < items[3 * item + 2]; w += lanes)
        out[w] = row[w];
}

__kernel void vv_scatter(__global uint *rows, __global const uint *items, uint count, uint lanes, __global const uint *packed) {
    uint item = get_global_id(0) / lanes, lane = get_global_id(0) % lanes;
    if (item >= count) return;
    __global uint *row = rows + (ulong)items[3 * item] * ROW_WORDS;
    __global const uint *in = packed + items[3 * item + 1];
    for (uint w = lane; w < items[3 * item + 2]; w += lanes)
        row[w] = in[w];
}
";

/// Most work-items a zeroing launch uses; each loops over its share.
const GPU_ITEMS: usize = 1 << 20;
const CPU_ITEMS: usize = 256;

/// Work-items per packed item on GPUs (a warp reads a row's words side by side).
const GPU_LANES: usize = 32;

/// The built helper program.
pub struct HelperKernels {
    program: Program,
    kind: DeviceKind,
}

impl HelperKernels {
    pub fn build(context: &Context, dev: &DeviceInfo) -> Result<HelperKernels, ClError> {
        let mut program = Program::create_from_source(context, SOURCE)?;
        program.build(&[dev.device.id()], &format!("-DROW_WORDS={}u", HC_DATA_BYTES / 4))?;
        Ok(HelperKernels { program, kind: dev.kind })
    }

    /// Enqueues zeroing the first `bytes` (a multiple of 8) of `buf`; does not wait.
    pub fn zero(&self, queue: &CommandQueue, buf: &Buffer<u8>, bytes: usize) -> Result<(), ClError> {
        let words = bytes / 8;
        let kernel = Kernel::create(&self.program, "vv_zero")?;
        let items = words.clamp(1, if self.kind == DeviceKind::Gpu { GPU_ITEMS } else { CPU_ITEMS });
        let sizes = self.sizes(queue, &kernel, items)?;
        // SAFETY: both arguments are set; the buffer holds at least `words` ulongs.
        unsafe {
            kernel.set_arg(0, buf)?;
            kernel.set_arg(1, &(words as u64))?;
            launch::enqueue(queue, &kernel, sizes)
        }
    }

    /// Enqueues copying `count` items (rows of `rows` to their places in `packed`, or back when
    /// `to_rows`); does not wait.
    ///
    /// # Safety
    /// `items` holds `count` triplets whose rows lie in `rows` and whose words lie in `packed`.
    pub unsafe fn pack(&self, queue: &CommandQueue, to_rows: bool, rows: &Buffer<u8>, items: &Buffer<u32>, count: usize, packed: &Buffer<u8>) -> Result<(), ClError> {
        let kernel = Kernel::create(&self.program, if to_rows { "vv_scatter" } else { "vv_gather" })?;
        let lanes = if self.kind == DeviceKind::Gpu { GPU_LANES } else { 1 };
        let sizes = self.sizes(queue, &kernel, count * lanes)?;
        // SAFETY: every argument is set; the caller vouches for the items.
        unsafe {
            kernel.set_arg(0, rows)?;
            kernel.set_arg(1, items)?;
            kernel.set_arg(2, &(count as u32))?;
            kernel.set_arg(3, &(lanes as u32))?;
            kernel.set_arg(4, packed)?;
            launch::enqueue(queue, &kernel, sizes)
        }
    }

    /// `items` work-items (at least one) in work-groups of 64 on GPUs, of 1 on CPU devices.
    fn sizes(&self, queue: &CommandQueue, kernel: &Kernel, items: usize) -> Result<WorkSizes, ClError> {
        let local = if self.kind == DeviceKind::Gpu { 64.min(kernel.get_work_group_size(queue.device()?).unwrap_or(1).max(1)) } else { 1 };
        Ok(WorkSizes { global: items.max(1).div_ceil(local) * local, local })
    }
}
