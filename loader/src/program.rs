//! Building the bundle's OpenCL C programs (one per partition, in parallel threads) for one
//! device, with a cache of device binaries keyed by bundle, partition, device, driver and options.
//! Never passes a fast-math option: Wasm float semantics must hold.

use crate::build_helper;
use crate::device::{DeviceInfo, DeviceKind};
use crate::LoadOptions;
use opencl3::context::Context;
use opencl3::device::CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT;
use opencl3::error_codes::ClError;
use opencl3::program::Program;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vv_bundle::{BuildOptions, Bundle};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("building the OpenCL program for {device} failed ({code}); build log:\n{log}{hint}")]
    Failed { device: String, code: ClError, log: String, hint: String },
    #[error("OpenCL error while {what}: {code}")]
    Cl { what: &'static str, code: ClError },
    #[error("the driver gave no usable binary back: {0}")]
    NoBinary(String),
}

/// When to keep device binaries in the cache directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CachePolicy {
    /// Keep binaries under the cache directory (on PoCL too: with `-cl-opt-disable` for large
    /// programs, hello.c's binary came back in 0.3 s against a 5.5 s cold build).
    #[default]
    Always,
    Never,
}

/// Where the device binary came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinarySource {
    /// Loaded from the cache: no build from source.
    Cached,
    /// Built from the bundle's OpenCL C.
    Built,
    /// Loaded from the binary that another device of the same model, driver and options built
    /// (or loaded) in this process: a multi-device run builds once per kind of device.
    Shared { from_device: usize },
}

#[derive(Debug, Clone)]
pub struct BuildInfo {
    /// Where the binaries came from: `Built` if any partition was built from source.
    pub source: BinarySource,
    /// Time to build or load every partition.
    pub time: Duration,
    /// How many programs (partitions) were built or loaded.
    pub partitions: usize,
    /// The options passed to the OpenCL compiler.
    pub options: String,
    /// The cache file read or written for the first partition, if any.
    pub cache_file: Option<PathBuf>,
    /// Why the cache was not used, or what went wrong with it (never fatal).
    pub note: Option<String>,
}

impl fmt::Display for BuildInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.time.as_secs_f64();
        match self.source {
            BinarySource::Cached => write!(f, "device binary: cached ({}, loaded in {secs:.3} s, build skipped)", self.cache_file.as_deref().map(Path::display).map(|p| p.to_string()).unwrap_or_default())?,
            BinarySource::Built => {
                write!(f, "device binary: built in {secs:.3} s")?;
                if let Some(p) = &self.cache_file {
                    write!(f, ", cached at {}", p.display())?;
                }
            }
            BinarySource::Shared { from_device } => {
                write!(f, "device binary: shared from device #{from_device} (same model, driver and options), loaded in {secs:.3} s")?
            }
        }
        if self.partitions > 1 {
            write!(f, " ({} partitions, in parallel)", self.partitions)?;
        }
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

/// Programs longer than this build without optimization on CPU devices: PoCL's optimizer takes
/// minutes on them (hello.c: 45 s optimized, 8.6 s with `-cl-opt-disable`, 2 cores).
pub const CPU_OPT_DISABLE_LINES: usize = 5000;

