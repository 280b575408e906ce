//! The decoded object model: [`Value`] and what it is made of.

use std::borrow::Cow;
use std::rc::Rc;

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

    #[cfg(test)]
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

    #[cfg(test)]
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
