//! Callgrind profiles: what `valgrind --tool=callgrind` writes, and what
//! pyprof2calltree, yappi (`save(type="callgrind")`) and profdiff's own
//! writer ([`write()`]) produce from Python profiles.
//! docs/formats.md §3 describes the format; this comment records the choices.
//!
//! **Streaming.** The input is read line by line straight from the byte
//! slice ([`parse`]) or from a reader in chunks ([`parse_reader`]); no line
//! list or copy of the file is made, and the parser keeps no reference into
//! the input, so its memory follows the number of distinct names, functions
//! and call edges, not the file size. Lines are bytes: numbers are parsed
//! from bytes, and only names are decoded (lossily, as producers write
//! whatever bytes the debug info holds) and copied, once per distinct name.
//! Per line, the work is a few table lookups without allocation: a cache in
//! front of the name index serves the full names uncompressed files repeat on
//! every call (`Names`), the function index holds what a call needs of its
//! callee (`Callee`), and repeated calls of one caller find their edge
//! without a (caller, callee) map.
//! Hostile input ends in a [`ParseError`] naming the line: lines over
//! [`MAX_LINE_BYTES`], NUL bytes, unknown `(id)`s, bad or overflowing
//! numbers, a `calls=` without its cost line; no count read from the file
//! sizes an allocation. Functions are listed in the order their blocks
//! appear, so a file written by profdiff reads back in the profile's order.
//!
//! **Costs.** One event is read: [`CallgrindOptions::metric`], or the first
//! one `events:` lists. A cost line is self cost of the current function,
//! except the line right after `calls=`, which is the inclusive cost of those
//! calls (the call edge). Parts (`--combine-dumps=yes`) are summed; their
//! name ids may be re-defined and simply overwrite the earlier definition.
//! Units: event names that are time units (`ns`, `us`, `ms`, `s`, `Nanoseconds`
//! …) become [`Unit::Seconds`]; yappi's `Ticks` are `int(seconds · 1e6)` of its
//! clock (yappi.py `_save_as_CALLGRIND`), so they are microseconds too;
//! `samples` (profdiff's writer, for sampled profiles) is [`Unit::Samples`];
//! any other event (valgrind's `Ir`, `Dr`, …) stays an [`Unit::Event`].
//!
//! **Identity.** A function is its object (`ob=`), file (`fl=`) and name, as
//! callgrind keys them; Python producers write no object. `???` (no debug
//! info) means no file or no object. Inlined code (`fi=`/`fe=`) stays part of
//! the function it was inlined into, as KCachegrind shows it:
//! callgrind_annotate instead lists those lines under `inlined-file:function`.
//! Context suffixes are kept: `fib'2` (callgrind's second recursion level)
//! stays a function of its own, as callgrind_annotate and KCachegrind list it;
//! merging it into `fib` would need a guess about which costs overlap.
//! Names that carry their line are split so Python keys line up with pstats:
//! pyprof2calltree (and profdiff's writer) write `name:LINE` when one file
//! has the name twice, yappi writes `name FILE:LINE`. A function's line is
//! the line of the first cost line of its own block (pyprof2calltree writes
//! the `def` line there), or else the call target line.
//!
//! **Calls and inclusive cost.** `calls` is the sum of `calls=` into the
//! function; a function nobody calls (valgrind's `(below main)`, a pstats
//! root converted by pyprof2calltree) gets `Some(0)`, as pstats does for a
//! function seen only as a caller. Inclusive cost is computed, not taken from
//! callgrind_annotate's rule (`Σ calls into f`), which counts a recursive
//! function once per nesting level. Per function f, with S the strongly
//! connected component of the call graph that holds f:
//! - `A(f)` = Σ inclusive cost of calls into f from *other* functions, or, when
//!   there are none, self(f) + Σ calls from f to other functions. Without
//!   recursion this is exactly callgrind_annotate's number; with direct
//!   recursion only (f→f) it drops the nested calls and is exact.
//! - For mutual recursion (|S| ≥ 2), the true figure is not recoverable from
//!   per-edge totals. Each member gets `min(A(f), cost of S)`, where the cost
//!   of S is Σ calls into S from outside it (or its self cost plus calls out
//!   of it when nothing outside calls it). That is exact for the function the
//!   cycle is entered through, and an upper bound for the others (too high by
//!   the outermost frames of the entry function); a note says so. Files
//!   converted from cProfile carry edge costs per outermost call, and the
//!   rule gives pstats' cumtime back for the recursion fixtures and for all
//!   but 21 of the ~600 functions in the seed profiles' import-machinery
//!   cycles (those come back higher).
//!
//! **profdiff's own files.** A call count needs a call edge in this format, so
//! the writer hangs pstats roots (called, but by no recorded caller) under a
//! synthetic `(root)` function. When the creator is profdiff, that function
//! is dropped again and its calls count as calls from outside the profile.
//!
//! [`Unit::Seconds`]: crate::model::Unit::Seconds
//! [`Unit::Samples`]: crate::model::Unit::Samples
//! [`Unit::Event`]: crate::model::Unit::Event

