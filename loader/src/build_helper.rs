//! Building partitions in processes of their own. NVIDIA's OpenCL compiler builds one program at
//! a time per process (threads barely overlap), so a bundle's programs build in parallel only in
//! separate processes: each runs `HELPER __build-partition ...` (vv-run passes itself as the
//! helper), which builds one program, loads it once and stores its binary in the cache, where the
//! parent then loads it. On NVIDIA that binary is PTX, which a load compiles to machine code
//! unless the driver's cache has it: the helper's load does that work in parallel and leaves the
//! machine code in the driver's cache, where the parent's load finds it.

use crate::device::{self, DeviceInfo};
use crate::program::{self, BuildError};
use opencl3::context::Context;
use std::path::{Path, PathBuf};
use std::ffi::OsString;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The first argument that makes vv-run a build helper.
pub const HELPER_ARG: &str = "__build-partition";

/// The environment this process had before any OpenCL platform loaded, which helpers start with.
/// Platforms change their process's environment: PoCL 5.0 cut `OCL_ICD_FILENAMES` from
/// `libpocl.so.2:libnvidia-opencl.so.1` to `libpocl.so.2` (and set `HWLOC_PLUGINS_PATH`), so a
/// helper inheriting it saw no NVIDIA platform (H200 machine, loader/examples/childenum.rs).
static START_ENV: OnceLock<Vec<(OsString, OsString)>> = OnceLock::new();

/// Keeps the environment as it is now for the helpers; `device::enumerate` calls this before
/// its first OpenCL call.
pub(crate) fn remember_environment() {
    START_ENV.get_or_init(|| std::env::vars_os().collect());
}

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
    let started: Vec<Result<Running, String>> = jobs.iter().map(|job| Running::start(helper, dev, options, job)).collect();
    started.into_iter().map(|r| r?.wait()).collect()
}

/// A helper process building one job.
pub(crate) struct Running {
    child: Child,
    /// The source it reads and the file its messages go to (a file, not a pipe, so that a long
    /// build log never blocks the helper while nobody reads it); both removed once it is done.
    source: PathBuf,
    log: PathBuf,
}

impl Running {
    pub fn start(helper: &Path, dev: &DeviceInfo, options: &str, job: &Job) -> Result<Running, String> {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let tag = format!("{}-{}", std::process::id(), STARTED.fetch_add(1, Ordering::Relaxed));
        let source = job.out.with_extension(format!("cl-{tag}"));
        let log = job.out.with_extension(format!("log-{tag}"));
        std::fs::create_dir_all(source.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
        std::fs::write(&source, job.source).map_err(|e| format!("writing {}: {e}", source.display()))?;
        let spawned = std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display())).and_then(|log_file| {
            command(helper, START_ENV.get().map(Vec::as_slice), dev, options, &source, &job.out)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .map_err(|e| format!("starting {}: {e}", helper.display()))
        });
        match spawned {
            Ok(child) => Ok(Running { child, source, log }),
            Err(e) => {
                let _ = std::fs::remove_file(&source);
                let _ = std::fs::remove_file(&log);
                Err(e)
            }
        }
    }

    /// Waits for the helper: `Ok` once the binary is stored, else why not.
    pub fn wait(mut self) -> Result<(), String> {
        let status = self.child.wait().map_err(|e| e.to_string());
        self.outcome(status)
    }

    /// `None` while the helper runs; then what `wait` returns.
    pub fn poll(&mut self) -> Option<Result<(), String>> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(self.outcome(Ok(status))),
            Err(e) => Some(self.outcome(Err(e.to_string()))),
        }
    }

    fn outcome(&mut self, status: Result<std::process::ExitStatus, String>) -> Result<(), String> {
        let messages = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.source);
        let _ = std::fs::remove_file(&self.log);
        let status = status?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("build helper failed ({status}): {}", messages.trim()))
        }
    }
}

/// The command line of a helper building `source` into `out`, with the environment `env` (the
/// one this process started with) where known.
fn command(helper: &Path, env: Option<&[(OsString, OsString)]>, dev: &DeviceInfo, options: &str, source: &Path, out: &Path) -> Command {
    let mut command = Command::new(helper);
    if let Some(env) = env {
        command.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    }
    command.arg(HELPER_ARG).arg(dev.index.to_string()).arg(&dev.platform).arg(&dev.name).arg(options).arg(source).arg(out);
    command
}

