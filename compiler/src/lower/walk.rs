//! Visiting every instruction of a function or of one of its blocks, nested blocks included:
//! the scans that collect locals, table writes and calls before a function is written.

use walrus::ir::{Instr, InstrSeqId};
use walrus::LocalFunction;

/// Calls `visit` on each instruction of sequence `from` of `f` and of every sequence nested in
/// it (each sequence's instructions in order, inner sequences after their parent).
pub fn each_instr(f: &LocalFunction, from: InstrSeqId, mut visit: impl FnMut(&Instr)) {
    let mut pending = vec![from];
    while let Some(seq) = pending.pop() {
        for (instr, _) in &f.block(seq).instrs {
            match instr {
                Instr::Block(b) => pending.push(b.seq),
                Instr::Loop(b) => pending.push(b.seq),
                Instr::IfElse(b) => pending.extend([b.consequent, b.alternative]),
                _ => {}
            }
            visit(instr);
        }
    }
}
