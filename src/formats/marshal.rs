//! Reader for CPython's `marshal` format, versions 2 to 5 (Python 2.7 to
//! 3.14), the container of pstats dumps written by cProfile, profile and
//! yappi, following CPython's `Python/marshal.c`.
//!
//! Two ways in:
//!
//! - **Values.** [`read_value`] reads a whole object and
//!   [`for_each_dict_entry`] hands out the entries of a top-level dict one at
//!   a time, as [`Value`] trees. Strings borrow from the input and are copied
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
//!   The consumer can give up at any point, rewind to a [`Checkpoint`] and
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
//! budget. Any input ends in a value or a [`ParseError`] carrying the byte
//! offset at fault: never a panic, a huge allocation, a stack overflow or
//! exponential time.
//!
//! Text and byte strings alike become [`Value::Str`]: pstats readers want
//! text, and Python 2 wrote file and function names as byte strings.

use std::borrow::Cow;
use std::rc::Rc;

use crate::error::{ParseError, Position};

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

/// A decoded marshal object.
///
/// Equality is structural (`NaN != NaN` as in Python).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    None,
    Bool(bool),
    /// `i`, `I`, and `l` when the value fits in an `i64`.
    Int(i64),
    /// `l` beyond the `i64` range.
    BigInt(Rc<BigInt>),
    Float(f64),
    Complex(f64, f64),
    /// Every string form: Py3 `str` and `bytes`, Py2 `str` and `unicode`.
    /// Bytes are decoded as UTF-8 with U+FFFD for invalid sequences.
    Str(Cow<'a, str>),
    Tuple(Rc<[Value<'a>]>),
    List(Rc<[Value<'a>]>),
    Set(Rc<[Value<'a>]>),
    FrozenSet(Rc<[Value<'a>]>),
    /// Entries in file order; duplicate keys are kept as written.
    Dict(Rc<[(Value<'a>, Value<'a>)]>),
    Code(Rc<CodeSummary<'a>>),
    /// `[start, stop, step]` (marshal version 5).
    Slice(Rc<[Value<'a>; 3]>),
    Ellipsis,
    StopIteration,
}

/// An integer too large for `i64`, as marshal stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigInt {
    pub negative: bool,
    /// Base 2^15 digits, least significant first, top digit non-zero.
    pub digits: Box<[u16]>,
}

impl BigInt {
    /// The nearest `f64`, or an infinity when out of range.
    pub fn to_f64(&self) -> f64 {
        let magnitude = self
            .digits
            .iter()
            .rev()
            .fold(0.0, |acc, &digit| acc * 32768.0 + f64::from(digit));
        if self.negative {
            -magnitude
        } else {
            magnitude
        }
    }
}

/// What a code object says about itself. The rest (bytecode, constants, line
/// tables) is parsed for validation and then dropped: pstats files only hold
/// code objects as names (`python -m profile -o` writes one into a key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSummary<'a> {
    pub name: Cow<'a, str>,
    /// Python 3.11 and later only.
    pub qualname: Option<Cow<'a, str>>,
    pub filename: Cow<'a, str>,
    pub firstlineno: i32,
}

impl<'a> Value<'a> {
    /// The value of an `Int`; `None` for everything else, big ints included.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Any number but a complex one, big ints approximated.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::BigInt(big) => Some(big.to_f64()),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string itself, for callers that keep it beyond the `Value`'s
    /// life: cloning a borrowed `Cow` is free and still borrows the input.
    pub fn as_cow(&self) -> Option<&Cow<'a, str>> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_tuple(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&[(Value<'a>, Value<'a>)]> {
        match self {
            Value::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    /// The Python type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(..) => "complex",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Dict(_) => "dict",
            Value::Code(_) => "code",
            Value::Slice(_) => "slice",
            Value::Ellipsis => "ellipsis",
            Value::StopIteration => "StopIteration",
        }
    }
}

/// Reads one whole marshal object that must fill `data` exactly.
pub fn read_value(data: &[u8]) -> Result<Value<'_>, ParseError> {
    read_value_boxed(data).map_err(|e| *e)
}

fn read_value_boxed(data: &[u8]) -> Res<Value<'_>> {
    if data.is_empty() {
        return Err(fail(0, "empty input: no marshal data"));
    }
    let mut reader = Reader::new(data);
    let Some(value) = reader.read(1)? else {
        return Err(fail(
            0,
            "unexpected NULL object (type code '0') at the top level",
        ));
    };
    reader.finish()?;
    Ok(value)
}

/// Reads a top-level dict entry by entry, calling `f(key, value, key_offset)`
/// for each, where `key_offset` is the byte offset at which the key starts.
///
/// Only one entry is alive at a time, apart from what the ref table must keep
/// for later back-references. An error from `f` is returned unchanged, so the
/// caller can report its own offsets. A back-reference to the dict itself is
/// rejected, since the dict is never materialised.
pub fn for_each_dict_entry<'a, F>(data: &'a [u8], mut f: F) -> Result<(), ParseError>
where
    F: FnMut(Value<'a>, Value<'a>, u64) -> Result<(), ParseError>,
{
    let mut stream = Stream::open_dict(data)?;
    loop {
        let key_offset = stream.offset();
        // As in CPython, a NULL in place of either the key or the value ends
        // the dict.
        let Some(key) = stream.read_value(2)? else {
            break;
        };
        let Some(value) = stream.read_value(2)? else {
            break;
        };
        f(key, value, key_offset)?;
    }
    stream.finish()
}

/// A ref-table index, as [`Token::Ref`] and the `slot` fields report it.
pub type RefIndex = usize;

/// The tag of a ref-table slot no consumer has tagged.
pub const NO_TAG: u32 = u32::MAX;

/// One object, as [`Stream::next`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    /// The NULL object (`0`), which ends a dict.
    Null,
    /// An `i` int, or a back-reference to an int that fits in an `i64`,
    /// whatever its encoding (the others, read fresh, are [`Token::Value`]s).
    Int(i64),
    /// A `g` float, or a back-reference to a float.
    Float(f64),
    /// A tuple of `len` items, which the consumer reads next (with any of the
    /// stream's readers), then calls [`Stream::close`] with `slot`: its
    /// ref-table index when flagged.
    Tuple { len: usize, slot: Option<RefIndex> },
    /// A dict, whose keys and values the consumer reads next until a
    /// [`Token::Null`] key, then calls [`Stream::close`] with `slot`.
    Dict { slot: Option<RefIndex> },
    /// A back-reference to an object that is not a number: a string or any
    /// other value ([`Stream::referenced`] shows it), or a tuple or dict read
    /// as tokens. `tag` is what [`Stream::set_tag`] last attached to it, or
    /// [`NO_TAG`].
    Ref { index: RefIndex, tag: u32 },
    /// Anything else (strings included), read whole; `slot` is its ref-table
    /// index when flagged.
    Value(Value<'a>, Option<RefIndex>),
}

/// Returned by the [`Stream`] readers when the bytes are not a well-formed
/// object of the kind asked for, such as truncated data, an unknown type
/// code, another encoding, a reference to an object still being read, or a
/// container too deep.
///
/// Deliberately without details: the consumer rewinds to a [`Checkpoint`] and
/// re-reads the same bytes with [`Stream::read_value`], which reports the
/// exact error (or reads what the token path declined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unexpected;

/// A position to rewind a [`Stream`] to, taken by [`Stream::checkpoint`].
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    pos: usize,
    refs: usize,
    starts: usize,
    py2_strings: usize,
    budget: usize,
    copy_budget: usize,
}

/// A pull reader over the entries of a top-level marshal dict; see the
/// module documentation for why it exists.
///
/// Typed readers, tokens and values can be mixed freely; the ref table
/// stays exact either way. The consumer is trusted only to call [`Stream::close`] on the
/// containers it opened: the stream never panics whatever the call order,
/// but a container left open keeps refusing back-references to it.
pub struct Stream<'a> {
    reader: Reader<'a>,
}

impl<'a> Stream<'a> {
    /// Starts reading `data`, which must hold one marshal dict, positioned at
    /// its first key.
    pub fn open_dict(data: &'a [u8]) -> Result<Self, ParseError> {
        let Some(&code) = data.first() else {
            return Err(error_at(0, "empty input: expected a marshal dict"));
        };
        if code & !FLAG_REF != b'{' {
            return Err(error_at(
                0,
                format!(
                    "expected a dict (type code '{{') at the top level, found type code {}{}",
                    describe_code(code),
                    kind_of(code).map(|k| format!(", {k}")).unwrap_or_default(),
                ),
            ));
        }
        let mut reader = Reader::new(data);
        reader.pos = 1;
        if code & FLAG_REF != 0 {
            reader.push_slot(Slot::TopLevelDict);
        }
        Ok(Stream { reader })
    }

    /// The byte offset of the next object.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.reader.pos as u64
    }

    /// True when the next object is the NULL that ends a dict. The consumer
    /// looks before acting on a dict key, since a NULL in place of the value
    /// also ends the dict and drops the key.
    #[inline]
    pub fn at_null(&self) -> bool {
        matches!(self.reader.data.get(self.reader.pos), Some(c) if c & !FLAG_REF == b'0')
    }

    /// Reads one object as a token; see [`Token`] for what the consumer does
    /// next. `depth` counts the objects from the top-level dict (depth 1) to
    /// this one, and bounds nesting as in [`read_value`].
    pub fn next(&mut self, depth: usize) -> Result<Token<'a>, Unexpected> {
        let r = &mut self.reader;
        let at = r.pos;
        let Some(&code) = r.data.get(at) else {
            return Err(Unexpected);
        };
        if depth > MAX_DEPTH {
            return Err(Unexpected);
        }
        let flag = code & FLAG_REF != 0;
        match code & !FLAG_REF {
            b'r' => {
                let index = usize::try_from(r.fast_i32(at + 1)?).map_err(|_| Unexpected)?;
                let token = match r.refs.get(index) {
                    Some(Slot::Int(n)) => Token::Int(i64::from(*n)),
                    Some(Slot::Value(v)) => match r.values.get(*v as usize) {
                        Some(Value::Int(n)) => Token::Int(*n),
                        Some(Value::Float(x)) => Token::Float(*x),
                        Some(_) => Token::Ref {
                            index,
                            tag: r.tag(index),
                        },
                        None => return Err(Unexpected),
                    },
                    Some(Slot::Tokens { open: false, .. }) => Token::Ref {
                        index,
                        tag: r.tag(index),
                    },
                    // Still being read (CPython allows that, this reader
                    // refuses it), reserved, the top-level dict, or a
                    // forward reference.
                    _ => return Err(Unexpected),
                };
                r.pos = at + 5;
                Ok(token)
            }
            b'i' => Ok(Token::Int(self.next_int()?)),
            b'g' => Ok(Token::Float(self.next_f64()?)),
            ty @ (b')' | b'(') => {
                let len = if ty == b')' {
                    usize::from(*r.data.get(at + 1).ok_or(Unexpected)?)
                } else {
                    usize::try_from(r.fast_i32(at + 1)?).map_err(|_| Unexpected)?
                };
                let slot = self.next_tuple(len)?;
                Ok(Token::Tuple { len, slot })
            }
            b'{' => Ok(Token::Dict {
                slot: self.next_dict()?,
            }),
            b'0' => {
                r.pos = at + 1;
                Ok(Token::Null)
            }
            _ => {
                // Strings and everything rare: the value path, which takes
                // the slot itself (pre-order, so its index is the next one).
                let slot = flag.then_some(r.refs.len());
                match r.read(depth) {
                    Ok(Some(value)) => Ok(Token::Value(value, slot)),
                    _ => Err(Unexpected),
                }
            }
        }
    }

    // The typed readers below cover the encodings that make up nearly all of
    // a large dump, inline and without building a `Token`. Each one either
    // reads the object or returns `Unexpected` having read nothing, so the
    // consumer can try another reading; the value path deals with whatever
    // no typed reader accepts.

    /// If the next object is the NULL that ends a dict, reads it and returns
    /// true.
    #[inline(always)]
    pub fn next_null(&mut self) -> bool {
        let null = self.at_null();
        self.reader.pos += usize::from(null);
        null
    }

    /// The next object as an int: `i`, or a back-reference to one.
    #[inline(always)]
    pub fn next_int(&mut self) -> Result<i64, Unexpected> {
        let r = &mut self.reader;
        let (code, n) = r.head_i32().ok_or(Unexpected)?;
        let value = match code {
            b'i' => n,
            0xe9 => {
                r.push_slot(Slot::Int(n));
                n
            }
            b'r' | 0xf2 => match usize::try_from(n).ok().and_then(|i| r.refs.get(i)) {
                Some(Slot::Int(n)) => *n,
                _ => return Err(Unexpected),
            },
            _ => return Err(Unexpected),
        };
        r.pos += 5;
        Ok(i64::from(value))
    }

    /// The next object as a number: a `g` float, an `i` int, or a
    /// back-reference to either; ints are converted exactly.
    #[inline(always)]
    pub fn next_f64(&mut self) -> Result<f64, Unexpected> {
        let r = &mut self.reader;
        let rest = r.data.get(r.pos..).unwrap_or_default();
        if let Some((&code, tail)) = rest.split_first() {
            if code & !FLAG_REF == b'g' {
                let x = f64::from_le_bytes(*tail.first_chunk::<8>().ok_or(Unexpected)?);
                if code & FLAG_REF != 0 {
                    let slot = r.slot_for(&Value::Float(x)).ok_or(Unexpected)?;
                    r.push_slot(slot);
                }
                r.pos += 9;
                return Ok(x);
            }
        }
        let (code, n) = r.head_i32().ok_or(Unexpected)?;
        let value = match code {
            b'i' => f64::from(n),
            0xe9 => {
                r.push_slot(Slot::Int(n));
                f64::from(n)
            }
            b'r' | 0xf2 => match usize::try_from(n).ok().and_then(|i| r.refs.get(i)) {
                Some(Slot::Int(n)) => f64::from(*n),
                Some(Slot::Value(v)) => match r.values.get(*v as usize) {
                    Some(Value::Float(x)) => *x,
                    _ => return Err(Unexpected),
                },
                _ => return Err(Unexpected),
            },
            _ => return Err(Unexpected),
        };
        r.pos += 5;
        Ok(value)
    }

    /// The next object as a tuple of `len` items (`)` or `(`), opened as
    /// [`Token::Tuple`] would; returns its slot, for [`Stream::close`].
    #[inline(always)]
    pub fn next_tuple(&mut self, len: usize) -> Result<Option<RefIndex>, Unexpected> {
        let r = &mut self.reader;
        let at = r.pos;
        let code = *r.data.get(at).ok_or(Unexpected)?;
        let header = match code & !FLAG_REF {
            b')' if r.data.get(at + 1).map(|&n| usize::from(n)) == Some(len) => 2,
            b'(' if usize::try_from(r.fast_i32(at + 1)?) == Ok(len) => 5,
            _ => return Err(Unexpected),
        };
        // The same checks and charges as the value path's `Reader::sequence`.
        if len > r.data.len().saturating_sub(at + header) {
            return Err(Unexpected);
        }
        let slot = r.open_tokens(code & FLAG_REF != 0, at, len + 1)?;
        r.pos = at + header;
        Ok(slot)
    }

    /// The next object as a dict, opened as [`Token::Dict`] would; returns
    /// its slot, for [`Stream::close`].
    #[inline]
    pub fn next_dict(&mut self) -> Result<Option<RefIndex>, Unexpected> {
        let r = &mut self.reader;
        let at = r.pos;
        let code = *r.data.get(at).ok_or(Unexpected)?;
        if code & !FLAG_REF != b'{' {
            return Err(Unexpected);
        }
        let slot = r.open_tokens(code & FLAG_REF != 0, at, 1)?;
        r.pos = at + 1;
        Ok(slot)
    }

    /// If the next object is a back-reference to a slot with a tag, reads it
    /// and returns the tag; otherwise reads nothing.
    #[inline(always)]
    pub fn next_tagged_ref(&mut self) -> Option<u32> {
        let r = &mut self.reader;
        let (code, index) = r.head_i32()?;
        if code & !FLAG_REF != b'r' {
            return None;
        }
        let index = usize::try_from(index).ok()?;
        // Only values and closed containers are ever tagged (`set_tag`), so
        // the dense tag table answers alone: one 4-byte read per key.
        let tag = *r.tags.get(index)?;
        if tag == NO_TAG {
            return None;
        }
        r.pos += 5;
        Some(tag)
    }

    /// Ends a tuple or dict opened by a [`Token::Tuple`] or [`Token::Dict`],
    /// after its last item: back-references to it are allowed from now on.
    #[inline]
    pub fn close(&mut self, slot: Option<RefIndex>) {
        if let Some(Slot::Tokens { open, .. }) = slot.and_then(|i| self.reader.refs.get_mut(i)) {
            *open = false;
        }
    }

    /// Attaches `tag` to the slot at `index`, when it holds a value or a
    /// closed container read as tokens (numbers and objects still being read
    /// take no tag). [`Token::Ref`] and [`Stream::next_tagged_ref`] report it
    /// for every later back-reference, so the consumer can keep what it
    /// derived from the object (an id, say) instead of deriving it again.
    /// Tags are never interpreted by the stream, and [`NO_TAG`] clears one.
    #[inline]
    pub fn set_tag(&mut self, index: RefIndex, tag: u32) {
        let r = &mut self.reader;
        if let (Some(Slot::Value(_) | Slot::Tokens { open: false, .. }), Some(old)) =
            (r.refs.get(index), r.tags.get_mut(index))
        {
            *old = tag;
        }
    }

    /// The value behind a [`Token::Ref`], unless it is a container read as
    /// tokens (whose items the consumer has seen already).
    pub fn referenced(&self, index: RefIndex) -> Option<&Value<'a>> {
        match self.reader.refs.get(index) {
            Some(Slot::Value(v)) => self.reader.values.get(*v as usize),
            _ => None,
        }
    }

    /// Reads one whole object as a value, as [`read_value`] would, with
    /// exact errors; `Ok(None)` is the NULL that ends a dict.
    ///
    /// A back-reference to a container read as tokens reads that container
    /// again from its bytes (so its nesting counts toward [`MAX_DEPTH`]) and
    /// keeps the value for later references.
    pub fn read_value(&mut self, depth: usize) -> Result<Option<Value<'a>>, ParseError> {
        self.reader.read(depth).map_err(|e| *e)
    }

    /// The current position, to come back to with [`Stream::rewind`].
    pub fn checkpoint(&self) -> Checkpoint {
        let r = &self.reader;
        Checkpoint {
            pos: r.pos,
            refs: r.refs.len(),
            starts: r.starts.len(),
            py2_strings: r.py2_strings.len(),
            budget: r.budget,
            copy_budget: r.copy_budget,
        }
    }

    /// Goes back to `checkpoint`, forgetting the objects read since.
    ///
    /// Tags attached since to slots older than the checkpoint are kept: they
    /// describe objects that are still there. (Values read since stay in the
    /// side table unreferenced, as a slot older than the checkpoint may have
    /// cached a replay there; they are few.)
    pub fn rewind(&mut self, checkpoint: Checkpoint) {
        let r = &mut self.reader;
        r.pos = checkpoint.pos;
        r.truncate_refs(checkpoint.refs);
        r.starts.truncate(checkpoint.starts);
        r.py2_strings.truncate(checkpoint.py2_strings);
        r.budget = checkpoint.budget;
        r.copy_budget = checkpoint.copy_budget;
    }

    /// Checks that the dict's closing NULL was the last byte.
    pub fn finish(&self) -> Result<(), ParseError> {
        self.reader.finish().map_err(|e| *e)
    }
}

