//! Tallies checks per file and suite, reads the expected-failures list, and writes the tables,
//! failure lists and closing totals. Formatting only; it runs nothing.

use super::{Check, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}:{line}: expected `suite/file.wast  reason`, got {text:?}")]
    Syntax { path: String, line: usize, text: String },
}

/// Files allowed to fail, each with the reason: `suite/file.wast  reason text` per line, `#`
/// starts a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    pub files: BTreeMap<String, String>,
}

impl Expectations {
    pub fn parse(path: &str, text: &str) -> Result<Expectations, ExpectationsError> {
        let mut files = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (file, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            if !file.ends_with(".wast") || !file.contains('/') {
                return Err(ExpectationsError::Syntax { path: path.into(), line: i + 1, text: raw.into() });
            }
            files.insert(file.to_string(), reason.trim().to_string());
        }
        Ok(Expectations { files })
    }

    /// Reads the file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Expectations, ExpectationsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Expectations::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Expectations::default()),
            Err(source) => Err(ExpectationsError::Read { path: path.display().to_string(), source }),
        }
    }
}

/// Pass/fail/skip counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }
}

/// Every check of one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// `wasm-v2/table.wast`.
    pub path: String,
    pub checks: Vec<Check>,
    pub elapsed: Duration,
}

impl FileResult {
    pub fn suite(&self) -> &str {
        self.path.split('/').next().unwrap_or("")
    }

    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for c in &self.checks {
            match c.outcome {
                Outcome::Pass => t.passed += 1,
                Outcome::Fail { .. } => t.failed += 1,
                Outcome::Skip(_) => t.skipped += 1,
            }
        }
        t
    }

    /// Skip reasons with their counts, most frequent first.
    pub fn skip_reasons(&self) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &self.checks {
            if let Outcome::Skip(reason) = &c.outcome {
                *counts.entry(reason).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = counts.into_iter().map(|(r, n)| (r.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The progress line printed when the file is done.
    pub fn progress_line(&self) -> String {
        format!("{}: {} ({:.1} s)", self.path, self.tally(), self.elapsed.as_secs_f64())
    }
}

/// What the whole run means for the exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Files with failures that the expectations do not tolerate.
    pub unexpected: Vec<String>,
    /// Files listed as expected to fail that failed (tolerated).
    pub tolerated: Vec<String>,
    /// Listed files that now pass fully: the list can shrink.
    pub now_passing: Vec<String>,
    /// Listed files that no suite has (misspelt, or gone from the suite).
    pub unknown: Vec<String>,
}

impl Verdict {
    /// `known`: every file path of the suites, run or not.
    pub fn of(results: &[FileResult], expectations: &Expectations, known: &[String]) -> Verdict {
        let mut v = Verdict::default();
        for r in results {
            let failed = r.tally().failed > 0;
            match (failed, expectations.files.contains_key(&r.path)) {
                (true, true) => v.tolerated.push(r.path.clone()),
                (true, false) => v.unexpected.push(r.path.clone()),
                (false, true) => v.now_passing.push(r.path.clone()),
                (false, false) => {}
            }
        }
        v.unknown = expectations.files.keys().filter(|f| !known.contains(f)).cloned().collect();
        v
    }

    pub fn success(&self) -> bool {
        self.unexpected.is_empty()
    }
}

/// The per-file table.
pub fn table(results: &[FileResult], expectations: &Expectations) -> String {
    let width = results.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let mut s = String::new();
    let _ = writeln!(s, "{:<width$}  {:>6}  {:>6}  {:>6}  notes", "file", "passed", "failed", "skipped");
    for r in results {
        let t = r.tally();
        let mut notes: Vec<String> = r.skip_reasons().into_iter().map(|(reason, n)| format!("skip {n}: {reason}")).collect();
        if let Some(reason) = expectations.files.get(&r.path) {
            notes.insert(0, if t.failed > 0 { format!("expected to fail: {reason}") } else { "listed as expected to fail, but passes".into() });
        }
        let _ = writeln!(s, "{:<width$}  {:>6}  {:>6}  {:>7}  {}", r.path, t.passed, t.failed, t.skipped, notes.join("; "));
    }
    s
}

/// Totals per suite, then the closing line.
pub fn totals(results: &[FileResult], elapsed: Duration) -> String {
    let mut suites: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for r in results {
        suites.entry(r.suite()).or_default().add(r.tally());
        all.add(r.tally());
    }
    let mut s = String::new();
    for (suite, t) in suites {
        let _ = writeln!(s, "{suite}: {t}");
    }
    let _ = writeln!(s, "time: {:.1} s", elapsed.as_secs_f64());
    let _ = writeln!(s, "spec: {all}");
    s
}

/// Failure categories over all files with their counts, most frequent first.
pub fn failure_categories(results: &[FileResult]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in results.iter().flat_map(|r| &r.checks) {
        if let Outcome::Fail { category, .. } = &c.outcome {
            *counts.entry(category).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().map(|(c, n)| (c.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// How module-level assertions were decided (`assert_invalid: rejected: malformed or invalid`),
/// with counts over all files, passed and failed apart.
pub fn notes(results: &[FileResult]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in results.iter().flat_map(|r| &r.checks) {
        if let Some(note) = &c.note {
            let verdict = if c.outcome == Outcome::Pass { "pass" } else { "fail" };
            *counts.entry(format!("{note} ({verdict})")).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// Every failure: `file:line: directive`, then what was expected and what came.
pub fn failures(results: &[FileResult]) -> String {
    let mut s = String::new();
    for r in results {
        for c in &r.checks {
            if let Outcome::Fail { category, detail } = &c.outcome {
                let _ = writeln!(s, "{}:{}: {}\n    {category}: {detail}", r.path, c.line, c.directive);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(path: &str, outcomes: &[Outcome]) -> FileResult {
        FileResult {
            path: path.into(),
            checks: outcomes.iter().map(|o| Check { line: 1, directive: String::new(), outcome: o.clone(), note: None }).collect(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn expectations_parse_with_comments() {
        let e = Expectations::parse("x", "# header\nwasm-v2/table.wast  multiple tables # soon\n\nwasm-v1/f32.wast\n").unwrap();
        assert_eq!(e.files.get("wasm-v2/table.wast").map(String::as_str), Some("multiple tables"));
        assert_eq!(e.files.get("wasm-v1/f32.wast").map(String::as_str), Some(""));
        assert!(Expectations::parse("x", "table.wast reason").is_err());
    }

    #[test]
    fn verdict_tolerates_listed_files_and_notices_fixed_ones() {
        let fail = Outcome::fail("c", "d");
        let results = [
            result("wasm-v1/a.wast", &[Outcome::Pass, fail.clone()]),
            result("wasm-v1/b.wast", &[fail]),
            result("wasm-v1/c.wast", &[Outcome::Pass, Outcome::Skip("x".into())]),
        ];
        let e = Expectations::parse("x", "wasm-v1/b.wast r\nwasm-v1/c.wast r\nwasm-v9/z.wast r").unwrap();
        let known: Vec<String> = results.iter().map(|r| r.path.clone()).collect();
        let v = Verdict::of(&results, &e, &known);
        assert_eq!(v.unexpected, vec!["wasm-v1/a.wast"]);
        assert_eq!(v.tolerated, vec!["wasm-v1/b.wast"]);
        assert_eq!(v.now_passing, vec!["wasm-v1/c.wast"]);
        assert_eq!(v.unknown, vec!["wasm-v9/z.wast"]);
        assert!(!v.success());
        assert_eq!(results[2].tally(), Tally { passed: 1, failed: 0, skipped: 1 });
    }
}
