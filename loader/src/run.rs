//! The launch loop of one run: per-VM setup from the run configuration, `vv_run` launches until
//! no VM is RUNNING or waiting, hypercall rounds in between, and the final read of outcomes.

use crate::error::{ClContext, RunError};
use crate::hostcalls::service_round;
use crate::launch::{self, WorkSizes};
use crate::report::{PhaseTimes, RunReport, VmOutcome, VmStatus};
use crate::vm_state::{initial_state, InitialContents, VmBuffers, VmLayout};
use crate::wasi::{os_seed, SplitMix64, VmContext};
use crate::{Invoke, Loader, RunConfig, Stdin};
use opencl3::kernel::Kernel;
use opencl3::types::CL_BLOCKING;
use std::sync::Arc;
use std::time::Instant;
use vv_bundle::abi::{self, Trap, HC_DATA_BYTES, STATE_FIELDS};
use vv_bundle::Bundle;

/// The invoke word of every VM and the invoke rows (`rows[row * nvms + vm]`) to upload.
pub fn plan_invokes(bundle: &Bundle, cfg: &RunConfig) -> Result<(Vec<u32>, Vec<u64>), RunError> {
    let n = cfg.vms;
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
            if list.len() != n {
                return Err(RunError::Config(format!("{} invocations given for {n} VMs", list.len())));
            }
            let mut invokes = Vec::with_capacity(n);
            for (vm, (index, args)) in list.iter().enumerate() {
                let export = bundle.exports.iter().find(|e| e.invoke_index == *index).ok_or_else(|| {
                    RunError::Config(format!("VM {vm}: the bundle has no export with invoke index {index}"))
                })?;
                if args.len() != export.params.len() {
                    return Err(RunError::Config(format!(
                        "VM {vm}: export `{}` takes {} arguments, {} given",
                        export.name,
                        export.params.len(),
                        args.len()
                    )));
                }
                if args.len() > slots {
                    return Err(RunError::Config(format!(
                        "VM {vm}: {} arguments but the bundle has {slots} invoke slots",
                        args.len()
                    )));
                }
                for (row, bits) in args.iter().enumerate() {
                    rows[row * n + vm] = *bits;
                }
                invokes.push(*index);
            }
            invokes
        }
    };
    Ok((invokes, rows))
}

/// Bytes a string list takes in one `*_get` copy-out (count word, two segments, table, strings).
fn list_copy_out_bytes(list: &[String]) -> usize {
    4 + 2 * 8 + list.iter().map(|s| 4 + s.len() + 1).sum::<usize>()
}

