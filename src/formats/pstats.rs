//! Binary pstats dumps: what `python -m cProfile -o`, `python -m profile -o`,
//! `Profile.dump_stats`, `pstats.Stats.dump_stats` and yappi's
//! `save(type="pstat")` write.
//!
//! The file is one marshal'd dict `{(file, line, name): (cc, nc, tt, ct,
//! callers)}`. The dict is streamed entry by entry so a large dump never exists
//! twice in memory. Producer quirks handled here, not in the model:
//! - cProfile callers are `(nc, cc, tt, ct)` tuples (the reverse of the entry's
//!   own `cc, nc` order); the `profile` module's callers are plain call counts.
//! - yappi swaps the entry's cc and nc. Total calls can never be below
//!   primitive calls, so each entry takes `max` as total and `min` as
//!   primitive, which reads every producer right without guessing which one
//!   wrote the file.
//! - Keys that are not 3-tuples (Python 3.15's `("__sampled__",)` marker) are
//!   skipped with a note.

use std::borrow::Cow;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::marshal::{self, Value};
use crate::error::ParseError;
use crate::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta, Unit};

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

/// Identity of a function inside one dump, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RawKey<'a> {
    file: Cow<'a, str>,
    line: i64,
    name: Cow<'a, str>,
}

struct Builder<'a> {
    profile: Profile,
    ids: FxHashMap<RawKey<'a>, usize>,
    /// Ids by the address of a key tuple already seen. Writers share one
    /// tuple object between an entry's key and every callers dict that names
    /// it (a `pstats.Stats` re-dump always does), so most lookups skip
    /// hashing strings. `pinned` keeps those tuples alive so an address is
    /// never reused by another tuple.
    ids_by_tuple: FxHashMap<*const Value<'a>, usize>,
    pinned: Vec<Rc<[Value<'a>]>>,
    /// Functions whose own entry has been read (others appeared only as callers).
    has_entry: Vec<bool>,
    skipped_keys: usize,
    saw_code_key: bool,
    saw_int_callers: bool,
    saw_swapped_counts: bool,
}

/// Parses a binary pstats dump. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str) -> Result<Profile, ParseError> {
    let mut builder = Builder {
        profile: Profile::new(ProfileMeta {
            path: path.to_string(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: None,
            notes: Vec::new(),
        }),
        ids: FxHashMap::default(),
        ids_by_tuple: FxHashMap::default(),
        pinned: Vec::new(),
        has_entry: Vec::new(),
        skipped_keys: 0,
        saw_code_key: false,
        saw_int_callers: false,
        saw_swapped_counts: false,
    };
    marshal::for_each_dict_entry(bytes, |key, value, offset| {
        builder.add_entry(key, value, offset)
    })?;
    Ok(builder.finish())
}

