//! Times the OpenCL build of `.cl` files on the first GPU (else the first device):
//! `clbuild [--options OPTS] FILE...`, all files built in parallel threads.
//! For measuring how the shape of generated code affects driver compile time.

use opencl3::context::Context;
use opencl3::device::{Device, CL_DEVICE_TYPE_ALL, CL_DEVICE_TYPE_GPU};
use opencl3::platform::get_platforms;
use opencl3::program::Program;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = String::new();
    if args.first().map(String::as_str) == Some("--options") {
        options = args.remove(1);
        args.remove(0);
    }
    let mut devices = Vec::new();
    for p in get_platforms().expect("platforms") {
        for id in p.get_devices(CL_DEVICE_TYPE_ALL).unwrap_or_default() {
            devices.push(Device::new(id));
        }
    }
    let dev = devices
        .iter()
        .find(|d| d.dev_type().unwrap_or(0) & CL_DEVICE_TYPE_GPU != 0)
        .or(devices.first())
        .expect("no OpenCL device");
    let name = dev.name().unwrap_or_default();
    std::thread::scope(|s| {
        for file in &args {
            let (options, name) = (&options, &name);
            s.spawn(move || {
                let source = std::fs::read_to_string(file).expect("read .cl");
                let context = Context::from_device(dev).expect("context");
                let t = Instant::now();
                match Program::create_and_build_from_source(&context, &source, options) {
                    Ok(_) => println!("{file}: built in {:.2?} on {name} ({} lines)", t.elapsed(), source.lines().count()),
                    Err(log) => println!("{file}: FAILED after {:.2?}: {}", t.elapsed(), &log[..log.len().min(2000)]),
                }
            });
        }
    });
}
