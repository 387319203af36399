//! Which locals are live where a function can leave the kernel (after a call or hypercall, at a
//! loop head), so only those are spilled and restored. Backward dataflow over structured control
//! flow, iterated over the whole function until the loop-head sets stop changing.

use std::collections::{BTreeSet, HashMap};
use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId};

pub type Live = BTreeSet<LocalId>;

/// Live locals at each resume point of a function.
#[derive(Default)]
pub struct Liveness {
    /// After the call at `(sequence, index)`.
    pub after_call: HashMap<(InstrSeqId, usize), Live>,
    /// At the head of each loop.
    pub loop_head: HashMap<InstrSeqId, Live>,
}

pub fn analyze(f: &LocalFunction) -> Liveness {
    let mut a = Analysis { f, labels: HashMap::new(), result: Liveness::default(), changed: true };
    while a.changed {
        a.changed = false;
        a.labels.clear();
        a.seq(f.entry_block(), Live::new());
    }
    a.result
}

struct Analysis<'a> {
    f: &'a LocalFunction,
    /// What a branch to each enclosing block carries: live-out of a block, live-in of a loop.
    labels: HashMap<InstrSeqId, Live>,
    result: Liveness,
    changed: bool,
}

impl Analysis<'_> {
    /// Live-in of a sequence given its live-out.
    fn seq(&mut self, seq: InstrSeqId, out: Live) -> Live {
        let mut live = out;
        let instrs = &self.f.block(seq).instrs;
        for (index, (instr, _)) in instrs.iter().enumerate().rev() {
            live = self.instr(seq, index, instr, live);
        }
        live
    }

    fn label(&self, seq: InstrSeqId) -> Live {
        self.labels.get(&seq).cloned().unwrap_or_default()
    }

    fn instr(&mut self, seq: InstrSeqId, index: usize, instr: &Instr, mut live: Live) -> Live {
        match instr {
            Instr::LocalGet(l) => {
                live.insert(l.local);
            }
            Instr::LocalSet(l) => {
                live.remove(&l.local);
            }
            Instr::LocalTee(l) => {
                live.remove(&l.local);
            }
            Instr::Call(_) | Instr::CallIndirect(_) => {
                self.result.after_call.insert((seq, index), live.clone());
            }
            Instr::Br(b) => live = self.label(b.block),
            Instr::BrIf(b) => live.extend(self.label(b.block)),
            Instr::BrTable(b) => {
                live = self.label(b.default);
                for t in b.blocks.iter() {
                    live.extend(self.label(*t));
                }
            }
            Instr::Return(_) | Instr::Unreachable(_) => live.clear(),
            Instr::Block(b) => {
                self.labels.insert(b.seq, live.clone());
                live = self.seq(b.seq, live);
            }
            Instr::Loop(b) => {
                let head = self.result.loop_head.get(&b.seq).cloned().unwrap_or_default();
                self.labels.insert(b.seq, head.clone());
                let body_in = self.seq(b.seq, live);
                if body_in != head {
                    self.changed = true;
                    let merged: Live = head.union(&body_in).copied().collect();
                    self.result.loop_head.insert(b.seq, merged.clone());
                    live = merged;
                } else {
                    live = head;
                }
            }
            Instr::IfElse(b) => {
                self.labels.insert(b.consequent, live.clone());
                self.labels.insert(b.alternative, live.clone());
                let mut then_in = self.seq(b.consequent, live.clone());
                let else_in = self.seq(b.alternative, live);
                then_in.extend(else_in);
                live = then_in;
            }
            _ => {}
        }
        live
    }
}
