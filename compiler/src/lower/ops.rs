//! Wasm numeric operators as OpenCL C expressions over operand variables, with the trap check an
//! operator needs. Subtle semantics are helpers in `templates/prelude.cl`; this table only names them.

use super::types::Ty;
use walrus::ir::{BinaryOp, UnaryOp};

/// One operator, lowered: an optional trap check (an expression giving a trap code or 0) and the
/// value expression.
pub struct Op {
    pub result: Ty,
    pub trap_check: Option<String>,
    pub expr: String,
}

/// Operand types, as documentation of each row (the module is validated before lowering).
type Operands = &'static [Ty];

fn op(_: Operands, result: Ty, expr: String) -> Op {
    Op { result, trap_check: None, expr }
}

fn checked(_: Operands, result: Ty, check: String, expr: String) -> Op {
    Op { result, trap_check: Some(check), expr }
}

use Ty::*;
const II: &[Ty] = &[I32, I32];
const LL: &[Ty] = &[I64, I64];
const FF: &[Ty] = &[F32, F32];
const DD: &[Ty] = &[F64, F64];

/// Whether an operand is the literal 0, -0, 1 or -1 (as `types::literal` and the function
/// writer spell them).
fn is_identity_literal(x: &str) -> bool {
    matches!(
        x,
        "0.0f" | "1.0f" | "(-1.0f)" | "as_float(0x80000000u)" | "0.0" | "1.0" | "(-1.0)" | "as_double(0x8000000000000000ul)"
    )
}

/// An f64 operation with such a literal operand (f32 results are all canonicalized, see
/// `vv_nan_f32`): C compilers fold `x - 0`, `x + -0`, `x * 1`,
/// `x / 1`, `x * -1` and `-0 - x` to `x` or `-x`, which passes a signalling NaN through where
/// Wasm requires a quiet one, so such results are quieted explicitly.
fn quiet_folded_f64(expr: String, a: &str, b: &str) -> String {
    if is_identity_literal(a) || is_identity_literal(b) {
        format!("vv_quiet_f64({expr})")
    } else {
        expr
    }
}

