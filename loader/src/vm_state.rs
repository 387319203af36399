//! The device buffers of N VMs laid out per `abi`: sizing and the fit check against the device,
//! allocation, zero-fill, `vv_init` and the initial state words. Never reads memories back.

use crate::device::{human_bytes, DeviceInfo};
use crate::device_program::DeviceProgram;
use crate::error::{ClContext, RunError};
use crate::launch;
use crate::helper_kernels::HelperKernels;
use crate::pack::{packed_bytes, PACK_BYTES};
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::kernel::Kernel;
use opencl3::memory::{Buffer, ClMem, CL_MEM_ALLOC_HOST_PTR, CL_MEM_COPY_HOST_PTR, CL_MEM_READ_ONLY, CL_MEM_READ_WRITE};
use opencl3::types::CL_BLOCKING;
use std::collections::HashMap;
use std::ptr;
use std::sync::Arc;
use vv_bundle::abi::{self, HC_DATA_BYTES, HC_OUT_BYTES, HC_WORDS, STATE_FIELDS};
use vv_bundle::Bundle;

/// Share of `CL_DEVICE_GLOBAL_MEM_SIZE` the VM buffers may take.
pub const GLOBAL_MEM_HEADROOM: f64 = 0.9;

/// The bytes of `global_mem` the VMs may take: all but the headroom.
fn usable_bytes(global_mem: u64) -> u64 {
    (global_mem as f64 * GLOBAL_MEM_HEADROOM) as u64
}

#[derive(Debug, thiserror::Error)]
#[error("{nvms} VMs do not fit on {device}: {reason}; at most {max_vms} VMs fit (each VM needs {per_vm}: {breakdown}). Run fewer VMs, fewer at once (`vv-run --resident`), or build with a smaller heap (`vvc build --heap-size`)")]
pub struct FitError {
    pub nvms: u64,
    pub max_vms: u64,
    pub device: String,
    pub reason: String,
    pub per_vm: String,
    pub breakdown: String,
}

/// Sizes of the per-VM buffers of one bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmLayout {
    /// Linear memory bytes per VM: max pages x 64 KiB, at least 8 and at least the interleave.
    pub mem_bytes: u64,
    pub stack_rows: u64,
    /// Global slots per VM (at least one).
    pub globals: u64,
    /// Bytes of the padded memory image (a multiple of 8, at least 8).
    pub image_bytes: u64,
    /// Stdout bytes per VM on the device: `HC_OUT_BYTES` where the VMs write stdout there, else
    /// none (`vvc build --stdout-on-host`, `VV_HOST_STDOUT=1`, serving).
    pub stdout_bytes: u64,
}

/// Bytes per VM of the packing index: a (row, word, words) item.
const PACK_ITEM_BYTES: u64 = 12;

impl VmLayout {
    /// The buffers of `bundle`'s VMs, with a stdout row each if `stdout_on_device`.
    pub fn new(bundle: &Bundle, stdout_on_device: bool) -> VmLayout {
        VmLayout {
            stdout_bytes: if stdout_on_device { HC_OUT_BYTES as u64 } else { 0 },
            // Whole rows of the interleave: a module without memory still gets the 8-byte image
            // `vv_init` writes, which under interleave W > 8 spans W bytes of each VM.
            mem_bytes: (bundle.memory.max_pages as u64 * abi::PAGE_SIZE).max(8).max(bundle.options.interleave as u64),
            stack_rows: bundle.stack_rows as u64,
            globals: (bundle.globals.len() as u64).max(1),
            image_bytes: padded_image(&bundle.memory.image).len() as u64,
        }
    }

