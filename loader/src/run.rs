//! The launch loop of one device: per-VM setup from the run configuration for a range of VMs,
//! `vv_run` launches until no VM is RUNNING or waiting, hypercall rounds in between, and the final
//! read of outcomes. A single-device run is one range; `multi` runs one range per device. With a
//! resident count below the range's size, the VMs take turns in that many slots (`refill`).

use crate::device_program::DeviceProgram;
use crate::error::{ClContext, RunError};
use crate::fault::{self, Stage};
use crate::header_rows::HeaderRows;
use crate::hostcalls::{service_round, HostThreads};
use crate::launch::{self, WorkSizes};
use crate::output;
use crate::partitions::RunKernels;
use crate::report::{PhaseTimes, RunReport, ShardReport, Takeover, VmOutcome, VmStatus};
use crate::vm_state::{initial_state, DeviceInputs, InitialContents, VmBuffers, VmLayout};
use crate::wasi::{os_seed, SplitMix64, VmContext};
use crate::refill::{resident, Slots};
use crate::sequence::{self, Steps};
use crate::{Invoke, RunConfig, Stdin};
use opencl3::command_queue::CommandQueue;
use opencl3::error_codes::ClError;
use opencl3::kernel::Kernel;
use opencl3::types::CL_BLOCKING;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;
use vv_bundle::abi::{self, Trap, HC_DATA_BYTES, STATE_FIELDS};
use vv_bundle::Bundle;

/// The invoke word of each VM of `vms` and their invoke rows (`rows[row * len + k]` for VM
/// `vms.start + k`) to upload. Checks the whole configuration, whatever the range.
pub fn plan_invokes(bundle: &Bundle, cfg: &RunConfig, vms: Range<usize>) -> Result<(Vec<u32>, Vec<u64>), RunError> {
    let n = vms.len();
    let slots = bundle.invoke_slots as usize;
    let mut rows = vec![0u64; slots * n];
    let invokes = match &cfg.invoke {
        Invoke::Command => {
            if bundle.command_entry.is_none() {
                return Err(RunError::Config(format!(
                    "{} has no WASI command entry (`_start`); invoke one of its exports instead",
                    bundle.source_name
                )));
            }
            vec![abi::INVOKE_COMMAND; n]
        }
        Invoke::PerVm(list) => {
            if list.len() != cfg.vms {
                return Err(RunError::Config(format!("{} invocations given for {} VMs", list.len(), cfg.vms)));
            }
            let mut invokes = Vec::with_capacity(n);
            for (k, (index, args)) in list[vms.clone()].iter().enumerate() {
                check_call(bundle, vms.start + k, *index, args)?;
                for (row, bits) in args.iter().enumerate() {
                    rows[row * n + k] = *bits;
                }
                invokes.push(*index);
            }
            invokes
        }
        Invoke::Sequence(list) => {
            if list.len() != cfg.vms {
                return Err(RunError::Config(format!("{} call sequences given for {} VMs", list.len(), cfg.vms)));
            }
            for (k, calls) in list[vms.clone()].iter().enumerate() {
                for call in calls {
                    check_call(bundle, vms.start + k, call.export, &call.args)?;
                }
            }
            vec![abi::INVOKE_INSTANTIATE; n]
        }
    };
    Ok((invokes, rows))
}

/// Checks that VM `vm` may call the export with invoke index `index` with `args`.
fn check_call(bundle: &Bundle, vm: usize, index: u32, args: &[u64]) -> Result<(), RunError> {
    let export = bundle
        .exports
        .iter()
        .find(|e| e.invoke_index == index)
        .ok_or_else(|| RunError::Config(format!("VM {vm}: the bundle has no export with invoke index {index}")))?;
    if args.len() != export.params.len() {
        return Err(RunError::Config(format!(
            "VM {vm}: export `{}` takes {} arguments, {} given",
            export.name,
            export.params.len(),
            args.len()
        )));
    }
    if args.len() > bundle.invoke_slots as usize {
        return Err(RunError::Config(format!("VM {vm}: {} arguments but the bundle has {} invoke slots", args.len(), bundle.invoke_slots)));
    }
    Ok(())
}

