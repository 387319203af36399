//! Stdout the VMs wrote on the device (`abi::HC_OUT`): after a launch the host takes the bytes of
//! the VMs that stopped into their contexts and empties their rows, so they write on from the start.

use crate::error::{ClContext, RunError};
use crate::header_rows::HeaderRows;
use crate::helper_kernels::HelperKernels;
use crate::pack::{self, Rows};
use crate::vm_state::VmBuffers;
use crate::wasi::VmContext;
use opencl3::command_queue::CommandQueue;
use vv_bundle::abi::HC_OUT;
use vv_bundle::Bundle;

/// Whether `bundle`'s VMs write stdout on the device in a batch run: not with `vvc build
/// --stdout-on-host` or `VV_HOST_STDOUT=1`, where every write is a hypercall.
pub fn stdout_on_device(bundle: &Bundle) -> bool {
    !bundle.options.stdout_on_host && !crate::env_flag("VV_HOST_STDOUT")
}

/// Appends what each VM of `vms` (row indices, within `hdr`) wrote to stdout on the device to its
/// context in `contexts` (one per row) and empties its row in `hdr`. Returns the bytes taken.
pub fn take_stdout(
    queue: &CommandQueue,
    helpers: &HelperKernels,
    bufs: &mut VmBuffers,
    hdr: &mut HeaderRows,
    vms: &[usize],
    contexts: &mut [VmContext],
) -> Result<usize, RunError> {
    let items: Vec<(usize, usize)> =
        vms.iter().map(|&vm| (vm, hdr.row(vm)[HC_OUT])).filter(|&(_, w)| w > 1).map(|(vm, w)| (vm, (w - 1) as usize)).collect();
    if items.is_empty() {
        return Ok(0);
    }
    let (bytes, starts) = pack::read_rows(queue, helpers, bufs, Rows::Out, &items).cl("reading the VMs' stdout")?;
    for (&(vm, len), &start) in items.iter().zip(&starts) {
        contexts[vm].stdout.extend_from_slice(&bytes[start..][..len]);
        hdr.row_mut(vm)[HC_OUT] = 1;
    }
    Ok(items.iter().map(|i| i.1).sum())
}

/// `take_stdout` for `vms` alone: reads their header rows and writes them back.
pub fn take_stdout_of(
    queue: &CommandQueue,
    helpers: &HelperKernels,
    bufs: &mut VmBuffers,
    vms: &[usize],
    contexts: &mut [VmContext],
) -> Result<usize, RunError> {
    let mut hdr = HeaderRows::read(queue, bufs, vms.iter().copied())?;
    let taken = take_stdout(queue, helpers, bufs, &mut hdr, vms, contexts)?;
    hdr.write(queue, bufs)?;
    Ok(taken)
}
