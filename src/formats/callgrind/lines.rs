//! Lexing callgrind lines on bytes: finding line ends, telling `key=` and
//! `key:` lines apart, splitting tokens, reading numbers and subpositions,
//! and the errors that name a line. This is the parser's innermost loop:
//! nothing here allocates except to build an error.

use super::MAX_LINE_BYTES;
use crate::error::ParseError;

pub(super) fn too_long(line_number: u64) -> ParseError {
    ParseError::at_line(
        line_number,
        format!("line is longer than {MAX_LINE_BYTES} bytes"),
    )
}

pub(super) fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// Index of the first `\n`, eight bytes at a time (the line loop is the
/// parser's hottest path).
pub(super) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
        // The lowest flagged byte is the first zero byte of x.
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(offset + (zero.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == b'\n').map(|i| offset + i)
}

/// `key=` / `key:` at the start of a line: the key and the separator.
pub(super) fn classify_key(line: &[u8]) -> Option<(&[u8], u8)> {
    if !line.first()?.is_ascii_lowercase() {
        return None;
    }
    let end = line
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))?;
    match line[end] {
        sep @ (b'=' | b':') => Some((&line[..end], sep)),
        _ => None,
    }
}

/// Whitespace-separated tokens of a line.
pub(super) struct Tokens<'a>(pub(super) &'a [u8]);

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let start = self.0.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = &self.0[start..];
        let end = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        self.0 = &rest[end..];
        Some(&rest[..end])
    }
}

/// One subposition: absolute decimal or `0x` hex, `+N`/`-N` relative to the
/// same subposition of the previous cost line, or `*` for the same value.
pub(super) fn subposition(token: &[u8], last: u64, number: u64) -> Result<u64, ParseError> {
    let value = match token.first() {
        Some(b'*') if token.len() == 1 => Some(last),
        Some(b'+') => parse_decimal(&token[1..]).and_then(|d| last.checked_add(d)),
        Some(b'-') => parse_decimal(&token[1..]).and_then(|d| last.checked_sub(d)),
        _ => match token
            .strip_prefix(b"0x")
            .or_else(|| token.strip_prefix(b"0X"))
        {
            Some(hex) => parse_hex(hex),
            None => parse_decimal(token),
        },
    };
    value.ok_or_else(|| bad_number(number, "position", token))
}

pub(super) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

pub(super) fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        value = (value << 4) | u64::from((b as char).to_digit(16)?);
    }
    Some(value)
}

pub(super) fn binary(number: u64) -> ParseError {
    ParseError::at_line(number, "NUL byte: binary data, not a callgrind text file")
}

pub(super) fn bad_number(number: u64, what: &str, token: &[u8]) -> ParseError {
    let message = if token.contains(&0) {
        format!("NUL byte where a {what} was expected: binary data?")
    } else {
        format!("bad {what} {:?}", preview(token))
    };
    ParseError::at_line(number, message)
}

/// The start of a line for an error message.
pub(super) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]);
    let mut text = text.into_owned();
    if bytes.len() > 60 {
        text.push('…');
    }
    text
}
