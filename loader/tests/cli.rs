//! `vv-run` as a user runs it: a bundle file on disk, flags, outputs, status.json and exit codes.

mod common;

use common::{bundle, temp_dir, KERNELS};
use std::path::Path;
use std::process::{Command, Output};

fn vv_run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vv-run"))
        .args(args)
        .current_dir(cwd)
        .env("VV_CACHE_DIR", cwd.join("cache"))
        .output()
        .expect("vv-run starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn has_opencl(dir: &Path) -> bool {
    let out = vv_run(&["--list-devices"], dir);
    if !out.status.success() {
        eprintln!("skipping: {}", text(&out.stderr));
    }
    out.status.success()
}

#[test]
fn runs_a_bundle_file_and_writes_outputs() {
    let dir = temp_dir("cli-run");
    std::fs::create_dir_all(&dir).unwrap();
    if !has_opencl(&dir) {
        return;
    }
    std::fs::write(dir.join("t.vvk"), vv_bundle::write_bundle(&bundle(11, KERNELS)).unwrap()).unwrap();

    let out = vv_run(&["t.vvk", "--vms", "6"], &dir);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "VM 4 traps: {err}");
    assert_eq!(text(&out.stdout), "hello 0\n", "VM 0's stdout passes through");
    assert!(err.contains("vv-run: device #"), "{err}");
    assert!(err.contains("device binary:"), "{err}");
    assert!(err.contains("6 VMs: 5 exited (2 with code 0), 1 trapped, 0 still running"), "{err}");
    assert!(err.contains("VM 4 trapped: unreachable in boom"), "{err}");

    let out = vv_run(&["t.vvk", "--vms", "3", "--out-dir", "res", "--local-size", "1"], &dir);
    assert_eq!(out.stdout, b"", "outputs go to files with --out-dir");
    assert_eq!(std::fs::read_to_string(dir.join("res/2.out")).unwrap(), "hello 2\n");
    assert_eq!(std::fs::read_to_string(dir.join("res/2.err")).unwrap(), "");
    let status: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("res/status.json")).unwrap()).unwrap();
    assert_eq!(status, serde_json::json!([{"vm": 0, "exit": 0}, {"vm": 1, "exit": 1}, {"vm": 2, "exit": 2}]));

    let out = vv_run(&["t.vvk", "--vms", "1"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Partitions built in helper processes (vv-run runs itself once per partition, as on GPUs),
/// stored in the cache and loaded from there.
#[test]
fn partitions_build_in_helper_processes() {
    let dir = temp_dir("cli-helpers");
    std::fs::create_dir_all(&dir).unwrap();
    if !has_opencl(&dir) {
        return;
    }
    let mut b = bundle(12, KERNELS);
    b.partitions = vec![KERNELS.into(), format!("/* another partition */\n{KERNELS}")];
    std::fs::write(dir.join("t.vvk"), vv_bundle::write_bundle(&b).unwrap()).unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_vv-run"))
            .args(["t.vvk", "--vms", "6"])
            .current_dir(&dir)
            .env("VV_CACHE_DIR", dir.join("cache"))
            .env("VV_BUILD_HELPERS", "1")
            .output()
            .unwrap()
    };
    let out = run();
    let err = text(&out.stderr);
    assert!(err.contains("device binary: built in") && err.contains("(2 partitions, in parallel)"), "{err}");
    assert!(!err.contains("built in this process instead"), "a helper failed: {err}");
    assert!(err.contains("6 VMs: 5 exited (2 with code 0), 1 trapped, 0 still running"), "{err}");
    let binaries = std::fs::read_dir(dir.join("cache/programs")).unwrap().count();
    assert_eq!(binaries, 2, "one cached binary per partition, no leftovers");
    let err = text(&run().stderr);
    assert!(err.contains("device binary: cached"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_bundles_are_clear_errors() {
    let dir = temp_dir("cli-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let out = vv_run(&["missing.vvk"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read bundle missing.vvk"), "{}", text(&out.stderr));

    std::fs::write(dir.join("junk.vvk"), b"this is not a bundle").unwrap();
    let out = vv_run(&["junk.vvk"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a .vvk bundle"), "{}", text(&out.stderr));

    let mut bytes = vv_bundle::write_bundle(&bundle(12, KERNELS)).unwrap();
    bytes[4] = 99;
    std::fs::write(dir.join("old.vvk"), bytes).unwrap();
    let out = vv_run(&["old.vvk"], &dir);
    assert!(text(&out.stderr).contains("format version 99"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_teaches_with_examples() {
    let out = vv_run(&["--help"], &std::env::temp_dir());
    let help = text(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "vv-run prog.vvk --vms 4096 -- {vm}",
        "--stdin-dir",
        "--list-devices",
        "status.json",
        "Exit status",
        "--devices all",
        "If a device fails during the run",
        "3 if a device failed",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}
