//! vv_loader: runs a `.vvk` bundle as N independent VMs on an OpenCL device, one per work-item,
//! and services their WASI hypercalls on the host in batches between launches. `MultiLoader`
//! spreads one run over several devices.
//!
//! ```no_run
//! use vv_loader::{read_bundle_file, DeviceChoice, Loader, RunConfig};
//! let bundle = read_bundle_file("prog.vvk")?;
//! let loader = Loader::new(bundle, &DeviceChoice::Default)?;
//! let report = loader.run(&RunConfig { vms: 4096, args: vec!["{vm}".into()], ..RunConfig::default() })?;
//! eprint!("{}", report.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! On every GPU of the host (VM `i` still sees `{vm}` = `i`; the report lists VMs in order):
//!
//! ```no_run
//! use vv_loader::{read_bundle_file, DeviceSet, LoadOptions, MultiLoader, RunConfig};
//! let bundle = read_bundle_file("prog.vvk")?;
//! let loader = MultiLoader::with_set(bundle, &DeviceSet::All, &LoadOptions::default())?;
//! let report = loader.run(&RunConfig { vms: 100_000, args: vec!["{vm}".into()], ..RunConfig::default() })?;
//! eprint!("{}", report.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[macro_use]
mod trace;
pub mod device;
pub mod build_helper;
mod device_program;
mod partitions;
mod error;
mod fault;
mod header_rows;
mod helper_kernels;
mod hostcalls;
mod launch;
mod multi;
mod output;
mod pack;
pub mod program;
pub mod report;
mod refill;
mod run;
mod sequence;
pub mod serve;
mod takeover;
pub mod shard;
pub mod vm_state;
pub mod wasi;

pub use device::{DeviceChoice, DeviceError, DeviceInfo, DeviceKind, DeviceSet};
pub use error::{DeviceLoadError, LoadError, RunError};
pub use multi::MultiLoader;
pub use program::{BinarySource, BuildError, BuildInfo, CachePolicy};
pub use report::{CallOutcome, Counts, PhaseTimes, RunReport, ShardReport, Takeover, VmOutcome, VmStatus};
pub use vm_state::FitError;
pub use vv_bundle::{abi, Bundle};

use device_program::DeviceProgram;
use program::Share;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Whether environment variable `name` is set to something other than empty or `0`.
pub(crate) fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// How `Loader` builds and caches the device program.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub cache: CachePolicy,
    /// Overrides `$VV_CACHE_DIR` / `$XDG_CACHE_HOME/vv` / `$HOME/.cache/vv`.
    pub cache_dir: Option<PathBuf>,
    /// Appended to the OpenCL build options (e.g. `-cl-opt-disable`); part of the cache key.
    pub extra_build_options: String,
    /// An executable that builds one partition in a process of its own when run with
    /// `build_helper::HELPER_ARG` (vv-run passes itself). NVIDIA's compiler builds one program at
    /// a time per process, so on GPUs the partitions of a bundle build in such processes, in
    /// parallel; without a helper they build in threads. Needs the binary cache.
    pub build_helper: Option<PathBuf>,
    /// Which programs of a split bundle to run.
    pub split: Split,
}

/// Which programs of a bundle that is split into partitions (besides its whole program) a device
/// runs. The VMs' state is the same in both, so a run can move from one to the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Split {
    /// The whole program once it is in the binary cache, on CPU devices, without the binary
    /// cache or a build helper, and for several devices. On one GPU with a build helper and no
    /// cached whole program: start on the partitions (built in parallel) while a helper builds
    /// the whole program into the cache, and move to it between launches once it is built.
    #[default]
    Auto,
    /// Only the whole program.
    Whole,
    /// Only the partitions.
    Partitions,
}

/// What each VM reads on fd 0. Inputs are shared, not copied: VMs given the same bytes (one
/// `Arc`) hold one copy between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Stdin {
    /// Empty: the first read is EOF.
    #[default]
    None,
    /// The same bytes for every VM.
    Same(Arc<[u8]>),
    /// One input per VM, in VM order.
    PerVm(Vec<Arc<[u8]>>),
}

