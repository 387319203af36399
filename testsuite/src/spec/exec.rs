//! Runs planned units: compiles each module, builds it once for the device and runs one VM per
//! assertion (earlier mutating actions replayed first), then judges each outcome.

use super::plan::{replay_sequence, Action, Expect, Instance, RejectKind, Unit};
use super::scan::ModuleFacts;
use super::values::check_results;
use super::{Check, Outcome};
use std::time::Duration;
use vv_bundle::abi::{Trap, PAGE_SIZE};
use vv_bundle::{BuildOptions, Bundle};
use vv_compiler::CompileError;
use vv_loader::{Call, CallOutcome, DeviceChoice, Invoke, LoadOptions, Loader, RunConfig, VmOutcome};

/// A module that grows its memory gets room to grow to its maximum, up to this many pages
/// (memory_grow.wast grows a memory to 803 pages) ...
pub const GROW_CAP_PAGES: u64 = 1024;
/// ... and within `ExecOptions::memory_budget` bytes of linear memory over the VMs that may grow
/// (the loader allocates and zero-fills every VM's whole heap, so VMs that never grow run in a
/// launch of their own with just the initial memory).
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;

/// How units run.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub device: DeviceChoice,
    pub load: LoadOptions,
    /// Limit of one module's run on the device.
    pub timeout: Duration,
    /// Bytes of linear memory one launch may give its VMs for `memory.grow` (see `heap_pages`).
    pub memory_budget: u64,
    /// Compile with `vvc build --direct-calls`.
    pub direct_calls: bool,
    /// Memory interleave (`vvc build --interleave`).
    pub interleave: u32,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions { device: DeviceChoice::Default, load: LoadOptions::default(), timeout: Duration::from_secs(120), memory_budget: DEFAULT_MEMORY_BUDGET, direct_calls: false, interleave: 1 }
    }
}

/// Runs one unit of file `name` and reports its checks.
pub fn run_unit(name: &str, unit: &Unit, opts: &ExecOptions) -> Vec<Check> {
    match unit {
        Unit::Instance(instance) => run_instance(name, instance, opts),
        Unit::Reject { line, directive, kind, wasm, message } => {
            let facts = super::scan::scan(wasm).ok();
            let compiled = vv_compiler::compile(name, wasm, &build_options(facts.as_ref(), 1, opts));
            let note = Some(match &compiled {
                Ok(_) => "compiled".to_string(),
                Err(e) => format!("rejected: {}", error_kind(e)),
            });
            let outcome = match (kind, compiled) {
                // wasm-v1 calls a segment that does not fit a link error; vv traps at instantiation.
                (RejectKind::Unlinkable, Ok(bundle)) => unlinkable_at_instantiation(bundle, message, opts),
                (kind, compiled) => judge_rejection(*kind, message, compiled),
            };
            let note = note.map(|n| format!("{}: {n}", kind.directive()));
            vec![Check { line: *line, directive: directive.clone(), outcome, note }]
        }
        Unit::Uninstantiable { line, directive, wasm, message, trap } => {
            let outcome = run_uninstantiable(name, wasm, message, *trap, opts);
            vec![Check { line: *line, directive: directive.clone(), outcome, note: None }]
        }
    }
}

/// Small build options: the heap `heap_pages` gives, default stack and fuel.
pub fn build_options(facts: Option<&ModuleFacts>, growing_vms: usize, opts: &ExecOptions) -> BuildOptions {
    BuildOptions {
        heap_size: heap_pages(facts, growing_vms, opts.memory_budget) * PAGE_SIZE,
        direct_calls: opts.direct_calls,
        interleave: opts.interleave,
        ..BuildOptions::default()
    }
}

