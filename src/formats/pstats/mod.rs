//! Binary pstats dumps: what `python -m cProfile -o`, `python -m profile -o`,
//! `Profile.dump_stats`, `pstats.Stats.dump_stats` and yappi's
//! `save(type="pstat")` write; [`write()`] writes one that Python's `pstats`
//! loads.
//!
//! The file is one marshal'd dict `{(file, line, name): (cc, nc, tt, ct,
//! callers)}`. Producer quirks handled here, not in the model:
//! - cProfile callers are `(nc, cc, tt, ct)` tuples (the reverse of the entry's
//!   own `cc, nc` order); the `profile` module's callers are plain call counts.
//! - yappi swaps the entry's cc and nc. Total calls can never be below
//!   primitive calls, so each entry takes `max` as total and `min` as
//!   primitive, which reads every producer right without guessing which one
//!   wrote the file.
//! - Keys that are not 3-tuples (Python 3.15's `("__sampled__",)` marker) are
//!   skipped with a note.
//!
//! # Two paths through an entry
//!
//! A large dump holds a million caller entries, so each entry is first read
//! on a *token path* (a marshal `Stream`) that allocates
//! nothing per caller: numbers are copied straight into the [`Edge`], and a
//! key costs one 4-byte read once its tuple has been seen, because the
//! function id is attached to the tuple's ref-table slot as a tag
//! (`Stats.dump_stats` output shares key tuples, so callers refer back to
//! them). A fresh key tuple (cProfile writes one per caller, sharing only the
//! strings) costs two tag reads, strings being tagged with their interned
//! id, and one hash lookup of `(file id, line, name id)`.
//!
//! Anything the token path does not expect (a malformed file, a key that is
//! not a 3-tuple, a reference to a shared value tuple, a duplicate entry)
//! makes it give up on the entry: the stream rewinds to the entry's start and
//! the *value path* re-reads it as marshal `Value`s with the original, simpler
//! logic, which is therefore the reference for what is accepted and for
//! every error message. For that to be exact the token path never commits
//! anything it cannot keep: functions are created in the order the value
//! path would create them (entry key first, then callers), only after the
//! dict entry is known to have a value, edges are dropped on rewind, and the
//! entry's own numbers are stored only once it has been read in full.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::marshal::{CodeSummary, RefIndex, Stream, Token, Unexpected, Value, NO_TAG};
use crate::error::ParseError;
use crate::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta, Unit};

mod write;

pub use write::write;

/// A marshal dump starts with a dict type byte, flagged (0xfb) or not,
/// followed by a tuple key (any tuple form, flagged or not) or, for an empty
/// profile, the NULL that ends the dict. The second byte keeps JSON (`{"`)
/// and text out.
pub fn detect(bytes: &[u8]) -> bool {
    let dict = matches!(bytes.first(), Some(b'{') | Some(0xfb));
    let first_key = bytes.get(1).map(|b| b & 0x7f);
    // A lone dict byte is a dump cut short: let the reader say "truncated".
    dict && matches!(first_key, None | Some(b'(') | Some(b')') | Some(b'0'))
}

/// Parses a binary pstats dump. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str) -> Result<Profile, ParseError> {
    let mut stream = Stream::open_dict(bytes)?;
    let mut builder = Builder::new(path);
    loop {
        let checkpoint = stream.checkpoint();
        let edges = builder.profile.edges.len();
        let more = match builder.fast_entry(&mut stream) {
            Ok(more) => more,
            Err(Unexpected) => {
                stream.rewind(checkpoint);
                builder.profile.edges.truncate(edges);
                builder.slow_entry(&mut stream)?
            }
        };
        if !more {
            break;
        }
    }
    stream.finish()?;
    Ok(builder.finish())
}

/// Nesting depths as the marshal reader counts them (the dict is 1).
const KEY: usize = 2;
const VALUE: usize = 2;
const CALLER_KEY: usize = 4;

/// Identity of a function inside one dump: interned file and name ids and
/// the line, so that hashing it never touches the strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FunctionKey {
    file: u32,
    name: u32,
    line: i64,
}

/// Set in the ref-table tag of a string slot, whose tag is the string's
/// interned id; a key tuple's tag is its function id, below this bit. A slot
/// holds one object, so a tag is either, but checking keeps a string used as
/// a key (or a key tuple used as a name) from being misread.
const STRING_TAG: u32 = 1 << 31;

