//! Finding OpenCL devices: lists every device of every platform, formats `--list-devices`, and
//! picks one by index, name or type (first GPU, else first CPU), or a set of them for a run spread
//! over several devices (`--devices all`, `--devices 0,2`). Never by platform order alone.

use opencl3::device::{Device, CL_DEVICE_TYPE_ALL, CL_DEVICE_TYPE_CPU, CL_DEVICE_TYPE_GPU};
use opencl3::error_codes::ClError;
use opencl3::platform::get_platforms;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// `cl3`'s code for "libOpenCL could not be loaded".
const RUNTIME_LOAD_FAILED: i32 = -2000;
/// `CL_PLATFORM_NOT_FOUND_KHR`: the ICD loader found no platform.
const PLATFORM_NOT_FOUND: i32 = -1001;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no OpenCL runtime found (libOpenCL.so.1 could not be loaded); install an ICD loader and a driver, e.g. `apt install ocl-icd-libopencl1 pocl-opencl-icd`")]
    NoRuntime,
    #[error("no OpenCL platform found: the OpenCL loader is installed but no driver (ICD) is registered under /etc/OpenCL/vendors")]
    NoPlatform,
    #[error("no OpenCL devices found on any platform")]
    NoDevices,
    #[error("no device #{index}: there are {count} devices (see --list-devices)")]
    NoSuchIndex { index: usize, count: usize },
    #[error("no device name contains {name:?} (see --list-devices)")]
    NoSuchName { name: String },
    #[error("device #{index} ({name}) is chosen twice")]
    Duplicate { index: usize, name: String },
    #[error("no devices chosen")]
    EmptySet,
    #[error("OpenCL error while listing devices: {0}")]
    Cl(ClError),
}

/// Broad class of a device; selection prefers GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Gpu,
    Cpu,
    Other,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Gpu => "GPU",
            DeviceKind::Cpu => "CPU",
            DeviceKind::Other => "other",
        })
    }
}

/// One device, with what selection, caching and memory planning need to know.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    /// Position in the list of all devices of all platforms.
    pub index: usize,
    pub name: String,
    pub kind: DeviceKind,
    pub platform: String,
    pub platform_version: String,
    pub driver_version: String,
    /// `CL_DEVICE_GLOBAL_MEM_SIZE` in bytes.
    pub global_mem: u64,
    /// `CL_DEVICE_MAX_MEM_ALLOC_SIZE` in bytes.
    pub max_alloc: u64,
    /// `CL_DEVICE_MAX_COMPUTE_UNITS` (0 if unknown).
    pub compute_units: u32,
    /// `CL_DEVICE_MAX_CLOCK_FREQUENCY` in MHz (0 if unknown).
    pub clock_mhz: u32,
    /// NVIDIA's compute capability, major number (`CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV`; 0 on
    /// other devices or if unknown).
    pub nv_compute_major: u32,
    pub(crate) device: Device,
}

impl DeviceInfo {
    /// The largest buffer the VM buffers may use. `CL_DEVICE_MAX_MEM_ALLOC_SIZE`, except on NVIDIA,
    /// whose driver allocates and uses far larger buffers (a 64 GiB one on an H200 reporting
    /// 35 GiB, driver 580), and where `VV_IGNORE_MAX_ALLOC` is set: then global memory bounds it.
    pub fn buffer_limit(&self) -> u64 {
        let ignore = self.is_nvidia() || crate::env_flag("VV_IGNORE_MAX_ALLOC");
        if ignore {
            self.global_mem.max(self.max_alloc)
        } else {
            self.max_alloc
        }
    }

    /// Whether NVIDIA's OpenCL driver runs the device (it takes `-cl-nv-*` build options).
    pub fn is_nvidia(&self) -> bool {
        self.platform.contains("NVIDIA")
    }

    /// Whether kernels may bring a warp's lanes together with `bar.warp.sync` wherever they are:
    /// NVIDIA GPUs from Volta (compute capability 7) on schedule a warp's lanes independently.
    pub fn has_warp_sync(&self) -> bool {
        self.is_nvidia() && self.nv_compute_major >= 7
    }