/// Each VM's WASI context: argv (program name, then `cfg.args` with `{vm}` replaced), env, stdin.
pub fn make_contexts(bundle: &Bundle, cfg: &RunConfig, started: Instant) -> Result<Vec<VmContext>, RunError> {
    let n = cfg.vms;
    let empty: Arc<[u8]> = Arc::from(&b""[..]);
    let stdin_of: Box<dyn Fn(usize) -> Arc<[u8]>> = match &cfg.stdin {
        Stdin::None => Box::new(|_| empty.clone()),
        Stdin::Same(bytes) => {
            let shared: Arc<[u8]> = Arc::from(bytes.as_slice());
            Box::new(move |_| shared.clone())
        }
        Stdin::PerVm(list) => {
            if list.len() != n {
                return Err(RunError::Config(format!("{} stdin inputs given for {n} VMs", list.len())));
            }
            Box::new(|vm| Arc::from(list[vm].as_slice()))
        }
    };
    let seed = cfg.seed.unwrap_or_else(os_seed);
    let env_text: Vec<String> = cfg.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if list_copy_out_bytes(&env_text) > HC_DATA_BYTES {
        return Err(RunError::Config(format!("the environment takes more than the {HC_DATA_BYTES} bytes one hypercall carries")));
    }
    let mut out = Vec::with_capacity(n);
    for vm in 0..n {
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

fn field(state: &[u32], n: usize, field: usize, vm: usize) -> u32 {
    state[field * n + vm]
}

/// Runs every VM of `cfg` on the loader's device.
pub fn run(loader: &Loader, cfg: &RunConfig) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let bundle = &loader.bundle;
    let dev = &loader.device;
    let n = cfg.vms;
    if n == 0 {
        return Err(RunError::Config("at least one VM is needed".into()));
    }
    let layout = VmLayout::new(bundle);
    layout.check_fit(n as u64, dev)?;
    let (invokes, rows) = plan_invokes(bundle, cfg)?;
    let mut contexts = make_contexts(bundle, cfg, start)?;

    let init = Kernel::create(&loader.program, "vv_init").cl("finding kernel vv_init")?;
    let kernel = Kernel::create(&loader.program, "vv_run").cl("finding kernel vv_run")?;
    let size_of = |k: &Kernel| -> Result<WorkSizes, RunError> {
        let max = k.get_work_group_size(dev.device.id()).unwrap_or(1);
        WorkSizes::new(n, dev.kind, cfg.local_size, max).map_err(RunError::Config)
    };
    let sizes = size_of(&kernel)?;
    let mut bufs = VmBuffers::allocate(&loader.context, &layout, n)?;
    trace!("allocated {} for {n} VMs; vv_run {sizes:?}", crate::device::human_bytes(layout.bytes_per_vm() * n as u64));
    let state0 = initial_state(bundle, &invokes);
    let contents = InitialContents { image: &bundle.memory.image, state: &state0, kind: dev.kind, invoke_rows: &rows };
    bufs.initialize(&loader.context, &loader.queue, &init, &loader.zeroer, &contents, size_of(&init)?)?;
    let fuel = bundle.options.fuel.min(i32::MAX as u64);
    // SAFETY: the buffers outlive every launch of the kernel; argument order is the ABI's.
    unsafe {
        kernel.set_arg(0, &bufs.mem).cl("setting vv_run arguments")?;
        kernel.set_arg(1, &bufs.stack).cl("setting vv_run arguments")?;
        kernel.set_arg(2, &bufs.globals).cl("setting vv_run arguments")?;
        kernel.set_arg(3, &bufs.state).cl("setting vv_run arguments")?;
        kernel.set_arg(4, &bufs.hc_hdr).cl("setting vv_run arguments")?;
        kernel.set_arg(5, &bufs.hc_data).cl("setting vv_run arguments")?;
        launch::set_uint_arg(&kernel, 6, n as u64).cl("setting vv_run arguments")?;
        launch::set_uint_arg(&kernel, 7, fuel).cl("setting vv_run arguments")?;
    }
    let mut phases = PhaseTimes { setup: start.elapsed(), ..PhaseTimes::default() };

    let queue = &loader.queue;
    let mut status = vec![0u32; n];
    let (mut launches, mut hypercalls) = (0u64, 0u64);
    loop {
        let t = Instant::now();
        // SAFETY: all arguments are set to live buffers.
        unsafe { launch::enqueue(queue, &kernel, sizes) }.cl("launching vv_run")?;
        queue.finish().cl("running vv_run")?;
        launches += 1;
        let t1 = Instant::now();
        phases.kernel += t1 - t;
        // SAFETY: blocking read of the status row (the first n words of state).
        unsafe { queue.enqueue_read_buffer(&bufs.state, CL_BLOCKING, 0, &mut status, &[]) }.cl("reading VM status")?;
        phases.transfer += t1.elapsed();

        let mut waiting = Vec::new();
        let mut running = 0usize;
        for (vm, &s) in status.iter().enumerate() {
            match s {
                abi::STATUS_RUNNING => running += 1,
                abi::STATUS_HYPERCALL => waiting.push(vm),
                abi::STATUS_EXITED | abi::STATUS_TRAPPED => {}
                other => return Err(RunError::Abi(format!("VM {vm} has status word {other}, which the ABI does not define"))),
            }
        }
        trace!("launch {launches}: {:.3} s, {running} running, {} waiting", (t1 - t).as_secs_f64(), waiting.len());
        if waiting.is_empty() && running == 0 {
            break;
        }
        if !waiting.is_empty() {
            let times = service_round(queue, &mut bufs, &mut status, &waiting, &mut contexts)?;
            phases.transfer += times.transfer;
            phases.service += times.service;
            hypercalls += waiting.len() as u64;
        }
        let out_of_launches = cfg.max_launches.is_some_and(|m| launches >= m);
        let out_of_time = cfg.timeout.is_some_and(|t| start.elapsed() >= t);
        if out_of_launches || out_of_time {
            break;
        }
    }

    let t = Instant::now();
    let mut state = vec![0u32; STATE_FIELDS * n];
    let slots = bundle.invoke_slots as usize;
    let mut results = vec![0u64; slots * n];
    // SAFETY: blocking reads into vectors sized to the buffers' prefixes.
    unsafe {
        queue.enqueue_read_buffer(&bufs.state, CL_BLOCKING, 0, &mut state, &[]).cl("reading VM state")?;
        if slots > 0 {
            queue.enqueue_read_buffer(&bufs.stack, CL_BLOCKING, 0, &mut results, &[]).cl("reading invoke results")?;
        }
    }
    phases.transfer += t.elapsed();

    let mut outcomes = Vec::with_capacity(n);
    for (vm, ctx) in contexts.into_iter().enumerate() {
        let at = |f| field(&state, n, f, vm);
        let status = match at(abi::STATE_STATUS) {
            abi::STATUS_EXITED => VmStatus::Exited(at(abi::STATE_CODE)),
            abi::STATUS_TRAPPED => {
                let code = at(abi::STATE_CODE);
                let trap = Trap::from_code(code)
                    .ok_or_else(|| RunError::Abi(format!("VM {vm} trapped with code {code}, which the ABI does not define")))?;
                VmStatus::Trapped { trap, function: bundle.function_name(at(abi::STATE_TRAP_FUNC)).to_string() }
            }
            _ => VmStatus::Running { function: bundle.function_name(at(abi::STATE_FUNC)).to_string() },
        };
        let results = (0..slots).map(|row| results[row * n + vm]).collect();
        outcomes.push(VmOutcome { stdout: ctx.stdout, stderr: ctx.stderr, status, results });
    }
    Ok(RunReport {
        outcomes,
        launches,
        hypercalls,
        wall: start.elapsed(),
        device: loader.device_name(),
        build: loader.build.clone(),
        phases,
        local_size: sizes.local,
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
            opencl: String::new(),
            memory: MemoryLayout { present: false, initial_pages: 0, max_pages: 0, image: vec![] },
            globals: vec![],
            exports: vec![Export { name: "add".into(), function: 1, params: vec![ValType::I32, ValType::I64], results: vec![ValType::I64], invoke_index: 4 }],
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
        let (invokes, rows) = plan_invokes(&bundle(), &cfg).unwrap();
        assert_eq!(invokes, vec![4, 4]);
        assert_eq!(rows, vec![1, 3, 2, 4]);
    }

    #[test]
    fn invoke_errors() {
        let b = bundle();
        let err = |invoke| plan_invokes(&b, &RunConfig { vms: 1, invoke, ..RunConfig::default() }).unwrap_err().to_string();
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
            stdin: Stdin::PerVm(vec![b"a".to_vec(), vec![], b"ccc".to_vec()]),
            env: vec![("K".into(), "V".into())],
            seed: Some(1),
            ..RunConfig::default()
        };
        let c = make_contexts(&bundle(), &cfg, Instant::now()).unwrap();
        assert_eq!(c[2].args, vec!["prog.wasm", "--id=2", "x"]);
        assert_eq!(c[0].env, vec!["K=V"]);
        assert_eq!((c[0].stdin_left(), c[1].stdin_left(), c[2].stdin_left()), (1, 0, 3));
        let too_many = RunConfig { vms: 2, stdin: Stdin::PerVm(vec![vec![]]), ..RunConfig::default() };
        assert!(make_contexts(&bundle(), &too_many, Instant::now()).is_err());
        let huge = RunConfig { vms: 1, args: vec!["x".repeat(HC_DATA_BYTES)], ..RunConfig::default() };
        assert!(make_contexts(&bundle(), &huge, Instant::now()).unwrap_err().to_string().contains("arguments take more"));
    }
}