/// Pages of heap for a launch of a module in which `growing_vms` VMs may execute `memory.grow`:
/// its initial memory, or with growing VMs room to grow to its maximum (capped by
/// `GROW_CAP_PAGES` and by `memory_budget` bytes over those VMs); at least one, at most the
/// 4 GiB of a 32-bit memory.
pub fn heap_pages(facts: Option<&ModuleFacts>, growing_vms: usize, memory_budget: u64) -> u64 {
    let Some(facts) = facts else { return 1 };
    let Some((initial, max)) = facts.memory else { return 1 };
    let budget = memory_budget / PAGE_SIZE / growing_vms.max(1) as u64;
    let grown = if facts.grows_memory && growing_vms > 0 { max.unwrap_or(u64::MAX).min(GROW_CAP_PAGES).min(budget) } else { 0 };
    initial.max(grown).clamp(1, MAX_PAGES)
}

/// Pages of the largest 32-bit memory.
const MAX_PAGES: u64 = 65536;

/// The kind of a compile error, as verbose output and failure categories name it.
pub fn error_kind(e: &CompileError) -> &'static str {
    match e {
        CompileError::MalformedText { .. } => "malformed text",
        CompileError::Malformed { .. } => "malformed or invalid",
        CompileError::Unsupported { .. } => "unsupported feature",
        CompileError::UnsupportedModule { .. } => "unsupported module feature",
        CompileError::UnknownImport { .. } => "unknown import",
        CompileError::ImportSignature { .. } => "import signature",
        CompileError::Limits { .. } => "limits",
        CompileError::Internal { .. } => "internal compiler error",
    }
}

/// A short, path-free summary of a compile error that groups alike failures.
fn error_category(e: &CompileError) -> String {
    match e {
        CompileError::Unsupported { feature, .. } | CompileError::UnsupportedModule { feature, .. } => {
            format!("compile: unsupported: {feature}")
        }
        CompileError::UnknownImport { module, name, .. } => format!("compile: unknown import {module}.{name}"),
        other => format!("compile: {}", error_kind(other)),
    }
}

/// Whether the compiler's rejection satisfies a module-level assertion. `assert_malformed` and
/// `assert_invalid` need a parse or validation error (not "unsupported"); `assert_unlinkable`
/// needs a linking error (unknown import, import signature, a segment that does not fit).
fn rejection_fits(kind: RejectKind, e: &CompileError) -> bool {
    match kind {
        RejectKind::Malformed | RejectKind::Invalid => {
            matches!(e, CompileError::MalformedText { .. } | CompileError::Malformed { .. })
        }
        RejectKind::Unlinkable => {
            matches!(e, CompileError::UnknownImport { .. } | CompileError::ImportSignature { .. } | CompileError::Limits { .. })
        }
    }
}

pub fn judge_rejection(kind: RejectKind, message: &str, result: Result<Bundle, CompileError>) -> Outcome {
    match result {
        Ok(_) => Outcome::fail(format!("accepted a module that is {kind:?}").to_lowercase(), format!("expected rejection: {message:?}; the compiler accepted it")),
        Err(e) if rejection_fits(kind, &e) => Outcome::Pass,
        Err(e) => Outcome::fail(
            format!("rejected for another reason ({})", error_kind(&e)),
            format!("expected {kind:?} ({message:?}); the compiler said: {e}"),
        ),
    }
}

/// An `assert_unlinkable` module the compiler accepted passes if it cannot be instantiated.
fn unlinkable_at_instantiation(bundle: Bundle, message: &str, opts: &ExecOptions) -> Outcome {
    let outcomes = match launch(bundle, vec![Vec::new()], opts) {
        Ok(o) => o,
        Err(failure) => return failure,
    };
    match outcomes[0].calls.first() {
        Some(CallOutcome::Trapped { .. }) => Outcome::Pass,
        Some(_) => Outcome::fail("accepted a module that is unlinkable", format!("expected {message:?}; compiled and instantiated")),
        None => unfinished(&outcomes[0]),
    }
}

