//! Writes one Wasm function as an OpenCL C function that the kernel's dispatcher calls: locals and
//! operand-stack slots are C variables, control flow is gotos, and every call, hypercall and loop
//! head is a resume point where the VM can leave the kernel and later continue. A function that
//! never leaves the kernel can also be written as a plain C function its callers call directly.

use super::liveness::{self, Liveness};
use super::module::{Callee, ModuleCtx};
use super::ops;
use super::text::{Level, Text};
use super::types::{literal, Ty};
use super::walk::each_instr;
use std::collections::{BTreeSet, HashMap, HashSet};
use vv_bundle::abi::{CopyIn, HostCall, Service};
use walrus::ir::{Instr, InstrLocId, InstrSeqId, LoadKind, ExtendedLoad, StoreKind};
use walrus::{LocalFunction, LocalId};

/// A problem found while lowering a function: the feature and the byte offset of the instruction.
pub struct LowerError {
    pub feature: String,
    pub offset: Option<u32>,
}

type Result<T> = std::result::Result<T, LowerError>;

/// How many times more a call inside a loop is taken to run than one outside it.
const CALL_WEIGHT_PER_LOOP: u64 = 8;

/// The lowered function.
pub struct LoweredFunction {
    pub text: String,
    /// Each call to a function of this module (for `call_indirect`, every function of its
    /// signature it may reach): callee id and a weight that grows with the loops around the call
    /// site (for keeping callers and callees in one partition).
    pub calls: Vec<(u32, u64)>,
    /// The declaration of the plain version, when that is what was written.
    pub prototype: Option<String>,
    /// Functions called as plain C functions.
    pub plain_calls: BTreeSet<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Function,
    Block,
    Loop,
    If,
}

/// An enclosing block a branch can target.
struct Frame {
    seq: InstrSeqId,
    kind: FrameKind,
    label: String,
    /// Stack height below the block's parameters.
    base: usize,
    /// Types a branch to this frame carries: parameters for a loop, results otherwise.
    branch_types: Vec<Ty>,
    results: Vec<Ty>,
}

/// A point where the function continues after leaving the kernel.
struct Resume {
    id: u32,
    label: String,
    /// Locals live at the point (saved to and restored from the frame).
    locals: Vec<usize>,
    /// Operand stack below the point (restored from the frame).
    stack: Vec<Ty>,
    kind: ResumeKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ResumeKind {
    /// After a call returns.
    Call,
    /// After a hypercall: the host's answer is applied to memory first.
    Hypercall,
    /// A loop head where the VM yielded when its fuel ran out.
    LoopHead,
}

pub struct FunctionWriter<'a> {
    m: &'a ModuleCtx<'a>,
    f: &'a LocalFunction,
    id: u32,
    c_name: &'a str,
    body: Text,
    level: Level,
    stack: Vec<Ty>,
    /// Per stack entry: a side-effect-free expression (a local or a literal) that stands for the
    /// value until something needs it in the entry's variable; `None` once it is there.
    lazy: Vec<Option<String>>,
    max_depth: usize,
    vars: BTreeSet<(Ty, usize)>,
    locals: Vec<Ty>,
    local_index: HashMap<LocalId, usize>,
    params: usize,
    frames: Vec<Frame>,
    resumes: Vec<Resume>,
    next_label: u32,
    targeted: HashSet<String>,
    unreachable: bool,
    offset: Option<u32>,
    uses_ea: bool,
    uses_callee: bool,
    liveness: Liveness,
    /// The instruction being lowered: its sequence and index there.
    site: Option<(InstrSeqId, usize)>,
    /// Locals whose frame slot holds their current value on every path to this point: a
    /// spill skips them.
    clean: BTreeSet<usize>,
    /// Direct calls to local functions: callee and weight.
    calls: Vec<(u32, u64)>,
    /// Callees called as plain C functions.
    plain_calls: BTreeSet<u32>,
    /// What is clean on every branch so far to each forward label.
    label_clean: HashMap<String, BTreeSet<usize>>,
    /// Functions a `call` reaches as plain C functions (`--direct-calls`).
    direct: &'a BTreeSet<u32>,
    /// Writing the plain-function version: arguments are C parameters, results go out through
    /// pointers, loops never yield.
    plain: bool,
}

impl<'a> FunctionWriter<'a> {
    /// `plain`: write the version called directly (only for functions in `direct`).
    pub fn new(m: &'a ModuleCtx<'a>, f: &'a LocalFunction, id: u32, c_name: &'a str, direct: &'a BTreeSet<u32>, plain: bool) -> Self {
        FunctionWriter {
            m,
            f,
            id,
            c_name,
            body: Text::default(),
            level: Level(1),
            stack: Vec::new(),
            lazy: Vec::new(),
            max_depth: 0,
            vars: BTreeSet::new(),
            locals: Vec::new(),
            local_index: HashMap::new(),
            params: 0,
            frames: Vec::new(),
            resumes: Vec::new(),
            next_label: 0,
            targeted: HashSet::new(),
            unreachable: false,
            offset: None,
            uses_ea: false,
            uses_callee: false,
            liveness: Liveness::default(),
            site: None,
            clean: BTreeSet::new(),
            label_clean: HashMap::new(),
            calls: Vec::new(),
            plain_calls: BTreeSet::new(),
            direct,
            plain,
        }
    }

    /// The weight of a call site here: `CALL_WEIGHT_PER_LOOP` to the power of the loops around it.
    fn call_weight(&self) -> u64 {
        let loops = self.frames.iter().filter(|f| f.kind == FrameKind::Loop).count() as u32;
        CALL_WEIGHT_PER_LOOP.saturating_pow(loops)
    }

    fn unsupported<T>(&self, feature: impl Into<String>) -> Result<T> {
        Err(LowerError { feature: feature.into(), offset: self.offset })
    }

    /// Lowers the whole function.
    pub fn write(mut self, header: &str) -> Result<LoweredFunction> {
        self.collect_locals()?;
        self.liveness = liveness::analyze(self.f);
        // Parameters arrive in their frame slots.
        self.clean = (0..self.params).collect();
        let (_, results) = self.m.signature(self.f.ty()).map_err(|e| LowerError { feature: e.into(), offset: None })?;
        let entry = self.f.entry_block();
        self.frames.push(Frame {
            seq: entry,
            kind: FrameKind::Function,
            label: String::new(),
            base: 0,
            branch_types: results.clone(),
            results: results.clone(),
        });
        self.seq(entry)?;
        self.frames.pop();
        if !self.unreachable {
            self.offset = None;
            self.emit_return(&results);
        }
        let (text, prototype) =
            if self.plain { (self.assemble_plain(header, &results), Some(self.plain_prototype(&results))) } else { (self.assemble(header), None) };
        Ok(LoweredFunction { text, calls: std::mem::take(&mut self.calls), prototype, plain_calls: std::mem::take(&mut self.plain_calls) })
    }

