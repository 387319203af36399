//! Execution tests of the `.wat` programs on the default OpenCL device (PoCL in CI): every VM
//! gets its own input and is checked against the reference engine (wasmi).

mod common;

use common::*;
use std::collections::BTreeSet;
use vv_bundle::BuildOptions;
use vv_loader::{DeviceChoice, Invoke, LoadOptions, Loader, RunConfig, VmStatus};

fn mix(parts: Vec<Vec<Call>>) -> Vec<Call> {
    let mut out = Vec::new();
    let max = parts.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..max {
        for p in &parts {
            if let Some(c) = p.get(i) {
                out.push(c.clone());
            }
        }
    }
    out
}

#[test]
fn integer_semantics_i32() {
    let f = "wat/int32.wat";
    let calls = mix(vec![random_calls(f, "binop", 200, 1, true), random_calls(f, "unop", 100, 2, true)]);
    check_invokes(f, &small(), &calls);
}

#[test]
fn integer_semantics_i64() {
    let f = "wat/int64.wat";
    let calls = mix(vec![random_calls(f, "binop", 200, 3, true), random_calls(f, "unop", 100, 4, true)]);
    check_invokes(f, &small(), &calls);
}

/// Every binary operator over every pair of special values (zeros of both signs, NaN,
/// infinities, ones): where min/max/copysign and comparisons differ most.
fn special_pairs(specials: &[u64]) -> Vec<Call> {
    let mut calls = Vec::new();
    for op in 0..13u64 {
        for &a in specials {
            for &b in specials {
                calls.push(("binop".to_string(), vec![op, a, b]));
            }
        }
    }
    calls
}

#[test]
fn float_semantics_f32() {
    let f = "wat/float32.wat";
    let mut rng = Rng::new(5);
    let poly: Vec<Call> =
        (0..64).map(|i| ("poly".to_string(), vec![arg(&mut rng, vv_bundle::ValType::F32), i % 40])).collect();
    let specials: Vec<u64> = [0.0f32, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0, -1.0].map(f32_bits).to_vec();
    let calls = mix(vec![
        random_calls(f, "binop", 260, 6, true),
        random_calls(f, "unop", 140, 7, true),
        poly,
        special_pairs(&specials),
    ]);
    check_invokes(f, &small(), &calls);
}

#[test]
fn float_semantics_f64() {
    let f = "wat/float64.wat";
    let mut rng = Rng::new(8);
    let poly: Vec<Call> =
        (0..64).map(|i| ("poly".to_string(), vec![arg(&mut rng, vv_bundle::ValType::F64), i % 40])).collect();
    let specials: Vec<u64> = [0.0f64, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0, -1.0].map(f64_bits).to_vec();
    let calls = mix(vec![
        random_calls(f, "binop", 260, 9, true),
        random_calls(f, "unop", 140, 10, true),
        poly,
        special_pairs(&specials),
    ]);
    check_invokes(f, &small(), &calls);
}

#[test]
fn conversions() {
    let f = "wat/conversions.wat";
    let calls = mix(vec![
        random_calls(f, "f64_to_int", 128, 11, true),
        random_calls(f, "f32_to_int", 128, 12, true),
        random_calls(f, "int_to_f32", 64, 13, true),
        random_calls(f, "int_to_f64", 64, 14, true),
        random_calls(f, "demote", 32, 15, false),
        random_calls(f, "promote", 32, 16, false),
        random_calls(f, "bits", 32, 17, false),
    ]);
    check_invokes(f, &small(), &calls);
}

#[test]
fn recursion() {
    let mut calls: Vec<Call> = (0..256u64).map(|vm| ("ack".to_string(), vec![vm % 4, (vm / 4) % 6])).collect();
    calls[255] = ("ack".to_string(), vec![3, 6]);
    let report = check_invokes("wat/ackermann.wat", &small(), &calls);
    assert!(report.outcomes.iter().all(|o| o.status == VmStatus::Exited(0)));
    let fac: Vec<Call> = (0..256u64)
        .map(|vm| if vm % 2 == 0 { ("fac".to_string(), vec![vm % 25]) } else { ("sum".to_string(), vec![vm * 37]) })
        .collect();
    check_invokes("wat/fac.wat", &small(), &fac);
}

