//! Building the bundle's OpenCL C for one device, with a cache of device binaries keyed by bundle,
//! device, driver and options. Never passes a fast-math option: Wasm float semantics must hold.

use crate::device::{DeviceInfo, DeviceKind};
use opencl3::context::Context;
use opencl3::device::CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT;
use opencl3::error_codes::ClError;
use opencl3::program::Program;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vv_bundle::Bundle;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("building the OpenCL program for {device} failed ({code}); build log:\n{log}{hint}")]
    Failed { device: String, code: ClError, log: String, hint: String },
    #[error("OpenCL error while {what}: {code}")]
    Cl { what: &'static str, code: ClError },
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
    pub source: BinarySource,
    /// Time to build or load the program.
    pub time: Duration,
    /// The options passed to the OpenCL compiler.
    pub options: String,
    /// The cache file read or written, if any.
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
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

/// Programs longer than this build without optimization on CPU devices: PoCL's optimizer takes
/// minutes on them (hello.c: 45 s optimized, 8.6 s with `-cl-opt-disable`, 2 cores).
pub const CPU_OPT_DISABLE_LINES: usize = 5000;

/// The compiler options for `dev`: correctly rounded f32 divide/sqrt where the device offers it,
/// and no optimization for large programs on CPU devices.
pub fn build_options(dev: &DeviceInfo, source_lines: usize, extra: &str) -> String {
    let mut opts = Vec::new();
    if dev.device.single_fp_config().unwrap_or(0) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT != 0 {
        opts.push("-cl-fp32-correctly-rounded-divide-sqrt");
    }
    if dev.kind == DeviceKind::Cpu && source_lines > CPU_OPT_DISABLE_LINES && !extra.contains("-cl-opt-disable") {
        opts.push("-cl-opt-disable");
    }
    if !extra.trim().is_empty() {
        opts.push(extra.trim());
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

/// Hex sha256 of everything that makes a device binary valid.
pub fn cache_key(content_hash: &[u8; 32], dev: &DeviceInfo, options: &str) -> String {
    let mut h = Sha256::new();
    h.update(content_hash);
    for part in [&dev.name, &dev.driver_version, &dev.platform_version, &options.to_string()] {
        h.update([0]);
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the binary for `dev` with `options` is cached (whether or not it is there yet); `None`
/// when the policy says not to cache, an error when there is no cache directory.
pub fn cache_path(
    content_hash: &[u8; 32],
    dev: &DeviceInfo,
    options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
) -> Result<Option<PathBuf>, &'static str> {
    if policy == CachePolicy::Never {
        return Ok(None);
    }
    let root = cache_dir.map(Path::to_path_buf).or_else(cache_root).ok_or("not cached: no cache directory (set VV_CACHE_DIR or HOME)")?;
    Ok(Some(root.join("programs").join(format!("{}.bin", cache_key(content_hash, dev, options)))))
}

/// Loads the cached binary or builds the program from source (and caches it).
pub fn load_or_build(
    context: &Context,
    dev: &DeviceInfo,
    bundle: &Bundle,
    extra_options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
) -> Result<(Program, BuildInfo), BuildError> {
    let (program, info, _) = load_or_build_shared(context, dev, bundle, extra_options, policy, cache_dir, Share::None)?;
    Ok((program, info))
}

/// How a build takes part in building once for several devices of the same kind.
#[derive(Debug, Clone, Copy)]
pub enum Share<'a> {
    /// Only this device.
    None,
    /// Also hand back the device binary, for other devices of the same kind.
    Lead,
    /// Try this binary, which device #`from_device` of the same kind has, before the cache and
    /// the source.
    Follow { from_device: usize, binary: &'a [u8] },
}

/// `load_or_build`, taking part in sharing: with `Share::Lead` it also returns the device binary
/// (`None` where the driver gives none back).
pub fn load_or_build_shared(
    context: &Context,
    dev: &DeviceInfo,
    bundle: &Bundle,
    extra_options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
    share: Share,
) -> Result<(Program, BuildInfo, Option<Vec<u8>>), BuildError> {
    let start = Instant::now();
    if crate::fault::injected(crate::fault::Stage::Build, dev.index) {
        return Err(BuildError::Cl { what: "building the program (failure injected by VV_INJECT_FAULT)", code: ClError(-11) });
    }
    let options = build_options(dev, bundle.opencl.lines().count(), extra_options);
    let mut note = None;
    if let Share::Follow { from_device, binary } = share {
        match from_binary(context, dev, binary, &options) {
            Ok(program) => {
                let info = BuildInfo { source: BinarySource::Shared { from_device }, time: start.elapsed(), options, cache_file: None, note };
                return Ok((program, info, None));
            }
            Err(e) => note = Some(format!("the binary of device #{from_device} failed to load ({e})")),
        }
    }
    let lead = matches!(share, Share::Lead);
    let cache_file = match cache_path(&bundle.content_hash, dev, &options, policy, cache_dir) {
        Ok(path) => path,
        Err(why) => {
            note = Some(why.to_string());
            None
        }
    };

    if let Some(path) = &cache_file {
        if let Ok(binary) = std::fs::read(path) {
            match check_binary(dev, &binary).map_err(str::to_string).and_then(|()| from_binary(context, dev, &binary, &options).map_err(|e| e.to_string())) {
                Ok(program) => {
                    let info = BuildInfo { source: BinarySource::Cached, time: start.elapsed(), options, cache_file, note };
                    return Ok((program, info, lead.then_some(binary)));
                }
                Err(e) => note = Some(format!("cached binary failed to load ({e}); rebuilt it")),
            }
        }
    }

    let program = from_source(context, dev, &bundle.opencl, &options)?;
    let mut stored = None;
    let mut binary = None;
    if cache_file.is_some() || lead {
        match device_binary(&program).and_then(|b| check_binary(dev, &b).map(|()| b).map_err(str::to_string)) {
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
    let info = BuildInfo { source: BinarySource::Built, time: start.elapsed(), options, cache_file: stored, note };
    Ok((program, info, binary.filter(|_| lead)))
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

/// The program's binary for its one device.
fn device_binary(program: &Program) -> Result<Vec<u8>, String> {
    let binaries = program.get_binaries().map_err(|e| e.to_string())?;
    binaries.into_iter().next().filter(|b| !b.is_empty()).ok_or_else(|| "an empty binary".to_string())
}

fn from_binary(context: &Context, dev: &DeviceInfo, binary: &[u8], options: &str) -> Result<Program, ClError> {
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
fn store(binary: &[u8], path: &Path) -> Result<(), String> {
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

    #[test]
    fn incomplete_pocl_binaries_are_refused() {
        let pocl = DeviceInfo::fake(0, "pthread-x", DeviceKind::Cpu, "Portable Computing Language");
        assert!(check_binary(&pocl, b"poclbin\0../program.bc..vv_run").is_ok());
        assert!(check_binary(&pocl, b"poclbin\0../vv_run/0-0-0/vv_run.so").is_err());
        let nv = DeviceInfo::fake(1, "NVIDIA H100", DeviceKind::Gpu, "NVIDIA CUDA");
        assert!(check_binary(&nv, b"//\n// Generated by NVIDIA NVVM Compiler").is_ok());
    }

    #[test]
    fn key_depends_on_every_input() {
        let dev = DeviceInfo::fake(0, "gpu", DeviceKind::Gpu, "p");
        let base = cache_key(&[1; 32], &dev, "-a");
        assert_eq!(base.len(), 64);
        assert_eq!(base, cache_key(&[1; 32], &dev, "-a"));
        assert_ne!(base, cache_key(&[2; 32], &dev, "-a"));
        assert_ne!(base, cache_key(&[1; 32], &dev, "-b"));
        let mut other = dev.clone();
        other.driver_version = "2".into();
        assert_ne!(base, cache_key(&[1; 32], &other, "-a"));
        let mut other = dev.clone();
        other.platform_version = "OpenCL 3.0".into();
        assert_ne!(base, cache_key(&[1; 32], &other, "-a"));
    }
}