    /// (name, bytes per VM) of every buffer that grows with the VM count.
    pub fn buffers(&self) -> [(&'static str, u64); 8] {
        [
            ("memory", self.mem_bytes),
            ("stack", self.stack_rows * 8),
            ("globals", self.globals * 8),
            ("state", STATE_FIELDS as u64 * 4),
            ("hypercall header", HC_WORDS as u64 * 8),
            ("hypercall data", HC_DATA_BYTES as u64),
            ("stdout", self.stdout_bytes),
            ("hypercall packing index", PACK_ITEM_BYTES),
        ]
    }

    /// The per-VM buffers that take room, with their sizes, for error messages.
    pub fn breakdown(&self) -> String {
        let sized = self.buffers().into_iter().filter(|b| b.1 > 0);
        sized.map(|(n, b)| format!("{n} {}", human_bytes(b))).collect::<Vec<_>>().join(", ")
    }

    pub fn bytes_per_vm(&self) -> u64 {
        self.buffers().iter().map(|b| b.1).sum()
    }

    /// Device bytes not per VM: the memory image and the packing buffer.
    fn fixed_bytes(&self) -> u64 {
        self.image_bytes + PACK_BYTES as u64
    }

    /// The most VMs that fit in `global_mem` (with headroom) and in `max_alloc` per buffer.
    pub fn max_vms(&self, global_mem: u64, max_alloc: u64) -> u64 {
        let usable = usable_bytes(global_mem).saturating_sub(self.fixed_bytes());
        let by_total = usable / self.bytes_per_vm();
        let by_alloc = self.buffers().iter().map(|&(_, b)| max_alloc / b.max(1)).min().unwrap_or(0);
        by_total.min(by_alloc).min(u32::MAX as u64)
    }

    /// Checks that `nvms` VMs fit on `dev` (global memory with headroom, and its buffer limit),
    /// naming the limit and the largest count that fits.
    pub fn check_fit(&self, nvms: u64, dev: &DeviceInfo) -> Result<(), FitError> {
        let max_alloc = dev.buffer_limit();
        let max_vms = self.max_vms(dev.global_mem, max_alloc);
        if nvms <= max_vms {
            return Ok(());
        }
        let total = (nvms as u128 * self.bytes_per_vm() as u128).min(u64::MAX as u128) as u64;
        let (name, biggest) = self.buffers().into_iter().max_by_key(|b| b.1).unwrap();
        let biggest_total = (nvms as u128 * biggest as u128).min(u64::MAX as u128) as u64;
        let usable = usable_bytes(dev.global_mem);
        let reason = if nvms > u32::MAX as u64 {
            "the VM count must fit 32 bits".to_string()
        } else if total.saturating_add(self.fixed_bytes()) > usable {
            format!(
                "they need {} but the device has {} of global memory ({:.0}% usable)",
                human_bytes(total),
                human_bytes(dev.global_mem),
                GLOBAL_MEM_HEADROOM * 100.0
            )
        } else {
            format!(
                "the {name} buffer would take {} but the device allocates at most {} per buffer",
                human_bytes(biggest_total),
                human_bytes(max_alloc)
            )
        };
        Err(FitError {
            nvms,
            max_vms,
            device: dev.name.clone(),
            reason,
            per_vm: human_bytes(self.bytes_per_vm()),
            breakdown: self.breakdown(),
        })
    }
}

/// The memory image padded with zeros to a multiple of 8 bytes, at least 8.
pub fn padded_image(image: &[u8]) -> Vec<u8> {
    let mut v = image.to_vec();
    v.resize(image.len().div_ceil(8).max(1) * 8, 0);
    v
}

/// The state words every VM starts with (`state[field * nvms + vm]`), given each VM's invoke word.
pub fn initial_state(bundle: &Bundle, invokes: &[u32]) -> Vec<u32> {
    let n = invokes.len();
    let mut s = vec![0u32; STATE_FIELDS * n];
    let mut field = |f: usize, value: &dyn Fn(usize) -> u32| {
        for vm in 0..n {
            s[f * n + vm] = value(vm);
        }
    };
    field(abi::STATE_STATUS, &|_| abi::STATUS_RUNNING);
    field(abi::STATE_FUNC, &|_| bundle.entry_function);
    field(abi::STATE_RESUME, &|_| 0);
    field(abi::STATE_FP, &|_| bundle.invoke_slots);
    field(abi::STATE_PAGES, &|_| bundle.memory.initial_pages);
    field(abi::STATE_INVOKE, &|vm| invokes[vm]);
    s
}

/// What the VMs start with besides zeroed memory.
pub struct InitialContents<'a> {
    /// The memory image (unpadded).
    pub image: &'a [u8],
    /// `initial_state` words.
    pub state: &'a [u32],
    /// Invoke rows of the stack (`rows[row * nvms + vm]`); may be empty.
    pub invoke_rows: &'a [u64],
    /// What the VMs read on the device (stdin, argv, environment) and their headers.
    pub stdin: &'a DeviceInputs,
}