/// The compiler options for `dev` and a bundle built with `build`: correctly rounded f32
/// divide/sqrt where the device offers it, no optimization for large programs on CPU devices, and
/// the bundle's register cap on NVIDIA (`vvc build --max-registers`; `-cl-nv-maxrregcount` in
/// `extra` wins). Uncapped by default: a cap fits more VMs at once but slows some programs (json
/// +34% at 65536 VMs with 128 on an H100; testsuite/bench/RESULTS.md). On NVIDIA GPUs from
/// Volta on also `-DVV_WARP_SYNC`: the dispatcher brings its warp's lanes together at every round
/// (nbody's kernel 33% faster, wordfreq's 14%, none of six programs measured on an H100 slower
/// by more than 0.4%); `-DVV_NO_WARP_SYNC` in `extra` turns it off. From Ampere on also the
/// bundle's choice of which lanes run each round (`vvc build --warp-gather`), unless `extra` names
/// a `VV_GATHER_*` of its own.
pub fn build_options(dev: &DeviceInfo, source_lines: usize, build: &BuildOptions, extra: &str) -> String {
    let mut opts = Vec::new();
    if dev.device.single_fp_config().unwrap_or(0) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT != 0 {
        opts.push("-cl-fp32-correctly-rounded-divide-sqrt".to_string());
    }
    if dev.kind == DeviceKind::Cpu && source_lines > CPU_OPT_DISABLE_LINES && !extra.contains("-cl-opt-disable") {
        opts.push("-cl-opt-disable".to_string());
    }
    if build.max_registers > 0 && dev.is_nvidia() && !extra.contains("-cl-nv-maxrregcount") {
        opts.push(format!("-cl-nv-maxrregcount={}", build.max_registers));
    }
    if dev.has_warp_sync() && !extra.contains("WARP_SYNC") {
        opts.push("-DVV_WARP_SYNC".to_string());
        if let Some(define) = build.warp_gather.define().filter(|_| dev.has_warp_gather() && !extra.contains("VV_GATHER")) {
            opts.push(define.to_string());
        }
    }
    if !extra.trim().is_empty() {
        opts.push(extra.trim().to_string());
    }
    opts.join(" ")
}

/// `$VV_CACHE_DIR`, else `$XDG_CACHE_HOME/vv`, else `$HOME/.cache/vv`.
pub fn cache_root() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("VV_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("vv")))
        .or_else(|| var("HOME").map(|p| p.join(".cache").join("vv")))
}

