//! Errors the library reports. Every message names the input and, for parse
//! errors, the byte offset or line at fault, so the binary can print it as is.

use std::fmt;
use std::io;

/// Where in an input a parse error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Byte offset from the start of the (decompressed) input.
    Byte(u64),
    /// 1-based line number.
    Line(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Byte(offset) => write!(f, "byte {offset}"),
            Position::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// A format reader's complaint about its input, without the file name (the
/// caller adds it, see [`Error::Parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: Position,
    pub message: String,
}

impl ParseError {
    pub fn at_byte(offset: u64, message: impl Into<String>) -> Self {
        ParseError {
            position: Position::Byte(offset),
            message: message.into(),
        }
    }

    pub fn at_line(line: u64, message: impl Into<String>) -> Self {
        ParseError {
            position: Position::Line(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Everything that can go wrong reading or processing a profile.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a valid {format} profile: {error}")]
    Parse {
        path: String,
        format: &'static str,
        error: ParseError,
    },
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{0}")]
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
