//! Writes the synthetic entry function every VM starts in: it runs the module's start function,
//! then calls the export chosen by the VM's invoke word with arguments from the invoke slots,
//! stores the results back there and exits (status 0). An exported global is read directly.

use super::module::ModuleCtx;
use super::text::{comment_safe, Level, Text};
use super::types::literal_bits;
use vv_bundle::abi::{Trap, INVOKE_COMMAND, INVOKE_INSTANTIATE};
use vv_bundle::{Export, ExportKind};

/// `init_trap` is the trap instantiation ends in (a segment that does not fit), before `start`.
pub fn write_entry(ctx: &ModuleCtx, entry_id: u32, start: Option<u32>, init_trap: Option<Trap>, exports: &[Export], command: Option<u32>) -> String {
    let mut t = Text::default();
    let (l0, l1, l2) = (Level(0), Level(1), Level(2));
    let calls: Vec<&Export> = exports.iter().filter(|e| e.kind == ExportKind::Function).collect();
    t.line(l0, "/* entry: runs the start function, then the invoked export, then exits */");
    t.line(l0, "VV_FUNC vv_entry(vm_t *vm) {");
    t.line(l1, "const uint frame = 2u;");
    t.line(l1, "switch (vm->resume) {");
    t.line(l1, "case 0u:");
    t.line(l2, "break;");
    t.line(l1, "case 1u:");
    t.line(l2, "goto R1;");
    for e in &calls {
        t.line(l1, format!("case {}u:", e.invoke_index + 2));
        t.line(l2, format!("goto R{};", e.invoke_index + 2));
    }
    t.line(l1, "default:");
    t.line(l2, "VV_TRAP(VV_TRAP_UNREACHABLE);");
    t.line(l1, "}");
    if let Some(trap) = init_trap {
        t.line(l1, format!("VV_TRAP({}); /* instantiation: a segment does not fit */", trap.c_name()));
    }
    if let Some(start) = start {
        t.line(l1, format!("vv_call(vm, {start}u, {entry_id}u, 1u, frame);"));
        t.line(l1, "return;");
    }
    t.line(l0, "R1:;");
    t.line(l1, "switch (vm->invoke) {");
    t.line(l1, format!("case 0x{INVOKE_INSTANTIATE:x}u: /* instantiate only */"));
    t.line(l2, "VV_EXIT(0u);");
    for e in exports {
        if Some(e.invoke_index) == command {
            t.line(l1, format!("case 0x{INVOKE_COMMAND:x}u:"));
        }
        t.line(l1, format!("case {}u: /* {} */", e.invoke_index, comment_safe(&e.name)));
        match e.kind {
            ExportKind::Function => {
                for i in 0..e.params.len() {
                    t.line(l2, format!("VV_SLOT(vm->fp + frame + {}u) = VV_SLOT({i}u);", 2 + i));
                }
                t.line(l2, format!("vv_call(vm, {}u, {entry_id}u, {}u, frame);", e.function, e.invoke_index + 2));
                t.line(l2, "return;");
            }
            ExportKind::Global => {
                let g = ctx.global_by_index(e.function);
                let value = match &g.constant {
                    Some(_) => literal_bits(g.ty, g.init),
                    None => g.ty.read_slot(&format!("VV_GLOBAL({}u)", g.index)),
                };
                t.line(l2, format!("VV_SLOT(0u) = {};", g.ty.to_slot(&value)));
                t.line(l2, "VV_EXIT(0u);");
            }
        }
    }
    t.line(l1, "default:");
    t.line(l2, "VV_TRAP(VV_TRAP_UNREACHABLE);");
    t.line(l1, "}");
    for e in calls {
        t.line(l0, format!("R{}:;", e.invoke_index + 2));
        for i in 0..e.results.len() {
            t.line(l1, format!("VV_SLOT({i}u) = VV_SLOT(vm->fp + frame + {}u);", 2 + i));
        }
        t.line(l1, "VV_EXIT(0u);");
    }
    t.line(l0, "}");
    t.into_string()
}
