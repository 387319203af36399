//! vvc as a library: compiles a WebAssembly program (binary or text) into a `Bundle` whose
//! OpenCL C runs one VM per work-item. `compile` is pure; `cache` keeps built bundles by hash.

pub mod cache;
mod emit;
pub mod error;
mod front;
mod lower;
mod partition;
pub mod size;

pub use emit::PROGRAM_MARKER;
pub use error::CompileError;

use sha2::{Digest, Sha256};
use vv_bundle::{BuildOptions, Bundle, FORMAT_VERSION};

/// Checks the options a user can get wrong.
pub fn validate_options(opts: &BuildOptions) -> Result<(), String> {
    if !opts.interleave.is_power_of_two() || opts.interleave as u64 > vv_bundle::abi::PAGE_SIZE {
        return Err(format!("--interleave must be a power of two from 1 to 65536 bytes, not {}", opts.interleave));
    }
    if !opts.heap_size.is_multiple_of(vv_bundle::abi::PAGE_SIZE) || opts.heap_size > 4 << 30 {
        return Err(format!("--heap-size must be a multiple of 64 KiB and at most 4 GiB, not {}", opts.heap_size));
    }
    if opts.stack_size < 1024 || opts.stack_size > 64 << 20 {
        return Err(format!("--stack-size must be between 1 KiB and 64 MiB, not {}", opts.stack_size));
    }
    if opts.max_registers != 0 && !(16..=255).contains(&opts.max_registers) {
        return Err(format!("--max-registers must be 0 (no cap) or between 16 and 255, not {}", opts.max_registers));
    }
    if opts.fuel == 0 || opts.fuel > i32::MAX as u64 {
        return Err(format!("--fuel must be between 1 and {}, not {}", i32::MAX, opts.fuel));
    }
    Ok(())
}

/// sha256 of everything that determines a bundle: input bytes, its name, the options, the
/// compiler (version and a fingerprint of its sources), the bundle format and the templates.
pub fn content_hash(source_name: &str, input: &[u8], opts: &BuildOptions) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"vvc\0");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(env!("VVC_SOURCE_FINGERPRINT").as_bytes());
    h.update(FORMAT_VERSION.to_le_bytes());
    h.update(emit::PRELUDE.as_bytes());
    h.update(emit::KERNEL_TEMPLATE.as_bytes());
    h.update(format!("{opts:?}").as_bytes());
    h.update((source_name.len() as u64).to_le_bytes());
    h.update(source_name.as_bytes());
    h.update(input);
    h.finalize().into()
}

/// Compiles a program. `source_name` names the input in messages and in the bundle.
pub fn compile(source_name: &str, input: &[u8], opts: &BuildOptions) -> Result<Bundle, CompileError> {
    validate_options(opts).map_err(|message| CompileError::Limits { path: source_name.into(), message })?;
    let wasm = front::wasm_bytes(source_name, input)?;
    let module = front::parse(source_name, &wasm)?;
    let lowered = lower::lower(&module, source_name, opts)?;
    let nodes: Vec<partition::Node> =
        lowered.functions.iter().map(|f| partition::Node { lines: f.text.lines().count(), calls: &f.calls }).collect();
    let split = with_plain_callees(&lowered.functions, partition::assign(&nodes, opts.partition_lines as usize));
    // Inlining lengthens device builds, so a split program inlines only its whole program: the
    // partitions are what a cold start waits for.
    let render = |members: &[Vec<u32>], whole: bool| {
        let shape = emit::Shape { interleave: opts.interleave, inline_functions: opts.inline_functions && whole };
        emit::render(&lowered, shape, members).map_err(|e| CompileError::Internal { path: source_name.into(), message: e.to_string() })
    };
    let partitions = render(&split.members, split.members.len() == 1)?;
    let whole = if partitions.len() > 1 {
        let all = with_plain_callees(&lowered.functions, partition::assign(&nodes, 0));
        render(&all.members, true)?.pop()
    } else {
        None
    };
    Ok(Bundle {
        content_hash: content_hash(source_name, input, opts),
        source_name: source_name.to_string(),
        compiler_version: env!("CARGO_PKG_VERSION").to_string(),
        options: opts.clone(),
        partitions,
        partition_of: split.home,
        whole,
        memory: lowered.memory,
        globals: lowered.globals,
        exports: lowered.exports,
        imports: lowered.imports,
        function_names: lowered.function_names,
        invoke_slots: lowered.invoke_slots,
        stack_rows: lowered.stack_rows,
        entry_function: lowered.entry_function,
        command_entry: lowered.command_entry,
    })
}

/// Functions only ever called as plain C functions (`--direct-calls`) go wherever their callers
/// are: each partition keeps the functions the dispatcher runs and gets, transitively, every
/// plain function they call; partitions left with nothing to dispatch are dropped.
fn with_plain_callees(functions: &[lower::FunctionText], split: partition::Partitioning) -> partition::Partitioning {
    let mut new_index = Vec::new();
    let mut members_out = Vec::new();
    for mut members in split.members {
        members.retain(|&f| functions[f as usize].dispatched);
        if members.is_empty() {
            new_index.push(None);
            continue;
        }
        let mut pending: Vec<u32> = members.clone();
        while let Some(f) = pending.pop() {
            for &c in &functions[f as usize].plain_callees {
                if let Err(at) = members.binary_search(&c) {
                    members.insert(at, c);
                    pending.push(c);
                }
            }
        }
        new_index.push(Some(members_out.len() as u32));
        members_out.push(members);
    }
    // A plain-only function has no home the host would resume it in; any valid index does.
    let home = split.home.iter().map(|&p| new_index[p as usize].unwrap_or(0)).collect();
    partition::Partitioning { home, members: members_out }
}

/// The program-specific part of a bundle's OpenCL C (everything after the prelude).
pub fn program_text(opencl: &str) -> &str {
    opencl.split_once(PROGRAM_MARKER).map(|(_, p)| p).unwrap_or(opencl)
}

/// The runtime prelude every program includes.
pub fn prelude() -> &'static str {
    emit::PRELUDE
}
