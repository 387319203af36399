//! Snapshot tests of generated OpenCL C: the program part of every `.wat` in `testsuite/wat/`
//! (one snapshot each) and the runtime prelude (once), pinned in `snapshots/`. Output must be
//! deterministic byte for byte.

mod common;

use common::{read, root, small};

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("../snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

fn wat_programs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("wat"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".wat"))
        .collect();
    names.sort();
    names
}

#[test]
fn generated_kernels() {
    let names = wat_programs();
    assert!(names.len() >= 12, "the snapshot corpus has {} programs", names.len());
    for name in names {
        let input = read(&format!("wat/{name}"));
        let first = vv_compiler::compile(&name, &input, &small()).unwrap_or_else(|e| panic!("{e}"));
        let again = vv_compiler::compile(&name, &input, &small()).unwrap();
        assert_eq!(first.partitions, again.partitions, "{name}: generated code is not deterministic");
        assert_eq!(first.partitions.len(), 1, "{name}: small programs are one partition");
        let program = vv_compiler::program_text(&first.partitions[0]);
        snapshot_settings().bind(|| insta::assert_snapshot!(name.trim_end_matches(".wat").to_string(), program));
    }
}

/// A program split into partitions: each holds its functions (and copies of the small functions
/// they call), a dispatcher that leaves for functions elsewhere, and only the first the init and
/// reset kernels.
#[test]
fn partitioned_kernels() {
    let name = "call_indirect.wat";
    let input = read(&format!("wat/{name}"));
    let opts = vv_bundle::BuildOptions { partition_lines: 64, ..small() };
    let bundle = vv_compiler::compile(name, &input, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(bundle.partitions.len() >= 2, "{name} in {} partitions", bundle.partitions.len());
    assert_eq!(bundle.partition_of.len(), bundle.function_names.len(), "a home for every function");
    let mut text = String::new();
    for (i, p) in bundle.partitions.iter().enumerate() {
        assert_eq!(p.contains("__kernel void vv_init("), i == 0, "partition {i}");
        text.push_str(&format!("==== partition {i} ====\n{}", vv_compiler::program_text(p)));
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("call_indirect_partitioned", text));
}

/// `--direct-calls` with partitions: functions that never leave the kernel are plain C functions
/// with prototypes, the dispatcher has no case for those only ever called directly, and every
/// partition holds the plain functions its members call.
#[test]
fn direct_call_kernels() {
    let name = "direct.wat";
    let input = read(&format!("wat/{name}"));
    let opts = vv_bundle::BuildOptions { direct_calls: true, partition_lines: 64, ..small() };
    let bundle = vv_compiler::compile(name, &input, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(bundle.partitions.len() >= 2, "{name} in {} partitions", bundle.partitions.len());
    let mut text = String::new();
    for (i, p) in bundle.partitions.iter().enumerate() {
        text.push_str(&format!("==== partition {i} ====\n{}", vv_compiler::program_text(p)));
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("direct_partitioned", text));
}

#[test]
fn prelude() {
    snapshot_settings().bind(|| insta::assert_snapshot!("prelude", vv_compiler::prelude()));
}

#[test]
fn prelude_trap_codes_match_the_abi() {
    for trap in vv_bundle::abi::Trap::ALL {
        let line = format!("#define {} {}u", trap.c_name(), trap as u32);
        assert!(vv_compiler::prelude().contains(&line), "prelude lacks `{line}`");
    }
}
