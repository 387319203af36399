//! Lowers a validated walrus module to the pieces of a bundle: one OpenCL C function per Wasm
//! function, the entry function, the table, the memory image, globals, exports and imports.

mod direct;
mod entry;
mod func;
mod instance;
mod liveness;
mod module;
mod ops;
mod spectest;
mod text;
mod types;
mod walk;

use crate::error::{CompileError, Location};
use module::ModuleCtx;
use types::Ty;
use instance::Storage;
use vv_bundle::abi::{HostCall, Trap, PAGE_SIZE};
use vv_bundle::{BuildOptions, Export, ExportKind, ImportUse, MemoryLayout};
use walrus::{DataKind, ExportItem, ImportKind, Module};

/// One generated function, ready for the kernel template.
pub struct FunctionText {
    pub id: u32,
    pub c_name: String,
    pub text: String,
    /// Direct calls to functions of the module: callee id and weight (see `partition`).
    pub calls: Vec<(u32, u64)>,
    /// Whether the dispatcher calls it (false for a function only ever called directly).
    pub dispatched: bool,
    /// The prototype of its plain version, if it has one (`--direct-calls`).
    pub prototype: Option<String>,
    /// Functions its text calls as plain C functions: they must be in its partition too.
    pub plain_callees: Vec<u32>,
}

/// A constant array of the kernel: a table no instruction writes, or the contents of a
/// segment `memory.init` / `table.init` read.
pub struct ConstArray {
    pub name: String,
    /// `uchar` or `uint`.
    pub c_type: &'static str,
    pub values: Vec<u32>,
}

/// Everything the template and the bundle need.
pub struct Lowered {
    pub functions: Vec<FunctionText>,
    pub arrays: Vec<ConstArray>,
    pub func_sigs: Vec<u32>,
    /// Start bits of every row of the globals buffer (the module's globals, then tables and
    /// segment lengths).
    pub globals: Vec<u64>,
    pub memory: MemoryLayout,
    pub exports: Vec<Export>,
    pub imports: Vec<ImportUse>,
    pub function_names: Vec<String>,
    pub invoke_slots: u32,
    pub stack_limit: u32,
    pub stack_rows: u32,
    pub entry_function: u32,
    pub command_entry: Option<u32>,
}

pub fn lower(m: &Module, path: &str, opts: &BuildOptions) -> Result<Lowered, CompileError> {
    let unsupported = |feature: String| CompileError::UnsupportedModule { path: path.to_string(), feature };
    let imports = check_imports(m, path)?;
    let ctx = ModuleCtx::new(m).map_err(unsupported)?;

    let (memory, memory_trap) = memory_layout(m, &ctx, path, opts)?;
    let init_trap = ctx.instance().trap.or(memory_trap);

    let direct = if opts.direct_calls { direct::analyze(m, &ctx) } else { direct::DirectCalls::default() };
    let mut functions = Vec::new();
    let mut func_sigs = Vec::new();
    let mut max_params = 0usize;
    for (id, fid) in ctx.locals.iter().enumerate() {
        let f = m.funcs.get(*fid);
        let local = match &f.kind {
            walrus::FunctionKind::Local(l) => l,
            _ => unreachable!("ModuleCtx lists local functions only"),
        };
        let id = id as u32;
        let c_name = c_name(id, ctx.func_name(id));
        let (params, results) = ctx.func_signature(*fid).map_err(|e| CompileError::Unsupported {
            path: path.into(),
            feature: e.into(),
            location: Location { function: ctx.func_name(id).into(), offset: None },
        })?;
        max_params = max_params.max(params.len()).max(results.len());
        let header = format!("func {id} `{}`: {}", text::comment_safe(ctx.func_name(id)), signature_text(&params, &results));
        let function = ctx.func_name(id).to_string();
        let error = |e: func::LowerError| CompileError::Unsupported {
            path: path.into(),
            feature: e.feature,
            location: Location { function: function.clone(), offset: e.offset },
        };
        // The versions this function needs: the dispatched one, the plain one, or both (which
        // make the same calls).
        let dispatched = direct.dispatched(id);
        let versions = [false, true].into_iter().filter(|&plain| if plain { direct.plain(id) } else { dispatched });
        let lowered = versions
            .map(|plain| func::FunctionWriter::new(&ctx, local, id, &c_name, &direct.direct, plain).write(&header).map_err(&error))
            .collect::<Result<Vec<_>, _>>()?;
        let text = lowered.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        let prototype = lowered.iter().find_map(|l| l.prototype.clone());
        let (calls, plain_callees) = lowered.into_iter().next().map(|l| (l.calls, l.plain_calls.into_iter().collect())).unwrap_or_default();
        func_sigs.push(ctx.sig_id(f.ty()).unwrap_or(module::NO_SIG));
        functions.push(FunctionText { id, c_name, text, calls, dispatched, prototype, plain_callees });
    }

    let exports = exports(m, &ctx).map_err(unsupported)?;
    let command_entry = exports.iter().find(|e| e.name == "_start" && e.params.is_empty()).map(|e| e.invoke_index);
    let invoke_slots =
        exports.iter().map(|e| e.params.len().max(e.results.len())).max().unwrap_or(0).max(1) as u32;
    let entry_id = ctx.entry_id();
    let start = m.start.and_then(|s| ctx.dispatch_id(s));
    let entry_calls = start
        .into_iter()
        .chain(exports.iter().filter(|e| e.kind == ExportKind::Function).map(|e| e.function))
        .map(|callee| (callee, 1))
        .collect();
    functions.push(FunctionText {
        id: entry_id,
        c_name: "vv_entry".into(),
        text: entry::write_entry(&ctx, entry_id, start, init_trap, &exports, command_entry),
        calls: entry_calls,
        dispatched: true,
        prototype: None,
        plain_callees: Vec::new(),
    });
    func_sigs.push(module::NO_SIG);

    let stack_limit = invoke_slots + opts.stack_slots();
    Ok(Lowered {
        functions,
        arrays: const_arrays(m, &ctx),
        func_sigs,
        globals: ctx.global_inits(),
        memory,
        exports,
        imports,
        function_names: ctx.names().to_vec(),
        invoke_slots,
        stack_limit,
        stack_rows: stack_limit + 2 + max_params as u32,
        entry_function: entry_id,
        command_entry,
    })
}

