//! Stdout the VMs wrote on the device (`abi::HC_OUT`): after a launch the host takes the bytes of
//! the VMs that stopped into their contexts and empties their rows, so they write on from the start.

use crate::error::{ClContext, RunError};
use crate::helper_kernels::HelperKernels;
use crate::pack::{self, Rows};
use crate::vm_state::VmBuffers;
use crate::wasi::VmContext;
use opencl3::command_queue::CommandQueue;
use opencl3::types::CL_BLOCKING;
use vv_bundle::abi::{HC_OUT, HC_WORDS};
use vv_bundle::Bundle;

/// Whether `bundle`'s VMs write stdout on the device in a batch run: not with `vvc build
/// --stdout-on-host` or `VV_HOST_STDOUT=1`, where every write is a hypercall.
pub fn stdout_on_device(bundle: &Bundle) -> bool {
    !bundle.options.stdout_on_host && !crate::env_flag("VV_HOST_STDOUT")
}

/// Appends what each VM of `vms` (sorted row indices) wrote to stdout on the device to its
/// context in `contexts` (one per row) and empties its row. Returns the bytes taken.
pub fn take_stdout(
    queue: &CommandQueue,
    helpers: &HelperKernels,
    bufs: &mut VmBuffers,
    vms: &[usize],
    contexts: &mut [VmContext],
) -> Result<usize, RunError> {
    let (Some(&lo), Some(&hi)) = (vms.first(), vms.last()) else { return Ok(0) };
    let mut hdr = vec![0u64; (hi + 1 - lo) * HC_WORDS];
    // SAFETY: blocking read of rows lo..=hi, inside the buffer.
    unsafe { queue.enqueue_read_buffer(&bufs.hc_hdr, CL_BLOCKING, lo * HC_WORDS * 8, &mut hdr, &[]) }.cl("reading hypercall headers")?;
    let word = |vm: usize| (vm - lo) * HC_WORDS + HC_OUT;
    let items: Vec<(usize, usize)> = vms.iter().filter(|&&vm| hdr[word(vm)] > 1).map(|&vm| (vm, (hdr[word(vm)] - 1) as usize)).collect();
    if items.is_empty() {
        return Ok(0);
    }
    let (bytes, starts) = pack::read_rows(queue, helpers, bufs, Rows::Out, &items).cl("reading the VMs' stdout")?;
    for (&(vm, len), &start) in items.iter().zip(&starts) {
        contexts[vm].stdout.extend_from_slice(&bytes[start..][..len]);
        hdr[word(vm)] = 1;
    }
    // SAFETY: blocking write of rows lo..=hi, inside the buffer; the device is idle, so rows not
    // taken go back as they were read.
    unsafe { queue.enqueue_write_buffer(&mut bufs.hc_hdr, CL_BLOCKING, lo * HC_WORDS * 8, &hdr, &[]) }.cl("writing hypercall headers")?;
    Ok(items.iter().map(|i| i.1).sum())
}