/// The device buffers of all VMs of one run.
pub struct VmBuffers {
    pub nvms: usize,
    pub mem: Buffer<u8>,
    pub stack: Buffer<u64>,
    pub globals: Buffer<u64>,
    pub state: Buffer<u32>,
    pub hc_hdr: Buffer<u64>,
    pub hc_data: Buffer<u8>,
    /// What the VMs wrote to stdout on the device (`abi::HC_OUT`), `layout.stdout_bytes` a VM.
    pub hc_out: Buffer<u8>,
    /// A hypercall round's (row, word, words) items for the packing kernels.
    pub pack_items: Buffer<u32>,
    /// Where a round's data rows are packed together for one transfer (`pack`), in batches of
    /// at most `packed_bytes(nvms)`.
    pub packed: Buffer<u8>,
    /// Host memory the driver allocated (pinned where it can), as large as `packed`: batches
    /// cross the bus between it and `packed`.
    pub staging: Buffer<u8>,
    /// The padded memory image, on the device once `initialize` ran (`vv_reset` reads it).
    pub image: Option<Buffer<u8>>,
    /// The VMs' inputs, packed (`DeviceInputs`; one byte until `initialize` uploads them).
    pub stdin: Buffer<u8>,
}

fn buffer<T>(context: &Context, count: u64, what: &'static str) -> Result<Buffer<T>, RunError> {
    // SAFETY: no host pointer is passed.
    unsafe { Buffer::<T>::create(context, CL_MEM_READ_WRITE, count as usize, ptr::null_mut()) }.cl(what)
}

impl VmBuffers {
    pub fn allocate(context: &Context, layout: &VmLayout, nvms: usize) -> Result<VmBuffers, RunError> {
        let n = nvms as u64;
        Ok(VmBuffers {
            nvms,
            mem: buffer(context, n * layout.mem_bytes, "allocating VM memories")?,
            stack: buffer(context, n * layout.stack_rows.max(1), "allocating VM call stacks")?,
            globals: buffer(context, n * layout.globals, "allocating VM globals")?,
            state: buffer(context, n * STATE_FIELDS as u64, "allocating VM state")?,
            hc_hdr: buffer(context, n * HC_WORDS as u64, "allocating hypercall headers")?,
            hc_data: buffer(context, n * HC_DATA_BYTES as u64, "allocating hypercall data")?,
            // One byte where no VM writes stdout on the device: `vv_run` takes a buffer there.
            hc_out: buffer(context, (n * layout.stdout_bytes).max(1), "allocating the VMs' stdout")?,
            pack_items: buffer(context, n * PACK_ITEM_BYTES / 4, "allocating the hypercall packing index")?,
            packed: buffer(context, packed_bytes(nvms) as u64, "allocating the hypercall packing buffer")?,
            // SAFETY: no host pointer is passed; the driver allocates host memory it can map.
            staging: unsafe { Buffer::create(context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, packed_bytes(nvms), ptr::null_mut()) }
                .cl("allocating the hypercall staging buffer")?,
            image: None,
            stdin: buffer(context, 1, "allocating the stdin buffer")?,
        })
    }