/// Bytes a string list takes in one `*_get` copy-out (count word, two segments, table, strings).
fn list_copy_out_bytes(list: &[String]) -> usize {
    4 + 2 * 8 + list.iter().map(|s| 4 + s.len() + 1).sum::<usize>()
}

/// The WASI context of each VM of `vms`: argv (program name, then `cfg.args` with `{vm}`
/// replaced by the VM's index), env, stdin, and a random stream from `seed` and the VM's index.
pub fn make_contexts(bundle: &Bundle, cfg: &RunConfig, started: Instant, vms: Range<usize>, seed: u64) -> Result<Vec<VmContext>, RunError> {
    let empty: Arc<[u8]> = Arc::from(&b""[..]);
    let stdin_of: Box<dyn Fn(usize) -> Arc<[u8]>> = match &cfg.stdin {
        Stdin::None => Box::new(|_| empty.clone()),
        Stdin::Same(bytes) => Box::new(|_| bytes.clone()),
        Stdin::PerVm(list) => {
            if list.len() != cfg.vms {
                return Err(RunError::Config(format!("{} stdin inputs given for {} VMs", list.len(), cfg.vms)));
            }
            Box::new(|vm| list[vm].clone())
        }
    };
    let env_text: Vec<String> = cfg.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if list_copy_out_bytes(&env_text) > HC_DATA_BYTES {
        return Err(RunError::Config(format!("the environment takes more than the {HC_DATA_BYTES} bytes one hypercall carries")));
    }
    let mut out = Vec::with_capacity(vms.len());
    for vm in vms {
        let mut args = vec![bundle.source_name.clone()];
        args.extend(cfg.args.iter().map(|a| a.replace("{vm}", &vm.to_string())));
        if list_copy_out_bytes(&args) > HC_DATA_BYTES {
            return Err(RunError::Config(format!("VM {vm}: the arguments take more than the {HC_DATA_BYTES} bytes one hypercall carries")));
        }
        let vm_seed = SplitMix64::new(seed ^ (vm as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64();
        out.push(VmContext::new(args, &cfg.env, stdin_of(vm), started, vm_seed));
    }
    Ok(out)
}

/// The host side of a range of VMs: their WASI contexts and what they invoke.
pub(crate) struct ShardInput {
    pub vms: Range<usize>,
    pub contexts: Vec<VmContext>,
    invokes: Vec<u32>,
    rows: Vec<u64>,
    /// With `Invoke::Sequence`: each VM's calls and step outcomes.
    pub steps: Option<Vec<Steps>>,
}

impl ShardInput {
    pub fn new(bundle: &Bundle, cfg: &RunConfig, started: Instant, vms: Range<usize>, seed: u64) -> Result<ShardInput, RunError> {
        let (invokes, rows) = plan_invokes(bundle, cfg, vms.clone())?;
        let contexts = make_contexts(bundle, cfg, started, vms.clone(), seed)?;
        let steps = match &cfg.invoke {
            Invoke::Sequence(list) => Some(list[vms.clone()].iter().map(|calls| Steps::new(calls.clone())).collect()),
            _ => None,
        };
        Ok(ShardInput { vms, contexts, invokes, rows, steps })
    }
}

/// A device's kernels and work sizes for a number of VMs: what is checked before anything runs.
pub(crate) struct Prepared {
    pub init: Kernel,
    /// `vv_run` of each partition (or of the whole program), with the local size all allow.
    pub kernels: RunKernels,
    pub init_sizes: WorkSizes,
}

impl Prepared {
    pub fn new(dev: &DeviceProgram, bundle: &Bundle, cfg: &RunConfig, n: usize) -> Result<Prepared, RunError> {
        VmLayout::new(bundle, crate::output::stdout_on_device(bundle)).check_fit(n as u64, &dev.device)?;
        let init = dev.kernel("vv_init").cl("finding kernel vv_init")?;
        let (kernels, home) = dev.run_kernels().cl("finding kernel vv_run")?;
        let max_of = |k: &Kernel| k.get_work_group_size(dev.device.device.id()).unwrap_or(1);
        let sizes_for = |max: usize| WorkSizes::new(n, dev.device.kind, cfg.local_size, max).map_err(RunError::Config);
        let run_max = kernels.iter().map(max_of).min().unwrap_or(1);
        let sizes = sizes_for(run_max)?;
        Ok(Prepared { init_sizes: sizes_for(max_of(&init))?, init, kernels: RunKernels::new(kernels, home, sizes, cfg.local_size, n) })
    }

    pub fn local_size(&self) -> usize {
        self.kernels.sizes.local
    }
}

/// Counters of one device's run, kept when it fails part way.
#[derive(Debug, Default, Clone)]
pub(crate) struct Progress {
    pub launches: u64,
    pub hypercalls: u64,
    pub phases: PhaseTimes,
    pub takeover: Option<Takeover>,
}

fn field(state: &[u32], n: usize, field: usize, vm: usize) -> u32 {
    state[field * n + vm]
}

/// The trap and the function of trapped VM `k` of a state read back for `n` VMs; `number` is the
/// VM's number in the run (for the message).
pub(crate) fn trap_of(bundle: &Bundle, state: &[u32], n: usize, k: usize, number: usize) -> Result<(Trap, String), RunError> {
    let code = field(state, n, abi::STATE_CODE, k);
    let trap = Trap::from_code(code)
        .ok_or_else(|| RunError::Abi(format!("VM {number} trapped with code {code}, which the ABI does not define")))?;
    Ok((trap, bundle.function_name(field(state, n, abi::STATE_TRAP_FUNC, k)).to_string()))
}

/// What all devices of a run share.
pub(crate) struct Shared<'a> {
    pub bundle: &'a Bundle,
    pub cfg: &'a RunConfig,
    /// When the run started: the timeout and the VMs' clocks count from here.
    pub start: Instant,
    /// Extra threads for servicing hypercalls.
    pub threads: &'a HostThreads,
}

/// Each VM's status and invoke results, in VM order.
pub(crate) type Statuses = Vec<(VmStatus, Vec<u64>)>;

/// Runs the VMs of `input` on `dev` until they are done or a limit of the run is reached (the
/// launch limit counts this device's launches; the timeout counts from the run's start).
pub(crate) fn execute(
    shared: &Shared,
    dev: &DeviceProgram,
    prep: Prepared,
    input: &mut ShardInput,
    progress: &mut Progress,
) -> Result<Statuses, RunError> {
    let total = input.vms.len();
    // Slots on the device: every VM, or fewer that the VMs take turns in.
    let n = resident(shared.cfg, total);
    let stdin: Vec<Arc<[u8]>> = input.contexts.iter().map(|c| c.stdin().clone()).collect();
    // VV_HOST_STDIN=1: every read of stdin a hypercall, as before stdin moved to the device.
    let on_host = crate::env_flag("VV_HOST_STDIN");
    let mut inputs = DeviceInputs::new((!on_host).then_some(&stdin[..]), total);
    inputs.add_lists(input.contexts.iter().map(|c| (&c.args[..], &c.env[..])));
    // VV_HOST_STDOUT=1: every write to stdout a hypercall, as with `vvc build --stdout-on-host`.
    if crate::output::stdout_on_device(shared.bundle) {
        inputs.add_stdout();
    }
    let mut slots = if n < total { Some(Slots::new(dev, shared.cfg, &mut input.contexts, n)?) } else { None };
    let result = run_in_slots(shared, dev, prep, input, progress, &inputs, &mut slots);
    match (result, slots) {
        (Ok(statuses), Some(s)) => Ok(s.finish(statuses, &mut input.contexts, shared.bundle)),
        (Err(e), Some(s)) => {
            s.give_back(&mut input.contexts);
            Err(e)
        }
        (result, None) => result,
    }
}

/// `execute` on `slots` (none: every VM has its own); `inputs` holds what every VM reads on the
/// device. Returns the status of each slot's last VM.
fn run_in_slots(
    shared: &Shared,
    dev: &DeviceProgram,
    prep: Prepared,
    input: &mut ShardInput,
    progress: &mut Progress,
    inputs: &DeviceInputs,
    slots: &mut Option<Slots>,
) -> Result<Statuses, RunError> {
    let Shared { bundle, cfg, start, threads } = *shared;
    let n = input.contexts.len();
    let first = input.vms.start;
    let tag = &dev.device.index;
    let Prepared { init, mut kernels, init_sizes } = prep;
    let layout = VmLayout::new(bundle, inputs.stdout_on_device());
    inputs.check_fit(&layout, n as u64, &dev.device)?;
    let number = |slots: &Option<Slots>, k: usize| first + slots.as_ref().map_or(k, |s| s.vm(k));
    let mut bufs = VmBuffers::allocate(&dev.context, &layout, n)?;
    trace!("[#{tag}] allocated {} for {n} VMs; vv_run {:?}", crate::device::human_bytes(layout.bytes_per_vm() * n as u64), kernels.sizes);
    let state0 = initial_state(bundle, &input.invokes[..n]);
    // Commands (the only runs with slots) have no invoke rows.
    let invoke_rows: &[u64] = if slots.is_some() { &[] } else { &input.rows };
    let contents = InitialContents { image: &bundle.memory.image, state: &state0, invoke_rows, stdin: inputs };
    bufs.initialize(&dev.context, &dev.queue, &init, &dev.helpers, &contents, init_sizes)?;
    bind_run_kernels(kernels.all(), &bufs, n, bundle)?;
    progress.phases.setup = start.elapsed();

    let queue = &dev.queue;
    let mut status = state0[..n].to_vec();
    let mut before = status.clone();
    loop {
        let sizes = kernels.sizes;
        let (partition, kernel) = kernels.next(queue, &bufs.state, &status).cl("reading VM functions")?;
        let t = Instant::now();
        if fault::injected(Stage::Launch(progress.launches + 1), dev.device.index) {
            return Err(RunError::Cl { what: "launching vv_run (failure injected by VV_INJECT_FAULT)", code: ClError(-36) });
        }
        before.copy_from_slice(&status);
        // SAFETY: all arguments are set to live buffers.
        unsafe { launch::enqueue(queue, kernel, sizes) }.cl("launching vv_run")?;
        queue.finish().cl("running vv_run")?;
        progress.launches += 1;
        let t1 = Instant::now();
        progress.phases.kernel += t1 - t;
        // SAFETY: blocking read of the status row (the first n words of state).
        unsafe { queue.enqueue_read_buffer(&bufs.state, CL_BLOCKING, 0, &mut status, &[]) }.cl("reading VM status")?;
        progress.phases.transfer += t1.elapsed();

        // Stdout of the VMs that stopped, before their slots or steps start again; the header
        // rows both change are read once and written back once.
        let t = Instant::now();
        let stdout_of: Vec<usize> = if inputs.stdout_on_device() {
            (0..n).filter(|&k| before[k] == abi::STATUS_RUNNING && status[k] != abi::STATUS_RUNNING).collect()
        } else {
            Vec::new()
        };
        let to_start = slots.as_ref().map_or_else(Vec::new, |s| s.to_start(&status));
        let new_headers: &[usize] = if inputs.on_device() { &to_start } else { &[] };
        let mut hdr = HeaderRows::read(queue, &bufs, stdout_of.iter().chain(new_headers).copied())?;
        let taken = output::take_stdout(queue, &dev.helpers, &mut bufs, &mut hdr, &stdout_of, &mut input.contexts)?;
        if taken > 0 {
            trace!("[#{tag}] after launch {}: {taken} bytes of stdout from the device", progress.launches);
        }
        // `to_start` holds before `advance`: only commands run in slots, only invoked exports in steps.
        if let Some(steps) = input.steps.as_mut() {
            sequence::advance(queue, &mut bufs, bundle, &mut status, steps, first)?;
        }
        if let Some(s) = slots.as_mut() {
            s.refill(dev, &mut bufs, &mut hdr, bundle, inputs, &to_start, &mut status, &mut input.contexts, first)?;
            if !to_start.is_empty() {
                trace!("[#{tag}] after launch {}: {} VMs took the slots of VMs that stopped", progress.launches, to_start.len());
            }
        }
        hdr.write(queue, &mut bufs)?;
        progress.phases.transfer += t.elapsed();
        let mut waiting = Vec::new();
        let mut running = 0usize;
        for (k, &s) in status.iter().enumerate() {
            match s {
                abi::STATUS_RUNNING => running += 1,
                abi::STATUS_HYPERCALL => waiting.push(k),
                abi::STATUS_EXITED | abi::STATUS_TRAPPED => {}
                other => {
                    return Err(RunError::Abi(format!("VM {} has status word {other}, which the ABI does not define", number(slots, k))))
                }
            }
        }
        trace!(
            "[#{tag}] launch {} (partition {partition}): {:.3} s, {running} running, {} waiting",
            progress.launches,
            (t1 - t).as_secs_f64(),
            waiting.len()
        );
        if waiting.is_empty() && running == 0 {
            break;
        }
        if !waiting.is_empty() {
            let round = service_round(queue, &dev.helpers, &mut bufs, &mut status, &waiting, &mut input.contexts, threads)?;
            progress.phases.transfer += round.transfer;
            progress.phases.service += round.service;
            progress.hypercalls += waiting.len() as u64;
            if running == 0 && round.parked.len() == waiting.len() {
                // Only a server hands out requests; nothing is left to run.
                break;
            }
        }
        if let Some(t) = kernels.take_over(dev, &bufs, bundle, progress.launches)? {
            trace!("[#{tag}] after launch {}: {t:?}", progress.launches);
            progress.takeover = Some(t);
        }
        let out_of_launches = cfg.max_launches.is_some_and(|m| progress.launches >= m);
        let out_of_time = cfg.timeout.is_some_and(|t| start.elapsed() >= t);
        if out_of_launches || out_of_time {
            break;
        }
    }

    if progress.takeover.is_none() && dev.takeover_pending() {
        progress.takeover = Some(Takeover::Pending);
    }
    let t = Instant::now();
    if inputs.stdout_on_device() {
        let still: Vec<usize> = (0..n).filter(|&k| status[k] == abi::STATUS_RUNNING).collect();
        output::take_stdout_of(queue, &dev.helpers, &mut bufs, &still, &mut input.contexts)?;
    }
    let (state, results) = read_outcomes(queue, &bufs, bundle, n)?;
    progress.phases.transfer += t.elapsed();

    let rows = bundle.invoke_slots as usize;
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let status = status_of(bundle, &state, n, k, number(slots, k))?;
        out.push((status, (0..rows).map(|row| results[row * n + k]).collect()));
    }
    Ok(out)
}

