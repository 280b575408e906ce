//! Error construction and the descriptions of type codes that messages use.

use crate::error::{ParseError, Position};

use super::{FLAG_REF, MAX_DEPTH};

/// Errors are boxed inside the reader: the hot path then moves a pointer-sized
/// error slot around instead of a 40-byte one.
pub(super) type Res<T> = Result<T, Box<ParseError>>;

pub(super) fn error_at(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError::at_byte(offset as u64, message)
}

#[cold]
#[inline(never)]
pub(super) fn fail(offset: usize, message: impl Into<String>) -> Box<ParseError> {
    Box::new(error_at(offset, message))
}

/// Kept out of line so that the many fixed-size reads stay small.
#[cold]
#[inline(never)]
pub(super) fn fail_short_field(at: usize, what: &str, need: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {what} needs {} but only {} left",
            n_bytes(need),
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
pub(super) fn fail_short_string(at: usize, what: &str, n: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {what} of {} claimed but only {} left",
            n_bytes(n),
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
pub(super) fn fail_short_items(at: usize, kind: &str, n: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {kind} of {n} items claimed but only {} left \
             (each item needs at least 1 byte)",
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
pub(super) fn fail_negative(at: usize, what: &str, n: i32) -> Box<ParseError> {
    fail(at, format!("negative {what} {n}"))
}

#[cold]
#[inline(never)]
pub(super) fn fail_depth(at: usize) -> Box<ParseError> {
    fail(at, format!("nesting deeper than {MAX_DEPTH} levels"))
}

#[cold]
#[inline(never)]
pub(super) fn fail_null(at: usize, inside: &str) -> Box<ParseError> {
    fail(
        at,
        format!("unexpected NULL object (type code '0') inside a {inside}"),
    )
}

#[cold]
#[inline(never)]
pub(super) fn fail_copy(at: usize) -> Box<ParseError> {
    fail(
        at,
        "too many references to non-UTF-8 strings: copying them would take more than \
         twice the input size",
    )
}

#[cold]
#[inline(never)]
pub(super) fn fail_tables(at: usize) -> Box<ParseError> {
    fail(at, "too many objects: the reader's tables are full")
}

#[cold]
#[inline(never)]
pub(super) fn fail_type_code(at: usize, code: u8) -> Box<ParseError> {
    if code & !FLAG_REF == b'?' {
        fail(
            at,
            "type code '?' (TYPE_UNKNOWN): the writer met an object it could not marshal",
        )
    } else {
        fail(at, format!("unknown type code {}", describe_code(code)))
    }
}

pub(super) fn offset_of(error: &ParseError) -> u64 {
    match error.position {
        Position::Byte(offset) | Position::Line(offset) => offset,
    }
}

pub(super) fn n_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// `0x51 ('Q')`, `0xa9 (')' with the ref flag)` or `0x05`.
pub(super) fn describe_code(code: u8) -> String {
    let ty = code & !FLAG_REF;
    let flagged = if code & FLAG_REF != 0 {
        " with the ref flag"
    } else {
        ""
    };
    if ty.is_ascii_graphic() {
        format!("{code:#04x} ('{}'{flagged})", char::from(ty))
    } else {
        format!("{code:#04x}")
    }
}

pub(super) fn kind_of(code: u8) -> Option<&'static str> {
    Some(match code & !FLAG_REF {
        b'0' => "a NULL object",
        b'N' | b'T' | b'F' | b'.' | b'S' => "a constant",
        b'i' | b'I' | b'l' => "an int",
        b'g' | b'f' => "a float",
        b'y' | b'x' => "a complex",
        b's' | b't' | b'u' | b'a' | b'A' | b'z' | b'Z' | b'R' => "a string",
        b'(' | b')' => "a tuple",
        b'[' => "a list",
        b'<' | b'>' => "a set",
        b'c' => "a code object",
        b':' => "a slice",
        b'r' => "a reference",
        _ => return None,
    })
}
