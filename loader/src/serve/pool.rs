//! The device side of serving: N resident VMs, each free or serving one request. Admits requests
//! into free VMs, runs launches and hypercall rounds, answers what finished and resets VMs on the
//! device (`vv_reset`, and an empty stdout row) so that nothing of one request reaches the next.

use super::job::{Done, Failure, Job};
use super::metrics::Metrics;
use super::Style;
use crate::device_program::DeviceProgram;
use crate::error::{ClContext, RunError};
use crate::header_rows::HeaderRows;
use crate::hostcalls::{service_round, HostThreads};
use crate::launch;
use crate::output;
use crate::partitions::RunKernels;
use crate::run::{bind_run_kernels, trap_of, Prepared};
use crate::vm_state::{initial_state, request_row, DeviceInputs, InitialContents, VmBuffers, VmLayout};
use crate::wasi::serverless::Inbox;
use crate::wasi::{os_seed, SplitMix64, VmContext};
use crate::RunConfig;
use opencl3::kernel::Kernel;
use opencl3::types::{CL_BLOCKING, CL_NON_BLOCKING};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vv_bundle::abi::{self, HC_DATA_BYTES, STATE_FIELDS};
use vv_bundle::Bundle;

/// Bytes of a command VM's input row on the device: its request's stdin, then its argv and
/// environment.
const REQUEST_ROW: usize = 64 << 10;

/// What a VM is doing for the server.
#[derive(Debug)]
enum Slot {
    /// Ready for a request: a command VM that has stopped, a resident guest waiting in
    /// `serverless_invoke`.
    Free,
    /// Serving a request.
    Busy { job: Job, device: Duration },
    /// A resident guest on its way to its next `serverless_invoke`: starting, restarting after a
    /// failure, or done answering.
    Settling,
}

/// How the pool is set up.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub vms: usize,
    pub env: Vec<(String, String)>,
    /// argv[1..] a resident guest starts with.
    pub args: Vec<String>,
    pub local_size: Option<usize>,
    pub seed: Option<u64>,
}

pub(crate) struct Pool<'a> {
    dev: &'a DeviceProgram,
    bundle: &'a Bundle,
    style: Style,
    cfg: PoolConfig,
    bufs: VmBuffers,
    /// `vv_run` of each partition (or of the whole program).
    kernels: RunKernels,
    reset: Kernel,
    /// The host's copy of the status row.
    status: Vec<u32>,
    contexts: Vec<VmContext>,
    slots: Vec<Slot>,
    /// Resident guests waiting in `serverless_invoke` with no request.
    parked: Vec<bool>,
    free: usize,
    /// Resident guests are on their way to their first request: a stop is an error.
    starting: bool,
    /// Command VMs write stdout on the device (`abi::HC_OUT`), taken when they stop or call the
    /// host; resident guests' responses go through the host.
    stdout_on_device: bool,
    /// Command VMs read their request's stdin, argv and environment on the device, from their
    /// `REQUEST_ROW` bytes of the inputs buffer (a part that does not fit goes through the host).
    requests_on_device: bool,
    threads: HostThreads,
    started: Instant,
    rng: SplitMix64,
    metrics: Arc<Metrics>,
}

