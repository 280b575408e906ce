//! pstats text: what `python -m cProfile script.py` and
//! `pstats.Stats.print_stats()` print (docs/formats.md §2), also when it was
//! logged and comes back out of CloudWatch with log prefixes on its lines.
//!
//! ```text
//!          149 function calls (24 primitive calls) in 0.000 seconds
//!
//!    Ordered by: cumulative time
//!    List reduced from 16 to 5 due to restriction <5>
//!
//!    ncalls  tottime  percall  cumtime  percall filename:lineno(function)
//!     123/3    0.000    0.000    0.000    0.000 prog.py:4(fib)
//!         1    0.000    0.000    0.000    0.000 {built-in method builtins.exec}
//! ```
//!
//! Choices, and why:
//!
//! - **Rows are read by token, not by column.** A count wider than the
//!   column pushes the rest right, and logs may mangle spacing. pstats leaves
//!   the first percall blank exactly when `nc == 0` and the second when
//!   `cc == 0`, so the ncalls column says how many numbers follow; the rest
//!   of the line, spaces and parentheses included, is the name.
//! - **Names are turned back into pstats keys**, so a text and a binary
//!   dump of the same run produce the same functions: `{…}` is a cProfile
//!   builtin `("~", 0, "<…>")`; `file:line(name)` is split at the *last*
//!   `:digits(` (Windows paths have `C:\`, names such as
//!   `<method 'get' of 'dict' objects>` have spaces); `:0(len)` is a
//!   `profile`-module builtin `("", 0, "len")`; `profile:0(…)` is synthetic.
//! - **Log prefixes** are stripped line by line, since a logged message
//!   often carries a prefix only on its first line: CloudWatch's
//!   `2026-11-26T05:47:22.123Z\t<request-id>\tINFO\t` and the Lambda Python
//!   runtime's `[INFO]\t2026-11-26T05:47:22.123Z\t<request-id>\t` always; a
//!   user's regex (matching at the start of a line) before those. Other log
//!   lines (Lambda's `START`/`END`/`REPORT`) are ignored outside the table
//!   and end it inside. A prefixed line that is not a row also ends the
//!   table (it is the next log record); an unprefixed one is an error with
//!   its line number. A table cut short that way shows up in the note that
//!   compares the rows with the header's call counts.
//! - **Other output before the table is skipped.** `python -m cProfile
//!   app.py > out.txt` holds whatever the program printed, then the stats;
//!   lines before the first stats header (or `ncalls` table header) are
//!   ignored. [`find_table_start`] finds that line in a large input without
//!   decoding every line, so a reader can drop what comes before it.
//! - **Totals are the header's.** `N function calls (M primitive calls) in
//!   T seconds` counts the whole profile, while the rows are rounded to the
//!   text's precision and `print_stats(n)` lists only some of them; so the
//!   header's numbers become [`Profile::declared`] (M = N when the header
//!   has no primitive count, i.e. no recursion). Without a header the totals
//!   are the rows' sums.
//! - **One stats block per input.** A log may hold one block per invocation.
//!   Silently adding them up would be wrong and refusing would be unhelpful,
//!   so the first block is read (rows and totals: the header nearest above
//!   its table) and a note says how many more there were.
//! - **Precision** is that of the text (0.001 s for `%8.3f`, and the
//!   header's `%.3f`), recorded in [`ProfileMeta::precision`] so comparisons
//!   do not report rounding.
//! - `List reduced from A to B` (a restricted `print_stats(n)`) is recorded as
//!   a note: the functions not listed are missing, not absent.
//! - No caller edges: `print_callers` sections after the table are skipped.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::LazyLock;

use regex::Regex;
use rustc_hash::FxHashMap;

use crate::error::ParseError;
use crate::model::{DeclaredTotals, Format, Function, FunctionKind, Profile, ProfileMeta, Unit};

mod numbers;

use numbers::{parse_time, parse_u64};

/// Options for reading pstats text.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// Extra log prefix to strip (`--strip-log-prefix REGEX`): where it
    /// matches at the start of a line, the match is removed. It is tried
    /// before the built-in CloudWatch and Lambda patterns. Default: `None`.
    pub strip_log_prefix: Option<Regex>,
}