    /// Whether kernels may also pick which of a warp's lanes run (`match.any.sync`,
    /// `redux.sync`): NVIDIA GPUs from Ampere (compute capability 8) on.
    pub fn has_warp_gather(&self) -> bool {
        self.is_nvidia() && self.nv_compute_major >= 8
    }

    /// How much work the device does at once, for sharing VMs between devices: compute units x
    /// clock in MHz (0 if the driver reports neither). Comparable between devices of one kind and
    /// vendor (identical GPUs get equal shares, a smaller or slower one less); a CPU compute unit
    /// (a core) does far less than a GPU one, so mixing kinds with `--devices` under-loads GPUs.
    pub fn capacity(&self) -> u64 {
        self.compute_units as u64 * self.clock_mhz as u64
    }

    /// `#index name`, as messages name a device.
    pub fn label(&self) -> String {
        format!("#{} {}", self.index, self.name)
    }

    /// A device description for tests, with no OpenCL handle behind it.
    pub fn fake(index: usize, name: &str, kind: DeviceKind, platform: &str) -> DeviceInfo {
        DeviceInfo {
            index,
            name: name.into(),
            kind,
            platform: platform.into(),
            platform_version: String::new(),
            driver_version: String::new(),
            global_mem: 0,
            max_alloc: 0,
            compute_units: 0,
            clock_mhz: 0,
            nv_compute_major: 0,
            device: Device::new(std::ptr::null_mut()),
        }
    }
}

/// Which device to run on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// First GPU across all platforms, else the first CPU device, else the first device.
    #[default]
    Default,
    /// Position in `--list-devices`.
    Index(usize),
    /// Case-insensitive substring of the device name; the first match wins.
    Name(String),
}

impl FromStr for DeviceChoice {
    type Err = std::convert::Infallible;
    /// A number is an index, anything else a name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.parse::<usize>() {
            Ok(i) => DeviceChoice::Index(i),
            Err(_) => DeviceChoice::Name(s.to_string()),
        })
    }
}

/// Which devices one run spreads over (`--devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSet {
    /// Every GPU of every platform; with no GPU, every CPU device; with neither, every device.
    All,
    /// Devices by index, or every device whose name contains the text (case-insensitive).
    List(Vec<DeviceChoice>),
}

impl FromStr for DeviceSet {
    type Err = String;
    /// `all`, or a comma-separated list of indices and name parts: `0,2`, `h100`, `0,tesla`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(DeviceSet::All);
        }
        let items: Vec<&str> = s.split(',').map(str::trim).collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(format!("expected `all` or a comma-separated list of device indices or names, got {s:?}"));
        }
        Ok(DeviceSet::List(items.into_iter().map(|i| i.parse().expect("infallible")).collect()))
    }
}

fn cl_err(e: ClError) -> DeviceError {
    match e.0 {
        RUNTIME_LOAD_FAILED => DeviceError::NoRuntime,
        PLATFORM_NOT_FOUND => DeviceError::NoPlatform,
        _ => DeviceError::Cl(e),
    }
}

/// Serializes enumeration: PoCL 3.1 initializes its devices lazily inside clGetDeviceIDs and
/// crashes when two threads enumerate at once.
static ENUMERATE: Mutex<()> = Mutex::new(());