    /// Zeroes memory, runs `vv_init` with the padded image (kept as `image`), and uploads the
    /// initial state and the invoke rows. Waits until the device is done.
    pub fn initialize(
        &mut self,
        context: &Context,
        queue: &CommandQueue,
        init: &Kernel,
        helpers: &HelperKernels,
        contents: &InitialContents,
        sizes: launch::WorkSizes,
    ) -> Result<(), RunError> {
        let mut image = padded_image(contents.image);
        let (state, invoke_rows) = (contents.state, contents.invoke_rows);
        let mem_len = self.mem.size().cl("sizing VM memories")?;
        // SAFETY: the image is copied at creation; the writes block; sizes match the buffers.
        unsafe {
            helpers.zero(queue, &self.mem, mem_len).cl("zero-filling VM memories")?;
            trace!("zeroing {} enqueued", human_bytes(mem_len as u64));
            let image_buf = Buffer::<u8>::create(
                context,
                CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                image.len(),
                image.as_mut_ptr().cast(),
            )
            .cl("uploading the memory image")?;
            init.set_arg(0, &self.mem).cl("setting vv_init arguments")?;
            init.set_arg(1, &self.globals).cl("setting vv_init arguments")?;
            init.set_arg(2, &image_buf).cl("setting vv_init arguments")?;
            launch::set_uint_arg(init, 3, image.len() as u64).cl("setting vv_init arguments")?;
            launch::set_uint_arg(init, 4, self.nvms as u64).cl("setting vv_init arguments")?;
            launch::enqueue(queue, init, sizes).cl("launching vv_init")?;
            trace!("vv_init enqueued: {sizes:?}");
            queue.enqueue_write_buffer(&mut self.state, CL_BLOCKING, 0, state, &[]).cl("uploading VM state")?;
            if !invoke_rows.is_empty() {
                queue.enqueue_write_buffer(&mut self.stack, CL_BLOCKING, 0, invoke_rows, &[]).cl("uploading invoke arguments")?;
            }
            let stdin = contents.stdin;
            if stdin.on_device() {
                self.stdin = Buffer::<u8>::create(context, CL_MEM_READ_ONLY, stdin.bytes() as usize, ptr::null_mut()).cl("allocating the stdin buffer")?;
                if !stdin.packed.is_empty() {
                    queue.enqueue_write_buffer(&mut self.stdin, CL_BLOCKING, 0, &stdin.packed, &[]).cl("uploading stdin")?;
                }
                trace!("inputs on the device: {} for {} VMs", human_bytes(stdin.bytes()), self.nvms);
            }
            let headers = &stdin.headers[..self.nvms * HC_WORDS];
            queue.enqueue_write_buffer(&mut self.hc_hdr, CL_BLOCKING, 0, headers, &[]).cl("uploading hypercall headers")?;
            queue.finish().cl("initializing VMs")?;
            trace!("VMs initialized");
            self.image = Some(image_buf);
        }
        Ok(())
    }
}

impl VmBuffers {
    /// Puts the VMs of `list` back to their start with `vv_reset` (found in `reset`): memory to
    /// the image, globals to their initial values, state RUNNING the bundle's entry with `invoke`.
    /// Waits until the device is done.
    pub(crate) fn reset_to_start(&self, dev: &DeviceProgram, reset: &Kernel, bundle: &Bundle, list: &[u32], invoke: u32) -> Result<(), RunError> {
        if list.is_empty() {
            return Ok(());
        }
        let mut list = list.to_vec();
        let image = self.image.as_ref().ok_or_else(|| RunError::Abi("the memory image is not on the device".into()))?;
        let image_len = VmLayout::new(bundle, false).image_bytes;
        let sizes = launch::WorkSizes::new(list.len(), dev.device.kind, None, usize::MAX).map_err(RunError::Config)?;
        let k = reset;
        // SAFETY: the list buffer copies `list` at creation and lives until finish(); the other
        // arguments are live buffers and scalars of the kernel's widths.
        unsafe {
            let list_buf = Buffer::<u32>::create(&dev.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, list.len(), list.as_mut_ptr().cast())
                .cl("uploading the VMs to reset")?;
            k.set_arg(0, &self.mem).cl("setting vv_reset arguments")?;
            k.set_arg(1, &self.globals).cl("setting vv_reset arguments")?;
            k.set_arg(2, &self.state).cl("setting vv_reset arguments")?;
            k.set_arg(3, image).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 4, image_len).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 5, self.nvms as u64).cl("setting vv_reset arguments")?;
            k.set_arg(6, &list_buf).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 7, list.len() as u64).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 8, bundle.entry_function as u64).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 9, bundle.invoke_slots as u64).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 10, bundle.memory.initial_pages as u64).cl("setting vv_reset arguments")?;
            launch::set_uint_arg(k, 11, invoke as u64).cl("setting vv_reset arguments")?;
            launch::enqueue(&dev.queue, k, sizes).cl("launching vv_reset")?;
            dev.queue.finish().cl("resetting VMs")?;
        }
        Ok(())
    }
}