    fn collect_locals(&mut self) -> Result<()> {
        let mut ids: Vec<LocalId> = self.f.args.clone();
        self.params = ids.len();
        let mut seen: HashSet<LocalId> = ids.iter().copied().collect();
        let mut others = BTreeSet::new();
        let mut visit = |l: LocalId| {
            if !seen.contains(&l) {
                seen.insert(l);
                others.insert(l);
            }
        };
        each_instr(self.f, self.f.entry_block(), |instr| match instr {
            Instr::LocalGet(i) => visit(i.local),
            Instr::LocalSet(i) => visit(i.local),
            Instr::LocalTee(i) => visit(i.local),
            _ => {}
        });
        ids.extend(others);
        for (i, id) in ids.iter().enumerate() {
            let ty = Ty::from_walrus(self.m.module.locals.get(*id).ty()).or_else(|f| self.unsupported(f))?;
            self.locals.push(ty);
            self.local_index.insert(*id, i);
        }
        Ok(())
    }

    // ---- assembling the function -------------------------------------------------------------

    fn frame_size(&self) -> usize {
        2 + self.locals.len() + self.max_depth
    }

    fn assemble(&self, header: &str) -> String {
        let mut t = Text::default();
        let l1 = Level(1);
        t.line(Level(0), format!("/* {header} */"));
        t.line(Level(0), format!("VV_FUNC {}(vm_t *vm) {{", self.c_name));
        t.line(l1, format!("const uint frame = {}u;", self.frame_size()));
        for ty in Ty::ALL {
            let mut names: Vec<String> =
                (0..self.locals.len()).filter(|&i| self.locals[i] == ty).map(|i| format!("loc{i}")).collect();
            names.extend(self.vars.iter().filter(|(t, _)| *t == ty).map(|(t, d)| var(*t, *d)));
            if !names.is_empty() {
                t.line(l1, format!("{} {};", ty.c_type(), names.join(", ")));
            }
        }
        if self.uses_ea {
            t.line(l1, "ulong ea;");
        }
        if self.uses_callee {
            t.line(l1, "uint callee;");
        }
        t.line(l1, "switch (vm->resume) {");
        t.line(l1, "case 0u:");
        let l2 = Level(2);
        t.line(l2, "if (vm->fp + frame > VV_STACK_LIMIT) VV_TRAP(VV_TRAP_STACK_EXHAUSTED);");
        for (i, ty) in self.locals.iter().enumerate() {
            if i < self.params {
                t.line(l2, format!("loc{i} = {};", ty.read_slot(&slot(2 + i))));
            } else {
                t.line(l2, format!("loc{i} = {};", ty.zero()));
            }
        }
        let (yield_locals, yield_stack) = self.resume_union(ResumeKind::LoopHead);
        // `vv_yield` saves these stack variables whichever loop head it leaves from.
        for &(d, ty) in &yield_stack {
            t.line(l2, format!("{} = {};", var(ty, d), ty.zero()));
        }
        t.line(l2, "break;");
        if !self.resumes.is_empty() {
            // One restore for every resume point: the locals live at any of them and every
            // operand-stack slot any of them keeps (values dead at a given point are harmless).
            t.line(l1, "default:");
            let (locals, stack) = self.resume_union(None);
            self.restore(&mut t, l2, &locals, &stack);
            t.line(l2, "switch (vm->resume) {");
            for r in &self.resumes {
                t.line(l2, format!("case {}u:", r.id));
                if r.kind == ResumeKind::Hypercall {
                    t.line(Level(3), "VV_TRAP_IF(vv_hc_apply(vm));");
                }
                t.line(Level(3), format!("goto {};", r.label));
            }
            t.line(l2, "}");
        }
        t.line(l2, "VV_TRAP(VV_TRAP_UNREACHABLE);");
        t.line(l1, "}");
        t.append(&self.body);
        if self.uses_ea {
            t.line(Level(0), "vv_oob:");
            t.line(l1, "VV_TRAP(VV_TRAP_OOB);");
        }
        if self.resumes.iter().any(|r| r.kind == ResumeKind::LoopHead) {
            // Saving more than a given loop head needs is harmless: every value saved is current.
            t.line(Level(0), "vv_yield:");
            for &i in &yield_locals {
                t.line(l1, format!("{} = {};", slot(2 + i), self.locals[i].to_slot(&format!("loc{i}"))));
            }
            for &(d, ty) in &yield_stack {
                t.line(l1, format!("{} = {};", slot(2 + self.locals.len() + d), ty.to_slot(&var(ty, d))));
            }
            t.line(l1, "return;");
        }
        t.line(Level(0), "}");
        t.into_string()
    }

    /// The plain version: `static R NAME_d(vm_t *vm, params...)` for one result (or none: void),
    /// `static void NAME_d(vm_t *vm, params..., results *...)` for several. A trap in it names
    /// this function (`VV_TRAP_FUNC`); its callers return as soon as the VM stops.
    fn assemble_plain(&self, header: &str, results: &[Ty]) -> String {
        let mut t = Text::default();
        let l1 = Level(1);
        t.line(Level(0), format!("/* {header}, called directly */"));
        t.line(Level(0), "#undef VV_TRAP_FUNC");
        t.line(Level(0), format!("#define VV_TRAP_FUNC vm->func = {}u", self.id));
        if let [ty] = results {
            t.line(Level(0), "#undef VV_STOP_VALUE");
            t.line(Level(0), format!("#define VV_STOP_VALUE {}", ty.zero()));
        }
        t.line(Level(0), format!("{} {{", self.plain_signature(results)));
        for ty in Ty::ALL {
            let mut names: Vec<String> =
                (self.params..self.locals.len()).filter(|&i| self.locals[i] == ty).map(|i| format!("loc{i} = {}", ty.zero())).collect();
            names.extend(self.vars.iter().filter(|(t, _)| *t == ty).map(|(t, d)| var(*t, *d)));
            if !names.is_empty() {
                t.line(l1, format!("{} {};", ty.c_type(), names.join(", ")));
            }
        }
        if self.uses_ea {
            t.line(l1, "ulong ea;");
        }
        t.append(&self.body);
        if self.uses_ea {
            t.line(Level(0), "vv_oob:");
            t.line(l1, "VV_TRAP(VV_TRAP_OOB);");
        }
        t.line(Level(0), "}");
        t.line(Level(0), "#undef VV_TRAP_FUNC");
        t.line(Level(0), "#define VV_TRAP_FUNC");
        if results.len() == 1 {
            t.line(Level(0), "#undef VV_STOP_VALUE");
            t.line(Level(0), "#define VV_STOP_VALUE");
        }
        t.into_string()
    }

