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

/// Loads the cached binary or builds the program from source (and caches it).
pub fn load_or_build(
    context: &Context,
    dev: &DeviceInfo,
    bundle: &Bundle,
    extra_options: &str,
    policy: CachePolicy,
    cache_dir: Option<&Path>,
) -> Result<(Program, BuildInfo), BuildError> {
    let start = Instant::now();
    let options = build_options(dev, bundle.opencl.lines().count(), extra_options);
    let use_cache = match policy {
        CachePolicy::Always => true,
        CachePolicy::Never => false,
    };
    let mut note = None;
    let cache_file = match (use_cache, cache_dir.map(Path::to_path_buf).or_else(cache_root)) {
        (true, Some(root)) => Some(root.join("programs").join(format!("{}.bin", cache_key(&bundle.content_hash, dev, &options)))),
        (true, None) => {
            note = Some("not cached: no cache directory (set VV_CACHE_DIR or HOME)".to_string());
            None
        }
        (false, _) => None,
    };

    if let Some(path) = &cache_file {
        if let Ok(binary) = std::fs::read(path) {
            match from_binary(context, dev, &binary, &options) {
                Ok(program) => {
                    let info = BuildInfo { source: BinarySource::Cached, time: start.elapsed(), options, cache_file, note };
                    return Ok((program, info));
                }
                Err(e) => note = Some(format!("cached binary failed to load ({e}); rebuilt it")),
            }
        }
    }

    let program = from_source(context, dev, &bundle.opencl, &options)?;
    let mut stored = None;
    if let Some(path) = cache_file {
        match store(&program, &path) {
            Ok(()) => stored = Some(path),
            Err(e) => note = Some(format!("could not cache the binary at {}: {e}", path.display())),
        }
    }
    Ok((program, BuildInfo { source: BinarySource::Built, time: start.elapsed(), options, cache_file: stored, note }))
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

/// Writes the program's device binary atomically (temporary file, then rename).
fn store(program: &Program, path: &Path) -> Result<(), String> {
    let binaries = program.get_binaries().map_err(|e| e.to_string())?;
    let binary = binaries.into_iter().next().filter(|b| !b.is_empty()).ok_or("the driver returned no binary")?;
    let dir = path.parent().ok_or("bad cache path")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &binary).map_err(|e| e.to_string())?;
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
