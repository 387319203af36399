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

/// Parses and validates a Wasm binary.
pub fn parse(path: &str, wasm: &[u8]) -> Result<walrus::Module, CompileError> {
    let mut config = walrus::ModuleConfig::new();
    config.generate_producers_section(false);
    config
        .parse(wasm)
        .map_err(|e| CompileError::Malformed { path: path.into(), message: format!("{e:#}") })
}
