//! Lowers a validated walrus module to the pieces of a bundle: one OpenCL C function per Wasm
//! function, the entry function, the table, the memory image, globals, exports and imports.

mod entry;
mod func;
mod liveness;
mod module;
mod ops;
mod text;
mod types;

use crate::error::{CompileError, Location};
use module::ModuleCtx;
use types::Ty;
use vv_bundle::abi::{HostCall, PAGE_SIZE};
use vv_bundle::{BuildOptions, Export, ImportUse, MemoryLayout};
use walrus::ir::Value;
use walrus::{ConstExpr, DataKind, ElementItems, ElementKind, ExportItem, ImportKind, Module};

/// One generated function, ready for the kernel template.
pub struct FunctionText {
    pub id: u32,
    pub c_name: String,
    pub text: String,
}

/// Everything the template and the bundle need.
pub struct Lowered {
    pub functions: Vec<FunctionText>,
    pub table: Vec<u32>,
    pub func_sigs: Vec<u32>,
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

/// Function id a table slot holds when it is empty.
pub const NO_FUNC: u32 = u32::MAX;

pub fn lower(m: &Module, path: &str, opts: &BuildOptions) -> Result<Lowered, CompileError> {
    let unsupported = |feature: String| CompileError::UnsupportedModule { path: path.to_string(), feature };
    let imports = check_imports(m, path)?;
    let ctx = ModuleCtx::new(m).map_err(unsupported)?;

    let memory = memory_layout(m, path, opts)?;
    let table = table_entries(m, &ctx, path)?;

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
        let header = format!("func {id} `{}`: {}", ctx.func_name(id), signature_text(&params, &results));
        let writer = func::FunctionWriter::new(&ctx, local, id, &c_name);
        let function = ctx.func_name(id).to_string();
        let lowered = writer.write(&header).map_err(|e| CompileError::Unsupported {
            path: path.into(),
            feature: e.feature,
            location: Location { function, offset: e.offset },
        })?;
        func_sigs.push(ctx.sig_id(f.ty()).unwrap_or(module::NO_SIG));
        functions.push(FunctionText { id, c_name, text: lowered.text });
    }

    let exports = exports(m, &ctx);
    let command_entry = exports.iter().find(|e| e.name == "_start" && e.params.is_empty()).map(|e| e.invoke_index);
    let invoke_slots =
        exports.iter().map(|e| e.params.len().max(e.results.len())).max().unwrap_or(0).max(1) as u32;
    let entry_id = ctx.entry_id();
    let start = m.start.and_then(|s| ctx.dispatch_id(s));
    functions.push(FunctionText {
        id: entry_id,
        c_name: "vv_entry".into(),
        text: entry::write_entry(entry_id, start, &exports, command_entry),
    });
    func_sigs.push(module::NO_SIG);

