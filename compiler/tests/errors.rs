//! Bad input gets a clear error naming the problem (file, function, offset, feature), from the
//! library and from the `vvc` binary, never a panic; unchanged input is a cache hit.

use std::process::Command;
use vv_bundle::BuildOptions;
use vv_compiler::{compile, CompileError};

fn err(src: &str) -> CompileError {
    compile("t.wat", src.as_bytes(), &BuildOptions::default()).expect_err("should not compile")
}

#[test]
fn unknown_import_is_named() {
    let e = err(r#"(module (import "env" "launch_missiles" (func (param i32))))"#);
    assert!(matches!(e, CompileError::UnknownImport { .. }), "{e:?}");
    assert!(e.to_string().contains("env.launch_missiles"), "{e}");
}

#[test]
fn import_signature_is_checked() {
    let e = err(r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32))))"#);
    assert!(matches!(e, CompileError::ImportSignature { .. }), "{e:?}");
}

#[test]
fn unsupported_instruction_names_feature_function_and_offset() {
    let e = err(r#"(module (func $vector_math (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))"#);
    let msg = e.to_string();
    assert!(matches!(e, CompileError::Unsupported { .. }), "{e:?}");
    assert!(msg.contains("SIMD"), "{msg}");
    assert!(msg.contains("`vector_math`"), "{msg}");
    assert!(msg.contains("offset 0x"), "{msg}");
}

#[test]
fn unsupported_module_features_are_named() {
    let e = err(r#"(module (memory 1) (memory 1))"#);
    assert!(e.to_string().contains("multiple memories") || matches!(e, CompileError::Malformed { .. }), "{e}");
    let e = err(r#"(module (import "env" "mem" (memory 1)))"#);
    assert!(e.to_string().contains("imported memory `env.mem`"), "{e}");
}

#[test]
fn memory_larger_than_the_heap_is_a_limits_error() {
    let e = err(r#"(module (memory 100))"#);
    assert!(matches!(e, CompileError::Limits { .. }), "{e:?}");
    assert!(e.to_string().contains("--heap-size"), "{e}");
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let opts = BuildOptions::default();
    for bytes in [&b"\0asm\x01\0\0\0\x01\xff\xff"[..], b"\0asm", b"\0asm\x02\0\0\0", &[0xff, 0xfe, 0x00][..]] {
        let e = compile("bad.wasm", bytes, &opts).expect_err("malformed");
        assert!(matches!(e, CompileError::Malformed { .. }), "{e:?}");
        assert!(e.to_string().starts_with("bad.wasm: "), "{e}");
    }
    let e = compile("bad.wat", b"(module (func (i32.add)))", &opts).expect_err("invalid");
    assert!(matches!(e, CompileError::Malformed { .. }), "{e:?}");
    let e = compile("bad.wat", b"(module (fun", &opts).expect_err("text");
    assert!(matches!(e, CompileError::MalformedText { .. }), "{e:?}");
}

#[test]
fn bad_options_are_rejected() {
    let opts = BuildOptions { interleave: 3, ..BuildOptions::default() };
    let e = compile("x.wat", b"(module)", &opts).expect_err("interleave 3");
    assert!(e.to_string().contains("--interleave"), "{e}");
    let opts = BuildOptions { interleave: 1 << 17, ..BuildOptions::default() };
    let e = compile("x.wat", b"(module)", &opts).expect_err("interleave past a page");
    assert!(e.to_string().contains("--interleave"), "{e}");
    for interleave in [1, 2, 64, 65536] {
        compile("x.wat", b"(module)", &BuildOptions { interleave, ..BuildOptions::default() }).expect("a power of two up to a page");
    }
    let opts = BuildOptions { max_registers: 8, ..BuildOptions::default() };
    let e = compile("x.wat", b"(module)", &opts).expect_err("8 registers");
    assert!(e.to_string().contains("--max-registers"), "{e}");
    compile("x.wat", b"(module)", &BuildOptions { max_registers: 128, ..BuildOptions::default() }).expect("128 registers");
}

fn vvc(args: &[&str], cache: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vvc")).args(args).env("VV_CACHE_DIR", cache).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn vvc_builds_then_hits_the_cache_and_reports_errors() {
    let dir = std::env::temp_dir().join(format!("vvc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("p.wat");
    std::fs::write(&prog, "(module (func (export \"f\") (result i32) (i32.const 1)))").unwrap();
    let out = dir.join("p.vvk");
    let cache = dir.join("cache");
    let cl = dir.join("p.cl");
    let args = [
        "build",
        prog.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--heap-size",
        "128KiB",
        "--emit-cl",
        cl.to_str().unwrap(),
    ];
    let (ok, first) = vvc(&args, &cache);
    assert!(ok, "{first}");
    assert!(first.contains("compiled"), "{first}");
    let bundle = vv_bundle::read_bundle(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bundle.options.heap_size, 128 << 10);
    assert!(std::fs::read_to_string(&cl).unwrap().contains("__kernel void vv_run"));
    let (ok, second) = vvc(&args, &cache);
    assert!(ok && second.contains("cache hit"), "{second}");
    assert_eq!(bundle.options.warp_gather, vv_bundle::WarpGather::Majority);
    for (name, choice) in [("lowest", vv_bundle::WarpGather::Lowest), ("deepest", vv_bundle::WarpGather::Deepest)] {
        let (ok, msg) = vvc(&[&args[..], &["--warp-gather", name]].concat(), &cache);
        assert!(ok && !msg.contains("cache hit"), "another lane choice is another bundle: {msg}");
        let bundle = vv_bundle::read_bundle(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(bundle.options.warp_gather, choice);
    }
    let (ok, msg) = vvc(&[&args[..], &["--warp-gather", "sideways"]].concat(), &cache);
    assert!(!ok && msg.contains("majority, lowest, deepest, off"), "{msg}");

    std::fs::write(&prog, "(module (import \"env\" \"nope\" (func)))").unwrap();
    let (ok, msg) = vvc(&args, &cache);
    assert!(!ok && msg.contains("unknown import `env.nope`"), "{msg}");
    let (ok, msg) = vvc(&["build", dir.join("missing.wasm").to_str().unwrap()], &cache);
    assert!(!ok && msg.contains("cannot read"), "{msg}");
    let (ok, msg) = vvc(&["build", prog.to_str().unwrap(), "--heap-size", "12 parsecs"], &cache);
    assert!(!ok && msg.contains("unknown unit"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}