/// What the VMs read on the device, packed into one buffer (`vv_run`'s `stdin`): each distinct
/// stdin (one `Arc` is one input, however many VMs share it) once, and each distinct argv and
/// environment once (`add_lists`), with each VM's hypercall header pointing at its own
/// (`HC_STDIN_AT` / `HC_STDIN_LEFT`, `HC_ARGS_AT`). A header word left 0 means the host serves
/// those calls.
pub struct DeviceInputs {
    packed: Vec<u8>,
    /// Bytes of the buffer after `packed` that the host fills later, not uploaded at the start
    /// (serving's request rows, `rows`).
    reserved: usize,
    headers: Vec<u64>,
    /// `add_stdout` ran: the VMs write stdout on the device.
    stdout: bool,
}

/// A VM's argv and environment as `abi::HC_ARGS_AT` lays them out: for each list its count and
/// bytes (u32 each), then its NUL-terminated strings, padded to 4 bytes.
pub fn list_blob(args: &[String], env: &[String]) -> Vec<u8> {
    let mut blob = Vec::new();
    for list in [args, env] {
        let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
        blob.extend_from_slice(&(list.len() as u32).to_le_bytes());
        blob.extend_from_slice(&(bytes as u32).to_le_bytes());
        for s in list {
            blob.extend_from_slice(s.as_bytes());
            blob.push(0);
        }
        blob.resize(blob.len().next_multiple_of(4), 0);
    }
    blob
}

/// One request's stdin and lists in a row of `row_bytes` at byte `at` of the inputs buffer:
/// the row's bytes and the header words that point the VM at them (left 0, so that the host
/// serves them, for a part that does not fit).
pub fn request_row(stdin: &[u8], args: &[String], env: &[String], at: usize, row_bytes: usize) -> (Vec<u8>, [(usize, u64); 3]) {
    let mut row = Vec::new();
    let mut words = [(abi::HC_STDIN_AT, 0u64), (abi::HC_STDIN_LEFT, 0u64), (abi::HC_ARGS_AT, 0u64)];
    if stdin.len() <= row_bytes {
        row.extend_from_slice(stdin);
        words[0].1 = at as u64;
        words[1].1 = 1 + stdin.len() as u64;
    }
    let blob = list_blob(args, env);
    let start = row.len().next_multiple_of(4);
    if start + blob.len() <= row_bytes {
        row.resize(start, 0);
        row.extend_from_slice(&blob);
        words[2].1 = 1 + (at + start) as u64;
    }
    (row, words)
}

impl DeviceInputs {
    pub fn new(inputs: Option<&[Arc<[u8]>]>, nvms: usize) -> DeviceInputs {
        let mut headers = vec![0u64; nvms * HC_WORDS];
        let Some(inputs) = inputs else { return DeviceInputs { packed: Vec::new(), reserved: 0, headers, stdout: false } };
        let mut packed = Vec::new();
        let mut at_of: HashMap<*const u8, usize> = HashMap::new();
        for (vm, input) in inputs.iter().enumerate().take(nvms) {
            let at = *at_of.entry(input.as_ptr()).or_insert_with(|| {
                packed.extend_from_slice(input);
                packed.len() - input.len()
            });
            headers[vm * HC_WORDS + abi::HC_STDIN_AT] = at as u64;
            headers[vm * HC_WORDS + abi::HC_STDIN_LEFT] = 1 + input.len() as u64;
        }
        if packed.is_empty() {
            packed.push(0);
        }
        DeviceInputs { packed, reserved: 0, headers, stdout: false }
    }

