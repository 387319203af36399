//! One run over several devices, on two PoCL CPU devices (`POCL_DEVICES="pthread pthread"`).
//! PoCL reads `POCL_DEVICES` once, when OpenCL is first used, so every test here runs its work in
//! a child process that has it set: `vv-run` itself, or this test binary re-run on one test
//! (`in_child`). Where there are not two PoCL pthread devices (no OpenCL, another platform), the
//! tests say so and pass.

mod common;

use common::{bundle, echo_bundle, temp_dir, KERNELS};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use vv_loader::{
    CachePolicy, DeviceChoice, DeviceError, Invoke, LoadError, LoadOptions, Loader, MultiLoader, RunConfig, RunError, Stdin,
    VmStatus,
};

const POCL_DEVICES: &str = "pthread pthread";
const CHILD: &str = "VV_MULTI_DEVICE_CHILD";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn vv_run(args: &[&str], cwd: &Path, fault: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vv-run"));
    cmd.args(args).current_dir(cwd).env("POCL_DEVICES", POCL_DEVICES).env("VV_CACHE_DIR", cwd.join("cache"));
    match fault {
        Some(f) => cmd.env("VV_INJECT_FAULT", f),
        None => cmd.env_remove("VV_INJECT_FAULT"),
    };
    cmd.output().expect("vv-run starts")
}

/// The indices of the PoCL pthread devices `vv-run --list-devices` shows with two of them asked
/// for, or `None` (with a note) where there are fewer than two.
fn pthread_devices(dir: &Path) -> Option<Vec<usize>> {
    let out = vv_run(&["--list-devices"], dir, None);
    let list = text(&out.stdout);
    // Device lines read "<mark><index>  <type>  <name> ...".
    let found: Vec<usize> =
        list.lines().filter(|l| l.contains("pthread")).filter_map(|l| l.get(1..3)?.trim().parse().ok()).collect();
    if found.len() < 2 {
        eprintln!("skipping: no two PoCL pthread devices with POCL_DEVICES={POCL_DEVICES:?}: {}{}", list, text(&out.stderr));
        return None;
    }
    Some(found)
}

/// Runs the calling test in a child process with `POCL_DEVICES` set; returns true in the child
/// (which then does the work), false in the parent once the child has passed.
fn in_child(test: &str) -> bool {
    if std::env::var(CHILD).as_deref() == Ok(test) {
        return true;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .env("POCL_DEVICES", POCL_DEVICES)
        .env_remove("VV_INJECT_FAULT")
        .output()
        .expect("test binary starts");
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "child run of {test} failed:\n{log}");
    assert!(log.contains("1 passed"), "the child ran no test:\n{log}");
    eprint!("{log}");
    false
}

/// The two PoCL pthread devices in this (child) process, or `None` with a note.
fn two_devices() -> Option<[usize; 2]> {
    let devices = match vv_loader::device::enumerate() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: {e}");
            return None;
        }
    };
    let found: Vec<usize> = devices.iter().filter(|d| d.name.contains("pthread")).map(|d| d.index).collect();
    if found.len() < 2 {
        eprintln!("skipping: fewer than two PoCL pthread devices");
        return None;
    }
    Some([found[0], found[1]])
}

/// The test kernels under a comment naming the test: PoCL keeps one kernel-cache entry per
/// source text, and two processes using one entry at once can get an incomplete binary back, so
/// tests that run at once use sources of their own.
fn kernels(test: &str) -> String {
    format!("/* {test} */\n{KERNELS}")
}

fn no_cache() -> LoadOptions {
    LoadOptions { cache: CachePolicy::Never, ..LoadOptions::default() }
}

/// A mix of exports for 9 VMs: results, argv, stdin, and the echo program.
fn mixed_run() -> RunConfig {
    let invoke = vec![
        (1, vec![40, 2]),
        (3, vec![]),
        (2, vec![]),
        (5, vec![]),
        (1, vec![7, 8]),
        (5, vec![]),
        (3, vec![]),
        (2, vec![]),
        (5, vec![]),
    ];
    let stdin = (0..9).map(|vm| if vm == 8 { b"!bang".to_vec() } else { format!("input of {vm}\n").repeat(vm * 40).into_bytes() }).collect::<Vec<_>>();
    RunConfig {
        vms: 9,
        args: vec!["--vm={vm}".into(), "x".into()],
        stdin: Stdin::per_vm(stdin),
        invoke: Invoke::PerVm(invoke),
        local_size: Some(1),
        seed: Some(7),
        ..RunConfig::default()
    }
}

