//! serde_json's errors in a speedscope reader's terms: the byte offset in
//! the whole input, the schema's words instead of Rust's, and quoted input
//! cut short.

use crate::error::ParseError;

/// Converts a serde_json error at (line, column) of `text` into a byte
/// offset in the whole input (`text` starts at `base`).
pub(super) fn json_error(text: &[u8], base: usize, error: &serde_json::Error) -> ParseError {
    let offset = base + line_column_offset(text, error.line(), error.column());
    let full = error.to_string();
    // serde_json appends " at line L column C"; the position is ours now.
    let message = match full.rfind(" at line ") {
        Some(at) if error.line() > 0 => &full[..at],
        _ => &full,
    };
    let message = readable(message);
    let message = if error.is_eof() {
        format!("{message} (the file is truncated)")
    } else {
        message
    };
    ParseError::at_byte(offset as u64, message)
}

/// serde's wording for a reader of speedscope files: its Rust type names
/// (`expected struct Event`) become the schema's (`expected a speedscope
/// Event object`), and a quoted piece of the input longer than
/// [`QUOTE_LIMIT`] characters is cut (one message quoted a 25 KB string).
fn readable(message: &str) -> String {
    let message = message
        .replace("expected struct ", "expected a speedscope object: ")
        .replace("expected enum ", "expected a speedscope value: ");
    let mut out = String::with_capacity(message.len().min(4 * QUOTE_LIMIT));
    let mut quoted = 0usize;
    let mut cut = false;
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(close) if c == close => {
                if cut {
                    out.push('…');
                }
                out.push(c);
                (open, quoted, cut) = (None, 0, false);
            }
            Some(_) => {
                quoted += 1;
                if quoted <= QUOTE_LIMIT {
                    out.push(c);
                } else {
                    cut = true;
                }
            }
            None => {
                if c == '"' || c == '`' {
                    open = Some(c);
                }
                out.push(c);
            }
        }
    }
    if cut {
        out.push('…');
    }
    out
}

/// Characters of a quoted piece of input kept in a message.
const QUOTE_LIMIT: usize = 60;

fn line_column_offset(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    if line > 1 {
        let mut current = 1;
        for (index, &byte) in text.iter().enumerate() {
            if byte == b'\n' {
                current += 1;
                if current == line {
                    start = index + 1;
                    break;
                }
            }
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}
