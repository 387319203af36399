//! A static scan of a module's bytes: which exports may change instance state (so that later
//! assertions must replay them), its imports and its memory limits. It never executes anything.

use std::collections::HashSet;
use wasmparser::{ConstExpr, ElementItems, ExternalKind, Operator, Parser, Payload, TypeRef};

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
    /// Exported functions that may execute `memory.grow` when called.
    growing_exports: HashSet<String>,
}

impl ModuleFacts {
    /// Whether calling export `name` may change state that later calls observe. Exported globals
    /// (read-only views) never do.
    pub fn mutates(&self, name: &str) -> bool {
        self.mutating_exports.contains(name)
    }

    /// Whether calling export `name` may grow the memory.
    pub fn grows(&self, name: &str) -> bool {
        self.growing_exports.contains(name)
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

/// Per defined function: whether it mutates or grows memory directly, calls indirectly, and
/// whom it calls.
#[derive(Default)]
struct Body {
    mutates: bool,
    grows: bool,
    indirect: bool,
    calls: Vec<u32>,
}

/// Functions a `ref.func` in a constant expression names.
fn referenced_in(expr: &ConstExpr<'_>, into: &mut Vec<u32>) -> Result<(), ScanError> {
    let mut ops = expr.get_operators_reader();
    while !ops.eof() {
        if let Operator::RefFunc { function_index } = ops.read()? {
            into.push(function_index);
        }
    }
    Ok(())
}

/// Scans a Wasm binary. A function may mutate if it (transitively through `call`) stores,
/// grows/fills/copies/initialises memory or tables, drops segments or sets a global; an indirect
/// call counts as mutating when any function of the module mutates. Imported functions
/// (the `spectest` printers) do not. For `memory.grow`, an indirect call counts only when a
/// function that can be in a table (named by an element segment or a `ref.func`) grows.
pub fn scan(wasm: &[u8]) -> Result<ModuleFacts, ScanError> {
    let mut facts = ModuleFacts::default();
    let mut imported_funcs = 0u32;
    let mut bodies: Vec<Body> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    // Functions a funcref can name: element segment items and `ref.func` operands.
    let mut referenced: Vec<u32> = Vec::new();
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
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element?.items {
                        ElementItems::Functions(fs) => {
                            for f in fs {
                                referenced.push(f?);
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for e in exprs {
                                referenced_in(&e?, &mut referenced)?;
                            }
                        }
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    referenced_in(&global?.init_expr, &mut referenced)?;
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut b = Body::default();
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    b.grows |= matches!(op, Operator::MemoryGrow { .. });
                    if let Operator::RefFunc { function_index } = op {
                        referenced.push(function_index);
                    }
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
    facts.grows_memory = bodies.iter().any(|b| b.grows);
    let exported = |flags: Vec<bool>| -> HashSet<String> {
        let flagged = |f: u32| f.checked_sub(imported_funcs).is_some_and(|i| flags.get(i as usize).copied().unwrap_or(false));
        exports.iter().filter(|(_, f)| flagged(*f)).map(|(name, _)| name.clone()).collect()
    };
    let every = vec![true; bodies.len()];
    let mut in_tables = vec![false; bodies.len()];
    for f in referenced {
        if let Some(slot) = f.checked_sub(imported_funcs).and_then(|i| in_tables.get_mut(i as usize)) {
            *slot = true;
        }
    }
    facts.mutating_exports = exported(close_over_calls(imported_funcs, &bodies, &every, |b| b.mutates));
    facts.growing_exports = exported(close_over_calls(imported_funcs, &bodies, &in_tables, |b| b.grows));
    Ok(facts)
}

/// Which defined functions may do what `direct` says, following calls to a fixed point: a direct
/// call reaches its callee, an indirect call every function marked in `indirect_targets`.
fn close_over_calls(imported_funcs: u32, bodies: &[Body], indirect_targets: &[bool], direct: impl Fn(&Body) -> bool) -> Vec<bool> {
    let mut flagged: Vec<bool> = bodies.iter().map(&direct).collect();
    loop {
        let mut changed = false;
        let indirect_flagged = flagged.iter().zip(indirect_targets).any(|(f, t)| *f && *t);
        for (i, b) in bodies.iter().enumerate() {
            if flagged[i] {
                continue;
            }
            let callee = |f: &u32| f.checked_sub(imported_funcs).is_some_and(|j| flagged.get(j as usize).copied().unwrap_or(false));
            if b.calls.iter().any(callee) || (b.indirect && indirect_flagged) {
                flagged[i] = true;
                changed = true;
            }
        }
        if !changed {
            return flagged;
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
        assert!(f.grows("grow"));
        assert!(!f.grows("store"));
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
        assert!(!f.grows("top"));
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
    fn indirect_calls_grow_only_through_table_functions() {
        let outside = facts(
            r#"(module (type $t (func (result i32))) (table 1 funcref) (memory 1)
                (elem (i32.const 0) $one)
                (func $one (result i32) (i32.const 1))
                (func (export "grow") (result i32) (memory.grow (i32.const 1)))
                (func (export "ind") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(outside.grows("grow"));
        assert!(!outside.grows("ind"), "the growing function is not in any table");
        let inside = facts(
            r#"(module (type $t (func (result i32))) (table 1 funcref) (memory 1)
                (elem (i32.const 0) $g)
                (func $g (result i32) (call $grow))
                (func $grow (result i32) (memory.grow (i32.const 1)))
                (func (export "ind") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(inside.grows("ind"));
        let by_ref = facts(
            r#"(module (type $t (func (result i32))) (table 1 funcref) (memory 1)
                (func $g (export "g") (result i32) (memory.grow (i32.const 1)))
                (func (export "set") (table.set (i32.const 0) (ref.func $g)))
                (func (export "ind") (result i32) (call_indirect (type $t) (i32.const 0))))"#,
        );
        assert!(by_ref.grows("ind"), "ref.func puts $g in reach of call_indirect");
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