fn run_uninstantiable(name: &str, wasm: &[u8], message: &str, trap: Option<Trap>, opts: &ExecOptions) -> Outcome {
    let Some(trap) = trap else { return unknown_trap(message) };
    let facts = super::scan::scan(wasm).ok();
    let bundle = match vv_compiler::compile(name, wasm, &build_options(facts.as_ref(), 1, opts)) {
        Ok(b) => b,
        Err(e) => return Outcome::fail(error_category(&e), format!("expected instantiation to trap ({message}); {e}")),
    };
    let outcomes = match launch(bundle, vec![Vec::new()], opts) {
        Ok(o) => o,
        Err(failure) => return failure,
    };
    match outcomes[0].calls.first() {
        Some(CallOutcome::Trapped { trap: got, .. }) if *got == trap => Outcome::Pass,
        Some(CallOutcome::Trapped { trap: got, function }) => {
            Outcome::fail("wrong trap", format!("expected {message:?}, instantiation trapped with {} in {function}", got.name()))
        }
        Some(other) => Outcome::fail("no trap", format!("expected {message:?} at instantiation, got {other:?}")),
        None => unfinished(&outcomes[0]),
    }
}

fn unknown_trap(message: &str) -> Outcome {
    Outcome::fail("unknown trap message", format!("the runner knows no trap for {message:?}"))
}

fn unfinished(o: &VmOutcome) -> Outcome {
    Outcome::fail("did not finish", format!("the VM stopped early: {:?}", o.status))
}

/// Builds the bundle for the device and runs one VM per call sequence. A failure is the outcome
/// every check of the module gets.
fn launch(bundle: Bundle, sequences: Vec<Vec<Call>>, opts: &ExecOptions) -> Result<Vec<VmOutcome>, Outcome> {
    let loader = Loader::with_options(bundle, &opts.device, &opts.load)
        .map_err(|e| Outcome::fail("device build failed", e.to_string()))?;
    let vms = sequences.len();
    let cfg = RunConfig { vms, invoke: Invoke::Sequence(sequences), timeout: Some(opts.timeout), ..RunConfig::default() };
    let report = loader.run(&cfg).map_err(|e| Outcome::fail("device run failed", e.to_string()))?;
    if report.outcomes.len() != vms {
        return Err(Outcome::fail("device run failed", format!("{} outcomes for {vms} VMs", report.outcomes.len())));
    }
    Ok(report.outcomes)
}

/// Checks of an instance that all come out the same way (the module failed or is skipped).
fn all_checks(instance: &Instance, module: Outcome, assertion: impl Fn() -> Outcome) -> Vec<Check> {
    let mut checks = vec![Check { line: instance.line, directive: instance.directive.clone(), outcome: module, note: None }];
    for a in instance.actions.iter().filter(|a| a.expect.is_some()) {
        checks.push(Check { line: a.line, directive: a.directive.clone(), outcome: assertion(), note: None });
    }
    checks
}

/// The outcome of an assertion whose module failed: the same category, and the first line of
/// the module's failure (the module's own check carries the whole message).
fn dependent(instance: &Instance, module: &Outcome) -> Outcome {
    match module {
        Outcome::Fail { category, detail } => Outcome::fail(
            category.clone(),
            format!("the module at line {} failed: {}", instance.line, detail.lines().next().unwrap_or("")),
        ),
        other => other.clone(),
    }
}