/// Errors are boxed inside the reader: the hot path then moves a pointer-sized
/// error slot around instead of a 40-byte one.
type Res<T> = Result<T, Box<ParseError>>;

fn error_at(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError::at_byte(offset as u64, message)
}

#[cold]
#[inline(never)]
fn fail(offset: usize, message: impl Into<String>) -> Box<ParseError> {
    Box::new(error_at(offset, message))
}

/// Kept out of line so that the many fixed-size reads stay small.
#[cold]
#[inline(never)]
fn fail_short_field(at: usize, what: &str, need: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {what} needs {} but only {} left",
            n_bytes(need),
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
fn fail_short_string(at: usize, what: &str, n: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {what} of {} claimed but only {} left",
            n_bytes(n),
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
fn fail_short_items(at: usize, kind: &str, n: usize, left: usize) -> Box<ParseError> {
    fail(
        at,
        format!(
            "truncated: {kind} of {n} items claimed but only {} left \
             (each item needs at least 1 byte)",
            n_bytes(left)
        ),
    )
}

#[cold]
#[inline(never)]
fn fail_negative(at: usize, what: &str, n: i32) -> Box<ParseError> {
    fail(at, format!("negative {what} {n}"))
}

#[cold]
#[inline(never)]
fn fail_depth(at: usize) -> Box<ParseError> {
    fail(at, format!("nesting deeper than {MAX_DEPTH} levels"))
}

#[cold]
#[inline(never)]
fn fail_null(at: usize, inside: &str) -> Box<ParseError> {
    fail(
        at,
        format!("unexpected NULL object (type code '0') inside a {inside}"),
    )
}

#[cold]
#[inline(never)]
fn fail_copy(at: usize) -> Box<ParseError> {
    fail(
        at,
        "too many references to non-UTF-8 strings: copying them would take more than \
         twice the input size",
    )
}

#[cold]
#[inline(never)]
fn fail_tables(at: usize) -> Box<ParseError> {
    fail(at, "too many objects: the reader's tables are full")
}

#[cold]
#[inline(never)]
fn fail_type_code(at: usize, code: u8) -> Box<ParseError> {
    if code & !FLAG_REF == b'?' {
        fail(
            at,
            "type code '?' (TYPE_UNKNOWN): the writer met an object it could not marshal",
        )
    } else {
        fail(at, format!("unknown type code {}", describe_code(code)))
    }
}

fn offset_of(error: &ParseError) -> u64 {
    match error.position {
        Position::Byte(offset) | Position::Line(offset) => offset,
    }
}

fn n_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// `0x51 ('Q')`, `0xa9 (')' with the ref flag)` or `0x05`.
fn describe_code(code: u8) -> String {
    let ty = code & !FLAG_REF;
    let flagged = if code & FLAG_REF != 0 {
        " with the ref flag"
    } else {
        ""
    };
    if ty.is_ascii_graphic() {
        format!("{code:#04x} ('{}'{flagged})", char::from(ty))
    } else {
        format!("{code:#04x}")
    }
}

fn kind_of(code: u8) -> Option<&'static str> {
    Some(match code & !FLAG_REF {
        b'0' => "a NULL object",
        b'N' | b'T' | b'F' | b'.' | b'S' => "a constant",
        b'i' | b'I' | b'l' => "an int",
        b'g' | b'f' => "a float",
        b'y' | b'x' => "a complex",
        b's' | b't' | b'u' | b'a' | b'A' | b'z' | b'Z' | b'R' => "a string",
        b'(' | b')' => "a tuple",
        b'[' => "a list",
        b'<' | b'>' => "a set",
        b'c' => "a code object",
        b':' => "a slice",
        b'r' => "a reference",
        _ => return None,
    })
}

/// Python 2 `str` and Python 3 `bytes`/`str`: UTF-8, invalid sequences (lone
/// surrogates written with surrogatepass, Latin-1 bytes) replaced.
fn decode_utf8(raw: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(raw)
}

/// CPython reads the ASCII types as Latin-1 without checking.
fn decode_latin1(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) if text.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(raw.iter().map(|&b| char::from(b)).collect()),
    }
}

/// A ref-table entry, 8 bytes so that the table of a large dump stays in
/// cache: a real cProfile dump refers back to line numbers and names
/// millions of times, at random. CPython stores incomplete objects in the
/// table; this reader cannot, so it records why an entry has no value yet.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// An int that fits in 32 bits, the most referenced kind of object,
    /// inline.
    Int(i32),
    /// Any other finished object: `Reader::values[i]`.
    Value(u32),
    /// A tuple or dict read as tokens by a [`Stream`] consumer, starting at
    /// byte `Reader::starts[start]`; `open` until the consumer closes it. The
    /// value path replays it from there when it meets a reference to it.
    Tokens { start: u32, open: bool },
    /// A frozenset, code object or slice being read: CPython reserves the
    /// index and fills it at the end, and refuses a reference to it meanwhile.
    Reserved,
    /// A tuple, list, set or dict being read as a value. CPython would allow
    /// a reference (recursive data); immutable `Rc` slices cannot express it.
    Open,
    /// The dict read by a [`Stream`], never materialised.
    TopLevelDict,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 8);

