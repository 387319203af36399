//! The C guests (clang + wasi-libc) as many VMs each with its own argv or stdin, every VM's
//! stdout and exit code compared byte for byte with the reference engine.

mod common;

use common::*;
use vv_bundle::BuildOptions;
use vv_loader::{RunConfig, Stdin, VmStatus};
use vv_testsuite::reference;

const VMS: usize = 256;

/// Runs `guest` with `argv[1] = {vm}` (or per-VM stdin) and compares every VM with the reference.
fn check_guest(guest: &str, stdin: Option<Vec<Vec<u8>>>) {
    check_program(&format!("guests/{guest}.wasm"), stdin);
}

/// `check_guest` for a program by its path under `testsuite/` (`.wasm` or `.wat`).
fn check_program(rel: &str, stdin: Option<Vec<Vec<u8>>>) {
    check_program_with(rel, stdin, None);
}

/// `check_program` with at most `resident` VMs on the device at once; returns the report.
fn check_program_with(rel: &str, stdin: Option<Vec<Vec<u8>>>, resident: Option<usize>) -> vv_loader::RunReport {
    let wasm = read(rel);
    let bundle = compile(rel, &BuildOptions::default());
    let name = bundle.source_name.clone();
    let loader = load(bundle);
    let cfg = RunConfig {
        vms: VMS,
        args: if stdin.is_some() { vec![] } else { vec!["{vm}".into()] },
        stdin: stdin.clone().map(Stdin::per_vm).unwrap_or_default(),
        resident,
        ..RunConfig::default()
    };
    let report = run_limited(&loader, cfg, rel);
    let mut failures = Vec::new();
    for (vm, o) in report.outcomes.iter().enumerate() {
        let mut argv = vec![name.clone()];
        if stdin.is_none() {
            argv.push(vm.to_string());
        }
        let input = stdin.as_ref().map(|s| s[vm].clone()).unwrap_or_default();
        let want = reference::run_command(&wasm, &argv, &[], &input);
        let exit_ok = match (&o.status, &want.exit) {
            (VmStatus::Exited(code), Ok(want_code)) => *code as i32 == *want_code,
            (VmStatus::Trapped { .. }, Err(_)) => true,
            _ => false,
        };
        if !exit_ok || o.stdout != want.stdout || o.stderr != want.stderr {
            failures.push(format!(
                "vm {vm}: device {:?} stdout {:?}\n  reference {:?} stdout {:?}",
                o.status,
                String::from_utf8_lossy(&o.stdout),
                want.exit,
                String::from_utf8_lossy(&want.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{rel}: {} of {VMS} VMs differ:\n{}", failures.len(), failures[..failures.len().min(5)].join("\n"));
    assert!(report.outcomes.iter().any(|o| !o.stdout.is_empty()), "{rel} printed nothing");
    report
}

#[test]
fn hello_printf() {
    check_guest("hello", None);
}

#[test]
fn recursion_qsort_malloc() {
    check_guest("sortrec", None);
}

#[test]
fn libm_math() {
    check_guest("mathlib", None);
}

/// Inputs of every length from empty to 70 kB, with and without a last newline.
fn echo_inputs() -> Vec<Vec<u8>> {
    (0..VMS)
        .map(|vm| {
            let lines: Vec<String> = (0..vm % 9).map(|i| format!("line {i} of vm {vm} {}", "word ".repeat(i))).collect();
            let mut s = lines.join("\n").into_bytes();
            if vm % 3 == 0 {
                s.push(b'\n');
            }
            if vm == 7 {
                s = "x".repeat(70_000).into_bytes();
            }
            s
        })
        .collect()
}

#[test]
fn per_vm_stdin() {
    check_guest("echo_stdin", Some(echo_inputs()));
}

/// argv, environ and fd_fdstat_get answered on the device, as the reference answers them: empty
/// strings, an empty environment, FAULT for outputs past 4 GiB; an output past the VM's memory
/// traps it.
#[test]
fn startup_calls_on_the_device() {
    const N: usize = 32;
    let rel = "wat/startup_calls.wat";
    let wasm = read(rel);
    let bundle = compile(rel, &BuildOptions::default());
    let name = bundle.source_name.clone();
    let loader = load(bundle);
    for env in [vec![("A".to_string(), "1".to_string()), ("EMPTY".to_string(), String::new())], vec![]] {
        let args = vec!["{vm}".to_string(), String::new(), "two words".into()];
        let cfg = RunConfig { vms: N, args: args.clone(), env: env.clone(), ..RunConfig::default() };
        let report = run_limited(&loader, cfg, rel);
        for (vm, o) in report.outcomes.iter().enumerate() {
            let mut argv = vec![name.clone()];
            argv.extend(args.iter().map(|a| a.replace("{vm}", &vm.to_string())));
            let want = reference::run_command(&wasm, &argv, &env, &[]);
            assert_eq!(o.status, VmStatus::Exited(0), "vm {vm}");
            assert_eq!(o.stdout, want.stdout, "vm {vm}, environment {env:?}");
        }
    }
    let cfg = RunConfig { vms: N, args: vec!["{vm}".into(), "a".into(), "b".into(), "trap".into()], ..RunConfig::default() };
    for (vm, o) in run_limited(&loader, cfg, rel).outcomes.iter().enumerate() {
        assert!(matches!(&o.status, VmStatus::Trapped { trap, .. } if trap.name() == "memory_out_of_bounds"), "vm {vm}: {:?}", o.status);
    }
}

/// Stdout written on the device (`abi::HC_OUT`): writes of several iovecs, more bytes than a VM's
/// row holds (the rest goes through the host, in order), stderr between them, a write longer
/// than a row, BADF, and proc_exit with output the host has not taken; every VM as the reference.
/// Then what the reference answers otherwise (FAULT writes nothing, a `nwritten` outside memory
/// traps after the bytes, a VM still running at a limit keeps what it wrote): vv-run gives the
/// same as with every write a hypercall (`VV_HOST_STDOUT=1`, as `vvc build --stdout-on-host`).
#[test]
fn stdout_on_the_device() {
    const N: usize = 10;
    let rel = "wat/stdout_writes.wat";
    check_program(rel, None);
    // In slots: a VM that exits with up to a row of stdout still on the device hands its slot on
    // only after the host took it.
    check_program_with(rel, None, Some(23));
    // `vvc build --stdout-on-host`: the same output, a hypercall per write (10 VMs of shapes 0-9
    // write 2-9 times to stdout, none on the device).
    let writes = |opts: &BuildOptions| {
        let cfg = RunConfig { vms: N, args: vec!["{vm}".into()], ..RunConfig::default() };
        let report = run_limited(&load(compile(rel, opts)), cfg, rel);
        (report.outcomes.into_iter().map(|o| o.stdout).collect::<Vec<_>>(), report.hypercalls)
    };
    let (device, device_calls) = writes(&BuildOptions::default());
    let (host, host_calls) = writes(&BuildOptions { stdout_on_host: true, ..BuildOptions::default() });
    assert_eq!(device, host, "--stdout-on-host writes the same");
    assert!(host_calls >= device_calls + 20, "--stdout-on-host: {host_calls} hypercalls, against {device_calls}");
    let dir = dir_with_bundle("vv-stdout", &compile(rel, &BuildOptions::default()));
    let run = |action: &str, on_host: bool| {
        let out = format!("{action}-{on_host}");
        // Every write a launch on the host's side: the longest VM takes some 160.
        let launches = if action == "spin" { "4" } else { "1000" };
        let args = ["--vms", &N.to_string(), "--max-launches", launches, "--out-dir", &out, "--", "{vm}", action];
        let err = vv_run_in(&dir, &args, if on_host { &[("VV_HOST_STDOUT", "1")] } else { &[] });
        let status = std::fs::read_to_string(dir.join(&out).join("status.json")).unwrap_or_else(|e| panic!("no status.json ({e}): {err}"));
        let stdout: Vec<Vec<u8>> = (0..N).map(|vm| std::fs::read(dir.join(&out).join(format!("{vm}.out"))).unwrap()).collect();
        (status, stdout, err)
    };
    for (action, after) in [("fault", "V"), ("trap", "vm "), ("spin", "vm \n"), ("bytes", ""), ("list", "")] {
        let (status, stdout, err) = run(action, false);
        let (host_status, host_stdout, host_err) = run(action, true);
        assert_eq!((&status, &stdout), (&host_status, &host_stdout), "{action}: device against host; vv-run said:\n{err}");
        if action != "spin" {
            // Both runs end on their own; the host's takes a launch per write.
            assert!(launches(&host_err) > launches(&err), "{action}: the host served the writes:\n{host_err}\n{err}");
        }
        for (vm, out) in stdout.iter().enumerate() {
            // "vm 3\n", nwritten 5 as 'A' + 5, then what the action wrote ('A' + FAULT for "fault", nothing before
            // the traps of "bytes" and "list").
            let head = format!("vm {vm}\nF{after}");
            assert!(out.starts_with(head.as_bytes()), "{action}, vm {vm}: {:?}", String::from_utf8_lossy(out));
        }
        let ending = match action {
            "fault" => "\"exit\":",
            "trap" | "bytes" | "list" => "memory_out_of_bounds",
            _ => "\"running\":true",
        };
        assert_eq!(status.matches(ending).count(), N, "{action}: {status}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// More VMs than slots (`resident`): a VM that stops hands its slot to the next, which starts
/// from the memory image with its own argv. The VMs stop in another order than they started,
/// some trap and some exit with codes of their own; every VM ends as the reference's does.
#[test]
fn vms_take_turns_in_slots() {
    let report = check_program_with("guests/uneven.wasm", None, Some(37));
    let trapped = report.outcomes.iter().filter(|o| matches!(o.status, VmStatus::Trapped { .. })).count();
    let codes: std::collections::BTreeSet<_> = report.outcomes.iter().filter_map(|o| match o.status {
        VmStatus::Exited(c) => Some(c),
        _ => None,
    }).collect();
    assert_eq!(trapped, VMS / 5 + usize::from(VMS % 5 > 3), "every fifth VM traps");
    assert!(codes.len() > 10, "exit codes of their own: {codes:?}");
}

/// Slots with stdin on the device: each VM that takes a slot reads its own input, not what the
/// slot's last VM left of its own.
#[test]
fn vms_in_slots_read_their_own_stdin() {
    check_program_with("guests/echo_stdin.wasm", Some(echo_inputs()), Some(29));
}

/// A run that stops at a limit before every VM had a slot reports those VMs as not finished, at
/// the entry, with no output.
#[test]
fn vms_without_a_slot_before_a_limit() {
    let rel = "guests/uneven.wasm";
    let loader = load(compile(rel, &BuildOptions::default()));
    let cfg = RunConfig { vms: 40, args: vec!["{vm}".into()], resident: Some(16), max_launches: Some(1), ..RunConfig::default() };
    let report = run_limited(&loader, cfg, rel);
    assert_eq!(report.outcomes.len(), 40);
    let entry = report.outcomes[39].status.clone();
    for (vm, o) in report.outcomes.iter().enumerate().skip(16) {
        assert!(matches!(&o.status, VmStatus::Running { .. }), "vm {vm}: {:?}", o.status);
        assert_eq!(o.status, entry, "vm {vm} never started");
        assert!(o.stdout.is_empty(), "vm {vm}");
    }
}

/// The vv-run binary next to this test's build (`VV_RUN_BIN` overrides, for test binaries copied
/// to another machine).
fn vv_run_bin() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("VV_RUN_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe.parent().and_then(|deps| deps.parent()).expect("target folder").join("vv-run");
    assert!(bin.is_file(), "{} is missing: build vv-run first (cargo build), or set VV_RUN_BIN", bin.display());
    bin
}

/// A fresh temporary directory for a test that runs the vv-run binary, holding `bundle` as t.vvk.
fn dir_with_bundle(tag: &str, bundle: &vv_bundle::Bundle) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.vvk"), vv_bundle::write_bundle(bundle).unwrap()).unwrap();
    dir
}

/// The launch count of vv-run's summary on stderr.
fn launches(err: &str) -> u64 {
    err.split(" launches,").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no launch count:\n{err}"))
}

/// Runs vv-run on `dir`'s t.vvk with `args`, caching in `dir`, with `env` and none of the test
/// switches (`VV_HOST_STDIN`, `VV_HOST_STDOUT`, `VV_INJECT_FAULT`) but those it sets; returns
/// what vv-run wrote to stderr.
fn vv_run_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    vv_run_outputs(dir, args, env).1
}

/// `vv_run_in`, returning what vv-run wrote to stdout and to stderr.
fn vv_run_outputs(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = std::process::Command::new(vv_run_bin());
    cmd.arg("t.vvk").args(args).current_dir(dir).env("VV_CACHE_DIR", dir.join("cache"));
    for switch in ["VV_HOST_STDIN", "VV_HOST_STDOUT", "VV_INJECT_FAULT"] {
        cmd.env_remove(switch);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("vv-run starts");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `--cl-options=-DVV_TRACE_ROUNDS`, the input of testsuite/bench/warp_model.py: a line for every
/// dispatcher round of every VM (index, function, ticks, frame pointer). The first round is the
/// entry's at the entry frame, calls go deeper, every round spends at least its dispatch tick, and
/// VMs with equal input run equal rounds.
#[test]
fn rounds_traced_for_the_warp_model() {
    let bundle = compile("wat/hello_wasi.wat", &BuildOptions { partition_lines: 0, ..BuildOptions::default() });
    let dir = dir_with_bundle("vv-trace-rounds", &bundle);
    let (out, err) = vv_run_outputs(&dir, &["--vms", "2", "--cl-options=-DVV_TRACE_ROUNDS", "--", "ab", "cde"], &[]);
    let mut rounds: Vec<Vec<(u32, i64, u32)>> = vec![Vec::new(); 2];
    for line in out.lines().filter_map(|l| l.strip_prefix("vv-round ")) {
        let f: Vec<i64> = line.split(' ').map(|w| w.parse().unwrap_or_else(|_| panic!("bad line: {line}"))).collect();
        rounds[f[0] as usize].push((f[1] as u32, f[2], f[3] as u32));
    }
    for (vm, r) in rounds.iter().enumerate() {
        assert!(r.len() > 3, "vm {vm}: {} rounds traced\n{out}\n{err}", r.len());
        assert_eq!(r[0].0, bundle.entry_function, "vm {vm} starts in the entry");
        assert!(r.iter().any(|x| x.2 > r[0].2), "vm {vm}: no call went deeper than the entry frame: {r:?}");
        assert!(r.iter().all(|x| x.1 >= 1), "vm {vm}: a round without its dispatch tick: {r:?}");
    }
    assert_eq!(rounds[0], rounds[1], "equal input, equal rounds");
    std::fs::remove_dir_all(&dir).ok();
}

/// `--cl-options=-DVV_COUNT_MEMORY` (testsuite/bench/memory_traffic.sh): per VM and launch, the
/// accesses to linear memory and their bytes. memory_counts.wat makes 7 accesses of 33 bytes, one
/// of them unaligned, which counts once also where it goes byte by byte (interleave 4).
#[test]
fn memory_accesses_counted() {
    for interleave in [1, 4] {
        let bundle = compile("wat/memory_counts.wat", &BuildOptions { partition_lines: 0, interleave, ..BuildOptions::default() });
        let dir = dir_with_bundle("vv-count-memory", &bundle);
        let (out, err) = vv_run_outputs(&dir, &["--vms", "2", "--cl-options=-DVV_COUNT_MEMORY"], &[]);
        let mut counts = [(0u64, 0u64); 2];
        for line in out.lines().filter_map(|l| l.strip_prefix("vv-memory vm ")) {
            let w: Vec<u64> =
                line.split([' ', ':', ',']).filter_map(|w| w.parse().ok()).collect();
            assert_eq!(w.len(), 3, "bad line: {line}");
            counts[w[0] as usize].0 += w[1];
            counts[w[0] as usize].1 += w[2];
        }
        assert_eq!(counts, [(7, 33); 2], "interleave {interleave}\n{out}\n{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A split bundle's cold start on the path GPUs take (build helpers; `VV_BUILD_HELPERS=1` brings
/// them to CPU devices): the VMs start on the partitions while the whole program builds in a
/// helper, move onto it by launch 3 (`VV_TAKEOVER_AT_LAUNCH`) mid-run, and end as the reference
/// does. The next start loads the cached whole program alone. (The vv-run started here inherits
/// this process's environment, which an OpenCL platform may have changed: on the GPU machine PoCL
/// 5.0 drops the NVIDIA ICD from `OCL_ICD_FILENAMES`, so there this runs on PoCL.)
#[test]
fn whole_program_takes_over_from_partitions() {
    const N: usize = 64;
    let rel = "guests/sortrec.wasm";
    let wasm = read(rel);
    // Little fuel: many launches, VMs stopped mid-function when the kernels change.
    let bundle = compile(rel, &BuildOptions { partition_lines: 4000, fuel: 2000, ..BuildOptions::default() });
    assert!(bundle.partitions.len() > 2 && bundle.whole.is_some(), "sortrec in {} partitions", bundle.partitions.len());
    let name = bundle.source_name.clone();
    let dir = dir_with_bundle("vv-takeover", &bundle);
    let run = || {
        let args = ["--vms", &N.to_string(), "--out-dir", "out", "--cl-options=-cl-opt-disable", "--", "{vm}"];
        let err = vv_run_in(&dir, &args, &[("VV_BUILD_HELPERS", "1"), ("VV_TAKEOVER_AT_LAUNCH", "3")]);
        let status: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("out/status.json")).unwrap_or_else(|e| panic!("no status.json ({e}): {err}")))
                .unwrap();
        for vm in 0..N {
            let want = reference::run_command(&wasm, &[name.clone(), vm.to_string()], &[], &[]);
            let stdout = std::fs::read(dir.join(format!("out/{vm}.out"))).unwrap();
            assert_eq!(stdout, want.stdout, "vm {vm} stdout; vv-run said:\n{err}");
            assert_eq!(status[vm]["exit"].as_i64(), want.exit.as_ref().ok().map(|&c| c as i64), "vm {vm} exit; vv-run said:\n{err}");
        }
        err
    };
    let err = run();
    assert!(err.contains("partitions, in parallel) (the whole program builds meanwhile"), "{err}");
    let launch: u64 = err
        .split("took over from the partitions after launch ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no takeover reported:\n{err}"));
    assert!((1..=3).contains(&launch), "took over after launch {launch}");
    let err = run();
    assert!(err.contains("device binary: cached") && !err.contains("partitions"), "the whole program alone, from the cache:\n{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// fd_read on fd 0 runs on the device: iovec lists with an empty entry, pieces that end inside an
/// iovec, reads at the end of input, empty inputs.
#[test]
fn stdin_read_on_the_device() {
    let inputs: Vec<Vec<u8>> = (0..VMS).map(|vm| format!("vm {vm}:").repeat(vm % 7).into_bytes()).collect();
    check_program("wat/stdin_pieces.wat", Some(inputs));
}

/// The same program and inputs with stdin read through hypercalls (`VV_HOST_STDIN=1`, the path
/// `vv-run serve` takes) and on the device: the same output, the reference's, and the device
/// path without a launch per read.
#[test]
fn stdin_read_by_the_host_matches_the_device() {
    const N: usize = 16;
    let rel = "wat/stdin_pieces.wat";
    let wasm = read(rel);
    let bundle = compile(rel, &BuildOptions::default());
    let name = bundle.source_name.clone();
    let dir = dir_with_bundle("vv-host-stdin", &bundle);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    let inputs: Vec<Vec<u8>> = (0..N).map(|vm| format!("input {vm};").repeat(vm).into_bytes()).collect();
    for (vm, input) in inputs.iter().enumerate() {
        std::fs::write(dir.join("in").join(vm.to_string()), input).unwrap();
    }
    let run = |host: bool, out: &str| {
        let args = ["--vms", &N.to_string(), "--stdin-dir", "in", "--out-dir", out];
        let err = vv_run_in(&dir, &args, if host { &[("VV_HOST_STDIN", "1")] } else { &[] });
        for (vm, input) in inputs.iter().enumerate() {
            let want = reference::run_command(&wasm, std::slice::from_ref(&name), &[], input);
            let stdout = std::fs::read(dir.join(out).join(format!("{vm}.out"))).unwrap_or_else(|e| panic!("vm {vm}: {e}; vv-run said:\n{err}"));
            assert_eq!(stdout, want.stdout, "vm {vm} stdout, stdin by the host: {host}; vv-run said:\n{err}");
        }
        launches(&err)
    };
    let on_device = run(false, "device");
    let by_host = run(true, "host");
    assert!(on_device < by_host, "reads on the device take no launches: {on_device} launches against {by_host}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Slots on two devices (PoCL's pthread device twice), through vv-run: every VM as the
/// reference runs it; then with the second device failing mid-run (`VV_INJECT_FAULT`), its VMs,
/// those that had a slot and those that were still waiting for one, are all reported with the
/// error and the first device's VMs end as before.
#[test]
fn slots_on_two_devices() {
    const N: usize = 40;
    let rel = "guests/uneven.wasm";
    let wasm = read(rel);
    let bundle = compile(rel, &BuildOptions::default());
    let name = bundle.source_name.clone();
    let dir = dir_with_bundle("vv-slots", &bundle);
    let run = |out: &str, fault: Option<&str>| {
        let args = ["--vms", &N.to_string(), "--devices", "pthread", "--resident", "6", "--out-dir", out, "--", "{vm}"];
        let mut env = vec![("POCL_DEVICES", "pthread pthread")];
        env.extend(fault.map(|f| ("VV_INJECT_FAULT", f)));
        let err = vv_run_in(&dir, &args, &env);
        let status = std::fs::read_to_string(dir.join(out).join("status.json")).map(|s| serde_json::from_str::<serde_json::Value>(&s).unwrap());
        (status, err)
    };
    let (status, err) = run("both", None);
    if !err.contains("2 devices") {
        eprintln!("skipping: no two PoCL pthread devices:\n{err}");
        return;
    }
    let status = status.unwrap_or_else(|e| panic!("no status.json ({e}): {err}"));
    for vm in 0..N {
        let want = reference::run_command(&wasm, &[name.clone(), vm.to_string()], &[], &[]);
        let stdout = std::fs::read(dir.join(format!("both/{vm}.out"))).unwrap();
        assert_eq!(stdout, want.stdout, "vm {vm} stdout; vv-run said:\n{err}");
        match &want.exit {
            Ok(code) => assert_eq!(status[vm]["exit"].as_i64(), Some(*code as i64), "vm {vm}: {}", status[vm]),
            Err(_) => assert!(status[vm]["trap"].is_string(), "vm {vm}: {}", status[vm]),
        }
    }
    let (failed, err) = run("failed", Some("launch@1:3"));
    let failed = failed.unwrap_or_else(|e| panic!("no status.json ({e}): {err}"));
    let second = err.split("VMs ").nth(2).and_then(|s| s.split("..").next()).and_then(|s| s.parse::<usize>().ok());
    let second = second.unwrap_or_else(|| panic!("no second share in:\n{err}"));
    for vm in 0..N {
        if vm < second {
            assert_eq!(failed[vm], status[vm], "vm {vm} on the first device");
        } else {
            assert!(failed[vm]["device_error"].is_string(), "vm {vm}: {}\n{err}", failed[vm]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