/// CloudWatch: `2026-11-26T05:47:22.123Z<TAB>request-id<TAB>INFO<TAB>`.
const CLOUDWATCH_PREFIX: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\t[^\t]*\t(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\t";

/// Lambda Python runtime logging: `[INFO]<TAB>2026-…Z<TAB>request-id<TAB>`.
const LAMBDA_PREFIX: &str = r"^\[(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\]\t\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\t[^\t]*\t";

/// True when a line of `bytes` (possibly a prefix of the input; log
/// prefixes allowed) is the `N function calls … in X seconds` header or the
/// `ncalls  tottime …` table header.
pub fn detect(bytes: &[u8]) -> bool {
    find_table_start(bytes).is_some()
}

/// The byte offset where the first line that starts a stats block begins:
/// the `N function calls … in X seconds` header or the `ncalls  tottime …`
/// table header (log prefixes allowed). Everything before it is, to
/// [`parse`], other output and is skipped, so a reader may drop it.
///
/// `python -m cProfile app.py > out.txt` prints the program's own output
/// first, which can be megabytes, so this runs over whole inputs: a literal
/// search (memchr-fast, inside `regex`) finds the few lines that can match
/// before any line is decoded.
pub fn find_table_start(bytes: &[u8]) -> Option<usize> {
    static CANDIDATE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
        regex::bytes::Regex::new("function calls|ncalls").expect("literal pattern")
    });
    let prefixes = Prefixes::new(None);
    let mut from = 0;
    while let Some(found) = CANDIDATE.find_at(bytes, from) {
        let start = bytes[..found.start()]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let end = bytes[found.end()..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| found.end() + at);
        let text = String::from_utf8_lossy(&bytes[start..end]);
        let (line, _) = prefixes.strip(text.trim_end_matches('\r'));
        if parse_header(line).is_some() || is_table_header(line) {
            return Some(start);
        }
        from = end;
    }
    None
}

/// Parses pstats text. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &TextOptions) -> Result<Profile, ParseError> {
    parse_from_line(bytes, path, options, 1)
}

/// [`parse`] for `bytes` that start at line `first_line` (1-based) of the
/// input, the lines before having been skipped (see [`find_table_start`]):
/// errors and notes give line numbers in the whole input.
pub fn parse_from_line(
    bytes: &[u8],
    path: &str,
    options: &TextOptions,
    first_line: u64,
) -> Result<Profile, ParseError> {
    let prefixes = Prefixes::new(options.strip_log_prefix.clone());
    // One UTF-8 check for the whole input rather than one per line, and no
    // copy when it is valid. The lines are the same as decoding each line on
    // its own: `\n` and `\r` are ASCII, so no replaced sequence spans them.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut reader = Reader::new(path);
    let mut line_no = first_line.saturating_sub(1);
    for raw in text.split('\n') {
        line_no += 1;
        let (line, prefixed) = prefixes.strip(raw.trim_end_matches('\r'));
        reader.line(line, prefixed, line_no)?;
    }
    reader.finish(line_no)
}

/// The built-in prefixes, compiled once per process. The patterns are
/// constants covered by tests: failing to compile them is a bug in this file,
/// not an input problem, hence the `expect`.
static BUILTIN_PREFIXES: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    let compile = |pattern| Regex::new(pattern).expect("built-in log prefix pattern");
    [compile(CLOUDWATCH_PREFIX), compile(LAMBDA_PREFIX)]
});

/// The log prefixes stripped from each line: the user's, then the built-in
/// ones. Shared with the import-time reader, whose lines come out of the
/// same logs.
pub(crate) struct Prefixes {
    user: Option<Regex>,
    builtin: &'static [Regex; 2],
}

impl Prefixes {
    pub(crate) fn new(user: Option<Regex>) -> Self {
        Prefixes {
            user,
            builtin: &BUILTIN_PREFIXES,
        }
    }