/// Lowers a binary operator over operands `a` and `b`; `None` for operators the translator does
/// not handle (SIMD, ...).
pub fn binop(o: BinaryOp, a: &str, b: &str) -> Option<Op> {
    use BinaryOp::*;
    let cmp = |ops, c: &str| op(ops, I32, format!("({a} {c} {b}) ? 1u : 0u"));
    let scmp32 = |c: &str| op(II, I32, format!("((int){a} {c} (int){b}) ? 1u : 0u"));
    let scmp64 = |c: &str| op(LL, I32, format!("((long){a} {c} (long){b}) ? 1u : 0u"));
    Some(match o {
        I32Eq => cmp(II, "=="),
        I32Ne => cmp(II, "!="),
        I32LtS => scmp32("<"),
        I32LtU => cmp(II, "<"),
        I32GtS => scmp32(">"),
        I32GtU => cmp(II, ">"),
        I32LeS => scmp32("<="),
        I32LeU => cmp(II, "<="),
        I32GeS => scmp32(">="),
        I32GeU => cmp(II, ">="),
        I64Eq => cmp(LL, "=="),
        I64Ne => cmp(LL, "!="),
        I64LtS => scmp64("<"),
        I64LtU => cmp(LL, "<"),
        I64GtS => scmp64(">"),
        I64GtU => cmp(LL, ">"),
        I64LeS => scmp64("<="),
        I64LeU => cmp(LL, "<="),
        I64GeS => scmp64(">="),
        I64GeU => cmp(LL, ">="),
        F32Eq => cmp(FF, "=="),
        F32Ne => cmp(FF, "!="),
        F32Lt => cmp(FF, "<"),
        F32Gt => cmp(FF, ">"),
        F32Le => cmp(FF, "<="),
        F32Ge => cmp(FF, ">="),
        F64Eq => cmp(DD, "=="),
        F64Ne => cmp(DD, "!="),
        F64Lt => cmp(DD, "<"),
        F64Gt => cmp(DD, ">"),
        F64Le => cmp(DD, "<="),
        F64Ge => cmp(DD, ">="),

        I32Add => op(II, I32, format!("{a} + {b}")),
        I32Sub => op(II, I32, format!("{a} - {b}")),
        I32Mul => op(II, I32, format!("{a} * {b}")),
        I32DivS => checked(II, I32, format!("vv_div_s32_trap({a}, {b})"), format!("(uint)((int){a} / (int){b})")),
        I32DivU => checked(II, I32, format!("vv_div_zero_trap({b})"), format!("{a} / {b}")),
        I32RemS => checked(II, I32, format!("vv_div_zero_trap({b})"), format!("vv_rem_s32({a}, {b})")),
        I32RemU => checked(II, I32, format!("vv_div_zero_trap({b})"), format!("{a} % {b}")),
        I32And => op(II, I32, format!("{a} & {b}")),
        I32Or => op(II, I32, format!("{a} | {b}")),
        I32Xor => op(II, I32, format!("{a} ^ {b}")),
        I32Shl => op(II, I32, format!("{a} << ({b} & 31u)")),
        I32ShrS => op(II, I32, format!("(uint)((int){a} >> ({b} & 31u))")),
        I32ShrU => op(II, I32, format!("{a} >> ({b} & 31u)")),
        I32Rotl => op(II, I32, format!("rotate({a}, {b} & 31u)")),
        I32Rotr => op(II, I32, format!("vv_rotr32({a}, {b})")),

        I64Add => op(LL, I64, format!("{a} + {b}")),
        I64Sub => op(LL, I64, format!("{a} - {b}")),
        I64Mul => op(LL, I64, format!("{a} * {b}")),
        I64DivS => checked(LL, I64, format!("vv_div_s64_trap({a}, {b})"), format!("(ulong)((long){a} / (long){b})")),
        I64DivU => checked(LL, I64, format!("vv_div_zero_trap({b})"), format!("{a} / {b}")),
        I64RemS => checked(LL, I64, format!("vv_div_zero_trap({b})"), format!("vv_rem_s64({a}, {b})")),
        I64RemU => checked(LL, I64, format!("vv_div_zero_trap({b})"), format!("{a} % {b}")),
        I64And => op(LL, I64, format!("{a} & {b}")),
        I64Or => op(LL, I64, format!("{a} | {b}")),
        I64Xor => op(LL, I64, format!("{a} ^ {b}")),
        I64Shl => op(LL, I64, format!("{a} << ({b} & 63ul)")),
        I64ShrS => op(LL, I64, format!("(ulong)((long){a} >> ({b} & 63ul))")),
        I64ShrU => op(LL, I64, format!("{a} >> ({b} & 63ul)")),
        I64Rotl => op(LL, I64, format!("rotate({a}, {b} & 63ul)")),
        I64Rotr => op(LL, I64, format!("vv_rotr64({a}, {b})")),

        F32Add => op(FF, F32, format!("vv_nan_f32({a} + {b})")),
        F32Sub => op(FF, F32, format!("vv_nan_f32({a} - {b})")),
        F32Mul => op(FF, F32, format!("vv_nan_f32({a} * {b})")),
        F32Div => op(FF, F32, format!("vv_nan_f32({a} / {b})")),
        F32Min => op(FF, F32, format!("vv_nan_f32(vv_f32_min({a}, {b}))")),
        F32Max => op(FF, F32, format!("vv_nan_f32(vv_f32_max({a}, {b}))")),
        F32Copysign => op(FF, F32, format!("vv_f32_copysign({a}, {b})")),
        F64Add => op(DD, F64, quiet_folded_f64(format!("{a} + {b}"), a, b)),
        F64Sub => op(DD, F64, quiet_folded_f64(format!("{a} - {b}"), a, b)),
        F64Mul => op(DD, F64, quiet_folded_f64(format!("{a} * {b}"), a, b)),
        F64Div => op(DD, F64, quiet_folded_f64(format!("{a} / {b}"), a, b)),
        F64Min => op(DD, F64, format!("vv_f64_min({a}, {b})")),
        F64Max => op(DD, F64, format!("vv_f64_max({a}, {b})")),
        F64Copysign => op(DD, F64, format!("vv_f64_copysign({a}, {b})")),
        _ => return None,
    })
}