/// Hex sha256 of everything that makes the device binary of one partition valid.
pub fn cache_key(content_hash: &[u8; 32], partition: usize, dev: &DeviceInfo, options: &str) -> String {
    let mut h = Sha256::new();
    h.update(content_hash);
    h.update((partition as u64).to_le_bytes());
    for part in [&dev.name, &dev.driver_version, &dev.platform_version, &options.to_string()] {
        h.update([0]);
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the binary of a partition for `dev` with `options` is cached (whether or not it is there
/// yet); `None` when the policy says not to cache, an error when there is no cache directory.
pub fn cache_path(
    content_hash: &[u8; 32],
    partition: usize,
    dev: &DeviceInfo,
    options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
) -> Result<Option<PathBuf>, &'static str> {
    if policy == CachePolicy::Never {
        return Ok(None);
    }
    let root = cache_dir.map(Path::to_path_buf).or_else(cache_root).ok_or("not cached: no cache directory (set VV_CACHE_DIR or HOME)")?;
    Ok(Some(root.join("programs").join(format!("{}.bin", cache_key(content_hash, partition, dev, options)))))
}

/// Which of a bundle's OpenCL programs a device runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programs {
    /// One per partition (the bundle's one program when it is not split).
    Partitions,
    /// The whole program of a split bundle (its one program when it is not split).
    Whole,
}

/// The cache index of a split bundle's whole program (partitions have theirs from 0).
pub const WHOLE_INDEX: usize = usize::MAX;

impl Programs {
    /// What a device runs that does not start on partitions (several devices sharing a build, or
    /// `split` not `Auto`): the whole program unless asked for partitions.
    pub fn shared(bundle: &Bundle, split: crate::Split) -> Programs {
        if split == crate::Split::Partitions || bundle.whole.is_none() {
            Programs::Partitions
        } else {
            Programs::Whole
        }
    }

    /// Each program's cache index and source.
    pub fn sources(self, bundle: &Bundle) -> Vec<(usize, &str)> {
        match (self, &bundle.whole) {
            (Programs::Whole, Some(whole)) => vec![(WHOLE_INDEX, whole.as_str())],
            _ => bundle.partitions.iter().map(String::as_str).enumerate().collect(),
        }
    }

    /// The program (index into `sources`) that holds each function, by function id; empty for
    /// a split bundle's whole program, where there is no choice to make.
    pub fn home(self, bundle: &Bundle) -> Vec<u32> {
        match (self, &bundle.whole) {
            (Programs::Whole, Some(_)) => Vec::new(),
            _ => bundle.partition_of.clone(),
        }
    }

    /// Lines of the largest program.
    pub fn largest_lines(self, bundle: &Bundle) -> usize {
        self.sources(bundle).iter().map(|(_, s)| s.lines().count()).max().unwrap_or(0)
    }
}

/// Loads the cached binaries or builds the programs from source (and caches them).
pub fn load_or_build(context: &Context, dev: &DeviceInfo, bundle: &Bundle, which: Programs, opts: &LoadOptions) -> Result<(Vec<Program>, BuildInfo), BuildError> {
    let (programs, info, _) = load_or_build_shared(context, dev, bundle, which, opts, Share::None)?;
    Ok((programs, info))
}

/// A program's device binaries, one per partition.
pub type Binaries = Vec<Vec<u8>>;

/// How a build takes part in building once for several devices of the same kind.
#[derive(Debug, Clone, Copy)]
pub enum Share<'a> {
    /// Only this device.
    None,
    /// Also hand back the device binaries, for other devices of the same kind.
    Lead,
    /// Try these binaries (one per partition), which device #`from_device` of the same kind has,
    /// before the cache and the source.
    Follow { from_device: usize, binaries: &'a [Vec<u8>] },
}

/// `load_or_build`, taking part in sharing: with `Share::Lead` it also returns the device
/// binaries (`None` where the driver gives some back empty). Partitions build in parallel: in
/// helper processes on GPUs where `opts.build_helper` names one, else in threads.
pub fn load_or_build_shared(
    context: &Context,
    dev: &DeviceInfo,
    bundle: &Bundle,
    which: Programs,
    opts: &LoadOptions,
    share: Share,
) -> Result<(Vec<Program>, BuildInfo, Option<Binaries>), BuildError> {
    let start = Instant::now();
    if crate::fault::injected(crate::fault::Stage::Build, dev.index) {
        return Err(BuildError::Cl { what: "building the program (failure injected by VV_INJECT_FAULT)", code: ClError(-11) });
    }
    let (policy, cache_dir) = (opts.cache, opts.cache_dir.as_deref());
    let sources = which.sources(bundle);
    let options = build_options(dev, which.largest_lines(bundle), &bundle.options, &opts.extra_build_options);
    trace!("build options for {}: {options:?}", dev.name);
    let lead = matches!(share, Share::Lead);
    let (by_helper, helper_notes) = match (&opts.build_helper, share) {
        (Some(helper), Share::None | Share::Lead) if sources.len() > 1 && build_helper::wanted(dev) => {
            build_missing_in_helpers(helper, dev, &bundle.content_hash, &sources, &options, policy, cache_dir)
        }
        _ => (vec![false; sources.len()], Vec::new()),
    };
    let parts: Vec<Result<Part, BuildError>> = std::thread::scope(|s| {
        let handles: Vec<_> = sources
            .iter()
            .enumerate()
            .map(|(i, &(index, source))| {
                let follow = match share {
                    Share::Follow { from_device, binaries } => binaries.get(i).map(|b| (from_device, b.as_slice())),
                    _ => None,
                };
                let key = PartKey { content_hash: &bundle.content_hash, partition: index, options: &options };
                s.spawn(move || load_or_build_part(context, dev, source, key, policy, cache_dir, follow, lead))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a partition's build thread panicked")).collect()
    });
    let mut parts = parts.into_iter().collect::<Result<Vec<Part>, BuildError>>()?;
    for (part, &built) in parts.iter_mut().zip(&by_helper) {
        if built && part.source == BinarySource::Cached {
            part.source = BinarySource::Built;
        }
    }

    let source = if let Some(p) = parts.iter().find(|p| p.source == BinarySource::Built) {
        p.source
    } else if let Some(p) = parts.iter().find(|p| matches!(p.source, BinarySource::Shared { .. })) {
        p.source
    } else {
        BinarySource::Cached
    };
    let mut notes: Vec<String> = parts
        .iter()
        .filter_map(|p| p.note.as_ref().map(|n| if parts.len() > 1 { format!("partition {}: {n}", p.index) } else { n.clone() }))
        .collect();
    notes.extend(helper_notes);
    let cache_file = parts[0].cache_file.clone();
    let info = BuildInfo {
        source,
        time: start.elapsed(),
        partitions: parts.len(),
        options,
        cache_file,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    };
    let (programs, binaries): (Vec<Program>, Vec<Option<Vec<u8>>>) = parts.into_iter().map(|p| (p.program, p.binary)).unzip();
    // Each part keeps its binary only when leading; one that came back empty shares none.
    let binaries = if lead { binaries.into_iter().collect() } else { None };
    Ok((programs, info, binaries))
}

/// Builds the partitions whose binaries are not in the cache in helper processes, which store
/// them there. Returns which partitions a helper built, and notes on helpers that failed (those
/// partitions are then built in this process).
fn build_missing_in_helpers(
    helper: &Path,
    dev: &DeviceInfo,
    content_hash: &[u8; 32],
    sources: &[(usize, &str)],
    options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
) -> (Vec<bool>, Vec<String>) {
    let mut built = vec![false; sources.len()];
    let mut jobs = Vec::new();
    let mut which = Vec::new();
    for (i, &(index, source)) in sources.iter().enumerate() {
        if let Ok(Some(out)) = cache_path(content_hash, index, dev, options, policy, cache_dir) {
            if !out.is_file() {
                jobs.push(build_helper::Job { source, out });
                which.push(i);
            }
        }
    }
    let mut notes = Vec::new();
    for (i, result) in which.into_iter().zip(build_helper::build_in_helpers(helper, dev, options, &jobs)) {
        match result {
            Ok(()) => built[i] = true,
            Err(e) => notes.push(format!("partition {i}: {e}; built in this process instead")),
        }
    }
    (built, notes)
}

/// Builds `source` for `dev` and returns its device binary.
pub(crate) fn build_binary(context: &Context, dev: &DeviceInfo, source: &str, options: &str) -> Result<Vec<u8>, BuildError> {
    let program = from_source(context, dev, source, options)?;
    usable_binary(dev, &program).map_err(BuildError::NoBinary)
}

/// What names one partition's binary in the cache.
#[derive(Clone, Copy)]
struct PartKey<'a> {
    content_hash: &'a [u8; 32],
    partition: usize,
    options: &'a str,
}

/// One partition's program and where it came from.
struct Part {
    index: usize,
    program: Program,
    source: BinarySource,
    cache_file: Option<PathBuf>,
    note: Option<String>,
    /// The device binary, when asked for (`lead`) and the driver gave one.
    binary: Option<Vec<u8>>,
}

/// Loads one partition from the binary another device shared (`follow`), else from the cache,
/// else builds it from source and caches it.
#[allow(clippy::too_many_arguments)]
fn load_or_build_part(
    context: &Context,
    dev: &DeviceInfo,
    source: &str,
    key: PartKey,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
    follow: Option<(usize, &[u8])>,
    lead: bool,
) -> Result<Part, BuildError> {
    let PartKey { content_hash, partition: index, options } = key;
    let mut note = None;
    if let Some((from_device, binary)) = follow {
        match from_binary(context, dev, binary, options) {
            Ok(program) => {
                return Ok(Part { index, program, source: BinarySource::Shared { from_device }, cache_file: None, note, binary: None });
            }
            Err(e) => note = Some(format!("the binary of device #{from_device} failed to load ({e})")),
        }
    }
    let cache_file = match cache_path(content_hash, index, dev, options, policy, cache_dir) {
        Ok(path) => path,
        Err(why) => {
            note = Some(why.to_string());
            None
        }
    };

    if let Some(path) = &cache_file {
        if let Ok(binary) = std::fs::read(path) {
            match check_binary(dev, &binary).map_err(str::to_string).and_then(|()| from_binary(context, dev, &binary, options).map_err(|e| e.to_string())) {
                Ok(program) => {
                    return Ok(Part { index, program, source: BinarySource::Cached, cache_file, note, binary: lead.then_some(binary) });
                }
                Err(e) => note = Some(format!("cached binary failed to load ({e}); rebuilt it")),
            }
        }
    }

    let program = from_source(context, dev, source, options)?;
    let mut stored = None;
    let mut binary = None;
    if cache_file.is_some() || lead {
        match usable_binary(dev, &program) {
            Ok(b) => binary = Some(b),
            Err(e) => note = Some(format!("the driver gave no usable binary back ({e}), so none was cached or shared")),
        }
    }
    if let (Some(path), Some(b)) = (cache_file, &binary) {
        match store(b, &path) {
            Ok(()) => stored = Some(path),
            Err(e) => note = Some(format!("could not cache the binary at {}: {e}", path.display())),
        }
    }
    Ok(Part { index, program, source: BinarySource::Built, cache_file: stored, note, binary: binary.filter(|_| lead) })
}

/// Refuses binaries known to be unusable. PoCL 3.1 now and then hands back a binary without the
/// program's bitcode (`/program.bc`; seen when another process used the same program in PoCL's
/// kernel cache at the same time), and loading one aborts the whole process inside PoCL
/// (`pocl_binary_get_kernels_metadata: Assertion 'len > 0'`), so such a binary is never cached,
/// shared or loaded.
pub fn check_binary(dev: &DeviceInfo, binary: &[u8]) -> Result<(), &'static str> {
    const BITCODE: &[u8] = b"/program.bc";
    if dev.platform.contains("Portable Computing Language") && !binary.windows(BITCODE.len()).any(|w| w == BITCODE) {
        return Err("a PoCL binary without the program's bitcode");
    }
    Ok(())
}

/// The program's binary for its one device, if it is one that may be cached, shared or loaded.
fn usable_binary(dev: &DeviceInfo, program: &Program) -> Result<Vec<u8>, String> {
    let binary = device_binary(program)?;
    check_binary(dev, &binary)?;
    Ok(binary)
}

/// The program's binary for its one device.
fn device_binary(program: &Program) -> Result<Vec<u8>, String> {
    let binaries = program.get_binaries().map_err(|e| e.to_string())?;
    binaries.into_iter().next().filter(|b| !b.is_empty()).ok_or_else(|| "an empty binary".to_string())
}

pub(crate) fn from_binary(context: &Context, dev: &DeviceInfo, binary: &[u8], options: &str) -> Result<Program, ClError> {
    // SAFETY: the device belongs to the context (the loader creates the context from it).
    let mut program = unsafe { Program::create_from_binary(context, &[dev.device.id()], &[binary])? };
    program.build(&[dev.device.id()], options)?;
    Ok(program)
}

fn from_source(context: &Context, dev: &DeviceInfo, source: &str, options: &str) -> Result<Program, BuildError> {
    let mut program = Program::create_from_source(context, source)
        .map_err(|code| BuildError::Cl { what: "creating the program from source", code })?;
    if let Err(code) = program.build(&[dev.device.id()], options) {
        let log = program.get_build_log(dev.device.id()).unwrap_or_else(|e| format!("(no build log: {e})"));
        let has_fp64 = dev.device.extensions().map(|x| x.contains("cl_khr_fp64")).unwrap_or(true);
        let hint = if has_fp64 {
            String::new()
        } else {
            "\nnote: this device lacks cl_khr_fp64 (double precision), which Wasm f64 code needs".to_string()
        };
        return Err(BuildError::Failed { device: dev.name.clone(), code, log: log.trim_end().to_string(), hint });
    }
    Ok(program)
}

/// Writes a device binary atomically (a temporary file of this process and call, then rename).
pub(crate) fn store(binary: &[u8], path: &Path) -> Result<(), String> {
    static STORES: AtomicUsize = AtomicUsize::new(0);
    let dir = path.parent().ok_or("bad cache path")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("tmp{}-{}", std::process::id(), STORES.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&tmp, binary).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        e.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceKind;
    use vv_bundle::WarpGather;

    #[test]
    fn incomplete_pocl_binaries_are_refused() {
        let pocl = DeviceInfo::fake(0, "pthread-x", DeviceKind::Cpu, "Portable Computing Language");
        assert!(check_binary(&pocl, b"poclbin\0../program.bc..vv_run").is_ok());
        assert!(check_binary(&pocl, b"poclbin\0../vv_run/0-0-0/vv_run.so").is_err());
        let nv = DeviceInfo::fake(1, "NVIDIA H100", DeviceKind::Gpu, "NVIDIA CUDA");
        assert!(check_binary(&nv, b"//\n// Generated by NVIDIA NVVM Compiler").is_ok());
    }

    #[test]
    fn register_cap_only_on_nvidia() {
        let capped = BuildOptions { max_registers: 128, ..BuildOptions::default() };
        let mut nv = DeviceInfo::fake(1, "NVIDIA H100", DeviceKind::Gpu, "NVIDIA CUDA");
        nv.nv_compute_major = 9;
        let pocl = DeviceInfo::fake(0, "pthread-x", DeviceKind::Cpu, "Portable Computing Language");
        assert_eq!(build_options(&nv, 10, &capped, ""), "-cl-nv-maxrregcount=128 -DVV_WARP_SYNC -DVV_GATHER_MAJORITY");
        assert_eq!(build_options(&nv, 10, &BuildOptions::default(), ""), "-DVV_WARP_SYNC -DVV_GATHER_MAJORITY");
        assert_eq!(build_options(&pocl, 10, &capped, ""), "");
        assert_eq!(
            build_options(&nv, 10, &capped, "-cl-nv-maxrregcount=64"),
            "-DVV_WARP_SYNC -DVV_GATHER_MAJORITY -cl-nv-maxrregcount=64"
        );
    }

    #[test]
    fn warp_sync_on_nvidia_from_volta_unless_turned_off() {
        let mut nv = DeviceInfo::fake(1, "NVIDIA H100", DeviceKind::Gpu, "NVIDIA CUDA");
        nv.nv_compute_major = 9;
        let pocl = DeviceInfo::fake(0, "pthread-x", DeviceKind::Cpu, "Portable Computing Language");
        let plain = BuildOptions::default();
        assert_eq!(build_options(&pocl, 10, &plain, ""), "", "inline PTX: NVIDIA only");
        assert_eq!(build_options(&nv, 10, &plain, "-DVV_NO_WARP_SYNC"), "-DVV_NO_WARP_SYNC");
        nv.nv_compute_major = 7;
        assert_eq!(build_options(&nv, 10, &plain, ""), "-DVV_WARP_SYNC", "picking lanes needs redux.sync: Ampere on");
        nv.nv_compute_major = 6;
        assert_eq!(build_options(&nv, 10, &plain, ""), "", "before Volta a warp's lanes run in step");
    }

    #[test]
    fn the_bundles_lane_choice_unless_extra_names_one() {
        let mut nv = DeviceInfo::fake(1, "NVIDIA H100", DeviceKind::Gpu, "NVIDIA CUDA");
        nv.nv_compute_major = 9;
        let lowest = BuildOptions { warp_gather: WarpGather::Lowest, ..BuildOptions::default() };
        let off = BuildOptions { warp_gather: WarpGather::Off, ..BuildOptions::default() };
        assert_eq!(build_options(&nv, 10, &lowest, ""), "-DVV_WARP_SYNC -DVV_GATHER_LOWEST");
        assert_eq!(build_options(&nv, 10, &off, ""), "-DVV_WARP_SYNC");
        assert_eq!(build_options(&nv, 10, &lowest, "-DVV_GATHER_MAJORITY"), "-DVV_WARP_SYNC -DVV_GATHER_MAJORITY");
        let deepest = BuildOptions { warp_gather: WarpGather::Deepest, ..BuildOptions::default() };
        assert_eq!(build_options(&nv, 10, &deepest, ""), "-DVV_WARP_SYNC -DVV_GATHER_DEEPEST");
        assert_eq!(build_options(&nv, 10, &deepest, "-DVV_GATHER_OFF"), "-DVV_WARP_SYNC -DVV_GATHER_OFF");
    }

    #[test]
    fn key_depends_on_every_input() {
        let dev = DeviceInfo::fake(0, "gpu", DeviceKind::Gpu, "p");
        let base = cache_key(&[1; 32], 0, &dev, "-a");
        assert_eq!(base.len(), 64);
        assert_eq!(base, cache_key(&[1; 32], 0, &dev, "-a"));
        assert_ne!(base, cache_key(&[2; 32], 0, &dev, "-a"));
        assert_ne!(base, cache_key(&[1; 32], 1, &dev, "-a"));
        assert_ne!(base, cache_key(&[1; 32], 0, &dev, "-b"));
        let mut other = dev.clone();
        other.driver_version = "2".into();
        assert_ne!(base, cache_key(&[1; 32], 0, &other, "-a"));
        let mut other = dev.clone();
        other.platform_version = "OpenCL 3.0".into();
        assert_ne!(base, cache_key(&[1; 32], 0, &other, "-a"));
    }
}