#[test]
fn library_two_devices_give_what_one_gives() {
    if !in_child("library_two_devices_give_what_one_gives") {
        return;
    }
    let Some([a, b]) = two_devices() else { return };
    let cfg = mixed_run();
    // A split bundle: devices that share one build run its whole program (partitions that do not
    // build would fail the load).
    let mut split = bundle(40, &kernels("library_two_devices_give_what_one_gives"));
    split.whole = Some(std::mem::replace(&mut split.partitions, vec!["#error not built".into(), "#error not built".into()]).remove(0));
    let multi = MultiLoader::new(split, &[DeviceChoice::Index(a), DeviceChoice::Index(b)], &no_cache()).unwrap();
    let builds = multi.build_infos();
    assert_eq!(builds.len(), 2);
    assert!(builds[1].1.to_string().contains(&format!("shared from device #{a}")), "one build for one model: {}", builds[1].1);
    assert_eq!(multi.plan(9, None).unwrap(), vec![0..5, 5..9], "equal devices, the odd VM to the first");
    let report = multi.run(&cfg).unwrap();

    let single = Loader::with_options(bundle(40, &kernels("library_two_devices_give_what_one_gives")), &DeviceChoice::Index(a), &no_cache()).unwrap();
    let one = single.run(&cfg).unwrap();
    assert_eq!(report.outcomes, one.outcomes, "every VM as on one device");

    let o = &report.outcomes;
    assert_eq!((o[0].status.clone(), o[0].results[0]), (VmStatus::Exited(0), 42));
    assert_eq!(o[4].results[0], 15, "VM 4 runs on the second device");
    assert_eq!(o[6].stdout, b"t.wasm\0--vm=6\0x\0", "{{vm}} is the VM's index on every device");
    assert_eq!(o[6].status, VmStatus::Exited(3));
    assert_eq!(o[7].stdout, "input of 7\n".repeat(280).into_bytes(), "VM 7 reads its own stdin");
    let echo5 = [b"t.wasm\0--vm=5\0x\0".to_vec(), "input of 5\n".repeat(200).into_bytes()].concat();
    assert_eq!(o[5].stdout, echo5);
    assert_eq!(o[5].status, VmStatus::Exited(2200 % 3));
    assert_eq!(o[8].status, VmStatus::Trapped { trap: vv_loader::abi::Trap::Unreachable, function: "boom".into() });

    assert_eq!(report.shards.len(), 2);
    assert_eq!((report.shards[0].vms.clone(), report.shards[1].vms.clone()), (0..5, 5..9));
    assert_eq!(report.shards[0].device_index, a);
    assert_eq!(report.launches, report.shards[0].launches + report.shards[1].launches);
    assert_eq!(report.hypercalls, one.hypercalls, "the same calls, split between the devices");
    assert!(report.shards.iter().all(|s| s.error.is_none() && s.launches > 0));
    let summary = report.summary();
    assert!(summary.contains("vv-run: 2 devices"), "{summary}");
    assert!(summary.contains(&format!("device #{a} ")) && summary.contains("VMs 5..9 (4, 44.4%)"), "{summary}");

    // Fewer VMs than devices: the second device gets none and is not launched.
    let report = multi.run(&RunConfig { vms: 1, invoke: Invoke::PerVm(vec![(1, vec![1, 2])]), ..RunConfig::default() }).unwrap();
    assert_eq!(report.outcomes[0].results[0], 3);
    assert_eq!((report.shards[1].vms.len(), report.shards[1].launches), (0, 0));
}

#[test]
fn library_device_failure_loses_no_vm() {
    if !in_child("library_device_failure_loses_no_vm") {
        return;
    }
    let Some([a, b]) = two_devices() else { return };
    let mut cfg = mixed_run();
    let Invoke::PerVm(list) = &mut cfg.invoke else { unreachable!() };
    list[6] = (6, vec![]); // VM 6, on the second device, breaks the ABI.
    let multi = MultiLoader::new(bundle(41, &kernels("library_device_failure_loses_no_vm")), &[DeviceChoice::Index(a), DeviceChoice::Index(b)], &no_cache()).unwrap();
    let report = multi.run(&cfg).unwrap();
    let clean = multi.run(&mixed_run()).unwrap();
    assert_eq!(report.outcomes.len(), 9);
    assert_eq!(report.outcomes[..5], clean.outcomes[..5], "the first device's VMs finish as usual");
    for (vm, o) in report.outcomes.iter().enumerate().skip(5) {
        match &o.status {
            VmStatus::DeviceFailed { device, error } => {
                assert!(device.starts_with(&format!("#{b} ")), "{device}");
                assert!(error.contains("VM 6 has status word 99"), "the error names the VM by its index in the run: {error}");
            }
            other => panic!("VM {vm}: {other:?}"),
        }
    }
    let shard = &report.shards[1];
    assert!(shard.error.as_deref().unwrap_or("").contains("ABI violation"), "{shard:?}");
    assert_eq!(report.exit_code(), 3);
    assert_eq!(report.counts().device_failed, 4);
    let summary = report.summary();
    assert!(summary.contains(&format!("error: device #{b} (")) && summary.contains("its VMs 5..9 did not finish"), "{summary}");

    // One device: the same fault fails the whole run, naming the VM.
    let single = Loader::with_options(bundle(41, &kernels("library_device_failure_loses_no_vm")), &DeviceChoice::Index(a), &no_cache()).unwrap();
    let err = single.run(&cfg).unwrap_err();
    assert!(matches!(err, RunError::Abi(_)) && err.to_string().contains("VM 6 has status word 99"), "{err}");
}

