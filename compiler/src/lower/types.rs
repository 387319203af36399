//! Wasm value types as the generated code sees them: their OpenCL C types, variable prefixes,
//! literals, and how values move to and from the 64-bit slots of the call stack and globals.

use vv_bundle::ValType;

/// A Wasm number type the translator handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
    /// A function reference: a function id, or `VV_REF_NULL`.
    FuncRef,
    /// A host reference: the host's 32-bit value, or `VV_REF_NULL`.
    ExternRef,
}

impl Ty {
    pub const ALL: [Ty; 6] = [Ty::I32, Ty::I64, Ty::F32, Ty::F64, Ty::FuncRef, Ty::ExternRef];

    /// Maps a reference type; `Err` names the unsupported feature.
    pub fn from_ref(r: walrus::RefType) -> Result<Ty, &'static str> {
        if r == walrus::RefType::FUNCREF {
            Ok(Ty::FuncRef)
        } else if r == walrus::RefType::EXTERNREF {
            Ok(Ty::ExternRef)
        } else {
            Err("typed function references / GC reference types")
        }
    }

    /// Maps a walrus type; `Err` names the unsupported feature.
    pub fn from_walrus(t: walrus::ValType) -> Result<Ty, &'static str> {
        match t {
            walrus::ValType::I32 => Ok(Ty::I32),
            walrus::ValType::I64 => Ok(Ty::I64),
            walrus::ValType::F32 => Ok(Ty::F32),
            walrus::ValType::F64 => Ok(Ty::F64),
            walrus::ValType::V128 => Err("SIMD (v128 values)"),
            walrus::ValType::Ref(r) => Ty::from_ref(r),
        }
    }

    pub fn walrus(self) -> walrus::ValType {
        match self {
            Ty::I32 => walrus::ValType::I32,
            Ty::I64 => walrus::ValType::I64,
            Ty::F32 => walrus::ValType::F32,
            Ty::F64 => walrus::ValType::F64,
            Ty::FuncRef => walrus::ValType::Ref(walrus::RefType::FUNCREF),
            Ty::ExternRef => walrus::ValType::Ref(walrus::RefType::EXTERNREF),
        }
    }

    pub fn bundle(self) -> ValType {
        match self {
            Ty::I32 => ValType::I32,
            Ty::I64 => ValType::I64,
            Ty::F32 => ValType::F32,
            Ty::F64 => ValType::F64,
            Ty::FuncRef => ValType::FuncRef,
            Ty::ExternRef => ValType::ExternRef,
        }
    }

    pub fn c_type(self) -> &'static str {
        match self {
            Ty::I32 => "uint",
            Ty::I64 => "ulong",
            Ty::F32 => "float",
            Ty::F64 => "double",
            Ty::FuncRef | Ty::ExternRef => "uint",
        }
    }

    /// Prefix of operand-stack variables of this type (`i32_3` is the i32 at depth 3).
    pub fn prefix(self) -> &'static str {
        match self {
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::FuncRef => "fr",
            Ty::ExternRef => "xr",
        }
    }

    /// The zero of this type.
    pub fn zero(self) -> &'static str {
        match self {
            Ty::I32 => "0u",
            Ty::I64 => "0ul",
            Ty::F32 => "0.0f",
            Ty::F64 => "0.0",
            Ty::FuncRef | Ty::ExternRef => "VV_REF_NULL",
        }
    }

    /// Converts a value of this type to the raw bits stored in a 64-bit slot.
    pub fn to_slot(self, v: &str) -> String {
        match self {
            Ty::I32 | Ty::FuncRef | Ty::ExternRef => format!("(ulong){v}"),
            Ty::I64 => v.to_string(),
            Ty::F32 => format!("(ulong)as_uint({v})"),
            Ty::F64 => format!("as_ulong({v})"),
        }
    }

    /// Reads a value of this type back from a 64-bit slot expression.
    pub fn read_slot(self, s: &str) -> String {
        match self {
            Ty::I32 | Ty::FuncRef | Ty::ExternRef => format!("(uint){s}"),
            Ty::I64 => s.to_string(),
            Ty::F32 => format!("as_float((uint){s})"),
            Ty::F64 => format!("as_double({s})"),
        }
    }
}

/// A constant as an exact OpenCL C literal.
pub fn literal(v: walrus::ir::Value) -> Result<(Ty, String), &'static str> {
    use walrus::ir::Value;
    Ok(match v {
        Value::I32(x) => (Ty::I32, format!("{}u", x as u32)),
        Value::I64(x) => (Ty::I64, format!("{}ul", x as u64)),
        Value::F32(x) => (Ty::F32, f32_literal(x)),
        Value::F64(x) => (Ty::F64, f64_literal(x)),
        Value::V128(_) => return Err("SIMD (v128 constants)"),
    })
}

/// A value of type `ty` given as slot bits, as an exact OpenCL C literal.
pub fn literal_bits(ty: Ty, bits: u64) -> String {
    match ty {
        Ty::I32 | Ty::FuncRef | Ty::ExternRef => format!("{}u", bits as u32),
        Ty::I64 => format!("{bits}ul"),
        Ty::F32 => f32_literal(f32::from_bits(bits as u32)),
        Ty::F64 => f64_literal(f64::from_bits(bits)),
    }
}

fn f32_literal(x: f32) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 16_777_216.0 && !(x == 0.0 && x.is_sign_negative()) {
        format!("{x:.1}f")
    } else {
        format!("as_float(0x{:08x}u)", x.to_bits())
    }
}

fn f64_literal(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 9_007_199_254_740_992.0 && !(x == 0.0 && x.is_sign_negative()) {
        format!("{x:.1}")
    } else {
        format!("as_double(0x{:016x}ul)", x.to_bits())
    }
}

/// Raw 64-bit slot bits of a constant (how globals and invoke arguments are stored).
pub fn bits(v: walrus::ir::Value) -> Option<u64> {
    use walrus::ir::Value;
    Some(match v {
        Value::I32(x) => x as u32 as u64,
        Value::I64(x) => x as u64,
        Value::F32(x) => x.to_bits() as u64,
        Value::F64(x) => x.to_bits(),
        Value::V128(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::ir::Value;

    #[test]
    fn literals_are_exact() {
        assert_eq!(literal(Value::F32(2.0)).unwrap().1, "2.0f");
        assert_eq!(literal(Value::F32(0.1)).unwrap().1, "as_float(0x3dcccccdu)");
        assert_eq!(literal(Value::F32(-0.0)).unwrap().1, "as_float(0x80000000u)");
        assert_eq!(literal(Value::F64(f64::NAN)).unwrap().1, format!("as_double(0x{:016x}ul)", f64::NAN.to_bits()));
        assert_eq!(literal(Value::I32(-1)).unwrap().1, "4294967295u");
    }
}
