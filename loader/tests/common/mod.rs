//! The hand-written bundle the end-to-end tests run: OpenCL C that follows `vv_bundle::abi` the way
//! generated kernels must, so the loader can be tested before the compiler exists.

#![allow(dead_code)]

use std::path::PathBuf;
use vv_bundle::{BuildOptions, Bundle, Export, MemoryLayout, ValType};

/// A tiny "program" in OpenCL C. Memory is interleaved byte by byte. By invoke word:
/// command: writes "hello <vm>\n" (`vm` being the work-item, not the VM's index in a run over
/// several devices); VM 4 then traps in `boom`, VM 5 spends two extra launches in `spin_loop`,
/// every other VM exits with vm % 3. 1 (`add`): row 0 = row 0 + row 1.
/// 2 (`cat`): copies stdin to stdout through a two-entry iovec list. 3 (`args`): writes its argv
/// buffer to stdout and exits with argc. 4 (`spin`): never finishes. 5 (`echo`), and the command
/// where `ECHO_COMMAND` is defined: writes its argv buffer, then copies stdin to stdout; traps in
/// `boom` if stdin starts with '!', else exits with the stdin length % 3: what it does depends
/// only on its arguments and stdin, so the same on any device and at any work-item. 6
/// (`bad_status`): leaves a status word the ABI does not define, failing its device's run.
pub const KERNELS: &str = r#"
#define RUNNING 0u
#define HYPERCALL 1u
#define EXITED 2u
#define TRAPPED 3u
#define F(f) state[(f) * nvms + vm]
#define MEM(a) mem[(ulong)(a) * nvms + vm]
#define ARGS global uchar* mem, global uint* state, global ulong* hdr, global uchar* d, uint nvms, uint vm

uint load32(global uchar* mem, uint nvms, uint vm, uint a) {
    return (uint)MEM(a) | ((uint)MEM(a + 1) << 8) | ((uint)MEM(a + 2) << 16) | ((uint)MEM(a + 3) << 24);
}

void store32(global uchar* mem, uint nvms, uint vm, uint a, uint v) {
    MEM(a) = v; MEM(a + 1) = v >> 8; MEM(a + 2) = v >> 16; MEM(a + 3) = v >> 24;
}

void trap(global uint* state, uint nvms, uint vm, uint code, uint func) {
    F(0) = TRAPPED; F(5) = code; F(6) = func;
}

void finish(global uint* state, uint nvms, uint vm, uint code) {
    F(0) = EXITED; F(5) = code;
}

/* Applies the host's copy-out; traps unless the call succeeded. Returns 0 after a trap. */
int reply(ARGS) {
    if (hdr[11] != 0) { trap(state, nvms, vm, 9, 1); return 0; }
    global const uint* w = (global const uint*)d;
    uint count = w[0];
    uint at = 4 + 8 * count;
    for (uint i = 0; i < count; i++) {
        uint addr = w[1 + 2 * i], len = w[2 + 2 * i];
        for (uint j = 0; j < len; j++) MEM(addr + j) = d[at + j];
        at += len;
    }
    return 1;
}

void hypercall(ARGS, uint call, ulong a0, ulong a1, ulong a2, ulong a3, uint len, uint resume) {
    hdr[0] = call; hdr[1] = a0; hdr[2] = a1; hdr[3] = a2; hdr[4] = a3; hdr[12] = len;
    F(2) = resume; F(0) = HYPERCALL;
}

uint hello_text(global uchar* d, uint vm) {
    uint n = 0;
    d[n++] = 'h'; d[n++] = 'e'; d[n++] = 'l'; d[n++] = 'l'; d[n++] = 'o'; d[n++] = ' ';
    uint digits[10]; uint k = 0; uint v = vm;
    do { digits[k++] = v % 10; v /= 10; } while (v);
    while (k) d[n++] = '0' + digits[--k];
    d[n++] = '\n';
    return n;
}