/// Ids stay below this so that neither kind of tag can equal [`NO_TAG`].
const MAX_ID: u32 = STRING_TAG - 1;

/// A key read on the token path, before its function is looked up or
/// created.
enum KeyRef {
    /// From a tagged slot.
    Known(usize),
    /// Not seen yet as a tuple; `slot` is the tuple's ref-table slot, to tag
    /// with the function id.
    Fresh(FunctionKey, Option<RefIndex>),
}

struct Builder<'a> {
    profile: Profile,
    /// Interned file and function names: `string_ids[texts[i]] == i`.
    string_ids: FxHashMap<Cow<'a, str>, u32>,
    texts: Vec<Cow<'a, str>>,
    ids: FxHashMap<FunctionKey, u32>,
    /// Functions whose own entry has been read (others appeared only as callers).
    has_entry: Vec<bool>,
    skipped_keys: usize,
    saw_code_key: bool,
    saw_int_callers: bool,
    saw_swapped_counts: bool,
}

impl<'a> Builder<'a> {
    fn new(path: &str) -> Self {
        Builder {
            profile: Profile::new(ProfileMeta {
                path: path.to_string(),
                format: Format::Pstats,
                unit: Unit::Seconds,
                precision: None,
                producer: None,
                notes: Vec::new(),
            }),
            string_ids: FxHashMap::default(),
            texts: Vec::new(),
            ids: FxHashMap::default(),
            has_entry: Vec::new(),
            skipped_keys: 0,
            saw_code_key: false,
            saw_int_callers: false,
            saw_swapped_counts: false,
        }
    }

    // ----------------------------------------------------------- token path

    /// Reads one entry on the token path; `Ok(false)` at the end of the dict.
    /// On `Unexpected` the caller rewinds and uses [`Builder::slow_entry`].
    fn fast_entry(&mut self, s: &mut Stream<'a>) -> Result<bool, Unexpected> {
        if s.next_null() {
            return Ok(false);
        }
        let key = self.fast_key(s, KEY)?;
        // A NULL value ends the dict and drops the key, whose function must
        // then not exist: leave that rarity to the value path.
        if s.at_null() {
            return Err(Unexpected);
        }
        let id = self.resolve(s, key)?;
        let slot = s.next_tuple(5)?;
        let cc = count(s.next_int()?)?;
        let nc = count(s.next_int()?)?;
        let tt = finite(s.next_f64()?)?;
        let ct = finite(s.next_f64()?)?;
        let callers = s.next_dict()?;
        while !s.next_null() {
            let caller = self.fast_key(s, CALLER_KEY)?;
            if s.at_null() {
                return Err(Unexpected);
            }
            let caller = self.resolve(s, caller)?;
            let edge = match s.next_tuple(4) {
                Ok(slot) => {
                    let nc = count(s.next_int()?)?;
                    let cc = count(s.next_int()?)?;
                    let tt = finite(s.next_f64()?)?;
                    let ct = finite(s.next_f64()?)?;
                    s.close(slot);
                    Edge::new(caller, id)
                        .with_calls(Some(nc))
                        .with_primitive_calls(Some(cc))
                        .with_self_cost(Some(tt))
                        .with_inclusive_cost(Some(ct))
                }
                // The pure-Python `profile` module records only a call count
                // per caller.
                Err(Unexpected) => {
                    let calls = count(s.next_int()?)?;
                    self.saw_int_callers = true;
                    Edge::new(caller, id).with_calls(Some(calls))
                }
            };
            self.profile.edges.push(edge);
        }
        s.close(callers);
        s.close(slot);
        // Read in full: commit. A duplicate is the value path's to report.
        match self.has_entry.get_mut(id) {
            Some(seen) if !*seen => *seen = true,
            _ => return Err(Unexpected),
        }
        self.set_stats(id, cc, nc, tt, ct);
        Ok(true)
    }

