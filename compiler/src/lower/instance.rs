//! A module instance's state besides linear memory and globals: tables and the lengths of data
//! and element segments, kept per VM as extra rows of the globals buffer, and their start values.
//!
//! A table no instruction writes stays a `__constant` array shared by all VMs; a table that
//! `table.set/grow/fill/copy/init` may change lives in rows: one for its size, then `capacity`
//! entries. Segment lengths get rows only when `memory.init`/`data.drop` (data) or
//! `table.init`/`elem.drop` (elements) occur: a dropped segment has length 0.

use super::walk::each_instr;
use super::types::Ty;
use std::collections::{HashMap, HashSet};
use vv_bundle::abi::{Trap, REF_NULL};
use walrus::ir::Instr;
use walrus::{ConstExpr, DataId, DataKind, ElementId, ElementItems, ElementKind, FunctionId, Module, TableId};

/// Entries a growable table without a (smaller) maximum can hold.
pub const GROW_CAPACITY: u64 = 1024;
/// Largest table the translator accepts.
pub const MAX_TABLE: u64 = 1 << 16;

/// Where a table's entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// `vv_table{index}`, never written; its size is its initial size.
    Constant,
    /// Per-VM rows of the globals buffer.
    Rows { size_row: u32, base_row: u32, capacity: u32 },
}

#[derive(Debug, Clone)]
pub struct TableInfo {
    pub index: u32,
    pub elem: Ty,
    /// Entries after instantiation (function ids, or `REF_NULL`), `initial` of them.
    pub image: Vec<u32>,
    pub storage: Storage,
}

impl TableInfo {
    /// C expression of the current size.
    pub fn size(&self) -> String {
        match self.storage {
            Storage::Constant => format!("{}u", self.image.len()),
            Storage::Rows { size_row, .. } => format!("(uint)VV_GLOBAL({size_row}u)"),
        }
    }

    /// C expression of entry `i` (which must be in bounds).
    pub fn get(&self, i: &str) -> String {
        match self.storage {
            Storage::Constant => format!("vv_table{}[{i}]", self.index),
            Storage::Rows { base_row, .. } => format!("(uint)VV_GLOBAL({base_row}u + {i})"),
        }
    }

    /// The rows of a writable table: (size row, first entry row, capacity).
    pub fn rows(&self) -> Option<(u32, u32, u32)> {
        match self.storage {
            Storage::Constant => None,
            Storage::Rows { size_row, base_row, capacity } => Some((size_row, base_row, capacity)),
        }
    }
}

/// A passive-capable segment: its length and the row holding its current length, if any.
#[derive(Debug, Clone)]
pub struct Segment {
    pub index: u32,
    pub len: u32,
    pub len_row: Option<u32>,
    /// Passive segments are readable by `memory.init`/`table.init` until dropped; active and
    /// declared ones count as dropped once the module is instantiated.
    pub passive: bool,
}

pub struct Instance {
    pub tables: Vec<TableInfo>,
    table_index: HashMap<TableId, usize>,
    pub elems: Vec<(Segment, Vec<u32>)>,
    elem_index: HashMap<ElementId, usize>,
    pub datas: Vec<Segment>,
    data_index: HashMap<DataId, usize>,
    /// Start values of the rows after the module's globals.
    pub rows: Vec<u64>,
    /// The trap instantiation ends in (an active element segment outside its table).
    pub trap: Option<Trap>,
}

/// What the instructions of a module do to tables and segments.
#[derive(Default)]
struct Uses {
    written_tables: HashSet<TableId>,
    data_segments: bool,
    elem_segments: bool,
}

fn scan(m: &Module) -> Uses {
    let mut uses = Uses::default();
    for f in m.funcs.iter_local() {
        let f = f.1;
        each_instr(f, f.entry_block(), |instr| match instr {
            Instr::TableSet(t) => drop(uses.written_tables.insert(t.table)),
            Instr::TableGrow(t) => drop(uses.written_tables.insert(t.table)),
            Instr::TableFill(t) => drop(uses.written_tables.insert(t.table)),
            Instr::TableCopy(t) => drop(uses.written_tables.insert(t.dst)),
            Instr::TableInit(t) => {
                uses.written_tables.insert(t.table);
                uses.elem_segments = true;
            }
            Instr::ElemDrop(_) => uses.elem_segments = true,
            Instr::MemoryInit(_) | Instr::DataDrop(_) => uses.data_segments = true,
            _ => {}
        });
    }
    uses
}

