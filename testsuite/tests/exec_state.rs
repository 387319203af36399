//! Instance state across calls (`Invoke::Sequence`): every VM makes its own random sequence of
//! calls on one instance, mutating tables, segments, memory and globals, and each call's result
//! or trap is checked against the reference engine making the same calls in the same order.

mod common;

use common::*;
use vv_bundle::ExportKind;
use vv_loader::{Call, CallOutcome, Invoke, RunConfig};

/// wasmi reports an out-of-bounds `table.get`/`table.set` as "undefined element"; the spec
/// (and the device) call it an out-of-bounds table access.
fn same_trap(device: &str, reference: Option<&str>) -> bool {
    reference == Some(device) || (device == "table_out_of_bounds" && reference == Some("undefined_element"))
}

#[test]
fn sequences_on_tables_segments_and_globals() {
    sequences(&small());
}

/// The same with `--direct-calls`: `$pick`, which reads tables and a funcref global, is then
/// called as a plain C function.
#[test]
fn sequences_with_direct_calls() {
    let options = vv_bundle::BuildOptions { direct_calls: true, ..small() };
    let text = vv_compiler::program_text(&compile("wat/tables.wat", &options).partitions[0]).to_string();
    assert!(text.contains("f4_pick_d(vm, "), "no direct call to pick");
    sequences(&options);
}

fn sequences(options: &vv_bundle::BuildOptions) {
    let rel = "wat/tables.wat";
    let wasm = wat::parse_bytes(&read(rel)).unwrap().into_owned();
    let bundle = compile(rel, options);
    let exports = bundle.exports.clone();
    let vms = 256;
    let mut rng = Rng::new(42);
    let plans: Vec<Vec<(String, Vec<u64>)>> = (0..vms)
        .map(|_| {
            // Grow the table to 10 entries of different functions first, so that most later
            // indices are in bounds and copies move distinguishable entries.
            let mut plan: Vec<(String, Vec<u64>)> = vec![("grow".into(), vec![6, rng.next() % 6])];
            for i in 0..10 {
                plan.push(("set".into(), vec![i, rng.next() % 6]));
            }
            plan.extend((0..16)
                .map(|_| {
                    // Half the calls read the table back, so that what the others change shows.
                    let e = match rng.next() % 4 {
                        0 => bundle.export("call0").unwrap(),
                        1 => &exports[(rng.next() % exports.len() as u64) as usize],
                        _ => &exports[(rng.next() % exports.len() as u64) as usize],
                    };
                    let args = e.params.iter().map(|_| rng.next() % 10).collect();
                    (e.name.clone(), args)
                }));
            plan
        })
        .collect();
    let sequences: Vec<Vec<Call>> = plans
        .iter()
        .map(|p| p.iter().map(|(n, a)| Call { export: bundle.export(n).unwrap().invoke_index, args: a.clone() }).collect())
        .collect();
    let loader = load(bundle);
    let report = run_limited(&loader, RunConfig { vms, invoke: Invoke::Sequence(sequences), ..RunConfig::default() }, rel);

    let mut failures = Vec::new();
    let mut traps = 0;
    for (vm, (plan, outcome)) in plans.iter().zip(&report.outcomes).enumerate() {
        assert_eq!(outcome.calls.len(), plan.len() + 1, "vm {vm}: instantiation and every call reported");
        assert_eq!(outcome.calls[0], CallOutcome::Returned(vec![]), "vm {vm}: instantiation");
        let mut reference = vv_testsuite::reference::ModuleInstance::new(&wasm).unwrap();
        for (i, ((name, args), got)) in plan.iter().zip(&outcome.calls[1..]).enumerate() {
            let export = exports.iter().find(|e| &e.name == name).unwrap();
            let expected = match export.kind {
                ExportKind::Global => Ok(vec![reference.global(name).unwrap()]),
                ExportKind::Function => reference.invoke(name, args),
            };
            let ok = match (got, &expected) {
                (CallOutcome::Returned(values), Ok(want)) => values == want,
                (CallOutcome::Trapped { trap, .. }, Err(msg)) => {
                    traps += 1;
                    same_trap(trap.name(), vv_testsuite::reference::trap_kind(msg))
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("vm {vm} call {i}: {name}({args:?}): device {got:?}, reference {expected:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} calls differ from the reference:\n{}", failures.len(), failures.join("\n"));
    assert!(traps > 100, "the random calls should trap often enough to test continuing after a trap ({traps})");
}
