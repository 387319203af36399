//! A static scan of a module's bytes: which exports may change instance state (so that later
//! assertions must replay them), its imports and its memory limits. It never executes anything.

use std::collections::HashSet;
use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};

#[derive(Debug, thiserror::Error)]
#[error("cannot scan the module: {0}")]
pub struct ScanError(#[from] wasmparser::BinaryReaderError);

/// What the runner needs to know about a module before it runs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    /// The module names of its imports (`spectest`, a registered module's name, ...), deduplicated.
    pub import_modules: Vec<String>,
    /// The first memory (imported or defined): initial and maximum pages.
    pub memory: Option<(u64, Option<u64>)>,
    /// Whether any function executes `memory.grow`.
    pub grows_memory: bool,
    /// Exported functions that may change memory, globals or tables when called.
    mutating_exports: HashSet<String>,
}

impl ModuleFacts {
    /// Whether calling export `name` may change state that later calls observe. Exported globals
    /// (read-only views) never do.
    pub fn mutates(&self, name: &str) -> bool {
        self.mutating_exports.contains(name)
    }
}

/// How one instruction bears on state.
enum Effect {
    None,
    Mutates,
    Calls(u32),
    CallsIndirect,
}

fn effect(op: &Operator<'_>) -> Effect {
    use Operator::*;
    match op {
        I32Store { .. } | I64Store { .. } | F32Store { .. } | F64Store { .. } | I32Store8 { .. } | I32Store16 { .. }
        | I64Store8 { .. } | I64Store16 { .. } | I64Store32 { .. } | V128Store { .. } | V128Store8Lane { .. }
        | V128Store16Lane { .. } | V128Store32Lane { .. } | V128Store64Lane { .. } | I32AtomicStore { .. }
        | I32AtomicStore8 { .. } | I32AtomicStore16 { .. } | I64AtomicStore { .. } | I64AtomicStore8 { .. }
        | I64AtomicStore16 { .. } | I64AtomicStore32 { .. } => Effect::Mutates,
        MemoryGrow { .. } | MemoryFill { .. } | MemoryCopy { .. } | MemoryInit { .. } | DataDrop { .. } => Effect::Mutates,
        GlobalSet { .. } => Effect::Mutates,
        TableSet { .. } | TableGrow { .. } | TableFill { .. } | TableCopy { .. } | TableInit { .. } | ElemDrop { .. } => {
            Effect::Mutates
        }
        Call { function_index } | ReturnCall { function_index } => Effect::Calls(*function_index),
        CallIndirect { .. } | ReturnCallIndirect { .. } | CallRef { .. } | ReturnCallRef { .. } => Effect::CallsIndirect,
        _ => Effect::None,
    }
}

/// Per defined function: whether it mutates directly, calls indirectly, and whom it calls.
#[derive(Default)]
struct Body {
    mutates: bool,
    indirect: bool,
    calls: Vec<u32>,
}

/// Scans a Wasm binary. A function may mutate if it (transitively through `call`) stores,
/// grows/fills/copies/initialises memory or tables, drops segments or sets a global; an indirect
/// call counts as mutating when any function of the module mutates. Imported functions
/// (the `spectest` printers) do not.
pub fn scan(wasm: &[u8]) -> Result<ModuleFacts, ScanError> {
    let mut facts = ModuleFacts::default();
    let mut imported_funcs = 0u32;
    let mut bodies: Vec<Body> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    if !facts.import_modules.iter().any(|m| m == import.module) {
                        facts.import_modules.push(import.module.to_string());
                    }
                    match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => imported_funcs += 1,
                        TypeRef::Memory(m) if facts.memory.is_none() => facts.memory = Some((m.initial, m.maximum)),
                        _ => {}
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let m = memory?;
                    facts.memory.get_or_insert((m.initial, m.maximum));
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let e = export?;
                    if matches!(e.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                        exports.push((e.name.to_string(), e.index));
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut b = Body::default();
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    facts.grows_memory |= matches!(op, Operator::MemoryGrow { .. });
                    match effect(&op) {
                        Effect::None => {}
                        Effect::Mutates => b.mutates = true,
                        Effect::Calls(f) => b.calls.push(f),
                        Effect::CallsIndirect => b.indirect = true,
                    }
                }
                bodies.push(b);
            }
            _ => {}
        }
    }
    let mutating = close_over_calls(imported_funcs, &bodies);
    facts.mutating_exports = exports
        .into_iter()
        .filter(|(_, f)| f.checked_sub(imported_funcs).is_some_and(|i| mutating.get(i as usize).copied().unwrap_or(false)))
        .map(|(name, _)| name)
        .collect();
    Ok(facts)
}

