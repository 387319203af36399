//! One device with the bundle built for it: context, queue, the built programs (one per
//! partition, or the whole program) and the loader's helper kernels. What `Loader` holds for its
//! device and `MultiLoader` for each of its devices.

use crate::build_helper;
use crate::device::DeviceInfo;
use crate::error::LoadError;
use crate::helper_kernels::HelperKernels;
use crate::program::{self, Binaries, BuildInfo, Programs, Share, WHOLE_INDEX};
use crate::takeover::Takeover;
use crate::{LoadOptions, Split};
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::error_codes::ClError;
use opencl3::kernel::Kernel;
use opencl3::program::Program;
use std::sync::Mutex;
use std::time::Duration;
use vv_bundle::Bundle;

pub(crate) struct DeviceProgram {
    /// What runs launch; the whole program replaces the partitions when it takes over.
    current: Mutex<Current>,
    /// The whole program building while runs use the partitions.
    takeover: Mutex<Option<Takeover>>,
    pub helpers: HelperKernels,
    pub queue: CommandQueue,
    pub context: Context,
    pub device: DeviceInfo,
    pub build: BuildInfo,
}

/// The programs runs launch and which holds each function.
struct Current {
    /// One per partition, or the whole program; the first has `vv_init` and `vv_reset`.
    programs: Vec<Program>,
    /// Index into `programs` by function id (empty for one program).
    home: Vec<u32>,
}

impl DeviceProgram {
    /// Creates a context and queue on `device` and builds (or loads) the programs; with
    /// `Share::Lead` also returns the device binaries for devices of the same kind.
    pub fn open(bundle: &Bundle, device: &DeviceInfo, opts: &LoadOptions, share: Share) -> Result<(DeviceProgram, Option<Binaries>), LoadError> {
        let device = device.clone();
        let context = Context::from_device(&device.device).map_err(|code| LoadError::Cl { what: "creating a context", code })?;
        let queue = create_queue(&context, &device)?;
        let (which, takeover, note) = match choose(bundle, &device, opts, share) {
            Choice::Only(which) => (which, None, None),
            Choice::Start(takeover) => {
                (Programs::Partitions, Some(takeover), Some("the whole program builds meanwhile and takes over once built".to_string()))
            }
            Choice::Failed(why) => (Programs::Whole, None, Some(format!("no partitions first: {why}"))),
        };
        let (programs, mut build, binary) = program::load_or_build_shared(&context, &device, bundle, which, opts, share)?;
        if let Some(note) = note {
            build.note = Some(match build.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        let helpers = HelperKernels::build(&context, &device)
            .map_err(|code| LoadError::Cl { what: "building the loader's helper kernels", code })?;
        let current = Mutex::new(Current { programs, home: which.home(bundle) });
        Ok((DeviceProgram { current, takeover: Mutex::new(takeover), helpers, queue, context, device, build }, binary))
    }

    /// `name` of the first program (`vv_init`, `vv_reset`).
    pub fn kernel(&self, name: &str) -> Result<Kernel, ClError> {
        Kernel::create(&self.lock_current().programs[0], name)
    }

    /// Every program's `vv_run` and, by function id, the one that runs each function.
    pub fn run_kernels(&self) -> Result<(Vec<Kernel>, Vec<u32>), ClError> {
        let current = self.lock_current();
        let kernels = current.programs.iter().map(|p| Kernel::create(p, "vv_run")).collect::<Result<Vec<_>, _>>()?;
        Ok((kernels, current.home.clone()))
    }

    /// After `launches` launches of a run on the partitions: the whole program's `vv_run` once
    /// its build is done (from then on every run uses it) and how long that build took, or why
    /// it cannot take over; `None` while it builds or when nothing builds.
    pub fn poll_takeover(&self, launches: u64) -> Option<Result<(Kernel, Duration), String>> {
        let mut pending = self.takeover.lock().unwrap_or_else(|e| e.into_inner());
        let polled = pending.as_mut()?.poll(&self.context, &self.device, launches)?;
        *pending = None;
        Some(polled.and_then(|(program, took)| {
            let kernel = Kernel::create(&program, "vv_run").map_err(|e| format!("finding the whole program's vv_run: {e}"))?;
            *self.lock_current() = Current { programs: vec![program], home: Vec::new() };
            Ok((kernel, took))
        }))
    }

    /// Waits for a whole program still building: how long its build took, or why it failed;
    /// `None` when none is building.
    pub fn finish_takeover(&self) -> Option<Result<Duration, String>> {
        let pending = self.takeover.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some(pending.finish())
    }

    /// Whether the whole program is still building.
    pub fn takeover_pending(&self) -> bool {
        self.takeover.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What `open` loads.
enum Choice {
    Only(Programs),
    /// The partitions now, the whole program (building in this helper) later.
    Start(Takeover),
    /// The partitions-first start was wanted but could not begin (why): the whole program only.
    Failed(String),
}

fn choose(bundle: &Bundle, dev: &DeviceInfo, opts: &LoadOptions, share: Share) -> Choice {
    let Some(whole) = &bundle.whole else { return Choice::Only(Programs::Partitions) };
    // Partitions first is `Auto` on one device (several devices share one build per kind).
    if opts.split != Split::Auto || !matches!(share, Share::None) {
        return Choice::Only(Programs::shared(bundle, opts.split));
    }
    let Some(helper) = &opts.build_helper else { return Choice::Only(Programs::Whole) };
    if !build_helper::wanted(dev) {
        return Choice::Only(Programs::Whole);
    }
    let options = program::build_options(dev, whole.lines().count(), &bundle.options, &opts.extra_build_options);
    let out = match program::cache_path(&bundle.content_hash, WHOLE_INDEX, dev, &options, opts.cache, opts.cache_dir.as_deref()) {
        Ok(Some(out)) if out.is_file() => return Choice::Only(Programs::Whole),
        Ok(Some(out)) => out,
        // The helper hands the whole program over through the cache.
        Ok(None) | Err(_) => return Choice::Only(Programs::Whole),
    };
    match Takeover::start(helper, dev, whole, out, &options) {
        Ok(t) => Choice::Start(t),
        Err(e) => Choice::Failed(e),
    }
}

#[allow(deprecated)]
fn create_queue(context: &Context, device: &DeviceInfo) -> Result<CommandQueue, LoadError> {
    let id = device.device.id();
    // SAFETY: the device belongs to the context.
    unsafe { CommandQueue::create_with_properties(context, id, 0, 0).or_else(|_| CommandQueue::create(context, id, 0)) }
        .map_err(|code| LoadError::Cl { what: "creating a command queue", code })
}