    /// `VV_FUNC_OF(R) NAME_d(vm_t *vm, T loc0, ...)`, or with several results `VV_FUNC
    /// NAME_d(vm_t *vm, T loc0, ..., R *vv_r0, ...)`: a single result comes back by value, so that
    /// no caller variable needs an address (which would keep it in memory on a GPU).
    fn plain_signature(&self, results: &[Ty]) -> String {
        let mut p = vec!["vm_t *vm".to_string()];
        p.extend((0..self.params).map(|i| format!("{} loc{i}", self.locals[i].c_type())));
        let ret = match results {
            [ty] => format!("VV_FUNC_OF({})", ty.c_type()),
            _ => {
                p.extend(results.iter().enumerate().map(|(i, ty)| format!("{} *vv_r{i}", ty.c_type())));
                "VV_FUNC".to_string()
            }
        };
        format!("{ret} {}({})", plain_name(self.c_name), p.join(", "))
    }

    /// The prototype of the plain version, for callers written before it.
    fn plain_prototype(&self, results: &[Ty]) -> String {
        format!("{};", self.plain_signature(results))
    }

    /// The locals live at, and the stack slots kept by, any resume point (of one kind).
    fn resume_union(&self, kind: impl Into<Option<ResumeKind>>) -> (BTreeSet<usize>, BTreeSet<(usize, Ty)>) {
        let kind = kind.into();
        let points = || self.resumes.iter().filter(move |r| kind.is_none_or(|k| r.kind == k));
        let locals = points().flat_map(|r| r.locals.iter().copied()).collect();
        let stack = points().flat_map(|r| r.stack.iter().copied().enumerate()).collect();
        (locals, stack)
    }

    fn restore(&self, t: &mut Text, l: Level, locals: &BTreeSet<usize>, stack: &BTreeSet<(usize, Ty)>) {
        for &i in locals {
            t.line(l, format!("loc{i} = {};", self.locals[i].read_slot(&slot(2 + i))));
        }
        for &(d, ty) in stack {
            t.line(l, format!("{} = {};", var(ty, d), ty.read_slot(&slot(2 + self.locals.len() + d))));
        }
    }

    /// Indices of the locals in a live set.
    fn live_indices(&self, live: Option<&liveness::Live>) -> Vec<usize> {
        match live {
            Some(set) => {
                let mut v: Vec<usize> = set.iter().map(|l| self.local_index[l]).collect();
                v.sort_unstable();
                v
            }
            None => (0..self.locals.len()).collect(),
        }
    }

    /// Locals live after the call being lowered.
    fn live_after_call(&self) -> Vec<usize> {
        let set = self.site.and_then(|s| self.liveness.after_call.get(&s));
        self.live_indices(set)
    }

    /// Saves live locals whose slots are stale and the operand stack (below height `h`) to the
    /// frame before leaving; the saved locals are clean from here on.
    fn spill(&mut self, locals: &[usize], h: usize) {
        for &i in locals {
            if !self.clean.insert(i) {
                continue;
            }
            let ty = self.locals[i];
            self.line(format!("{} = {};", slot(2 + i), ty.to_slot(&format!("loc{i}"))));
        }
        for d in 0..h {
            let ty = self.stack[d];
            self.line(format!("{} = {};", slot(2 + self.locals.len() + d), ty.to_slot(&var(ty, d))));
        }
    }

    // ---- emission helpers --------------------------------------------------------------------

    fn line(&mut self, s: impl AsRef<str>) {
        self.body.line(self.level, s);
    }

    fn label_line(&mut self, label: &str) {
        self.body.line(Level(self.level.0.saturating_sub(1)), format!("{label}:;"));
    }

    fn new_label(&mut self, prefix: &str) -> String {
        self.next_label += 1;
        format!("{prefix}{}", self.next_label)
    }

    fn new_resume(&mut self, locals: Vec<usize>, stack: Vec<Ty>, kind: ResumeKind) -> (u32, String) {
        let id = self.resumes.len() as u32 + 1;
        let label = format!("R{id}");
        self.resumes.push(Resume { id, label: label.clone(), locals, stack, kind });
        (id, label)
    }

    fn push(&mut self, ty: Ty) -> String {
        let d = self.stack.len();
        self.stack.push(ty);
        self.lazy.push(None);
        self.max_depth = self.max_depth.max(self.stack.len());
        self.vars.insert((ty, d));
        var(ty, d)
    }

    /// Pushes a value that `expr` (a local or a literal) stands for until it is needed in a variable.
    fn push_lazy(&mut self, ty: Ty, expr: String) {
        self.stack.push(ty);
        self.lazy.push(Some(expr));
        self.max_depth = self.max_depth.max(self.stack.len());
    }

    /// The value of stack entry `d` as an expression.
    fn expr(&self, d: usize) -> String {
        self.lazy[d].clone().unwrap_or_else(|| var(self.stack[d], d))
    }

    /// Puts stack entry `d` in its variable.
    fn materialize(&mut self, d: usize) {
        if let Some(e) = self.lazy[d].take() {
            let ty = self.stack[d];
            self.vars.insert((ty, d));
            self.line(format!("{} = {e};", var(ty, d)));
        }
    }

    /// Puts every stack entry in its variable: before control flow joins, calls and spills.
    fn flush(&mut self) {
        for d in 0..self.stack.len() {
            self.materialize(d);
        }
    }

    /// Before local `i` changes: entries that stand for it take its current value.
    fn materialize_local(&mut self, i: usize) {
        let name = format!("loc{i}");
        for d in 0..self.stack.len() {
            if self.lazy[d].as_deref() == Some(name.as_str()) {
                self.materialize(d);
            }
        }
    }

    fn truncate_stack(&mut self, n: usize) {
        self.stack.truncate(n);
        self.lazy.truncate(n);
    }