/// Which defined functions may mutate, following direct calls to a fixed point.
fn close_over_calls(imported_funcs: u32, bodies: &[Body]) -> Vec<bool> {
    let any_mutates = bodies.iter().any(|b| b.mutates);
    let mut mutating: Vec<bool> = bodies.iter().map(|b| b.mutates || (b.indirect && any_mutates)).collect();
    loop {
        let mut changed = false;
        for (i, b) in bodies.iter().enumerate() {
            if mutating[i] {
                continue;
            }
            let callee_mutates = |f: &u32| f.checked_sub(imported_funcs).is_some_and(|j| mutating.get(j as usize).copied().unwrap_or(false));
            if b.calls.iter().any(callee_mutates) {
                mutating[i] = true;
                changed = true;
            }
        }
        if !changed {
            return mutating;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(wat: &str) -> ModuleFacts {
        scan(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn stores_and_global_sets_mutate_loads_do_not() {
        let f = facts(
            r#"(module (memory 1) (global $g (mut i32) (i32.const 0))
                (func (export "load") (result i32) (i32.load (i32.const 0)))
                (func (export "store") (i32.store (i32.const 0) (i32.const 1)))
                (func (export "set") (global.set $g (i32.const 2)))
                (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
        );
        assert!(!f.mutates("load"));
        assert!(f.mutates("store"));
        assert!(f.mutates("set"));
        assert!(f.mutates("grow"));
        assert!(f.grows_memory);
        assert_eq!(f.memory, Some((1, None)));
    }

    #[test]
    fn mutation_is_transitive_through_calls() {
        let f = facts(
            r#"(module (memory 1)
                (func $leaf (i32.store (i32.const 0) (i32.const 1)))
                (func $mid (call $leaf))
                (func (export "top") (call $mid))
                (func (export "pure") (result i32) (i32.const 1)))"#,
        );
        assert!(f.mutates("top"));
        assert!(!f.mutates("pure"));
        assert!(!f.grows_memory);
    }

    #[test]
    fn indirect_calls_mutate_only_when_something_can() {
        let pure = facts(
            r#"(module (type $t (func (result i32))) (table 1 funcref)
                (func (export "ind") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(!pure.mutates("ind"));
        let impure = facts(
            r#"(module (type $t (func (result i32))) (table 1 funcref) (global $g (mut i32) (i32.const 0))
                (func $set (global.set $g (i32.const 1)))
                (func (export "ind") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(impure.mutates("ind"));
    }

    #[test]
    fn imported_functions_shift_indices_and_do_not_mutate() {
        let f = facts(
            r#"(module (import "spectest" "print_i32" (func $p (param i32)))
                (import "spectest" "memory" (memory 1 2))
                (func $w (i32.store (i32.const 0) (i32.const 1)))
                (func (export "print") (call $p (i32.const 1)))
                (func (export "write") (call $w)))"#,
        );
        assert!(!f.mutates("print"));
        assert!(f.mutates("write"));
        assert_eq!(f.import_modules, vec!["spectest".to_string()]);
        assert_eq!(f.memory, Some((1, Some(2))));
    }
}