/// The state words of the `n` VMs of `bufs` and their invoke rows (`rows[row * n + k]`).
pub(crate) fn read_outcomes(queue: &CommandQueue, bufs: &VmBuffers, bundle: &Bundle, n: usize) -> Result<(Vec<u32>, Vec<u64>), RunError> {
    let mut state = vec![0u32; STATE_FIELDS * n];
    let mut results = vec![0u64; bundle.invoke_slots as usize * n];
    // SAFETY: blocking reads into vectors sized to the buffers' prefixes.
    unsafe {
        queue.enqueue_read_buffer(&bufs.state, CL_BLOCKING, 0, &mut state, &[]).cl("reading VM state")?;
        if !results.is_empty() {
            queue.enqueue_read_buffer(&bufs.stack, CL_BLOCKING, 0, &mut results, &[]).cl("reading invoke results")?;
        }
    }
    Ok((state, results))
}

/// The status of VM `k` of a state read back for `n` VMs; `number` is its number in the run.
pub(crate) fn status_of(bundle: &Bundle, state: &[u32], n: usize, k: usize, number: usize) -> Result<VmStatus, RunError> {
    let at = |f| field(state, n, f, k);
    Ok(match at(abi::STATE_STATUS) {
        abi::STATUS_EXITED => VmStatus::Exited(at(abi::STATE_CODE)),
        abi::STATUS_TRAPPED => {
            let (trap, function) = trap_of(bundle, state, n, k, number)?;
            VmStatus::Trapped { trap, function }
        }
        _ => VmStatus::Running { function: bundle.function_name(at(abi::STATE_FUNC)).to_string() },
    })
}