    fn pop(&mut self) -> Result<(Ty, String)> {
        match self.stack.pop() {
            Some(ty) => {
                let d = self.stack.len();
                let e = self.lazy.pop().flatten().unwrap_or_else(|| var(ty, d));
                Ok((ty, e))
            }
            None => Err(LowerError { feature: "operand stack underflow (invalid module)".into(), offset: self.offset }),
        }
    }

    fn block_type(&self, seq: InstrSeqId) -> Result<(Vec<Ty>, Vec<Ty>)> {
        use walrus::ir::InstrSeqType;
        match self.f.block(seq).ty {
            InstrSeqType::Simple(None) => Ok((vec![], vec![])),
            InstrSeqType::Simple(Some(t)) => Ok((vec![], vec![Ty::from_walrus(t).or_else(|f| self.unsupported(f))?])),
            InstrSeqType::MultiValue(id) => self.m.signature(id).or_else(|f| self.unsupported(f)),
        }
    }

    // ---- control flow ------------------------------------------------------------------------

    fn seq(&mut self, seq: InstrSeqId) -> Result<()> {
        for (index, (instr, loc)) in self.f.block(seq).instrs.iter().enumerate() {
            self.offset = offset(*loc);
            self.site = Some((seq, index));
            self.instr(instr)?;
            if self.unreachable {
                break;
            }
        }
        Ok(())
    }

    fn frame_index(&self, seq: InstrSeqId) -> Result<usize> {
        match self.frames.iter().rposition(|f| f.seq == seq) {
            Some(i) => Ok(i),
            None => Err(LowerError { feature: "branch to an unknown block (invalid module)".into(), offset: self.offset }),
        }
    }

    /// Moves the branch values on top of the stack to the target frame's slots and jumps there.
    fn emit_branch(&mut self, seq: InstrSeqId) -> Result<()> {
        let fi = self.frame_index(seq)?;
        let (kind, base, types, label) = {
            let f = &self.frames[fi];
            (f.kind, f.base, f.branch_types.clone(), f.label.clone())
        };
        if kind == FrameKind::Function {
            self.emit_return(&types);
            return Ok(());
        }
        let n = types.len();
        let top = self.stack.len() - n;
        for (i, ty) in types.iter().enumerate() {
            if top + i != base + i || self.lazy[top + i].is_some() {
                self.vars.insert((*ty, base + i));
                let value = self.expr(top + i);
                self.line(format!("{} = {value};", var(*ty, base + i)));
            }
        }
        if kind != FrameKind::Loop {
            let clean = match self.label_clean.remove(&label) {
                Some(before) => before.intersection(&self.clean).copied().collect(),
                None => self.clean.clone(),
            };
            self.label_clean.insert(label.clone(), clean);
        }
        self.targeted.insert(label.clone());
        self.line(format!("goto {label};"));
        Ok(())
    }

    fn emit_return(&mut self, results: &[Ty]) {
        let top = self.stack.len() - results.len();
        if self.plain && results.len() == 1 {
            let value = self.expr(top);
            self.line(format!("return {value};"));
            return;
        }
        for (i, ty) in results.iter().enumerate() {
            let value = self.expr(top + i);
            if self.plain {
                self.line(format!("*vv_r{i} = {value};"));
            } else {
                self.line(format!("{} = {};", slot(2 + i), ty.to_slot(&value)));
            }
        }
        if !self.plain {
            self.line("vv_return(vm);");
        }
        self.line("return;");
    }

    fn block(&mut self, seq: InstrSeqId, kind: FrameKind) -> Result<()> {
        self.flush();
        let (params, results) = self.block_type(seq)?;
        let base = self.stack.len() - params.len();
        let label = self.new_label("L");
        let branch_types = if kind == FrameKind::Loop { params.clone() } else { results.clone() };
        if kind == FrameKind::Loop {
            // Back edges come from inside the loop: what it assigns may be stale there.
            for i in self.assigned_in(seq) {
                self.clean.remove(&i);
            }
            self.label_line(&label);
            if self.plain {
                // No resume point: fuel may run into debt here, bounded so that a loop that
                // never ends stops its VM instead of the whole launch.
                self.line("if (VV_TICK() < VV_FUEL_FLOOR) VV_TRAP(VV_TRAP_RUNAWAY);");
                self.frames.push(Frame { seq, kind, label: label.clone(), base, branch_types, results: results.clone() });
                self.seq(seq)?;
                self.frames.pop();
                return self.end_block(kind, label, base, &results);
            }
            let stack = self.stack.clone();
            let live = self.live_indices(Some(&self.liveness.loop_head.get(&seq).cloned().unwrap_or_default()));
            // Out of fuel: leave through the function's one `vv_yield` block, which saves what
            // any loop head needs.
            let (rid, rlabel) = self.new_resume(live, stack, ResumeKind::LoopHead);
            self.line(format!("if (VV_TICK() <= 0) {{ vm->resume = {rid}u; goto vv_yield; }}"));
            self.label_line(&rlabel);
        }
        self.frames.push(Frame { seq, kind, label: label.clone(), base, branch_types, results: results.clone() });
        self.seq(seq)?;
        self.frames.pop();
        self.end_block(kind, label, base, &results)
    }

    /// After a block's body: its results on the stack, its label if a branch targets it.
    fn end_block(&mut self, kind: FrameKind, label: String, base: usize, results: &[Ty]) -> Result<()> {
        let falls_through = !self.unreachable;
        if falls_through {
            self.flush();
        }
        self.truncate_stack(base);
        for t in results {
            self.push(*t);
        }
        let targeted = kind != FrameKind::Loop && self.targeted.contains(&label);
        if targeted {
            self.label_line(&label);
            self.merge_clean(&label, falls_through);
        }
        self.unreachable = !(falls_through || targeted);
        Ok(())
    }

    /// At a forward label: clean is what is clean on every way in (the fall-through, if any,
    /// and every branch).
    fn merge_clean(&mut self, label: &str, falls_through: bool) {
        let branches = self.label_clean.remove(label).unwrap_or_default();
        if falls_through {
            self.clean = self.clean.intersection(&branches).copied().collect();
        } else {
            self.clean = branches;
        }
    }

    /// Locals a sequence (with everything nested in it) assigns.
    fn assigned_in(&self, seq: InstrSeqId) -> Vec<usize> {
        let mut out = Vec::new();
        each_instr(self.f, seq, |instr| match instr {
            Instr::LocalSet(l) => out.push(self.local_index[&l.local]),
            Instr::LocalTee(l) => out.push(self.local_index[&l.local]),
            _ => {}
        });
        out
    }

