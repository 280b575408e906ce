//! Callgrind profiles: what `valgrind --tool=callgrind` writes, and what
//! pyprof2calltree, yappi (`save(type="callgrind")`) and profdiff's own
//! writer ([`write()`]) produce from Python profiles.
//! FORMATS.md §3 describes the format; this comment records the choices.
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

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, Read};

// FxHash for keys made of indices the parser assigned itself (not chosen by
// the input, so no flooding risk): far cheaper than SipHash per line. Names
// and compressed ids, which the input chooses, keep std's SipHash; FxHash
// only picks the slot of a cache in front of the names (see [`Names`]).
use rustc_hash::{FxHashMap, FxHasher};

use crate::error::ParseError;
use crate::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta, Unit};
use exact::{Exact, CALL_PREFIX, FUNCTION_PREFIX};

mod exact;
mod write;

pub use write::write;

/// Lines longer than this are refused: no producer writes them, and it
/// bounds the work one line can cause.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Name of the synthetic caller profdiff's writer adds for called roots.
pub(crate) const ROOT_NAME: &str = "(root)";

/// File (and object) name callgrind uses for "unknown".
pub(crate) const UNKNOWN: &str = "???";

/// How many leading bytes [`detect`] looks at.
const DETECT_BYTES: usize = 8 * 1024;

