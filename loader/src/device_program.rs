//! One device with the bundle built for it: context, queue, the built programs (one per
//! partition) and the loader's helper kernels. What `Loader` holds for its device and `MultiLoader` for each of its devices.

use crate::device::DeviceInfo;
use crate::error::LoadError;
use crate::program::{self, Binaries, BuildInfo, Share};
use crate::helper_kernels::HelperKernels;
use crate::LoadOptions;
use opencl3::command_queue::CommandQueue;
use opencl3::context::Context;
use opencl3::program::Program;
use vv_bundle::Bundle;

pub(crate) struct DeviceProgram {
    /// One program per partition of the bundle; the first has `vv_init` and `vv_reset`.
    pub programs: Vec<Program>,
    pub helpers: HelperKernels,
    pub queue: CommandQueue,
    pub context: Context,
    pub device: DeviceInfo,
    pub build: BuildInfo,
}

impl DeviceProgram {
    /// Creates a context and queue on `device` and builds (or loads) the programs; with
    /// `Share::Lead` also returns the device binaries for devices of the same kind.
    pub fn open(bundle: &Bundle, device: &DeviceInfo, opts: &LoadOptions, share: Share) -> Result<(DeviceProgram, Option<Binaries>), LoadError> {
        let device = device.clone();
        let context = Context::from_device(&device.device).map_err(|code| LoadError::Cl { what: "creating a context", code })?;
        let queue = create_queue(&context, &device)?;
        let (programs, build, binary) = program::load_or_build_shared(&context, &device, bundle, opts, share)?;
        let helpers = HelperKernels::build(&context, &device)
            .map_err(|code| LoadError::Cl { what: "building the loader's helper kernels", code })?;
        Ok((DeviceProgram { programs, helpers, queue, context, device, build }, binary))
    }
}

#[allow(deprecated)]
fn create_queue(context: &Context, device: &DeviceInfo) -> Result<CommandQueue, LoadError> {
    let id = device.device.id();
    // SAFETY: the device belongs to the context.
    unsafe { CommandQueue::create_with_properties(context, id, 0, 0).or_else(|_| CommandQueue::create(context, id, 0)) }
        .map_err(|code| LoadError::Cl { what: "creating a command queue", code })
}