/// Every function inlined into the dispatcher (`vvc build --inline-functions`): recursion, calls
/// through tables and traps still come out as the reference's.
#[test]
fn inlined_functions() {
    let opts = BuildOptions { inline_functions: true, ..small() };
    let bundle = compile("wat/ackermann.wat", &opts);
    assert!(bundle.partitions[0].contains("#define VV_INLINE_FUNCTIONS"), "the program does not ask for inlining");
    let ack: Vec<Call> = (0..128u64).map(|vm| ("ack".to_string(), vec![vm % 4, (vm / 4) % 6])).collect();
    check_invokes("wat/ackermann.wat", &opts, &ack);
    let apply: Vec<Call> = (0..128u64).map(|vm| ("apply".to_string(), vec![vm % 10, vm * 7, vm + 3])).collect();
    check_invokes("wat/call_indirect.wat", &opts, &apply);
}

#[test]
fn call_indirect() {
    let f = "wat/call_indirect.wat";
    let apply: Vec<Call> = (0..160u64).map(|vm| ("apply".to_string(), vec![vm % 10, vm * 7, vm + 3])).collect();
    let fold: Vec<Call> = (0..128u64).map(|vm| ("fold".to_string(), vec![vm * 2654435761 % (1 << 32), vm])).collect();
    let report = check_invokes(f, &small(), &mix(vec![apply, fold]));
    let traps: Vec<&str> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            VmStatus::Trapped { trap, .. } => Some(trap.name()),
            _ => None,
        })
        .collect();
    for kind in ["indirect_call_type_mismatch", "uninitialized_element", "undefined_element"] {
        assert!(traps.contains(&kind), "no VM trapped with {kind}");
    }
}

/// With a tiny partition bound every function gets a partition of its own: each call, return and
/// indirect call (and each trap in a callee) crosses partitions and the host launches the
/// partition the VM needs next, VMs spread over several at once. Results must not change.
#[test]
fn partitions_cross_on_calls() {
    let tiny = BuildOptions { partition_lines: 16, ..small() };
    for f in ["wat/call_indirect.wat", "wat/fac.wat", "wat/traps.wat"] {
        let parts = compile(f, &tiny).partitions.len();
        assert!(parts >= 3, "{f} in {parts} partitions");
    }
    let apply: Vec<Call> = (0..96u64).map(|vm| ("apply".to_string(), vec![vm % 10, vm * 7, vm + 3])).collect();
    let fold: Vec<Call> = (0..96u64).map(|vm| ("fold".to_string(), vec![vm * 2654435761 % (1 << 32), vm])).collect();
    check_invokes("wat/call_indirect.wat", &tiny, &mix(vec![apply, fold]));
    let fac: Vec<Call> = (0..128u64)
        .map(|vm| if vm % 2 == 0 { ("fac".to_string(), vec![vm % 25]) } else { ("sum".to_string(), vec![vm * 37]) })
        .collect();
    check_invokes("wat/fac.wat", &tiny, &fac);
    let traps: Vec<Call> = (0..128u64).map(|vm| ("maybe_trap".to_string(), vec![vm % 8, vm])).collect();
    check_invokes("wat/traps.wat", &BuildOptions { stack_size: 8192, ..tiny }, &traps);
}

#[test]
fn memory_and_grow() {
    let f = "wat/memory.wat";
    let mut rng = Rng::new(18);
    let roundtrip: Vec<Call> = (0..160u64)
        .map(|vm| {
            // Mostly in bounds at every alignment, some straddling the end of memory.
            let addr = if vm % 16 == 15 { 65536 - (vm % 12) } else { rng.next() % 65000 };
            ("roundtrip".to_string(), vec![addr, rng.next(), vm % 4])
        })
        .collect();
    let data: Vec<Call> = (0..32u64).map(|vm| ("data".to_string(), vec![vm])).collect();
    let grow: Vec<Call> = (0..48u64).map(|vm| ("grow".to_string(), vec![vm % 6])).collect();
    let bulk: Vec<Call> = (0..32u64).map(|vm| ("bulk".to_string(), vec![vm * 100, vm % 40])).collect();
    // Addresses up to 40 bytes below the end of memory, random modes: a bounds check missing
    // or wrongly shared with an earlier one shows as a result where the reference traps.
    let checks: Vec<Call> = (0..384u64)
        .map(|vm| {
            let f = ["c_wider", "c_if", "c_block", "c_loop", "c_call"][vm as usize % 5];
            let args = vec![65535 - rng.next() % 40, rng.next() % 256];
            (f.to_string(), if f == "c_wider" { args[..1].to_vec() } else { args })
        })
        .chain((0..16u64).map(|vm| ("c_literal".to_string(), vec![vm])))
        .collect();
    for interleave in [1, 4, 8, 64, 65536] {
        let opts = BuildOptions { interleave, ..small() };
        check_invokes(f, &opts, &mix(vec![roundtrip.clone(), data.clone(), grow.clone(), bulk.clone(), checks.clone()]));
    }
}