#[test]
fn library_choice_errors() {
    if !in_child("library_choice_errors") {
        return;
    }
    let Some([a, b]) = two_devices() else { return };
    let twice = MultiLoader::new(bundle(42, &kernels("library_choice_errors")), &[DeviceChoice::Index(a), DeviceChoice::Index(a)], &no_cache());
    assert!(matches!(twice, Err(LoadError::Device(DeviceError::Duplicate { .. }))));
    assert!(matches!(MultiLoader::new(bundle(42, &kernels("library_choice_errors")), &[], &no_cache()), Err(LoadError::Device(DeviceError::EmptySet))));

    let broken = "kernel void vv_run(global uint* state) { state[0] = undefined_name; }";
    let err = match MultiLoader::new(bundle(43, broken), &[DeviceChoice::Index(a), DeviceChoice::Index(b)], &no_cache()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a broken program built"),
    };
    assert!(err.contains(&format!("device #{a} (")) && err.contains("undefined_name"), "{err}");
    assert!(err.contains(&format!("device #{b} (")) && err.contains("not tried"), "{err}");

    let mut big = bundle(44, &kernels("library_choice_errors"));
    big.memory.max_pages = 1024;
    let multi = MultiLoader::new(big, &[DeviceChoice::Index(a), DeviceChoice::Index(b)], &no_cache()).unwrap();
    let err = multi.run(&RunConfig { vms: 1 << 24, ..RunConfig::default() }).unwrap_err();
    match &err {
        RunError::Fit(fit) => assert!(fit.max_vms > 0 && fit.max_vms < 1 << 24 && fit.device.contains("2 devices"), "{fit}"),
        other => panic!("{other}"),
    }
}

/// Per-VM stdin for the echo program: VM 4 traps, the others exit with their input length % 3.
fn write_inputs(dir: &Path, vms: usize) {
    std::fs::create_dir_all(dir.join("in")).unwrap();
    for vm in 0..vms {
        let input = if vm == 4 { "!no".to_string() } else { format!("line {vm}\n").repeat(vm + 1) };
        std::fs::write(dir.join("in").join(vm.to_string()), input).unwrap();
    }
}

fn read_outputs(dir: &Path, vms: usize) -> Vec<(String, String)> {
    (0..vms)
        .map(|vm| {
            let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{vm}.{ext}"))).unwrap();
            (read("out"), read("err"))
        })
        .collect()
}

fn status_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("status.json")).unwrap()).unwrap()
}

