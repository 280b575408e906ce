//! The protobuf wire format, as much of it as `profile.proto` needs: a
//! cursor over a message that reads varints, tags and length-delimited
//! fields, checks every length against the bytes left, and names absolute
//! byte offsets in its errors.

use crate::error::ParseError;

// Wire types.
pub(super) const VARINT: u8 = 0;
pub(super) const I64: u8 = 1;
pub(super) const LEN: u8 = 2;
pub(super) const I32: u8 = 5;

/// A position in a protobuf message; `base` is the offset of `data[0]` in
/// the whole input, so errors name absolute byte offsets.
///
/// `varint` and `message` are `#[inline]`: the sample loop calls them for
/// every sample, and without the hint they are compiled apart from it, in
/// this module's code unit (4% more instructions to read a large profile).
pub(super) struct Cursor<'a> {
    /// The message's bytes (the sample reader keys packed stacks by them).
    pub(super) data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(data: &'a [u8], base: usize) -> Self {
        Cursor { data, pos: 0, base }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(super) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(super) fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::at_byte(self.offset() as u64, message)
    }

    #[inline]
    pub(super) fn varint(&mut self) -> Result<u64, ParseError> {
        let start = self.offset();
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&byte) = self.data.get(self.pos) else {
                return Err(ParseError::at_byte(start as u64, "truncated varint"));
            };
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err(ParseError::at_byte(
                    start as u64,
                    "varint overflows 64 bits",
                ));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ParseError::at_byte(
            start as u64,
            "varint longer than 10 bytes",
        ))
    }

    pub(super) fn tag(&mut self) -> Result<(u64, u8), ParseError> {
        let start = self.offset();
        let tag = self.varint()?;
        let field = tag >> 3;
        let wire = (tag & 7) as u8;
        if field == 0 {
            return Err(ParseError::at_byte(
                start as u64,
                "field number 0 is invalid",
            ));
        }
        if !matches!(wire, VARINT | I64 | LEN | I32) {
            return Err(ParseError::at_byte(
                start as u64,
                format!("field {field} has unsupported wire type {wire}"),
            ));
        }
        Ok((field, wire))
    }

    /// A length-delimited payload, checked against the bytes left.
    pub(super) fn bytes(&mut self) -> Result<&'a [u8], ParseError> {
        let start = self.offset();
        let len = self.varint()?;
        let left = self.data.len() - self.pos;
        if len > left as u64 {
            return Err(ParseError::at_byte(
                start as u64,
                format!("length {len} runs past the end of its message ({left} bytes left)"),
            ));
        }
        let body = &self.data[self.pos..self.pos + len as usize];
        self.pos += len as usize;
        Ok(body)
    }

    /// A length-delimited payload as a sub-cursor with absolute offsets.
    #[inline]
    pub(super) fn message(&mut self) -> Result<Cursor<'a>, ParseError> {
        let body = self.bytes()?;
        // The body starts after the length varint.
        let body_start = self.pos - body.len();
        Ok(Cursor::new(body, self.base + body_start))
    }

    pub(super) fn skip(&mut self, wire: u8) -> Result<(), ParseError> {
        let width = match wire {
            VARINT => return self.varint().map(drop),
            LEN => return self.bytes().map(drop),
            I64 => 8,
            I32 => 4,
            other => return Err(self.error(format!("unsupported wire type {other}"))),
        };
        if self.data.len() - self.pos < width {
            return Err(self.error("truncated fixed-width field"));
        }
        self.pos += width;
        Ok(())
    }

    /// A scalar that must be a varint.
    pub(super) fn expect_varint(&mut self, wire: u8, what: &str) -> Result<u64, ParseError> {
        if wire != VARINT {
            return Err(self.error(format!("{what} has wire type {wire}, expected a varint")));
        }
        self.varint()
    }

    /// One repeated varint field, packed (wire type 2) or not; values are
    /// appended to `out`.
    pub(super) fn repeated_varint(
        &mut self,
        wire: u8,
        out: &mut Vec<u64>,
        what: &str,
    ) -> Result<(), ParseError> {
        match wire {
            VARINT => out.push(self.varint()?),
            LEN => {
                let mut packed = self.message()?;
                while !packed.is_empty() {
                    out.push(packed.varint()?);
                }
            }
            other => {
                return Err(self.error(format!(
                    "{what} has wire type {other}, expected a varint or packed varints"
                )))
            }
        }
        Ok(())
    }
}