/// Lists all devices of all platforms. A platform whose devices cannot be listed is skipped.
pub fn enumerate() -> Result<Vec<DeviceInfo>, DeviceError> {
    let _guard = ENUMERATE.lock().unwrap_or_else(|e| e.into_inner());
    crate::build_helper::remember_environment();
    let platforms = get_platforms().map_err(cl_err)?;
    if platforms.is_empty() {
        return Err(DeviceError::NoPlatform);
    }
    let mut out = Vec::new();
    for platform in platforms {
        let Ok(ids) = platform.get_devices(CL_DEVICE_TYPE_ALL) else { continue };
        let platform_name = platform.name().unwrap_or_default();
        let platform_version = platform.version().unwrap_or_default();
        for id in ids {
            let device = Device::new(id);
            let ty = device.dev_type().map_err(DeviceError::Cl)?;
            let kind = if ty & CL_DEVICE_TYPE_GPU != 0 {
                DeviceKind::Gpu
            } else if ty & CL_DEVICE_TYPE_CPU != 0 {
                DeviceKind::Cpu
            } else {
                DeviceKind::Other
            };
            out.push(DeviceInfo {
                index: out.len(),
                name: device.name().unwrap_or_default().trim().to_string(),
                kind,
                platform: platform_name.trim().to_string(),
                platform_version: platform_version.trim().to_string(),
                driver_version: device.driver_version().unwrap_or_default().trim().to_string(),
                global_mem: device.global_mem_size().unwrap_or(0),
                max_alloc: device.max_mem_alloc_size().unwrap_or(0),
                compute_units: device.max_compute_units().unwrap_or(0),
                clock_mhz: device.max_clock_frequency().unwrap_or(0),
                nv_compute_major: if platform_name.contains("NVIDIA") { device.compute_capability_major_nv().unwrap_or(0) } else { 0 },
                device,
            });
        }
    }
    if out.is_empty() {
        return Err(DeviceError::NoDevices);
    }
    Ok(out)
}

/// Picks a device from `devices` (pure: works on any list).
pub fn select<'a>(devices: &'a [DeviceInfo], choice: &DeviceChoice) -> Result<&'a DeviceInfo, DeviceError> {
    match choice {
        DeviceChoice::Default => devices
            .iter()
            .find(|d| d.kind == DeviceKind::Gpu)
            .or_else(|| devices.iter().find(|d| d.kind == DeviceKind::Cpu))
            .or_else(|| devices.first())
            .ok_or(DeviceError::NoDevices),
        DeviceChoice::Index(i) => {
            devices.get(*i).ok_or(DeviceError::NoSuchIndex { index: *i, count: devices.len() })
        }
        DeviceChoice::Name(name) => {
            let needle = name.to_lowercase();
            devices
                .iter()
                .find(|d| d.name.to_lowercase().contains(&needle))
                .ok_or_else(|| DeviceError::NoSuchName { name: name.clone() })
        }
    }
}

/// Picks the devices of a set (pure), sorted by index, each once. A name in a list picks every
/// device whose name contains it and fails if there is none.
pub fn select_set<'a>(devices: &'a [DeviceInfo], set: &DeviceSet) -> Result<Vec<&'a DeviceInfo>, DeviceError> {
    let mut out: Vec<&DeviceInfo> = match set {
        DeviceSet::All => {
            let of = |k| devices.iter().filter(|d| d.kind == k).collect::<Vec<_>>();
            [of(DeviceKind::Gpu), of(DeviceKind::Cpu), devices.iter().collect()].into_iter().find(|v| !v.is_empty()).unwrap_or_default()
        }
        DeviceSet::List(choices) => {
            let mut out = Vec::new();
            for choice in choices {
                match choice {
                    DeviceChoice::Name(name) => {
                        let needle = name.to_lowercase();
                        let found: Vec<_> = devices.iter().filter(|d| d.name.to_lowercase().contains(&needle)).collect();
                        if found.is_empty() {
                            return Err(DeviceError::NoSuchName { name: name.clone() });
                        }
                        out.extend(found);
                    }
                    other => out.push(select(devices, other)?),
                }
            }
            out
        }
    };
    if out.is_empty() {
        return Err(DeviceError::NoDevices);
    }
    out.sort_by_key(|d| d.index);
    out.dedup_by_key(|d| d.index);
    Ok(out)
}

