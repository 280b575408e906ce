//! Names in a callgrind file: interning ([`Names`]), the `(id)` compression
//! tables (one per [`Space`]), and how a name or an event maps onto the
//! model ([`split_name`], [`unit_of`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

// FxHash only picks the slot of a cache in front of the names; the index
// itself keeps std's SipHash, as the input chooses the names (see [`Names`]).
use rustc_hash::{FxHashMap, FxHasher};

use super::lines::{binary, parse_decimal};
use crate::error::ParseError;
use crate::model::Unit;

/// No name / no function yet.
pub(super) const NONE: u32 = u32::MAX;

/// One compression id table: `(id)` → interned name. Real producers number
/// ids densely from 0 or 1, so small ids live in a vector; an id far beyond
/// the number of definitions so far (hostile or odd input) goes to a hash
/// map instead, so no allocation follows an unchecked number.
#[derive(Default)]
pub(super) struct IdTable {
    dense: Vec<u32>,
    sparse: HashMap<u64, u32>,
    defined: usize,
}

impl IdTable {
    pub(super) fn get(&self, id: u64) -> Option<u32> {
        let dense = usize::try_from(id)
            .ok()
            .and_then(|i| self.dense.get(i))
            .copied()
            .filter(|&name| name != NONE);
        dense.or_else(|| self.sparse.get(&id).copied())
    }

    pub(super) fn insert(&mut self, id: u64, name: u32) {
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

/// The three compression id spaces real producers use (docs/formats.md §3).
#[derive(Clone, Copy)]
pub(super) enum Space {
    Object = 0,
    File = 1,
    Function = 2,
}

impl Space {
    pub(super) fn what(self) -> &'static str {
        match self {
            Space::Object => "object",
            Space::File => "file",
            Space::Function => "function",
        }
    }
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
pub(super) struct Names {
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

    pub(super) fn new() -> Self {
        Names {
            cache: vec![NONE; Self::MIN_CACHE],
            ..Names::empty()
        }
    }

    /// No names, and no cache: for after parsing.
    pub(super) fn empty() -> Self {
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

    pub(super) fn intern(&mut self, bytes: &[u8], number: u64) -> Result<u32, ParseError> {
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

    pub(super) fn get(&self, id: u32) -> Option<&str> {
        self.span(id).map(|span| &self.text[span])
    }

    /// Frees the lookup structures; the names stay readable.
    pub(super) fn freeze(&mut self) {
        self.index = FxHashMap::default();
        self.next_same = Vec::new();
        self.cache = Vec::new();
    }
}

/// The unit of an event, and how many of it make a second for time units.
pub(super) fn unit_of(event: &str, producer: Option<&str>) -> (Unit, Option<f64>) {
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

/// Splits the line a producer put into a name: yappi's `name FILE:LINE`
/// (unless `file_in_name` is false: profdiff never writes that form, and a
/// function really named so must read back under its name), or
/// pyprof2calltree's `name:LINE` when LINE is also the function's position.
pub(super) fn split_name<'n>(
    name: &'n str,
    file: Option<&str>,
    line: Option<u64>,
    file_in_name: bool,
) -> (&'n str, Option<u64>) {
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
    if let Some(bare) = head
        .strip_suffix(file)
        .and_then(|h| h.strip_suffix(' '))
        .filter(|_| file_in_name)
    {
        if !bare.is_empty() {
            return (bare, Some(number));
        }
    }
    if line == Some(number) && !head.is_empty() {
        return (head, line);
    }
    (name, line)
}
