//! Errors the library reports. Every message names the input and, for parse
//! errors, the byte offset or line at fault, so the binary can print it as is.

use std::fmt;
use std::io;

/// Where in an input a parse error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Where in the input.
    pub position: Position,
    /// What is wrong, for a person.
    pub message: String,
}

impl ParseError {
    /// An error at a byte offset.
    pub fn at_byte(offset: u64, message: impl Into<String>) -> Self {
        ParseError {
            position: Position::Byte(offset),
            message: message.into(),
        }
    }

    /// An error at a 1-based line.
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
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file, as the user named it.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// An input is not a valid profile of the format it was read as.
    #[error("{path}: not a valid {format} profile: {error}")]
    Parse {
        /// The input, as the user named it.
        path: String,
        /// The format it was read as.
        format: &'static str,
        /// Where and what.
        error: ParseError,
    },
    /// An input cannot be used: a directory, too large, of no known
    /// format, …
    #[error("{path}: {message}")]
    Input {
        /// The input, as the user named it.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A filter pattern (which rows to keep or drop) is not a valid
    /// regular expression.
    #[error("invalid {role} pattern {pattern:?}: {message}")]
    Pattern {
        /// `include` or `exclude`.
        role: &'static str,
        /// The pattern as given.
        pattern: String,
        /// What the regex parser said.
        message: String,
    },
    /// What was asked cannot be done as asked: profiles that cannot be
    /// compared, an option that does not apply, …
    #[error("{0}")]
    Usage(String),
    /// An error with a known way out, which the program showing it can put
    /// in its own words ([`Remedy`]; a command line names its flag).
    #[error("{error}; {}", remedy.describe())]
    Remedy {
        /// What went wrong.
        error: Box<Error>,
        /// What would fix it.
        remedy: Remedy,
    },
}

/// A way out of an error, named apart from its wording so a program can
/// say it in its own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Remedy {
    /// Read the input as a given format instead of detecting it
    /// (`LoadOptions::format`).
    ForceFormat,
    /// Give a sampled profile its sampling rate, so its samples read as
    /// seconds (`LoadOptions::sample_rate`).
    SampleRate,
}

impl Remedy {
    /// The remedy in the library's words.
    pub fn describe(self) -> &'static str {
        match self {
            Remedy::ForceFormat => "force a format (LoadOptions::format) to read it anyway",
            Remedy::SampleRate => {
                "give its sampling rate (LoadOptions::sample_rate) to read samples as seconds"
            }
        }
    }
}

impl Error {
    /// This error with a way out attached.
    pub fn with_remedy(self, remedy: Remedy) -> Error {
        Error::Remedy {
            error: Box::new(self),
            remedy,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