/// Lowers a unary operator over operand `a`; `None` for operators the translator does not handle.
pub fn unop(o: UnaryOp, a: &str) -> Option<Op> {
    use UnaryOp::*;
    let trunc = |from: &'static [Ty], to: Ty, helper: &str, cast: &str| {
        checked(from, to, format!("vv_trunc_trap_{helper}({a})"), format!("{cast}{a}"))
    };
    Some(match o {
        I32Eqz => op(&[I32], I32, format!("({a} == 0u) ? 1u : 0u")),
        I32Clz => op(&[I32], I32, format!("clz({a})")),
        I32Ctz => op(&[I32], I32, format!("vv_ctz32({a})")),
        I32Popcnt => op(&[I32], I32, format!("popcount({a})")),
        I64Eqz => op(&[I64], I32, format!("({a} == 0ul) ? 1u : 0u")),
        I64Clz => op(&[I64], I64, format!("clz({a})")),
        I64Ctz => op(&[I64], I64, format!("vv_ctz64({a})")),
        I64Popcnt => op(&[I64], I64, format!("popcount({a})")),

        F32Abs => op(&[F32], F32, format!("vv_f32_abs({a})")),
        F32Neg => op(&[F32], F32, format!("vv_f32_neg({a})")),
        F32Ceil => op(&[F32], F32, format!("vv_nan_f32(ceil({a}))")),
        F32Floor => op(&[F32], F32, format!("vv_nan_f32(floor({a}))")),
        F32Trunc => op(&[F32], F32, format!("vv_nan_f32(trunc({a}))")),
        F32Nearest => op(&[F32], F32, format!("vv_nan_f32(rint({a}))")),
        F32Sqrt => op(&[F32], F32, format!("vv_nan_f32(sqrt({a}))")),
        F64Abs => op(&[F64], F64, format!("vv_f64_abs({a})")),
        F64Neg => op(&[F64], F64, format!("vv_f64_neg({a})")),
        F64Ceil => op(&[F64], F64, format!("ceil({a})")),
        F64Floor => op(&[F64], F64, format!("floor({a})")),
        F64Trunc => op(&[F64], F64, format!("trunc({a})")),
        F64Nearest => op(&[F64], F64, format!("rint({a})")),
        F64Sqrt => op(&[F64], F64, format!("sqrt({a})")),

        I32WrapI64 => op(&[I64], I32, format!("(uint){a}")),
        I32TruncSF32 => trunc(&[F32], I32, "f32_s32", "(uint)(int)"),
        I32TruncUF32 => trunc(&[F32], I32, "f32_u32", "(uint)"),
        I32TruncSF64 => trunc(&[F64], I32, "f64_s32", "(uint)(int)"),
        I32TruncUF64 => trunc(&[F64], I32, "f64_u32", "(uint)"),
        I64ExtendSI32 => op(&[I32], I64, format!("(ulong)(long)(int){a}")),
        I64ExtendUI32 => op(&[I32], I64, format!("(ulong){a}")),
        I64TruncSF32 => trunc(&[F32], I64, "f32_s64", "(ulong)(long)"),
        I64TruncUF32 => trunc(&[F32], I64, "f32_u64", "(ulong)"),
        I64TruncSF64 => trunc(&[F64], I64, "f64_s64", "(ulong)(long)"),
        I64TruncUF64 => trunc(&[F64], I64, "f64_u64", "(ulong)"),

        F32ConvertSI32 => op(&[I32], F32, format!("(float)(int){a}")),
        F32ConvertUI32 => op(&[I32], F32, format!("(float){a}")),
        F32ConvertSI64 => op(&[I64], F32, format!("(float)(long){a}")),
        F32ConvertUI64 => op(&[I64], F32, format!("(float){a}")),
        F32DemoteF64 => op(&[F64], F32, format!("vv_nan_f32((float){a})")),
        F64ConvertSI32 => op(&[I32], F64, format!("(double)(int){a}")),
        F64ConvertUI32 => op(&[I32], F64, format!("(double){a}")),
        F64ConvertSI64 => op(&[I64], F64, format!("(double)(long){a}")),
        F64ConvertUI64 => op(&[I64], F64, format!("(double){a}")),
        F64PromoteF32 => op(&[F32], F64, format!("vv_quiet_f64((double){a})")),

        I32ReinterpretF32 => op(&[F32], I32, format!("as_uint({a})")),
        I64ReinterpretF64 => op(&[F64], I64, format!("as_ulong({a})")),
        F32ReinterpretI32 => op(&[I32], F32, format!("as_float({a})")),
        F64ReinterpretI64 => op(&[I64], F64, format!("as_double({a})")),

        I32Extend8S => op(&[I32], I32, format!("(uint)(int)(char){a}")),
        I32Extend16S => op(&[I32], I32, format!("(uint)(int)(short){a}")),
        I64Extend8S => op(&[I64], I64, format!("(ulong)(long)(char){a}")),
        I64Extend16S => op(&[I64], I64, format!("(ulong)(long)(short){a}")),
        I64Extend32S => op(&[I64], I64, format!("(ulong)(long)(int){a}")),

        I32TruncSSatF32 => op(&[F32], I32, format!("(uint)vv_sat_f32_s32({a})")),
        I32TruncUSatF32 => op(&[F32], I32, format!("vv_sat_f32_u32({a})")),
        I32TruncSSatF64 => op(&[F64], I32, format!("(uint)vv_sat_f64_s32({a})")),
        I32TruncUSatF64 => op(&[F64], I32, format!("vv_sat_f64_u32({a})")),
        I64TruncSSatF32 => op(&[F32], I64, format!("(ulong)vv_sat_f32_s64({a})")),
        I64TruncUSatF32 => op(&[F32], I64, format!("vv_sat_f32_u64({a})")),
        I64TruncSSatF64 => op(&[F64], I64, format!("(ulong)vv_sat_f64_s64({a})")),
        I64TruncUSatF64 => op(&[F64], I64, format!("vv_sat_f64_u64({a})")),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::types::literal;
    use walrus::ir::Value;

    #[test]
    fn identity_literals_are_the_writers_spelling() {
        for v in [-0.0f32, 0.0, 1.0, -1.0].map(Value::F32).into_iter().chain([-0.0f64, 0.0, 1.0, -1.0].map(Value::F64)) {
            let lit = literal(v).unwrap().1;
            // The function writer puts negative literals in parentheses.
            let operand = if lit.starts_with('-') { format!("({lit})") } else { lit };
            assert!(super::is_identity_literal(&operand), "{operand}");
        }
        assert!(!super::is_identity_literal("2.0f"));
        assert!(!super::is_identity_literal("f32_0"));
    }
}