    fn if_else(&mut self, consequent: InstrSeqId, alternative: InstrSeqId) -> Result<()> {
        let (_, cond) = self.pop()?;
        self.flush();
        let (params, results) = self.block_type(consequent)?;
        let base = self.stack.len() - params.len();
        let entry_stack = self.stack.clone();
        let label = self.new_label("L");
        self.line(format!("if ({cond}) {{"));
        self.level.0 += 1;
        self.frames.push(Frame {
            seq: consequent,
            kind: FrameKind::If,
            label: label.clone(),
            base,
            branch_types: results.clone(),
            results: results.clone(),
        });
        let entry_clean = self.clean.clone();
        self.seq(consequent)?;
        let then_falls = !self.unreachable;
        if then_falls {
            self.flush();
        }
        let then_clean = std::mem::replace(&mut self.clean, entry_clean);
        self.unreachable = false;
        self.lazy = vec![None; entry_stack.len()];
        self.stack = entry_stack;
        self.frames.last_mut().expect("if frame").seq = alternative;
        let else_falls = if self.f.block(alternative).instrs.is_empty() {
            true
        } else {
            self.level.0 -= 1;
            self.line("} else {");
            self.level.0 += 1;
            self.seq(alternative)?;
            let falls = !self.unreachable;
            if falls {
                self.flush();
            }
            falls
        };
        let frame = self.frames.pop().expect("if frame");
        self.level.0 -= 1;
        self.line("}");
        self.truncate_stack(base);
        for t in &frame.results {
            self.push(*t);
        }
        // Clean after the if: on every arm that falls through and every branch to its end.
        self.clean = match (then_falls, else_falls) {
            (true, true) => self.clean.intersection(&then_clean).copied().collect(),
            (true, false) => then_clean,
            (false, true) => std::mem::take(&mut self.clean),
            (false, false) => BTreeSet::new(),
        };
        let targeted = self.targeted.contains(&label);
        if targeted {
            self.label_line(&label);
            self.merge_clean(&label, then_falls || else_falls);
        }
        self.unreachable = !(then_falls || else_falls || targeted);
        Ok(())
    }

    // ---- instructions ------------------------------------------------------------------------