    /// The line without its log prefix, and whether it had one.
    pub(crate) fn strip<'l>(&self, line: &'l str) -> (&'l str, bool) {
        if let Some(user) = &self.user {
            if let Some(m) = user.find(line).filter(|m| m.start() == 0) {
                return (&line[m.end()..], true);
            }
        }
        // Both built-in prefixes start with `\d{4}-` or `[`; table rows start
        // with spaces (or, for wide counts, digits and no `-`), so the
        // regexes rarely run. `\d` is Unicode: only an ASCII non-digit among
        // the next three characters, or a fifth that is not `-`, rules it out.
        let may_have_prefix = match line.as_bytes() {
            [b'[', ..] => true,
            [first, rest @ ..] if first.is_ascii_digit() => {
                match rest.iter().take(3).position(|b| !b.is_ascii_digit()) {
                    Some(at) => !rest[at].is_ascii(),
                    None => rest.get(3) == Some(&b'-'),
                }
            }
            _ => false,
        };
        if may_have_prefix {
            for regex in self.builtin {
                if let Some(m) = regex.find(line) {
                    return (&line[m.end()..], true);
                }
            }
        }
        (line, false)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Header {
    calls: u64,
    /// `calls` when the header has no `(N primitive calls)` (no recursion).
    primitive: u64,
    seconds: f64,
    /// Decimals of `seconds` (pstats prints `%.3f`).
    decimals: usize,
}

/// `         149 function calls (24 primitive calls) in 0.000 seconds`.
fn parse_header(line: &str) -> Option<Header> {
    let line = line.trim();
    let (calls, rest) = line.split_once(' ')?;
    let calls: u64 = calls.parse().ok()?;
    let rest = rest.strip_prefix("function calls")?;
    let (primitive, rest) = match rest.strip_prefix(" (") {
        Some(inner) => {
            let (count, rest) = inner.split_once(" primitive calls)")?;
            (count.parse().ok()?, rest)
        }
        None => (calls, rest),
    };
    let seconds = rest.strip_prefix(" in ")?;
    let seconds = seconds
        .strip_suffix(" seconds")
        .or_else(|| seconds.strip_suffix(" CPU seconds"))?;
    let (seconds, decimals) = parse_time(seconds.trim())?;
    Some(Header {
        calls,
        primitive,
        seconds,
        decimals,
    })
}

/// Lines the Lambda platform writes between log records.
fn is_platform_line(line: &str) -> bool {
    [
        "START RequestId:",
        "END RequestId:",
        "REPORT RequestId:",
        "INIT_START ",
        "INIT_REPORT ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

fn is_table_header(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("ncalls")
        && words.next() == Some("tottime")
        && words.next() == Some("percall")
        && words.next() == Some("cumtime")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the table: header, sort order, restrictions.
    Seeking,
    Table,
    /// After the first table: only counting further blocks.
    After,
}

/// Row names to function indices.
///
/// Each name is hashed once, with std's keyed SipHash (the input chooses the
/// names, so a file crafted to collide must not make parsing quadratic), and
/// the map itself hashes that `u64` with FxHash. Owned `String` keys hashed
/// with SipHash on every lookup, insert and rehash were the largest cost of
/// parsing; this costs ~10% of the parse on long names (measured against
/// FxHash on the names).
type Ids<'t> = FxHashMap<NameKey<'t>, usize>;

/// A row name with its hash: growing the map rehashes the `u64`, not the
/// name.
#[derive(Debug, Clone, Copy)]
struct NameKey<'t> {
    hash: u64,
    name: &'t str,
}

impl PartialEq for NameKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.name == other.name
    }
}

impl Eq for NameKey<'_> {}

impl Hash for NameKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

struct Reader<'t> {
    profile: Profile,
    /// Keyed by the row's name as it appears in the input.
    ids: Ids<'t>,
    /// Hashes the names for `ids`.
    name_hasher: RandomState,
    state: State,
    header: Option<(Header, u64)>,
    reduced: Option<String>,
    table_line: Option<u64>,
    more_blocks: u64,
    duplicates: u64,
    unparsed_names: u64,
    /// Fewest decimals seen in a time column.
    decimals: Option<usize>,
    saw_profile_module: bool,
}

