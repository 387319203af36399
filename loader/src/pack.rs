//! Moving a hypercall round's data between the VMs' rows and the host: the used bytes of every
//! row are packed together on the device and cross the bus in one copy through host memory the
//! driver allocated (pinned where it can); replies come back the same way and are unpacked into
//! the rows, in batches as large as the device's packing buffer.

use crate::helper_kernels::HelperKernels;
use crate::vm_state::VmBuffers;
use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::ClError;
use opencl3::memory::{Buffer, ClMem, CL_MAP_READ, CL_MAP_WRITE_INVALIDATE_REGION};
use opencl3::types::{cl_map_flags, cl_mem, CL_BLOCKING, CL_NON_BLOCKING};
use std::ops::Range;
use vv_bundle::abi::HC_DATA_BYTES;

/// Most bytes of the device buffer a batch packs into.
pub const PACK_BYTES: usize = 64 << 20;

/// Bytes of the packing buffer for `nvms` VMs: `PACK_BYTES`, or an eighth of all data rows when
/// that is less (so that runs of few VMs, as in the tests, pack large rounds in several batches
/// too), but at least one row.
pub fn packed_bytes(nvms: usize) -> usize {
    (nvms * HC_DATA_BYTES / 8).clamp(HC_DATA_BYTES, PACK_BYTES)
}

/// Where a round's items `(row, bytes)` go in the packed buffer, one after the other in whole
/// 4-byte words, and the batches that each fit the device's packing buffer.
struct Plan {
    /// Each item's first byte in the packed host buffer.
    starts: Vec<usize>,
    /// Packed bytes of all items.
    total: usize,
    /// Batches without any bytes are left out.
    batches: Vec<Batch>,
}

#[derive(Debug, PartialEq)]
struct Batch {
    /// Its bytes of the packed buffer.
    bytes: Range<usize>,
    /// Its items.
    items: Range<usize>,
    /// The kernel's items: (row, first word from the batch's start, words) for every item with
    /// bytes.
    triplets: Vec<u32>,
}

fn plan(items: &[(usize, usize)], cap: usize) -> Plan {
    let mut starts = Vec::with_capacity(items.len());
    let mut batches: Vec<Batch> = Vec::new();
    let mut at = 0usize;
    for (i, &(row, len)) in items.iter().enumerate() {
        let bytes = len.div_ceil(4) * 4;
        starts.push(at);
        if bytes == 0 {
            continue;
        }
        match batches.last_mut() {
            Some(b) if at + bytes - b.bytes.start <= cap => {
                b.bytes.end = at + bytes;
                b.items.end = i + 1;
            }
            _ => batches.push(Batch { bytes: at..at + bytes, items: i..i + 1, triplets: Vec::new() }),
        }
        let b = batches.last_mut().unwrap();
        b.triplets.extend([row as u32, ((at - b.bytes.start) / 4) as u32, (bytes / 4) as u32]);
        at += bytes;
    }
    Plan { starts, total: at, batches }
}

/// Maps the first `len` bytes of `staging` (waiting for what the queue does before), hands them
/// to `f`, and unmaps them again.
///
/// # Safety
/// `len` bytes must lie inside `staging`, and nothing else may use them meanwhile.
unsafe fn with_mapped(queue: &CommandQueue, staging: &Buffer<u8>, len: usize, flags: cl_map_flags, f: impl FnOnce(&mut [u8])) -> Result<(), ClError> {
    let mut ptr: cl_mem = std::ptr::null_mut();
    // SAFETY: a blocking map of a region the caller vouches for; the slice lives only inside `f`,
    // before the unmap.
    unsafe {
        queue.enqueue_map_buffer(staging, CL_BLOCKING, flags, 0, len, &mut ptr, &[])?;
        f(std::slice::from_raw_parts_mut(ptr.cast::<u8>(), len));
        queue.enqueue_unmap_mem_object(staging.get(), ptr, &[])?;
    }
    Ok(())
}

/// Which per-VM rows a transfer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// `hc_data`: what the VMs copied in for their hypercalls.
    Data,
    /// `hc_out`: what the VMs wrote to stdout on the device.
    Out,
}