void command(ARGS, global ulong* globals) {
    uint resume = F(2);
    if (resume == 0) {
        if (MEM(0) != 'a' || MEM(2) != 'c' || MEM(3) != 0 || globals[vm] != 1000 + vm) { trap(state, nvms, vm, 2, 1); return; }
        uint n = hello_text(d, vm);
        hypercall(mem, state, hdr, d, nvms, vm, 7, 1, 16, 1, 8, n, 1);
    } else if (resume == 1) {
        if (!reply(mem, state, hdr, d, nvms, vm)) return;
        if (load32(mem, nvms, vm, 8) != hello_text(d, vm)) { trap(state, nvms, vm, 2, 1); return; }
        if (vm == 4) { trap(state, nvms, vm, 1, 2); return; }
        if (vm == 5) { F(1) = 3; F(2) = 2; return; }
        finish(state, nvms, vm, vm % 3);
    } else if (resume == 2) {
        F(2) = 3;
    } else {
        finish(state, nvms, vm, vm % 3);
    }
}

void cat(ARGS) {
    uint resume = F(2);
    if (resume == 2) {
        if (!reply(mem, state, hdr, d, nvms, vm)) return;
        resume = 0;
    }
    if (resume == 0) {
        store32(mem, nvms, vm, 32, 100); store32(mem, nvms, vm, 36, 3);
        store32(mem, nvms, vm, 40, 200); store32(mem, nvms, vm, 44, 1000);
        for (uint i = 0; i < 16; i++) d[i] = MEM(32 + i);
        hypercall(mem, state, hdr, d, nvms, vm, 8, 0, 32, 2, 8, 0, 1);
    } else {
        if (!reply(mem, state, hdr, d, nvms, vm)) return;
        uint n = load32(mem, nvms, vm, 8);
        if (n == 0) { finish(state, nvms, vm, 0); return; }
        for (uint i = 0; i < n; i++) d[i] = i < 3 ? MEM(100 + i) : MEM(200 + i - 3);
        hypercall(mem, state, hdr, d, nvms, vm, 7, 1, 32, 2, 12, n, 2);
    }
}

void args(ARGS) {
    uint resume = F(2);
    if (resume == 0) {
        hypercall(mem, state, hdr, d, nvms, vm, 2, 8, 12, 0, 0, 0, 1);
        return;
    }
    if (!reply(mem, state, hdr, d, nvms, vm)) return;
    if (resume == 1) {
        hypercall(mem, state, hdr, d, nvms, vm, 1, 64, 256, 0, 0, 0, 2);
    } else if (resume == 2) {
        if (load32(mem, nvms, vm, 64) != 256) { trap(state, nvms, vm, 2, 1); return; }
        uint size = load32(mem, nvms, vm, 12);
        for (uint i = 0; i < size; i++) d[i] = MEM(256 + i);
        hypercall(mem, state, hdr, d, nvms, vm, 7, 1, 0, 0, 16, size, 3);
    } else {
        finish(state, nvms, vm, load32(mem, nvms, vm, 8));
    }
}

void echo(ARGS) {
    uint resume = F(2);
    if (resume == 0) {
        hypercall(mem, state, hdr, d, nvms, vm, 2, 8, 12, 0, 0, 0, 1);
        return;
    }
    if (!reply(mem, state, hdr, d, nvms, vm)) return;
    if (resume == 1) {
        hypercall(mem, state, hdr, d, nvms, vm, 1, 64, 256, 0, 0, 0, 2);
        return;
    }
    if (resume == 2) {
        uint size = load32(mem, nvms, vm, 12);
        for (uint i = 0; i < size; i++) d[i] = MEM(256 + i);
        hypercall(mem, state, hdr, d, nvms, vm, 7, 1, 0, 0, 16, size, 3);
        return;
    }
    if (resume == 3) {
        store32(mem, nvms, vm, 20, 0);
        MEM(24) = 0;
    } else if (resume == 4) {
        uint n = load32(mem, nvms, vm, 8);
        uint total = load32(mem, nvms, vm, 20);
        if (n == 0) {
            if (MEM(24) == '!') trap(state, nvms, vm, 1, 2);
            else finish(state, nvms, vm, total % 3);
            return;
        }
        if (total == 0) MEM(24) = MEM(100);
        store32(mem, nvms, vm, 20, total + n);
        for (uint i = 0; i < n; i++) d[i] = i < 3 ? MEM(100 + i) : MEM(200 + i - 3);
        hypercall(mem, state, hdr, d, nvms, vm, 7, 1, 32, 2, 12, n, 5);
        return;
    }
    /* resume 3 or 5: read the next piece of stdin */
    store32(mem, nvms, vm, 32, 100); store32(mem, nvms, vm, 36, 3);
    store32(mem, nvms, vm, 40, 200); store32(mem, nvms, vm, 44, 1000);
    for (uint i = 0; i < 16; i++) d[i] = MEM(32 + i);
    hypercall(mem, state, hdr, d, nvms, vm, 8, 0, 32, 2, 8, 0, 4);
}