fn run_instance(name: &str, instance: &Instance, opts: &ExecOptions) -> Vec<Check> {
    if let Some(reason) = &instance.skip {
        return all_checks(instance, Outcome::Skip(reason.clone()), || Outcome::Skip(reason.clone()));
    }
    let wasm = match &instance.wasm {
        Ok(w) => w,
        Err(e) => {
            let failed = Outcome::fail("module did not encode", e.clone());
            return all_checks(instance, failed.clone(), || dependent(instance, &failed));
        }
    };
    let facts = instance.facts.as_ref();
    let compile = |growing_vms: usize| vv_compiler::compile(name, wasm, &build_options(facts, growing_vms, opts));
    let bundle = match compile(0) {
        Ok(b) => b,
        Err(e) => {
            let failed = Outcome::fail(error_category(&e), e.to_string());
            return all_checks(instance, failed.clone(), || dependent(instance, &failed));
        }
    };
    let mutates = |export: &str| facts.is_none_or(|f| f.mutates(export));
    // VM 0 only instantiates; then one VM per assertion the bundle can run, as action indices.
    let mut vms: Vec<Vec<usize>> = vec![Vec::new()];
    // Per assertion: its VM, or the outcome decided without one.
    let mut planned: Vec<(usize, Result<usize, Outcome>)> = Vec::new();
    for (k, action) in instance.actions.iter().enumerate() {
        let Some(expect) = &action.expect else { continue };
        let verdict = match expect {
            Expect::Trap { trap: None, message } => Err(unknown_trap(message)),
            _ => call_for(&bundle, action).map(|_| {
                let sequence = replay_sequence(&instance.actions, k, mutates);
                vms.push(sequence.into_iter().filter(|&i| call_for(&bundle, &instance.actions[i]).is_ok()).collect());
                vms.len() - 1
            }),
        };
        planned.push((k, verdict));
    }
    // VMs that may grow memory run in a launch of their own with room to grow.
    let grows = |vm: &Vec<usize>| vm.iter().any(|&i| facts.is_some_and(|f| f.grows(&instance.actions[i].export)));
    let (growing, plain): (Vec<usize>, Vec<usize>) = (0..vms.len()).partition(|&v| grows(&vms[v]));
    let mut outcomes: Vec<Result<VmOutcome, Outcome>> = vec![Err(Outcome::fail("not run", "")); vms.len()];
    let mut launch_group = |bundle: Bundle, group: &[usize]| {
        let sequences =
            group.iter().map(|&v| vms[v].iter().filter_map(|&i| call_for(&bundle, &instance.actions[i]).ok()).collect()).collect();
        match launch(bundle, sequences, opts) {
            Ok(got) => group.iter().zip(got).for_each(|(&v, o)| outcomes[v] = Ok(o)),
            Err(failed) => group.iter().for_each(|&v| outcomes[v] = Err(failed.clone())),
        }
    };
    launch_group(bundle, &plain);
    if !growing.is_empty() {
        match compile(growing.len()) {
            Ok(grow_bundle) => launch_group(grow_bundle, &growing),
            Err(e) => growing.iter().for_each(|&v| outcomes[v] = Err(Outcome::fail(error_category(&e), e.to_string()))),
        }
    }
    let module = match &outcomes[0] {
        Ok(vm) => match vm.calls.first() {
            Some(CallOutcome::Returned(_)) => Outcome::Pass,
            Some(CallOutcome::Trapped { trap, function }) => {
                Outcome::fail("instantiation trapped", format!("{} in {function}", trap.name()))
            }
            Some(CallOutcome::Exited(code)) => Outcome::fail("instantiation exited", format!("exit code {code}")),
            None => unfinished(vm),
        },
        Err(failed) => failed.clone(),
    };
    let mut checks = vec![Check { line: instance.line, directive: instance.directive.clone(), outcome: module, note: None }];
    for (k, verdict) in planned {
        let action = &instance.actions[k];
        let outcome = match verdict.map(|v| (&outcomes[v], vms[v].len())) {
            Err(o) => o,
            Ok((Ok(vm), calls)) => judge(action, vm, calls),
            Ok((Err(failed), _)) => dependent(instance, failed),
        };
        checks.push(Check { line: action.line, directive: action.directive.clone(), outcome, note: None });
    }
    checks
}

/// The loader call for an action, or the failure when the bundle cannot make it.
fn call_for(bundle: &Bundle, action: &Action) -> Result<Call, Outcome> {
    let export = bundle
        .export(&action.export)
        .ok_or_else(|| Outcome::fail("missing export", format!("the bundle has no export {:?}", action.export)))?;
    if export.params.len() != action.args.len() {
        return Err(Outcome::fail(
            "argument count",
            format!("{:?} takes {} arguments, the test passes {}", action.export, export.params.len(), action.args.len()),
        ));
    }
    Ok(Call { export: export.invoke_index, args: action.args.clone() })
}