impl<'t> Reader<'t> {
    fn new(path: &str) -> Self {
        Reader {
            profile: Profile::new(ProfileMeta {
                path: path.to_string(),
                format: Format::PstatsText,
                unit: Unit::Seconds,
                precision: None,
                producer: None,
                notes: Vec::new(),
            }),
            ids: Ids::default(),
            name_hasher: RandomState::new(),
            state: State::Seeking,
            header: None,
            reduced: None,
            table_line: None,
            more_blocks: 0,
            duplicates: 0,
            unparsed_names: 0,
            decimals: None,
            saw_profile_module: false,
        }
    }

    /// Reads one line, its log prefix (if it had one, `prefixed`) stripped.
    fn line(&mut self, line: &'t str, prefixed: bool, line_no: u64) -> Result<(), ParseError> {
        match self.state {
            State::Seeking => {
                if let Some(header) = parse_header(line) {
                    self.header = Some((header, line_no));
                    self.reduced = None;
                } else if let Some(reduced) = parse_reduced(line) {
                    self.reduced = Some(reduced);
                } else if is_table_header(line) {
                    self.table_line = Some(line_no);
                    self.state = State::Table;
                }
            }
            State::Table => {
                if line.trim().is_empty() || is_platform_line(line) {
                    self.state = State::After;
                } else if let Err(error) = self.row(line, line_no) {
                    // A logged table may be followed directly by the next log
                    // record (the message's trailing blank lines trimmed):
                    // a prefixed line that is no row ends the table.
                    if !prefixed {
                        return Err(error);
                    }
                    self.state = State::After;
                }
            }
            State::After => {
                if parse_header(line).is_some() {
                    self.more_blocks += 1;
                }
            }
        }
        Ok(())
    }

    fn row(&mut self, line: &'t str, line_no: u64) -> Result<(), ParseError> {
        let row = parse_row(line).map_err(|message| ParseError::at_line(line_no, message))?;
        self.decimals = Some(self.decimals.map_or(row.decimals, |d| d.min(row.decimals)));
        let parts = parse_name(row.name);
        let kind = match &parts {
            Some(parts) => parts.kind,
            None => {
                self.unparsed_names += 1;
                FunctionKind::Source
            }
        };
        if kind == FunctionKind::Synthetic
            || (kind == FunctionKind::Builtin && parts.as_ref().and_then(|p| p.file) == Some(""))
        {
            self.saw_profile_module = true;
        }
        let calls = row.nc.max(row.cc);
        let primitive = row.nc.min(row.cc);
        let key = NameKey {
            hash: self.name_hasher.hash_one(row.name),
            name: row.name,
        };
        let slot = match self.ids.entry(key) {
            Entry::Occupied(entry) => {
                // strip_dirs() merges colliding rows itself, so this only
                // happens in hand-edited text; add up like pstats'
                // add_func_stats.
                self.duplicates += 1;
                let function = &mut self.profile.functions[*entry.get()];
                function.calls = function.calls.map(|c| c.saturating_add(calls));
                function.primitive_calls = function
                    .primitive_calls
                    .map(|c| c.saturating_add(primitive));
                function.self_cost += row.tottime;
                function.inclusive_cost += row.cumtime;
                return Ok(());
            }
            Entry::Vacant(slot) => slot,
        };
        slot.insert(self.profile.functions.len());
        // The only allocations per row: the two strings the model keeps.
        let mut function = match parts {
            Some(parts) => {
                let mut function = Function::new(parts.owned_name(), kind);
                function.file = parts.file.map(str::to_string);
                function.line = parts.line;
                function
            }
            None => Function::new(row.name, kind),
        };
        function.calls = Some(calls);
        function.primitive_calls = Some(primitive);
        function.self_cost = row.tottime;
        function.inclusive_cost = row.cumtime;
        self.profile.functions.push(function);
        Ok(())
    }