/// The helper's side: `DEVICE_INDEX PLATFORM DEVICE_NAME OPTIONS SOURCE_FILE OUT_FILE` (after
/// `HELPER_ARG`). Builds the source for the device and stores the binary at OUT_FILE.
pub fn helper_main(args: &[String]) -> Result<(), String> {
    let [index, platform, name, options, source, out] = args else {
        return Err(format!("usage: {HELPER_ARG} DEVICE_INDEX PLATFORM DEVICE_NAME OPTIONS SOURCE_FILE OUT_FILE"));
    };
    let index: usize = index.parse().map_err(|_| format!("bad device index `{index}`"))?;
    let devices = device::enumerate().map_err(|e| e.to_string())?;
    let dev = same_device(&devices, index, platform, name).ok_or_else(|| {
        let seen: Vec<String> = devices.iter().map(|d| format!("#{} {} ({})", d.index, d.name, d.platform)).collect();
        format!("no device #{index} {name} ({platform}) here; this process sees {}", seen.join(", "))
    })?;
    let source = std::fs::read_to_string(source).map_err(|e| format!("reading {source}: {e}"))?;
    let context = Context::from_device(&dev.device).map_err(|e| format!("creating a context: {e}"))?;
    let binary = program::build_binary(&context, dev, &source, options).map_err(|e: BuildError| e.to_string())?;
    program::from_binary(&context, dev, &binary, options).map_err(|e| format!("loading the built binary: {e}"))?;
    program::store(&binary, Path::new(out))
}

/// The parent's device among this process's: a process may see the platforms' devices in
/// another order or without some platform, so the index alone is not enough. Devices of the same
/// model and platform build the same binary, so any of them will do where the index differs.
fn same_device<'a>(devices: &'a [DeviceInfo], index: usize, platform: &str, name: &str) -> Option<&'a DeviceInfo> {
    let same = |d: &&DeviceInfo| d.platform == platform && d.name == name;
    devices.iter().filter(same).find(|d| d.index == index).or_else(|| devices.iter().find(same))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceKind;

    #[test]
    fn helpers_get_the_starting_environment() {
        let dev = DeviceInfo::fake(1, "H100", DeviceKind::Gpu, "NVIDIA CUDA");
        let start = [(OsString::from("OCL_ICD_FILENAMES"), OsString::from("libpocl.so.2:libnvidia-opencl.so.1"))];
        let cmd = command(Path::new("vv-run"), Some(&start), &dev, "-x", Path::new("p.cl"), Path::new("p.bin"));
        let envs: Vec<_> = cmd.get_envs().collect();
        assert_eq!(envs, [(start[0].0.as_os_str(), Some(start[0].1.as_os_str()))], "only what the process started with");
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args, [HELPER_ARG, "1", "NVIDIA CUDA", "H100", "-x", "p.cl", "p.bin"]);
        assert_eq!(command(Path::new("vv-run"), None, &dev, "", Path::new("a"), Path::new("b")).get_envs().count(), 0, "inherited");
    }

    #[test]
    fn finds_the_parents_device_where_indices_differ() {
        let cpu = DeviceInfo::fake(0, "cpu", DeviceKind::Cpu, "PoCL");
        let gpu = |i| DeviceInfo::fake(i, "H100", DeviceKind::Gpu, "NVIDIA CUDA");
        let here = [cpu.clone(), gpu(1), gpu(2)];
        assert_eq!(same_device(&here, 2, "NVIDIA CUDA", "H100").map(|d| d.index), Some(2));
        // The parent saw the GPU as #1 behind a platform this process lacks.
        assert_eq!(same_device(&[gpu(0)], 1, "NVIDIA CUDA", "H100").map(|d| d.index), Some(0));
        assert!(same_device(&here, 0, "NVIDIA CUDA", "A100").is_none());
        assert!(same_device(&[cpu], 1, "NVIDIA CUDA", "H100").is_none());
    }
}