    fn instr(&mut self, instr: &Instr) -> Result<()> {
        match instr {
            Instr::Block(b) => self.block(b.seq, FrameKind::Block)?,
            Instr::Loop(b) => self.block(b.seq, FrameKind::Loop)?,
            Instr::IfElse(b) => self.if_else(b.consequent, b.alternative)?,
            Instr::Br(b) => {
                self.emit_branch(b.block)?;
                self.unreachable = true;
            }
            Instr::BrIf(b) => {
                let (_, cond) = self.pop()?;
                self.line(format!("if ({cond}) {{"));
                self.level.0 += 1;
                self.emit_branch(b.block)?;
                self.level.0 -= 1;
                self.line("}");
            }
            Instr::BrTable(b) => {
                let (_, index) = self.pop()?;
                self.line(format!("switch ({index}) {{"));
                for (i, target) in b.blocks.iter().enumerate() {
                    self.line(format!("case {i}u:"));
                    self.level.0 += 1;
                    self.emit_branch(*target)?;
                    self.level.0 -= 1;
                }
                self.line("default:");
                self.level.0 += 1;
                self.emit_branch(b.default)?;
                self.level.0 -= 1;
                self.line("}");
                self.unreachable = true;
            }
            Instr::Return(_) => {
                let results = self.frames[0].results.clone();
                self.emit_return(&results);
                self.unreachable = true;
            }
            Instr::Unreachable(_) => {
                self.line("VV_TRAP(VV_TRAP_UNREACHABLE);");
                self.unreachable = true;
            }
            Instr::Drop(_) => {
                self.pop()?;
            }
            Instr::Select(_) => {
                let (_, c) = self.pop()?;
                let (_, b) = self.pop()?;
                let (ty, a) = self.pop()?;
                let dst = self.push(ty);
                self.line(format!("{dst} = {c} ? {a} : {b};"));
            }
            Instr::Const(c) => {
                let (ty, lit) = literal(c.value).or_else(|f| self.unsupported(f))?;
                self.push_lazy(ty, atom(lit));
            }
            Instr::LocalGet(l) => {
                let i = self.local_index[&l.local];
                self.push_lazy(self.locals[i], format!("loc{i}"));
            }
            Instr::LocalSet(l) => {
                let i = self.local_index[&l.local];
                self.clean.remove(&i);
                self.materialize_local(i);
                let (_, v) = self.pop()?;
                self.line(format!("loc{i} = {v};"));
            }
            Instr::LocalTee(l) => {
                let i = self.local_index[&l.local];
                self.clean.remove(&i);
                self.materialize_local(i);
                let (ty, v) = self.pop()?;
                self.line(format!("loc{i} = {v};"));
                self.push_lazy(ty, format!("loc{i}"));
            }
            Instr::GlobalGet(g) => {
                let info = self.m.global(g.global).or_else(|f| self.unsupported(f))?;
                match &info.constant {
                    Some(lit) => self.push_lazy(info.ty, atom(lit.clone())),
                    None => {
                        let dst = self.push(info.ty);
                        self.line(format!("{dst} = {};", info.ty.read_slot(&format!("VV_GLOBAL({})", info.index))));
                    }
                }
            }
            Instr::GlobalSet(g) => {
                let info = self.m.global(g.global).or_else(|f| self.unsupported(f))?;
                let (ty, v) = self.pop()?;
                self.line(format!("VV_GLOBAL({}) = {};", info.index, ty.to_slot(&v)));
            }
            Instr::Binop(b) => {
                let (_, rhs) = self.pop()?;
                let (_, lhs) = self.pop()?;
                let Some(op) = ops::binop(b.op, &lhs, &rhs) else {
                    return self.unsupported(format!("operator {:?}", b.op));
                };
                self.apply(op)?;
            }
            Instr::Unop(u) => {
                let (_, a) = self.pop()?;
                let Some(op) = ops::unop(u.op, &a) else {
                    return self.unsupported(format!("operator {:?}", u.op));
                };
                self.apply(op)?;
            }
            Instr::Load(l) => self.load(l.kind, l.arg.offset)?,
            Instr::Store(s) => self.store(s.kind, s.arg.offset)?,
            Instr::MemorySize(_) => {
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = vm->pages;"));
            }
            Instr::MemoryGrow(_) => {
                let (_, n) = self.pop()?;
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = vv_memory_grow(vm, {n});"));
            }
            Instr::MemoryFill(_) => {
                let (_, n) = self.pop()?;
                let (_, v) = self.pop()?;
                let (_, d) = self.pop()?;
                self.line(format!("VV_TRAP_IF(vv_memory_fill(vm, {d}, {v}, {n}));"));
            }
            Instr::MemoryCopy(_) => {
                let (_, n) = self.pop()?;
                let (_, s) = self.pop()?;
                let (_, d) = self.pop()?;
                self.line(format!("VV_TRAP_IF(vv_memory_copy(vm, {d}, {s}, {n}));"));
            }
            Instr::Call(c) => match self.m.callee(c.func) {
                Callee::Local(id) => {
                    let weight = self.call_weight();
                    self.calls.push((id, weight));
                    let (params, results) = self.m.func_signature(c.func).or_else(|f| self.unsupported(f))?;
                    if self.direct.contains(&id) {
                        self.plain_calls.insert(id);
                        let name = plain_name(&super::c_name(id, self.m.func_name(id)));
                        self.direct_call(&name, &params, &results)?;
                    } else {
                        self.call(&format!("{id}u"), &params, &results)?;
                    }
                }
                Callee::Host(call) => self.host_call(call)?,
                Callee::Spectest(params) => {
                    for _ in params {
                        self.pop()?;
                    }
                }
            },
            Instr::CallIndirect(c) => {
                let table = self.m.instance().table(c.table);
                let (params, results) = self.m.signature(c.ty).or_else(|f| self.unsupported(f))?;
                let sig = self.m.sig_id(c.ty).or_else(|f| self.unsupported(f))?;
                let weight = self.call_weight();
                for target in self.m.indirect_targets(c.table, sig) {
                    self.calls.push((target, weight));
                }
                let (_, index) = self.pop()?;
                self.uses_callee = true;
                self.line(format!("if ({index} >= {}) VV_TRAP(VV_TRAP_TABLE_BOUNDS);", table.size()));
                self.line(format!("callee = {};", table.get(&index)));
                self.line("if (callee == VV_REF_NULL) VV_TRAP(VV_TRAP_NULL_ELEMENT);");
                self.line(format!("if (vv_func_sig[callee] != {sig}u) VV_TRAP(VV_TRAP_SIGNATURE);"));
                self.call("callee", &params, &results)?;
            }
            Instr::RefNull(r) => {
                let ty = Ty::from_ref(r.ty).or_else(|f| self.unsupported(f))?;
                let dst = self.push(ty);
                self.line(format!("{dst} = VV_REF_NULL;"));
            }
            Instr::RefIsNull(_) => {
                let (_, v) = self.pop()?;
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = (uint)({v} == VV_REF_NULL);"));
            }
            Instr::RefFunc(r) => {
                let Some(id) = self.m.dispatch_id(r.func) else {
                    return self.unsupported("a reference to an imported function");
                };
                let dst = self.push(Ty::FuncRef);
                self.line(format!("{dst} = {id}u;"));
            }
            Instr::TableGet(t) => {
                let table = self.m.instance().table(t.table);
                let (_, i) = self.pop()?;
                self.line(format!("if ({i} >= {}) VV_TRAP(VV_TRAP_TABLE_OOB);", table.size()));
                let dst = self.push(table.elem);
                self.line(format!("{dst} = {};", table.get(&i)));
            }
            Instr::TableSet(t) => {
                let (size_row, base, _) = self.table_rows(t.table)?;
                let (_, v) = self.pop()?;
                let (_, i) = self.pop()?;
                self.line(format!("if ({i} >= (uint)VV_GLOBAL({size_row}u)) VV_TRAP(VV_TRAP_TABLE_OOB);"));
                self.line(format!("VV_GLOBAL({base}u + {i}) = (ulong){v};"));
            }
            Instr::TableSize(t) => {
                let size = self.m.instance().table(t.table).size();
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = {size};"));
            }
            Instr::TableGrow(t) => {
                let (size_row, base, capacity) = self.table_rows(t.table)?;
                let (_, n) = self.pop()?;
                let (_, v) = self.pop()?;
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = vv_table_grow(vm, {size_row}u, {base}u, {capacity}u, {v}, {n});"));
            }
            Instr::TableFill(t) => {
                let (size_row, base, _) = self.table_rows(t.table)?;
                let (_, n) = self.pop()?;
                let (_, v) = self.pop()?;
                let (_, d) = self.pop()?;
                self.line(format!("VV_TRAP_IF(vv_table_fill(vm, {size_row}u, {base}u, {d}, {v}, {n}));"));
            }
            Instr::TableCopy(t) => {
                let (dsize, dbase, _) = self.table_rows(t.dst)?;
                let src = self.m.instance().table(t.src);
                let (_, n) = self.pop()?;
                let (_, s) = self.pop()?;
                let (_, d) = self.pop()?;
                let call = match src.rows() {
                    Some((ssize, sbase, _)) => format!("vv_table_copy(vm, {dsize}u, {dbase}u, {ssize}u, {sbase}u, {d}, {s}, {n})"),
                    None => format!("vv_table_init(vm, {dsize}u, {dbase}u, vv_table{}, {}, {d}, {s}, {n})", src.index, src.size()),
                };
                self.line(format!("VV_TRAP_IF({call});"));
            }
            Instr::TableInit(t) => {
                let (size_row, base, _) = self.table_rows(t.table)?;
                let (seg, _) = self.m.instance().elem(t.elem);
                let (array, len) = segment_source(seg, "vv_elem", "uint");
                let (_, n) = self.pop()?;
                let (_, s) = self.pop()?;
                let (_, d) = self.pop()?;
                self.line(format!("VV_TRAP_IF(vv_table_init(vm, {size_row}u, {base}u, {array}, {len}, {d}, {s}, {n}));"));
            }
            Instr::ElemDrop(e) => {
                let (seg, _) = self.m.instance().elem(e.elem);
                if let Some(row) = seg.len_row {
                    self.line(format!("VV_GLOBAL({row}u) = 0ul;"));
                }
            }
            Instr::MemoryInit(mi) => {
                let seg = self.m.instance().data(mi.data);
                let (array, len) = segment_source(seg, "vv_data", "uchar");
                let (_, n) = self.pop()?;
                let (_, s) = self.pop()?;
                let (_, d) = self.pop()?;
                self.line(format!("VV_TRAP_IF(vv_memory_init(vm, {d}, {array}, {len}, {s}, {n}));"));
            }
            Instr::DataDrop(dd) => {
                if let Some(row) = self.m.instance().data(dd.data).len_row {
                    self.line(format!("VV_GLOBAL({row}u) = 0ul;"));
                }
            }
            other => return self.unsupported(instr_name(other)),
        }
        Ok(())
    }

