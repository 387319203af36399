//! Renders the kernel template (`templates/kernel.cl.tera`) around the lowered functions and
//! the runtime prelude (`templates/prelude.cl`): one OpenCL C program per partition.

use crate::lower::Lowered;
use vv_bundle::abi::REF_NULL;
use serde_json::json;

pub const PRELUDE: &str = include_str!("../../templates/prelude.cl");
pub const KERNEL_TEMPLATE: &str = include_str!("../../templates/kernel.cl.tera");

/// Marker line after which the program-specific part of the source starts.
pub const PROGRAM_MARKER: &str = "/* ==== program ==== */";

#[derive(Debug, thiserror::Error)]
#[error("template error: {0}")]
pub struct EmitError(String);

/// C arrays cannot be empty: an unused zero stands in.
fn non_empty(mut values: Vec<String>) -> Vec<String> {
    if values.is_empty() {
        values.push("0".into());
    }
    values
}

/// The build options the generated text depends on besides the lowered functions.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Memory interleave granularity in bytes.
    pub interleave: u32,
    /// Every function inlined into the dispatcher (`VV_INLINE_FUNCTIONS`).
    pub inline_functions: bool,
}

/// The program of each partition; `members` lists each partition's function ids.
pub fn render(l: &Lowered, shape: Shape, members: &[Vec<u32>]) -> Result<Vec<String>, EmitError> {
    let count = members.len() as u32;
    let mut t = tera::Tera::default();
    t.autoescape_on(vec![]);
    t.add_raw_template("kernel.cl", KERNEL_TEMPLATE).map_err(|e| EmitError(format!("{e:?}")))?;
    (0..count).map(|p| render_partition(&t, l, shape, &members[p as usize], p, count)).collect()
}

fn render_partition(t: &tera::Tera, l: &Lowered, shape: Shape, members: &[u32], partition: u32, count: u32) -> Result<String, EmitError> {
    let functions: Vec<_> = l
        .functions
        .iter()
        .filter(|f| members.binary_search(&f.id).is_ok())
        .map(|f| json!({ "id": f.id, "c_name": f.c_name, "text": f.text, "dispatched": f.dispatched }))
        .collect();
    let prototypes: Vec<_> = l
        .functions
        .iter()
        .filter(|f| members.binary_search(&f.id).is_ok())
        .filter_map(|f| f.prototype.clone())
        .collect();
    let arrays: Vec<_> = l
        .arrays
        .iter()
        .map(|a| {
            let values: Vec<String> = match a.c_type {
                "uchar" => a.values.iter().map(|v| v.to_string()).collect(),
                _ => a.values.iter().map(|&v| if v as u64 == REF_NULL { "VV_REF_NULL".into() } else { format!("{v}u") }).collect(),
            };
            json!({ "name": a.name, "c_type": a.c_type, "len": values.len().max(1), "values": non_empty(values) })
        })
        .collect();
    let value = json!({
        "compiler_version": env!("CARGO_PKG_VERSION"),
        "interleave": shape.interleave,
        "inline_functions": shape.inline_functions,
        "max_pages": l.memory.max_pages,
        "stack_limit": l.stack_limit,
        "arrays": arrays,
        "func_sigs": l.func_sigs.iter().map(|s| format!("{s}u")).collect::<Vec<_>>(),
        "prelude": PRELUDE,
        "functions": functions,
        "prototypes": prototypes,
        "function_count": l.functions.len(),
        "partition": partition,
        "partitions": count,
        "global_count": l.globals.len(),
        "globals": non_empty(l.globals.iter().map(|g| format!("0x{g:x}ul")).collect()),
    });
    let ctx = tera::Context::from_value(value).map_err(|e| EmitError(e.to_string()))?;
    t.render("kernel.cl", &ctx).map_err(|e| EmitError(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::PRELUDE;
    use vv_bundle::abi;

    /// The prelude's `#define NAME <n>u`, if it has one.
    fn define(name: &str) -> Option<u64> {
        let line = PRELUDE.lines().find(|l| l.split_whitespace().take(2).eq(["#define", name]))?;
        line.split_whitespace().nth(2)?.trim_end_matches('u').parse().ok()
    }

    #[test]
    fn prelude_mirrors_the_abi() {
        let words = [
            ("VV_STATUS_RUNNING", abi::STATUS_RUNNING as u64),
            ("VV_STATUS_HYPERCALL", abi::STATUS_HYPERCALL as u64),
            ("VV_STATUS_EXITED", abi::STATUS_EXITED as u64),
            ("VV_STATUS_TRAPPED", abi::STATUS_TRAPPED as u64),
            ("VV_STATE_STATUS", abi::STATE_STATUS as u64),
            ("VV_STATE_FUNC", abi::STATE_FUNC as u64),
            ("VV_STATE_RESUME", abi::STATE_RESUME as u64),
            ("VV_STATE_FP", abi::STATE_FP as u64),
            ("VV_STATE_PAGES", abi::STATE_PAGES as u64),
            ("VV_STATE_CODE", abi::STATE_CODE as u64),
            ("VV_STATE_TRAP_FUNC", abi::STATE_TRAP_FUNC as u64),
            ("VV_STATE_INVOKE", abi::STATE_INVOKE as u64),
            ("VV_HC_WORDS", abi::HC_WORDS as u64),
            ("VV_HC_CALL", abi::HC_CALL as u64),
            ("VV_HC_ARGS", abi::HC_ARGS as u64),
            ("VV_HC_RESULT", abi::HC_RESULT as u64),
            ("VV_HC_LEN", abi::HC_LEN as u64),
            ("VV_HC_STDIN_AT", abi::HC_STDIN_AT as u64),
            ("VV_HC_STDIN_LEFT", abi::HC_STDIN_LEFT as u64),
            ("VV_HC_ARGS_AT", abi::HC_ARGS_AT as u64),
            ("VV_HC_OUT", abi::HC_OUT as u64),
            ("VV_HC_DATA_BYTES", abi::HC_DATA_BYTES as u64),
            ("VV_HC_OUT_BYTES", abi::HC_OUT_BYTES as u64),
        ];
        for (name, value) in words {
            assert_eq!(define(name), Some(value), "{name} in templates/prelude.cl");
        }
    }
}