    let stack_limit = invoke_slots + opts.stack_slots();
    Ok(Lowered {
        functions,
        table,
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
        let fid = match imp.kind {
            ImportKind::Function(f) => f,
            ImportKind::Memory(_) => return Err(unsupported("memory")),
            ImportKind::Table(_) => return Err(unsupported("table")),
            ImportKind::Global(_) => return Err(unsupported("global")),
            ImportKind::Tag(_) => return Err(unsupported("tag (exception handling)")),
        };
        let Some(call) = HostCall::lookup(&imp.module, &imp.name) else {
            return Err(CompileError::UnknownImport { path: path.into(), module: imp.module.clone(), name: imp.name.clone() });
        };
        let (params, results) = m.types.params_results(m.funcs.get(fid).ty());
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

fn const_i32(e: &ConstExpr) -> Option<u32> {
    match e {
        ConstExpr::Value(Value::I32(v)) => Some(*v as u32),
        _ => None,
    }
}

fn memory_layout(m: &Module, path: &str, opts: &BuildOptions) -> Result<MemoryLayout, CompileError> {
    let unsupported = |feature: &str| CompileError::UnsupportedModule { path: path.into(), feature: feature.into() };
    let limits = |message: String| CompileError::Limits { path: path.into(), message };
    let mut mems = m.memories.iter();
    let Some(mem) = mems.next() else {
        return Ok(MemoryLayout { present: false, initial_pages: 0, max_pages: 0, image: vec![] });
    };
    if mems.next().is_some() {
        return Err(unsupported("multiple memories"));
    }
    if mem.shared {
        return Err(unsupported("threads (shared memory)"));
    }
    if mem.memory64 {
        return Err(unsupported("memory64"));
    }
    let heap_pages = opts.heap_pages() as u64;
    if mem.initial > heap_pages {
        return Err(limits(format!(
            "the module's memory starts at {} pages ({} KiB) but --heap-size allows {} pages; raise --heap-size",
            mem.initial,
            mem.initial * 64,
            heap_pages
        )));
    }
    let max_pages = mem.maximum.unwrap_or(heap_pages).min(heap_pages);
    let initial_bytes = mem.initial * PAGE_SIZE;
    let mut image = Vec::new();
    for d in m.data.iter() {
        let DataKind::Active { offset, .. } = &d.kind else { continue };
        let Some(at) = const_i32(offset) else {
            return Err(unsupported("data segment whose offset is not an i32 constant"));
        };
        let end = at as u64 + d.value.len() as u64;
        if end > initial_bytes {
            return Err(limits(format!("data segment at 0x{at:x} ({} bytes) is outside the initial memory", d.value.len())));
        }
        if image.len() < end as usize {
            image.resize(end as usize, 0);
        }
        image[at as usize..end as usize].copy_from_slice(&d.value);
    }
    Ok(MemoryLayout { present: true, initial_pages: mem.initial as u32, max_pages: max_pages as u32, image })
}

fn table_entries(m: &Module, ctx: &ModuleCtx, path: &str) -> Result<Vec<u32>, CompileError> {
    let unsupported = |feature: String| CompileError::UnsupportedModule { path: path.into(), feature };
    let mut tables = m.tables.iter();
    let Some(table) = tables.next() else { return Ok(vec![]) };
    if tables.next().is_some() {
        return Err(unsupported("multiple tables".into()));
    }
    if table.element_ty != walrus::RefType::FUNCREF {
        return Err(unsupported("tables of externref".into()));
    }
    if table.initial > 1 << 16 {
        return Err(unsupported(format!("a table of {} entries (at most 65536)", table.initial)));
    }
    let mut entries = vec![NO_FUNC; table.initial as usize];
    for e in m.elements.iter() {
        let ElementKind::Active { offset, .. } = &e.kind else { continue };
        let Some(at) = const_i32(offset) else {
            return Err(unsupported("element segment whose offset is not an i32 constant".into()));
        };
        let items: Vec<Option<walrus::FunctionId>> = match &e.items {
            ElementItems::Functions(fs) => fs.iter().map(|f| Some(*f)).collect(),
            ElementItems::Expressions(_, exprs) => exprs
                .iter()
                .map(|x| match x {
                    ConstExpr::RefFunc(f) => Ok(Some(*f)),
                    ConstExpr::RefNull(_) => Ok(None),
                    _ => Err(unsupported("element expression other than ref.func/ref.null".into())),
                })
                .collect::<Result<_, _>>()?,
        };
        for (i, item) in items.into_iter().enumerate() {
            let slot = at as usize + i;
            if slot >= entries.len() {
                return Err(CompileError::Limits { path: path.into(), message: format!("element segment at {at} is outside the table") });
            }
            entries[slot] = match item {
                None => NO_FUNC,
                Some(f) => ctx
                    .dispatch_id(f)
                    .ok_or_else(|| unsupported("an imported function in the table".into()))?,
            };
        }
    }
    Ok(entries)
}

fn exports(m: &Module, ctx: &ModuleCtx) -> Vec<Export> {
    let mut out = Vec::new();
    for e in m.exports.iter() {
        let ExportItem::Function(f) = e.item else { continue };
        let Some(function) = ctx.dispatch_id(f) else { continue };
        let Ok((params, results)) = ctx.func_signature(f) else { continue };
        out.push(Export {
            name: e.name.clone(),
            kind: vv_bundle::ExportKind::Function,
            function,
            params: params.iter().map(|t| t.bundle()).collect(),
            results: results.iter().map(|t| t.bundle()).collect(),
            invoke_index: out.len() as u32,
        });
    }
    out
}

fn signature_text(params: &[Ty], results: &[Ty]) -> String {
    let list = |v: &[Ty]| v.iter().map(|t| t.prefix()).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(params), list(results))
}

/// C identifier of a function: its id plus a readable, sanitized form of its name.
fn c_name(id: u32, name: &str) -> String {
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