use std::io::{self, Read};

use crate::error::ParseError;
use crate::model::Profile;

mod exact;
mod inclusive;
mod lines;
mod names;
mod parser;
#[cfg(test)]
mod tests;
mod write;

use lines::{classify_key, find_newline, too_long, trim};
use parser::Parser;

pub use write::write;

/// Lines longer than this are refused: no producer writes them, and it
/// bounds the work one line can cause.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Name of the synthetic caller profdiff's writer adds for called roots.
const ROOT_NAME: &str = "(root)";

/// File (and object) name callgrind uses for "unknown".
const UNKNOWN: &str = "???";

/// How many leading bytes [`detect`] looks at.
const DETECT_BYTES: usize = 8 * 1024;

/// Options for reading a callgrind file.
#[derive(Debug, Clone, Default)]
pub struct CallgrindOptions {
    /// Event to read costs from (`Ir`, `Dr`, `ns`, …, as named in the file's
    /// `events:` line). Default: the first event listed. An event the file
    /// does not record is an error that names the ones it does.
    pub metric: Option<String>,
}

/// True when `bytes` look like a callgrind file: the first non-empty line is
/// `# callgrind format`, or, within the first few KB, only `key: value`
/// header lines come before an `events:` line and a position spec line
/// (`fl=`, `fn=`, `ob=`) follows. Binary data (a NUL byte) never matches.
pub fn detect(bytes: &[u8]) -> bool {
    let window = &bytes[..bytes.len().min(DETECT_BYTES)];
    if window.contains(&0) {
        return false;
    }
    let mut saw_events = false;
    let mut first = true;
    // The window may end inside a line; a cut `events:` line (a file with
    // thousands of events) still says what the file is.
    let cut = bytes.len() > window.len() || !window.ends_with(b"\n");
    let pieces = window.split(|&b| b == b'\n').count();
    for (index, raw) in window.split(|&b| b == b'\n').enumerate() {
        let line = trim(raw);
        if line.is_empty() {
            continue;
        }
        let last = index + 1 == pieces;
        if last && cut && line.starts_with(b"events:") {
            return true;
        }
        if std::mem::replace(&mut first, false) && line.starts_with(b"# callgrind format") {
            return true;
        }
        if line[0] == b'#' {
            continue;
        }
        match classify_key(line) {
            Some((key, b':')) => {
                if key == b"events" {
                    saw_events = true;
                }
            }
            Some((key, b'=')) if saw_events => {
                return matches!(key, b"fl" | b"fn" | b"ob");
            }
            _ => return false,
        }
    }
    false
}

/// Parses a callgrind file. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &CallgrindOptions) -> Result<Profile, ParseError> {
    let mut parser = Parser::new(options);
    let mut line_number: u64 = 0;
    let used = parser.lines(bytes, &mut line_number)?;
    parser.last_line(&bytes[used..], &mut line_number)?;
    parser.finish(path, line_number)
}

/// Bytes [`parse_reader`] reads at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Parses a callgrind file from `reader`, as [`parse`] does from bytes in
/// memory, with the same results and errors, but holding only a chunk of
/// the input (64 KiB, or the longest line, up to [`MAX_LINE_BYTES`]) at a
/// time: memory follows the names, functions and edges, not the file size.
/// The outer error is the reader's; the caller bounds the input's length.
pub fn parse_reader(
    reader: &mut dyn Read,
    path: &str,
    options: &CallgrindOptions,
) -> io::Result<Result<Profile, ParseError>> {
    let mut parser = Parser::new(options);
    let mut line_number: u64 = 0;
    let mut buffer = vec![0u8; READ_CHUNK];
    // buffer[..filled] holds the start of a line not complete yet.
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            if filled > MAX_LINE_BYTES {
                return Ok(Err(too_long(line_number + 1)));
            }
            // One line fills the buffer: room for the longest allowed (and
            // its newline).
            buffer.resize((2 * filled).min(MAX_LINE_BYTES + 1), 0);
        }
        let read = match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        filled += read;
        // The bytes before the new ones hold no newline: a reader that
        // trickles does not make a long line be searched again and again.
        if find_newline(&buffer[filled - read..filled]).is_none() {
            continue;
        }
        let used = match parser.lines(&buffer[..filled], &mut line_number) {
            Ok(used) => used,
            Err(error) => return Ok(Err(error)),
        };
        buffer.copy_within(used..filled, 0);
        filled -= used;
    }
    if let Err(error) = parser.last_line(&buffer[..filled], &mut line_number) {
        return Ok(Err(error));
    }
    Ok(parser.finish(path, line_number))
}
