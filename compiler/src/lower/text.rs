//! Indented text for the writers: a line at a nesting level, nothing more.

use std::fmt;

/// Nesting depth of a line; displays as four spaces a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(pub usize);

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.0 {
            f.write_str("    ")?;
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct Text {
    s: String,
}

impl Text {
    pub fn line(&mut self, level: Level, s: impl AsRef<str>) {
        use fmt::Write;
        let _ = writeln!(self.s, "{level}{}", s.as_ref());
    }

    pub fn append(&mut self, other: &Text) {
        self.s.push_str(&other.s);
    }

    pub fn into_string(self) -> String {
        self.s
    }
}