kernel void vv_init(global uchar* mem, global ulong* globals, global const uchar* image, uint image_len, uint nvms) {
    uint vm = get_global_id(0);
    if (vm >= nvms) return;
    for (uint a = 0; a < image_len; a++) MEM(a) = image[a];
    globals[vm] = 1000 + vm;
}

kernel void vv_run(global uchar* mem, global ulong* stack, global ulong* globals, global uint* state,
                   global ulong* hc_hdr, global uchar* hc_data, global uchar* hc_out, global const uchar* stdin,
                   uint nvms, uint fuel) {
    uint vm = get_global_id(0);
    if (vm >= nvms || F(0) != RUNNING) return;
    global ulong* hdr = hc_hdr + (ulong)vm * 17;
    global uchar* d = hc_data + (ulong)vm * 65536;
    switch (F(7)) {
#ifdef ECHO_COMMAND
    case 0xFFFFFFFFu: echo(mem, state, hdr, d, nvms, vm); break;
#else
    case 0xFFFFFFFFu: command(mem, state, hdr, d, nvms, vm, globals); break;
#endif
    case 1: stack[vm] = stack[vm] + stack[nvms + vm]; finish(state, nvms, vm, 0); break;
    case 2: cat(mem, state, hdr, d, nvms, vm); break;
    case 3: args(mem, state, hdr, d, nvms, vm); break;
    case 5: echo(mem, state, hdr, d, nvms, vm); break;
    case 6: F(0) = 99u; break;
    default: F(1) = 3; F(2) += 1; break;
    }
}
"#;

pub fn bundle(hash: u8, opencl: &str) -> Bundle {
    let export = |name: &str, params: Vec<ValType>, results: Vec<ValType>, invoke_index| Export {
        name: name.into(),
        kind: vv_bundle::ExportKind::Function,
        function: 1,
        params,
        results,
        invoke_index,
    };
    Bundle {
        content_hash: [hash; 32],
        source_name: "t.wasm".into(),
        compiler_version: "test".into(),
        options: BuildOptions::default(),
        partitions: vec![opencl.into()],
        partition_of: vec![0; 4],
        whole: None,
        memory: MemoryLayout { present: true, initial_pages: 1, max_pages: 1, image: b"abc".to_vec() },
        globals: vec![0],
        exports: vec![
            export("add", vec![ValType::I64, ValType::I64], vec![ValType::I64], 1),
            export("cat", vec![], vec![], 2),
            export("args", vec![], vec![], 3),
            export("spin", vec![], vec![], 4),
            export("echo", vec![], vec![], 5),
            export("bad_status", vec![], vec![], 6),
        ],
        imports: vec![],
        function_names: vec!["entry".into(), "main".into(), "boom".into(), "spin_loop".into()],
        invoke_slots: 2,
        stack_rows: 8,
        entry_function: 0,
        command_entry: Some(0),
    }
}

/// The bundle whose command entry is `echo`, its source headed by a comment naming `tag`.
pub fn echo_bundle(hash: u8, tag: &str) -> Bundle {
    bundle(hash, &format!("/* {tag} */\n#define ECHO_COMMAND\n{KERNELS}"))
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vv-loader-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
