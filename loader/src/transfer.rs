//! Moving per-VM rows of the hypercall data buffer: groups waiting VMs into spans of nearby rows
//! and moves each span with one rectangular copy. Only the bytes a call needs cross the bus.

use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::ClError;
use opencl3::memory::Buffer;
use opencl3::types::CL_NON_BLOCKING;
use std::ops::Range;

/// Bytes a span may carry beyond what its VMs need, to save one more copy command.
pub const MERGE_SLACK: usize = 32 << 10;

/// Rows `first..first + rows` of a row-pitched buffer, `width` bytes from the start of each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: usize,
    pub rows: usize,
    pub width: usize,
}

impl Span {
    pub fn bytes(&self) -> usize {
        self.rows * self.width
    }

    /// Where row `vm`'s bytes start in the span's host buffer.
    pub fn offset(&self, vm: usize) -> usize {
        (vm - self.first) * self.width
    }
}

/// Groups `(row, len)` items, sorted by row, into spans; each span also gives the range of items
/// it covers. Items of zero length need no transfer and are skipped. Neighbouring items share a
/// span while that wastes at most `slack` bytes.
pub fn plan_spans(items: &[(usize, usize)], slack: usize) -> Vec<(Span, Range<usize>)> {
    let mut out: Vec<(Span, Range<usize>)> = Vec::new();
    let mut useful = 0;
    for (i, &(row, len)) in items.iter().enumerate() {
        if len == 0 {
            continue;
        }
        if let Some((span, range)) = out.last_mut() {
            let width = span.width.max(len);
            let merged = (row + 1 - span.first) * width;
            if merged <= useful + len + slack {
                span.rows = row + 1 - span.first;
                span.width = width;
                range.end = i + 1;
                useful += len;
                continue;
            }
        }
        out.push((Span { first: row, rows: 1, width: len }, i..i + 1));
        useful = len;
    }
    out
}

/// Enqueues a read of `span` (rows of `pitch` bytes) into `host`; does not wait.
///
/// # Safety
/// `host` must stay alive and untouched until the queue finishes; the span must lie inside `buf`.
pub unsafe fn read_span(queue: &CommandQueue, buf: &Buffer<u8>, pitch: usize, span: Span, host: &mut [u8]) -> Result<(), ClError> {
    assert!(host.len() >= span.bytes() && span.width <= pitch);
    let origin = [0, span.first, 0];
    let zero = [0usize; 3];
    let region = [span.width, span.rows, 1];
    // SAFETY: forwarded from the caller; the arrays outlive the call.
    unsafe {
        queue.enqueue_read_buffer_rect(
            buf,
            CL_NON_BLOCKING,
            origin.as_ptr(),
            zero.as_ptr(),
            region.as_ptr(),
            pitch,
            0,
            span.width,
            0,
            host.as_mut_ptr().cast(),
            &[],
        )
    }?;
    Ok(())
}

/// Enqueues a write of `host` into `span`; does not wait.
///
/// # Safety
/// As for [`read_span`].
pub unsafe fn write_span(queue: &CommandQueue, buf: &mut Buffer<u8>, pitch: usize, span: Span, host: &[u8]) -> Result<(), ClError> {
    assert!(host.len() >= span.bytes() && span.width <= pitch);
    let origin = [0, span.first, 0];
    let zero = [0usize; 3];
    let region = [span.width, span.rows, 1];
    // SAFETY: forwarded from the caller; the driver only reads through the host pointer.
    unsafe {
        queue.enqueue_write_buffer_rect(
            buf,
            CL_NON_BLOCKING,
            origin.as_ptr(),
            zero.as_ptr(),
            region.as_ptr(),
            pitch,
            0,
            span.width,
            0,
            host.as_ptr().cast_mut().cast(),
            &[],
        )
    }?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_rows_share_a_span() {
        let spans = plan_spans(&[(3, 10), (4, 20), (5, 5)], 0);
        assert_eq!(spans.len(), 3, "any widening wastes bytes: {spans:?}");
        let spans = plan_spans(&[(3, 10), (4, 20), (5, 5)], 64);
        assert_eq!(spans, vec![(Span { first: 3, rows: 3, width: 20 }, 0..3)]);
        assert_eq!(spans[0].0.offset(5), 40);
    }

    #[test]
    fn distant_rows_split_and_empty_items_skip() {
        let spans = plan_spans(&[(0, 100), (1, 0), (2, 100), (1000, 100)], 1000);
        assert_eq!(
            spans,
            vec![(Span { first: 0, rows: 3, width: 100 }, 0..3), (Span { first: 1000, rows: 1, width: 100 }, 3..4)]
        );
        assert!(plan_spans(&[(7, 0)], 1000).is_empty());
    }

    #[test]
    fn equal_widths_without_gaps_always_merge() {
        let items: Vec<_> = (0..100).map(|vm| (vm, 12)).collect();
        assert_eq!(plan_spans(&items, 0), vec![(Span { first: 0, rows: 100, width: 12 }, 0..100)]);
    }
}