    fn finish(mut self, lines: u64) -> Result<Profile, ParseError> {
        let Some(table_line) = self.table_line else {
            let message = match self.header {
                Some((_, at)) => format!(
                    "found the `function calls` header on line {at} but no \
                     `ncalls  tottime  percall  cumtime  percall` table after it"
                ),
                None => "no pstats table found (expected `N function calls in X seconds` and \
                         an `ncalls  tottime …` table header)"
                    .to_string(),
            };
            return Err(ParseError::at_line(lines.max(1), message));
        };
        // What the rows add up to; the header's totals, when there is one,
        // become the profile's (`declared`) below.
        let sum = |count: fn(&Function) -> Option<u64>| {
            self.profile
                .functions
                .iter()
                .filter_map(count)
                .fold(0u64, u64::saturating_add)
        };
        let calls = sum(|f| f.calls);
        let primitive = sum(|f| f.primitive_calls);
        if let Some((header, _)) = self.header {
            self.profile.declared = Some(DeclaredTotals {
                cost: header.seconds,
                calls: Some(header.calls),
                primitive_calls: Some(header.primitive),
            });
            self.decimals = Some(
                self.decimals
                    .map_or(header.decimals, |d| d.min(header.decimals)),
            );
        }
        let totals_from = if self.header.is_some() {
            "totals are the header's"
        } else {
            "totals are the listed rows' sums"
        };
        let notes = &mut self.profile.meta.notes;
        if let Some(reduced) = &self.reduced {
            notes.push(format!(
                "{reduced}: the functions not listed are missing from this profile; {totals_from}"
            ));
        } else if let Some((header, at)) = self.header {
            if (calls, primitive) != (header.calls, header.primitive) {
                notes.push(format!(
                    "the table adds up to {calls} calls ({primitive} primitive) but the header \
                     on line {at} says {} ({}); the text may be cut short; {totals_from}",
                    header.calls, header.primitive
                ));
            }
        }
        if self.more_blocks > 0 {
            notes.push(format!(
                "the input holds {} more stats block(s) after the one at line {table_line}; \
                 only the first was read",
                self.more_blocks
            ));
        }
        if self.duplicates > 0 {
            notes.push(format!("{} repeated rows were added up", self.duplicates));
        }
        if self.unparsed_names > 0 {
            notes.push(format!(
                "{} row names are not `file:line(function)`; kept as plain names",
                self.unparsed_names
            ));
        }
        if self.profile.functions.is_empty() {
            notes.push("the stats table is empty".to_string());
        }
        self.profile.meta.precision = Some(10f64.powi(-(self.decimals.unwrap_or(3) as i32)));
        let producer = if self.saw_profile_module {
            "profile"
        } else {
            "cProfile"
        };
        self.profile.meta.producer = Some(producer.to_string());
        Ok(self.profile)
    }
}

/// `List reduced from 16 to 5 due to restriction <5>` → a description.
fn parse_reduced(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("List reduced from ")?;
    let (from, rest) = rest.split_once(" to ")?;
    let (to, restriction) = rest.split_once(" due to restriction ")?;
    let from: u64 = from.parse().ok()?;
    let to: u64 = to.parse().ok()?;
    Some(format!(
        "list reduced from {from} to {to} functions (restriction {restriction})"
    ))
}

#[derive(Debug)]
struct Row<'l> {
    nc: u64,
    cc: u64,
    tottime: f64,
    cumtime: f64,
    decimals: usize,
    name: &'l str,
}