    /// Rows of a table an instruction writes (every such table lives in rows).
    fn table_rows(&self, t: walrus::TableId) -> Result<(u32, u32, u32)> {
        match self.m.instance().table(t).rows() {
            Some(r) => Ok(r),
            None => Err(LowerError { feature: "internal: a written table without rows".into(), offset: self.offset }),
        }
    }

    fn apply(&mut self, op: ops::Op) -> Result<()> {
        if let Some(check) = &op.trap_check {
            self.line(format!("VV_TRAP_IF({check});"));
        }
        let dst = self.push(op.result);
        self.line(format!("{dst} = {};", op.expr));
        Ok(())
    }

    fn effective_address(&mut self, addr: &str, offset: u64, width: u32) {
        self.uses_ea = true;
        if offset == 0 {
            self.line(format!("ea = (ulong){addr};"));
        } else {
            self.line(format!("ea = (ulong){addr} + {offset}ul;"));
        }
        self.line(format!("VV_BOUNDS(ea, {width}ul);"));
    }

    fn load(&mut self, kind: LoadKind, offset: u64) -> Result<()> {
        use ExtendedLoad::*;
        let (ty, expr) = match kind {
            LoadKind::I32 { atomic: false } => (Ty::I32, "vv_load32(vm, ea)"),
            LoadKind::I64 { atomic: false } => (Ty::I64, "vv_load64(vm, ea)"),
            LoadKind::F32 => (Ty::F32, "as_float(vv_load32(vm, ea))"),
            LoadKind::F64 => (Ty::F64, "as_double(vv_load64(vm, ea))"),
            LoadKind::I32_8 { kind: SignExtend } => (Ty::I32, "(uint)(int)(char)vv_load8(vm, ea)"),
            LoadKind::I32_8 { kind: ZeroExtend } => (Ty::I32, "vv_load8(vm, ea)"),
            LoadKind::I32_16 { kind: SignExtend } => (Ty::I32, "(uint)(int)(short)vv_load16(vm, ea)"),
            LoadKind::I32_16 { kind: ZeroExtend } => (Ty::I32, "vv_load16(vm, ea)"),
            LoadKind::I64_8 { kind: SignExtend } => (Ty::I64, "(ulong)(long)(char)vv_load8(vm, ea)"),
            LoadKind::I64_8 { kind: ZeroExtend } => (Ty::I64, "(ulong)vv_load8(vm, ea)"),
            LoadKind::I64_16 { kind: SignExtend } => (Ty::I64, "(ulong)(long)(short)vv_load16(vm, ea)"),
            LoadKind::I64_16 { kind: ZeroExtend } => (Ty::I64, "(ulong)vv_load16(vm, ea)"),
            LoadKind::I64_32 { kind: SignExtend } => (Ty::I64, "(ulong)(long)(int)vv_load32(vm, ea)"),
            LoadKind::I64_32 { kind: ZeroExtend } => (Ty::I64, "(ulong)vv_load32(vm, ea)"),
            LoadKind::V128 => return self.unsupported("SIMD (v128.load)"),
            _ => return self.unsupported("threads (atomic loads)"),
        };
        let (_, addr) = self.pop()?;
        self.effective_address(&addr, offset, kind.width());
        let dst = self.push(ty);
        self.line(format!("{dst} = {expr};"));
        Ok(())
    }

    fn store(&mut self, kind: StoreKind, offset: u64) -> Result<()> {
        let (_, v) = self.pop()?;
        let (_, addr) = self.pop()?;
        let stmt = match kind {
            StoreKind::I32 { atomic: false } => format!("vv_store32(vm, ea, {v});"),
            StoreKind::I64 { atomic: false } => format!("vv_store64(vm, ea, {v});"),
            StoreKind::F32 => format!("vv_store32(vm, ea, as_uint({v}));"),
            StoreKind::F64 => format!("vv_store64(vm, ea, as_ulong({v}));"),
            StoreKind::I32_8 { atomic: false } => format!("vv_store8(vm, ea, {v});"),
            StoreKind::I32_16 { atomic: false } => format!("vv_store16(vm, ea, {v});"),
            StoreKind::I64_8 { atomic: false } => format!("vv_store8(vm, ea, (uint){v});"),
            StoreKind::I64_16 { atomic: false } => format!("vv_store16(vm, ea, (uint){v});"),
            StoreKind::I64_32 { atomic: false } => format!("vv_store32(vm, ea, (uint){v});"),
            StoreKind::V128 => return self.unsupported("SIMD (v128.store)"),
            _ => return self.unsupported("threads (atomic stores)"),
        };
        self.effective_address(&addr, offset, kind.width());
        self.line(stmt);
        Ok(())
    }

    /// A call to a function of this module: spill, pass arguments in the callee's frame, leave
    /// to the dispatcher, and on return restore and take the results.
    fn call(&mut self, callee: &str, params: &[Ty], results: &[Ty]) -> Result<()> {
        let mut args = Vec::new();
        for _ in params {
            args.push(self.pop()?);
        }
        args.reverse();
        self.flush();
        let h = self.stack.len();
        let below = self.stack.clone();
        let live = self.live_after_call();
        self.spill(&live, h);
        for (i, (ty, v)) in args.iter().enumerate() {
            self.line(format!("{} = {};", slot_in_callee(2 + i), ty.to_slot(v)));
        }
        let (rid, rlabel) = self.new_resume(live, below, ResumeKind::Call);
        self.line(format!("vv_call(vm, {callee}, {}u, {rid}u, frame);", self.id));
        self.line("return;");
        self.label_line(&rlabel);
        for (i, ty) in results.iter().enumerate() {
            let dst = self.push(*ty);
            self.line(format!("{dst} = {};", ty.read_slot(&slot_in_callee(2 + i))));
        }
        Ok(())
    }