impl Stdin {
    /// One input per VM, from owned bytes.
    pub fn per_vm(inputs: impl IntoIterator<Item = Vec<u8>>) -> Stdin {
        Stdin::PerVm(inputs.into_iter().map(Arc::from).collect())
    }
}

/// What each VM runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Invoke {
    /// The WASI command entry (`_start`) in every VM.
    #[default]
    Command,
    /// Per VM: an export's invoke index and its arguments as raw bits (one per parameter).
    PerVm(Vec<(u32, Vec<u64>)>),
    /// Per VM: instantiate (run the start function), then make these calls in order on that one
    /// instance: memory, globals and tables carry over from call to call, and a trap ends only
    /// the call it happens in. `VmOutcome::calls` reports each step.
    Sequence(Vec<Vec<Call>>),
}

/// One call of an export in an `Invoke::Sequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The export's invoke index (`Export::invoke_index`).
    pub export: u32,
    /// Arguments as raw bits, one per parameter (see `vv_bundle::ValType` for references).
    pub args: Vec<u64>,
}

/// One run of a loaded bundle.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub vms: usize,
    /// argv[1..]; `{vm}` in an argument becomes the VM index. argv[0] is the bundle's source name.
    pub args: Vec<String>,
    pub stdin: Stdin,
    pub env: Vec<(String, String)>,
    pub invoke: Invoke,
    /// Stop after this many launches (of each device, in a multi-device run), reporting VMs that
    /// have not finished as running.
    pub max_launches: Option<u64>,
    /// Stop once this much time has passed since the run started (checked between launches).
    pub timeout: Option<Duration>,
    /// Work-items per group; default 1 on CPU devices and 64 on GPUs.
    pub local_size: Option<usize>,
    /// Seed of the VMs' random_get streams; default from the OS.
    pub seed: Option<u64>,
    /// At most this many VMs on a device at once (default: all of them): when one stops, the
    /// next not yet started takes its place. WASI commands only.
    pub resident: Option<usize>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            vms: 1,
            args: Vec::new(),
            stdin: Stdin::None,
            env: Vec::new(),
            invoke: Invoke::Command,
            max_launches: None,
            timeout: None,
            local_size: None,
            seed: None,
            resident: None,
        }
    }
}

/// A bundle built for one device, ready to run any number of times.
pub struct Loader {
    pub(crate) dev: DeviceProgram,
    bundle: Bundle,
}

impl Loader {
    /// Picks the device and builds (or loads the cached) program with default options.
    pub fn new(bundle: Bundle, device: &DeviceChoice) -> Result<Loader, LoadError> {
        Loader::with_options(bundle, device, &LoadOptions::default())
    }

    pub fn with_options(bundle: Bundle, device: &DeviceChoice, opts: &LoadOptions) -> Result<Loader, LoadError> {
        let devices = device::enumerate()?;
        let device = device::select(&devices, device)?;
        let (dev, _) = DeviceProgram::open(&bundle, device, opts, Share::None)?;
        Ok(Loader { dev, bundle })
    }

    pub fn device_name(&self) -> String {
        self.dev.device.name.clone()
    }

    pub fn device(&self) -> &DeviceInfo {
        &self.dev.device
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    pub fn build_info(&self) -> &BuildInfo {
        &self.dev.build
    }

    /// Waits for the whole program of a split bundle if it is still building (see `Split::Auto`;
    /// dropping the loader waits too): how long its build took, or why it failed; `None` when
    /// none is building. Its binary goes into the cache, and later runs of this loader stay on
    /// the partitions.
    pub fn finish_whole_program(&self) -> Option<Result<Duration, String>> {
        self.dev.finish_takeover()
    }

    /// Runs `cfg.vms` VMs to completion (or to the configured limits). Any error of the device
    /// fails the whole run.
    pub fn run(&self, cfg: &RunConfig) -> Result<RunReport, RunError> {
        run::run(&self.dev, &self.bundle, cfg)
    }
}

/// Reads and checks a `.vvk` file.
pub fn read_bundle_file(path: impl AsRef<Path>) -> Result<Bundle, LoadError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|error| LoadError::Read { path: path.to_path_buf(), error })?;
    vv_bundle::read_bundle(&bytes).map_err(|error| LoadError::Bundle { path: path.to_path_buf(), error })
}