    /// Adds each VM's argv and environment (in VM order, from the first VM), laid out as
    /// `abi::HC_ARGS_AT` says; VMs with the same lists share one copy.
    pub fn add_lists<'a>(&mut self, lists: impl Iterator<Item = (&'a [String], &'a [String])>) {
        let mut at_of: HashMap<Vec<u8>, usize> = HashMap::new();
        for (vm, (args, env)) in lists.enumerate() {
            let blob = list_blob(args, env);
            let at = match at_of.get(&blob) {
                Some(&at) => at,
                None => {
                    let packed = &mut self.packed;
                    packed.resize(packed.len().next_multiple_of(4), 0);
                    packed.extend_from_slice(&blob);
                    at_of.insert(blob.clone(), packed.len() - blob.len());
                    packed.len() - blob.len()
                }
            };
            self.headers[vm * HC_WORDS + abi::HC_ARGS_AT] = 1 + at as u64;
        }
    }

    /// A row of `row_bytes` on the device for each of `nvms` VMs, to fill request by request
    /// (`request_row`; nothing is uploaded at the start); until a VM's header says so, the host
    /// serves its stdin and lists.
    pub fn rows(nvms: usize, row_bytes: usize) -> DeviceInputs {
        DeviceInputs { packed: Vec::new(), reserved: (nvms * row_bytes).max(1), headers: vec![0u64; nvms * HC_WORDS], stdout: false }
    }

    /// Lets every VM write stdout on the device (`abi::HC_OUT`).
    pub fn add_stdout(&mut self) {
        for header in self.headers.chunks_exact_mut(HC_WORDS) {
            header[abi::HC_OUT] = 1;
        }
        self.stdout = true;
    }

    /// Whether the VMs write stdout on the device (`add_stdout`), so that the host must take it.
    pub fn stdout_on_device(&self) -> bool {
        self.stdout
    }

    /// VM `vm`'s hypercall header as it starts.
    pub fn header(&self, vm: usize) -> &[u64] {
        &self.headers[vm * HC_WORDS..][..HC_WORDS]
    }

    /// Whether anything is on the device (else the host serves stdin, argv and environment).
    pub fn on_device(&self) -> bool {
        self.bytes() > 0
    }

    /// Bytes of the inputs buffer on the device.
    pub fn bytes(&self) -> u64 {
        (self.packed.len() + self.reserved) as u64
    }

    /// Checks that the packed inputs fit beside `nvms` VMs of `layout` on `dev`.
    pub fn check_fit(&self, layout: &VmLayout, nvms: u64, dev: &DeviceInfo) -> Result<(), RunError> {
        let vms = nvms.saturating_mul(layout.bytes_per_vm()).saturating_add(layout.fixed_bytes());
        let usable = usable_bytes(dev.global_mem);
        let fits = self.bytes() <= dev.buffer_limit() && vms.saturating_add(self.bytes()) <= usable;
        if fits {
            return Ok(());
        }
        Err(RunError::Config(format!(
            "the VMs' inputs (stdin, argv and environment) take {} on {} beside the {} its {nvms} VMs need, more than its {} of global memory ({:.0}% usable) or its largest buffer ({}): run fewer VMs or give smaller inputs",
            human_bytes(self.bytes()),
            dev.name,
            human_bytes(vms),
            human_bytes(dev.global_mem),
            GLOBAL_MEM_HEADROOM * 100.0,
            human_bytes(dev.buffer_limit())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceKind;
    use vv_bundle::{BuildOptions, MemoryLayout};

    #[test]
    fn a_request_row_holds_what_fits() {
        let args = vec!["prog".to_string(), "a b".to_string()];
        let env = vec!["K=V".to_string()];
        let blob = list_blob(&args, &env);
        assert_eq!(blob.len() % 4, 0);
        assert_eq!(&blob[..8], &[2, 0, 0, 0, 9, 0, 0, 0], "2 args, 9 bytes with their NULs");

        // Stdin, then the lists at the next multiple of 4, both pointed at from byte 640.
        let (row, words) = request_row(b"hello", &args, &env, 640, 64);
        assert_eq!(&row[..5], b"hello");
        assert_eq!(&row[8..], &blob[..]);
        assert_eq!(words, [(abi::HC_STDIN_AT, 640), (abi::HC_STDIN_LEFT, 6), (abi::HC_ARGS_AT, 1 + 648)]);

        // Stdin too large for the row: the host serves it, the lists still go first in the row.
        let (row, words) = request_row(&[7u8; 65], &args, &env, 640, 64);
        assert_eq!(row, blob);
        assert_eq!(words, [(abi::HC_STDIN_AT, 0), (abi::HC_STDIN_LEFT, 0), (abi::HC_ARGS_AT, 1 + 640)]);

        // Room for stdin but not the lists after it; empty stdin is on the device too (end of file).
        let (row, words) = request_row(&[7u8; 60], &args, &env, 0, 64);
        assert_eq!(row.len(), 60);
        assert_eq!(words, [(abi::HC_STDIN_AT, 0), (abi::HC_STDIN_LEFT, 61), (abi::HC_ARGS_AT, 0)]);
        let (_, words) = request_row(b"", &[], &[], 128, 64);
        assert_eq!(words, [(abi::HC_STDIN_AT, 128), (abi::HC_STDIN_LEFT, 1), (abi::HC_ARGS_AT, 1 + 128)]);

        // The rows take device memory but nothing is uploaded for them at the start.
        let rows = DeviceInputs::rows(3, 64);
        assert!(rows.on_device() && rows.bytes() == 192 && rows.packed.is_empty());
    }

    pub(crate) fn bundle(max_pages: u32, globals: usize) -> Bundle {
        Bundle {
            content_hash: [0; 32],
            source_name: "t.wasm".into(),
            compiler_version: "0".into(),
            options: BuildOptions::default(),
            partitions: vec![String::new()],
            partition_of: vec![0],
            whole: None,
            memory: MemoryLayout { present: max_pages > 0, initial_pages: max_pages.min(1), max_pages, image: vec![1; 13] },
            globals: vec![0; globals],
            exports: vec![],
            imports: vec![],
            function_names: vec!["entry".into()],
            invoke_slots: 2,
            stack_rows: 1024,
            entry_function: 3,
            command_entry: Some(0),
        }
    }

    #[test]
    fn stdin_packs_each_input_once() {
        let shared: Arc<[u8]> = Arc::from(&b"abc"[..]);
        let own: Arc<[u8]> = Arc::from(&b"de"[..]);
        let empty: Arc<[u8]> = Arc::from(&b""[..]);
        let d = DeviceInputs::new(Some(&[shared.clone(), own, shared, empty]), 4);
        assert_eq!(d.packed, b"abcde", "the shared input once");
        let word = |vm: usize, w: usize| d.headers[vm * HC_WORDS + w];
        let at_left = |vm| (word(vm, abi::HC_STDIN_AT), word(vm, abi::HC_STDIN_LEFT));
        assert_eq!([at_left(0), at_left(1), at_left(2)], [(0, 4), (3, 3), (0, 4)]);
        assert_eq!(at_left(3).1, 1, "empty input: on the device, nothing left");
        assert_eq!(d.headers.len(), 4 * HC_WORDS);
        let none = DeviceInputs::new(None, 2);
        assert!(none.packed.is_empty() && none.headers.iter().all(|&w| w == 0), "the host serves fd 0");
        assert_eq!(DeviceInputs::new(Some(&[Arc::from(&b""[..])]), 1).bytes(), 1, "a buffer is never empty");
    }

    #[test]
    fn argv_and_environment_pack_once_per_distinct_lists() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        let (a0, a1, env) = (s(&["p", "0", ""]), s(&["p", "1"]), s(&["K=V"]));
        let abc: Arc<[u8]> = Arc::from(&b"abc"[..]);
        let mut d = DeviceInputs::new(Some(&[abc.clone(), abc.clone(), abc]), 3);
        d.add_lists([(&a0[..], &env[..]), (&a1[..], &[][..]), (&a0[..], &env[..])].into_iter());
        let at = |vm: usize| d.headers[vm * HC_WORDS + abi::HC_ARGS_AT] as usize - 1;
        assert_eq!((at(0), at(2)), (4, 4), "after the stdin, 4-aligned, one copy for VMs 0 and 2");
        let word = |i: usize| u32::from_le_bytes(d.packed[i..i + 4].try_into().unwrap());
        assert_eq!((word(4), word(8)), (3, 5), "argv: 3 strings, 5 bytes with NULs");
        assert_eq!(&d.packed[12..17], b"p\x000\x00\x00");
        assert_eq!((word(20), word(24)), (1, 4), "environment after argv's padding");
        assert_eq!(&d.packed[28..32], b"K=V\x00");
        let other = at(1);
        assert_eq!((other % 4, other), (0, 32), "VM 1's lists follow");
        assert_eq!((word(other), word(other + 4), word(other + 12), word(other + 16)), (2, 4, 0, 0), "an empty environment");
    }

    #[test]
    fn stdin_must_fit_beside_the_vms() {
        let layout = VmLayout::new(&bundle(1, 0), true);
        let mut dev = DeviceInfo::fake(0, "pocl", DeviceKind::Cpu, "p");
        dev.global_mem = 100 << 20;
        dev.max_alloc = 1 << 30;
        let stdin = |mib: usize| DeviceInputs::new(Some(&[Arc::from(vec![7u8; mib << 20])]), 1);
        assert!(stdin(1).check_fit(&layout, 1, &dev).is_ok());
        let err = stdin(30).check_fit(&layout, 1, &dev).unwrap_err().to_string();
        assert!(err.contains("inputs (stdin, argv and environment) take 30.0 MiB") && err.contains("run fewer VMs or give smaller inputs"), "{err}");
    }

    #[test]
    fn per_vm_bytes() {
        let l = VmLayout::new(&bundle(64, 0), true);
        assert_eq!(l.mem_bytes, 64 * 65536);
        assert_eq!(l.globals, 1);
        assert_eq!(l.image_bytes, 16);
        assert_eq!(l.bytes_per_vm(), 64 * 65536 + 8192 + 8 + 32 + 136 + 65536 + 65536 + 12);
        let host_stdout = VmLayout::new(&bundle(64, 0), false);
        assert_eq!(host_stdout.bytes_per_vm(), l.bytes_per_vm() - 65536, "no stdout row where the host writes stdout");
        assert!(l.breakdown().contains("stdout 64.0 KiB"), "{}", l.breakdown());
        assert!(!host_stdout.breakdown().contains("stdout"), "{}", host_stdout.breakdown());
        let empty = VmLayout::new(&bundle(0, 3), true);
        assert_eq!((empty.mem_bytes, empty.globals), (8, 3));
        // Without memory, a VM still holds one row of the interleave (vv_init writes the image).
        let mut wide = bundle(0, 0);
        wide.options.interleave = 65536;
        assert_eq!(VmLayout::new(&wide, true).mem_bytes, 65536);
    }

    #[test]
    fn fit_by_total_and_by_allocation() {
        let l = VmLayout::new(&bundle(64, 0), true);
        let per = l.bytes_per_vm();
        // Plenty per buffer: the total (90% of global) decides.
        assert_eq!(l.max_vms(per * 1000, u64::MAX), 884, "90% of 1000, less the image and the 64 MiB packing buffer");
        // 1 GiB per buffer: 256 memories of 4 MiB.
        assert_eq!(l.max_vms(1 << 40, 1 << 30), 256);
        let mut dev = DeviceInfo::fake(0, "pocl", DeviceKind::Cpu, "p");
        dev.global_mem = 4 << 30;
        dev.max_alloc = 1 << 30;
        assert!(l.check_fit(256, &dev).is_ok());
        let err = l.check_fit(257, &dev).unwrap_err();
        assert_eq!(err.max_vms, 256);
        let msg = err.to_string();
        assert!(msg.contains("at most 256 VMs fit") && msg.contains("memory buffer"), "{msg}");
        dev.max_alloc = 1 << 40;
        let err = l.check_fit(1000, &dev).unwrap_err();
        assert!(err.to_string().contains("global memory"), "{err}");
        assert_eq!(err.max_vms, l.max_vms(4 << 30, 1 << 40));
        // NVIDIA's driver allocates past its reported limit: global memory decides there.
        let mut nv = DeviceInfo::fake(1, "NVIDIA H100 80GB HBM3", DeviceKind::Gpu, "NVIDIA CUDA");
        nv.global_mem = 80 << 30;
        nv.max_alloc = 20 << 30;
        assert!(l.check_fit(16384, &nv).is_ok());
    }

    #[test]
    fn image_padding() {
        assert_eq!(padded_image(&[]).len(), 8);
        assert_eq!(padded_image(&[1; 8]).len(), 8);
        assert_eq!(padded_image(&[1; 9]), [vec![1; 9], vec![0; 7]].concat());
    }

    #[test]
    fn initial_state_words() {
        let b = bundle(2, 0);
        let s = initial_state(&b, &[abi::INVOKE_COMMAND, 5]);
        let at = |f: usize, vm: usize| s[f * 2 + vm];
        assert_eq!(s.len(), STATE_FIELDS * 2);
        assert_eq!(at(abi::STATE_STATUS, 1), abi::STATUS_RUNNING);
        assert_eq!(at(abi::STATE_FUNC, 0), 3);
        assert_eq!(at(abi::STATE_FP, 1), 2);
        assert_eq!(at(abi::STATE_PAGES, 0), 1);
        assert_eq!(at(abi::STATE_INVOKE, 0), abi::INVOKE_COMMAND);
        assert_eq!(at(abi::STATE_INVOKE, 1), 5);
        assert_eq!(at(abi::STATE_CODE, 1), 0);
    }
}
