//! The line-by-line state machine behind [`super::parse`] and
//! [`super::parse_reader`]: header, position and call state, the function
//! index and the call edges, and the model built from them at the end
//! ([`Parser::finish`]).

use std::borrow::Cow;
use std::collections::HashMap;

// FxHash for keys made of indices the parser assigned itself (not chosen by
// the input, so no flooding risk): far cheaper than SipHash per line. Names
// and compressed ids, which the input chooses, keep std's SipHash (see
// [`Names`]).
use rustc_hash::FxHashMap;

use super::exact::{Exact, CALL_PREFIX, FUNCTION_PREFIX};
use super::inclusive::{Costs, Graph};
use super::lines::{
    bad_number, binary, classify_key, find_newline, parse_decimal, preview, subposition, too_long,
    trim, Tokens,
};
use super::names::{split_name, unit_of, IdTable, Names, Space, NONE};
use super::{CallgrindOptions, MAX_LINE_BYTES, ROOT_NAME, UNKNOWN};
use crate::error::ParseError;
use crate::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta};

/// The most subpositions a cost line can have (`instr bb line`).
const MAX_POSITIONS: usize = 3;

/// Identity of a function in the file: interned object, file and raw name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FnKey {
    object: u32,
    file: u32,
    name: u32,
}

#[derive(Debug)]
pub(super) struct FnAcc {
    key: FnKey,
    pub(super) self_cost: u64,
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
pub(super) struct EdgeAcc {
    pub(super) caller: u32,
    pub(super) callee: u32,
    pub(super) calls: u64,
    pub(super) inclusive: u64,
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

pub(super) struct Parser<'o> {
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

impl<'o> Parser<'o> {
    /// Reads every line of `bytes` that a newline ends; returns how many
    /// bytes that was. `line_number` counts the lines read.
    pub(super) fn lines(
        &mut self,
        bytes: &[u8],
        line_number: &mut u64,
    ) -> Result<usize, ParseError> {
        let mut rest = bytes;
        while let Some(end) = find_newline(rest) {
            *line_number += 1;
            self.raw_line(&rest[..end], *line_number)?;
            rest = &rest[end + 1..];
        }
        Ok(bytes.len() - rest.len())
    }

    /// The last line, which no newline ends (empty: none).
    pub(super) fn last_line(
        &mut self,
        rest: &[u8],
        line_number: &mut u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn new(options: &'o CallgrindOptions) -> Self {
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

    pub(super) fn finish(mut self, path: &str, last_line: u64) -> Result<Profile, ParseError> {
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
            let (name, line) = split_name(raw_name, file, line, !from_profdiff);
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
        // Callgrind and profdiff end every dump with `totals:`; without it
        // the file was most likely cut short (at a line boundary, so
        // nothing else shows it).
        let ends_with_totals = self
            .creator
            .as_deref()
            .is_some_and(|c| c.starts_with("callgrind") || c.starts_with("profdiff"));
        if ends_with_totals && self.totals.is_none() {
            notes.push(format!(
                "no `totals:` line, which {} writes at the end of every dump: the file may \
                 be cut short, and then its numbers are incomplete",
                self.creator.as_deref().unwrap_or_default()
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
