//! Writes the synthetic entry function every VM starts in: it runs the module's start function,
//! then calls the export chosen by the VM's invoke word with arguments from the invoke slots,
//! stores the results back there and exits (status 0).

use super::text::{Level, Text};
use vv_bundle::abi::{INVOKE_COMMAND, INVOKE_INSTANTIATE};
use vv_bundle::Export;

pub fn write_entry(entry_id: u32, start: Option<u32>, exports: &[Export], command: Option<u32>) -> String {
    let mut t = Text::default();
    let (l0, l1, l2) = (Level(0), Level(1), Level(2));
    t.line(l0, "/* entry: runs the start function, then the invoked export, then exits */");
    t.line(l0, "static void vv_entry(vm_t *vm) {");
    t.line(l1, "const uint frame = 2u;");
    t.line(l1, "switch (vm->resume) {");
    t.line(l1, "case 0u:");
    t.line(l2, "break;");
    t.line(l1, "case 1u:");
    t.line(l2, "goto R1;");
    for e in exports {
        t.line(l1, format!("case {}u:", e.invoke_index + 2));
        t.line(l2, format!("goto R{};", e.invoke_index + 2));
    }
    t.line(l1, "default:");
    t.line(l2, "VV_TRAP(VV_TRAP_UNREACHABLE);");
    t.line(l1, "}");
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
        t.line(l1, format!("case {}u: /* {} */", e.invoke_index, e.name.escape_debug().to_string().replace("*/", "* /")));
        for i in 0..e.params.len() {
            t.line(l2, format!("VV_SLOT(vm->fp + frame + {}u) = VV_SLOT({i}u);", 2 + i));
        }
        t.line(l2, format!("vv_call(vm, {}u, {entry_id}u, {}u, frame);", e.function, e.invoke_index + 2));
        t.line(l2, "return;");
    }
    t.line(l1, "default:");
    t.line(l2, "VV_TRAP(VV_TRAP_UNREACHABLE);");
    t.line(l1, "}");
    for e in exports {
        t.line(l0, format!("R{}:;", e.invoke_index + 2));
        for i in 0..e.results.len() {
            t.line(l1, format!("VV_SLOT({i}u) = VV_SLOT(vm->fp + frame + {}u);", 2 + i));
        }
        t.line(l1, "VV_EXIT(0u);");
    }
    t.line(l0, "}");
    t.into_string()
}
