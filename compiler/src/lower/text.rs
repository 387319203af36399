//! Indented text for the writers: a line at a nesting level, and names made safe for comments.

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

/// A name from the module (any UTF-8, NUL included) as text that cannot end or break a C comment.
pub fn comment_safe(name: &str) -> String {
    name.escape_debug().to_string().replace("*/", "* /")
}

#[cfg(test)]
mod tests {
    use super::comment_safe;

    #[test]
    fn names_cannot_close_a_comment() {
        assert_eq!(comment_safe("a*/b"), "a* /b");
        assert_eq!(comment_safe("nul\0"), "nul\\0");
        assert_eq!(comment_safe("\0*/\n"), "\\0* /\\n");
        assert!(!comment_safe("x\u{0}y").contains('\0'));
    }
}
