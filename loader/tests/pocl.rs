//! End to end on a real OpenCL device (PoCL here): a hand-written bundle whose kernels follow the
//! ABI of `vv_bundle::abi` proves the launch loop, hypercall servicing, caching and reporting.

mod common;

use common::{bundle, temp_dir, KERNELS};
use vv_loader::abi::Trap;
use vv_loader::{
    BinarySource, Bundle, CachePolicy, DeviceChoice, DeviceError, Invoke, LoadError, LoadOptions, Loader, RunConfig,
    RunError, Stdin, VmStatus,
};

/// A loader on the default device, or `None` (with a note) where this machine has no OpenCL.
fn load(bundle: Bundle, opts: &LoadOptions) -> Option<Loader> {
    match Loader::with_options(bundle, &DeviceChoice::Default, opts) {
        Ok(l) => Some(l),
        Err(LoadError::Device(e @ (DeviceError::NoRuntime | DeviceError::NoPlatform | DeviceError::NoDevices))) => {
            eprintln!("skipping: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn no_cache() -> LoadOptions {
    LoadOptions { cache: CachePolicy::Never, ..LoadOptions::default() }
}

#[test]
fn hello_per_vm_with_trap_and_extra_launches() {
    let Some(loader) = load(bundle(1, KERNELS), &no_cache()) else { return };
    let report = loader.run(&RunConfig { vms: 12, ..RunConfig::default() }).unwrap();
    for (vm, o) in report.outcomes.iter().enumerate() {
        assert_eq!(String::from_utf8_lossy(&o.stdout), format!("hello {vm}\n"), "VM {vm}");
        let want = match vm {
            4 => VmStatus::Trapped { trap: Trap::Unreachable, function: "boom".into() },
            _ => VmStatus::Exited(vm as u32 % 3),
        };
        assert_eq!(o.status, want, "VM {vm}");
    }
    assert_eq!(report.hypercalls, 12);
    assert_eq!(report.launches, 4, "hypercall, reply, two more for VM 5");
    assert_eq!(report.exit_code(), 1);
    let summary = report.summary();
    assert!(summary.contains("12 VMs: 11 exited (4 with code 0), 1 trapped, 0 still running"), "{summary}");
    assert!(summary.contains("VM 4 trapped: unreachable in boom"), "{summary}");
}

#[test]
fn exports_stdin_args_and_launch_limit() {
    let Some(loader) = load(bundle(2, KERNELS), &no_cache()) else { return };
    let input: Vec<u8> = (0..2500u32).map(|i| b'a' + (i % 26) as u8).collect();
    let cfg = RunConfig {
        vms: 5,
        args: vec!["--id={vm}".into(), "x y".into()],
        stdin: Stdin::per_vm([vec![], input.clone(), vec![], vec![], b"short".to_vec()]),
        invoke: Invoke::PerVm(vec![(1, vec![40, 2]), (2, vec![]), (3, vec![]), (4, vec![]), (2, vec![])]),
        max_launches: Some(30),
        local_size: Some(1),
        ..RunConfig::default()
    };
    let report = loader.run(&cfg).unwrap();
    let o = &report.outcomes;
    assert_eq!((o[0].status.clone(), o[0].results.clone()), (VmStatus::Exited(0), vec![42, 2]));
    assert_eq!(o[1].status, VmStatus::Exited(0));
    assert_eq!(o[1].stdout, input, "cat through 1003-byte reads");
    assert_eq!(o[2].stdout, b"t.wasm\0--id=2\0x y\0");
    assert_eq!(o[2].status, VmStatus::Exited(3), "argc");
    assert_eq!(o[3].status, VmStatus::Running { function: "spin_loop".into() });
    assert_eq!(o[4].stdout, b"short");
    assert_eq!(report.launches, 30);
    // cat of 2500 bytes: 4 reads and 3 writes; args: 3 calls; "short": 2 reads and a write.
    assert_eq!(report.hypercalls, 7 + 3 + 3);
}

#[test]
fn binary_cache_round_trip() {
    let dir = temp_dir("cache");
    let opts = LoadOptions { cache: CachePolicy::Always, cache_dir: Some(dir.clone()), ..LoadOptions::default() };
    let Some(first) = load(bundle(3, KERNELS), &opts) else { return };
    assert_eq!(first.build_info().source, BinarySource::Built);
    let file = first.build_info().cache_file.clone().expect("binary cached");
    assert!(file.starts_with(dir.join("programs")) && file.extension().unwrap() == "bin");
    drop(first);

    let second = load(bundle(3, KERNELS), &opts).unwrap();
    assert_eq!(second.build_info().source, BinarySource::Cached);
    assert!(second.build_info().to_string().contains("cached"));
    let report = second.run(&RunConfig { vms: 3, ..RunConfig::default() }).unwrap();
    assert_eq!(report.outcomes[2].stdout, b"hello 2\n");

    std::fs::write(&file, b"not a binary").unwrap();
    let third = load(bundle(3, KERNELS), &opts).unwrap();
    assert_eq!(third.build_info().source, BinarySource::Built);
    assert!(third.build_info().note.as_deref().unwrap_or("").contains("rebuilt"), "{:?}", third.build_info());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn build_failure_carries_the_log() {
    let broken = "kernel void vv_run(global uint* state) { state[0] = undefined_name; }";
    let err = match Loader::with_options(bundle(4, broken), &DeviceChoice::Default, &no_cache()) {
        Err(LoadError::Build(e)) => e.to_string(),
        Err(LoadError::Device(e)) => return eprintln!("skipping: {e}"),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a broken program built"),
    };
    assert!(err.contains("undefined_name"), "{err}");
}

#[test]
fn too_many_vms_is_a_clear_error() {
    let mut b = bundle(5, KERNELS);
    b.memory.max_pages = 1024;
    let Some(loader) = load(b, &no_cache()) else { return };
    let err = loader.run(&RunConfig { vms: 1 << 24, ..RunConfig::default() }).unwrap_err();
    match &err {
        RunError::Fit(fit) => assert!(fit.max_vms > 0 && fit.max_vms < 1 << 24),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("VMs fit"), "{err}");
}

#[test]
fn timeout_reports_running_vms_and_same_stdin_reaches_all() {
    let Some(loader) = load(bundle(6, KERNELS), &no_cache()) else { return };
    let cfg = RunConfig {
        vms: 3,
        stdin: Stdin::Same(b"shared input"[..].into()),
        invoke: Invoke::PerVm(vec![(2, vec![]), (4, vec![]), (2, vec![])]),
        timeout: Some(std::time::Duration::from_millis(200)),
        ..RunConfig::default()
    };
    let report = loader.run(&cfg).unwrap();
    assert_eq!(report.outcomes[0].stdout, b"shared input");
    assert_eq!(report.outcomes[2].stdout, b"shared input");
    assert_eq!(report.outcomes[1].status, VmStatus::Running { function: "spin_loop".into() });
    assert!(report.wall >= std::time::Duration::from_millis(200) && report.launches > 3);
    assert_eq!(report.counts().running, 1);
    assert!(report.summary().contains("VM 1 still running in spin_loop"));
}
