//! Moving a hypercall round's data between the VMs' rows and the host: the used bytes of every
//! row are packed together on the device and read in one copy; replies are written in one copy
//! and unpacked into the rows, in batches as large as the device's packing buffer.

use crate::helper_kernels::HelperKernels;
use crate::vm_state::{packed_bytes, VmBuffers};
use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::ClError;
use opencl3::types::CL_NON_BLOCKING;
use std::ops::Range;
use vv_bundle::abi::HC_DATA_BYTES;

/// Most bytes of the device buffer a batch packs into (`vm_state::packed_bytes`).
pub const PACK_BYTES: usize = 64 << 20;

/// Where a round's items `(row, bytes)` go in the packed buffer, one after the other in whole
/// 4-byte words, and the batches that each fit the device's packing buffer.
struct Plan {
    /// Each item's first byte in the packed host buffer.
    starts: Vec<usize>,
    /// Packed bytes of all items.
    total: usize,
    /// Each batch's bytes of the packed buffer and its kernel items: (row, first word from the
    /// batch's start, words) for every item with bytes. Batches without any are left out.
    batches: Vec<(Range<usize>, Vec<u32>)>,
}

fn plan(items: &[(usize, usize)], cap: usize) -> Plan {
    let mut starts = Vec::with_capacity(items.len());
    let mut batches: Vec<(Range<usize>, Vec<u32>)> = Vec::new();
    let mut at = 0usize;
    for &(row, len) in items {
        let bytes = len.div_ceil(4) * 4;
        starts.push(at);
        if bytes == 0 {
            continue;
        }
        match batches.last_mut() {
            Some((range, _)) if at + bytes - range.start <= cap => range.end = at + bytes,
            _ => batches.push((at..at + bytes, Vec::new())),
        }
        let (range, triplets) = batches.last_mut().unwrap();
        triplets.extend([row as u32, ((at - range.start) / 4) as u32, (bytes / 4) as u32]);
        at += bytes;
    }
    Plan { starts, total: at, batches }
}

/// Reads bytes `0..len` of each item's row `(row, len)`; returns the packed bytes and each
/// item's offset in them. Waits until done.
pub fn read_rows(queue: &CommandQueue, helpers: &HelperKernels, bufs: &mut VmBuffers, items: &[(usize, usize)]) -> Result<(Vec<u8>, Vec<usize>), ClError> {
    let plan = plan(items, packed_bytes(bufs.nvms));
    let mut host = vec![0u8; plan.total];
    let mut enqueue = || -> Result<(), ClError> {
        for (range, triplets) in &plan.batches {
            // SAFETY: `plan` and `host` outlive the finish() below, also on error; every row and
            // packed word lies inside its buffer (rows < nvms, batches fit `packed_bytes`).
            unsafe {
                queue.enqueue_write_buffer(&mut bufs.pack_items, CL_NON_BLOCKING, 0, triplets, &[])?;
                helpers.pack(queue, false, &bufs.hc_data, &bufs.pack_items, triplets.len() / 3, &bufs.packed)?;
                queue.enqueue_read_buffer(&bufs.packed, CL_NON_BLOCKING, 0, &mut host[range.clone()], &[])?;
            }
        }
        Ok(())
    };
    let enqueued = enqueue();
    let finished = queue.finish();
    enqueued.and(finished)?;
    Ok((host, plan.starts))
}

/// Writes each item's bytes at the start of its row. Waits until done.
pub fn write_rows(queue: &CommandQueue, helpers: &HelperKernels, bufs: &mut VmBuffers, items: &[(usize, &[u8])]) -> Result<(), ClError> {
    assert!(items.iter().all(|i| i.1.len() <= HC_DATA_BYTES), "a reply larger than its row");
    let lens: Vec<(usize, usize)> = items.iter().map(|&(row, bytes)| (row, bytes.len())).collect();
    let plan = plan(&lens, packed_bytes(bufs.nvms));
    let mut host = vec![0u8; plan.total];
    for ((_, bytes), &start) in items.iter().zip(&plan.starts) {
        host[start..][..bytes.len()].copy_from_slice(bytes);
    }
    let mut enqueue = || -> Result<(), ClError> {
        for (range, triplets) in &plan.batches {
            // SAFETY: as in `read_rows`; the driver only reads the host slices.
            unsafe {
                queue.enqueue_write_buffer(&mut bufs.pack_items, CL_NON_BLOCKING, 0, triplets, &[])?;
                queue.enqueue_write_buffer(&mut bufs.packed, CL_NON_BLOCKING, 0, &host[range.clone()], &[])?;
                helpers.pack(queue, true, &bufs.hc_data, &bufs.pack_items, triplets.len() / 3, &bufs.packed)?;
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
        assert_eq!(p.batches, vec![(0..8, vec![7, 0, 2]), (8..20, vec![3, 0, 2, 4, 2, 1])]);
        let many: Vec<(usize, usize)> = (0..1000).map(|vm| (vm, 64)).collect();
        assert_eq!(plan(&many, PACK_BYTES).batches.len(), 1);
        assert!(plan(&[(0, 0)], 16).batches.is_empty());
    }
}