/// Checks every import is a host call with the right signature, or names what is not supported.
fn check_imports(m: &Module, path: &str) -> Result<Vec<ImportUse>, CompileError> {
    let mut used = Vec::new();
    for imp in m.imports.iter() {
        let unsupported = |what: &str| CompileError::UnsupportedModule {
            path: path.into(),
            feature: format!("imported {what} `{}.{}`", imp.module, imp.name),
        };
        let unknown = || CompileError::UnknownImport { path: path.into(), module: imp.module.clone(), name: imp.name.clone() };
        let spectest = imp.module == spectest::MODULE;
        let mismatch = |found: String, expected: String| CompileError::ImportSignature {
            path: path.into(),
            module: imp.module.clone(),
            name: imp.name.clone(),
            found,
            expected,
        };
        let fid = match imp.kind {
            ImportKind::Function(f) => f,
            ImportKind::Memory(id) if spectest && imp.name == "memory" => {
                let mem = m.memories.get(id);
                if mem.shared || mem.memory64 || !spectest::limits_match((mem.initial, mem.maximum), spectest::MEMORY) {
                    let found = format!("memory {} {:?}", mem.initial, mem.maximum);
                    return Err(mismatch(found, format!("memory {:?}", spectest::MEMORY)));
                }
                continue;
            }
            ImportKind::Table(id) if spectest && imp.name == "table" => {
                let t = m.tables.get(id);
                if t.element_ty != walrus::RefType::FUNCREF || !spectest::limits_match((t.initial, t.maximum), spectest::TABLE) {
                    let found = format!("table {} {:?} {:?}", t.initial, t.maximum, t.element_ty);
                    return Err(mismatch(found, format!("table {:?} funcref", spectest::TABLE)));
                }
                continue;
            }
            ImportKind::Global(id) if spectest => {
                let g = m.globals.get(id);
                let Some(value) = spectest::global(&imp.name) else { return Err(unknown()) };
                let want = types::literal(value).map(|(t, _)| t).ok();
                if g.mutable || Ty::from_walrus(g.ty).ok() != want {
                    let found = format!("{}global {:?}", if g.mutable { "mutable " } else { "" }, g.ty);
                    return Err(mismatch(found, format!("global {want:?}")));
                }
                continue;
            }
            ImportKind::Memory(_) if !spectest => return Err(unsupported("memory")),
            ImportKind::Table(_) if !spectest => return Err(unsupported("table")),
            ImportKind::Global(_) => return Err(unsupported("global")),
            ImportKind::Tag(_) => return Err(unsupported("tag (exception handling)")),
            ImportKind::Memory(_) | ImportKind::Table(_) => return Err(unknown()),
        };
        let (params, results) = m.types.params_results(m.funcs.get(fid).ty());
        if spectest {
            let Some(want) = spectest::function(&imp.name) else { return Err(unknown()) };
            let want: Vec<_> = want.iter().map(|t| t.walrus()).collect();
            if params != want.as_slice() || !results.is_empty() {
                return Err(mismatch(format!("{params:?} -> {results:?}"), format!("{want:?} -> []")));
            }
            continue;
        }
        let Some(call) = HostCall::lookup(&imp.module, &imp.name) else {
            return Err(unknown());
        };
        let (want_params, returns) = call.signature();
        let want_params: Vec<walrus::ValType> = want_params
            .iter()
            .map(|k| match k {
                vv_bundle::abi::ValKind::I32 => walrus::ValType::I32,
                vv_bundle::abi::ValKind::I64 => walrus::ValType::I64,
            })
            .collect();
        let want_results: &[walrus::ValType] = if returns { &[walrus::ValType::I32] } else { &[] };
        if params != want_params.as_slice() || results != want_results {
            return Err(CompileError::ImportSignature {
                path: path.into(),
                module: imp.module.clone(),
                name: imp.name.clone(),
                found: format!("{params:?} -> {results:?}"),
                expected: format!("{want_params:?} -> {want_results:?}"),
            });
        }
        used.push(ImportUse { module: imp.module.clone(), name: imp.name.clone(), call });
    }
    Ok(used)
}