impl<'a> Builder<'a> {
    fn add_entry(
        &mut self,
        key: Value<'a>,
        value: Value<'a>,
        offset: u64,
    ) -> Result<(), ParseError> {
        let Some(id) = self.key_id(&key, offset)? else {
            self.skipped_keys += 1;
            return Ok(());
        };
        let fields = value.as_tuple().filter(|t| t.len() == 5).ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!(
                    "entry value is a {}, expected a (cc, nc, tt, ct, callers) 5-tuple",
                    describe(&value)
                ),
            )
        })?;
        let cc = count(&fields[0], "cc", offset)?;
        let nc = count(&fields[1], "nc", offset)?;
        let tt = seconds(&fields[2], "tt", offset)?;
        let ct = seconds(&fields[3], "ct", offset)?;
        if cc > nc {
            self.saw_swapped_counts = true;
        }
        if std::mem::replace(&mut self.has_entry[id], true) {
            return Err(ParseError::at_byte(offset, "duplicate function entry"));
        }
        let function = &mut self.profile.functions[id];
        function.calls = Some(cc.max(nc));
        function.primitive_calls = Some(cc.min(nc));
        function.self_cost = tt;
        function.inclusive_cost = ct;

        let callers = match &fields[4] {
            Value::Dict(pairs) => pairs,
            other => {
                return Err(ParseError::at_byte(
                    offset,
                    format!("callers is a {}, expected a dict", describe(other)),
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
                .with_calls(Some(count(&fields[0], "caller nc", offset)?))
                .with_primitive_calls(Some(count(&fields[1], "caller cc", offset)?))
                .with_self_cost(Some(seconds(&fields[2], "caller tt", offset)?))
                .with_inclusive_cost(Some(seconds(&fields[3], "caller ct", offset)?)));
        }
        // The pure-Python `profile` module records only a call count per caller.
        let calls = count(stats, "caller count", offset)?;
        self.saw_int_callers = true;
        Ok(Edge::new(caller, callee).with_calls(Some(calls)))
    }

    /// The function id of a key, creating the function on first sight; `None`
    /// for keys of another shape.
    fn key_id(&mut self, key: &Value<'a>, offset: u64) -> Result<Option<usize>, ParseError> {
        let Value::Tuple(tuple) = key else {
            return Ok(None);
        };
        let address = tuple.as_ptr();
        if let Some(&id) = self.ids_by_tuple.get(&address) {
            return Ok(Some(id));
        }
        let Some(raw) = self.raw_key(key, offset)? else {
            return Ok(None);
        };
        let id = self.function_id(raw);
        // Only a tuple someone else holds (the marshal ref table) can come
        // back; caching a fresh one would just grow memory.
        if Rc::strong_count(tuple) > 1 {
            self.ids_by_tuple.insert(address, id);
            self.pinned.push(Rc::clone(tuple));
        }
        Ok(Some(id))
    }

    /// Reads a `(file, line, name)` key; `None` for keys of another shape,
    /// which newer Pythons use for markers.
    fn raw_key(&mut self, key: &Value<'a>, offset: u64) -> Result<Option<RawKey<'a>>, ParseError> {
        let Some(parts) = key.as_tuple().filter(|t| t.len() == 3) else {
            return Ok(None);
        };
        let file = parts[0].as_cow().ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!(
                    "key file name is a {}, expected a string",
                    describe(&parts[0])
                ),
            )
        })?;
        let line = parts[1].as_i64().ok_or_else(|| {
            ParseError::at_byte(
                offset,
                format!("key line is a {}, expected an int", describe(&parts[1])),
            )
        })?;
        let name = match &parts[2] {
            Value::Code(code) => {
                // `python -m profile -o` stores the code object itself as the
                // name; describe it the way pstats prints it, minus the address.
                self.saw_code_key = true;
                Cow::Owned(format!(
                    "<code object {}, file \"{}\", line {}>",
                    code.name, code.filename, code.firstlineno
                ))
            }
            other => other
                .as_cow()
                .ok_or_else(|| {
                    ParseError::at_byte(
                        offset,
                        format!(
                            "key function name is a {}, expected a string",
                            describe(other)
                        ),
                    )
                })?
                .clone(),
        };
        Ok(Some(RawKey {
            file: file.clone(),
            line,
            name,
        }))
    }

    fn function_id(&mut self, key: RawKey<'a>) -> usize {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.profile.functions.len();
        let kind = if (key.file == "~" || key.file.is_empty()) && key.line == 0 {
            FunctionKind::Builtin
        } else if key.file == "profile" && key.line == 0 {
            FunctionKind::Synthetic
        } else {
            FunctionKind::Source
        };
        let mut function = Function::new(key.name.as_ref(), kind);
        function.file = Some(key.file.to_string());
        function.line = u32::try_from(key.line).ok();
        // A function seen only as a caller has no stats of its own; zero
        // counts keep the totals equal to pstats' sums.
        function.calls = Some(0);
        function.primitive_calls = Some(0);
        self.profile.functions.push(function);
        self.has_entry.push(false);
        self.ids.insert(key, id);
        id
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

fn count(value: &Value<'_>, field: &str, offset: u64) -> Result<u64, ParseError> {
    match value.as_i64() {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(n) => Err(ParseError::at_byte(
            offset,
            format!("{field} is negative ({n})"),
        )),
        None => Err(ParseError::at_byte(
            offset,
            format!("{field} is a {}, expected an int", describe(value)),
        )),
    }
}

fn seconds(value: &Value<'_>, field: &str, offset: u64) -> Result<f64, ParseError> {
    match value.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        Some(x) => Err(ParseError::at_byte(offset, format!("{field} is {x}"))),
        None => Err(ParseError::at_byte(
            offset,
            format!("{field} is a {}, expected a number", describe(value)),
        )),
    }
}

fn describe(value: &Value<'_>) -> &'static str {
    value.type_name()
}
