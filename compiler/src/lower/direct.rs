//! Which functions `vvc build --direct-calls` calls as plain OpenCL functions: those that never
//! leave the kernel (no host call, no `call_indirect`, and direct calls only to such functions).

use super::module::{Callee, ModuleCtx};
use super::walk::each_instr;
use std::collections::{BTreeSet, HashSet};
use walrus::ir::Instr;
use walrus::{ConstExpr, ElementItems, ExportItem, FunctionId, FunctionKind, GlobalKind, LocalFunction, Module};

/// The result of the analysis, by dispatch id.
#[derive(Debug, Default)]
pub struct DirectCalls {
    /// Functions every `call` reaches directly (a C call, no dispatcher round trip).
    pub direct: BTreeSet<u32>,
    /// Functions of `direct` that the dispatcher must still reach: exported, the start function,
    /// or a possible `funcref` (in an element segment or taken by `ref.func`).
    pub dispatched_too: BTreeSet<u32>,
    /// Functions some `call` names (of `direct`, those need their plain version written).
    pub called: BTreeSet<u32>,
}

impl DirectCalls {
    /// Whether the dispatcher needs the resumable version of function `id`.
    pub fn dispatched(&self, id: u32) -> bool {
        !self.direct.contains(&id) || self.dispatched_too.contains(&id)
    }

    /// Whether callers call function `id` as a plain C function.
    pub fn plain(&self, id: u32) -> bool {
        self.direct.contains(&id) && self.called.contains(&id)
    }
}

/// What one function's body calls (added to `called`), or `None` if it cannot run as a plain
/// function itself.
fn direct_callees(ctx: &ModuleCtx, f: &LocalFunction, refs: &mut HashSet<FunctionId>, called: &mut BTreeSet<u32>) -> Option<BTreeSet<u32>> {
    let mut callees = BTreeSet::new();
    let mut plain = true;
    each_instr(f, f.entry_block(), |instr| match instr {
        Instr::Call(c) => match ctx.callee(c.func) {
            Callee::Local(id) => {
                callees.insert(id);
                called.insert(id);
            }
            Callee::Host(_) | Callee::Spectest(_) => plain = false,
        },
        Instr::RefFunc(r) => {
            refs.insert(r.func);
        }
        Instr::CallIndirect(_) | Instr::ReturnCall(_) | Instr::ReturnCallIndirect(_) => plain = false,
        _ => {}
    });
    plain.then_some(callees)
}

pub fn analyze(m: &Module, ctx: &ModuleCtx) -> DirectCalls {
    let mut refs: HashSet<FunctionId> = HashSet::new();
    let mut called = BTreeSet::new();
    let mut candidates: Vec<Option<BTreeSet<u32>>> = Vec::new();
    for fid in &ctx.locals {
        let candidate = match &m.funcs.get(*fid).kind {
            FunctionKind::Local(f) => direct_callees(ctx, f, &mut refs, &mut called),
            _ => None,
        };
        candidates.push(candidate);
    }
    // The least fixed point: a function joins once all its callees have, so no cycle (recursion,
    // which OpenCL C forbids) ever does.
    let mut direct = BTreeSet::new();
    loop {
        let before = direct.len();
        for (id, candidate) in candidates.iter().enumerate() {
            if let Some(callees) = candidate {
                if !direct.contains(&(id as u32)) && callees.iter().all(|c| direct.contains(c)) {
                    direct.insert(id as u32);
                }
            }
        }
        if direct.len() == before {
            break;
        }
    }
    for e in m.elements.iter() {
        match &e.items {
            ElementItems::Functions(fs) => refs.extend(fs.iter().copied()),
            ElementItems::Expressions(_, exprs) => refs.extend(exprs.iter().filter_map(ref_func)),
        }
    }
    for g in m.globals.iter() {
        if let GlobalKind::Local(expr) = &g.kind {
            refs.extend(ref_func(expr));
        }
    }
    refs.extend(m.exports.iter().filter_map(|e| match e.item {
        ExportItem::Function(f) => Some(f),
        _ => None,
    }));
    refs.extend(m.start);
    let dispatched_too = refs.iter().filter_map(|f| ctx.dispatch_id(*f)).filter(|id| direct.contains(id)).collect();
    DirectCalls { direct, dispatched_too, called }
}

fn ref_func(e: &ConstExpr) -> Option<FunctionId> {
    match e {
        ConstExpr::RefFunc(f) => Some(*f),
        _ => None,
    }
}