    /// A key: a back-reference to a tagged tuple, or a fresh 3-tuple.
    #[inline(always)]
    fn fast_key(&mut self, s: &mut Stream<'a>, depth: usize) -> Result<KeyRef, Unexpected> {
        if let Some(tag) = s.next_tagged_ref() {
            // The tag of a string slot would be a string id.
            return if tag < STRING_TAG {
                Ok(KeyRef::Known(tag as usize))
            } else {
                Err(Unexpected)
            };
        }
        let Ok(slot) = s.next_tuple(3) else {
            return self.other_key(s, depth);
        };
        let file = self.fast_string(s, depth + 1, false)?;
        // Other int encodings (`I`, a short `l`) are the value path's.
        let line = s.next_int()?;
        let name = self.fast_string(s, depth + 1, true)?;
        s.close(slot);
        Ok(KeyRef::Fresh(FunctionKey { file, name, line }, slot))
    }

    /// A key that is a back-reference to a key tuple first read on the value
    /// path.
    #[inline(never)]
    fn other_key(&mut self, s: &mut Stream<'a>, depth: usize) -> Result<KeyRef, Unexpected> {
        let Token::Ref { index, tag: NO_TAG } = s.next(depth)? else {
            return Err(Unexpected);
        };
        let value = s.referenced(index).ok_or(Unexpected)?;
        match self.value_key(value, 0) {
            Ok(Some(key)) => Ok(KeyRef::Fresh(key, Some(index))),
            _ => Err(Unexpected),
        }
    }

    /// A key's file name, or its function name (`is_name`), as an interned id.
    #[inline(always)]
    fn fast_string(
        &mut self,
        s: &mut Stream<'a>,
        depth: usize,
        is_name: bool,
    ) -> Result<u32, Unexpected> {
        match s.next_tagged_ref() {
            // The tag of a key tuple would be a function id.
            Some(tag) if tag & STRING_TAG != 0 => Ok(tag & !STRING_TAG),
            Some(_) => Err(Unexpected),
            None => self.other_string(s, depth, is_name),
        }
    }

    /// [`Builder::fast_string`] for a string met for the first time.
    #[inline(never)]
    fn other_string(
        &mut self,
        s: &mut Stream<'a>,
        depth: usize,
        is_name: bool,
    ) -> Result<u32, Unexpected> {
        match s.next(depth)? {
            Token::Ref { index, tag: NO_TAG } => match s.referenced(index) {
                Some(Value::Str(text)) => {
                    let id = self.intern(text.clone()).ok_or(Unexpected)?;
                    s.set_tag(index, id | STRING_TAG);
                    Ok(id)
                }
                // Not tagged: a description is not the code object's string.
                Some(Value::Code(code)) if is_name => self.code_name(code).ok_or(Unexpected),
                _ => Err(Unexpected),
            },
            Token::Value(Value::Str(text), slot) => {
                let id = self.intern(text).ok_or(Unexpected)?;
                if let Some(index) = slot {
                    s.set_tag(index, id | STRING_TAG);
                }
                Ok(id)
            }
            Token::Value(Value::Code(code), _) if is_name => {
                self.code_name(&code).ok_or(Unexpected)
            }
            _ => Err(Unexpected),
        }
    }

    /// The function id of a key read on the token path, creating the
    /// function on first sight and tagging the key tuple's slot with it.
    #[inline]
    fn resolve(&mut self, s: &mut Stream<'a>, key: KeyRef) -> Result<usize, Unexpected> {
        match key {
            KeyRef::Known(id) => Ok(id),
            KeyRef::Fresh(key, slot) => {
                let id = self.function_id(key).ok_or(Unexpected)?;
                if let Some(index) = slot {
                    s.set_tag(index, id);
                }
                Ok(id as usize)
            }
        }
    }

    // ----------------------------------------------------------- value path

    /// Reads one entry as values; `Ok(false)` at the end of the dict.
    fn slow_entry(&mut self, s: &mut Stream<'a>) -> Result<bool, ParseError> {
        let offset = s.offset();
        // As in CPython, a NULL in place of either the key or the value ends
        // the dict.
        let Some(key) = s.read_value(KEY)? else {
            return Ok(false);
        };
        let Some(value) = s.read_value(VALUE)? else {
            return Ok(false);
        };
        self.add_entry(&key, &value, offset)?;
        Ok(true)
    }

