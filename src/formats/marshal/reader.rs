//! The materialising reader: byte-level field reads and the decoding of
//! every object into a [`Value`].

use std::borrow::Cow;
use std::rc::Rc;

use super::errors::{
    fail, fail_copy, fail_depth, fail_negative, fail_null, fail_short_field, fail_short_items,
    fail_short_string, fail_type_code, n_bytes, Res,
};
use super::refs::Slot;
use super::value::{BigInt, Value};
use super::{FLAG_REF, MAX_DEPTH};

pub(super) struct Reader<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) refs: Vec<Slot>,
    /// The [`Stream::set_tag`](super::Stream::set_tag) tags, parallel to `refs`. Kept apart so that
    /// the hottest lookup, a back-reference to a key, reads 4 bytes from a
    /// table that is half the size of `refs`.
    pub(super) tags: Vec<u32>,
    /// What `Slot::Value` points to. Never truncated: a slot older than a
    /// rewind point may have cached a replay here, and the leftovers of
    /// abandoned reads are bounded by the work budget.
    pub(super) values: Vec<Value<'a>>,
    /// What `Slot::Tokens` points to.
    pub(super) starts: Vec<usize>,
    /// Python 2 interned strings (`t`), which `R` indexes.
    pub(super) py2_strings: Vec<Cow<'a, str>>,
    /// Scratch stacks for container items: children are pushed here and
    /// drained into one exactly-sized `Rc` allocation, so there is no
    /// per-container `Vec` and no allocation sized by an untrusted count.
    pub(super) items: Vec<Value<'a>>,
    pub(super) entries: Vec<(Value<'a>, Value<'a>)>,
    /// Work left, counted as one per object (leaves are charged by their
    /// container, so an object may count twice) plus one per string byte.
    /// A plain parse needs at most twice `data.len()`; only code-object
    /// trial parsing and replays revisit bytes, and this caps them.
    pub(super) budget: usize,
    /// Bytes left for copying strings that had to be decoded into an owned
    /// `String` (non-UTF-8 data, rare in real files): a `Cow` cannot share
    /// them, so each back-reference to one copies it, and without a cap a
    /// small file could reference a large one millions of times.
    pub(super) copy_budget: usize,
    /// Nonzero while re-reading a container read as tokens: its objects
    /// have their slots already, so nothing is registered again.
    pub(super) replaying: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
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

    pub(super) fn finish(&self) -> Res<()> {
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
    pub(super) fn i32(&mut self, at: usize, what: &str) -> Res<i32> {
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

    /// Reads one object; `Ok(None)` is the NULL that ends a dict.
    ///
    /// The leaves that make up nearly all of a pstats dump (`i g r z`) are
    /// handled inline here, saving a call per leaf in container loops;
    /// everything else goes to [`Reader::read_other`].
    #[inline(always)]
    pub(super) fn read(&mut self, depth: usize) -> Res<Option<Value<'a>>> {
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
    pub(super) fn item(&mut self, depth: usize, inside: &str) -> Res<Value<'a>> {
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