#[test]
fn globals_and_start() {
    let calls: Vec<Call> = (0..256u64).map(|vm| ("run".to_string(), vec![vm % 70])).collect();
    check_invokes("wat/globals.wat", &small(), &calls);
}

#[test]
fn blocks_and_multi_value() {
    let f = "wat/blocks.wat";
    let calls = mix(vec![
        (0..100u64).map(|vm| ("mv".to_string(), vec![vm * 13])).collect(),
        (0..100u64).map(|vm| ("classify".to_string(), vec![vm])).collect(),
        (0..64u64).map(|vm| ("nested".to_string(), vec![vm % 30])).collect(),
    ]);
    check_invokes(f, &small(), &calls);
}

/// Slots (`resident`) take WASI commands only: invoked exports are refused before anything runs.
#[test]
fn slots_refuse_invoked_exports() {
    let bundle = compile("wat/traps.wat", &small());
    let index = bundle.export("maybe_trap").unwrap().invoke_index;
    let loader = load(bundle);
    let cfg = RunConfig { vms: 4, invoke: Invoke::PerVm(vec![(index, vec![0, 1]); 4]), resident: Some(2), ..RunConfig::default() };
    let err = loader.run(&cfg).unwrap_err().to_string();
    assert!(err.contains("WASI commands only"), "{err}");
}

#[test]
fn traps_stop_only_their_vm() {
    let calls: Vec<Call> = (0..256u64).map(|vm| ("maybe_trap".to_string(), vec![vm % 8, vm])).collect();
    let report = check_invokes("wat/traps.wat", &BuildOptions { stack_size: 8192, ..small() }, &calls);
    let mut kinds = std::collections::BTreeMap::new();
    for o in &report.outcomes {
        let k = match &o.status {
            VmStatus::Trapped { trap, function } => {
                if trap.name() == "unreachable" {
                    assert_eq!(function, "boom", "the report names the trapping function");
                }
                trap.name()
            }
            VmStatus::Exited(0) => "ok",
            other => panic!("unexpected {other:?}"),
        };
        *kinds.entry(k).or_insert(0) += 1;
    }
    assert_eq!(kinds.get("ok"), Some(&64), "{kinds:?}");
    assert_eq!(kinds.len(), 7, "every trap kind and normal exits: {kinds:?}");
}

#[test]
fn fuel_preempts_endless_loops() {
    let opts = BuildOptions { fuel: 1000, ..small() };
    let bundle = compile("wat/spin.wat", &opts);
    let spin = bundle.export("spin").unwrap().invoke_index;
    let count = bundle.export("count").unwrap().invoke_index;
    let loader = load(bundle);
    let plan: Vec<(u32, Vec<u64>)> =
        (0..256u64).map(|vm| if vm % 2 == 0 { (spin, vec![vm / 2]) } else { (count, vec![vm * 100]) }).collect();
    let cfg = RunConfig { vms: 256, invoke: Invoke::PerVm(plan), max_launches: Some(60), ..RunConfig::default() };
    let report = loader.run(&cfg).unwrap();
    assert_eq!(report.launches, 60, "the endless VMs keep the run going until the launch limit");
    for (vm, o) in report.outcomes.iter().enumerate() {
        let vm = vm as u64;
        if vm.is_multiple_of(2) && (vm / 2).is_multiple_of(4) {
            assert!(matches!(&o.status, VmStatus::Running { function } if function == "spin"), "vm {vm}: {:?}", o.status);
        } else {
            assert_eq!(o.status, VmStatus::Exited(0), "vm {vm}");
            let want = if vm.is_multiple_of(2) { vm / 2 * 2 } else { vm * 100 };
            assert_eq!(o.results[0] as u32 as u64, want, "vm {vm}");
        }
    }
}