    fn add_entry(
        &mut self,
        key: &Value<'a>,
        value: &Value<'a>,
        offset: u64,
    ) -> Result<(), ParseError> {
        let Some(id) = self.key_id(key, offset)? else {
            self.skipped_keys += 1;
            return Ok(());
        };
        let fields = value.as_tuple().filter(|t| t.len() == 5).ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!(
                    "entry value is a {}, expected a (cc, nc, tt, ct, callers) 5-tuple",
                    value.type_name()
                ),
            )
        })?;
        let cc = value_count(&fields[0], "cc", offset)?;
        let nc = value_count(&fields[1], "nc", offset)?;
        let tt = value_seconds(&fields[2], "tt", offset)?;
        let ct = value_seconds(&fields[3], "ct", offset)?;
        match self.has_entry.get_mut(id) {
            Some(seen) if !*seen => *seen = true,
            _ => return Err(ParseError::at_byte(offset, "duplicate function entry")),
        }
        self.set_stats(id, cc, nc, tt, ct);

        let callers = match &fields[4] {
            Value::Dict(pairs) => pairs,
            other => {
                return Err(ParseError::at_byte(
                    offset,
                    format!("callers is a {}, expected a dict", other.type_name()),
                ))
            }
        };
        for (caller_key, edge_stats) in callers.iter() {
            let Some(caller) = self.key_id(caller_key, offset)? else {
                continue;
            };
            let edge = self.edge(caller, id, edge_stats, offset)?;
            self.profile.edges.push(edge);
        }
        Ok(())
    }

    fn edge(
        &mut self,
        caller: usize,
        callee: usize,
        stats: &Value<'a>,
        offset: u64,
    ) -> Result<Edge, ParseError> {
        if let Some(fields) = stats.as_tuple() {
            if fields.len() != 4 {
                return Err(ParseError::at_byte(
                    offset,
                    format!(
                        "caller stats is a {}-tuple, expected (nc, cc, tt, ct)",
                        fields.len()
                    ),
                ));
            }
            return Ok(Edge::new(caller, callee)
                .with_calls(Some(value_count(&fields[0], "caller nc", offset)?))
                .with_primitive_calls(Some(value_count(&fields[1], "caller cc", offset)?))
                .with_self_cost(Some(value_seconds(&fields[2], "caller tt", offset)?))
                .with_inclusive_cost(Some(value_seconds(&fields[3], "caller ct", offset)?)));
        }
        // The pure-Python `profile` module records only a call count per caller.
        let calls = value_count(stats, "caller count", offset)?;
        self.saw_int_callers = true;
        Ok(Edge::new(caller, callee).with_calls(Some(calls)))
    }

    /// The function id of a key, creating the function on first sight; `None`
    /// for keys of another shape.
    fn key_id(&mut self, key: &Value<'a>, offset: u64) -> Result<Option<usize>, ParseError> {
        let Some(key) = self.value_key(key, offset)? else {
            return Ok(None);
        };
        match self.function_id(key) {
            Some(id) => Ok(Some(id as usize)),
            None => Err(ParseError::at_byte(offset, "too many functions")),
        }
    }

    /// Reads a `(file, line, name)` key; `None` for keys of another shape,
    /// which newer Pythons use for markers.
    fn value_key(
        &mut self,
        key: &Value<'a>,
        offset: u64,
    ) -> Result<Option<FunctionKey>, ParseError> {
        let Some(parts) = key.as_tuple().filter(|t| t.len() == 3) else {
            return Ok(None);
        };
        let file = parts[0].as_cow().ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!(
                    "key file name is a {}, expected a string",
                    parts[0].type_name()
                ),
            )
        })?;
        let line = parts[1].as_i64().ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!("key line is a {}, expected an int", parts[1].type_name()),
            )
        })?;
        let name = match &parts[2] {
            Value::Code(code) => self.code_name(code),
            other => {
                let name = other.as_cow().ok_or_else(|| {
                    ParseError::at_byte(
                        offset,
                        format!(
                            "key function name is a {}, expected a string",
                            other.type_name()
                        ),
                    )
                })?;
                self.intern(name.clone())
            }
        };
        let file = self.intern(file.clone());
        match (file, name) {
            (Some(file), Some(name)) => Ok(Some(FunctionKey { file, name, line })),
            _ => Err(ParseError::at_byte(offset, "too many distinct names")),
        }
    }

    // ----------------------------------------------------------- both paths

    /// `python -m profile -o` stores the code object itself as the name;
    /// describe it the way pstats prints it, minus the address.
    fn code_name(&mut self, code: &CodeSummary<'_>) -> Option<u32> {
        self.saw_code_key = true;
        self.intern(Cow::Owned(format!(
            "<code object {}, file \"{}\", line {}>",
            code.name, code.filename, code.firstlineno
        )))
    }

    /// The id of a file or function name; `None` past [`MAX_ID`] names.
    fn intern(&mut self, text: Cow<'a, str>) -> Option<u32> {
        if let Some(&id) = self.string_ids.get(&text) {
            return Some(id);
        }
        let id = u32::try_from(self.texts.len())
            .ok()
            .filter(|&id| id < MAX_ID)?;
        self.texts.push(text.clone());
        self.string_ids.insert(text, id);
        Some(id)
    }

    /// The id of the function with `key`, created on first sight; `None` past
    /// [`MAX_ID`] functions.
    fn function_id(&mut self, key: FunctionKey) -> Option<u32> {
        let slot = match self.ids.entry(key) {
            Entry::Occupied(found) => return Some(*found.get()),
            Entry::Vacant(slot) => slot,
        };
        let id = u32::try_from(self.profile.functions.len())
            .ok()
            .filter(|&id| id < MAX_ID)?;
        let file = self.texts.get(key.file as usize)?;
        let name = self.texts.get(key.name as usize)?;
        let kind = if (file == "~" || file.is_empty()) && key.line == 0 {
            FunctionKind::Builtin
        } else if file == "profile" && key.line == 0 {
            FunctionKind::Synthetic
        } else {
            FunctionKind::Source
        };
        let mut function = Function::new(name.as_ref(), kind);
        function.file = Some(file.to_string());
        function.line = u32::try_from(key.line).ok();
        // A function seen only as a caller has no stats of its own; zero
        // counts keep the totals equal to pstats' sums.
        function.calls = Some(0);
        function.primitive_calls = Some(0);
        self.profile.functions.push(function);
        self.has_entry.push(false);
        slot.insert(id);
        Some(id)
    }

    fn set_stats(&mut self, id: usize, cc: u64, nc: u64, tt: f64, ct: f64) {
        if cc > nc {
            self.saw_swapped_counts = true;
        }
        if let Some(function) = self.profile.functions.get_mut(id) {
            function.calls = Some(cc.max(nc));
            function.primitive_calls = Some(cc.min(nc));
            function.self_cost = tt;
            function.inclusive_cost = ct;
        }
    }

    fn finish(mut self) -> Profile {
        let producer = if self.saw_code_key || self.saw_int_callers {
            "profile"
        } else if self.saw_swapped_counts {
            "yappi"
        } else {
            "cProfile"
        };
        self.profile.meta.producer = Some(producer.to_string());
        if self.skipped_keys > 0 {
            self.profile.meta.notes.push(format!(
                "skipped {} entries whose key is not (file, line, name)",
                self.skipped_keys
            ));
        }
        let callers_only = self.has_entry.iter().filter(|seen| !**seen).count();
        if callers_only > 0 {
            self.profile.meta.notes.push(format!(
                "{callers_only} functions appear only as callers and have no stats of their own"
            ));
        }
        self.profile
    }
}

/// A call count on the token path: what [`value_count`] accepts from an int.
#[inline]
fn count(n: i64) -> Result<u64, Unexpected> {
    u64::try_from(n).map_err(|_| Unexpected)
}

/// A time on the token path: what [`value_seconds`] accepts from a number.
#[inline]
fn finite(x: f64) -> Result<f64, Unexpected> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Unexpected)
    }
}

fn value_count(value: &Value<'_>, field: &str, offset: u64) -> Result<u64, ParseError> {
    match value.as_i64() {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(n) => Err(ParseError::at_byte(
            offset,
            format!("{field} is negative ({n})"),
        )),
        None => Err(ParseError::at_byte(
            offset,
            format!("{field} is a {}, expected an int", value.type_name()),
        )),
    }
}

fn value_seconds(value: &Value<'_>, field: &str, offset: u64) -> Result<f64, ParseError> {
    match value.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        Some(x) => Err(ParseError::at_byte(offset, format!("{field} is {x}"))),
        None => Err(ParseError::at_byte(
            offset,
            format!("{field} is a {}, expected a number", value.type_name()),
        )),
    }
}
