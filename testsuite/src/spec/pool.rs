//! Spreads the units of many planned files over a few worker threads and hands back each file's
//! results, in file order, as soon as the file and every file before it are done.

use super::exec::{run_unit, ExecOptions};
use super::plan::FilePlan;
use super::report::FileResult;
use super::{Check, Outcome};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs every unit of `plans` on `jobs` threads; calls `done` once per file, in order.
pub fn run_files(plans: &[FilePlan], jobs: usize, opts: &ExecOptions, mut done: impl FnMut(FileResult)) {
    let work: Vec<(usize, usize)> =
        plans.iter().enumerate().flat_map(|(f, p)| (0..p.units.len()).map(move |u| (f, u))).collect();
    let next = AtomicUsize::new(0);
    let mut pending: Vec<usize> = plans.iter().map(|p| p.units.len()).collect();
    let mut checks: Vec<Vec<Check>> = plans.iter().map(|p| p.decided.clone()).collect();
    let mut started: Vec<Option<Instant>> = vec![None; plans.len()];
    let mut finished: Vec<Option<Instant>> = vec![None; plans.len()];
    let mut reported = 0;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Instant, Vec<Check>)>();
        for _ in 0..jobs.max(1) {
            let tx = tx.clone();
            let (work, next) = (&work, &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(f, u)) = work.get(i) else { break };
                let begun = Instant::now();
                let plan = &plans[f];
                let result = catch_unwind(AssertUnwindSafe(|| run_unit(&plan.name, &plan.units[u], opts)))
                    .unwrap_or_else(|panic| panicked(&plan.units[u], panic));
                if tx.send((f, begun, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut flush = |pending: &[usize], checks: &mut Vec<Vec<Check>>, reported: &mut usize, started: &[Option<Instant>], finished: &[Option<Instant>]| {
            while *reported < plans.len() && pending[*reported] == 0 {
                let f = *reported;
                let mut file_checks = std::mem::take(&mut checks[f]);
                file_checks.sort_by_key(|c| c.line);
                let elapsed = match (started[f], finished[f]) {
                    (Some(s), Some(e)) => e - s,
                    _ => Duration::ZERO,
                };
                done(FileResult { path: plans[f].path.clone(), checks: file_checks, elapsed });
                *reported += 1;
            }
        };
        flush(&pending, &mut checks, &mut reported, &started, &finished);
        for (f, begun, result) in rx {
            let s = started[f].get_or_insert(begun);
            *s = (*s).min(begun);
            finished[f] = Some(Instant::now());
            checks[f].extend(result);
            pending[f] -= 1;
            flush(&pending, &mut checks, &mut reported, &started, &finished);
        }
    });
}

/// Every check of a unit fails when running it panicked (a compiler or loader bug).
fn panicked(unit: &super::plan::Unit, panic: Box<dyn std::any::Any + Send>) -> Vec<Check> {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into());
    let outcome = Outcome::fail("panic", message);
    let (line, directive) = match unit {
        super::plan::Unit::Instance(i) => (i.line, i.directive.clone()),
        super::plan::Unit::Reject { line, directive, .. } | super::plan::Unit::Uninstantiable { line, directive, .. } => {
            (*line, directive.clone())
        }
    };
    let mut checks = vec![Check { line, directive, outcome: outcome.clone(), note: None }];
    if let super::plan::Unit::Instance(i) = unit {
        for a in i.actions.iter().filter(|a| a.expect.is_some()) {
            checks.push(Check { line: a.line, directive: a.directive.clone(), outcome: outcome.clone(), note: None });
        }
    }
    checks
}