/// The memory every VM starts with, and the trap instantiation ends in when an active data
/// segment does not fit (segments before it are applied, as the spec orders).
fn memory_layout(m: &Module, ctx: &ModuleCtx, path: &str, opts: &BuildOptions) -> Result<(MemoryLayout, Option<Trap>), CompileError> {
    let unsupported = |feature: String| CompileError::UnsupportedModule { path: path.into(), feature };
    let limits = |message: String| CompileError::Limits { path: path.into(), message };
    let mut mems = m.memories.iter();
    let Some(mem) = mems.next() else {
        return Ok((MemoryLayout { present: false, initial_pages: 0, max_pages: 0, image: vec![] }, None));
    };
    if mems.next().is_some() {
        return Err(unsupported("multiple memories".into()));
    }
    if mem.shared {
        return Err(unsupported("threads (shared memory)".into()));
    }
    if mem.memory64 {
        return Err(unsupported("memory64".into()));
    }
    let (initial, maximum) = match mem.import {
        Some(_) => (spectest::MEMORY.0, Some(spectest::MEMORY.1)),
        None => (mem.initial, mem.maximum),
    };
    let heap_pages = opts.heap_pages() as u64;
    if initial > heap_pages {
        return Err(limits(format!(
            "the module's memory starts at {initial} pages ({} KiB) but --heap-size allows {heap_pages} pages; raise --heap-size",
            initial * 64,
        )));
    }
    let max_pages = maximum.unwrap_or(heap_pages).min(heap_pages);
    let initial_bytes = initial * PAGE_SIZE;
    let mut image = Vec::new();
    let mut trap = None;
    for d in m.data.iter() {
        let DataKind::Active { offset, .. } = &d.kind else { continue };
        let at = ctx.eval(offset).map_err(unsupported)? as u32;
        let end = at as u64 + d.value.len() as u64;
        if end > initial_bytes {
            trap = Some(Trap::MemoryOutOfBounds);
            break;
        }
        if image.len() < end as usize {
            image.resize(end as usize, 0);
        }
        image[at as usize..end as usize].copy_from_slice(&d.value);
    }
    Ok((MemoryLayout { present: true, initial_pages: initial as u32, max_pages: max_pages as u32, image }, trap))
}

/// The kernel's constant arrays: unwritten tables, and segments `memory.init` / `table.init` read.
fn const_arrays(m: &Module, ctx: &ModuleCtx) -> Vec<ConstArray> {
    let inst = ctx.instance();
    let mut out = Vec::new();
    for t in &inst.tables {
        if t.storage == Storage::Constant {
            out.push(ConstArray { name: format!("vv_table{}", t.index), c_type: "uint", values: t.image.clone() });
        }
    }
    for (seg, items) in &inst.elems {
        if seg.len_row.is_some() && seg.passive {
            out.push(ConstArray { name: format!("vv_elem{}", seg.index), c_type: "uint", values: items.clone() });
        }
    }
    for (seg, d) in inst.datas.iter().zip(m.data.iter()) {
        if seg.len_row.is_some() && seg.passive {
            out.push(ConstArray { name: format!("vv_data{}", seg.index), c_type: "uchar", values: d.value.iter().map(|&b| b as u32).collect() });
        }
    }
    out
}

/// Exported functions and globals, each with its invoke index.
fn exports(m: &Module, ctx: &ModuleCtx) -> Result<Vec<Export>, String> {
    let mut out = Vec::new();
    for e in m.exports.iter() {
        let (kind, function, params, results) = match e.item {
            ExportItem::Function(f) => {
                let Some(function) = ctx.dispatch_id(f) else { continue };
                let (params, results) = ctx.func_signature(f)?;
                (ExportKind::Function, function, params, results)
            }
            ExportItem::Global(g) => {
                let info = ctx.global(g)?;
                (ExportKind::Global, info.index, vec![], vec![info.ty])
            }
            _ => continue,
        };
        out.push(Export {
            name: e.name.clone(),
            kind,
            function,
            params: params.iter().map(|t| t.bundle()).collect(),
            results: results.iter().map(|t| t.bundle()).collect(),
            invoke_index: out.len() as u32,
        });
    }
    Ok(out)
}

fn signature_text(params: &[Ty], results: &[Ty]) -> String {
    let list = |v: &[Ty]| v.iter().map(|t| t.prefix()).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(params), list(results))
}

/// C identifier of a function: its id plus a readable, sanitized form of its name.
pub(super) fn c_name(id: u32, name: &str) -> String {
    let mut s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(40).collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_');
    if s.is_empty() {
        format!("f{id}")
    } else {
        format!("f{id}_{s}")
    }
}
