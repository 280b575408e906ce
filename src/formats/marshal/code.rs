//! Code objects, whose layout depends on the Python version that wrote
//! them.

use std::borrow::Cow;
use std::rc::Rc;

use crate::error::ParseError;

use super::errors::{fail, offset_of, Res};
use super::reader::Reader;
use super::refs::Slot;
use super::value::{CodeSummary, Value};
use super::FLAG_REF;

/// Where to rewind to when a code-object layout guess fails.
struct Mark {
    pos: usize,
    refs: usize,
    py2_strings: usize,
    items: usize,
    entries: usize,
}

impl<'a> Reader<'a> {
    /// The file does not say which Python wrote it, and the code layouts differ
    /// in the number of leading int32 fields, so each is tried in turn.
    /// Misaligned guesses almost always fail on the first field (a length
    /// whose high byte is the next type code), so this is cheap in practice.
    #[inline(never)]
    pub(super) fn code(&mut self, at: usize, flag: bool, depth: usize) -> Res<Value<'a>> {
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
