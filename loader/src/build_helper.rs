//! Building partitions in processes of their own. NVIDIA's OpenCL compiler builds one program at
//! a time per process (threads barely overlap), so a bundle's partitions build in parallel only in
//! separate processes: each runs `HELPER __build-partition ...` (vv-run passes itself as the
//! helper), which builds one partition and stores its binary in the cache, where the parent then
//! loads it. On NVIDIA that binary is PTX, which a load compiles to machine code unless the
//! driver's cache has it. After helpers had built json's partitions, the parent's loads took
//! 2.9-7.4 s each, one at a time, as if compiling again; so each helper also loads its own binary
//! once, doing that work in parallel and leaving the machine code in the driver's cache, where a
//! cached start finds it in milliseconds (not yet measured on NVIDIA).

use crate::device::{self, DeviceInfo};
use crate::program::{self, BuildError};
use opencl3::context::Context;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The first argument that makes vv-run a build helper.
pub const HELPER_ARG: &str = "__build-partition";

/// Whether partitions for `dev` build in helper processes: on GPUs, or anywhere with
/// `VV_BUILD_HELPERS=1` (for testing on CPU devices).
pub(crate) fn wanted(dev: &DeviceInfo) -> bool {
    dev.kind == device::DeviceKind::Gpu || std::env::var_os("VV_BUILD_HELPERS").is_some_and(|v| v == "1")
}

/// One partition to build in a helper: its source and where its binary goes.
pub(crate) struct Job<'a> {
    pub source: &'a str,
    pub out: PathBuf,
}

/// Runs one helper per job at once and waits for all. Returns, per job, `Ok` once its binary is
/// stored at `out`, else why not (the caller then builds that partition itself).
pub(crate) fn build_in_helpers(helper: &Path, dev: &DeviceInfo, options: &str, jobs: &[Job]) -> Vec<Result<(), String>> {
    let started: Vec<Result<(std::process::Child, PathBuf), String>> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let source = job.out.with_extension(format!("cl-{}-{i}", std::process::id()));
            std::fs::create_dir_all(source.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
            std::fs::write(&source, job.source).map_err(|e| format!("writing {}: {e}", source.display()))?;
            let child = Command::new(helper)
                .arg(HELPER_ARG)
                .arg(dev.index.to_string())
                .arg(options)
                .arg(&source)
                .arg(&job.out)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", helper.display()));
            match child {
                Ok(c) => Ok((c, source)),
                Err(e) => {
                    let _ = std::fs::remove_file(&source);
                    Err(e)
                }
            }
        })
        .collect();
    started
        .into_iter()
        .map(|s| {
            let (child, source) = s?;
            let out = child.wait_with_output();
            let _ = std::fs::remove_file(&source);
            let out = out.map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("build helper failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
            }
        })
        .collect()
}

/// The helper's side: `DEVICE_INDEX OPTIONS SOURCE_FILE OUT_FILE` (after `HELPER_ARG`). Builds
/// the source for the device and stores the binary at OUT_FILE.
pub fn helper_main(args: &[String]) -> Result<(), String> {
    let [index, options, source, out] = args else {
        return Err(format!("usage: {HELPER_ARG} DEVICE_INDEX OPTIONS SOURCE_FILE OUT_FILE"));
    };
    let index: usize = index.parse().map_err(|_| format!("bad device index `{index}`"))?;
    let devices = device::enumerate().map_err(|e| e.to_string())?;
    let dev = devices.iter().find(|d| d.index == index).ok_or_else(|| format!("no device #{index}"))?;
    let source = std::fs::read_to_string(source).map_err(|e| format!("reading {source}: {e}"))?;
    let context = Context::from_device(&dev.device).map_err(|e| format!("creating a context: {e}"))?;
    let binary = program::build_binary(&context, dev, &source, options).map_err(|e: BuildError| e.to_string())?;
    program::from_binary(&context, dev, &binary, options).map_err(|e| format!("loading the built binary: {e}"))?;
    program::store(&binary, Path::new(out))
}