    /// A call to a function that never leaves the kernel: a C call; the VM stops here if the
    /// callee trapped. Values on the operand stack stay where they are.
    fn direct_call(&mut self, name: &str, params: &[Ty], results: &[Ty]) -> Result<()> {
        let mut args = vec!["vm".to_string()];
        let mut popped = Vec::new();
        for _ in params {
            popped.push(self.pop()?.1);
        }
        args.extend(popped.into_iter().rev());
        match results {
            [] => self.line(format!("{name}({});", args.join(", "))),
            [ty] => {
                let dst = self.push(*ty);
                self.line(format!("{dst} = {name}({});", args.join(", ")));
            }
            _ => {
                // Several results come back through block-local temporaries, so that only they,
                // not the operand-stack variables, have their address taken.
                let temps: Vec<String> = (0..results.len()).map(|i| format!("vv_r{i}_")).collect();
                self.line("{");
                for (ty, t) in results.iter().zip(&temps) {
                    self.line(format!("    {} {t};", ty.c_type()));
                }
                args.extend(temps.iter().map(|t| format!("&{t}")));
                self.line(format!("    {name}({});", args.join(", ")));
                for (ty, t) in results.iter().zip(&temps) {
                    let dst = self.push(*ty);
                    self.line(format!("    {dst} = {t};"));
                }
                self.line("}");
            }
        }
        self.line("if (vm->status != VV_STATUS_RUNNING) return VV_STOP_VALUE;");
        Ok(())
    }

    /// A call to a WASI import: the device part, or a hypercall serviced by the host.
    fn host_call(&mut self, call: HostCall) -> Result<()> {
        let (params, returns) = call.signature();
        let mut args = Vec::new();
        for _ in params {
            args.push(self.pop()?.1);
        }
        args.reverse();
        let service = call.service();
        match service {
            Service::DeviceExit => {
                self.line(format!("VV_EXIT({});", args[0]));
                self.unreachable = true;
            }
            Service::DeviceYield => {
                self.line("vm->fuel = 0;");
                let dst = self.push(Ty::I32);
                self.line(format!("{dst} = 0u;"));
            }
            Service::Device => {
                // Answered on the device from the arguments alone.
                self.line(format!("VV_TRAP_IF({});", device_call(call, &args)));
                if returns {
                    let dst = self.push(Ty::I32);
                    self.line(format!("{dst} = (uint)VV_HC(VV_HC_RESULT);"));
                }
            }
            Service::Host(copy_in) | Service::DeviceFirst(copy_in) => {
                self.flush();
                let h = self.stack.len();
                let below = self.stack.clone();
                let live = self.live_after_call();
                let (rid, rlabel) = self.new_resume(live.clone(), below, ResumeKind::Hypercall);
                // After the spill on both paths: the code after the resume label takes the
                // spilled locals' frame slots for current.
                self.spill(&live, h);
                if matches!(service, Service::DeviceFirst(_)) {
                    // Where the device holds what the call reads, it answers and the VM goes on.
                    self.line("{");
                    self.line(format!("    uint dev_ = {};", device_call(call, &args)));
                    self.line(format!("    if (dev_ != VV_ON_HOST) {{ VV_TRAP_IF(dev_); goto {rlabel}; }}"));
                    self.line("}");
                }
                for (i, a) in args.iter().enumerate() {
                    self.line(format!("VV_HC(VV_HC_ARGS + {i}u) = (ulong){a};"));
                }
                match copy_in {
                    CopyIn::None => {}
                    CopyIn::IovecData => self.line(format!("VV_TRAP_IF(vv_hc_copy_iovec_data(vm, {}, {}));", args[1], args[2])),
                    CopyIn::IovecList => self.line(format!("VV_TRAP_IF(vv_hc_copy_iovec_list(vm, {}, {}));", args[1], args[2])),
                    CopyIn::Range => self.line(format!("VV_TRAP_IF(vv_hc_copy_range(vm, {}, {}));", args[0], args[1])),
                }
                self.line(format!("VV_HYPERCALL({}u, {rid}u); /* {} */", call as u32, call.name()));
                self.label_line(&rlabel);
                if returns {
                    let dst = self.push(Ty::I32);
                    self.line(format!("{dst} = (uint)VV_HC(VV_HC_RESULT);"));
                }
            }
        }
        Ok(())
    }
}

/// The prelude's device answer to `call` (`vv_dev_<name>`) with the call's arguments.
fn device_call(call: HostCall, args: &[String]) -> String {
    let mut all = vec!["vm".to_string()];
    all.extend(args.iter().cloned());
    format!("vv_dev_{}({})", call.name(), all.join(", "))
}

/// The constant array and current length of a segment `memory.init` / `table.init` reads. Only
/// passive segments have an array; the others are dropped from instantiation on (length 0).
fn segment_source(seg: &super::instance::Segment, prefix: &str, c_type: &str) -> (String, String) {
    match (seg.passive, seg.len_row) {
        (true, Some(row)) => (format!("{prefix}{}", seg.index), format!("(uint)VV_GLOBAL({row}u)")),
        _ => (format!("(__constant const {c_type} *)0"), "0u".into()),
    }
}

/// A literal usable as an operand anywhere: negative ones in parentheses.
fn atom(lit: String) -> String {
    if lit.starts_with('-') {
        format!("({lit})")
    } else {
        lit
    }
}

/// Name of the operand-stack variable of type `ty` at depth `d`.
fn var(ty: Ty, d: usize) -> String {
    format!("{}_{d}", ty.prefix())
}

/// The C name of a function's plain version.
pub fn plain_name(c_name: &str) -> String {
    format!("{c_name}_d")
}

/// Slot `i` of the current frame.
fn slot(i: usize) -> String {
    format!("VV_SLOT(vm->fp + {i}u)")
}

/// Slot `i` of the frame a call from here pushes.
fn slot_in_callee(i: usize) -> String {
    format!("VV_SLOT(vm->fp + frame + {i}u)")
}

fn offset(loc: InstrLocId) -> Option<u32> {
    (!loc.is_default()).then(|| loc.data())
}

/// The Wasm name of an instruction the translator does not handle.
fn instr_name(i: &Instr) -> String {
    let dbg = format!("{i:?}");
    let name = dbg.split([' ', '(', '{']).next().unwrap_or("instruction").to_string();
    match name.as_str() {
        "MemoryInit" | "DataDrop" => format!("bulk memory ({name}: passive data segments)"),
        "TableGet" | "TableSet" | "TableGrow" | "TableSize" | "TableFill" | "RefNull" | "RefIsNull" | "RefFunc" => {
            format!("reference types ({name})")
        }
        "TableInit" | "ElemDrop" | "TableCopy" => format!("bulk table operations ({name})"),
        "ReturnCall" | "ReturnCallIndirect" => format!("tail calls ({name})"),
        "TernOp" | "LoadSimd" => format!("SIMD ({name})"),
        "AtomicRmw" | "Cmpxchg" | "AtomicNotify" | "AtomicWait" | "AtomicFence" => format!("threads ({name})"),
        _ => format!("instruction {name}"),
    }
}
