//! The exact numbers profdiff's callgrind writer carries in comment lines,
//! so that a profile converted to callgrind reads back as itself.
//!
//! Callgrind holds integer costs, one call count per edge, and inclusive
//! cost on edges only. A profile has more: primitive calls, costs as
//! floats, a function's true inclusive cost under recursion (which per-edge
//! totals cannot give back: the reader can only bound it), "no count" apart
//! from 0, per-edge self cost. The writer adds one comment line after each
//! `fn=` line and one before each `calls=` line:
//!
//! ```text
//! fn=(12) create_client
//! # profdiff-fn: calls=6 pcalls=6 self=0.00019 incl=0.1341
//! 846 190000
//! cfn=(13) _create_client_class
//! # profdiff-call: calls=6 pcalls=6 self=0.00016 incl=0.0039
//! calls=6 196
//! 846 3910000
//! ```
//!
//! Costs are in the profile's unit (seconds for an `ns` file), written as
//! the shortest decimal that reads back as the same `f64`. A missing key is
//! a number the profile does not have (`calls` of a sampled profile).
//! `incl_min` marks an inclusive cost that is itself only a range. Every
//! other reader skips `#` lines (the format's comments; valgrind's
//! `callgrind_annotate` and KCachegrind do), and profdiff's reader trusts
//! them only in files whose `creator:` is profdiff.

use crate::error::ParseError;

/// The prefix of the line after `fn=`.
pub(super) const FUNCTION_PREFIX: &[u8] = b"# profdiff-fn:";
/// The prefix of the line before `calls=`.
pub(super) const CALL_PREFIX: &[u8] = b"# profdiff-call:";

/// Exact numbers of a function or a call edge.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Exact {
    pub calls: Option<u64>,
    pub primitive_calls: Option<u64>,
    pub self_cost: Option<f64>,
    pub inclusive: Option<f64>,
    pub inclusive_min: Option<f64>,
}

impl Exact {
    /// Appends ` key=value` for every number present, and a newline.
    pub(super) fn write_line(&self, prefix: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(prefix);
        let mut counts = itoa::Buffer::new();
        let mut count = |out: &mut Vec<u8>, key: &[u8], value: Option<u64>| {
            if let Some(value) = value {
                out.extend_from_slice(key);
                out.extend_from_slice(counts.format(value).as_bytes());
            }
        };
        count(out, b" calls=", self.calls);
        count(out, b" pcalls=", self.primitive_calls);
        let mut floats = zmij::Buffer::new();
        let mut cost = |out: &mut Vec<u8>, key: &[u8], value: Option<f64>| {
            // NaN and infinities have no place in a profile; leaving them out
            // reads back as "not recorded".
            if let Some(value) = value.filter(|v| v.is_finite()) {
                out.extend_from_slice(key);
                out.extend_from_slice(floats.format_finite(value).as_bytes());
            }
        };
        cost(out, b" self=", self.self_cost);
        cost(out, b" incl=", self.inclusive);
        cost(out, b" incl_min=", self.inclusive_min);
        out.push(b'\n');
    }

    /// Parses what follows the prefix; unknown keys are skipped, so a later
    /// writer may add some.
    pub(super) fn parse(rest: &[u8], number: u64) -> Result<Exact, ParseError> {
        let mut exact = Exact::default();
        for token in rest
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            let Some(eq) = token.iter().position(|&b| b == b'=') else {
                return Err(malformed(number, token));
            };
            let (key, value) = (&token[..eq], &token[eq + 1..]);
            let text = std::str::from_utf8(value).map_err(|_| malformed(number, token))?;
            let count = || text.parse::<u64>().map_err(|_| malformed(number, token));
            let cost = || match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value),
                _ => Err(malformed(number, token)),
            };
            match key {
                b"calls" => exact.calls = Some(count()?),
                b"pcalls" => exact.primitive_calls = Some(count()?),
                b"self" => exact.self_cost = Some(cost()?),
                b"incl" => exact.inclusive = Some(cost()?),
                b"incl_min" => exact.inclusive_min = Some(cost()?),
                _ => {}
            }
        }
        Ok(exact)
    }
}

fn malformed(number: u64, token: &[u8]) -> ParseError {
    ParseError::at_line(
        number,
        format!(
            "malformed profdiff comment field {:?}",
            String::from_utf8_lossy(&token[..token.len().min(64)])
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_number() {
        let exact = Exact {
            calls: Some(11268),
            primitive_calls: Some(1234),
            self_cost: Some(1.9e-4),
            inclusive: Some(0.1 + 0.2),
            inclusive_min: Some(5e-324),
        };
        let mut line = Vec::new();
        exact.write_line(FUNCTION_PREFIX, &mut line);
        let text = String::from_utf8(line.clone()).unwrap();
        assert!(text.starts_with("# profdiff-fn: calls=11268 pcalls=1234 self="));
        let parsed = Exact::parse(&line[FUNCTION_PREFIX.len()..], 1).unwrap();
        assert_eq!(parsed, exact);
        assert_eq!(parsed.inclusive, Some(0.30000000000000004));
    }

    #[test]
    fn missing_numbers_stay_missing() {
        let exact = Exact {
            self_cost: Some(2.0),
            inclusive: Some(f64::NAN),
            ..Exact::default()
        };
        let mut line = Vec::new();
        exact.write_line(CALL_PREFIX, &mut line);
        assert_eq!(line, b"# profdiff-call: self=2.0\n");
        let parsed = Exact::parse(b" self=2.0 future=1", 1).unwrap();
        assert_eq!(parsed.calls, None);
        assert_eq!(parsed.inclusive, None);
    }

    #[test]
    fn malformed_fields_name_their_line() {
        let error = Exact::parse(b" calls=x", 7).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 7: malformed profdiff comment field \"calls=x\""
        );
        assert!(Exact::parse(b" incl=inf", 7).is_err());
        assert!(Exact::parse(b" novalue", 7).is_err());
    }
}
