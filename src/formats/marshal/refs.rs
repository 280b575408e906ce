//! The ref table: the slots that back-references (`r`) point to, their
//! tags, and registering, resolving and replaying objects in it.

use std::borrow::Cow;

use crate::error::ParseError;

use super::errors::{fail, fail_copy, fail_tables, Res};
use super::reader::Reader;
use super::value::Value;
use super::Unexpected;

/// A ref-table index, as [`Token::Ref`](super::Token::Ref) and the `slot` fields report it.
pub type RefIndex = usize;

/// The tag of a ref-table slot no consumer has tagged.
pub const NO_TAG: u32 = u32::MAX;

/// A ref-table entry, 8 bytes so that the table of a large dump stays in
/// cache: a real cProfile dump refers back to line numbers and names
/// millions of times, at random. CPython stores incomplete objects in the
/// table; this reader cannot, so it records why an entry has no value yet.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// An int that fits in 32 bits, the most referenced kind of object,
    /// inline.
    Int(i32),
    /// Any other finished object: `Reader::values[i]`.
    Value(u32),
    /// A tuple or dict read as tokens by a [`Stream`](super::Stream) consumer, starting at
    /// byte `Reader::starts[start]`; `open` until the consumer closes it. The
    /// value path replays it from there when it meets a reference to it.
    Tokens { start: u32, open: bool },
    /// A frozenset, code object or slice being read: CPython reserves the
    /// index and fills it at the end, and refuses a reference to it meanwhile.
    Reserved,
    /// A tuple, list, set or dict being read as a value. CPython would allow
    /// a reference (recursive data); immutable `Rc` slices cannot express it.
    Open,
    /// The dict read by a [`Stream`](super::Stream), never materialised.
    TopLevelDict,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 8);

impl<'a> Reader<'a> {
    /// Stores a finished value under a new index when its type byte was
    /// flagged.
    #[inline]
    pub(super) fn keep(&mut self, flag: bool, value: Value<'a>) -> Res<Value<'a>> {
        if flag && self.replaying == 0 {
            let slot = self.slot_for(&value).ok_or_else(|| fail_tables(self.pos))?;
            self.push_slot(slot);
        }
        Ok(value)
    }

    /// The slot that holds `value`; `None` past 2^32 stored values, which
    /// inputs above 4 GiB could reach.
    #[inline]
    pub(super) fn slot_for(&mut self, value: &Value<'a>) -> Option<Slot> {
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
    pub(super) fn push_slot(&mut self, slot: Slot) {
        self.refs.push(slot);
        self.tags.push(NO_TAG);
    }

    pub(super) fn truncate_refs(&mut self, len: usize) {
        self.refs.truncate(len);
        self.tags.truncate(len);
    }

    #[inline]
    pub(super) fn tag(&self, index: usize) -> u32 {
        self.tags.get(index).copied().unwrap_or(NO_TAG)
    }

    /// Token-path registration of a container, pre-order like `reserve`,
    /// after charging `work` as the value path would.
    #[inline]
    pub(super) fn open_tokens(
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
    pub(super) fn reserve(&mut self, flag: bool, slot: Slot) -> Option<usize> {
        (flag && self.replaying == 0).then(|| {
            self.push_slot(slot);
            self.refs.len() - 1
        })
    }

    #[inline]
    pub(super) fn fill(&mut self, index: Option<usize>, value: &Value<'a>) -> Res<()> {
        if let Some(i) = index {
            let slot = self.slot_for(value).ok_or_else(|| fail_tables(self.pos))?;
            if let Some(old) = self.refs.get_mut(i) {
                *old = slot;
            }
        }
        Ok(())
    }

    #[inline]
    pub(super) fn resolve(&mut self, at: usize, index: i32, depth: usize) -> Res<Value<'a>> {
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

    /// Reads again, as a value, a container that a [`Stream`](super::Stream) consumer read
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
}