/// Sets the arguments of every partition's `vv_run` kernel to the VMs' buffers (the ABI's order)
/// and the bundle's fuel per launch.
pub(crate) fn bind_run_kernels(kernels: &[Kernel], bufs: &VmBuffers, n: usize, bundle: &Bundle) -> Result<(), RunError> {
    let fuel = bundle.options.fuel.min(i32::MAX as u64);
    for kernel in kernels {
        // SAFETY: the buffers outlive every launch of the kernel; argument order is the ABI's.
        unsafe {
            kernel.set_arg(0, &bufs.mem).cl("setting vv_run arguments")?;
            kernel.set_arg(1, &bufs.stack).cl("setting vv_run arguments")?;
            kernel.set_arg(2, &bufs.globals).cl("setting vv_run arguments")?;
            kernel.set_arg(3, &bufs.state).cl("setting vv_run arguments")?;
            kernel.set_arg(4, &bufs.hc_hdr).cl("setting vv_run arguments")?;
            kernel.set_arg(5, &bufs.hc_data).cl("setting vv_run arguments")?;
            kernel.set_arg(6, &bufs.hc_out).cl("setting vv_run arguments")?;
            kernel.set_arg(7, &bufs.stdin).cl("setting vv_run arguments")?;
            launch::set_uint_arg(kernel, 8, n as u64).cl("setting vv_run arguments")?;
            launch::set_uint_arg(kernel, 9, fuel).cl("setting vv_run arguments")?;
        }
    }
    Ok(())
}