/// Bytes as a short human-readable size.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The table `--list-devices` prints, marking the default choice.
pub fn format_list(devices: &[DeviceInfo]) -> String {
    let default = select(devices, &DeviceChoice::Default).ok().map(|d| d.index);
    let mut out = String::from("  #  type   name / platform / driver                      global mem  max alloc\n");
    for d in devices {
        let mark = if Some(d.index) == default { "*" } else { " " };
        out += &format!(
            "{mark}{:>2}  {:<5}  {:<44}  {:>10}  {:>9}\n         platform: {}, driver {}, {} compute units at {} MHz\n",
            d.index,
            d.kind.to_string(),
            d.name,
            human_bytes(d.global_mem),
            human_bytes(d.max_alloc),
            d.platform,
            d.driver_version,
            d.compute_units,
            d.clock_mhz,
        );
    }
    out += "(* = default: the first GPU, else the first CPU device; pick another with --device INDEX or --device NAME,\n \
            or spread a run over several with --devices all or --devices 0,2)\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Vec<DeviceInfo> {
        vec![
            DeviceInfo::fake(0, "pthread-skylake-avx512-Intel(R) Xeon(R)", DeviceKind::Cpu, "Portable Computing Language"),
            DeviceInfo::fake(1, "NVIDIA H100 80GB HBM3", DeviceKind::Gpu, "NVIDIA CUDA"),
            DeviceInfo::fake(2, "NVIDIA H100 80GB HBM3", DeviceKind::Gpu, "NVIDIA CUDA"),
        ]
    }

    #[test]
    fn default_prefers_gpu_over_platform_order() {
        assert_eq!(select(&machine(), &DeviceChoice::Default).unwrap().index, 1);
    }

    #[test]
    fn default_falls_back_to_cpu_then_anything() {
        let cpu_only = &machine()[..1];
        assert_eq!(select(cpu_only, &DeviceChoice::Default).unwrap().index, 0);
        let other = vec![DeviceInfo::fake(0, "fpga", DeviceKind::Other, "x")];
        assert_eq!(select(&other, &DeviceChoice::Default).unwrap().name, "fpga");
        assert!(matches!(select(&[], &DeviceChoice::Default), Err(DeviceError::NoDevices)));
    }

    #[test]
    fn by_index_and_name() {
        let m = machine();
        assert_eq!(select(&m, &"2".parse().unwrap()).unwrap().index, 2);
        assert_eq!(select(&m, &"xeon".parse().unwrap()).unwrap().index, 0);
        assert_eq!(select(&m, &"h100".parse().unwrap()).unwrap().index, 1);
        assert!(matches!(select(&m, &"7".parse().unwrap()), Err(DeviceError::NoSuchIndex { index: 7, count: 3 })));
        let err = select(&m, &"radeon".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("\"radeon\""), "{err}");
    }

    #[test]
    fn list_marks_default() {
        let text = format_list(&machine());
        let marked: Vec<_> = text.lines().filter(|l| l.starts_with('*')).collect();
        assert_eq!(marked.len(), 1);
        assert!(marked[0].contains("H100") && marked[0].starts_with("* 1"), "{text}");
    }

    #[test]
    fn sets() {
        let m = machine();
        let idx = |set: &str| select_set(&m, &set.parse().unwrap()).map(|v| v.iter().map(|d| d.index).collect::<Vec<_>>());
        assert_eq!(idx("all").unwrap(), vec![1, 2], "every GPU, not the CPU listed first");
        assert_eq!(idx("ALL").unwrap(), vec![1, 2]);
        assert_eq!(idx("2,0").unwrap(), vec![0, 2], "sorted by index");
        assert_eq!(idx("h100").unwrap(), vec![1, 2], "a name picks every match");
        assert_eq!(idx("1, h100,xeon").unwrap(), vec![0, 1, 2], "each device once");
        assert!(matches!(idx("0,9"), Err(DeviceError::NoSuchIndex { index: 9, .. })));
        assert!(matches!(idx("radeon"), Err(DeviceError::NoSuchName { .. })));
        assert!("0,,1".parse::<DeviceSet>().is_err());
        assert!("".parse::<DeviceSet>().is_err());
        let cpus = vec![
            DeviceInfo::fake(0, "pthread-a", DeviceKind::Cpu, "p"),
            DeviceInfo::fake(1, "fpga", DeviceKind::Other, "x"),
            DeviceInfo::fake(2, "pthread-b", DeviceKind::Cpu, "p"),
        ];
        let all: Vec<_> = select_set(&cpus, &DeviceSet::All).unwrap().iter().map(|d| d.index).collect();
        assert_eq!(all, vec![0, 2], "no GPU: every CPU device");
        assert_eq!(select_set(&cpus[1..2], &DeviceSet::All).unwrap()[0].name, "fpga");
        assert!(matches!(select_set(&[], &DeviceSet::All), Err(DeviceError::NoDevices)));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
