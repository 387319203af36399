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
    let rel = format!("guests/{guest}.wasm");
    let wasm = read(&rel);
    let bundle = compile(&rel, &BuildOptions::default());
    let name = bundle.source_name.clone();
    let loader = load(bundle);
    let cfg = RunConfig {
        vms: VMS,
        args: if stdin.is_some() { vec![] } else { vec!["{vm}".into()] },
        stdin: stdin.clone().map(Stdin::PerVm).unwrap_or_default(),
        ..RunConfig::default()
    };
    let report = run_limited(&loader, cfg, &rel);
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
    assert!(failures.is_empty(), "{guest}: {} of {VMS} VMs differ:\n{}", failures.len(), failures[..failures.len().min(5)].join("\n"));
    assert!(report.outcomes.iter().any(|o| !o.stdout.is_empty()), "{guest} printed nothing");
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

#[test]
fn per_vm_stdin() {
    let inputs: Vec<Vec<u8>> = (0..VMS)
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
        .collect();
    check_guest("echo_stdin", Some(inputs));
}
