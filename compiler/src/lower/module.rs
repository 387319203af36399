//! Module-wide facts the function writer asks about: function ids and names, what a call goes to
//! (a function here or a host call), canonical signatures, globals, the table.

use super::instance::Instance;
use super::spectest;
use super::types::{literal_bits, Ty};
use std::collections::HashMap;
use vv_bundle::abi::{HostCall, REF_NULL};
use walrus::{ConstExpr, FunctionId, FunctionKind, GlobalId, GlobalKind, Module, TypeId};

/// Signature id no function has (a `call_indirect` type that nothing in the table can match).
pub const NO_SIG: u32 = 0xffff_fffe;

/// What a call instruction reaches.
#[derive(Debug, Clone, Copy)]
pub enum Callee {
    /// A function of the module, by dispatch id.
    Local(u32),
    /// A WASI import.
    Host(HostCall),
    /// A `spectest` print function: nothing happens on the device.
    Spectest(&'static [Ty]),
}

pub struct GlobalInfo {
    pub index: u32,
    pub ty: Ty,
    /// Literal of an immutable global's value: reads become constants.
    pub constant: Option<String>,
    /// Initial value bits.
    pub init: u64,
}

pub struct ModuleCtx<'m> {
    pub module: &'m Module,
    callees: HashMap<FunctionId, Callee>,
    /// Display names by dispatch id (local functions, then the entry).
    names: Vec<String>,
    /// Local functions in dispatch-id order.
    pub locals: Vec<FunctionId>,
    sigs: HashMap<(Vec<Ty>, Vec<Ty>), u32>,
    globals: HashMap<GlobalId, GlobalInfo>,
    instance: Option<Instance>,
}

impl<'m> ModuleCtx<'m> {
    /// Numbers functions and globals. Imports must already be checked (`Err` is the feature).
    pub fn new(module: &'m Module) -> Result<Self, String> {
        let mut callees = HashMap::new();
        let mut names = Vec::new();
        let mut locals = Vec::new();
        for (index, f) in module.funcs.iter().enumerate() {
            match &f.kind {
                FunctionKind::Local(_) => {
                    let id = locals.len() as u32;
                    callees.insert(f.id(), Callee::Local(id));
                    locals.push(f.id());
                    let name = f
                        .name
                        .clone()
                        .or_else(|| module.exports.get_exported_func(f.id()).map(|e| e.name.clone()))
                        .unwrap_or_else(|| format!("func{index}"));
                    names.push(name);
                }
                FunctionKind::Import(imp) => {
                    let import = module.imports.get(imp.import);
                    let callee = match HostCall::lookup(&import.module, &import.name) {
                        Some(call) => Callee::Host(call),
                        None if import.module == spectest::MODULE => spectest::function(&import.name)
                            .map(Callee::Spectest)
                            .ok_or_else(|| format!("import {}.{}", import.module, import.name))?,
                        None => return Err(format!("import {}.{}", import.module, import.name)),
                    };
                    callees.insert(f.id(), callee);
                }
                FunctionKind::Uninitialized(_) => return Err("uninitialized function".into()),
            }
        }
        names.push("<entry>".to_string());

        let mut ctx = ModuleCtx { module, callees, names, locals, sigs: HashMap::new(), globals: HashMap::new(), instance: None };
        for f in module.funcs.iter() {
            ctx.intern_sig(f.ty())?;
        }
        for (index, g) in module.globals.iter().enumerate() {
            let ty = Ty::from_walrus(g.ty)?;
            let init = match &g.kind {
                GlobalKind::Local(e) => ctx.eval(e)?,
                GlobalKind::Import(imp) => {
                    let import = module.imports.get(*imp);
                    let value = (import.module == spectest::MODULE).then(|| spectest::global(&import.name)).flatten();
                    let value = value.ok_or_else(|| format!("imported global {}.{}", import.module, import.name))?;
                    super::types::bits(value).ok_or("SIMD (v128 global)")?
                }
            };
            let constant = (!g.mutable).then(|| literal_bits(ty, init));
            ctx.globals.insert(g.id(), GlobalInfo { index: index as u32, ty, constant, init });
        }
        let first_row = module.globals.iter().count() as u32;
        let instance = Instance::build(module, first_row, &|e| ctx.eval(e), &|f| {
            ctx.dispatch_id(f).ok_or_else(|| "a reference to an imported function".to_string())
        })?;
        ctx.instance = Some(instance);
        Ok(ctx)
    }

