//! A span of the VMs' hypercall header rows (`hc_hdr`) read from the device once between
//! launches, changed by every step that needs them (taking stdout, starting VMs in slots) and
//! written back once.

use crate::error::{ClContext, RunError};
use crate::vm_state::VmBuffers;
use opencl3::command_queue::CommandQueue;
use opencl3::types::CL_BLOCKING;
use vv_bundle::abi::HC_WORDS;

pub(crate) struct HeaderRows {
    /// The first row read.
    lo: usize,
    words: Vec<u64>,
    changed: bool,
}

impl HeaderRows {
    /// Reads the rows from the least to the greatest of `rows` (an empty span when there are none).
    pub fn read(queue: &CommandQueue, bufs: &VmBuffers, rows: impl IntoIterator<Item = usize>) -> Result<HeaderRows, RunError> {
        let (lo, hi) = rows.into_iter().fold((usize::MAX, 0), |(lo, hi), k| (lo.min(k), hi.max(k)));
        if lo > hi {
            return Ok(HeaderRows { lo: 0, words: Vec::new(), changed: false });
        }
        let mut words = vec![0u64; (hi + 1 - lo) * HC_WORDS];
        // SAFETY: blocking read of rows lo..=hi, inside the buffer.
        unsafe { queue.enqueue_read_buffer(&bufs.hc_hdr, CL_BLOCKING, lo * HC_WORDS * 8, &mut words, &[]) }
            .cl("reading hypercall headers")?;
        Ok(HeaderRows { lo, words, changed: false })
    }

    /// Row `k` as read (or as changed since).
    pub fn row(&self, k: usize) -> &[u64] {
        &self.words[(k - self.lo) * HC_WORDS..][..HC_WORDS]
    }

    /// Row `k`, to change: it goes back to the device with `write`.
    pub fn row_mut(&mut self, k: usize) -> &mut [u64] {
        self.changed = true;
        &mut self.words[(k - self.lo) * HC_WORDS..][..HC_WORDS]
    }

    /// Writes the span back if a row of it changed. The device is idle between launches, so rows
    /// not changed go back as they were read.
    pub fn write(self, queue: &CommandQueue, bufs: &mut VmBuffers) -> Result<(), RunError> {
        if !self.changed {
            return Ok(());
        }
        // SAFETY: blocking write of the rows read, inside the buffer.
        unsafe { queue.enqueue_write_buffer(&mut bufs.hc_hdr, CL_BLOCKING, self.lo * HC_WORDS * 8, &self.words, &[]) }
            .cl("writing hypercall headers")?;
        Ok(())
    }
}
