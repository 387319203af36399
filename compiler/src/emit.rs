//! Renders the kernel template (`templates/kernel.cl.tera`) around the lowered functions and
//! the runtime prelude (`templates/prelude.cl`) into one OpenCL C program.

use crate::lower::{Lowered, NO_FUNC};
use serde_json::json;

pub const PRELUDE: &str = include_str!("../../templates/prelude.cl");
pub const KERNEL_TEMPLATE: &str = include_str!("../../templates/kernel.cl.tera");

/// Marker line after which the program-specific part of the source starts.
pub const PROGRAM_MARKER: &str = "/* ==== program ==== */";

#[derive(Debug, thiserror::Error)]
#[error("template error: {0}")]
pub struct EmitError(String);

pub fn render(l: &Lowered, interleave: u32) -> Result<String, EmitError> {
    let functions: Vec<_> =
        l.functions.iter().map(|f| json!({ "id": f.id, "c_name": f.c_name, "text": f.text })).collect();
    let mut table: Vec<String> =
        l.table.iter().map(|&t| if t == NO_FUNC { "VV_NO_FUNC".to_string() } else { format!("{t}u") }).collect();
    if table.is_empty() {
        table.push("VV_NO_FUNC".into());
    }
    let value = json!({
        "compiler_version": env!("CARGO_PKG_VERSION"),
        "interleave": interleave,
        "max_pages": l.memory.max_pages,
        "stack_limit": l.stack_limit,
        "table_size": l.table.len(),
        "table": table,
        "func_sigs": l.func_sigs.iter().map(|s| format!("{s}u")).collect::<Vec<_>>(),
        "prelude": PRELUDE,
        "functions": functions,
        "globals": l.globals.iter().map(|g| format!("0x{g:x}")).collect::<Vec<_>>(),
    });
    let ctx = tera::Context::from_value(value).map_err(|e| EmitError(e.to_string()))?;
    let mut t = tera::Tera::default();
    t.autoescape_on(vec![]);
    t.add_raw_template("kernel.cl", KERNEL_TEMPLATE).map_err(|e| EmitError(format!("{e:?}")))?;
    t.render("kernel.cl", &ctx).map_err(|e| EmitError(format!("{e:?}")))
}
