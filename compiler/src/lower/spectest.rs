//! The `spectest` host module of the official WebAssembly test suite, built in: its print
//! functions do nothing on the device; its globals, table and memory become the module's own.

use super::types::Ty;
use walrus::ir::Value;

pub const MODULE: &str = "spectest";

/// Parameters of a print function, or `None` if `spectest` has no such function.
pub fn function(name: &str) -> Option<&'static [Ty]> {
    Some(match name {
        "print" => &[],
        "print_i32" => &[Ty::I32],
        "print_i64" => &[Ty::I64],
        "print_f32" => &[Ty::F32],
        "print_f64" => &[Ty::F64],
        "print_i32_f32" => &[Ty::I32, Ty::F32],
        "print_f64_f64" => &[Ty::F64, Ty::F64],
        _ => return None,
    })
}

/// An (immutable) global's value.
pub fn global(name: &str) -> Option<Value> {
    Some(match name {
        "global_i32" => Value::I32(666),
        "global_i64" => Value::I64(666),
        "global_f32" => Value::F32(666.6),
        "global_f64" => Value::F64(666.6),
        _ => return None,
    })
}

/// Limits (initial, maximum) of `spectest.table` (funcref) and `spectest.memory` (pages).
pub const TABLE: (u64, u64) = (10, 20);
pub const MEMORY: (u64, u64) = (1, 2);

/// Whether an import declaring limits `(initial, maximum)` accepts an entity with `actual` limits.
pub fn limits_match(declared: (u64, Option<u64>), actual: (u64, u64)) -> bool {
    declared.0 <= actual.0 && declared.1.is_none_or(|max| max >= actual.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_limits() {
        assert!(limits_match((1, None), MEMORY));
        assert!(limits_match((0, Some(2)), MEMORY));
        assert!(!limits_match((2, None), MEMORY), "asks for more than the memory has");
        assert!(!limits_match((1, Some(1)), MEMORY), "the memory may grow beyond the declared maximum");
    }
}
