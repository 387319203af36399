//! The library's error types: what can go wrong loading a bundle onto a device, and running it.
//! Callers match on these; `anyhow` stays in `main.rs`.

use crate::device::DeviceError;
use crate::program::BuildError;
use crate::vm_state::FitError;
use opencl3::error_codes::ClError;
use std::path::PathBuf;
use vv_bundle::BundleError;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // The messages carry the cause themselves (not as a `source`), so that a report of the chain
    // does not say it twice.
    #[error("cannot read bundle {}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },
    #[error("{}: {error}", path.display())]
    Bundle { path: PathBuf, error: BundleError },
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("OpenCL error while {what}: {code}")]
    Cl { what: &'static str, code: ClError },
    #[error("not tried: device #{device}, of the same model, driver and options, failed to build the program")]
    SameKindFailed { device: usize },
    #[error("loading panicked: {0}")]
    Panicked(String),
    /// A multi-device load where some devices failed: the run needs every chosen device.
    #[error("{}", list_failures(failures, *devices))]
    Devices { failures: Vec<DeviceLoadError>, devices: usize },
}

/// What went wrong on one device of a multi-device load.
#[derive(Debug)]
pub struct DeviceLoadError {
    pub index: usize,
    pub name: String,
    pub error: LoadError,
}

fn list_failures(failures: &[DeviceLoadError], devices: usize) -> String {
    let untried = failures.iter().filter(|f| matches!(f.error, LoadError::SameKindFailed { .. })).count();
    let mut s = format!("loading the program failed on {} of {devices} devices", failures.len() - untried);
    if untried > 0 {
        s += &format!(" ({untried} more not tried)");
    }
    for f in failures {
        s += &format!("\ndevice #{} ({}): {}", f.index, f.name, f.error);
    }
    s
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid run configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error("OpenCL error while {what}: {code}{}", out_of_memory_hint(code))]
    Cl { what: &'static str, code: ClError },
    /// The kernel left a word the ABI does not allow (a compiler or loader bug).
    #[error("ABI violation: {0}")]
    Abi(String),
}

/// Drivers allocate lazily: running out of device memory often shows only at a later command.
fn out_of_memory_hint(code: &ClError) -> &'static str {
    match code.0 {
        // CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY
        -6..=-4 => " (the device or host may be out of memory: try fewer VMs or a smaller heap)",
        _ => "",
    }
}

/// Attaches what was being done to an OpenCL error.
pub(crate) trait ClContext<T> {
    fn cl(self, what: &'static str) -> Result<T, RunError>;
}

impl<T> ClContext<T> for Result<T, ClError> {
    fn cl(self, what: &'static str) -> Result<T, RunError> {
        self.map_err(|code| RunError::Cl { what, code })
    }
}