fn parse_row(line: &str) -> Result<Row<'_>, String> {
    let line = line.trim_start();
    // Only ASCII whitespace ends a token, and no byte of a multi-byte
    // character is ASCII, so byte offsets stay on character boundaries.
    let Some(split) = line.bytes().position(|b| b.is_ascii_whitespace()) else {
        return Err(format!("expected a stats row, got {line:?}"));
    };
    let ncalls = &line[..split];
    let mut rest = &line[split + 1..];
    let count = |text: &str| {
        parse_u64(text).ok_or_else(|| format!("malformed ncalls {ncalls:?}: expected N or N/M"))
    };
    let (nc, cc) = match ncalls.split_once('/') {
        Some((nc, cc)) => (count(nc)?, count(cc)?),
        None => {
            let n = count(ncalls)?;
            (n, n)
        }
    };
    // pstats blanks the first percall when nc == 0 and the second when cc == 0.
    let numbers = 2 + usize::from(nc != 0) + usize::from(cc != 0);
    let mut values = [0.0f64; 4];
    let mut decimals = usize::MAX;
    for value in values.iter_mut().take(numbers) {
        rest = rest.trim_start();
        let end = rest
            .bytes()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..end];
        let (time, places) = parse_time(token).ok_or_else(|| {
            format!("malformed time {token:?}: expected {numbers} numbers after ncalls {ncalls}")
        })?;
        *value = time;
        decimals = decimals.min(places);
        rest = &rest[end..];
    }
    let name = rest.trim();
    if name.is_empty() {
        return Err("stats row without a function name".to_string());
    }
    // The numbers are tottime, [percall], cumtime, [percall].
    let (tottime, cumtime) = if nc != 0 {
        (values[0], values[2])
    } else {
        (values[0], values[1])
    };
    Ok(Row {
        nc,
        cc,
        tottime,
        cumtime,
        decimals,
        name,
    })
}

/// A printed name turned back into the parts of a pstats key, borrowed
/// from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameParts<'l> {
    file: Option<&'l str>,
    line: Option<u32>,
    /// The function name; for a builtin, what goes between `<` and `>`.
    name: &'l str,
    /// `{x}`: the name is `<x>`.
    braced: bool,
    kind: FunctionKind,
}

impl NameParts<'_> {
    fn owned_name(&self) -> String {
        if self.braced {
            let mut name = String::with_capacity(self.name.len() + 2);
            name.push('<');
            name.push_str(self.name);
            name.push('>');
            name
        } else {
            self.name.to_string()
        }
    }
}