impl<'a> Pool<'a> {
    /// Allocates and initializes the VMs. Command VMs start stopped; resident guests run until
    /// each waits for its first request (an error if one traps or exits first).
    pub fn new(dev: &'a DeviceProgram, bundle: &'a Bundle, style: Style, cfg: PoolConfig, metrics: Arc<Metrics>) -> Result<Pool<'a>, RunError> {
        let n = cfg.vms;
        if n == 0 {
            return Err(RunError::Config("at least one VM is needed".into()));
        }
        if bundle.command_entry.is_none() {
            return Err(RunError::Config(format!("{} has no WASI command entry (`_start`) to serve", bundle.source_name)));
        }
        let run_cfg = RunConfig { vms: n, local_size: cfg.local_size, ..RunConfig::default() };
        let Prepared { init, kernels, init_sizes } = Prepared::new(dev, bundle, &run_cfg, n)?;
        let reset = dev.kernel("vv_reset").cl("finding kernel vv_reset (rebuild the bundle with this vvc)")?;
        let stdout_on_device = style == Style::Command && output::stdout_on_device(bundle);
        let layout = VmLayout::new(bundle, stdout_on_device);
        // A command's stdin, argv and environment go into its VM's input row on the device, request
        // by request (VV_HOST_STDIN=1: through the host, to compare).
        let requests_on_device = style == Style::Command && !crate::env_flag("VV_HOST_STDIN");
        let mut inputs = if requests_on_device { DeviceInputs::rows(n, REQUEST_ROW) } else { DeviceInputs::new(None, n) };
        if stdout_on_device {
            inputs.add_stdout();
        }
        inputs.check_fit(&layout, n as u64, &dev.device)?;
        let mut bufs = VmBuffers::allocate(&dev.context, &layout, n)?;
        let mut state = initial_state(bundle, &vec![abi::INVOKE_COMMAND; n]);
        let first = match style {
            Style::Command => abi::STATUS_EXITED,
            Style::Resident => abi::STATUS_RUNNING,
        };
        state[abi::STATE_STATUS * n..][..n].fill(first);
        let contents = InitialContents { image: &bundle.memory.image, state: &state, invoke_rows: &[], stdin: &inputs };
        bufs.initialize(&dev.context, &dev.queue, &init, &dev.helpers, &contents, init_sizes)?;
        let started = Instant::now();
        let mut rng = SplitMix64::new(cfg.seed.unwrap_or_else(os_seed));
        let contexts = (0..n).map(|_| new_context(bundle, style, &cfg, started, &mut rng, Vec::new(), Arc::from(&b""[..]))).collect();
        let (slots, free) = match style {
            Style::Command => ((0..n).map(|_| Slot::Free).collect(), n),
            Style::Resident => ((0..n).map(|_| Slot::Settling).collect(), 0),
        };
        let mut pool = Pool {
            dev,
            bundle,
            style,
            bufs,
            kernels,
            reset,
            status: vec![first; n],
            contexts,
            slots,
            parked: vec![false; n],
            free,
            starting: false,
            stdout_on_device,
            requests_on_device,
            threads: HostThreads::for_devices(1),
            started,
            rng,
            metrics,
            cfg,
        };
        bind_run_kernels(pool.kernels.all(), &pool.bufs, pool.cfg.vms, pool.bundle)?;
        pool.metrics.programs.set(pool.kernels.all().len() as i64);
        if style == Style::Resident {
            pool.start_resident()?;
        }
        Ok(pool)
    }

    /// Runs every resident guest to its first `serverless_invoke`.
    fn start_resident(&mut self) -> Result<(), RunError> {
        self.starting = true;
        while self.slots.iter().any(|s| matches!(s, Slot::Settling)) {
            self.step()?;
        }
        self.starting = false;
        Ok(())
    }

    /// The error of a resident guest that stopped before it first asked for a request.
    fn start_failure(&self, vm: usize, state: &[u32]) -> Result<RunError, RunError> {
        let n = self.cfg.vms;
        let why = if self.status[vm] == abi::STATUS_TRAPPED {
            let (trap, function) = trap_of(self.bundle, state, n, vm, 0)?;
            format!("trapped ({trap} in function {function})")
        } else {
            format!("exited with code {}", state[abi::STATE_CODE * n + vm])
        };
        let stderr = String::from_utf8_lossy(&self.contexts[vm].stderr).into_owned();
        Ok(RunError::Config(format!(
            "{} imports env.serverless_invoke, but VM {vm} {why} before it first asked for a request{}",
            self.bundle.source_name,
            if stderr.is_empty() { String::new() } else { format!("; its stderr: {}", stderr.trim_end()) }
        )))
    }

    pub fn free(&self) -> usize {
        self.free
    }

    /// Whether anything is in flight: a request, a VM running or a call to service.
    pub fn has_work(&self) -> bool {
        self.free < self.cfg.vms
    }

    /// Gives each job a free VM (at most `free()` of them; a job past its deadline fails at once).
    pub fn admit(&mut self, jobs: Vec<Job>) -> Result<(), RunError> {
        let now = Instant::now();
        let mut reset = Vec::new();
        let mut vm = 0;
        for job in jobs {
            if job.deadline <= now {
                self.fail(job, Failure::TimedOut);
                continue;
            }
            while !matches!(self.slots[vm], Slot::Free) {
                vm += 1;
            }
            match self.style {
                Style::Command => {
                    let args = job.args.clone();
                    self.contexts[vm] = new_context(self.bundle, self.style, &self.cfg, self.started, &mut self.rng, args, job.input.clone());
                    reset.push(vm as u32);
                }
                Style::Resident => {
                    let ctx = &mut self.contexts[vm];
                    ctx.stdout.clear();
                    ctx.stderr.clear();
                    ctx.serverless.responses = 0;
                    ctx.serverless.truncated = false;
                    ctx.serverless.put(job.input.clone());
                    self.parked[vm] = false;
                }
            }
            self.slots[vm] = Slot::Busy { job, device: Duration::ZERO };
            self.free -= 1;
        }
        self.reset_vms(&reset)?;
        self.start_rows(&reset)?;
        self.metrics.busy_vms.set((self.cfg.vms - self.free) as i64);
        Ok(())
    }

    /// Each new request's header row, fresh whatever the last request left there (one that
    /// trapped or timed out is not taken): an empty stdout row, and its stdin and argv in the VM's
    /// input row, where they are on the device.
    fn start_rows(&mut self, vms: &[u32]) -> Result<(), RunError> {
        if vms.is_empty() || !(self.stdout_on_device || self.requests_on_device) {
            return Ok(());
        }
        let queue = &self.dev.queue;
        let mut hdr = HeaderRows::read(queue, &self.bufs, vms.iter().map(|&vm| vm as usize))?;
        let mut uploads = Vec::new();
        for &vm in vms {
            let vm = vm as usize;
            let row = hdr.row_mut(vm);
            row.fill(0);
            if self.stdout_on_device {
                row[abi::HC_OUT] = 1;
            }
            if self.requests_on_device {
                let ctx = &self.contexts[vm];
                let (bytes, words) = request_row(ctx.stdin(), &ctx.args, &ctx.env, vm * REQUEST_ROW, REQUEST_ROW);
                for (word, value) in words {
                    row[word] = value;
                }
                uploads.push((vm, bytes));
            }
        }
        for (vm, bytes) in uploads.iter().filter(|(_, b)| !b.is_empty()) {
            // SAFETY: a write inside the VM's row of the inputs buffer, from `uploads`, which
            // lives until the queue has finished.
            unsafe { queue.enqueue_write_buffer(&mut self.bufs.stdin, CL_NON_BLOCKING, vm * REQUEST_ROW, bytes, &[]) }
                .cl("uploading requests")?;
        }
        queue.finish().cl("uploading requests")?;
        hdr.write(queue, &mut self.bufs)
    }

    /// One round: services the calls that wait (delivering admitted requests), launches the VMs
    /// that run, answers the requests that finished and fails those past their deadline.
    pub fn step(&mut self) -> Result<(), RunError> {
        let waiting: Vec<usize> =
            (0..self.cfg.vms).filter(|&vm| self.status[vm] == abi::STATUS_HYPERCALL && !self.parked[vm]).collect();
        if !waiting.is_empty() {
            let round = service_round(&self.dev.queue, &self.dev.helpers, &mut self.bufs, &mut self.status, &waiting, &mut self.contexts, &self.threads)?;
            self.metrics.hypercalls.inc_by(waiting.len() as u64);
            for &vm in &round.parked {
                self.parked[vm] = true;
            }
            self.after_round(&waiting);
        }
        let running: Vec<usize> = (0..self.cfg.vms).filter(|&vm| self.status[vm] == abi::STATUS_RUNNING).collect();
        if !running.is_empty() {
            let took = self.launch()?;
            for &vm in &running {
                if let Slot::Busy { device, .. } = &mut self.slots[vm] {
                    *device += took;
                }
            }
            self.after_launch(&running)?;
        }
        self.expire()?;
        self.metrics.busy_vms.set((self.cfg.vms - self.free) as i64);
        Ok(())
    }

    /// Answers resident guests that responded, and frees those that wait for a request again.
    fn after_round(&mut self, serviced: &[usize]) {
        if self.style != Style::Resident {
            return;
        }
        for &vm in serviced {
            let ctx = &mut self.contexts[vm];
            if ctx.serverless.responses > 0 && matches!(self.slots[vm], Slot::Busy { .. }) {
                let outcome = if ctx.serverless.truncated {
                    Err(Failure::ResponseTooLarge(HC_DATA_BYTES))
                } else {
                    Ok((std::mem::take(&mut ctx.stdout), std::mem::take(&mut ctx.stderr)))
                };
                let Slot::Busy { job, device } = std::mem::replace(&mut self.slots[vm], Slot::Settling) else { unreachable!() };
                match outcome {
                    Ok((stdout, stderr)) => self.complete(job, Done { stdout, stderr, exit_code: None, device_time: device }),
                    Err(f) => self.fail(job, f),
                }
            }
            if self.parked[vm] {
                match std::mem::replace(&mut self.slots[vm], Slot::Free) {
                    Slot::Busy { job, .. } => self.fail(job, Failure::NoResponse),
                    Slot::Settling => {}
                    Slot::Free => continue,
                }
                self.free += 1;
            }
        }
    }

    fn launch(&mut self) -> Result<Duration, RunError> {
        let queue = &self.dev.queue;
        let sizes = self.kernels.sizes;
        let (_, kernel) = self.kernels.next(queue, &self.bufs.state, &self.status).cl("reading VM functions")?;
        let t = Instant::now();
        // SAFETY: every argument is bound to the pool's live buffers.
        unsafe { launch::enqueue(queue, kernel, sizes) }.cl("launching vv_run")?;
        queue.finish().cl("running vv_run")?;
        let took = t.elapsed();
        self.metrics.launches.inc();
        if let Some(t) = self.kernels.take_over(self.dev, &self.bufs, self.bundle, self.metrics.launches.get())? {
            trace!("after launch {}: {t}", self.metrics.launches.get());
            self.metrics.programs.set(self.kernels.all().len() as i64);
        }
        self.metrics.device_seconds.inc_by(took.as_secs_f64());
        // SAFETY: blocking read of the status row (the first n words of state).
        unsafe { queue.enqueue_read_buffer(&self.bufs.state, CL_BLOCKING, 0, &mut self.status, &[]) }.cl("reading VM status")?;
        Ok(took)
    }

    /// Answers and frees the VMs of `ran` that stopped; resident guests that stopped restart.
    fn after_launch(&mut self, ran: &[usize]) -> Result<(), RunError> {
        if self.stdout_on_device {
            // Before the host answers their calls (a write the device could not take goes
            // through the host) or their requests.
            let left: Vec<usize> = ran.iter().copied().filter(|&vm| self.status[vm] != abi::STATUS_RUNNING).collect();
            output::take_stdout_of(&self.dev.queue, &self.dev.helpers, &mut self.bufs, &left, &mut self.contexts)?;
        }
        let stopped: Vec<usize> =
            ran.iter().copied().filter(|&vm| matches!(self.status[vm], abi::STATUS_EXITED | abi::STATUS_TRAPPED)).collect();
        if stopped.is_empty() {
            return Ok(());
        }
        let state = self.read_state()?;
        let n = self.cfg.vms;
        let mut restart = Vec::new();
        for vm in stopped {
            let failure = if self.status[vm] == abi::STATUS_TRAPPED {
                let (trap, function) = trap_of(self.bundle, &state, n, vm, 0)?;
                Some(Failure::Trapped { trap, function })
            } else {
                None
            };
            let code = state[abi::STATE_CODE * n + vm];
            let slot = std::mem::replace(&mut self.slots[vm], Slot::Free);
            match self.style {
                Style::Command => {
                    self.free += 1;
                    let Slot::Busy { job, device } = slot else { continue };
                    let ctx = &mut self.contexts[vm];
                    let (stdout, stderr) = (std::mem::take(&mut ctx.stdout), std::mem::take(&mut ctx.stderr));
                    match failure {
                        Some(f) => self.fail(job, f),
                        None => self.complete(job, Done { stdout, stderr, exit_code: Some(code), device_time: device }),
                    }
                }
                Style::Resident => {
                    if self.starting {
                        return Err(self.start_failure(vm, &state)?);
                    }
                    if let Slot::Busy { job, .. } = slot {
                        self.fail(job, failure.unwrap_or(Failure::Exited(code)));
                    }
                    self.slots[vm] = Slot::Settling;
                    restart.push(vm as u32);
                }
            }
        }
        self.reset_vms(&restart)
    }

    /// Fails requests past their deadline: a command VM stops, a resident guest restarts.
    fn expire(&mut self) -> Result<(), RunError> {
        let now = Instant::now();
        let late: Vec<usize> =
            (0..self.cfg.vms).filter(|&vm| matches!(&self.slots[vm], Slot::Busy { job, .. } if job.deadline <= now)).collect();
        if late.is_empty() {
            return Ok(());
        }
        let mut restart = Vec::new();
        for &vm in &late {
            let Slot::Busy { job, .. } = std::mem::replace(&mut self.slots[vm], Slot::Free) else { unreachable!() };
            self.fail(job, Failure::TimedOut);
            match self.style {
                Style::Command => {
                    self.status[vm] = abi::STATUS_EXITED;
                    self.free += 1;
                }
                Style::Resident => {
                    self.slots[vm] = Slot::Settling;
                    restart.push(vm as u32);
                }
            }
        }
        if self.style == Style::Command {
            let queue = &self.dev.queue;
            for &vm in &late {
                let word = [abi::STATUS_EXITED];
                // SAFETY: blocking write of one status word inside the buffer.
                unsafe { queue.enqueue_write_buffer(&mut self.bufs.state, CL_BLOCKING, vm * 4, &word, &[]) }.cl("stopping a VM")?;
            }
        }
        self.reset_vms(&restart)
    }

    /// Puts `vms` back to their start on the device (`vv_reset`), RUNNING the command entry, with
    /// fresh contexts for resident guests.
    fn reset_vms(&mut self, vms: &[u32]) -> Result<(), RunError> {
        if vms.is_empty() {
            return Ok(());
        }
        for &vm in vms {
            let vm = vm as usize;
            self.status[vm] = abi::STATUS_RUNNING;
            self.parked[vm] = false;
            if self.style == Style::Resident {
                self.contexts[vm] = new_context(self.bundle, self.style, &self.cfg, self.started, &mut self.rng, Vec::new(), Arc::from(&b""[..]));
            }
        }
        self.bufs.reset_to_start(self.dev, &self.reset, self.bundle, vms, abi::INVOKE_COMMAND)
    }

    fn read_state(&self) -> Result<Vec<u32>, RunError> {
        let mut state = vec![0u32; STATE_FIELDS * self.cfg.vms];
        // SAFETY: blocking read into a vector of the buffer's size.
        unsafe { self.dev.queue.enqueue_read_buffer(&self.bufs.state, CL_BLOCKING, 0, &mut state, &[]) }.cl("reading VM state")?;
        Ok(state)
    }

    fn complete(&self, job: Job, done: Done) {
        self.metrics.completed.inc();
        job.answer(Ok(done));
    }

    fn fail(&self, job: Job, failure: Failure) {
        self.metrics.error(failure.kind());
        job.answer(Err(failure));
    }

    /// Fails every request in flight (the device failed); the pool is not used after this.
    pub fn abandon(&mut self, why: &str) {
        for slot in std::mem::take(&mut self.slots) {
            if let Slot::Busy { job, .. } = slot {
                self.fail(job, Failure::Device(why.to_string()));
            }
        }
    }
}

/// A VM's WASI context for one request (commands) or one life (resident guests, whose requests
/// arrive through their inbox).
fn new_context(bundle: &Bundle, style: Style, cfg: &PoolConfig, started: Instant, rng: &mut SplitMix64, args: Vec<String>, stdin: Arc<[u8]>) -> VmContext {
    let mut argv = vec![bundle.source_name.clone()];
    argv.extend(if style == Style::Resident { cfg.args.clone() } else { args });
    let mut ctx = VmContext::new(argv, &cfg.env, stdin, started, rng.next_u64());
    if style == Style::Resident {
        ctx.serverless = Inbox::waiting();
    }
    ctx
}