impl Instance {
    /// Lays out tables and segments in rows from `first_row` on. `eval` gives the bits of a
    /// constant expression; `func_id` the dispatch id of a function. `Err` names the feature.
    pub fn build(
        m: &Module,
        first_row: u32,
        eval: &dyn Fn(&ConstExpr) -> Result<u64, String>,
        func_id: &dyn Fn(FunctionId) -> Result<u32, String>,
    ) -> Result<Instance, String> {
        let uses = scan(m);
        let mut inst = Instance {
            tables: Vec::new(),
            table_index: HashMap::new(),
            elems: Vec::new(),
            elem_index: HashMap::new(),
            datas: Vec::new(),
            data_index: HashMap::new(),
            rows: Vec::new(),
            trap: None,
        };
        let mut next_row = first_row;

        for (index, t) in m.tables.iter().enumerate() {
            if t.table64 {
                return Err("64-bit tables (memory64 proposal)".into());
            }
            if t.init.is_some() {
                return Err("tables with an initializer expression (function references proposal)".into());
            }
            let elem = Ty::from_ref(t.element_ty)?;
            let (initial, maximum) = match t.import {
                Some(_) => (super::spectest::TABLE.0, Some(super::spectest::TABLE.1)),
                None => (t.initial, t.maximum),
            };
            if initial > MAX_TABLE {
                return Err(format!("a table of {initial} entries (at most {MAX_TABLE})"));
            }
            let storage = if uses.written_tables.contains(&t.id()) {
                let capacity = maximum.unwrap_or(u64::MAX).min(initial.max(GROW_CAPACITY)).min(MAX_TABLE) as u32;
                let size_row = next_row;
                next_row += 1 + capacity;
                Storage::Rows { size_row, base_row: size_row + 1, capacity }
            } else {
                Storage::Constant
            };
            inst.table_index.insert(t.id(), index);
            inst.tables.push(TableInfo { index: index as u32, elem, image: vec![REF_NULL as u32; initial as usize], storage });
        }

        for (index, e) in m.elements.iter().enumerate() {
            let items: Vec<u32> = match &e.items {
                ElementItems::Functions(fs) => fs.iter().map(|f| func_id(*f)).collect::<Result<_, _>>()?,
                ElementItems::Expressions(_, exprs) => {
                    exprs.iter().map(|x| eval(x).map(|b| b as u32)).collect::<Result<_, _>>()?
                }
            };
            let passive = matches!(e.kind, ElementKind::Passive);
            let len_row = uses.elem_segments.then(|| {
                next_row += 1;
                next_row - 1
            });
            inst.elem_index.insert(e.id(), index);
            let seg = Segment { index: index as u32, len: items.len() as u32, len_row, passive };
            inst.elems.push((seg, items));
        }
        for (index, d) in m.data.iter().enumerate() {
            let len_row = uses.data_segments.then(|| {
                next_row += 1;
                next_row - 1
            });
            inst.data_index.insert(d.id(), index);
            let passive = matches!(d.kind, DataKind::Passive);
            inst.datas.push(Segment { index: index as u32, len: d.value.len() as u32, len_row, passive });
        }

        // Instantiation: active element segments in order; the first that does not fit traps.
        for e in m.elements.iter() {
            let ElementKind::Active { table, offset } = &e.kind else { continue };
            let at = eval(offset)? as u32 as usize;
            let items = inst.elems[inst.elem_index[&e.id()]].1.clone();
            let t = &mut inst.tables[inst.table_index[table]];
            if at + items.len() > t.image.len() {
                inst.trap = Some(Trap::TableOutOfBounds);
                break;
            }
            t.image[at..at + items.len()].copy_from_slice(&items);
        }

        inst.rows = vec![0; (next_row - first_row) as usize];
        let mut set = |row: u32, bits: u64| inst.rows[(row - first_row) as usize] = bits;
        for t in &inst.tables {
            if let Storage::Rows { size_row, base_row, capacity } = t.storage {
                set(size_row, t.image.len() as u64);
                for i in 0..capacity {
                    set(base_row + i, t.image.get(i as usize).copied().unwrap_or(REF_NULL as u32) as u64);
                }
            }
        }
        for (seg, _) in &inst.elems {
            if let Some(row) = seg.len_row {
                set(row, if seg.passive { seg.len as u64 } else { 0 });
            }
        }
        for seg in &inst.datas {
            if let Some(row) = seg.len_row {
                set(row, if seg.passive { seg.len as u64 } else { 0 });
            }
        }
        Ok(inst)
    }

    pub fn table(&self, t: TableId) -> &TableInfo {
        &self.tables[self.table_index[&t]]
    }

    pub fn elem(&self, e: ElementId) -> &(Segment, Vec<u32>) {
        &self.elems[self.elem_index[&e]]
    }

    pub fn data(&self, d: DataId) -> &Segment {
        &self.datas[self.data_index[&d]]
    }
}