    /// Slot bits of a constant expression.
    pub fn eval(&self, e: &ConstExpr) -> Result<u64, String> {
        match e {
            ConstExpr::Value(v) => super::types::bits(*v).ok_or_else(|| "SIMD (v128 constant)".to_string()),
            ConstExpr::Global(g) => self.globals.get(g).map(|g| g.init).ok_or_else(|| "a constant expression reading a later global".into()),
            ConstExpr::RefNull(_) => Ok(REF_NULL),
            ConstExpr::RefFunc(f) => {
                self.dispatch_id(*f).map(u64::from).ok_or_else(|| "a reference to an imported function".into())
            }
            ConstExpr::Extended(_) => Err("extended constant expressions".into()),
        }
    }

    fn intern_sig(&mut self, ty: TypeId) -> Result<u32, String> {
        let key = self.signature(ty)?;
        let next = self.sigs.len() as u32;
        Ok(*self.sigs.entry(key).or_insert(next))
    }

    pub fn entry_id(&self) -> u32 {
        self.locals.len() as u32
    }

    pub fn func_name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn callee(&self, f: FunctionId) -> Callee {
        self.callees[&f]
    }

    pub fn dispatch_id(&self, f: FunctionId) -> Option<u32> {
        match self.callees.get(&f) {
            Some(Callee::Local(id)) => Some(*id),
            _ => None,
        }
    }

    /// Parameter and result types of a function type.
    pub fn signature(&self, ty: TypeId) -> Result<(Vec<Ty>, Vec<Ty>), &'static str> {
        let (p, r) = self.module.types.params_results(ty);
        let map = |v: &[walrus::ValType]| v.iter().map(|t| Ty::from_walrus(*t)).collect::<Result<Vec<_>, _>>();
        Ok((map(p)?, map(r)?))
    }

    pub fn func_signature(&self, f: FunctionId) -> Result<(Vec<Ty>, Vec<Ty>), &'static str> {
        self.signature(self.module.funcs.get(f).ty())
    }

    /// Canonical id of a signature: equal signatures share one id, so `call_indirect` can
    /// compare a table entry's signature with the expected one.
    pub fn sig_id(&self, ty: TypeId) -> Result<u32, &'static str> {
        let key = self.signature(ty)?;
        Ok(self.sigs.get(&key).copied().unwrap_or(NO_SIG))
    }

    pub fn global_by_index(&self, index: u32) -> &GlobalInfo {
        self.globals.values().find(|g| g.index == index).expect("an exported global exists")
    }

    pub fn global(&self, g: GlobalId) -> Result<&GlobalInfo, &'static str> {
        self.globals.get(&g).ok_or("unknown global")
    }

    /// Start bits of every row of the globals buffer: the module's globals, then the instance's
    /// tables and segment lengths.
    pub fn global_inits(&self) -> Vec<u64> {
        let mut v: Vec<&GlobalInfo> = self.globals.values().collect();
        v.sort_by_key(|g| g.index);
        let mut rows: Vec<u64> = v.into_iter().map(|g| g.init).collect();
        rows.extend(&self.instance().rows);
        rows
    }

    pub fn instance(&self) -> &Instance {
        self.instance.as_ref().expect("built in ModuleCtx::new")
    }

    /// The functions a `call_indirect` of signature `sig` through `table` may reach: those of
    /// that signature in the table after instantiation or in any element segment.
    pub fn indirect_targets(&self, table: walrus::TableId, sig: u32) -> Vec<u32> {
        let inst = self.instance();
        let mut ids: Vec<u32> = inst.table(table).image.iter().chain(inst.elems.iter().flat_map(|(_, ids)| ids)).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&id| {
            self.locals.get(id as usize).is_some_and(|&f| self.sig_id(self.module.funcs.get(f).ty()) == Ok(sig))
        });
        ids
    }
}