/// Where to rewind to when a code-object layout guess fails.
struct Mark {
    pos: usize,
    refs: usize,
    py2_strings: usize,
    items: usize,
    entries: usize,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    refs: Vec<Slot>,
    /// The [`Stream::set_tag`] tags, parallel to `refs`. Kept apart so that
    /// the hottest lookup, a back-reference to a key, reads 4 bytes from a
    /// table that is half the size of `refs`.
    tags: Vec<u32>,
    /// What `Slot::Value` points to. Never truncated: a slot older than a
    /// rewind point may have cached a replay here, and the leftovers of
    /// abandoned reads are bounded by the work budget.
    values: Vec<Value<'a>>,
    /// What `Slot::Tokens` points to.
    starts: Vec<usize>,
    /// Python 2 interned strings (`t`), which `R` indexes.
    py2_strings: Vec<Cow<'a, str>>,
    /// Scratch stacks for container items: children are pushed here and
    /// drained into one exactly-sized `Rc` allocation, so there is no
    /// per-container `Vec` and no allocation sized by an untrusted count.
    items: Vec<Value<'a>>,
    entries: Vec<(Value<'a>, Value<'a>)>,
    /// Work left, counted as one per object (leaves are charged by their
    /// container, so an object may count twice) plus one per string byte.
    /// A plain parse needs at most twice `data.len()`; only code-object
    /// trial parsing and replays revisit bytes, and this caps them.
    budget: usize,
    /// Bytes left for copying strings that had to be decoded into an owned
    /// `String` (non-UTF-8 data, rare in real files): a `Cow` cannot share
    /// them, so each back-reference to one copies it, and without a cap a
    /// small file could reference a large one millions of times.
    copy_budget: usize,
    /// Nonzero while re-reading a container read as tokens: its objects
    /// have their slots already, so nothing is registered again.
    replaying: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            refs: Vec::new(),
            tags: Vec::new(),
            values: Vec::new(),
            starts: Vec::new(),
            py2_strings: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            budget: data.len().saturating_mul(4).saturating_add(4096),
            copy_budget: data.len().saturating_mul(2).saturating_add(1 << 16),
            replaying: 0,
        }
    }

    fn finish(&self) -> Res<()> {
        let left = self.left();
        if left == 0 {
            Ok(())
        } else {
            Err(fail(
                self.pos,
                format!(
                    "trailing data: {} after the end of the top-level object",
                    n_bytes(left)
                ),
            ))
        }
    }

    #[inline]
    fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    #[inline]
    fn charge(&mut self, at: usize, work: usize) -> Res<()> {
        match self.budget.checked_sub(work) {
            Some(rest) => {
                self.budget = rest;
                Ok(())
            }
            None => {
                self.budget = 0;
                Err(fail(
                    at,
                    "code objects too ambiguous to parse: work limit reached while trying layouts",
                ))
            }
        }
    }

    /// `N` bytes of a field of the object that starts at `at`.
    #[inline]
    fn fixed<const N: usize>(&mut self, at: usize, what: &str) -> Res<[u8; N]> {
        match self
            .data
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(chunk) => {
                self.pos += N;
                Ok(*chunk)
            }
            None => Err(fail_short_field(at, what, N, self.left())),
        }
    }

    #[inline]
    fn u8(&mut self, at: usize, what: &str) -> Res<u8> {
        Ok(self.fixed::<1>(at, what)?[0])
    }

    #[inline]
    fn i32(&mut self, at: usize, what: &str) -> Res<i32> {
        Ok(i32::from_le_bytes(self.fixed(at, what)?))
    }

    #[inline]
    fn f64(&mut self, at: usize, what: &str) -> Res<f64> {
        Ok(f64::from_le_bytes(self.fixed(at, what)?))
    }

    /// An int32 size or length, `what` being e.g. "tuple size".
    #[inline]
    fn size(&mut self, at: usize, what: &str) -> Res<usize> {
        let n = self.i32(at, what)?;
        usize::try_from(n).map_err(|_| fail_negative(at, what, n))
    }

    #[inline]
    fn string_bytes(&mut self, at: usize, n: usize, what: &str) -> Res<&'a [u8]> {
        let Some(raw) = self.data.get(self.pos..).and_then(|rest| rest.get(..n)) else {
            return Err(fail_short_string(at, what, n, self.left()));
        };
        self.charge(at, n)?;
        self.pos += n;
        Ok(raw)
    }

    /// Stores a finished value under a new index when its type byte was
    /// flagged.
    #[inline]
    fn keep(&mut self, flag: bool, value: Value<'a>) -> Res<Value<'a>> {
        if flag && self.replaying == 0 {
            let slot = self.slot_for(&value).ok_or_else(|| fail_tables(self.pos))?;
            self.push_slot(slot);
        }
        Ok(value)
    }

    /// The slot that holds `value`; `None` past 2^32 stored values, which
    /// inputs above 4 GiB could reach.
    #[inline]
    fn slot_for(&mut self, value: &Value<'a>) -> Option<Slot> {
        if let Value::Int(n) = value {
            if let Ok(n) = i32::try_from(*n) {
                return Some(Slot::Int(n));
            }
        }
        let index = u32::try_from(self.values.len()).ok()?;
        self.values.push(value.clone());
        Some(Slot::Value(index))
    }

    #[inline]
    fn push_slot(&mut self, slot: Slot) {
        self.refs.push(slot);
        self.tags.push(NO_TAG);
    }

    fn truncate_refs(&mut self, len: usize) {
        self.refs.truncate(len);
        self.tags.truncate(len);
    }

    #[inline]
    fn tag(&self, index: usize) -> u32 {
        self.tags.get(index).copied().unwrap_or(NO_TAG)
    }

    /// Token-path registration of a container, pre-order like `reserve`,
    /// after charging `work` as the value path would.
    #[inline]
    fn open_tokens(
        &mut self,
        flag: bool,
        at: usize,
        work: usize,
    ) -> Result<Option<RefIndex>, Unexpected> {
        let budget = self.budget.checked_sub(work).ok_or(Unexpected)?;
        let slot = if flag {
            let start = u32::try_from(self.starts.len()).map_err(|_| Unexpected)?;
            self.starts.push(at);
            self.push_slot(Slot::Tokens { start, open: true });
            Some(self.refs.len() - 1)
        } else {
            None
        };
        self.budget = budget;
        Ok(slot)
    }

    /// Takes the next index now (pre-order, as CPython numbers them) for a
    /// value that is finished later with [`Reader::fill`].
    #[inline]
    fn reserve(&mut self, flag: bool, slot: Slot) -> Option<usize> {
        (flag && self.replaying == 0).then(|| {
            self.push_slot(slot);
            self.refs.len() - 1
        })
    }

    #[inline]
    fn fill(&mut self, index: Option<usize>, value: &Value<'a>) -> Res<()> {
        if let Some(i) = index {
            let slot = self.slot_for(value).ok_or_else(|| fail_tables(self.pos))?;
            if let Some(old) = self.refs.get_mut(i) {
                *old = slot;
            }
        }
        Ok(())
    }

    #[inline]
    fn resolve(&mut self, at: usize, index: i32, depth: usize) -> Res<Value<'a>> {
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| Some((i, *self.refs.get(i)?)));
        match found {
            Some((_, Slot::Int(n))) => Ok(Value::Int(n.into())),
            Some((_, Slot::Value(v))) => match self.values.get(v as usize) {
                Some(Value::Str(Cow::Owned(text))) => {
                    self.copy_budget =
                        (self.copy_budget.checked_sub(text.len())).ok_or_else(|| fail_copy(at))?;
                    Ok(Value::Str(Cow::Owned(text.clone())))
                }
                Some(value) => Ok(value.clone()),
                None => Err(self.fail_resolve(at, index)),
            },
            Some((i, Slot::Tokens { start, open: false })) => match self.starts.get(start as usize)
            {
                Some(&start) => self.replay(start, i, depth),
                None => Err(self.fail_resolve(at, index)),
            },
            _ => Err(self.fail_resolve(at, index)),
        }
    }

    /// Reads again, as a value, a container that a [`Stream`] consumer read
    /// as tokens, and caches it in its slot. Its objects were registered the
    /// first time round, so nothing is registered now; references inside it
    /// point to earlier slots, which still hold the same objects.
    #[cold]
    #[inline(never)]
    fn replay(&mut self, start: usize, index: usize, depth: usize) -> Res<Value<'a>> {
        let resume = self.pos;
        self.pos = start;
        self.replaying += 1;
        let value = self.item(depth, "reference");
        self.replaying -= 1;
        self.pos = resume;
        let value = value?;
        // The tag stays: it describes the same object.
        if let Some(slot) = self.slot_for(&value) {
            if let Some(old) = self.refs.get_mut(index) {
                *old = slot;
            }
        }
        Ok(value)
    }

    #[cold]
    #[inline(never)]
    fn fail_resolve(&self, at: usize, index: i32) -> Box<ParseError> {
        let slot = usize::try_from(index).ok().and_then(|i| self.refs.get(i));
        match slot {
            Some(Slot::Reserved) => fail(
                at,
                format!(
                    "invalid reference {index}: it points to a frozenset, code or slice object \
                     that is still being read"
                ),
            ),
            Some(Slot::Open) | Some(Slot::Tokens { open: true, .. }) => fail(
                at,
                format!(
                    "reference {index} points to a container that is still being read \
                     (recursive data is not supported)"
                ),
            ),
            Some(Slot::TopLevelDict) => {
                fail(at, "reference to the top-level dict is not supported")
            }
            _ => fail(
                at,
                format!(
                    "invalid reference {index} (only {} objects so far)",
                    self.refs.len()
                ),
            ),
        }
    }

    /// The type byte at `pos` and the int32 after it, if there are 5 bytes.
    #[inline(always)]
    fn head_i32(&self) -> Option<(u8, i32)> {
        let &[code, a, b, c, d] = self.data.get(self.pos..)?.first_chunk::<5>()?;
        Some((code, i32::from_le_bytes([a, b, c, d])))
    }

    /// The int32 at byte `at`, for the token path (which moves `pos` itself,
    /// once the whole object has been accepted).
    #[inline(always)]
    fn fast_i32(&self, at: usize) -> Result<i32, Unexpected> {
        match self.data.get(at..).and_then(|rest| rest.first_chunk::<4>()) {
            Some(bytes) => Ok(i32::from_le_bytes(*bytes)),
            None => Err(Unexpected),
        }
    }

    /// Reads one object; `Ok(None)` is the NULL that ends a dict.
    ///
    /// The leaves that make up nearly all of a pstats dump (`i g r z`) are
    /// handled inline here, saving a call per leaf in container loops;
    /// everything else goes to [`Reader::read_other`].
    #[inline(always)]
    fn read(&mut self, depth: usize) -> Res<Option<Value<'a>>> {
        let at = self.pos;
        let Some(&code) = self.data.get(at) else {
            return Err(fail(
                at,
                "truncated: input ends where an object was expected",
            ));
        };
        if depth > MAX_DEPTH {
            return Err(fail_depth(at));
        }
        self.pos += 1;
        let flag = code & FLAG_REF != 0;
        let value = match code & !FLAG_REF {
            b'r' => {
                let index = self.i32(at, "reference index")?;
                self.resolve(at, index, depth)?
            }
            b'i' => {
                let n = self.i32(at, "int")?;
                self.keep(flag, Value::Int(n.into()))?
            }
            b'g' => {
                let x = self.f64(at, "float")?;
                self.keep(flag, Value::Float(x))?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.u8(at, "string length")?);
                let text = decode_latin1(self.string_bytes(at, n, "string")?);
                self.keep(flag, Value::Str(text))?
            }
            b'0' => return Ok(None),
            _ => self.read_other(at, code, depth)?,
        };
        Ok(Some(value))
    }

    /// [`Reader::read`] for everything but the common leaves.
    #[inline(never)]
    fn read_other(&mut self, at: usize, code: u8, depth: usize) -> Res<Value<'a>> {
        self.charge(at, 1)?;
        let flag = code & FLAG_REF != 0;
        match code & !FLAG_REF {
            ty @ (b'(' | b')' | b'[' | b'<' | b'>') => self.sequence(at, ty, flag, depth),
            b'{' => self.dict(flag, depth),
            b'c' => self.code(at, flag, depth),
            b':' => self.slice(flag, depth),
            _ => self.read_scalar(at, code),
        }
    }

    /// The rare leaves. Kept apart from the recursive path so that their
    /// temporaries do not enlarge every level's stack frame.
    #[inline(never)]
    fn read_scalar(&mut self, at: usize, code: u8) -> Res<Value<'a>> {
        let flag = code & FLAG_REF != 0;
        Ok(match code & !FLAG_REF {
            // CPython ignores the flag on singletons and references.
            b'N' => Value::None,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'.' => Value::Ellipsis,
            b'S' => Value::StopIteration,
            b'R' => self.py2_string_ref(at)?,
            b'I' => {
                let n = i64::from_le_bytes(self.fixed(at, "int64")?);
                self.keep(flag, Value::Int(n))?
            }
            b'l' => {
                let n = self.long(at)?;
                self.keep(flag, n)?
            }
            b'f' => {
                let x = self.text_float(at)?;
                self.keep(flag, Value::Float(x))?
            }
            b'y' => {
                let re = self.f64(at, "complex real part")?;
                let im = self.f64(at, "complex imaginary part")?;
                self.keep(flag, Value::Complex(re, im))?
            }
            b'x' => {
                let re = self.text_float(at)?;
                let im = self.text_float(at)?;
                self.keep(flag, Value::Complex(re, im))?
            }
            ty @ (b's' | b't' | b'u') => {
                let n = self.size(at, "string length")?;
                let text = decode_utf8(self.string_bytes(at, n, "string")?);
                if ty == b't' && self.replaying == 0 {
                    self.py2_strings.push(text.clone());
                }
                self.keep(flag, Value::Str(text))?
            }
            b'a' | b'A' => {
                let n = self.size(at, "string length")?;
                let text = decode_latin1(self.string_bytes(at, n, "string")?);
                self.keep(flag, Value::Str(text))?
            }
            // `r i g z Z` are read by `read`.
            _ => return Err(fail_type_code(at, code)),
        })
    }

    /// Reads an object where NULL is not allowed.
    #[inline(always)]
    fn item(&mut self, depth: usize, inside: &str) -> Res<Value<'a>> {
        let at = self.pos;
        match self.read(depth)? {
            Some(value) => Ok(value),
            None => Err(fail_null(at, inside)),
        }
    }

    /// Python 2 `R`: an index into the interned strings read so far.
    fn py2_string_ref(&mut self, at: usize) -> Res<Value<'a>> {
        let index = self.i32(at, "string reference index")?;
        match usize::try_from(index)
            .ok()
            .and_then(|i| self.py2_strings.get(i))
        {
            Some(s) => {
                if let Cow::Owned(text) = s {
                    self.copy_budget =
                        (self.copy_budget.checked_sub(text.len())).ok_or_else(|| fail_copy(at))?;
                }
                Ok(Value::Str(s.clone()))
            }
            None => Err(fail(
                at,
                format!(
                    "invalid string reference {index} (only {} interned strings so far)",
                    self.py2_strings.len()
                ),
            )),
        }
    }

    fn long(&mut self, at: usize) -> Res<Value<'a>> {
        let n = self.i32(at, "long digit count")?;
        let negative = n < 0;
        let count = n.unsigned_abs() as usize;
        let Some(raw) = count
            .checked_mul(2)
            .and_then(|len| self.data.get(self.pos..)?.get(..len))
        else {
            return Err(fail(
                at,
                format!(
                    "truncated: long of {count} digits claimed ({} needed) but only {} left",
                    n_bytes(count.saturating_mul(2)),
                    n_bytes(self.left())
                ),
            ));
        };
        self.charge(at, count)?;
        self.pos += raw.len();
        let digits: Vec<u16> = raw
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        if let Some(bad) = digits.iter().find(|&&d| d > 0x7fff) {
            return Err(fail(
                at,
                format!("digit {bad:#06x} out of range in long (digits are 15-bit)"),
            ));
        }
        if digits.last() == Some(&0) {
            return Err(fail(at, "unnormalized long (top digit is zero)"));
        }
        // Eight digits are 120 bits, so the magnitude cannot overflow.
        if digits.len() <= 8 {
            let magnitude = digits
                .iter()
                .rev()
                .fold(0i128, |acc, &d| (acc << 15) | i128::from(d));
            let signed = if negative { -magnitude } else { magnitude };
            if let Ok(small) = i64::try_from(signed) {
                return Ok(Value::Int(small));
            }
        }
        Ok(Value::BigInt(Rc::new(BigInt {
            negative,
            digits: digits.into_boxed_slice(),
        })))
    }

    /// Marshal version 0/1 float: uint8 length and the `repr` text.
    fn text_float(&mut self, at: usize) -> Res<f64> {
        let n = usize::from(self.u8(at, "float text length")?);
        let raw = self.string_bytes(at, n, "float text")?;
        match std::str::from_utf8(raw).map(str::parse::<f64>) {
            Ok(Ok(x)) => Ok(x),
            _ => Err(fail(
                at,
                format!("invalid float text {:?}", String::from_utf8_lossy(raw)),
            )),
        }
    }

    fn sequence(&mut self, at: usize, ty: u8, flag: bool, depth: usize) -> Res<Value<'a>> {
        let (kind, size_field) = match ty {
            b'(' | b')' => ("tuple", "tuple size"),
            b'[' => ("list", "list size"),
            b'<' => ("set", "set size"),
            _ => ("frozenset", "frozenset size"),
        };
        let n = if ty == b')' {
            usize::from(self.u8(at, size_field)?)
        } else {
            self.size(at, size_field)?
        };
        if n > self.left() {
            return Err(fail_short_items(at, kind, n, self.left()));
        }
        // The items are charged here so that the leaf fast path needs no
        // bookkeeping.
        self.charge(at, n)?;
        let slot = if ty == b'>' {
            Slot::Reserved
        } else {
            Slot::Open
        };
        let index = self.reserve(flag, slot);
        let base = self.items.len();
        for _ in 0..n {
            let item = self.item(depth + 1, kind)?;
            self.items.push(item);
        }
        let items = self.take_items(base);
        let value = match ty {
            b'(' | b')' => Value::Tuple(items),
            b'[' => Value::List(items),
            b'<' => Value::Set(items),
            _ => Value::FrozenSet(items),
        };
        self.fill(index, &value)?;
        Ok(value)
    }

    /// Moves `items[base..]` into one `Rc` allocation.
    #[inline]
    fn take_items(&mut self, base: usize) -> Rc<[Value<'a>]> {
        // Arrays of a known size skip `collect`'s iterator machinery for the
        // 3-, 4- and 5-tuples that pstats data is made of.
        let items = &mut self.items;
        match items.len().saturating_sub(base) {
            3 => {
                if let (Some(c), Some(b), Some(a)) = (items.pop(), items.pop(), items.pop()) {
                    return Rc::new([a, b, c]);
                }
            }
            4 => {
                if let (Some(d), Some(c), Some(b), Some(a)) =
                    (items.pop(), items.pop(), items.pop(), items.pop())
                {
                    return Rc::new([a, b, c, d]);
                }
            }
            5 => {
                if let (Some(e), Some(d), Some(c), Some(b), Some(a)) = (
                    items.pop(),
                    items.pop(),
                    items.pop(),
                    items.pop(),
                    items.pop(),
                ) {
                    return Rc::new([a, b, c, d, e]);
                }
            }
            _ => {}
        }
        items.drain(base..).collect()
    }

    fn dict(&mut self, flag: bool, depth: usize) -> Res<Value<'a>> {
        let index = self.reserve(flag, Slot::Open);
        let base = self.entries.len();
        // As in CPython, a NULL in place of either the key or the value ends
        // the dict.
        while let Some(key) = self.read(depth + 1)? {
            let Some(value) = self.read(depth + 1)? else {
                break;
            };
            self.charge(self.pos, 2)?;
            self.entries.push((key, value));
        }
        let value = Value::Dict(self.entries.drain(base..).collect());
        self.fill(index, &value)?;
        Ok(value)
    }

    fn slice(&mut self, flag: bool, depth: usize) -> Res<Value<'a>> {
        let index = self.reserve(flag, Slot::Reserved);
        let start = self.item(depth + 1, "slice")?;
        let stop = self.item(depth + 1, "slice")?;
        let step = self.item(depth + 1, "slice")?;
        let value = Value::Slice(Rc::new([start, stop, step]));
        self.fill(index, &value)?;
        Ok(value)
    }

    /// The file does not say which Python wrote it, and the code layouts differ
    /// in the number of leading int32 fields, so each is tried in turn.
    /// Misaligned guesses almost always fail on the first field (a length
    /// whose high byte is the next type code), so this is cheap in practice.
    #[inline(never)]
    fn code(&mut self, at: usize, flag: bool, depth: usize) -> Res<Value<'a>> {
        let index = self.reserve(flag, Slot::Reserved);
        let mark = Mark {
            pos: self.pos,
            refs: self.refs.len(),
            py2_strings: self.py2_strings.len(),
            items: self.items.len(),
            entries: self.entries.len(),
        };
        let mut deepest: Option<Box<ParseError>> = None;
        // 2.7; 3.0–3.7 and 3.11+ (told apart later); 3.8–3.10.
        for header_ints in [4, 5, 6] {
            match self.code_layout(at, header_ints, depth) {
                Ok(summary) => {
                    let value = Value::Code(Rc::new(summary));
                    self.fill(index, &value)?;
                    return Ok(value);
                }
                Err(error) => {
                    if self.budget == 0 {
                        return Err(error);
                    }
                    self.pos = mark.pos;
                    self.truncate_refs(mark.refs);
                    self.py2_strings.truncate(mark.py2_strings);
                    self.items.truncate(mark.items);
                    self.entries.truncate(mark.entries);
                    // The guess that got furthest is the likeliest right one,
                    // so its complaint is the useful one (e.g. truncation).
                    if deepest
                        .as_ref()
                        .is_none_or(|d| offset_of(&error) > offset_of(d))
                    {
                        deepest = Some(error);
                    }
                }
            }
        }
        Err(deepest.unwrap_or_else(|| fail(at, "code object matches no known layout")))
    }

    fn code_layout(&mut self, at: usize, header_ints: usize, depth: usize) -> Res<CodeSummary<'a>> {
        for _ in 0..header_ints {
            self.i32(at, "code object header")?;
        }
        // co_code is a byte string or a reference to one; checking the type
        // byte first keeps a misaligned guess from reading a container.
        let code_at = self.pos;
        match self.data.get(code_at).map(|c| c & !FLAG_REF) {
            Some(b's' | b't' | b'u' | b'a' | b'A' | b'z' | b'Z' | b'r' | b'R') => {}
            _ => {
                return Err(fail(code_at, "code object: co_code is not a byte string"));
            }
        }
        self.code_str(depth, "co_code")?;
        self.code_tuple(depth, "co_consts")?;
        self.code_tuple(depth, "co_names")?;
        self.code_tuple(depth, "co_varnames")?;
        // Five header ints are shared by 3.0–3.7 (co_freevars, a tuple, comes
        // next) and 3.11+ (co_localspluskinds, a byte string).
        let next_at = self.pos;
        let modern = match self.item(depth + 1, "code object")? {
            Value::Str(_) if header_ints == 5 => true,
            Value::Tuple(_) => false,
            other => {
                return Err(fail(
                    next_at,
                    format!(
                        "code object: expected a tuple for co_freevars or a byte string for \
                         co_localspluskinds, found {}",
                        other.type_name()
                    ),
                ));
            }
        };
        if !modern {
            self.code_tuple(depth, "co_cellvars")?;
        }
        let filename = self.code_str(depth, "co_filename")?;
        let name = self.code_str(depth, "co_name")?;
        let qualname = if modern {
            Some(self.code_str(depth, "co_qualname")?)
        } else {
            None
        };
        let line_at = self.pos;
        let firstlineno = self.i32(line_at, "co_firstlineno")?;
        if modern {
            self.code_str(depth, "co_linetable")?;
            self.code_str(depth, "co_exceptiontable")?;
        } else {
            self.code_str(depth, "co_lnotab")?;
        }
        Ok(CodeSummary {
            name,
            qualname,
            filename,
            firstlineno,
        })
    }

    fn code_str(&mut self, depth: usize, field: &str) -> Res<Cow<'a, str>> {
        let at = self.pos;
        match self.item(depth + 1, "code object")? {
            Value::Str(s) => Ok(s),
            other => Err(fail(
                at,
                format!(
                    "code object: expected a string for {field}, found {}",
                    other.type_name()
                ),
            )),
        }
    }

    fn code_tuple(&mut self, depth: usize, field: &str) -> Res<()> {
        let at = self.pos;
        match self.item(depth + 1, "code object")? {
            Value::Tuple(_) => Ok(()),
            other => Err(fail(
                at,
                format!(
                    "code object: expected a tuple for {field}, found {}",
                    other.type_name()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every valid sample below was written by a real CPython (the few
    //! hand-made inputs say so). `PY311: EXPR` means the output of
    //! `~/.pyenv/versions/3.11.7/bin/python -c 'import marshal, sys;
    //! print(marshal.dumps(EXPR).hex())'`; `PY27`, `PY313` etc. name the
    //! other pyenv interpreters (2.7 prints with `binascii.hexlify`).

    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.len().is_multiple_of(2), "odd hex length");
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
            .collect()
    }

    fn read_hex(text: &str) -> Value<'static> {
        let data: &'static [u8] = hex(text).leak();
        read_value(data).unwrap_or_else(|e| panic!("{e}"))
    }

    fn read_err(data: &[u8]) -> ParseError {
        match read_value(data) {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(error) => error,
        }
    }

    fn assert_err(data: &[u8], offset: u64, needle: &str) {
        let error = read_err(data);
        assert_eq!(error.position, Position::Byte(offset), "{error}");
        assert!(error.message.contains(needle), "{error}");
    }

    fn s(text: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(text))
    }

    fn tuple<'a>(items: impl IntoIterator<Item = Value<'a>>) -> Value<'a> {
        Value::Tuple(items.into_iter().collect())
    }

    fn items<'v, 'a>(value: &'v Value<'a>) -> &'v [Value<'a>] {
        match value {
            Value::Tuple(items)
            | Value::List(items)
            | Value::Set(items)
            | Value::FrozenSet(items) => items,
            other => panic!("not a sequence: {other:?}"),
        }
    }

    fn code(value: &Value<'_>) -> (String, Option<String>, String, i32) {
        match value {
            Value::Code(c) => (
                c.name.to_string(),
                c.qualname.as_ref().map(|q| q.to_string()),
                c.filename.to_string(),
                c.firstlineno,
            ),
            other => panic!("not a code object: {other:?}"),
        }
    }

    /// Collects what `for_each_dict_entry` hands out.
    fn entries(data: &[u8]) -> Vec<(Value<'_>, Value<'_>, u64)> {
        let mut out = Vec::new();
        for_each_dict_entry(data, |k, v, at| {
            out.push((k, v, at));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn singletons() {
        // PY311: (None, True, False, ..., StopIteration)
        let v = read_hex("a9054e54462e53");
        let expected = [
            Value::None,
            Value::Bool(true),
            Value::Bool(false),
            Value::Ellipsis,
            Value::StopIteration,
        ];
        assert_eq!(v, tuple(expected));
    }

    #[test]
    fn ints() {
        // PY311: (5, -5, 2**31-1, -2**31)
        let v = read_hex("a904e905000000e9fbffffff69ffffff7f6900000080");
        let expected = [5, -5, i64::from(i32::MAX), i64::from(i32::MIN)].map(Value::Int);
        assert_eq!(v, tuple(expected));
        // PY27: (2**40, -2**40), written as INT64 by 2.7.
        let v = read_hex("2802000000490000000000010000490000000000ffffff");
        assert_eq!(v, tuple([Value::Int(1 << 40), Value::Int(-(1 << 40))]));
    }

    #[test]
    fn longs() {
        // PY311: 2**33+123
        assert_eq!(
            read_hex("ec030000007b0000000800"),
            Value::Int((1 << 33) + 123)
        );
        // PY311: 2**100
        let v = read_hex("ec070000000000000000000000000000000004");
        let Value::BigInt(big) = &v else {
            panic!("{v:?}")
        };
        assert!(!big.negative);
        assert_eq!(&*big.digits, &[0, 0, 0, 0, 0, 0, 1 << 10]);
        assert_eq!(v.as_f64(), Some(2f64.powi(100)));
        assert_eq!(v.as_i64(), None);
        assert_eq!(v.type_name(), "int");
        // PY311: -(2**70)
        let v = read_hex("ecfbffffff00000000000000000004");
        assert_eq!(v.as_f64(), Some(-(2f64.powi(70))));
        // PY311: (2**63-1, -2**63, 2**63, -2**63-1, 0)
        let v = read_hex(
            "a9056c05000000ff7fff7fff7fff7f07006cfbffffff000000000000000008006c05000000000000\
             000000000008006cfbffffff01000000000000000800e900000000",
        );
        let v = items(&v);
        assert_eq!(v[0], Value::Int(i64::MAX));
        assert_eq!(v[1], Value::Int(i64::MIN));
        assert!(matches!(&v[2], Value::BigInt(b) if !b.negative));
        assert!(matches!(&v[3], Value::BigInt(b) if b.negative && b.digits[0] == 1));
        assert_eq!(v[3].as_f64(), Some(-(2f64.powi(63))));
        assert_eq!(v[4], Value::Int(0));
    }

    #[test]
    fn floats_and_complex() {
        // PY311: 1.5
        assert_eq!(read_hex("e7000000000000f83f"), Value::Float(1.5));
        // PY311: marshal.dumps(1.5, 1)
        assert_eq!(read_hex("6603312e35"), Value::Float(1.5));
        // PY311: marshal.dumps((float('inf'), -0.0, 1e300, 2.5e-10), 1)
        let v = read_hex(
            "28040000006603696e6666022d306617312e30303030303030303030303030303031652b33303066\
             16322e35303030303030303030303030303032652d3130",
        );
        let v: Vec<f64> = items(&v).iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(v[0], f64::INFINITY);
        assert!(v[1] == 0.0 && v[1].is_sign_negative());
        assert_eq!(v[2], 1e300);
        assert_eq!(v[3], 2.5e-10);
        // PY311: 1+2j
        assert_eq!(
            read_hex("f9000000000000f03f0000000000000040"),
            Value::Complex(1.0, 2.0)
        );
        // PY311: marshal.dumps(1.5-2j, 1)
        assert_eq!(read_hex("7803312e35022d32"), Value::Complex(1.5, -2.0));
        assert_eq!(Value::Int(3).as_f64(), Some(3.0));
    }

    #[test]
    fn strings() {
        // PY311: b'ab\xff' (bytes are decoded lossily)
        assert_eq!(read_hex("f3030000006162ff"), s("ab\u{fffd}"));
        // PY311: ('hello world', 'h\xe9llo \u20ac', sys.intern('h\xe9llo'), '\ud800x')
        let v = read_hex(
            "a9047a0b68656c6c6f20776f726c64750a00000068c3a96c6c6f20e282acf40600000068c3a96c6c\
             6f7504000000eda08078",
        );
        let v = items(&v);
        assert!(matches!(&v[0], Value::Str(Cow::Borrowed("hello world"))));
        assert_eq!(v[1].as_str(), Some("héllo €"));
        assert_eq!(v[2].as_str(), Some("héllo"));
        // A lone surrogate (surrogatepass) cannot be UTF-8 text.
        assert_eq!(v[3].as_str(), Some("\u{fffd}\u{fffd}\u{fffd}x"));
        // PY311: ''.join(['a']*300) -> 'a' with the ref flag
        let v = read_hex(&["e12c010000", &"61".repeat(300)].concat());
        assert_eq!(v.as_str(), Some("a".repeat(300).as_str()));
        // PY311: sys.intern('b'*300) -> 'A' with the ref flag
        let v = read_hex(&["c12c010000", &"62".repeat(300)].concat());
        assert_eq!(v.as_str(), Some("b".repeat(300).as_str()));
        assert_eq!(v.as_cow().map(|c| c.len()), Some(300));
        // PY27: u'h\xe9llo'
        assert_eq!(read_hex("750600000068c3a96c6c6f"), s("héllo"));
        // CPython reads the ASCII types as Latin-1 (hand-made: 'z' b'\xe9').
        assert_eq!(read_value(b"z\x01\xe9").unwrap(), s("é"));
    }

    #[test]
    fn containers() {
        // PY311: ((1, 2), [3, 4], {5}, frozenset({6}), frozenset(), {7: 8})
        let v = read_hex(
            "a9062902e901000000e9020000005b02000000e903000000e9040000003c01000000e90500000\
             03e01000000e9060000003e000000007be907000000e90800000030",
        );
        let expected = tuple([
            tuple([Value::Int(1), Value::Int(2)]),
            Value::List(vec![Value::Int(3), Value::Int(4)].into()),
            Value::Set(vec![Value::Int(5)].into()),
            Value::FrozenSet(vec![Value::Int(6)].into()),
            Value::FrozenSet(Vec::new().into()),
            Value::Dict(vec![(Value::Int(7), Value::Int(8))].into()),
        ]);
        assert_eq!(v, expected);
        assert_eq!(items(&v)[5].as_dict().map(|d| d.len()), Some(1));
        // PY311: tuple([None]*256) -> '(' since it does not fit ')'
        let v = read_hex(&["a800010000", &"4e".repeat(256)].concat());
        assert_eq!(v.as_tuple().map(|t| t.len()), Some(256));
        // A slice (version 5, Python 3.14, not installed here), hand-made
        // from the spec: slice(1, 2, None).
        let v = read_value(b":i\x01\x00\x00\x00i\x02\x00\x00\x00N").unwrap();
        assert_eq!(
            v,
            Value::Slice(Rc::new([Value::Int(1), Value::Int(2), Value::None]))
        );
    }

    #[test]
    fn python2_tuples_interned_strings_and_string_refs() {
        // PY27: ('abc', 'abc', intern('xyz'), 'xyz', 'not interned!', 2**40, -2**40, 7, (1, 2))
        let v = read_hex(
            "280900000074030000006162635200000000740300000078797a5201000000730d0000006e6f7420\
             696e7465726e656421490000000000010000490000000000ffffff6907000000280200000069010000\
             006902000000",
        );
        let expected = tuple([
            s("abc"),
            s("abc"),
            s("xyz"),
            s("xyz"),
            s("not interned!"),
            Value::Int(1 << 40),
            Value::Int(-(1 << 40)),
            Value::Int(7),
            tuple([Value::Int(1), Value::Int(2)]),
        ]);
        assert_eq!(v, expected);
    }

    #[test]
    fn refs_share_instead_of_copying() {
        // PY311: x = ('a', 'b'); [x, x]
        let v = read_hex("5b02000000a902da0161da01627200000000");
        let v = items(&v);
        assert_eq!(v[0], tuple([s("a"), s("b")]));
        let (Value::Tuple(first), Value::Tuple(second)) = (&v[0], &v[1]) else {
            panic!("{v:?}")
        };
        assert!(Rc::ptr_eq(first, second));
    }

    #[test]
    fn refs_are_numbered_in_pre_order() {
        // PY311: {'x': (1, 'x')}: the dict is ref 0 although it ends last,
        // so 'x' is ref 1 and the final `r 1` means 'x', not the tuple.
        let v = read_hex("fbda0178a902e901000000720100000030");
        let expected = Value::Dict(vec![(s("x"), tuple([Value::Int(1), s("x")]))].into());
        assert_eq!(v, expected);
    }

    /// PY3x: c = compile('\n\ndef f(): pass', 'prog.py', 'exec');
    /// marshal.dumps((c, c.co_consts[0])).hex()
    const CODE_SAMPLES: &[(&str, &str)] = &[
        (
            "2.7",
            "28020000006300000000000000000100000040000000730d0000006400008400005a0000640100532802\
             000000630000000000000000010000004300000073040000006400005328010000004e2800000000280000\
             000028000000002800000000730700000070726f672e70797401000000660300000074000000004e2801\
             0000005200000000280000000028000000002800000000730700000070726f672e707974080000003c6d6f\
             64756c653e030000005201000000630000000000000000010000004300000073040000006400005328010000\
             004e2800000000280000000028000000002800000000730700000070726f672e70795200000000030000005201000000",
        ),
        (
            "3.6",
            "a902e30000000000000000000000000200000040000000730c0000006400640184005a00640253002903\
             e3000000000000000000000000010000004300000073040000006400530029014ea900720300000072030000\
             007203000000fa0770726f672e7079da016603000000730000000072050000004e290172050000007203000000\
             720300000072030000007204000000da083c6d6f64756c653e0300000073000000007202000000",
        ),
        (
            "3.7",
            "2902e30000000000000000000000000200000040000000730c0000006400640184005a00640253002903\
             e3000000000000000000000000010000004300000073040000006400530029014ea900720200000072020000\
             007202000000fa0770726f672e7079da016603000000f30000000072040000004e290172040000007202000000\
             720200000072020000007203000000da083c6d6f64756c653e0300000072050000007201000000",
        ),
        (
            "3.8",
            "2902e3000000000000000000000000000000000200000040000000730c0000006400640184005a006402\
             53002903e300000000000000000000000000000000010000004300000073040000006400530029014ea90072\
             0200000072020000007202000000fa0770726f672e7079da016603000000f30000000072040000004e290172\
             040000007202000000720200000072020000007203000000da083c6d6f64756c653e0300000072050000007201000000",
        ),
        (
            "3.10",
            "2902e3000000000000000000000000000000000200000040000000730c0000006400640184005a006402\
             53002903e300000000000000000000000000000000010000004300000073040000006400530029014ea90072\
             0200000072020000007202000000fa0770726f672e7079da0166030000007302000000040072040000004e29\
             0172040000007202000000720200000072020000007203000000da083c6d6f64756c653e0100000073020000\
             000c027201000000",
        ),
        (
            "3.11",
            "2902e30000000000000000000000000100000000000000f30c0000009700640084005a00640153002902\
             e30000000000000000000000000100000003000000f30600000097006400530029014ea9007204000000f300\
             000000fa0770726f672e7079da0166720700000003000000730600000080008000800072050000004e290172\
             07000000720400000072050000007206000000fa083c6d6f64756c653e7208000000010000007312000000f0\
             03010101f00600010e800d800d800d800d72050000007202000000",
        ),
        (
            "3.12",
            "2902e30000000000000000000000000100000000000000f30a0000009700640084005a0079012902e300\
             00000000000000000000000000000003000000f3040000009700790029014ea9007204000000f300000000\
             fa0770726f672e7079da01667207000000030000007302000000810072050000004e290172070000007204\
             00000072050000007206000000fa083c6d6f64756c653e720800000001000000730a000000f003010101f3\
             0600010e72050000007202000000",
        ),
        (
            "3.13",
            "2902e30000000000000000000000000100000000000000f30a000000950053001a00720067012902e300\
             00000000000000000000000100000003000000f3040000009500670029014ea9007204000000f300000000\
             da0770726f672e7079da016672070000000300000073040000008000881472050000004e29017207000000\
             720400000072050000007206000000da083c6d6f64756c653e720800000001000000730a000000f0030101\
             01f30600010e72050000007202000000",
        ),
    ];

    #[test]
    fn code_objects_of_every_layout() {
        for (version, sample) in CODE_SAMPLES {
            let v = read_hex(sample);
            let v = items(&v);
            let modern = matches!(*version, "3.11" | "3.12" | "3.13");
            let qualname = |q: &str| modern.then(|| q.to_string());
            // Python: c.co_firstlineno
            let module_line = if version.starts_with("3.1") { 1 } else { 3 };
            assert_eq!(
                code(&v[0]),
                (
                    "<module>".into(),
                    qualname("<module>"),
                    "prog.py".into(),
                    module_line
                ),
                "{version}"
            );
            assert_eq!(
                code(&v[1]),
                ("f".into(), qualname("f"), "prog.py".into(), 3),
                "{version}"
            );
        }
    }

    /// PY311: prog.py is `def fib(n): ...; def main(): fib(5); main()`;
    /// `python -m cProfile -o c.prof prog.py`, then the file's hex.
    const CPROFILE_311: &str = "\
        fb2903fa0770726f672e7079e901000000fa083c6d6f64756c653e2905720200000072020000006768b12b65cd53b33e\
        67365df1025cf8e03e7b2903fa017ee900000000fa1f3c6275696c742d696e206d6574686f64206275696c74696e732e\
        657865633e2904720200000072020000006768b12b65cd53b33e67365df1025cf8e03e3029037201000000e904000000\
        da046d61696e2905720200000072020000006783002865a38aaa3e6713ce97acc41bdd3e7b2903720100000072020000\
        0072030000002904720200000072020000006783002865a38aaa3e6713ce97acc41bdd3e302903720100000072020000\
        00da0366696229057202000000e90f0000006703cef23f70cad93e6703cef23f70cad93e7b2903720100000072070000\
        007208000000290472020000007202000000678f357c3b24dda83e6703cef23f70cad93e290372010000007202000000\
        72090000002904e90e000000e90200000067514783b8cbaed63e67514783b8cbaed63e30290372040000007205000000\
        fa303c6d6574686f64202764697361626c6527206f6620275f6c7370726f662e50726f66696c657227206f626a656374\
        733e290572020000007202000000673a8c30e28e79853e673a8c30e28e79853e7b302903720400000072050000007206\
        000000290572020000007202000000676ec7e3880640c43e67124f2aa55d08e63e7b3030";

    /// PY27: the same, with `python2 -m cProfile -o` (uses `t` and `R`).
    const CPROFILE_27: &str = "\
        7b280300000074010000007e690000000073300000003c6d6574686f64202764697361626c6527206f6620275f6c7370\
        726f662e50726f66696c657227206f626a656374733e280500000069010000006901000000678dedb5a0f7c6b03e678d\
        edb5a0f7c6b03e7b302803000000730700000070726f672e7079690100000074080000003c6d6f64756c653e28050000\
        0069010000006901000000678dedb5a0f7c6b03e678dedb5a0f7c6d03e7b302803000000730700000070726f672e7079\
        690400000074040000006d61696e280500000069010000006901000000678dedb5a0f7c6b03e6754e41071732ac93e7b\
        2803000000730700000070726f672e707969010000005201000000280400000069010000006901000000678dedb5a0f7\
        c6b03e6754e41071732ac93e302803000000730700000070726f672e7079690100000074030000006669622805000000\
        6901000000690f000000678dedb5a0f7c6c03e678dedb5a0f7c6c03e7b2803000000730700000070726f672e70796904\
        0000005202000000280400000069010000006901000000670000000000000000678dedb5a0f7c6c03e28030000007307\
        00000070726f672e7079690100000052030000002804000000690e0000006902000000678dedb5a0f7c6c03e678dedb5\
        a0f7c6c03e3030";

    /// PY313: the same, with `python -m profile -o` (a code object as a key).
    const PROFILE_313: &str = "\
        fba903da0770726f66696c65e900000000da0870726f66696c6572290572030000007203000000720300000072030000\
        007b30a90372020000007203000000e30000000000000000000000000200000000000000f31e000000950053001a0072\
        0053011a0072015c0122003500000000000000200067022903e30100000000000000000000000500000003000000f34c\
        0000009500550053013a12000061020000550024005b010000000000000000550053022d0a000035010000000000005b\
        010000000000000000550053012d0a000035010000000000002d000000240029034ee902000000e901000000a901da03\
        6669622901da016e730100000020da0770726f672e7079720d000000720d0000000100000073280000008000d8101190\
        4193058831d004329c339871a03199759b3aac03a841b001a945ab0ad11b32d00432f300000000e30000000000000000\
        000000000300000003000000f31a00000095005b010000000000000000530135010000000000002000670029024ee905\
        000000720c000000a9007210000000720f000000da046d61696e72150000000400000073090000008000dc0407880185\
        4672100000004e2902720d000000721500000072140000007210000000720f000000da083c6d6f64756c653e72160000\
        00010000007316000000f003010101f202010133f20601010bf106000105850672100000002905720b000000720b0000\
        00e7008c1e2b9db4f53ee78050aecd1f03243f7b7201000000720b00000030a903da0072030000007a04657865632905\
        720b000000720b000000e7008007f4e5accf3ee700c2af1b602d013f7b7205000000720b00000030a903720f00000072\
        0b00000072160000002905720b000000720b000000e70040c417ebf0c73ee70094de782365fe3e7b7219000000720b00\
        000030a903720f000000e90400000072150000002905720b000000720b000000e700003fdc2e64c03ee7000ce6150667\
        fb3e7b721d000000720b00000030a903720f000000720b000000720d0000002905720b000000e90f000000e7002c5e3a\
        805af93ee7002c5e3a805af93e7ba903720f000000720b000000720d000000e90e0000007220000000720b00000030a9\
        03721a0000007203000000fa0a73657470726f66696c652905720b000000720b000000e7001dbd4268021a3fe7001dbd\
        4268021a3f7b7205000000720b0000003030";

    fn key_text(key: &Value<'_>) -> String {
        let parts = key.as_tuple().expect("key tuple");
        let name = match &parts[2] {
            Value::Code(c) => format!("<code {}>", c.name),
            other => other.as_str().expect("name").to_string(),
        };
        format!(
            "{}:{}:{}",
            parts[0].as_str().expect("file"),
            parts[1].as_i64().expect("line"),
            name
        )
    }

    #[test]
    fn streams_a_python3_cprofile_dump() {
        let data = hex(CPROFILE_311);
        let all = entries(&data);
        let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
        assert_eq!(
            keys,
            [
                "prog.py:1:<module>",
                "prog.py:4:main",
                "prog.py:1:fib",
                "~:0:<method 'disable' of '_lsprof.Profiler' objects>",
                "~:0:<built-in method builtins.exec>",
            ]
        );
        // Python: (1, 15, 6.149000000000001e-06, 6.149000000000001e-06,
        //   {('prog.py', 4, 'main'): (1, 1, 7.410000000000001e-07, 6.149000000000001e-06),
        //    ('prog.py', 1, 'fib'): (14, 2, 5.4080000000000006e-06, 5.4080000000000006e-06)})
        let fib = all[2].1.as_tuple().expect("value tuple");
        assert_eq!(&fib[..2], &[Value::Int(1), Value::Int(15)]);
        assert_eq!(fib[2], Value::Float(6.149000000000001e-06));
        let callers = fib[4].as_dict().expect("callers");
        assert_eq!(key_text(&callers[1].0), "prog.py:1:fib");
        assert_eq!(
            callers[1].1,
            tuple([
                Value::Int(14),
                Value::Int(2),
                Value::Float(5.4080000000000006e-06),
                Value::Float(5.4080000000000006e-06),
            ])
        );
        // The first key starts right after the dict's type byte.
        assert_eq!(all[0].2, 1);
        assert_eq!(data[all[1].2 as usize], b')');
    }

    #[test]
    fn streams_a_python2_cprofile_dump() {
        let data = hex(CPROFILE_27);
        let all = entries(&data);
        let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
        assert_eq!(
            keys,
            [
                "~:0:<method 'disable' of '_lsprof.Profiler' objects>",
                "prog.py:1:<module>",
                "prog.py:4:main",
                "prog.py:1:fib",
            ]
        );
        // Python 2: ('prog.py', 1, 'fib') -> (1, 15, 2e-06, 2e-06,
        //   {('prog.py', 1, 'fib'): (14, 2, 2e-06, 2e-06), ('prog.py', 4, 'main'): (1, 1, 0.0, 2e-06)})
        let fib = all[3].1.as_tuple().expect("value tuple");
        assert_eq!(&fib[..2], &[Value::Int(1), Value::Int(15)]);
        let callers = fib[4].as_dict().expect("callers");
        let mut callers: Vec<(String, Value<'_>)> = callers
            .iter()
            .map(|(k, v)| (key_text(k), v.as_tuple().expect("caller stats")[0].clone()))
            .collect();
        callers.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            callers,
            [
                ("prog.py:1:fib".to_string(), Value::Int(14)),
                ("prog.py:4:main".to_string(), Value::Int(1)),
            ]
        );
    }

    #[test]
    fn streams_a_profile_module_dump_with_a_code_key() {
        let data = hex(PROFILE_313);
        let all = entries(&data);
        let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
        assert_eq!(
            keys,
            [
                "profile:0:profiler",
                "profile:0:<code <module>>",
                ":0:exec",
                "prog.py:1:<module>",
                "prog.py:4:main",
                "prog.py:1:fib",
                ":0:setprofile",
            ]
        );
        let code_key = all[1].0.as_tuple().expect("key");
        assert_eq!(
            code(&code_key[2]),
            (
                "<module>".into(),
                Some("<module>".into()),
                "prog.py".into(),
                1
            )
        );
        // The profile module's callers are plain counts.
        let fib = all[5].1.as_tuple().expect("value");
        assert_eq!(
            fib[4].as_dict().map(|d| d[0].1.clone()),
            Some(Value::Int(14))
        );
    }

    #[test]
    fn streams_a_synthetic_python2_dump() {
        // PY27: {('prog.py', 4, 'fib'): (1, 3, 0.5, 0.75, {('prog.py', 9, 'main'): (3, 1, 0.5, 0.75)})}
        let data = hex(
            "7b2803000000730700000070726f672e70796904000000740300000066696228050000006901000000\
             690300000067000000000000e03f67000000000000e83f7b2803000000730700000070726f672e7079\
             690900000074040000006d61696e28040000006903000000690100000067000000000000e03f670000\
             00000000e83f3030",
        );
        let all = entries(&data);
        assert_eq!(all.len(), 1);
        assert_eq!(key_text(&all[0].0), "prog.py:4:fib");
        let callers = all[0].1.as_tuple().expect("value")[4].clone();
        assert_eq!(
            callers,
            Value::Dict(
                vec![(
                    tuple([s("prog.py"), Value::Int(9), s("main")]),
                    tuple([
                        Value::Int(3),
                        Value::Int(1),
                        Value::Float(0.5),
                        Value::Float(0.75)
                    ]),
                )]
                .into()
            )
        );
    }

    #[test]
    fn callback_errors_pass_through_unchanged() {
        let data = hex(CPROFILE_311);
        let mut seen = 0;
        let result = for_each_dict_entry(&data, |_, _, _| {
            seen += 1;
            Err(ParseError::at_line(42, "caller says no"))
        });
        assert_eq!(result, Err(ParseError::at_line(42, "caller says no")));
        assert_eq!(seen, 1);
    }

    #[test]
    fn stream_rejects_what_is_not_one_dict() {
        let check = |data: &[u8], offset: u64, needle: &str| {
            let error = for_each_dict_entry(data, |_, _, _| Ok(())).unwrap_err();
            assert_eq!(error.position, Position::Byte(offset), "{error}");
            assert!(error.message.contains(needle), "{error}");
        };
        check(b"", 0, "empty input");
        check(b")\x00", 0, "found type code 0x29 (')'), a tuple");
        check(b"\xa9\x00", 0, "0xa9 (')' with the ref flag)");
        check(b"{0\x00", 2, "trailing data: 1 byte after");
        check(
            b"{N",
            2,
            "truncated: input ends where an object was expected",
        );
        // A reference back to the streamed dict itself (hand-made).
        check(
            b"\xfbNr\x00\x00\x00\x000",
            2,
            "reference to the top-level dict",
        );
        let data = hex(CPROFILE_311);
        for len in 0..data.len() {
            let result = for_each_dict_entry(&data[..len], |_, _, _| Ok(()));
            assert!(result.is_err(), "prefix of {len} bytes accepted");
        }
    }

    /// PY311: c = compile('def f(): pass', 'prog.py', 'exec'); (None, True,
    /// False, ..., StopIteration, 5, -5, 2**40, 2**100, 1.5, 1+2j, b'ab',
    /// 'hi', 'h\xe9', 'x'*300, [1], {2}, frozenset({3}), {4: 'v'}, c)
    fn mixed_py3() -> Vec<u8> {
        let head = "29144e54462e53e905000000e9fbffffffec030000000000000000046c070000000000000000000000\
                    000000000004e7000000000000f83ff9000000000000f03f0000000000000040f3020000006162da02\
                    6869f50300000068c3a9c12c010000";
        let tail = "5b01000000e9010000003c01000000e9020000003e01000000e9030000007be904000000da017630e3\
                    0000000000000000000000000100000000000000f30c0000009700640084005a00640153002902630000\
                    000000000000000000000100000003000000f30600000097006400530029014ea9007211000000f30000\
                    0000fa0770726f672e7079da0166721400000001000000730600000080008000800072120000004e2901\
                    7214000000721100000072120000007213000000fa083c6d6f64756c653e7215000000010000007310000\
                    000f003010101d8000d800d800d800d800d7212000000";
        hex(&[head, &"78".repeat(300), tail].concat())
    }

    /// PY27: c = compile('def f(): pass', 'prog.py', 'exec'); (None, 5,
    /// 2**40, 2**100, 1.5, 1+2j, 'ab', u'h\xe9', ['fib', 'fib'], {4: 'v'}, c)
    fn mixed_py2() -> Vec<u8> {
        hex(
            "280b0000004e69050000004900000000000100006c070000000000000000000000000000000004670000\
             00000000f83f79000000000000f03f000000000000004074020000006162750300000068c3a95b020000\
             00740300000066696252010000007b69040000007401000000763063000000000000000001000000400000\
             00730d0000006400008400005a0000640100532802000000630000000000000000010000004300000073040\
             000006400005328010000004e2800000000280000000028000000002800000000730700000070726f672e\
             70797401000000660100000074000000004e28010000005203000000280000000028000000002800000000\
             730700000070726f672e707974080000003c6d6f64756c653e010000005204000000",
        )
    }

    #[test]
    fn mixed_samples_read_in_full() {
        let data = mixed_py3();
        let v = read_value(&data).unwrap();
        let v = items(&v);
        assert_eq!(v.len(), 20);
        assert_eq!(v[13], s("h\u{e9}"));
        assert_eq!(v[14].as_str().map(str::len), Some(300));
        assert_eq!(code(&v[19]).0, "<module>");
        let data = mixed_py2();
        let v = read_value(&data).unwrap();
        let v = items(&v);
        assert_eq!(v[8], Value::List(vec![s("fib"), s("fib")].into()));
        assert_eq!(code(&v[10]), ("<module>".into(), None, "prog.py".into(), 1));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for data in [mixed_py3(), mixed_py2()] {
            for len in 0..data.len() {
                let error = read_err(&data[..len]);
                // The offset names a byte of the input (or its end).
                assert!(matches!(error.position, Position::Byte(at) if at <= len as u64));
            }
        }
    }

    #[test]
    fn bad_codes_and_bad_payloads() {
        assert_err(b"", 0, "empty input");
        assert_err(b"Q", 0, "unknown type code 0x51 ('Q')");
        assert_err(b"\xd1", 0, "unknown type code 0xd1 ('Q' with the ref flag)");
        assert_err(b")\x01\x05", 2, "unknown type code 0x05");
        assert_err(b"?", 0, "TYPE_UNKNOWN");
        assert_err(b"NN", 1, "trailing data: 1 byte after the end");
        assert_err(b"0", 0, "unexpected NULL object");
        assert_err(
            b")\x010",
            2,
            "unexpected NULL object (type code '0') inside a tuple",
        );
        assert_err(
            b"i\x01\x00",
            0,
            "truncated: int needs 4 bytes but only 2 bytes left",
        );
        assert_err(b"l\x01\x00\x00\x00\x00\x00", 0, "unnormalized long");
        assert_err(b"l\x01\x00\x00\x00\xff\xff", 0, "out of range in long");
        assert_err(b"f\x03abc", 0, "invalid float text \"abc\"");
        assert_err(b"R\x00\x00\x00\x00", 0, "invalid string reference 0");
        assert_err(b")\x01c\x00", 2, "truncated: code object header");
    }

    #[test]
    fn huge_claims_fail_before_allocating() {
        let claim = b"\xff\xff\xff\x7f";
        for (code, needle) in [
            (
                b'(',
                "tuple of 2147483647 items claimed but only 5 bytes left",
            ),
            (b'[', "list of 2147483647 items"),
            (b'<', "set of 2147483647 items"),
            (b'>', "frozenset of 2147483647 items"),
            (
                b's',
                "string of 2147483647 bytes claimed but only 5 bytes left",
            ),
            (b'u', "string of 2147483647 bytes"),
            (b'a', "string of 2147483647 bytes"),
            (b'l', "long of 2147483647 digits claimed"),
        ] {
            let data = [&[code][..], claim, b"NNNNN"].concat();
            assert_err(&data, 0, needle);
        }
        // The most negative digit count has the largest magnitude.
        assert_err(b"l\x00\x00\x00\x80\x01\x00", 0, "long of 2147483648 digits");
        assert_err(b"(\xff\xff\xff\xffN", 0, "negative tuple size -1");
        assert_err(b"s\xfe\xff\xff\xffN", 0, "negative string length -2");
        assert_err(
            b"z\xffabc",
            0,
            "string of 255 bytes claimed but only 3 bytes left",
        );
        assert_err(
            b")\xffN",
            0,
            "tuple of 255 items claimed but only 1 byte left",
        );
    }

    #[test]
    fn bad_references() {
        assert_err(
            b"r\x05\x00\x00\x00",
            0,
            "invalid reference 5 (only 0 objects so far)",
        );
        assert_err(b"r\xff\xff\xff\xff", 0, "invalid reference -1");
        assert_err(
            b")\x02\xe9\x01\x00\x00\x00r\x01\x00\x00\x00",
            7,
            "invalid reference 1",
        );
        // A flagged frozenset whose item refers to the frozenset itself.
        assert_err(
            b"\xbe\x01\x00\x00\x00r\x00\x00\x00\x00",
            5,
            "invalid reference 0: it points to a frozenset",
        );
        // CPython would build a recursive tuple; this reader refuses.
        assert_err(
            b"\xa9\x01r\x00\x00\x00\x00",
            2,
            "recursive data is not supported",
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |levels: usize| [&b"(\x01\x00\x00\x00".repeat(levels)[..], b"N"].concat();
        assert!(read_value(&nested(MAX_DEPTH - 1)).is_ok());
        assert_err(
            &nested(MAX_DEPTH),
            5 * MAX_DEPTH as u64,
            "nesting deeper than 256 levels",
        );
        assert_err(&nested(100_000), 5 * MAX_DEPTH as u64, "nesting deeper");
        // Every container kind at the limit, which also checks that the
        // recursion fits a test thread's stack in debug builds.
        for (open, close) in [
            (&b"[\x01\x00\x00\x00"[..], &b""[..]),
            (b")\x01", b""),
            (b">\x01\x00\x00\x00", b""),
            (b"{N", b"0"),
            (b":NN", b""),
        ] {
            let levels = MAX_DEPTH - 1;
            let data = [open.repeat(levels), b"N".to_vec(), close.repeat(levels)].concat();
            assert!(read_value(&data).is_ok());
        }
    }

    /// A 3.11-layout code object whose co_consts holds `inner` (hand-made:
    /// zero header ints, empty strings and tuples).
    fn code_311(inner: Option<Vec<u8>>) -> Vec<u8> {
        let mut out = b"c".to_vec();
        out.extend([0u8; 20]);
        out.extend(b"z\x00");
        match inner {
            Some(inner) => {
                out.extend(b")\x01");
                out.extend(inner);
            }
            None => out.extend(b")\x00"),
        }
        out.extend(b")\x00)\x00z\x00z\x01fz\x01gz\x01g\x07\x00\x00\x00z\x00z\x00");
        out
    }

    #[test]
    fn nested_code_objects_stay_within_the_stack() {
        // Each code object costs two levels: itself and its co_consts.
        let nested =
            |levels: usize| (1..levels).fold(code_311(None), |inner, _| code_311(Some(inner)));
        let data = nested(MAX_DEPTH / 2);
        let v = read_value(&data).unwrap();
        assert_eq!(code(&v), ("g".into(), Some("g".into()), "f".into(), 7));
        let error = read_err(&nested(MAX_DEPTH / 2 + 1));
        assert!(error.message.contains("nesting deeper"), "{error}");
    }

    #[test]
    fn references_cannot_multiply_copies_of_owned_strings() {
        // A flagged 1000-byte non-UTF-8 string, then `n` references to it
        // (hand-made). Borrowed strings are free to share; owned ones are
        // copied, so their copies are capped.
        let many = |n: usize| {
            let mut data = b"[".to_vec();
            data.extend(u32::try_from(n + 1).unwrap().to_le_bytes());
            data.extend(b"\xf3\xe8\x03\x00\x00");
            data.extend([0xff; 1000]);
            data.extend(b"r\x00\x00\x00\x00".repeat(n));
            data
        };
        let data = many(10);
        let value = read_value(&data).unwrap();
        assert!(items(&value)[10].as_str().unwrap().starts_with('\u{fffd}'));
        let data = many(5000);
        let error = read_err(&data);
        assert!(error.message.contains("too many references"), "{error}");
    }

    #[test]
    fn trial_parsing_is_budgeted() {
        let data = hex(CODE_SAMPLES[5].1);
        let mut reader = Reader::new(&data);
        reader.budget = 10;
        let error = reader.read(1).unwrap_err();
        assert!(error.message.contains("work limit"), "{error}");
    }

    #[test]
    fn random_and_mutated_input_never_panics() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Mostly real type codes, so the reader gets past the first byte.
        let alphabet = b"0NTF.SiIlgfyxstuaAzZ()[<>{c:rR?\x80\xa9\xe9\xfb\x00\x01\x02\xff";
        for _ in 0..4000 {
            let len = (next() % 48) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 2 == 0 {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        (r >> 8) as u8
                    }
                })
                .collect();
            let _ = read_value(&data);
            let _ = for_each_dict_entry(&data, |_, _, _| Ok(()));
        }
        let samples = [
            mixed_py3(),
            mixed_py2(),
            hex(CPROFILE_311),
            hex(CPROFILE_27),
            hex(PROFILE_313),
        ];
        for sample in &samples {
            for _ in 0..600 {
                let mut data = sample.clone();
                for _ in 0..=next() % 3 {
                    let at = (next() % data.len() as u64) as usize;
                    data[at] = next() as u8;
                }
                let _ = read_value(&data);
                let _ = for_each_dict_entry(&data, |_, _, _| Ok(()));
            }
        }
    }

    /// PY311: v = (1, 1, 0.5, 0.25, {}); k = ('a.py', 1, 'f'); {k: v,
    /// ('a.py', 2, 'g'): v, ('b.py', 3, 'h'): (2, 2, 1.0, 1.0, {k: (1, 1,
    /// 0.5, 0.5), ('a.py', 2, 'g'): 3})}: a shared key tuple, a shared value
    /// tuple and flagged floats.
    const SHARED_311: &str = "\
        7ba903fa04612e7079e901000000da0166a90572020000007202000000e7000000000000e03fe70000\
        00000000d03f7b30a9037201000000e902000000da01677204000000a903fa04622e7079e903000000\
        da0168290572080000007208000000e7000000000000f03f720e0000007b7200000000a90472020000\
        007202000000720500000072050000007207000000720c0000003030";

    /// Rebuilds every entry through tokens alone, keeping the containers it
    /// read as tokens by ref index the way a consumer would, so that the
    /// result can be compared with the value path's.
    fn token_entries(data: &[u8]) -> Result<Vec<(Value<'_>, Value<'_>)>, Unexpected> {
        fn walk<'a>(
            s: &mut Stream<'a>,
            depth: usize,
            mine: &mut Vec<(RefIndex, Value<'a>)>,
        ) -> Result<Option<Value<'a>>, Unexpected> {
            Ok(Some(match s.next(depth)? {
                Token::Null => return Ok(None),
                Token::Int(n) => Value::Int(n),
                Token::Float(x) => Value::Float(x),
                Token::Value(value, _) => value,
                Token::Ref { index, .. } => match s.referenced(index) {
                    Some(value) => value.clone(),
                    None => mine
                        .iter()
                        .find(|(i, _)| *i == index)
                        .map(|(_, v)| v.clone())
                        .ok_or(Unexpected)?,
                },
                Token::Tuple { len, slot } => {
                    let mut items = Vec::new();
                    for _ in 0..len {
                        items.push(walk(s, depth + 1, mine)?.ok_or(Unexpected)?);
                    }
                    s.close(slot);
                    let value = Value::Tuple(items.into());
                    if let Some(i) = slot {
                        mine.push((i, value.clone()));
                    }
                    value
                }
                Token::Dict { slot } => {
                    let mut entries = Vec::new();
                    while let Some(key) = walk(s, depth + 1, mine)? {
                        let Some(value) = walk(s, depth + 1, mine)? else {
                            break;
                        };
                        entries.push((key, value));
                    }
                    s.close(slot);
                    let value = Value::Dict(entries.into());
                    if let Some(i) = slot {
                        mine.push((i, value.clone()));
                    }
                    value
                }
            }))
        }
        let mut s = Stream::open_dict(data).map_err(|_| Unexpected)?;
        let mut mine = Vec::new();
        let mut out = Vec::new();
        while let Some(key) = walk(&mut s, 2, &mut mine)? {
            let Some(value) = walk(&mut s, 2, &mut mine)? else {
                break;
            };
            out.push((key, value));
        }
        s.finish().map_err(|_| Unexpected)?;
        Ok(out)
    }

    #[test]
    fn tokens_read_what_values_read() {
        for sample in [CPROFILE_311, CPROFILE_27, PROFILE_313, SHARED_311] {
            let data = hex(sample);
            let values: Vec<_> = entries(&data).into_iter().map(|(k, v, _)| (k, v)).collect();
            assert_eq!(token_entries(&data), Ok(values));
        }
    }

    #[test]
    fn typed_readers_read_nothing_when_they_decline() {
        let data = hex(SHARED_311);
        let mut stream = Stream::open_dict(&data).unwrap();
        let at = stream.offset();
        assert_eq!(stream.next_int(), Err(Unexpected));
        assert_eq!(stream.next_f64(), Err(Unexpected));
        assert_eq!(stream.next_dict(), Err(Unexpected));
        assert_eq!(stream.next_tuple(2), Err(Unexpected));
        assert_eq!(stream.next_tagged_ref(), None);
        assert!(!stream.next_null());
        assert_eq!(stream.offset(), at);
        // The key: a flagged 3-tuple (ref 0), string (1), int (2) and
        // string (3).
        assert_eq!(stream.next_tuple(3), Ok(Some(0)));
        assert_eq!(stream.next(3), Ok(Token::Value(s("a.py"), Some(1))));
        assert_eq!(stream.next_f64(), Ok(1.0));
        assert_eq!(stream.next(3), Ok(Token::Value(s("f"), Some(3))));
        stream.close(Some(0));
        // The value tuple (ref 4) and its items.
        assert_eq!(stream.next_tuple(5), Ok(Some(4)));
        assert_eq!(stream.next_int(), Ok(1));
        assert_eq!(stream.next_int(), Ok(1)); // `r 2`
        assert_eq!(stream.next_f64(), Ok(0.5));
        assert_eq!(stream.next_f64(), Ok(0.25));
        assert_eq!(stream.next_dict(), Ok(None));
        assert!(stream.next_null());
        stream.close(Some(4));
        // A truncated int declines too, whichever reader is asked.
        let mut stream = Stream::open_dict(b"{i\x01\x00").unwrap();
        assert_eq!(stream.next_int(), Err(Unexpected));
        assert_eq!(stream.next(2), Err(Unexpected));
        assert_eq!(stream.offset(), 1);
    }

    #[test]
    fn tags_follow_their_slot() {
        let data = hex(SHARED_311);
        let mut stream = Stream::open_dict(&data).unwrap();
        let start = stream.checkpoint();
        let key = stream.next_tuple(3).unwrap();
        // An open container takes no tag.
        stream.set_tag(0, 7);
        let Ok(Token::Value(_, Some(file))) = stream.next(3) else {
            panic!("expected a flagged string")
        };
        stream.set_tag(file, 9);
        stream.next_int().unwrap();
        stream.next(3).unwrap();
        stream.close(key);
        // The value, then the second key: a fresh tuple whose file is `r 1`.
        let value = stream.next_tuple(5).unwrap();
        stream.next_int().unwrap();
        stream.next_int().unwrap();
        stream.next_f64().unwrap();
        stream.next_f64().unwrap();
        stream.next_dict().unwrap();
        assert!(stream.next_null());
        stream.close(value);
        let second = stream.next_tuple(3).unwrap();
        assert_eq!(stream.next_tagged_ref(), Some(9));
        stream.next_int().unwrap();
        stream.next(3).unwrap();
        stream.close(second);
        // The value is `r 4`, untagged: a token, not a tagged reference.
        assert_eq!(stream.next_tagged_ref(), None);
        assert_eq!(
            stream.next(2),
            Ok(Token::Ref {
                index: 4,
                tag: NO_TAG
            })
        );
        // Rewinding forgets the slots read since, tags included.
        stream.rewind(start);
        assert_eq!(stream.offset(), 1);
        assert_eq!(stream.next_tuple(3), Ok(Some(0)));
        assert_eq!(stream.next(3), Ok(Token::Value(s("a.py"), Some(1))));
        assert_eq!(stream.reader.tags[1], NO_TAG);
    }

    #[test]
    fn value_path_replays_containers_read_as_tokens() {
        let data = hex(SHARED_311);
        let expected = entries(&data);
        // The first entry as tokens (its key and value are flagged), the
        // rest as values, which refer back to both.
        let mut stream = Stream::open_dict(&data).unwrap();
        let key = stream.next_tuple(3).unwrap();
        let Ok(Token::Value(file, _)) = stream.next(3) else {
            panic!("expected a string")
        };
        let line = stream.next_int().unwrap();
        let Ok(Token::Value(name, _)) = stream.next(3) else {
            panic!("expected a string")
        };
        stream.close(key);
        assert_eq!(expected[0].0, tuple([file, Value::Int(line), name]));
        let value = stream.next_tuple(5).unwrap();
        let numbers = [
            Value::Int(stream.next_int().unwrap()),
            Value::Int(stream.next_int().unwrap()),
            Value::Float(stream.next_f64().unwrap()),
            Value::Float(stream.next_f64().unwrap()),
        ];
        let callers = stream.next_dict().unwrap();
        assert!(stream.next_null());
        stream.close(callers);
        stream.close(value);
        assert_eq!(
            expected[0].1.as_tuple().map(|t| &t[..4]),
            Some(&numbers[..])
        );
        for (key, value, _) in &expected[1..] {
            assert_eq!(stream.read_value(2).unwrap().as_ref(), Some(key));
            assert_eq!(stream.read_value(2).unwrap().as_ref(), Some(value));
        }
        assert_eq!(stream.read_value(2), Ok(None));
        assert_eq!(stream.finish(), Ok(()));
        // The replayed value tuple is cached as a value now.
        assert_eq!(stream.referenced(4), Some(&expected[0].1));
    }

    #[test]
    fn stream_refuses_what_values_refuse() {
        // A reference to a container still open, to the top-level dict, and
        // a forward one: tokens decline, values explain.
        for (data, needle) in [
            (&b"{\xa9\x03r\x00\x00\x00\x00"[..], "recursive data"),
            (b"\xfbr\x00\x00\x00\x00", "top-level dict"),
            (b"{r\x05\x00\x00\x00", "invalid reference 5"),
        ] {
            let mut s = Stream::open_dict(data).unwrap();
            let checkpoint = s.checkpoint();
            let token = s.next(2).and_then(|t| match t {
                Token::Tuple { .. } => s.next(3),
                other => Ok(other),
            });
            assert_eq!(token, Err(Unexpected));
            s.rewind(checkpoint);
            let error = s.read_value(2).unwrap_err();
            assert!(error.message.contains(needle), "{error}");
        }
    }

    #[test]
    fn random_token_walks_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let samples = [
            hex(CPROFILE_311),
            hex(CPROFILE_27),
            hex(PROFILE_313),
            hex(SHARED_311),
        ];
        for sample in &samples {
            for round in 0..800 {
                let mut data = sample.clone();
                for _ in 0..=next() % 3 {
                    let at = (next() % data.len() as u64) as usize;
                    data[at] = next() as u8;
                }
                let _ = token_entries(&data);
                // Random calls in random order, rewinds included.
                let Ok(mut s) = Stream::open_dict(&data) else {
                    continue;
                };
                let start = s.checkpoint();
                for step in 0..200 {
                    match next() % 12 {
                        0 => drop(s.next_int()),
                        1 => drop(s.next_f64()),
                        2 => drop(s.next_tuple((next() % 6) as usize)),
                        3 => drop(s.next_dict()),
                        4 => drop(s.next_tagged_ref()),
                        5 => drop(s.next_null()),
                        6 => drop(s.next((next() % 300) as usize)),
                        7 => s.close(Some((next() % 8) as usize)),
                        8 => s.set_tag((next() % 8) as usize, next() as u32),
                        9 => drop(s.referenced((next() % 8) as usize)),
                        10 => drop(s.read_value(2)),
                        _ if step % 50 == round % 50 => s.rewind(start),
                        _ => {}
                    }
                }
                let _ = s.finish();
            }
        }
    }

    #[test]
    fn chained_replays_stay_within_depth_and_stack() {
        // {0: (None,), 1: (r 0,), 2: (r 1,), …, 999: r last}, every value a
        // flagged 1-tuple (hand-made). Read as tokens, then the last value
        // through the value path, which replays the whole chain.
        let chain = |n: u32| {
            let mut data = b"{".to_vec();
            for k in 0..n {
                data.push(b'i');
                data.extend(k.to_le_bytes());
                data.extend(b"\xa9\x01");
                if k == 0 {
                    data.push(b'N');
                } else {
                    data.push(b'r');
                    data.extend((k - 1).to_le_bytes());
                }
            }
            data.extend(b"i\xe7\x03\x00\x00r");
            data.extend((n - 1).to_le_bytes());
            data.push(b'0');
            data
        };
        for (n, ok) in [(MAX_DEPTH as u32 - 3, true), (MAX_DEPTH as u32 * 4, false)] {
            let data = chain(n);
            let mut stream = Stream::open_dict(&data).unwrap();
            for _ in 0..n {
                assert!(matches!(stream.next(2), Ok(Token::Int(_))));
                let Ok(Token::Tuple { len: 1, slot }) = stream.next(2) else {
                    panic!("expected a tuple")
                };
                assert!(stream.next(3).is_ok());
                stream.close(slot);
            }
            assert_eq!(stream.next_int(), Ok(999));
            match stream.read_value(2) {
                Ok(Some(value)) => assert!(ok, "{value:?}"),
                Ok(None) => panic!("expected a value"),
                Err(error) => {
                    assert!(!ok);
                    assert!(error.message.contains("nesting deeper"), "{error}");
                }
            }
        }
    }
}
