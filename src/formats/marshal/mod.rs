//! Reader for CPython's `marshal` format, versions 2 to 5 (Python 2.7 to
//! 3.14), the container of pstats dumps written by cProfile, profile and
//! yappi, following CPython's `Python/marshal.c`.
//!
//! Two ways in:
//!
//! - **Values.** [`Value`] trees: [`Stream::read_value`] reads the object
//!   at the stream's position; in the tests, `read_value` reads a whole
//!   input and `for_each_dict_entry` hands out the entries of a top-level
//!   dict one at a time. Strings borrow from the input and are copied
//!   only when decoding forces it (invalid UTF-8, Latin-1 in an ASCII type);
//!   containers are `Rc` slices, so a back-reference (`r`) costs a
//!   reference-count bump. Values form a DAG, so a naive recursive walk over
//!   hostile input can take exponential time even though memory stays small.
//! - **Tokens.** [`Stream`] is a pull reader for consumers that know the shape
//!   they expect, like the pstats reader. It exists because building values is
//!   most of the cost of reading a large dump: a 30 MB pstats file holds about
//!   a million caller entries, each a fresh `Rc` tuple that the value path
//!   allocates and frees right after its four numbers are copied out, plus
//!   millions of back-references, each a clone out of the ref table. The
//!   stream instead hands out one object at a time: typed readers
//!   ([`Stream::next_int`], [`Stream::next_f64`], [`Stream::next_tuple`], …)
//!   cover the encodings that make up nearly all of a dump without building
//!   anything, tuples and dicts are opened and their items read one by one,
//!   and [`Stream::next`] returns a [`Token`] for anything else (unusual
//!   objects, such as code objects, sets and longs, are read as a [`Value`]
//!   on the spot). A back-reference to an object that is not a number comes
//!   out as its ref-table index plus a `u32` tag that the consumer may attach
//!   to the slot ([`Stream::set_tag`]): a pstats key tuple shared by a
//!   million callers is decoded once, and every later reference to it is one
//!   4-byte read ([`Stream::next_tagged_ref`]).
//!
//!   The consumer can give up at any point, rewind to a [`Checkpoint`](stream::Checkpoint) and
//!   re-read the same bytes as values ([`Stream::read_value`]). The value
//!   path thus stays the single reference for unusual data and for error
//!   messages, and the token path only has to be right when it succeeds.
//!
//! The ref table stays exact whichever way objects were read: CPython
//! numbers flagged objects in pre-order, a container taking its index before
//! its children. A slot is 8 bytes (a 32-bit int inline, anything else as an
//! index into a side table) and tags live in a parallel table, so that the
//! tables of a large dump stay in cache: references into them are random. A
//! container read as tokens is kept only as its byte offset; when the value
//! path meets a reference to one, it reads it again from there ("replay",
//! registering nothing twice) and caches the value.
//!
//! Hostile input is safe on both paths. Every length is checked against the
//! bytes left before anything is allocated (each item of a container needs at
//! least one byte), nesting is capped at [`MAX_DEPTH`], arithmetic is checked,
//! and the trial parsing that code objects need and replays run on a work
//! budget. Any input ends in a value or a [`ParseError`](crate::error::ParseError) carrying the byte
//! offset at fault: never a panic, a huge allocation, a stack overflow or
//! exponential time.
//!
//! Text and byte strings alike become [`Value::Str`]: pstats readers want
//! text, and Python 2 wrote file and function names as byte strings.

mod code;
mod errors;
mod reader;
mod refs;
mod stream;
mod value;

#[cfg(test)]
mod tests;

pub use refs::{RefIndex, NO_TAG};
pub use stream::{Stream, Token, Unexpected};
pub use value::{CodeSummary, Value};

/// Set on a type byte when the object is also stored in the ref table.
const FLAG_REF: u8 = 0x80;

/// The most objects allowed on any path from the top-level object to a leaf,
/// both ends included.
///
/// CPython allows 2000, but pstats data is about 5 levels deep and the code
/// objects the profile module writes add 2 levels per nested function, so 256
/// is ample for real files. The reader recurses: at this limit it needs about
/// 250 KiB of stack in release builds and 850 KiB in debug builds, which
/// fits the 2 MiB that spawned threads (test threads included) get.
pub const MAX_DEPTH: usize = 256;