/// `--direct-calls`: functions that never leave the kernel are plain C calls. Loops, several
/// results, memory.grow and globals inside them, traps there (named after the callee), a function
/// both called directly and through the table or an export: all as the reference says; and the
/// other programs give the same results with the option on.
#[test]
fn direct_calls() {
    let direct = BuildOptions { direct_calls: true, ..small() };
    let text = vv_compiler::program_text(&compile("wat/direct.wat", &direct).partitions[0]).to_string();
    for plain in ["f0_copy_d(vm, ", "f1_sum_xor_d(vm, ", "f3_risky_d(vm, ", "f5_mix_d(vm, "] {
        assert!(text.contains(plain), "no direct call to {plain}");
    }
    assert!(!text.contains("f7_fold_with_d("), "fold_with calls through the table: the dispatcher calls it");
    let mut rng = Rng::new(31);
    let run: Vec<Call> = (0..256u64).map(|vm| ("run".to_string(), vec![vm % 8, rng.next() % (1 << 32)])).collect();
    let checksum: Vec<Call> = (0..48u64).map(|vm| ("checksum".to_string(), vec![vm * 977, vm % 50])).collect();
    let report = check_invokes("wat/direct.wat", &direct, &mix(vec![run.clone(), checksum]));
    let in_risky = report
        .outcomes
        .iter()
        .filter(|o| matches!(&o.status, VmStatus::Trapped { function, .. } if function == "risky"))
        .count();
    let risky_direct = run.iter().filter(|(_, a)| (1..=3).contains(&a[0])).count();
    assert!(in_risky > risky_direct, "traps not named after the callee (also through the table)");
    let traps: BTreeSet<&str> = report.outcomes.iter().filter_map(|o| match &o.status {
        VmStatus::Trapped { trap, .. } => Some(trap.name()),
        _ => None,
    }).collect();
    for kind in ["indirect_call_type_mismatch", "uninitialized_element", "undefined_element", "integer_divide_by_zero"] {
        assert!(traps.contains(kind), "no VM trapped with {kind}: {traps:?}");
    }

    let apply: Vec<Call> = (0..64u64).map(|vm| ("apply".to_string(), vec![vm % 10, vm * 7, vm + 3])).collect();
    let fold: Vec<Call> = (0..64u64).map(|vm| ("fold".to_string(), vec![vm * 2654435761 % (1 << 32), vm])).collect();
    check_invokes("wat/call_indirect.wat", &direct, &mix(vec![apply, fold]));
    let traps: Vec<Call> = (0..64u64).map(|vm| ("maybe_trap".to_string(), vec![vm % 8, vm])).collect();
    check_invokes("wat/traps.wat", &BuildOptions { stack_size: 8192, ..direct.clone() }, &traps);
    let bulk: Vec<Call> = (0..32u64).map(|vm| ("bulk".to_string(), vec![vm * 100, vm % 40])).collect();
    check_invokes("wat/memory.wat", &direct, &bulk);
}

/// A loop that never ends inside a directly called function cannot yield: its VM traps once its
/// fuel debt passes the floor (lowered here by a build option), and the other VMs finish.
#[test]
fn direct_call_runaway_loop_traps() {
    let bundle = compile("wat/direct.wat", &BuildOptions { direct_calls: true, ..small() });
    let spin = bundle.export("spin").unwrap().invoke_index;
    let options = LoadOptions { extra_build_options: "-DVV_FUEL_FLOOR=-200000".into(), ..LoadOptions::default() };
    let loader = Loader::with_options(bundle, &DeviceChoice::Default, &options).unwrap_or_else(|e| panic!("{e}"));
    let plan = (0..16u64).map(|vm| (spin, vec![vm % 4])).collect();
    let cfg = RunConfig { vms: 16, invoke: Invoke::PerVm(plan), ..RunConfig::default() };
    let report = run_limited(&loader, cfg, "wat/direct.wat spin");
    for (vm, o) in report.outcomes.iter().enumerate() {
        if vm % 4 == 0 {
            assert!(matches!(&o.status, VmStatus::Trapped { trap: vv_bundle::abi::Trap::RunawayLoop, .. }), "vm {vm}: {:?}", o.status);
        } else {
            assert!(matches!(o.status, VmStatus::Exited(0)) && o.results[0] == vm as u64 % 4, "vm {vm}: {:?}", o.status);
        }
    }
}