#[test]
fn cli_devices_match_one_device() {
    let dir = temp_dir("multi-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let Some(devs) = pthread_devices(&dir) else { return };
    std::fs::write(dir.join("echo.vvk"), vv_bundle::write_bundle(&echo_bundle(45, "cli_devices_match_one_device")).unwrap()).unwrap();
    write_inputs(&dir, 9);
    let common = ["echo.vvk", "--vms", "9", "--local-size", "1", "--stdin-dir", "in"];
    let run = |extra: &[&str], fault| vv_run(&[&common[..], extra].concat(), &dir, fault);

    let multi = run(&["--devices", "pthread", "--out-dir", "multi", "--", "id={vm}", "x"], None);
    let err = text(&multi.stderr);
    assert_eq!(multi.status.code(), Some(1), "VM 4 traps: {err}");
    let one = run(&["--device", &devs[0].to_string(), "--out-dir", "one", "--", "id={vm}", "x"], None);
    assert_eq!(one.status.code(), Some(1), "{}", text(&one.stderr));

    let outputs = read_outputs(&dir.join("multi"), 9);
    assert_eq!(outputs, read_outputs(&dir.join("one"), 9), "the same outputs as on one device");
    assert_eq!(status_json(&dir.join("multi")), status_json(&dir.join("one")));
    assert_eq!(outputs[7].0, format!("t.wasm\0id=7\0x\0{}", "line 7\n".repeat(8)), "VM 7: its index and its stdin file");
    let status = status_json(&dir.join("multi"));
    assert_eq!(status[4], json!({"vm": 4, "trap": "unreachable", "function": "boom"}));
    assert_eq!(status[7], json!({"vm": 7, "exit": 56 % 3}));

    for needle in [
        format!("vv-run: device #{}: device binary:", devs[0]),
        format!("vv-run: device #{}: device binary: shared from device #{}", devs[1], devs[0]),
        "vv-run: 2 devices".to_string(),
        "9 VMs: 8 exited (3 with code 0), 1 trapped, 0 still running".to_string(),
        format!("device #{} pthread", devs[0]),
        "VMs 0..5 (5, 55.6%)".to_string(),
        "VMs 5..9 (4, 44.4%)".to_string(),
        "VM 4 trapped: unreachable in boom".to_string(),
    ] {
        assert!(err.contains(&needle), "stderr lacks {needle:?}:\n{err}");
    }

    // Now in the binary cache: every device loads it from there.
    let again = run(&["--devices", "pthread", "--out-dir", "again", "--", "id={vm}", "x"], None);
    let err = text(&again.stderr);
    for dev in devs.iter().take(2) {
        assert!(err.contains(&format!("vv-run: device #{dev}: device binary: cached")), "{err}");
    }
    assert_eq!(read_outputs(&dir.join("again"), 9), outputs);

    // Two VMs at a time on each device needs `vv_reset`, which these hand-written kernels lack:
    // each device fails before its VMs start, and every VM is reported with the error.
    let slots = run(&["--devices", "pthread", "--resident", "2", "--out-dir", "slots", "--", "id={vm}", "x"], None);
    let err = text(&slots.stderr);
    assert_eq!(slots.status.code(), Some(3), "{err}");
    let status = status_json(&dir.join("slots"));
    for vm in 0..9 {
        assert!(status[vm]["device_error"].as_str().is_some_and(|e| e.contains("vv_reset")), "VM {vm}: {}\n{err}", status[vm]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cli_device_failures_are_clear_and_lose_nothing() {
    let dir = temp_dir("multi-cli-fail");
    std::fs::create_dir_all(&dir).unwrap();
    let Some(devs) = pthread_devices(&dir) else { return };
    std::fs::write(dir.join("echo.vvk"), vv_bundle::write_bundle(&echo_bundle(46, "cli_device_failures_are_clear_and_lose_nothing")).unwrap()).unwrap();
    write_inputs(&dir, 9);
    let two = format!("{},{}", devs[0], devs[1]);
    let args = |out: &'static str| -> Vec<String> {
        ["echo.vvk", "--vms", "9", "--local-size", "1", "--stdin-dir", "in", "--devices", &two, "--out-dir", out, "--", "id={vm}"]
            .map(String::from)
            .to_vec()
    };
    let run = |out: &'static str, fault: Option<&str>| {
        let a = args(out);
        vv_run(&a.iter().map(String::as_str).collect::<Vec<_>>(), &dir, fault)
    };

    // The second device cannot build: nothing runs, the error names it.
    let out = run("none", Some(&format!("build@{}", devs[1])));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("failed on 1 of 2 devices\ndevice #{} (pthread", devs[1])), "{err}");
    assert!(err.contains("CL_BUILD_PROGRAM_FAILURE"), "{err}");
    assert!(!dir.join("none").exists(), "nothing ran");

    // The second device fails at its 4th launch, after the VMs wrote their argv.
    let clean = run("clean", None);
    assert_eq!(clean.status.code(), Some(1), "{}", text(&clean.stderr));
    let out = run("failed", Some(&format!("launch@{}:4", devs[1])));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("error: device #{} (pthread", devs[1])) && err.contains("its VMs 5..9 did not finish"), "{err}");
    assert!(err.contains("9 VMs: 4 exited (1 with code 0), 1 trapped, 0 still running, 4 not finished because their device failed"), "{err}");
    let (status, want) = (status_json(&dir.join("failed")), status_json(&dir.join("clean")));
    assert_eq!(status.as_array().unwrap().len(), 9, "every VM is reported");
    assert_eq!(status.as_array().unwrap()[..5], want.as_array().unwrap()[..5], "the first device's VMs as usual");
    let outputs = read_outputs(&dir.join("failed"), 9);
    assert_eq!(outputs[..5], read_outputs(&dir.join("clean"), 9)[..5]);
    for vm in 5..9 {
        assert_eq!(status[vm]["vm"], vm);
        assert!(status[vm]["device_error"].as_str().unwrap().contains("VV_INJECT_FAULT"), "{}", status[vm]);
        assert!(status[vm]["device"].as_str().unwrap().starts_with(&format!("#{} pthread", devs[1])), "{}", status[vm]);
        assert_eq!(outputs[vm].0, format!("t.wasm\0id={vm}\0"), "VM {vm}'s output up to the failure is kept");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
