//! Reads the input program: `.wat` text or a Wasm binary, parsed and validated by walrus.
//! Every failure is an error naming the file; nothing here panics on bad input.

use crate::error::CompileError;

/// Converts text to binary where needed; returns the Wasm binary.
pub fn wasm_bytes(path: &str, input: &[u8]) -> Result<Vec<u8>, CompileError> {
    if input.starts_with(b"\0asm") {
        return Ok(input.to_vec());
    }
    let text = std::str::from_utf8(input).map_err(|_| CompileError::Malformed {
        path: path.into(),
        message: "neither a Wasm binary (no \\0asm magic) nor UTF-8 WebAssembly text".into(),
    })?;
    wat::parse_str(text).map_err(|e| CompileError::MalformedText { path: path.into(), message: e.to_string() })
}

/// The WebAssembly this translator accepts: the 2.0 specification (MVP, mutable globals, bulk
/// memory, reference types, sign extension, saturating conversions, multi-value, SIMD). Later
/// proposals (multiple memories, tail calls, threads, ...) are rejected as invalid, as a 2.0
/// engine must; SIMD is accepted here and reported as unsupported where it is used.
const FEATURES: wasmparser::WasmFeatures = wasmparser::WasmFeatures::WASM2;

/// Parses and validates a Wasm binary.
pub fn parse(path: &str, wasm: &[u8]) -> Result<walrus::Module, CompileError> {
    wasmparser::Validator::new_with_features(FEATURES).validate_all(wasm).map_err(|e| CompileError::Malformed {
        path: path.into(),
        message: format!("{e} (vv accepts WebAssembly 2.0)"),
    })?;
    let mut config = walrus::ModuleConfig::new();
    config.generate_producers_section(false);
    config
        .parse(wasm)
        .map_err(|e| CompileError::Malformed { path: path.into(), message: format!("{e:#}") })
}