/// Reads bytes `0..len` of each item's row `(row, len)` of `from`; returns the packed bytes and
/// each item's offset in them. Waits until done.
pub fn read_rows(
    queue: &CommandQueue,
    helpers: &HelperKernels,
    bufs: &mut VmBuffers,
    from: Rows,
    items: &[(usize, usize)],
) -> Result<(Vec<u8>, Vec<usize>), ClError> {
    let plan = plan(items, packed_bytes(bufs.nvms));
    let mut host = vec![0u8; plan.total];
    let mut enqueue = || -> Result<(), ClError> {
        for b in &plan.batches {
            let len = b.bytes.len();
            // SAFETY: `plan` outlives the finish() below, also on error; every row and packed
            // word lies inside its buffer (rows < nvms, batches fit `packed_bytes`).
            unsafe {
                queue.enqueue_write_buffer(&mut bufs.pack_items, CL_NON_BLOCKING, 0, &b.triplets, &[])?;
                let rows = match from {
                    Rows::Data => &bufs.hc_data,
                    Rows::Out => &bufs.hc_out,
                };
                helpers.pack(queue, false, rows, &bufs.pack_items, b.triplets.len() / 3, &bufs.packed)?;
                queue.enqueue_copy_buffer(&bufs.packed, &mut bufs.staging, 0, 0, len, &[])?;
                with_mapped(queue, &bufs.staging, len, CL_MAP_READ, |m| host[b.bytes.clone()].copy_from_slice(m))?;
            }
        }
        Ok(())
    };
    let enqueued = enqueue();
    let finished = queue.finish();
    enqueued.and(finished)?;
    Ok((host, plan.starts))
}

/// Writes `len` bytes at the start of each item's row `(row, len)`: `fill(i, out)` writes item
/// i's bytes into `out` (of `len` bytes or more). Waits until done.
pub fn write_rows(queue: &CommandQueue, helpers: &HelperKernels, bufs: &mut VmBuffers, items: &[(usize, usize)], fill: impl Fn(usize, &mut [u8])) -> Result<(), ClError> {
    assert!(items.iter().all(|i| i.1 <= HC_DATA_BYTES), "a reply larger than its row");
    let plan = plan(items, packed_bytes(bufs.nvms));
    let mut enqueue = || -> Result<(), ClError> {
        for b in &plan.batches {
            let fill = |m: &mut [u8]| {
                for i in b.items.clone() {
                    fill(i, &mut m[plan.starts[i] - b.bytes.start..]);
                }
            };
            // SAFETY: as in `read_rows`.
            unsafe {
                with_mapped(queue, &bufs.staging, b.bytes.len(), CL_MAP_WRITE_INVALIDATE_REGION, fill)?;
                queue.enqueue_write_buffer(&mut bufs.pack_items, CL_NON_BLOCKING, 0, &b.triplets, &[])?;
                queue.enqueue_copy_buffer(&bufs.staging, &mut bufs.packed, 0, 0, b.bytes.len(), &[])?;
                helpers.pack(queue, true, &bufs.hc_data, &bufs.pack_items, b.triplets.len() / 3, &bufs.packed)?;
            }
        }
        Ok(())
    };
    let enqueued = enqueue();
    let finished = queue.finish();
    enqueued.and(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_take_whole_words_and_batches_fit_the_cap() {
        let p = plan(&[(7, 5), (9, 0), (3, 8), (4, 3)], 12);
        assert_eq!(p.starts, vec![0, 8, 8, 16]);
        assert_eq!(p.total, 20);
        // 8 + 8 > 12: item 2 starts a batch, which item 3 (4 bytes) fills; item 1 has no bytes.
        assert_eq!(
            p.batches,
            vec![
                Batch { bytes: 0..8, items: 0..1, triplets: vec![7, 0, 2] },
                Batch { bytes: 8..20, items: 2..4, triplets: vec![3, 0, 2, 4, 2, 1] }
            ]
        );
        let many: Vec<(usize, usize)> = (0..1000).map(|vm| (vm, 64)).collect();
        assert_eq!(plan(&many, PACK_BYTES).batches.len(), 1);
        assert!(plan(&[(0, 0)], 16).batches.is_empty());
    }
}