/// Turns a printed name back into the parts of a pstats key.
fn parse_name(text: &str) -> Option<NameParts<'_>> {
    if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        // pstats prints ("~", 0, "<x>") as "{x}".
        return Some(NameParts {
            file: Some("~"),
            line: Some(0),
            name: inner,
            braced: true,
            kind: FunctionKind::Builtin,
        });
    }
    let body = text.strip_suffix(')')?;
    // The last `:digits(` splits file from line and name.
    let mut search_end = body.len();
    while let Some(open) = body.as_bytes()[..search_end]
        .iter()
        .rposition(|&b| b == b'(')
    {
        let before = &body[..open];
        // Digits are ASCII, so this stays on a character boundary.
        let digits_start = before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits_start < open && before[..digits_start].ends_with(':') {
            let file = &before[..digits_start - 1];
            let line: u32 = before[digits_start..].parse().ok()?;
            let name = &body[open + 1..];
            let kind = match (file, line) {
                ("" | "~", 0) => FunctionKind::Builtin,
                ("profile", 0) => FunctionKind::Synthetic,
                _ => FunctionKind::Source,
            };
            return Some(NameParts {
                file: Some(file),
                line: Some(line),
                name,
                braced: false,
                kind,
            });
        }
        search_end = open;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
before 201
         149 function calls (24 primitive calls) in 0.012 seconds

   Ordered by: cumulative time

   ncalls  tottime  percall  cumtime  percall filename:lineno(function)
        1    0.000    0.000    0.012    0.012 {built-in method builtins.exec}
    123/3    0.010    0.000    0.011    0.004 C:\\src\\prog.py:4(fib)
       20    0.001    0.000    0.001    0.000 {method 'get' of 'dict' objects}
        4    0.000    0.000    0.000    0.000 prog.py:50(<lambda>)
        1    0.000    0.000    0.000    0.000 :0(len)
        0    0.000             0.000          profile:0(profiler)


";

    #[test]
    fn reads_rows_and_names() {
        let p = parse(TEXT.as_bytes(), "t.txt", &TextOptions::default()).unwrap();
        assert_eq!(p.functions.len(), 6);
        let fib = &p.functions[1];
        assert_eq!(
            (fib.name.as_str(), fib.file.as_deref(), fib.line),
            ("fib", Some("C:\\src\\prog.py"), Some(4))
        );
        assert_eq!((fib.calls, fib.primitive_calls), (Some(123), Some(3)));
        assert_eq!((fib.self_cost, fib.inclusive_cost), (0.010, 0.011));
        let get = &p.functions[2];
        assert_eq!(get.name, "<method 'get' of 'dict' objects>");
        assert_eq!(
            (get.file.as_deref(), get.line, get.kind),
            (Some("~"), Some(0), FunctionKind::Builtin)
        );
        assert_eq!(p.functions[4].kind, FunctionKind::Builtin);
        assert_eq!(p.functions[4].file.as_deref(), Some(""));
        let fake = &p.functions[5];
        assert_eq!(
            (fake.kind, fake.calls, fake.inclusive_cost),
            (FunctionKind::Synthetic, Some(0), 0.0)
        );
        assert_eq!(p.meta.precision, Some(0.001));
        assert_eq!(p.meta.producer.as_deref(), Some("profile"));
        assert!(
            p.meta.notes.iter().any(|n| n.contains("adds up to 149")),
            "{:?}",
            p.meta.notes
        );
    }

    #[test]
    fn totals_are_the_headers() {
        let p = parse(TEXT.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(
            p.declared,
            Some(DeclaredTotals {
                cost: 0.012,
                calls: Some(149),
                primitive_calls: Some(24)
            })
        );
        // The rows say 149 calls too, but 0.011 s and 149 primitive calls.
        assert_eq!(
            (p.total_cost(), p.total_primitive_calls()),
            (0.012, Some(24))
        );
        // No recursion: no primitive count in the header.
        let text = TEXT
            .replace(" (24 primitive calls)", "")
            .replace("0.012 seconds", "1.5 seconds");
        let p = parse(text.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(
            (p.total_cost(), p.total_calls(), p.total_primitive_calls()),
            (1.5, Some(149), Some(149))
        );
        // One decimal in the header: that is the text's precision now.
        assert_eq!(p.meta.precision, Some(0.1));
        // No header: the rows' sums.
        let table = &TEXT[TEXT.find("   ncalls").unwrap()..];
        let p = parse(table.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(p.declared, None);
        assert_eq!(p.total_calls(), Some(149));
    }

    #[test]
    fn the_table_is_found_below_other_output() {
        assert_eq!(find_table_start(TEXT.as_bytes()), Some(11));
        let output = "ncalls are counted\nsome function calls here\n";
        let text = format!("{output}{}", &TEXT[11..]);
        assert_eq!(find_table_start(text.as_bytes()), Some(output.len()));
        assert_eq!(find_table_start(output.as_bytes()), None);
        // Line numbers count the lines that were skipped.
        let broken = TEXT[11..].replace("123/3", "12x/3");
        let error =
            parse_from_line(broken.as_bytes(), "t", &TextOptions::default(), 2).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(8));
    }

    #[test]
    fn cloudwatch_and_lambda_prefixes() {
        let cloudwatch: String = TEXT
            .lines()
            .map(|l| {
                format!(
                    "2026-11-26T05:47:22.123Z\tc0ffee00-0000-4000-8000-000000000001\tINFO\t{l}\n"
                )
            })
            .collect();
        let p = parse(cloudwatch.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(p.functions.len(), 6);
        let lambda = format!(
            "START RequestId: x\n[INFO]\t2026-11-26T05:47:22.123Z\treq\t{}\n[INFO]\t2026-11-26T05:47:22.124Z\treq\tdone\n",
            TEXT[11..].trim_end()
        );
        assert!(detect(lambda.as_bytes()));
        let p = parse(lambda.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(p.functions.len(), 6);
        let custom: String = TEXT.lines().map(|l| format!("app | {l}\n")).collect();
        let options = TextOptions {
            strip_log_prefix: Some(Regex::new(r"^app \| ").unwrap()),
        };
        assert_eq!(
            parse(custom.as_bytes(), "t", &options)
                .unwrap()
                .functions
                .len(),
            6
        );
    }

    #[test]
    fn reduced_lists_and_extra_blocks_are_noted() {
        let text = TEXT.replace(
            "   Ordered by: cumulative time\n",
            "   Ordered by: cumulative time\n   List reduced from 16 to 6 due to restriction <6>\n",
        ) + TEXT;
        let p = parse(text.as_bytes(), "t", &TextOptions::default()).unwrap();
        let notes = p.meta.notes.join("\n");
        assert!(
            notes.contains("list reduced from 16 to 6 functions"),
            "{notes}"
        );
        assert!(notes.contains("1 more stats block"), "{notes}");
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let text = TEXT.replace("123/3", "12x/3");
        let error = parse(text.as_bytes(), "t", &TextOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(8));
        let text = TEXT.replace("0.010    0.000    0.011", "0.010    oops    0.011");
        let error = parse(text.as_bytes(), "t", &TextOptions::default()).unwrap_err();
        assert!(error.message.contains("oops"), "{error}");
        let error = parse(b"hello\n", "t", &TextOptions::default()).unwrap_err();
        assert!(error.message.contains("no pstats table"), "{error}");
    }

    #[test]
    fn wide_counts_and_names() {
        assert_eq!(
            parse_name("/a b/c.py:12(f(x)"),
            Some(NameParts {
                file: Some("/a b/c.py"),
                line: Some(12),
                name: "f(x",
                braced: false,
                kind: FunctionKind::Source
            })
        );
        let builtin = parse_name("{method 'get' of 'dict' objects}").unwrap();
        assert_eq!(
            (builtin.owned_name().as_str(), builtin.file, builtin.kind),
            (
                "<method 'get' of 'dict' objects>",
                Some("~"),
                FunctionKind::Builtin
            )
        );
        let row = parse_row("1234567890/12    1.500    0.000    2.000    0.167 x.py:1(<genexpr>)")
            .unwrap();
        assert_eq!(
            (row.nc, row.cc, row.tottime, row.cumtime),
            (1234567890, 12, 1.5, 2.0)
        );
        assert!(parse_name("no parens").is_none());
        // A multi-byte character right before the digits (found by fuzzing).
        assert!(parse_name("é12(f)").is_none());
        assert_eq!(parse_name("é:12(f)").unwrap().line, Some(12));
    }

    #[test]
    fn duplicates_crlf_and_invalid_utf8() {
        let text = "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\r\n\
                    \x20       2    0.001    0.000    0.003    0.002 a.py:1(f)\r\n\
                    \x20       1    0.002    0.002    0.004    0.004 a.py:1(f)\r\n";
        let p = parse(text.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(p.functions.len(), 1);
        let f = &p.functions[0];
        assert_eq!((f.calls, f.self_cost), (Some(3), 0.001 + 0.002));
        assert!(p.meta.notes.iter().any(|n| n.contains("1 repeated rows")));
        let mut bytes = text.as_bytes().to_vec();
        let at = bytes.windows(4).position(|w| w == b"a.py").unwrap();
        bytes[at] = 0xff;
        let p = parse(&bytes, "t", &TextOptions::default()).unwrap();
        let names: Vec<_> = p.functions.iter().map(|f| f.file.as_deref()).collect();
        assert_eq!(names, [Some("\u{fffd}.py"), Some("a.py")]);
        // `\d` in the CloudWatch pattern is Unicode.
        let arabic = "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n\
                      2\u{662}\u{660}\u{662}-11-26T05:47:22.123Z\tr\tINFO\t        1    0.001    0.001    0.001    0.001 a.py:1(f)\n";
        let p = parse(arabic.as_bytes(), "t", &TextOptions::default()).unwrap();
        assert_eq!(p.functions.len(), 1);
        // A wide count starts the row with digits, like a log prefix would.
        let wide = "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n\
                    1234-5678    0.001    0.000    0.003    0.002 a.py:1(f)\n";
        let error = parse(wide.as_bytes(), "t", &TextOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(2));
    }

    #[test]
    fn detection() {
        assert!(detect(TEXT.as_bytes()));
        assert!(detect(
            b"   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
        ));
        assert!(!detect(b"a;b 1\n"));
        assert!(!detect(b"fn=main\n"));
    }
}
