//! The WebAssembly spec-test runner behind `vv-spec`: plans each `.wast` file, runs every module
//! once on the device with one VM per assertion, and reports pass/fail/skip per file.

pub mod exec;
pub mod plan;
pub mod pool;
pub mod report;
pub mod scan;
pub mod traps;
pub mod values;

/// How one check (a module, or an assertion) came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// `category` groups failures in the summary; `detail` says what was expected and what came.
    Fail { category: String, detail: String },
    /// Not run; the reason is counted per file.
    Skip(String),
}

impl Outcome {
    pub fn fail(category: impl Into<String>, detail: impl Into<String>) -> Outcome {
        Outcome::Fail { category: category.into(), detail: detail.into() }
    }
}

/// One counted check of a `.wast` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// 1-based line of the directive.
    pub line: usize,
    /// The directive's first line of text.
    pub directive: String,
    pub outcome: Outcome,
    /// How a module-level assertion was decided (which error rejected the module), for `-v`.
    pub note: Option<String>,
}