/// Judges the last call of a VM that ran `calls` calls after instantiating.
fn judge(action: &Action, vm: &VmOutcome, calls: usize) -> Outcome {
    match vm.calls.first() {
        Some(CallOutcome::Returned(_)) => {}
        Some(CallOutcome::Trapped { trap, function }) => {
            return Outcome::fail("instantiation trapped", format!("{} in {function}", trap.name()))
        }
        Some(CallOutcome::Exited(code)) => return Outcome::fail("instantiation exited", format!("exit code {code}")),
        None => return unfinished(vm),
    }
    if let Some(CallOutcome::Exited(code)) = vm.calls.iter().find(|c| matches!(c, CallOutcome::Exited(_))) {
        return Outcome::fail("exited", format!("a call exited with code {code} before the assertion ran"));
    }
    let Some(got) = vm.calls.get(calls) else { return unfinished(vm) };
    let Some(expect) = &action.expect else { return Outcome::Pass };
    match (expect, got) {
        (Expect::Return(expected), CallOutcome::Returned(values)) => match check_results(expected, values) {
            Ok(()) => Outcome::Pass,
            Err(diff) => Outcome::fail("wrong result", diff),
        },
        (Expect::Return(_), CallOutcome::Trapped { trap, function }) => {
            Outcome::fail(format!("unexpected trap: {}", trap.name()), format!("expected a return, trapped with {} in {function}", trap.name()))
        }
        (Expect::Trap { trap: Some(t), .. }, CallOutcome::Trapped { trap, .. }) if trap == t => Outcome::Pass,
        (Expect::Trap { message, .. }, CallOutcome::Trapped { trap, function }) => {
            Outcome::fail("wrong trap", format!("expected {message:?}, trapped with {} in {function}", trap.name()))
        }
        (Expect::Trap { message, .. }, CallOutcome::Returned(values)) => {
            Outcome::fail("no trap", format!("expected {message:?}, returned {values:x?}"))
        }
        (_, CallOutcome::Exited(code)) => Outcome::fail("exited", format!("the call exited with code {code}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(wat: &str) -> ModuleFacts {
        super::super::scan::scan(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn heap_fits_the_memory_and_its_growth() {
        let budget = 64 << 20; // 1024 pages
        assert_eq!(heap_pages(None, 1, budget), 1);
        assert_eq!(heap_pages(Some(&facts("(module)")), 1, budget), 1);
        assert_eq!(heap_pages(Some(&facts("(module (memory 3))")), 100, budget), 3);
        let grows = "(module (memory 1 5) (func (drop (memory.grow (i32.const 1)))))";
        assert_eq!(heap_pages(Some(&facts(grows)), 1, budget), 5);
        let unbounded = "(module (memory 0) (func (drop (memory.grow (i32.const 1)))))";
        assert_eq!(heap_pages(Some(&facts(unbounded)), 1, budget), GROW_CAP_PAGES);
        assert_eq!(heap_pages(Some(&facts(unbounded)), 10, budget), 102);
        assert_eq!(heap_pages(Some(&facts(unbounded)), 0, budget), 1, "no growing VM, no room to grow");
        let big = "(module (memory 2000) (func (drop (memory.grow (i32.const 1)))))";
        assert_eq!(heap_pages(Some(&facts(big)), 100, budget), 2000, "never below the initial memory");
        let mut huge = ModuleFacts::default();
        huge.memory = Some((1 << 40, None));
        assert_eq!(heap_pages(Some(&huge), 1, budget), MAX_PAGES);
    }

    #[test]
    fn unsupported_features_do_not_pass_invalid_assertions() {
        let unsupported = CompileError::UnsupportedModule { path: "t".into(), feature: "multiple tables".into() };
        let malformed = CompileError::Malformed { path: "t".into(), message: "type mismatch".into() };
        assert!(!rejection_fits(RejectKind::Invalid, &unsupported));
        assert!(rejection_fits(RejectKind::Invalid, &malformed));
        assert!(!rejection_fits(RejectKind::Unlinkable, &unsupported));
        assert_eq!(judge_rejection(RejectKind::Invalid, "type mismatch", Err(malformed)), Outcome::Pass);
    }
}