/// Each VM's outcome: its status and results with the output its context collected, and the
/// outcomes of its steps in a sequence run.
pub(crate) fn outcomes(contexts: Vec<VmContext>, statuses: Statuses, steps: Option<Vec<Steps>>) -> Vec<VmOutcome> {
    let mut steps = steps.map(Vec::into_iter);
    contexts
        .into_iter()
        .zip(statuses)
        .map(|(ctx, (status, results))| {
            let calls = steps.as_mut().and_then(Iterator::next).map(|s| s.outcomes).unwrap_or_default();
            VmOutcome { stdout: ctx.stdout, stderr: ctx.stderr, status, results, calls }
        })
        .collect()
}

/// Runs every VM of `cfg` on one device; any error fails the run.
pub fn run(dev: &DeviceProgram, bundle: &Bundle, cfg: &RunConfig) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let n = cfg.vms;
    if n == 0 {
        return Err(RunError::Config("at least one VM is needed".into()));
    }
    let prep = Prepared::new(dev, bundle, cfg, resident(cfg, n))?;
    let local_size = prep.local_size();
    let seed = cfg.seed.unwrap_or_else(os_seed);
    let mut input = ShardInput::new(bundle, cfg, start, 0..n, seed)?;
    let threads = HostThreads::for_devices(1);
    let mut progress = Progress::default();
    let shared = Shared { bundle, cfg, start, threads: &threads };
    let statuses = execute(&shared, dev, prep, &mut input, &mut progress)?;
    let wall = start.elapsed();
    let shard = ShardReport {
        device_index: dev.device.index,
        device: dev.device.name.clone(),
        vms: 0..n,
        launches: progress.launches,
        hypercalls: progress.hypercalls,
        wall,
        phases: progress.phases,
        local_size,
        build: dev.build.clone(),
        error: None,
    };
    Ok(RunReport {
        outcomes: outcomes(input.contexts, statuses, input.steps),
        launches: progress.launches,
        hypercalls: progress.hypercalls,
        wall,
        device: dev.device.name.clone(),
        build: dev.build.clone(),
        phases: progress.phases,
        local_size,
        shards: vec![shard],
        takeover: progress.takeover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vv_bundle::{BuildOptions, Export, MemoryLayout, ValType};

    fn bundle() -> Bundle {
        Bundle {
            content_hash: [0; 32],
            source_name: "prog.wasm".into(),
            compiler_version: "0".into(),
            options: BuildOptions::default(),
            partitions: vec![String::new()],
            partition_of: vec![],
            whole: None,
            memory: MemoryLayout { present: false, initial_pages: 0, max_pages: 0, image: vec![] },
            globals: vec![],
            exports: vec![Export { name: "add".into(), kind: vv_bundle::ExportKind::Function, function: 1, params: vec![ValType::I32, ValType::I64], results: vec![ValType::I64], invoke_index: 4 }],
            imports: vec![],
            function_names: vec![],
            invoke_slots: 2,
            stack_rows: 16,
            entry_function: 0,
            command_entry: None,
        }
    }

    #[test]
    fn per_vm_invokes_fill_rows() {
        let cfg = RunConfig { vms: 2, invoke: Invoke::PerVm(vec![(4, vec![1, 2]), (4, vec![3, 4])]), ..RunConfig::default() };
        let (invokes, rows) = plan_invokes(&bundle(), &cfg, 0..2).unwrap();
        assert_eq!(invokes, vec![4, 4]);
        assert_eq!(rows, vec![1, 3, 2, 4]);
    }

    #[test]
    fn a_range_takes_its_own_vms() {
        let cfg = RunConfig {
            vms: 4,
            invoke: Invoke::PerVm(vec![(4, vec![1, 2]), (4, vec![3, 4]), (4, vec![5, 6]), (4, vec![7, 8])]),
            args: vec!["{vm}".into()],
            stdin: Stdin::per_vm([vec![], vec![1], vec![2, 2], vec![3, 3, 3]]),
            seed: Some(9),
            ..RunConfig::default()
        };
        let (invokes, rows) = plan_invokes(&bundle(), &cfg, 1..3).unwrap();
        assert_eq!(invokes, vec![4, 4]);
        assert_eq!(rows, vec![3, 5, 4, 6], "rows of VMs 1 and 2, laid out for 2 VMs");
        let t = Instant::now();
        let part = make_contexts(&bundle(), &cfg, t, 2..4, 9).unwrap();
        let whole = make_contexts(&bundle(), &cfg, t, 0..4, 9).unwrap();
        assert_eq!(part[0].args, vec!["prog.wasm", "2"]);
        assert_eq!((part[0].stdin_left(), part[1].stdin_left()), (2, 3));
        for (a, b) in part.iter().zip(&whole[2..]) {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "a VM's context does not depend on the split");
        }
        let bad = RunConfig { vms: 4, invoke: Invoke::PerVm(vec![(4, vec![1, 2]), (4, vec![3, 4]), (4, vec![5, 6]), (9, vec![])]), ..RunConfig::default() };
        assert!(plan_invokes(&bundle(), &bad, 2..4).unwrap_err().to_string().contains("VM 3:"), "global VM numbers in errors");
    }

    #[test]
    fn invoke_errors() {
        let b = bundle();
        let err = |invoke| plan_invokes(&b, &RunConfig { vms: 1, invoke, ..RunConfig::default() }, 0..1).unwrap_err().to_string();
        assert!(err(Invoke::Command).contains("no WASI command entry"));
        assert!(err(Invoke::PerVm(vec![(9, vec![])])).contains("invoke index 9"));
        assert!(err(Invoke::PerVm(vec![(4, vec![1])])).contains("takes 2 arguments, 1 given"));
        assert!(err(Invoke::PerVm(vec![])).contains("0 invocations given for 1 VMs"));
    }

    #[test]
    fn contexts_substitute_vm_index() {
        let cfg = RunConfig {
            vms: 3,
            args: vec!["--id={vm}".into(), "x".into()],
            stdin: Stdin::per_vm([b"a".to_vec(), vec![], b"ccc".to_vec()]),
            env: vec![("K".into(), "V".into())],
            seed: Some(1),
            ..RunConfig::default()
        };
        let c = make_contexts(&bundle(), &cfg, Instant::now(), 0..3, 1).unwrap();
        assert_eq!(c[2].args, vec!["prog.wasm", "--id=2", "x"]);
        assert_eq!(c[0].env, vec!["K=V"]);
        assert_eq!((c[0].stdin_left(), c[1].stdin_left(), c[2].stdin_left()), (1, 0, 3));
        let too_many = RunConfig { vms: 2, stdin: Stdin::per_vm([vec![]]), ..RunConfig::default() };
        assert!(make_contexts(&bundle(), &too_many, Instant::now(), 0..2, 1).is_err());
        let huge = RunConfig { vms: 1, args: vec!["x".repeat(HC_DATA_BYTES)], ..RunConfig::default() };
        assert!(make_contexts(&bundle(), &huge, Instant::now(), 0..1, 1).unwrap_err().to_string().contains("arguments take more"));
    }
}
