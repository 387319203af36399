//! Times the OpenCL build of `.cl` files on the first GPU (else the first device):
//! `clbuild [--options OPTS] [--binary-dir DIR] [--log] [--source-only] [--load-binaries] FILE...`,
//! all files built in parallel threads; `--binary-dir` writes each device binary (PTX on NVIDIA)
//! there, `--log` prints each build log (with `--options -cl-nv-verbose`, NVIDIA's register and
//! stack use per function). For measuring how the shape of generated code affects driver compile
//! time; each file is also rebuilt from its device binary, which times the driver's back end
//! alone, unless `--source-only`. `--load-binaries` takes device binaries as FILEs and times
//! loading each (what a process that finds a binary in vv's cache does).

use opencl3::context::Context;
use opencl3::device::{Device, CL_DEVICE_TYPE_ALL, CL_DEVICE_TYPE_GPU};
use opencl3::platform::get_platforms;
use opencl3::program::Program;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = String::new();
    let mut binary_dir: Option<String> = None;
    let mut log = false;
    let mut source_only = false;
    let mut load_binaries = false;
    loop {
        match args.first().map(String::as_str) {
            Some("--options") => {
                options = args.remove(1);
                args.remove(0);
            }
            Some("--source-only") => {
                source_only = true;
                args.remove(0);
            }
            Some("--load-binaries") => {
                load_binaries = true;
                args.remove(0);
            }
            Some("--log") => {
                log = true;
                args.remove(0);
            }
            Some("--binary-dir") => {
                binary_dir = Some(args.remove(1));
                args.remove(0);
            }
            _ => break,
        }
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
            let (options, name, binary_dir) = (&options, &name, &binary_dir);
            s.spawn(move || {
                let context = Context::from_device(dev).expect("context");
                if load_binaries {
                    let binary = std::fs::read(file).expect("read binary");
                    let t = Instant::now();
                    let loaded = Program::create_and_build_from_binary(&context, &[&binary], options);
                    println!("{file}: loaded {} KiB binary in {:.2?}{}", binary.len() / 1024, t.elapsed(), if loaded.is_ok() { "" } else { " (failed)" });
                    return;
                }
                let source = std::fs::read_to_string(file).expect("read .cl");
                let t = Instant::now();
                match Program::create_and_build_from_source(&context, &source, options) {
                    Ok(p) => {
                        let built = t.elapsed();
                        if log {
                            println!("{file}: build log:\n{}", p.get_build_log(dev.id()).unwrap_or_default());
                        }
                        // Rebuilding from the device binary (PTX on NVIDIA) times the back end
                        // alone (run with CUDA_CACHE_DISABLE=1 so the driver cannot reuse it).
                        let binary = p.get_binaries().expect("binary").remove(0);
                        if let Some(dir) = binary_dir {
                            let name = std::path::Path::new(file).file_name().expect("file name");
                            std::fs::write(std::path::Path::new(dir).join(name).with_extension("bin"), &binary).expect("write binary");
                        }
                        if source_only {
                            println!("{file}: built in {built:.2?} on {name} ({} lines)", source.lines().count());
                            return;
                        }
                        let t = Instant::now();
                        let rebuilt = Program::create_and_build_from_binary(&context, &[&binary], options);
                        println!(
                            "{file}: built in {built:.2?} on {name} ({} lines); from its {} KiB binary in {:.2?}{}",
                            source.lines().count(),
                            binary.len() / 1024,
                            t.elapsed(),
                            if rebuilt.is_ok() { "" } else { " (failed)" }
                        );
                    }
                    Err(log) => println!("{file}: FAILED after {:.2?}: {}", t.elapsed(), &log[..log.len().min(2000)]),
                }
            });
        }
    });
}
