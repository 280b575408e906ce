//! Names from a profile made safe to print.
//!
//! A profile is data from whoever made it: a function named
//! `"\x1b]0;pwned\x07"` would set the terminal's title, `"\x1b[2J"` clear
//! the screen, a newline forge a table row, a right-to-left override
//! reorder what is read. Text, Markdown and SVG output therefore show such
//! characters as escapes (`\x1b`, `\n`, `\u{202e}`), as git and ripgrep do;
//! JSON keeps every name exact (its own escaping makes it safe).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character (C0, DEL, C1) and every bidi
/// control shown as an escape; borrowed when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] into an owned string.
pub fn escaped(text: impl Into<String>) -> String {
    let text = text.into();
    match escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        // Bidi embeddings, overrides and isolates (LRE … RLO, LRI … PDI).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert!(matches!(
            escape("botocore/session.py:create_client"),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(escape("row\nforged | 1"), "row\\nforged | 1");
        assert_eq!(escape("cr\rtab\tdel\x7f"), "cr\\rtab\\tdel\\x7f");
        assert_eq!(escape("c1\u{9b}2J"), "c1\\u{9b}2J");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        // Ordinary non-ASCII names stay as they are.
        assert_eq!(escape("naïve_λ"), "naïve_λ");
    }
}
