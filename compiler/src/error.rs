//! Compile errors: user-facing problems with the input (malformed, unsupported, too large) kept
//! apart from internal compiler bugs; every variant names where the problem is.

use std::fmt;

/// Where in the input a problem is: function name and byte offset in the Wasm binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub function: String,
    pub offset: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in function `{}`", self.function)?;
        if let Some(off) = self.offset {
            write!(f, " at offset 0x{off:x}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{path}: malformed WebAssembly text: {message}")]
    MalformedText { path: String, message: String },
    #[error("{path}: malformed or invalid WebAssembly: {message}")]
    Malformed { path: String, message: String },
    #[error("{path}: unsupported feature: {feature} {location}")]
    Unsupported { path: String, feature: String, location: Location },
    #[error("{path}: unsupported module feature: {feature}")]
    UnsupportedModule { path: String, feature: String },
    #[error("{path}: unknown import `{module}.{name}`: vv provides the WASI preview1 calls listed in `vvc build --help`")]
    UnknownImport { path: String, module: String, name: String },
    #[error("{path}: import `{module}.{name}` has signature {found}, expected {expected}")]
    ImportSignature { path: String, module: String, name: String, found: String, expected: String },
    #[error("{path}: {message}")]
    Limits { path: String, message: String },
    #[error("{path}: internal compiler error: {message}")]
    Internal { path: String, message: String },
}
