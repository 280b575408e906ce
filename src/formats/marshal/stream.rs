//! The token reader: [`Stream`], a pull reader over a top-level dict.

use crate::error::ParseError;

use super::errors::{describe_code, error_at, kind_of};
use super::reader::Reader;
use super::refs::{RefIndex, Slot, NO_TAG};
use super::value::Value;
use super::{FLAG_REF, MAX_DEPTH};

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
    pub(super) reader: Reader<'a>,
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
    /// this one, and bounds nesting ([`MAX_DEPTH`]) as the value path does.
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

    /// Reads one whole object as a value, with the value path's exact
    /// errors; `Ok(None)` is the NULL that ends a dict.
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

impl Reader<'_> {
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
}