/// The most subpositions a cost line can have (`instr bb line`).
const MAX_POSITIONS: usize = 3;

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
    for raw in window.split(|&b| b == b'\n') {
        let line = trim(raw);
        if line.is_empty() {
            continue;
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

fn too_long(line_number: u64) -> ParseError {
    ParseError::at_line(
        line_number,
        format!("line is longer than {MAX_LINE_BYTES} bytes"),
    )
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// Index of the first `\n`, eight bytes at a time (the line loop is the
/// parser's hottest path).
fn find_newline(bytes: &[u8]) -> Option<usize> {
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
fn classify_key(line: &[u8]) -> Option<(&[u8], u8)> {
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

/// No name / no function yet.
const NONE: u32 = u32::MAX;

/// One compression id table: `(id)` → interned name. Real producers number
/// ids densely from 0 or 1, so small ids live in a vector; an id far beyond
/// the number of definitions so far (hostile or odd input) goes to a hash
/// map instead, so no allocation follows an unchecked number.
#[derive(Default)]
struct IdTable {
    dense: Vec<u32>,
    sparse: HashMap<u64, u32>,
    defined: usize,
}

impl IdTable {
    fn get(&self, id: u64) -> Option<u32> {
        let dense = usize::try_from(id)
            .ok()
            .and_then(|i| self.dense.get(i))
            .copied()
            .filter(|&name| name != NONE);
        dense.or_else(|| self.sparse.get(&id).copied())
    }

    fn insert(&mut self, id: u64, name: u32) {
        self.defined += 1;
        let limit = 4 * self.defined + 4096;
        match usize::try_from(id) {
            Ok(index) if index < limit => {
                if index >= self.dense.len() {
                    self.dense.resize(index + 1, NONE);
                }
                self.dense[index] = name;
                // A re-definition may have gone to the map before.
                self.sparse.remove(&id);
            }
            _ => {
                self.sparse.insert(id, name);
            }
        }
    }
}

/// The three compression id spaces real producers use (FORMATS.md §3).
#[derive(Clone, Copy)]
enum Space {
    Object = 0,
    File = 1,
    Function = 2,
}

impl Space {
    fn what(self) -> &'static str {
        match self {
            Space::Object => "object",
            Space::File => "file",
            Space::Function => "function",
        }
    }
}

/// Identity of a function in the file: interned object, file and raw name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FnKey {
    object: u32,
    file: u32,
    name: u32,
}

#[derive(Debug)]
struct FnAcc {
    key: FnKey,
    self_cost: u64,
    /// Line of the first cost line in the function's own file.
    line: Option<u64>,
    /// Line a `calls=` targeted, the fallback when the function has no block
    /// (kept in [`Callee`] while parsing, copied here at the end).
    target_line: Option<u64>,
    /// When the function's own block first had a cost line: the model lists
    /// functions in block order, so a file written from a profile reads back
    /// in the profile's order.
    block: Option<u32>,
    /// Some call edge starts here (see [`Parser::scattered`]).
    calls_out: bool,
}

#[derive(Debug)]
struct EdgeAcc {
    caller: u32,
    callee: u32,
    calls: u64,
    inclusive: u64,
}

/// What every call touches of its callee, stored as the value of the
/// function index itself: the callee is a random function, and its index
/// entry has to be looked up anyway, so the call costs one cache miss
/// instead of one more for a record elsewhere.
///
/// `stretch` and `edge`: the edge the latest call into the function made,
/// and the stretch that call was in. Within one stretch every call comes
/// from the same caller, so a call into a function whose record holds the
/// current stretch continues that edge; no hash map keyed by (caller,
/// callee) is probed per call.
#[derive(Debug, Clone, Copy)]
struct Callee {
    /// The first line a `calls=` into the function targeted, when
    /// `has_target` (not an `Option`: this keeps the record at 24 bytes).
    target_line: u64,
    id: u32,
    stretch: u32,
    edge: u32,
    has_target: bool,
}

/// A `calls=` line waiting for its cost line.
#[derive(Debug)]
struct PendingCall {
    line_number: u64,
    calls: u64,
    callee: FnKey,
    /// The exact numbers profdiff's writer put before the `calls=` line.
    exact: Option<Exact>,
}

/// Raw edges between compactions while [`Parser::scattered`] (see
/// [`Parser::compact_edges`]), at least. Small in tests, so they compact.
const COMPACT_EDGES: usize = if cfg!(test) { 8 } else { 1 << 16 };

struct Parser<'o> {
    options: &'o CallgrindOptions,
    names: Names,
    /// Compressed id → interned name, one table per [`Space`].
    tables: [IdTable; 3],

    // Header state.
    metric: Option<String>,
    metric_index: usize,
    event_count: Option<usize>,
    positions: usize,
    line_position: Option<usize>,
    creator: Option<String>,
    version_seen: bool,
    ns_event_defined: bool,
    parts: u64,
    totals: Option<u64>,

    // Position state.
    object: u32,
    file: u32,
    position_file: u32,
    function: u32,
    current: u32,
    last: [u64; MAX_POSITIONS],

    // Call state.
    callee_object: Option<u32>,
    callee_file: Option<u32>,
    callee: Option<FnKey>,
    pending: Option<PendingCall>,

    // profdiff's exact numbers (see `exact.rs`), in files it wrote.
    exact_allowed: bool,
    pending_function_exact: Option<Exact>,
    pending_call_exact: Option<Exact>,
    exact_functions: Vec<(u32, Exact)>,
    exact_edges: FxHashMap<(u32, u32), Exact>,

    // What the model is built from.
    blocks: u32,
    /// The function index: key → id, with what calls need (see [`Callee`]).
    function_ids: FxHashMap<FnKey, Callee>,
    functions: Vec<FnAcc>,
    /// Call edges, in order of appearance. A (caller, callee) pair appears
    /// once, except while `scattered`: see [`Parser::compact_edges`].
    edges: Vec<EdgeAcc>,
    /// Counts stretches: runs of lines with one current function, from its
    /// first cost line to the next `fn=`, `fl=`, `ob=` or `part:`. 0 is no
    /// stretch, so a fresh [`Callee`] matches none.
    stretch: u32,
    /// A function had call edges when a later stretch of it began: calls in
    /// that stretch may repeat an edge of an earlier one, so `edges` may hold
    /// a pair more than once until [`merge_edges`] sums them.
    scattered: bool,
    /// Edge count at which a scattered edge list is compacted next.
    compact_at: usize,
}

/// Interned names: what `fl=`, `fn=`, `ob=` and the other name lines hold.
///
/// Uncompressed files (pyprof2calltree's) repeat the full file and function
/// name on every `cfl=`/`cfn=` line, so lookups are hot. The names are kept
/// end to end in one string (no allocation per name, and the bytes compared
/// on a lookup sit close together). The authoritative index is keyed by a
/// SipHash with a random key, as std's maps are (the input chooses names,
/// so no flooding); a direct-mapped cache keyed by a cheap FxHash of the raw
/// bytes sits in front and answers most lookups without SipHash or UTF-8
/// validation. A crafted input can only make the cache miss, which costs
/// what the index costs anyway.
struct Names {
    /// Every name, lossily decoded, end to end.
    text: String,
    /// Where each name ends in `text`; it starts where the previous ends.
    ends: Vec<usize>,
    keys: RandomState,
    /// SipHash of a name → the latest name with that hash; `next_same`
    /// chains the others (a 64-bit collision: in practice never).
    index: FxHashMap<u64, u32>,
    next_same: Vec<u32>,
    /// Name id per slot, [`NONE`] when empty; its length is a power of two.
    cache: Vec<u32>,
}

impl Names {
    /// Small in tests, so the cache grows and its slots collide.
    const MIN_CACHE: usize = if cfg!(test) { 4 } else { 1 << 10 };
    const MAX_CACHE: usize = 1 << 18;

    fn new() -> Self {
        Names {
            cache: vec![NONE; Self::MIN_CACHE],
            ..Names::empty()
        }
    }

    /// No names, and no cache: for after parsing.
    fn empty() -> Self {
        Names {
            text: String::new(),
            ends: Vec::new(),
            keys: RandomState::new(),
            index: FxHashMap::default(),
            next_same: Vec::new(),
            cache: Vec::new(),
        }
    }

    fn slot(&self, bytes: &[u8]) -> usize {
        let mut hasher = FxHasher::default();
        hasher.write(bytes);
        hasher.finish() as usize & (self.cache.len() - 1)
    }

    fn intern(&mut self, bytes: &[u8], number: u64) -> Result<u32, ParseError> {
        let slot = self.slot(bytes);
        let cached = self.cache[slot];
        // Stored names are valid UTF-8 without NUL bytes: equal bytes need
        // neither check again. (A name that is not UTF-8 never matches its
        // decoded form here and takes the index every time.)
        if cached != NONE && self.bytes(cached) == bytes {
            return Ok(cached);
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let hash = self.keys.hash_one(text.as_bytes());
        let head = self.index.get(&hash).copied().unwrap_or(NONE);
        let mut found = head;
        while found != NONE && self.bytes(found) != text.as_bytes() {
            found = self.next_same[found as usize];
        }
        if found == NONE {
            if bytes.contains(&0) {
                return Err(binary(number));
            }
            found = self.ends.len() as u32;
            self.text.push_str(&text);
            self.ends.push(self.text.len());
            self.next_same.push(head);
            self.index.insert(hash, found);
            if self.ends.len() * 2 > self.cache.len() && self.cache.len() < Self::MAX_CACHE {
                // Refilled by the lookups that miss from now on.
                self.cache = vec![NONE; self.cache.len() * 2];
                let slot = self.slot(bytes);
                self.cache[slot] = found;
                return Ok(found);
            }
        }
        self.cache[slot] = found;
        Ok(found)
    }

    fn span(&self, id: u32) -> Option<std::ops::Range<usize>> {
        let id = id as usize;
        let end = *self.ends.get(id)?;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        Some(start..end)
    }

    fn bytes(&self, id: u32) -> &[u8] {
        self.span(id)
            .map_or(&[], |span| &self.text.as_bytes()[span])
    }

    fn get(&self, id: u32) -> Option<&str> {
        self.span(id).map(|span| &self.text[span])
    }

    /// Frees the lookup structures; the names stay readable.
    fn freeze(&mut self) {
        self.index = FxHashMap::default();
        self.next_same = Vec::new();
        self.cache = Vec::new();
    }
}

impl<'o> Parser<'o> {
    /// Reads every line of `bytes` that a newline ends; returns how many
    /// bytes that was. `line_number` counts the lines read.
    fn lines(&mut self, bytes: &[u8], line_number: &mut u64) -> Result<usize, ParseError> {
        let mut rest = bytes;
        while let Some(end) = find_newline(rest) {
            *line_number += 1;
            self.raw_line(&rest[..end], *line_number)?;
            rest = &rest[end + 1..];
        }
        Ok(bytes.len() - rest.len())
    }

    /// The last line, which no newline ends (empty: none).
    fn last_line(&mut self, rest: &[u8], line_number: &mut u64) -> Result<(), ParseError> {
        if rest.is_empty() {
            return Ok(());
        }
        *line_number += 1;
        self.raw_line(rest, *line_number)
    }

    fn raw_line(&mut self, raw: &[u8], number: u64) -> Result<(), ParseError> {
        if raw.len() > MAX_LINE_BYTES {
            return Err(too_long(number));
        }
        self.line(trim(raw), number)
    }

    fn new(options: &'o CallgrindOptions) -> Self {
        Parser {
            options,
            names: Names::new(),
            tables: Default::default(),
            metric: None,
            metric_index: 0,
            event_count: None,
            positions: 1,
            line_position: Some(0),
            creator: None,
            version_seen: false,
            ns_event_defined: false,
            parts: 0,
            totals: None,
            object: NONE,
            file: NONE,
            position_file: NONE,
            function: NONE,
            current: NONE,
            last: [0; MAX_POSITIONS],
            callee_object: None,
            callee_file: None,
            callee: None,
            pending: None,
            exact_allowed: false,
            pending_function_exact: None,
            pending_call_exact: None,
            exact_functions: Vec::new(),
            exact_edges: FxHashMap::default(),
            blocks: 0,
            function_ids: HashMap::default(),
            functions: Vec::new(),
            edges: Vec::new(),
            stretch: 0,
            scattered: false,
            compact_at: COMPACT_EDGES,
        }
    }

    fn line(&mut self, line: &[u8], number: u64) -> Result<(), ParseError> {
        let Some(&first) = line.first() else {
            return Ok(());
        };
        match first {
            b'#' => self.comment(line, number),
            b'0'..=b'9' | b'+' | b'-' | b'*' => self.cost_line(line, number),
            _ => {
                if let Some(pending) = &self.pending {
                    return Err(ParseError::at_line(
                        number,
                        format!(
                            "expected the cost line of the calls= on line {}, found {:?}",
                            pending.line_number,
                            preview(line)
                        ),
                    ));
                }
                // NUL bytes are looked for where they could slip through:
                // here, in headers and in new names (not on every line).
                match classify_key(line) {
                    Some((key, b'=')) => self.spec_line(key, &line[key.len() + 1..], number),
                    Some((key, _)) if !line.contains(&0) => {
                        self.header_line(key, trim(&line[key.len() + 1..]), number)
                    }
                    _ if line.contains(&0) => Err(binary(number)),
                    _ => Err(ParseError::at_line(
                        number,
                        format!("not a callgrind line: {:?}", preview(line)),
                    )),
                }
            }
        }
    }

    /// Comments are skipped, except the exact numbers in profdiff's files.
    fn comment(&mut self, line: &[u8], number: u64) -> Result<(), ParseError> {
        if !self.exact_allowed {
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix(FUNCTION_PREFIX) {
            self.pending_function_exact = Some(Exact::parse(rest, number)?);
        } else if let Some(rest) = line.strip_prefix(CALL_PREFIX) {
            self.pending_call_exact = Some(Exact::parse(rest, number)?);
        }
        Ok(())
    }

    fn header_line(&mut self, key: &[u8], value: &[u8], number: u64) -> Result<(), ParseError> {
        match key {
            b"version" => {
                self.version_seen = true;
                let major = value.split(|b| *b == b'.').next().unwrap_or(value);
                match parse_decimal(major) {
                    Some(1) => {}
                    Some(other) => {
                        return Err(ParseError::at_line(
                            number,
                            format!("callgrind format version {other} is not supported (only 1)"),
                        ))
                    }
                    None => return Err(bad_number(number, "version", value)),
                }
            }
            b"creator" if self.creator.is_none() => {
                self.exact_allowed = value.starts_with(b"profdiff");
                self.creator = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"positions" => {
                let mut count = 0;
                let mut line_position = None;
                for token in value
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|t| !t.is_empty())
                {
                    match token {
                        b"line" => line_position = Some(count),
                        b"instr" | b"addr" | b"bb" => {}
                        other => {
                            return Err(ParseError::at_line(
                                number,
                                format!(
                                    "unknown position {:?} (expected instr, bb, line)",
                                    preview(other)
                                ),
                            ))
                        }
                    }
                    count += 1;
                }
                if count == 0 || count > MAX_POSITIONS {
                    return Err(ParseError::at_line(
                        number,
                        format!("positions: lists {count} positions, expected 1 to 3"),
                    ));
                }
                self.positions = count;
                self.line_position = line_position;
            }
            b"events" => self.events_line(value, number)?,
            b"event" => {
                // `event: ns : Nanoseconds` is pyprof2calltree's signature.
                let name = value
                    .split(|b| matches!(b, b':' | b'='))
                    .next()
                    .unwrap_or(value);
                if trim(name) == b"ns" {
                    self.ns_event_defined = true;
                }
            }
            b"part" => {
                // Each part starts its own position context; names and ids
                // may be re-defined (callgrind 3.19 does), which overwrites.
                self.parts += 1;
                self.object = NONE;
                self.file = NONE;
                self.position_file = NONE;
                self.function = NONE;
                self.current = NONE;
                self.last = [0; MAX_POSITIONS];
                self.callee = None;
                self.callee_object = None;
                self.callee_file = None;
            }
            b"totals" => {
                // Only checked against the functions' sum (a note), so an
                // odd value is not an error.
                if let Some(total) = value
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|t| !t.is_empty())
                    .nth(self.metric_index)
                    .and_then(parse_decimal)
                {
                    self.totals = Some(self.totals.unwrap_or(0).saturating_add(total));
                }
            }
            // summary: is pyprof2calltree's maximum, not a sum; pid, cmd,
            // thread, desc and unknown headers carry nothing for the model.
            _ => {}
        }
        Ok(())
    }

    fn events_line(&mut self, value: &[u8], number: u64) -> Result<(), ParseError> {
        let events: Vec<Cow<'_, str>> = value
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .map(String::from_utf8_lossy)
            .collect();
        if events.is_empty() {
            return Err(ParseError::at_line(number, "events: lists no events"));
        }
        let wanted = match (&self.metric, &self.options.metric) {
            (Some(metric), _) | (None, Some(metric)) => metric.clone(),
            (None, None) => events[0].to_string(),
        };
        let Some(index) = events.iter().position(|e| *e == wanted) else {
            let available: Vec<&str> = events.iter().map(|e| e.as_ref()).collect();
            return Err(ParseError::at_line(
                number,
                format!(
                    "event {wanted:?} is not recorded in this file; available: {}",
                    available.join(", ")
                ),
            ));
        };
        self.metric = Some(wanted);
        self.metric_index = index;
        self.event_count = Some(events.len());
        Ok(())
    }

    fn spec_line(&mut self, key: &[u8], value: &[u8], number: u64) -> Result<(), ParseError> {
        match key {
            b"fn" => {
                self.function = self.name(Space::Function, value, number)?;
                // A new function starts in its own file (callgrind resets the
                // inline position there and writes fl= only on change).
                self.position_file = self.file;
                self.current = NONE;
            }
            b"fl" => {
                self.file = self.name(Space::File, value, number)?;
                self.position_file = self.file;
                self.current = NONE;
            }
            b"fi" | b"fe" => self.position_file = self.name(Space::File, value, number)?,
            b"ob" => {
                self.object = self.name(Space::Object, value, number)?;
                self.current = NONE;
            }
            b"cob" => self.callee_object = Some(self.name(Space::Object, value, number)?),
            b"cfi" | b"cfl" => self.callee_file = Some(self.name(Space::File, value, number)?),
            b"cfn" => {
                let name = self.name(Space::Function, value, number)?;
                // Without cob=/cfi= the callee is in the caller's object and
                // in the current position's file (callgrind's dump.c writes
                // them only when they differ).
                self.callee = Some(FnKey {
                    object: self.callee_object.take().unwrap_or(self.object),
                    file: self.callee_file.take().unwrap_or(self.position_file),
                    name,
                });
            }
            b"calls" => {
                let mut tokens = Tokens(value);
                let count = tokens.next().unwrap_or(b"");
                let calls =
                    parse_decimal(count).ok_or_else(|| bad_number(number, "call count", count))?;
                let callee = self.callee.take().ok_or_else(|| {
                    ParseError::at_line(number, "calls= without a cfn= naming the called function")
                })?;
                // The target position is relative to the last cost line but
                // does not move it.
                let mut target = self.last;
                for (index, token) in tokens.by_ref().take(self.positions).enumerate() {
                    target[index] = subposition(token, self.last[index], number)?;
                }
                if tokens.next().is_some() {
                    return Err(ParseError::at_line(
                        number,
                        format!("calls= has more than {} target positions", self.positions),
                    ));
                }
                let target_line = self.line_position.map(|line| target[line]);
                let state = self.intern_function(callee);
                if let (Some(line), false) = (target_line, state.has_target) {
                    state.target_line = line;
                    state.has_target = true;
                }
                self.pending = Some(PendingCall {
                    line_number: number,
                    calls,
                    callee,
                    exact: self.pending_call_exact.take(),
                });
            }
            // Jump lines only matter for KCachegrind's assembly view; their
            // names still define ids that later lines may use.
            b"jfi" => {
                self.name(Space::File, value, number)?;
            }
            b"jfn" | b"frfn" => {
                self.name(Space::Function, value, number)?;
            }
            // jump=, jcnd=, rec=, ln= and spec lines of later format
            // revisions carry nothing this model holds.
            _ => {}
        }
        Ok(())
    }

    fn cost_line(&mut self, line: &[u8], number: u64) -> Result<(), ParseError> {
        let Some(event_count) = self.event_count else {
            return Err(ParseError::at_line(
                number,
                "cost line before the events: header",
            ));
        };
        let mut tokens = Tokens(line);
        let mut position = self.last;
        for (index, slot) in position.iter_mut().enumerate().take(self.positions) {
            let token = tokens.next().ok_or_else(|| {
                ParseError::at_line(
                    number,
                    format!("cost line has fewer than {} positions", self.positions),
                )
            })?;
            *slot = subposition(token, self.last[index], number)?;
        }
        let mut cost = 0;
        let mut count = 0;
        for token in tokens {
            let value = parse_decimal(token).ok_or_else(|| bad_number(number, "cost", token))?;
            if count == self.metric_index {
                cost = value;
            }
            count += 1;
        }
        if count > event_count {
            return Err(ParseError::at_line(
                number,
                format!("cost line has {count} costs but events: lists {event_count}"),
            ));
        }
        self.last = position;

        let caller = self.current_function(number)?;
        if self.position_file == self.file {
            if let Some(index) = self.line_position {
                self.functions[caller as usize]
                    .line
                    .get_or_insert(position[index]);
            }
        }
        match self.pending.take() {
            Some(call) => {
                if self.scattered && self.edges.len() >= self.compact_at {
                    self.compact_edges();
                }
                let (stretch, next) = (self.stretch, self.edges.len());
                // The callee's entry is still in cache from its calls= line.
                let state = self.intern_function(call.callee);
                let index = if state.stretch == stretch {
                    state.edge as usize
                } else {
                    state.stretch = stretch;
                    state.edge = next as u32;
                    next
                };
                let callee = state.id;
                if index == next {
                    self.edges.push(EdgeAcc {
                        caller,
                        callee,
                        calls: 0,
                        inclusive: 0,
                    });
                    self.functions[caller as usize].calls_out = true;
                }
                let edge = &mut self.edges[index];
                edge.calls = edge.calls.saturating_add(call.calls);
                edge.inclusive = edge.inclusive.saturating_add(cost);
                if let Some(exact) = call.exact {
                    self.exact_edges.insert((caller, callee), exact);
                }
            }
            None => {
                let acc = &mut self.functions[caller as usize];
                acc.self_cost = acc.self_cost.saturating_add(cost);
            }
        }
        Ok(())
    }

    fn current_function(&mut self, number: u64) -> Result<u32, ParseError> {
        if self.current == NONE {
            if self.function == NONE {
                return Err(ParseError::at_line(number, "cost line before any fn= line"));
            }
            self.current = self
                .intern_function(FnKey {
                    object: self.object,
                    file: self.file,
                    name: self.function,
                })
                .id;
            self.next_stretch();
            if let Some(exact) = self.pending_function_exact.take() {
                self.exact_functions.push((self.current, exact));
            }
            let acc = &mut self.functions[self.current as usize];
            if acc.block.is_none() {
                acc.block = Some(self.blocks);
                self.blocks += 1;
            }
            if acc.calls_out {
                self.scattered = true;
            }
        }
        Ok(self.current)
    }

    /// Starts a stretch: no [`Callee`] matches it yet.
    fn next_stretch(&mut self) {
        match self.stretch.checked_add(1) {
            Some(next) => self.stretch = next,
            None => {
                // Unreachable below 4 GiB of input; cheap to handle anyway.
                for state in self.function_ids.values_mut() {
                    state.stretch = 0;
                }
                self.stretch = 1;
            }
        }
    }

    /// Sums the edges a pair has more than once (see [`Parser::scattered`]).
    /// A call whose caller made the same edge in an earlier stretch adds the
    /// pair again, summed here once the list has doubled since the last time
    /// (so memory stays within twice the distinct edges, whatever the input),
    /// and in [`Parser::finish`].
    fn compact_edges(&mut self) {
        merge_edges(&mut self.edges);
        self.compact_at = (2 * self.edges.len()).max(COMPACT_EDGES);
        // Edge indices moved: no callee record may match from here on.
        self.next_stretch();
    }

    fn intern_function(&mut self, key: FnKey) -> &mut Callee {
        let functions = &mut self.functions;
        self.function_ids.entry(key).or_insert_with(|| {
            let id = functions.len() as u32;
            functions.push(FnAcc {
                key,
                self_cost: 0,
                line: None,
                target_line: None,
                block: None,
                calls_out: false,
            });
            Callee {
                target_line: 0,
                id,
                stretch: 0,
                edge: 0,
                has_target: false,
            }
        })
    }

    /// Reads `(id) name`, `(id)` or `name` and returns the interned name.
    fn name(&mut self, space: Space, value: &[u8], number: u64) -> Result<u32, ParseError> {
        let value = trim(value);
        if value.first() == Some(&b'(') && value.get(1).is_some_and(u8::is_ascii_digit) {
            let close = value.iter().position(|b| *b == b')').ok_or_else(|| {
                ParseError::at_line(
                    number,
                    format!("unterminated compressed id {:?}", preview(value)),
                )
            })?;
            let digits = &value[1..close];
            let id =
                parse_decimal(digits).ok_or_else(|| bad_number(number, "compressed id", digits))?;
            let rest = trim(&value[close + 1..]);
            if rest.is_empty() {
                return self.tables[space as usize].get(id).ok_or_else(|| {
                    ParseError::at_line(
                        number,
                        format!(
                            "compressed {} id ({id}) is used before it is defined",
                            space.what()
                        ),
                    )
                });
            }
            let name = self.names.intern(rest, number)?;
            self.tables[space as usize].insert(id, name);
            return Ok(name);
        }
        self.names.intern(value, number)
    }

    fn name_of(&self, id: u32) -> Option<&str> {
        self.names.get(id)
    }

    fn finish(mut self, path: &str, last_line: u64) -> Result<Profile, ParseError> {
        if let Some(pending) = &self.pending {
            return Err(ParseError::at_line(
                pending.line_number,
                "calls= is not followed by its cost line (the file ends)",
            ));
        }
        let Some(metric) = self.metric.clone() else {
            return Err(ParseError::at_line(
                last_line.max(1),
                "no events: header; not a callgrind profile",
            ));
        };
        // What only the line loop needs goes before the model is built.
        self.names.freeze();
        self.tables = Default::default();
        for state in self.function_ids.values() {
            if state.has_target {
                self.functions[state.id as usize].target_line = Some(state.target_line);
            }
        }
        self.function_ids = FxHashMap::default();
        if self.scattered {
            merge_edges(&mut self.edges);
        }
        let producer = self.producer();
        let (unit, per_second) = unit_of(&metric, producer.as_deref());
        let scale = |cost: u64| match per_second {
            Some(per_second) => cost as f64 / per_second,
            None => cost as f64,
        };

        // profdiff's synthetic caller of pstats roots: calls from outside.
        let from_profdiff = self
            .creator
            .as_deref()
            .is_some_and(|c| c.starts_with("profdiff"));
        let root = self
            .functions
            .iter()
            .position(|f| {
                from_profdiff
                    && self.name_of(f.key.name) == Some(ROOT_NAME)
                    && self.name_of(f.key.file).is_none_or(|n| n == UNKNOWN)
                    && self.name_of(f.key.object).is_none_or(|n| n == UNKNOWN)
            })
            // Something calls it: then it is not the writer's root.
            .filter(|&root| self.edges.iter().all(|e| e.callee as usize != root));

        let graph = Graph::new(&self.functions, &self.edges, root);
        let Costs {
            inclusive,
            least,
            calls_into,
        } = graph.into_costs();

        let mut profile = Profile::new(ProfileMeta {
            path: path.to_string(),
            format: Format::Callgrind,
            unit,
            precision: per_second.map(|p| 1.0 / p),
            producer,
            notes: Vec::new(),
        });
        // Functions in the order of their blocks; those seen only as callees
        // after them, in order of appearance.
        let mut order: Vec<usize> = (0..self.functions.len())
            .filter(|&id| Some(id) != root)
            .collect();
        order.sort_by_key(|&id| (self.functions[id].block.unwrap_or(u32::MAX), id));
        let mut new_id = vec![usize::MAX; self.functions.len()];
        // A function no calls= line reaches (valgrind's `(below main)`, a
        // pstats root through pyprof2calltree) was called, but the file does
        // not say how often: no count, rather than a count of 0.
        let mut called = vec![false; self.functions.len()];
        for edge in &self.edges {
            called[edge.callee as usize] = true;
        }
        let mut least_of = vec![None; self.functions.len()];
        for &(id, least) in &least {
            least_of[id] = Some(least);
        }
        drop(least);
        let self_cost_sum = self
            .functions
            .iter()
            .fold(0u64, |s, f| s.saturating_add(f.self_cost));
        profile.functions.reserve_exact(order.len());
        for id in order {
            let acc = &self.functions[id];
            new_id[id] = profile.functions.len();
            let file = self.name_of(acc.key.file).filter(|f| *f != UNKNOWN);
            let object = self.name_of(acc.key.object).filter(|o| *o != UNKNOWN);
            let raw_name = self.name_of(acc.key.name).unwrap_or(UNKNOWN);
            let line = file.and(acc.line.or(acc.target_line));
            let (name, line) = split_name(raw_name, file, line);
            let line = line.and_then(|l| u32::try_from(l).ok());
            let kind = match (file, line) {
                (None, _) | (Some("~"), _) | (Some(""), Some(0)) => FunctionKind::Builtin,
                (Some("profile"), Some(0)) => FunctionKind::Synthetic,
                _ => FunctionKind::Source,
            };
            let mut function = Function::new(name, kind);
            function.file = file.map(str::to_string);
            function.line = line;
            function.object = object.map(str::to_string);
            function.calls = called[id].then_some(calls_into[id]);
            function.self_cost = scale(acc.self_cost);
            function.inclusive_cost = scale(inclusive[id]);
            function.inclusive_min = least_of[id].map(scale);
            profile.functions.push(function);
        }
        for &(id, exact) in &self.exact_functions {
            let Some(function) = profile.functions.get_mut(new_id[id as usize]) else {
                continue;
            };
            function.calls = exact.calls;
            function.primitive_calls = exact.primitive_calls;
            function.self_cost = exact.self_cost.unwrap_or(function.self_cost);
            function.inclusive_cost = exact.inclusive.unwrap_or(function.inclusive_cost);
            function.inclusive_min = exact.inclusive_min;
        }
        self.exact_functions = Vec::new();
        let ranges = profile
            .functions
            .iter()
            .filter(|f| f.inclusive_min.is_some())
            .count();
        // Each part of the model is freed once built, so its parse-time form
        // and its model form are not held at once longer than needed.
        drop(inclusive);
        drop(calls_into);
        self.functions = Vec::new();
        self.names = Names::empty();
        let kept = self
            .edges
            .iter()
            .filter(|e| Some(e.caller as usize) != root)
            .count();
        profile.edges.reserve_exact(kept);
        for edge in &self.edges {
            if Some(edge.caller as usize) == root {
                continue;
            }
            let mut model = Edge::new(new_id[edge.caller as usize], new_id[edge.callee as usize])
                .with_calls(Some(edge.calls))
                .with_inclusive_cost(Some(scale(edge.inclusive)));
            if let Some(exact) = self.exact_edges.get(&(edge.caller, edge.callee)) {
                model = model
                    .with_calls(exact.calls)
                    .with_primitive_calls(exact.primitive_calls)
                    .with_self_cost(exact.self_cost)
                    .with_inclusive_cost(exact.inclusive);
            }
            profile.edges.push(model);
        }
        self.edges = Vec::new();

        let notes = &mut profile.meta.notes;
        if self.parts > 1 {
            notes.push(format!(
                "summed {} parts (callgrind --combine-dumps)",
                self.parts
            ));
        }
        if let Some(totals) = self.totals {
            let sum = self_cost_sum;
            if sum != totals {
                notes.push(format!(
                    "the file's totals: say {totals} {metric}, its functions' self costs add up to {sum}"
                ));
            }
        }
        if ranges > 0 {
            notes.push(format!(
                "{ranges} functions are in mutual recursion: the file's per-call totals give their \
                 inclusive cost only as a range (shown as ≤ its upper end); differences within \
                 it are not counted as changes"
            ));
        }
        Ok(profile)
    }

    fn producer(&self) -> Option<String> {
        if let Some(creator) = &self.creator {
            return Some(creator.clone());
        }
        let pyprof2calltree = !self.version_seen
            && self.ns_event_defined
            && self.event_count == Some(1)
            && self.metric.as_deref() == Some("ns");
        pyprof2calltree.then(|| "pyprof2calltree".to_string())
    }
}

/// Sums the entries of `edges` that share a (caller, callee) pair into the
/// first of them, keeping the order of first appearance.
fn merge_edges(edges: &mut Vec<EdgeAcc>) {
    let mut order: Vec<u32> = (0..edges.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let e = &edges[i as usize];
        (e.caller, e.callee, i)
    });
    let mut keep = vec![false; edges.len()];
    let mut first = usize::MAX;
    for &i in &order {
        let i = i as usize;
        let same = first != usize::MAX
            && (edges[first].caller, edges[first].callee) == (edges[i].caller, edges[i].callee);
        if !same {
            first = i;
            keep[i] = true;
            continue;
        }
        let (calls, inclusive) = (edges[i].calls, edges[i].inclusive);
        let kept = &mut edges[first];
        kept.calls = kept.calls.saturating_add(calls);
        kept.inclusive = kept.inclusive.saturating_add(inclusive);
    }
    let mut index = 0;
    edges.retain(|_| {
        index += 1;
        keep[index - 1]
    });
}

/// The call graph of the parsed functions, for calls and inclusive costs.
struct Graph<'a> {
    functions: &'a [FnAcc],
    edges: &'a [EdgeAcc],
    root: Option<usize>,
    /// Σ calls= into each function (including recursive ones).
    calls_into: Vec<u64>,
    /// Strongly connected component of each function.
    component: Vec<u32>,
    component_size: Vec<u32>,
}

impl<'a> Graph<'a> {
    fn new(functions: &'a [FnAcc], edges: &'a [EdgeAcc], root: Option<usize>) -> Self {
        let n = functions.len();
        let mut calls_into = vec![0u64; n];
        for edge in edges {
            let slot = &mut calls_into[edge.callee as usize];
            *slot = slot.saturating_add(edge.calls);
        }
        let component = {
            let (start, targets) = adjacency(n, edges.iter().map(|e| (e.caller, e.callee)));
            strongly_connected(&start, |k| targets[k] as usize)
        };
        let mut component_size = vec![0u32; n];
        for &c in &component {
            component_size[c as usize] += 1;
        }
        Graph {
            functions,
            edges,
            root,
            calls_into,
            component,
            component_size,
        }
    }

    /// Inclusive cost per function, by the rule in the module docs: for
    /// each function its upper bound and, where that bound may be above the
    /// truth (mutual recursion), the least the truth can be.
    fn into_costs(self) -> Costs {
        let n = self.functions.len();
        let component = |id: usize| self.component[id] as usize;
        let mut in_other = vec![0u64; n];
        let mut has_in_other = vec![false; n];
        let mut out_other = vec![0u64; n];
        // Per function: calls in from outside its component, and calls out
        // of it to functions outside it; per component: the same in total.
        let mut in_outside = vec![0u64; n];
        let mut out_outside = vec![0u64; n];
        let mut component_in = vec![0u64; n];
        let mut component_has_in = vec![false; n];
        let mut component_out = vec![0u64; n];
        for edge in self.edges {
            let (caller, callee) = (edge.caller as usize, edge.callee as usize);
            if caller == callee {
                continue;
            }
            in_other[callee] = in_other[callee].saturating_add(edge.inclusive);
            has_in_other[callee] = true;
            if Some(caller) != self.root {
                out_other[caller] = out_other[caller].saturating_add(edge.inclusive);
            }
            let (from, to) = (component(caller), component(callee));
            if from != to {
                in_outside[callee] = in_outside[callee].saturating_add(edge.inclusive);
                if Some(caller) != self.root {
                    out_outside[caller] = out_outside[caller].saturating_add(edge.inclusive);
                }
                component_in[to] = component_in[to].saturating_add(edge.inclusive);
                component_has_in[to] = true;
                component_out[from] = component_out[from].saturating_add(edge.inclusive);
            }
        }
        let mut component_self = vec![0u64; n];
        for (id, f) in self.functions.iter().enumerate() {
            let c = component(id);
            component_self[c] = component_self[c].saturating_add(f.self_cost);
        }
        let mut inclusive = Vec::with_capacity(n);
        let mut least = Vec::new();
        for id in 0..n {
            let own = if has_in_other[id] {
                in_other[id]
            } else {
                self.functions[id].self_cost.saturating_add(out_other[id])
            };
            let c = component(id);
            if self.component_size[c] < 2 {
                inclusive.push(own);
                continue;
            }
            let whole = if component_has_in[c] {
                component_in[c]
            } else {
                component_self[c].saturating_add(component_out[c])
            };
            let upper = own.min(whole);
            // Calls into f from outside its cycle are outermost calls, so
            // their costs are all inside f's inclusive cost; so are f's own
            // cost and its calls to functions outside the cycle, which
            // cannot lead back into f. What nested cycle members add is
            // what the file cannot say.
            let lower = in_outside[id]
                .max(self.functions[id].self_cost.saturating_add(out_outside[id]))
                .min(upper);
            if lower < upper {
                least.push((id, lower));
            }
            inclusive.push(upper);
        }
        Costs {
            inclusive,
            least,
            calls_into: self.calls_into,
        }
    }
}

/// What [`Graph::into_costs`] computes.
struct Costs {
    /// Inclusive cost per function: exact, or an upper bound.
    inclusive: Vec<u64>,
    /// (function, least inclusive cost) where `inclusive` is only a bound.
    least: Vec<(usize, u64)>,
    /// Σ calls= into each function.
    calls_into: Vec<u64>,
}

/// A graph of `n` nodes in compressed rows: the edges of node `i` are
/// `targets[start[i]..start[i + 1]]`, in the order `edges` gives them.
fn adjacency(n: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n + 1];
    for (caller, _) in edges.clone() {
        start[caller as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut targets = vec![0u32; start[n]];
    let mut fill = start[..n].to_vec();
    for (caller, callee) in edges {
        let slot = &mut fill[caller as usize];
        targets[*slot] = callee;
        *slot += 1;
    }
    (start, targets)
}

/// Tarjan's algorithm without recursion (call chains can be long): the
/// component index of every node of a graph in compressed rows, `start.len()
/// - 1` nodes (below 2^32), the edges of node `i` leading to
///   `target(k)` for `k` in `start[i]..start[i + 1]`. Self-loops do not matter
///   here; the component indices are only good for telling components apart.
pub(crate) fn strongly_connected(start: &[usize], target: impl Fn(usize) -> usize) -> Vec<u32> {
    let n = start.len().saturating_sub(1);
    const UNVISITED: u32 = u32::MAX;
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNVISITED; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut work: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut next_component = 0u32;
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        work.push((root as u32, start[root]));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut cursor)) = work.last_mut() {
            let node = node as usize;
            if *cursor < start[node + 1] {
                let to = target(*cursor);
                *cursor += 1;
                if index[to] == UNVISITED {
                    index[to] = next_index;
                    low[to] = next_index;
                    next_index += 1;
                    stack.push(to as u32);
                    on_stack[to] = true;
                    work.push((to as u32, start[to]));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                let parent = parent as usize;
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    let member = member as usize;
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// The unit of an event, and how many of it make a second for time units.
fn unit_of(event: &str, producer: Option<&str>) -> (Unit, Option<f64>) {
    let per_second = match event.to_ascii_lowercase().as_str() {
        "ns" | "nsec" | "nanosecond" | "nanoseconds" => Some(1e9),
        "us" | "usec" | "µs" | "μs" | "microsecond" | "microseconds" => Some(1e6),
        "ms" | "msec" | "millisecond" | "milliseconds" => Some(1e3),
        "s" | "sec" | "second" | "seconds" => Some(1.0),
        // yappi writes int(seconds * 1e6) of its clock as "Ticks".
        "ticks" if producer == Some("yappi") => Some(1e6),
        _ => None,
    };
    match per_second {
        Some(per_second) => (Unit::Seconds, Some(per_second)),
        // What profdiff's writer calls sample counts.
        None if event == "samples" => (Unit::Samples, None),
        None => (Unit::Event(event.to_string()), None),
    }
}

/// Splits the line a producer put into a name: yappi's `name FILE:LINE`, or
/// pyprof2calltree's `name:LINE` when LINE is also the function's position.
fn split_name<'n>(name: &'n str, file: Option<&str>, line: Option<u64>) -> (&'n str, Option<u64>) {
    let Some(file) = file else {
        return (name, line);
    };
    let Some((head, suffix)) = name.rsplit_once(':') else {
        return (name, line);
    };
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return (name, line);
    }
    let Some(number) = parse_decimal(suffix.as_bytes()) else {
        return (name, line);
    };
    if let Some(bare) = head.strip_suffix(file).and_then(|h| h.strip_suffix(' ')) {
        if !bare.is_empty() {
            return (bare, Some(number));
        }
    }
    if line == Some(number) && !head.is_empty() {
        return (head, line);
    }
    (name, line)
}

/// Whitespace-separated tokens of a line.
struct Tokens<'a>(&'a [u8]);

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
fn subposition(token: &[u8], last: u64, number: u64) -> Result<u64, ParseError> {
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

fn parse_decimal(digits: &[u8]) -> Option<u64> {
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

fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        value = (value << 4) | u64::from((b as char).to_digit(16)?);
    }
    Some(value)
}

fn binary(number: u64) -> ParseError {
    ParseError::at_line(number, "NUL byte: binary data, not a callgrind text file")
}

fn bad_number(number: u64, what: &str, token: &[u8]) -> ParseError {
    let message = if token.contains(&0) {
        format!("NUL byte where a {what} was expected: binary data?")
    } else {
        format!("bad {what} {:?}", preview(token))
    };
    ParseError::at_line(number, message)
}

/// The start of a line for an error message.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]);
    let mut text = text.into_owned();
    if bytes.len() > 60 {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Profile, ParseError> {
        parse(
            text.as_bytes(),
            "test.callgrind",
            &CallgrindOptions::default(),
        )
    }

    fn parse_ok(text: &str) -> Profile {
        parse_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn function<'p>(profile: &'p Profile, name: &str) -> &'p Function {
        let mut found = profile.functions.iter().filter(|f| f.name == name);
        let function = found.next().unwrap_or_else(|| panic!("no function {name}"));
        assert!(found.next().is_none(), "several functions named {name}");
        function
    }

    fn error_line(text: &str) -> (u64, String) {
        let error = parse_str(text).expect_err("must fail");
        match error.position {
            crate::error::Position::Line(line) => (line, error.message),
            other => panic!("expected a line, got {other}"),
        }
    }

    #[test]
    fn subpositions_absolute_relative_same_and_hex() {
        assert_eq!(subposition(b"17", 5, 1).unwrap(), 17);
        assert_eq!(subposition(b"+3", 5, 1).unwrap(), 8);
        assert_eq!(subposition(b"-3", 5, 1).unwrap(), 2);
        assert_eq!(subposition(b"*", 5, 1).unwrap(), 5);
        assert_eq!(subposition(b"0x1f", 5, 1).unwrap(), 31);
        assert_eq!(subposition(b"0xffffffffffffffff", 0, 1).unwrap(), u64::MAX);
        for bad in [
            &b"-6"[..],
            b"+x",
            b"**",
            b"0x",
            b"0x1ffffffffffffffff",
            b"1e3",
            b"-",
        ] {
            assert!(
                subposition(bad, 5, 9).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(subposition(b"+1", u64::MAX, 1).is_err());
    }

    #[test]
    fn relative_positions_give_the_function_line() {
        // Lines 10, then +2 = 12, then * = 12, then -5 = 7: the line of the
        // first cost line is the function's.
        let profile = parse_ok("events: Ir\nfl=a.c\nfn=f\n10 1\n+2 2\n* 3\n-5 4\nfn=g\n+1 5\n");
        let f = function(&profile, "f");
        assert_eq!((f.line, f.self_cost), (Some(10), 10.0));
        // The position base carries over into the next function: 7 + 1.
        assert_eq!(function(&profile, "g").line, Some(8));
    }

    #[test]
    fn instr_and_line_positions() {
        let text = "positions: instr line\nevents: Ir Dr\nfl=a.c\nfn=f\n0x400 3 5 1\n+4 +1 7\n\
                    cfn=g\ncalls=2 0x500 20\n* * 9 2\nfn=g\n0x500 20 4\n";
        let profile = parse_ok(text);
        let f = function(&profile, "f");
        assert_eq!(
            (f.line, f.self_cost, f.inclusive_cost),
            (Some(3), 12.0, 21.0)
        );
        let g = function(&profile, "g");
        assert_eq!((g.line, g.calls, g.self_cost), (Some(20), Some(2), 4.0));
    }

    #[test]
    fn compressed_ids_have_one_space_per_kind() {
        // (1) is a file, a function and an object at the same time; cfi= and
        // fl= share the file table, cfn= and fn= the function table.
        let text =
            "events: Ir\nob=(1) /bin/x\nfl=(1) a.c\nfn=(1) main\n1 5\ncfi=(2) b.c\ncfn=(2) g\n\
                    calls=1 1\n1 7\nfl=(2)\nfn=(2)\n1 7\nfl=(1)\nfn=(1)\n2 1\n";
        let profile = parse_ok(text);
        assert_eq!(profile.functions.len(), 2);
        let main = function(&profile, "main");
        assert_eq!(main.file.as_deref(), Some("a.c"));
        assert_eq!(main.object.as_deref(), Some("/bin/x"));
        assert_eq!(main.self_cost, 6.0);
        let g = function(&profile, "g");
        assert_eq!(g.file.as_deref(), Some("b.c"));
        assert_eq!(g.object.as_deref(), Some("/bin/x"));
        assert_eq!((g.calls, g.self_cost), (Some(1), 7.0));
    }

    #[test]
    fn unknown_compressed_id_is_an_error_at_its_line() {
        let (line, message) = error_line("events: Ir\nfl=(1) a.c\nfn=(42)\n1 1\n");
        assert_eq!(line, 3);
        assert!(message.contains("(42)"), "{message}");
        // An id defined as a file is not a function.
        let (line, _) = error_line("events: Ir\nfl=(1) a.c\nfn=(1)\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn call_target_does_not_move_the_position_base() {
        // FORMATS.md §3: after line 5, `calls=1 -3` targets line 2 and the
        // next `* 2827` is still line 5.
        let text = "events: Ir\nfl=t.c\nfn=main\n5 3\ncfn=callee\ncalls=1 -3\n* 2827\n* 1\nfn=callee\n2 2827\n";
        let profile = parse_ok(text);
        let main = function(&profile, "main");
        assert_eq!((main.self_cost, main.inclusive_cost), (4.0, 2831.0));
        let callee = function(&profile, "callee");
        assert_eq!((callee.line, callee.calls), (Some(2), Some(1)));
        let edge = &profile.edges[0];
        assert_eq!(
            (edge.calls(), edge.inclusive_cost()),
            (Some(1), Some(2827.0))
        );
    }

    #[test]
    fn cfn_cfi_cob_apply_to_the_next_call_only() {
        let text = "events: Ir\nob=main.bin\nfl=a.c\nfn=f\n1 1\n\
                    cob=libc.so\ncfi=b.c\ncfn=g\ncalls=1 0\n1 10\n\
                    cfn=h\ncalls=1 0\n1 20\n";
        let profile = parse_ok(text);
        let g = function(&profile, "g");
        assert_eq!(
            (g.object.as_deref(), g.file.as_deref()),
            (Some("libc.so"), Some("b.c"))
        );
        // h: back to the caller's object and the current file.
        let h = function(&profile, "h");
        assert_eq!(
            (h.object.as_deref(), h.file.as_deref()),
            (Some("main.bin"), Some("a.c"))
        );
        // A calls= needs its own cfn=.
        let (line, message) =
            error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n1 1\ncalls=1 0\n1 1\n");
        assert_eq!(line, 6);
        assert!(message.contains("cfn="), "{message}");
    }

    #[test]
    fn a_cfn_without_calls_is_superseded() {
        // callgrind writes cfn= for zero-cost calls and no calls= after it.
        let text = "events: Ir\nfl=a.c\nfn=f\ncfi=x.h\ncfn=zero\n1 1\ncfn=g\ncalls=1 0\n1 5\n";
        let profile = parse_ok(text);
        assert!(profile.functions.iter().all(|f| f.name != "zero"));
        assert_eq!(function(&profile, "g").file.as_deref(), Some("a.c"));
    }

    #[test]
    fn calls_without_a_cost_line() {
        let (line, message) = error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\nfn=h\n1 1\n");
        assert_eq!(line, 5);
        assert!(message.contains("line 4"), "{message}");
        // Comments and blank lines may sit in between.
        parse_ok("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n\n# hm\n1 1\n");
        // At the end of the file the calls= line is named.
        assert_eq!(error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n").0, 4);
    }

    #[test]
    fn missing_trailing_costs_are_zero_and_extra_costs_an_error() {
        let text = "events: Ir Dr Dw\nfn=f\n1 5\n2 1 2 3\n3\n";
        let by_event = |metric: &str| {
            let options = CallgrindOptions {
                metric: Some(metric.to_string()),
            };
            parse(text.as_bytes(), "x", &options).unwrap().functions[0].self_cost
        };
        assert_eq!(
            (by_event("Ir"), by_event("Dr"), by_event("Dw")),
            (6.0, 2.0, 3.0)
        );
        let (line, message) = error_line("events: Ir Dr\nfn=f\n1 1 2 3\n");
        assert_eq!(line, 3);
        assert!(message.contains("3 costs"), "{message}");
    }

    #[test]
    fn unknown_metric_lists_the_events() {
        let options = CallgrindOptions {
            metric: Some("Bc".to_string()),
        };
        let error = parse(b"events: Ir Dr\nfn=f\n1 1\n", "x", &options).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(1));
        assert!(error.message.contains("Ir, Dr"), "{}", error.message);
    }

    #[test]
    fn parts_are_summed_and_may_redefine_ids() {
        let text = "events: Ir\npart: 1\nfl=(1) a.c\nfn=(1) f\n1 5\ncfn=(2) g\ncalls=1 1\n1 3\nfn=(2)\n1 3\ntotals: 11\n\
                    part: 2\nevents: Ir\nfl=(1) a.c\nfn=(2) f\n1 7\nfn=(1) g\n1 2\ntotals: 9\n";
        let profile = parse_ok(text);
        assert_eq!(profile.functions.len(), 2);
        assert_eq!(function(&profile, "f").self_cost, 12.0);
        assert_eq!(function(&profile, "g").self_cost, 5.0);
        assert_eq!(profile.total_cost(), 17.0);
        assert!(profile.meta.notes.iter().any(|n| n.contains("2 parts")));
        // The totals (11 + 9 = 20) disagree with the functions (17): noted.
        assert!(profile.meta.notes.iter().any(|n| n.contains("20")));
    }

    #[test]
    fn a_part_starts_without_a_current_function() {
        let (line, message) = error_line("events: Ir\nfn=f\n1 1\npart: 2\n1 1\n");
        assert_eq!(line, 5);
        assert!(message.contains("fn="), "{message}");
    }

    #[test]
    fn uncompressed_names() {
        let text = "events: Ir\nob=/bin/x\nfl=/src/a b.c\nfn=(below main)\n0 1\ncfl=/src/a b.c\ncfn=main\ncalls=1 3\n0 4\nfn=main\n3 4\n";
        let profile = parse_ok(text);
        let below = function(&profile, "(below main)");
        assert_eq!(below.file.as_deref(), Some("/src/a b.c"));
        assert_eq!(below.inclusive_cost, 5.0);
        assert_eq!(function(&profile, "main").calls, Some(1));
    }

    #[test]
    fn unknown_file_and_object_are_none() {
        let profile = parse_ok("events: Ir\nob=???\nfl=???\nfn=0x1130\n0 12\n");
        let f = &profile.functions[0];
        assert_eq!(
            (f.file.as_ref(), f.object.as_ref(), f.line),
            (None, None, None)
        );
        assert_eq!(f.kind, FunctionKind::Builtin);
    }

    #[test]
    fn inlined_lines_stay_with_their_function() {
        // Costs after fi= belong to f; the line comes from f's own file; a
        // call without cfi= from inside the inlined code targets that file.
        let text = "events: Ir\nfl=(1) a.c\nfn=(1) f\nfi=(2) a.h\n40 5\ncfn=(2) g\ncalls=1 7\n41 2\nfe=(1)\n10 1\n";
        let profile = parse_ok(text);
        let f = function(&profile, "f");
        assert_eq!(
            (f.self_cost, f.line, f.file.as_deref()),
            (6.0, Some(10), Some("a.c"))
        );
        assert_eq!(function(&profile, "g").file.as_deref(), Some("a.h"));
    }

    #[test]
    fn context_suffixes_are_kept_apart() {
        let text = "events: Ir\nfl=f.c\nfn=main\n1 1\ncfn=fib\ncalls=1 2\n1 30\nfn=fib\n2 5\ncfn=fib'2\ncalls=2 2\n2 25\n\
                    fn=fib'2\n2 25\ncfn=fib'2\ncalls=4 2\n2 12\n";
        let profile = parse_ok(text);
        let fib = function(&profile, "fib");
        let fib2 = function(&profile, "fib'2");
        assert_eq!((fib.calls, fib.inclusive_cost), (Some(1), 30.0));
        // fib'2 calls itself: true inclusive is what fib's calls brought in,
        // not callgrind_annotate's 25 + 12.
        assert_eq!(
            (fib2.calls, fib2.self_cost, fib2.inclusive_cost),
            (Some(6), 25.0, 25.0)
        );
    }

    #[test]
    fn inclusive_rule_for_mutual_recursion() {
        // main -> even -> odd -> even -> odd; edges carry callgrind's
        // per-call inclusive costs (nested calls counted again).
        let text = "events: Ir\nfl=p.c\nfn=main\n1 1\ncfn=even\ncalls=1 2\n1 10\n\
                    fn=even\n2 3\ncfn=odd\ncalls=2 3\n2 11\n\
                    fn=odd\n3 4\ncfn=even\ncalls=1 2\n3 5\n";
        let profile = parse_ok(text);
        assert_eq!(function(&profile, "main").inclusive_cost, 11.0);
        // Entered through even: exact.
        assert_eq!(function(&profile, "even").inclusive_cost, 10.0);
        // odd: min(11 from even, 10 for the whole cycle).
        assert_eq!(function(&profile, "odd").inclusive_cost, 10.0);
        assert!(profile
            .meta
            .notes
            .iter()
            .any(|n| n.contains("mutual recursion")));
    }

    #[test]
    fn python_names_carry_their_line() {
        // pyprof2calltree: `name:LINE` only when it is also the position.
        let text = "event: ns : Nanoseconds\nevents: ns\nsummary: 9\nfl=a.py\nfn=__init__:33\n33 1000\n\
                    fl=a.py\nfn=__init__:42\n42 2000\nfl=a.py\nfn=odd:7\n3 1\nfl=~\nfn=<built-in method builtins.len>\n0 5\n";
        let profile = parse_ok(text);
        let lines: Vec<(&str, Option<u32>)> = profile
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.line))
            .collect();
        assert_eq!(
            lines,
            [
                ("__init__", Some(33)),
                ("__init__", Some(42)),
                ("odd:7", Some(3)),
                ("<built-in method builtins.len>", Some(0))
            ]
        );
        assert_eq!(profile.functions[3].kind, FunctionKind::Builtin);
        assert_eq!(profile.meta.unit, Unit::Seconds);
        assert_eq!(profile.meta.precision, Some(1e-9));
        assert_eq!(profile.meta.producer.as_deref(), Some("pyprof2calltree"));
        assert_eq!(profile.functions[0].self_cost, 1e-6);
        // yappi: `name FILE:LINE`, Ticks are microseconds.
        let yappi = "version: 1\ncreator: yappi\nevents: Ticks\nfl=(1) /r.py\nfn=(1) Point.__init__ /r.py:33\n\
                     fl=(1)\nfn=(1)\n33 7\n";
        let profile = parse_ok(yappi);
        let f = &profile.functions[0];
        assert_eq!(
            (f.name.as_str(), f.line, f.self_cost),
            ("Point.__init__", Some(33), 7e-6)
        );
        assert_eq!(profile.meta.unit, Unit::Seconds);
    }

    #[test]
    fn definitions_without_costs_make_no_functions() {
        // yappi defines every id up front, each fn= after the last fl=.
        let text = "events: Ticks\nfl=(1) a.py\nfl=(2) b.py\nfn=(1) f a.py:1\nfn=(2) g b.py:2\n\nfl=(1)\nfn=(1)\n1 4\n";
        let profile = parse_ok(text);
        assert_eq!(profile.functions.len(), 1);
        assert_eq!(profile.functions[0].file.as_deref(), Some("a.py"));
        assert_eq!(profile.meta.unit, Unit::Event("Ticks".to_string()));
    }

    #[test]
    fn units() {
        for (event, per_second) in [
            ("ns", 1e9),
            ("Nanoseconds", 1e9),
            ("us", 1e6),
            ("ms", 1e3),
            ("s", 1.0),
        ] {
            assert_eq!(
                unit_of(event, None),
                (Unit::Seconds, Some(per_second)),
                "{event}"
            );
        }
        assert_eq!(unit_of("Ir", None), (Unit::Event("Ir".to_string()), None));
        assert_eq!(unit_of("samples", None), (Unit::Samples, None));
        assert_eq!(
            unit_of("Ticks", None),
            (Unit::Event("Ticks".to_string()), None)
        );
        assert_eq!(unit_of("Ticks", Some("yappi")), (Unit::Seconds, Some(1e6)));
    }

    #[test]
    fn profdiff_root_is_dropped_only_for_profdiff_files() {
        let body = "events: ns\nfl=(1) ???\nfn=(1) (root)\n0 0\ncfi=(2) ~\ncfn=(2) exec\ncalls=1 0\n0 50\n\
                    fl=(2)\nfn=(2)\n0 50\n";
        let ours = parse_ok(&format!("creator: profdiff 0.1.0\n{body}"));
        assert_eq!(ours.functions.len(), 1);
        assert!(ours.edges.is_empty());
        let exec = &ours.functions[0];
        assert_eq!((exec.calls, exec.inclusive_cost), (Some(1), 50e-9));
        let theirs = parse_ok(&format!("creator: someone\n{body}"));
        assert_eq!(theirs.functions.len(), 2);
        assert_eq!(theirs.edges.len(), 1);
        // A (root) that is called is an ordinary function.
        let called = parse_ok(&format!(
            "creator: profdiff 0.1.0\n{body}cfi=(1)\ncfn=(1)\ncalls=1 0\n0 1\n"
        ));
        assert_eq!(called.functions.len(), 2);
        assert_eq!(called.edges.len(), 2);
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let cases: &[(&str, u64, &str)] = &[
            ("events: Ir\nfn=f\n3 12x\n", 3, "bad cost"),
            ("events: Ir\nfn=f\n3 -1\n", 3, "bad cost"),
            ("events: Ir\nfn=f\n1 99999999999999999999\n", 3, "bad cost"),
            ("events: Ir\nfn=f\ncfn=g\ncalls=x 1\n", 4, "bad call count"),
            ("events: Ir\n1 1\n", 2, "fn="),
            ("fn=f\n1 1\n", 2, "events:"),
            (
                "events: Ir\nfn=f\n\u{1}\u{2}garbage\n",
                3,
                "not a callgrind line",
            ),
            ("events: Ir\nfn=f\nfl=a\0b\n", 3, "NUL"),
            ("events: Ir\nfn=f\n1 2\0\n", 3, "NUL"),
            ("version: 2\nevents: Ir\n", 1, "version 2"),
            ("events:\n", 1, "no events"),
            ("positions: line column\nevents: Ir\n", 1, "column"),
            ("events: Ir\nfn=(12\n", 2, "unterminated"),
            (
                "events: Ir\nfn=f\ncfn=g\ncalls=1 1 2\n1 1\n",
                4,
                "target positions",
            ),
            ("# callgrind format\n# only comments\n", 2, "no events"),
        ];
        for (text, line, needle) in cases {
            let (got_line, message) = error_line(text);
            assert_eq!(
                (got_line, message.contains(needle)),
                (*line, true),
                "{text:?}: {message}"
            );
        }
        assert_eq!(error_line("").0, 1);
    }

    #[test]
    fn overlong_line_is_refused() {
        let mut text = b"events: Ir\nfn=".to_vec();
        text.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
        let error = parse(&text, "x", &CallgrindOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(2));
    }

    #[test]
    fn crlf_and_non_utf8_names() {
        let profile = parse_ok("events: Ir\r\nfl=caf\u{e9}.c\r\nfn=f\r\n1 2\r\n");
        assert_eq!(profile.functions[0].file.as_deref(), Some("café.c"));
        let bytes = b"events: Ir\nfn=caf\xe9\n1 2\n";
        let profile = parse(bytes, "x", &CallgrindOptions::default()).unwrap();
        assert_eq!(profile.functions[0].name, "caf\u{fffd}");
    }

    #[test]
    fn detection() {
        assert!(detect(b"# callgrind format\nversion: 1\n"));
        assert!(detect(
            b"event: ns : Nanoseconds\nevents: ns\nsummary: 5\nfl=a.py\nfn=f\n1 5\n"
        ));
        assert!(detect(b"version: 1\ncreator: yappi\npid: 1\ncmd:  x\npart: 1\n\nevents: Ticks\n\nfl=(0) a.py\n"));
        assert!(!detect(b""));
        assert!(!detect(b"{\"events\": 1}\n"));
        assert!(!detect(b"\xfb)\x03\xfa\x07prog.py\xe9\x11\x00\x00\x00"));
        assert!(!detect(b"main;f;g 10\nmain;h 5\n"));
        // events: alone, or spec lines before it, is not enough.
        assert!(!detect(b"events: Ir\n"));
        assert!(!detect(b"fn=f\nevents: Ir\nfl=a\n"));
        assert!(!detect(b"events: Ir\nfn=f\n\0"));
    }

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn reading_in_chunks_gives_what_parsing_bytes_gives() {
        let mut long_line = b"events: Ir\nfn=f\n1 1\nfn=".to_vec();
        long_line.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
        long_line.extend_from_slice(b"\n1 1\n");
        let mut longest_allowed = b"events: Ir\nfn=".to_vec();
        longest_allowed.extend(std::iter::repeat_n(b'b', MAX_LINE_BYTES - 3));
        longest_allowed.extend_from_slice(b"\n1 1");
        let texts: Vec<Vec<u8>> = [
            "",
            "events: Ir\nfl=a.c\nfn=f\n10 1\n+2 2\ncfn=g\ncalls=1 3\n* 4\nfn=g\n3 4",
            "events: Ir\r\nfl=(1) a.c\r\nfn=(1) f\r\n1 2\r\n\r\n",
            "events: Ir\nfn=f\n3 12x\n",
            "events: Ir\nfn=f\ncfn=g\ncalls=1 0\n",
            "events: Ir\nfn=f\n1 2\0\n",
            "version: 1\ncreator: profdiff 0.1.0\nevents: ns\nfl=(1) ???\nfn=(1) (root)\n0 0\n\
             cfi=(2) ~\ncfn=(2) exec\ncalls=1 0\n0 50\nfl=(2)\nfn=(2)\n0 50\n",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .chain([long_line, longest_allowed])
        .collect();
        let options = CallgrindOptions::default();
        for text in &texts {
            let expected = format!("{:?}", parse(text, "x", &options));
            for step in [1, 2, 7, 4096, usize::MAX] {
                let mut reader = Trickle { bytes: text, step };
                let got = parse_reader(&mut reader, "x", &options).unwrap();
                assert_eq!(format!("{got:?}"), expected, "step {step}");
            }
        }
        // The reader's own errors come out as they are.
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        assert!(parse_reader(&mut Broken, "x", &options).is_err());
    }

    #[test]
    fn calls_spread_over_several_blocks_make_one_edge() {
        // f's calls to g come in three stretches, between which h calls g
        // and f calls k: one f→g edge with the sums, in order of first
        // appearance. Many stretches also make the edge list compact while
        // parsing (COMPACT_EDGES is small in tests).
        let mut text = String::from("events: Ir\nfl=a.c\n");
        for round in 0..40 {
            text.push_str("fn=f\n1 1\ncfn=g\ncalls=2 5\n1 10\ncfn=k\ncalls=1 6\n1 1\n");
            text.push_str("cfn=g\ncalls=1 5\n1 3\n");
            if round % 2 == 0 {
                text.push_str("fn=h\n2 1\ncfn=g\ncalls=1 5\n2 7\n");
            }
        }
        text.push_str("fn=g\n5 13\n");
        let profile = parse_ok(&text);
        let name = |id: usize| profile.functions[id].name.as_str();
        let edges: Vec<(&str, &str, Option<u64>, Option<f64>)> = profile
            .edges
            .iter()
            .map(|e| {
                (
                    name(e.caller),
                    name(e.callee),
                    e.calls(),
                    e.inclusive_cost(),
                )
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("f", "g", Some(120), Some(520.0)),
                ("f", "k", Some(40), Some(40.0)),
                ("h", "g", Some(20), Some(140.0)),
            ]
        );
        assert_eq!(function(&profile, "g").calls, Some(140));
        assert_eq!(function(&profile, "f").self_cost, 40.0);
    }

    #[test]
    fn many_uncompressed_names_and_odd_bytes() {
        // More names than the name cache starts with (it grows), each
        // written out in full many times, as pyprof2calltree does.
        let mut text = String::from("events: ns\n");
        for caller in 0..300 {
            text.push_str(&format!(
                "fl=/src/m{}.py\nfn=f{caller}\n{caller} 1\n",
                caller % 7
            ));
            for callee in [(caller + 1) % 300, (caller * 7) % 300] {
                text.push_str(&format!(
                    "cfl=/src/m{}.py\ncfn=f{callee}\ncalls=1 {callee}\n{caller} 2\n",
                    callee % 7
                ));
            }
        }
        let profile = parse_ok(&text);
        assert_eq!(profile.functions.len(), 300);
        assert_eq!(profile.edges.len(), 600);
        for (id, f) in profile.functions.iter().enumerate() {
            assert_eq!(f.name, format!("f{id}"));
            assert_eq!(f.file, Some(format!("/src/m{}.py", id % 7)));
            assert_eq!(f.line, Some(id as u32));
        }
        // Two spellings that are not UTF-8 and decode alike are one name,
        // as they read the same (and each is looked up again later).
        let bytes = b"events: Ir\nfn=caf\xe9\n1 2\nfn=caf\xff\n1 3\nfn=caf\xe9\n1 4\n";
        let profile = parse(bytes, "x", &CallgrindOptions::default()).unwrap();
        assert_eq!(profile.functions.len(), 1);
        assert_eq!(profile.functions[0].self_cost, 9.0);
    }

    #[test]
    fn newline_search_agrees_with_a_plain_scan() {
        let text = b"ab\ncdefghijklmnop\nq\x8a\n\n0123456789abcdef0123\n\xff\xfe\x0a";
        for start in 0..text.len() {
            let slice = &text[start..];
            assert_eq!(
                find_newline(slice),
                slice.iter().position(|&b| b == b'\n'),
                "{start}"
            );
        }
        assert_eq!(find_newline(b"no newline at all here"), None);
    }

    #[test]
    fn tokens_split_on_any_whitespace() {
        let tokens: Vec<&[u8]> = Tokens(b"  1\t+2  * ").collect();
        assert_eq!(tokens, [&b"1"[..], b"+2", b"*"]);
    }

    #[test]
    fn name_splitting() {
        assert_eq!(split_name("f:12", Some("a.py"), Some(12)), ("f", Some(12)));
        assert_eq!(
            split_name("f:12", Some("a.py"), Some(13)),
            ("f:12", Some(13))
        );
        assert_eq!(split_name("f:12", None, Some(12)), ("f:12", Some(12)));
        assert_eq!(
            split_name("f /a.py:7", Some("/a.py"), Some(0)),
            ("f", Some(7))
        );
        assert_eq!(
            split_name("std::f", Some("a.cc"), Some(3)),
            ("std::f", Some(3))
        );
        assert_eq!(split_name(":12", Some("a.py"), Some(12)), (":12", Some(12)));
    }
}
