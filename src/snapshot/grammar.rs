//! The grammar of a function line: its key, and bounds like `calls <= 2`,
//! `calls ≈ 3028 ±2%` or `incl ≈ 134ms ±50%` (a group line's bounds too:
//! [`super::group`]).

use crate::model::Function;

use super::render::format_cost;
use super::{Band, CallsTolerance};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Calls,
    Incl,
    SelfCost,
}

/// The numbers a bound is judged on: one function's, or the sums over a
/// group's members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Values {
    /// `None` when the profile has no call counts (sampled).
    pub(super) calls: Option<u64>,
    pub(super) self_cost: f64,
    pub(super) inclusive: f64,
}

impl Values {
    pub(super) fn of(function: &Function) -> Self {
        Values {
            calls: function.calls,
            self_cost: function.self_cost,
            inclusive: function.inclusive_cost,
        }
    }

    /// The value of one field; `None` for calls the profile does not count.
    pub(super) fn get(&self, field: Field) -> Option<f64> {
        match field {
            Field::Calls => self.calls.map(|calls| calls as f64),
            Field::Incl => Some(self.inclusive),
            Field::SelfCost => Some(self.self_cost),
        }
    }

    /// The value of one field as a bound writes it (`6`, `67.7ms`).
    pub(super) fn format(&self, field: Field, time: bool) -> String {
        match (field, self.get(field)) {
            (_, None) => "unknown".to_string(),
            (Field::Calls, Some(calls)) => format!("{calls}"),
            (_, Some(cost)) => format_cost(cost, time),
        }
    }
}

impl Field {
    pub(super) fn name(self) -> &'static str {
        match self {
            Field::Calls => "calls",
            Field::Incl => "incl",
            Field::SelfCost => "self",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `≈ V ±P%`, with P (times).
    Approx(f64),
    /// `≈ N ±T` on calls, with T.
    Within(CallsTolerance),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Clause {
    pub(super) field: Field,
    pub(super) op: Op,
    value: f64,
    /// Whether the snapshot's unit is time (for formatting).
    time: bool,
    /// The clause as written, kept verbatim when it still holds.
    pub(super) text: String,
}

impl Clause {
    pub(super) fn canonical(&self) -> String {
        let value = match self.field {
            Field::Calls => format!("{}", self.value),
            _ => format_cost(self.value, self.time),
        };
        match self.op {
            Op::Approx(pct) => format!("{} ≈ {value} ±{pct}%", self.field.name()),
            Op::Within(tolerance) => format!("{} ≈ {value} {tolerance}", self.field.name()),
            op => format!("{} {} {value}", self.field.name(), op_symbol(op)),
        }
    }

    /// The bound for a violation message: [`Clause::canonical`], and for a
    /// calls tolerance the counts it allows (`calls ≈ 3028 ±1% (2998–3058)`).
    pub(super) fn described(&self) -> String {
        let canonical = self.canonical();
        match self.op {
            Op::Within(tolerance) => {
                let recorded = self.value as u64;
                let allowance = tolerance.allowance(recorded);
                format!(
                    "{canonical} ({}–{})",
                    recorded.saturating_sub(allowance),
                    recorded.saturating_add(allowance)
                )
            }
            _ => canonical,
        }
    }

    /// The count a bound on calls names (`3028` in `calls ≈ 3028 ±2%` or
    /// `calls <= 3028`); `None` for a bound on time.
    pub(super) fn calls_value(&self) -> Option<u64> {
        (self.field == Field::Calls).then_some(self.value as u64)
    }

    /// `Ok` when the bound holds for `values`, else the actual value for
    /// the message. `time` says whether costs are durations.
    pub(super) fn holds(
        &self,
        values: &Values,
        floor: f64,
        time: bool,
    ) -> std::result::Result<(), String> {
        let Some(actual) = values.get(self.field) else {
            return Err("unknown (the profile has no call counts)".to_string());
        };
        let ok = match self.op {
            Op::Eq => actual == self.value,
            Op::Lt => actual < self.value,
            Op::Le => actual <= self.value,
            Op::Gt => actual > self.value,
            Op::Ge => actual >= self.value,
            Op::Approx(pct) => {
                (actual - self.value).abs() <= (self.value.abs() * pct / 100.0).max(floor)
            }
            Op::Within(tolerance) => {
                (actual - self.value).abs() <= tolerance.allowance(self.value as u64) as f64
            }
        };
        if ok {
            Ok(())
        } else {
            Err(values.format(self.field, time))
        }
    }

    /// What replaces a failed bound in the actual text: the actual value,
    /// with the bound's own tolerance or band when it has one, else `band`
    /// for times and `calls_tolerance` (when given) for calls.
    pub(super) fn replacement(
        &self,
        values: &Values,
        time: bool,
        band: f64,
        calls_tolerance: Option<CallsTolerance>,
    ) -> Option<String> {
        let band = match self.op {
            Op::Approx(pct) => pct,
            _ => band,
        };
        let calls_tolerance = match self.op {
            Op::Within(tolerance) => Some(tolerance),
            _ => calls_tolerance,
        };
        match self.field {
            Field::Calls => values
                .calls
                .map(|calls| calls_clause(calls, calls_tolerance)),
            Field::Incl => Some(format!(
                "incl ≈ {} ±{band}%",
                format_cost(values.inclusive, time)
            )),
            Field::SelfCost => Some(format!(
                "self ≈ {} ±{band}%",
                format_cost(values.self_cost, time)
            )),
        }
    }
}

/// `calls = 6`, or `calls ≈ 6 ±2%` with a tolerance.
pub(super) fn calls_clause(calls: u64, tolerance: Option<CallsTolerance>) -> String {
    match tolerance {
        Some(tolerance) => format!("calls ≈ {calls} {tolerance}"),
        None => format!("calls = {calls}"),
    }
}

fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Approx(_) | Op::Within(_) => "≈",
    }
}

/// `±50%  noise floor: 1ms`.
pub(super) fn parse_band(text: &str, time: bool) -> std::result::Result<Band, String> {
    let expected = "expected `# band: ±P%  noise floor: VALUE`";
    let (pct, floor) = match text.split_once("noise floor:") {
        Some((pct, floor)) => (pct.trim(), Some(floor.trim())),
        None => (text.trim(), None),
    };
    let mut scanner = Scanner::new(pct);
    let pct = scanner.band().map_err(|m| format!("{m}; {expected}"))?;
    if !scanner.at_end() {
        return Err(expected.to_string());
    }
    let floor = match floor {
        None => 0.0,
        Some(floor) => {
            let mut scanner = Scanner::new(floor);
            let value = scanner.cost(time).map_err(|m| format!("{m}; {expected}"))?;
            if !scanner.at_end() {
                return Err(expected.to_string());
            }
            value
        }
    };
    Ok(Band { pct, floor })
}

/// Splits a function line into its key, the key as written, and the bounds.
pub(super) fn split_key(line: &str) -> std::result::Result<(String, String, &str), String> {
    if line.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(line).into_iter::<String>();
        let key = match stream.next() {
            Some(Ok(key)) => key,
            _ => return Err("a quoted key must be a JSON string, like \"my  key\"".to_string()),
        };
        let end = stream.byte_offset();
        let rest = &line[end..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return Err("expected whitespace after the quoted key".to_string());
        }
        return Ok((key, line[..end].to_string(), rest));
    }
    if line.starts_with(char::is_whitespace) {
        return Err(
            "a function line starts with its key; quote a key with leading space as a JSON string"
                .to_string(),
        );
    }
    // The key ends at the first run of two spaces or a tab.
    let end = [line.find("  "), line.find('\t')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    let key = &line[..end];
    if looks_like_bound(key) {
        return Err(format!(
            "`{key}` looks like a key and a bound: separate bounds from the key with two spaces"
        ));
    }
    Ok((key.to_string(), key.to_string(), &line[end..]))
}

/// True when a key has a bound after a single space (`f calls <= 2`), the
/// commonest hand-editing slip. [`render`](fn@super::render) quotes the (improbable) real key
/// that looks like this, so it still reads back.
pub(super) fn looks_like_bound(key: &str) -> bool {
    const OPERATORS: [char; 5] = ['<', '>', '=', '≈', '~'];
    let tokens: Vec<&str> = key.split(' ').collect();
    tokens.iter().enumerate().skip(1).any(|(index, token)| {
        ["calls", "incl", "self"]
            .iter()
            .any(|field| match token.strip_prefix(field) {
                // `f calls <= 2`: the operator is the next token.
                Some("") => tokens
                    .get(index + 1)
                    .is_some_and(|next| next.starts_with(OPERATORS)),
                Some(rest) => rest.starts_with(OPERATORS),
                None => false,
            })
    })
}

pub(super) fn parse_clauses(text: &str, time: bool) -> std::result::Result<Vec<Clause>, String> {
    let mut scanner = Scanner::new(text);
    let mut clauses = Vec::new();
    loop {
        scanner.skip_space();
        if scanner.at_end() {
            return Ok(clauses);
        }
        let start = scanner.position;
        let word = scanner.word();
        let field = match word {
            "calls" => Field::Calls,
            "incl" => Field::Incl,
            "self" => Field::SelfCost,
            "" => {
                return Err(format!(
                    "expected a bound (calls, incl or self), found `{}`",
                    scanner.rest_token()
                ))
            }
            other => {
                return Err(format!(
                    "unknown field `{other}`; bounds are on calls, incl or self"
                ))
            }
        };
        scanner.skip_space();
        let op = scanner.op().ok_or_else(|| {
            format!(
                "expected an operator after `{}` (=, <, <=, >, >= or ≈), found `{}`",
                field.name(),
                scanner.rest_token()
            )
        })?;
        scanner.skip_space();
        // `≈` takes a tolerance right after the count; after `=` one is an
        // error worth explaining (below).
        let tolerance_may_follow = matches!(op, Op::Approx(_) | Op::Eq);
        let value = match field {
            Field::Calls => scanner.count(tolerance_may_follow)?,
            _ => scanner.cost(time)?,
        };
        let op = match op {
            Op::Approx(_) if field == Field::Calls => {
                scanner.skip_space();
                Op::Within(scanner.calls_tolerance()?)
            }
            Op::Approx(_) => {
                scanner.skip_space();
                Op::Approx(scanner.band()?)
            }
            Op::Eq if field == Field::Calls && scanner.after_space_starts_with_plus_minus() => {
                return Err(format!(
                    "`=` is exact and takes no tolerance; write `calls ≈ {} ±T` \
                     (±T: a number of calls or a percentage, e.g. ±2%)",
                    value
                ))
            }
            Op::Eq if field != Field::Calls => {
                return Err(format!(
                "times are never exactly equal: use `{} ≈ VALUE ±P%` or a bound like `{} < VALUE`",
                field.name(),
                field.name()
            ))
            }
            op => op,
        };
        let end = scanner.position;
        if !scanner.at_end() && !scanner.at_space() {
            return Err(format!(
                "unexpected `{}` after `{}`",
                scanner.rest_token(),
                &text[start..end]
            ));
        }
        clauses.push(Clause {
            field,
            op,
            value,
            time,
            text: text[start..end].to_string(),
        });
    }
}

/// A cursor over one line's bounds.
pub(super) struct Scanner<'t> {
    text: &'t str,
    position: usize,
}

impl<'t> Scanner<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Scanner { text, position: 0 }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.position..]
    }

    pub(super) fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    fn at_space(&self) -> bool {
        self.rest().starts_with(char::is_whitespace)
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.position += rest.len() - rest.trim_start().len();
    }

    /// The next whitespace-delimited token, for messages.
    fn rest_token(&self) -> &'t str {
        self.rest().split(char::is_whitespace).next().unwrap_or("")
    }

    fn take_while(&mut self, predicate: impl Fn(char) -> bool) -> &'t str {
        let rest = self.rest();
        let length = rest.find(|c| !predicate(c)).unwrap_or(rest.len());
        self.position += length;
        &rest[..length]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.position += token.len();
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> &'t str {
        self.take_while(|c| c.is_ascii_alphabetic())
    }

    fn op(&mut self) -> Option<Op> {
        // Longest first, so `<=` is not read as `<` followed by `=`.
        for (token, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("≈", Op::Approx(0.0)),
            ("~", Op::Approx(0.0)),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(token) {
                return Some(op);
            }
        }
        None
    }

    /// Digits with an optional fraction: `12`, `0.5`.
    fn number(&mut self) -> std::result::Result<f64, String> {
        let start = self.position;
        let whole = self.take_while(|c| c.is_ascii_digit());
        let mut end = self.position;
        if self.rest().starts_with('.') {
            self.position += 1;
            let fraction = self.take_while(|c| c.is_ascii_digit());
            if fraction.is_empty() {
                return Err(format!(
                    "invalid number `{}`",
                    &self.text[start..self.position]
                ));
            }
            end = self.position;
        } else if whole.is_empty() {
            return Err(format!("expected a number, found `{}`", self.rest_token()));
        }
        self.text[start..end]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("invalid number `{}`", &self.text[start..end]))
    }

    /// A whole number of calls, ending the token (or, with `band_follows`,
    /// directly followed by a `±` tolerance: `calls≈3028±2%`).
    fn count(&mut self, band_follows: bool) -> std::result::Result<f64, String> {
        let token = self.rest_token();
        let digits = self.take_while(|c| c.is_ascii_digit());
        let ends = self.at_end() || self.at_space() || (band_follows && self.at_plus_minus());
        if digits.is_empty() || !ends {
            return Err(format!(
                "calls must be a whole number, found `{}`",
                if token.is_empty() { "nothing" } else { token }
            ));
        }
        digits
            .parse::<u64>()
            .map(|n| n as f64)
            .map_err(|_| format!("calls value `{digits}` is too large"))
    }

    /// A duration (time units) or a plain number (other units).
    fn cost(&mut self, time: bool) -> std::result::Result<f64, String> {
        let value = self.number()?;
        // The unit may follow the number directly or after spaces (`200 ms`).
        let before_unit = self.position;
        self.skip_space();
        let suffix_start = self.position;
        let suffix = self.take_while(|c| c.is_alphabetic() || c == 'µ' || c == 'μ');
        let scale = match suffix {
            "s" => Some(1.0),
            "ms" => Some(1e-3),
            "us" | "µs" | "μs" => Some(1e-6),
            "ns" => Some(1e-9),
            _ => None,
        };
        match (scale, time) {
            (Some(scale), true) => Ok(value * scale),
            (Some(_), false) => Err(format!(
                "`{suffix}` is a time unit, but this snapshot's unit is not time: write a plain number"
            )),
            (None, _) if suffix_start == before_unit && !suffix.is_empty() => Err(format!(
                "unknown unit `{suffix}`; use ns, us (µs), ms or s"
            )),
            (None, _) => {
                // Not a unit (the next field's name, say): give it back.
                self.position = before_unit;
                Ok(value)
            }
        }
    }

    fn at_plus_minus(&self) -> bool {
        let rest = self.rest();
        rest.starts_with('±') || rest.starts_with("+-") || rest.starts_with("+/-")
    }

    /// True when the next token, after any space, is a `±` tolerance.
    fn after_space_starts_with_plus_minus(&self) -> bool {
        let mut ahead = Scanner {
            text: self.text,
            position: self.position,
        };
        ahead.skip_space();
        ahead.at_plus_minus()
    }

    /// Consumes `±`, `+-` or `+/-`; false when there is none.
    pub(super) fn eat_plus_minus(&mut self) -> bool {
        self.eat("±") || self.eat("+-") || self.eat("+/-")
    }

    /// A calls tolerance after the count: `±2%` (percent of the recorded
    /// count) or `±50` (calls).
    fn calls_tolerance(&mut self) -> std::result::Result<CallsTolerance, String> {
        if !self.eat_plus_minus() {
            return Err(format!(
                "expected a tolerance like ±2% or ±50 after the count, found `{}`",
                if self.rest_token().is_empty() {
                    "nothing"
                } else {
                    self.rest_token()
                }
            ));
        }
        self.calls_tolerance_value()
    }

    /// The number of a calls tolerance, after its `±`: `2%`, `2.5%` or `50`.
    pub(super) fn calls_tolerance_value(&mut self) -> std::result::Result<CallsTolerance, String> {
        let start = self.position;
        let value = self.number()?;
        if self.eat("%") {
            return Ok(CallsTolerance::Percent(value));
        }
        let written = &self.text[start..self.position];
        if !written.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "a calls tolerance is a whole number of calls or a percentage, found `{written}`; \
                 add `%` for a percentage"
            ));
        }
        written
            .parse::<u64>()
            .map(CallsTolerance::Calls)
            .map_err(|_| format!("calls tolerance `{written}` is too large"))
    }

    /// `±50%` (or `+-50%`).
    fn band(&mut self) -> std::result::Result<f64, String> {
        if !self.eat_plus_minus() {
            return Err(format!(
                "expected a band like ±50% after the value, found `{}`",
                self.rest_token()
            ));
        }
        let pct = self.number()?;
        if !self.eat("%") {
            return Err(format!(
                "the band needs a `%`, found `{}`",
                self.rest_token()
            ));
        }
        Ok(pct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_grammar() {
        let clauses = parse_clauses("  calls<=2  incl < 200 ms  self ~ 5us +-10%", true).unwrap();
        assert_eq!(clauses.len(), 3);
        assert_eq!(clauses[0].op, Op::Le);
        assert_eq!(clauses[0].text, "calls<=2");
        assert!((clauses[1].value - 0.2).abs() < 1e-12);
        assert_eq!(clauses[2].op, Op::Approx(10.0));
        assert_eq!(clauses[2].canonical(), "self ≈ 5.00µs ±10%");
        for bad in [
            "calls",
            "calls 2",
            "calls <= 2.5",
            "calls <= -1",
            "calls ≈ 2",
            "calls ≈ 2 1%",
            "calls ≈ 2 ±",
            "calls ≈ 2 ±1.5",
            "calls ≈ 2.5 ±1",
            "calls ≈ 2 ±-1",
            "calls ≈ 2 ±1%%",
            "calls = 2 ±1",
            "calls=2±1%",
            "calls <= 2 ±1",
            "incl = 1ms",
            "incl ≈ 1ms",
            "incl < 1h",
            "incl < 1msx",
            "time < 1ms",
            "calls = 1 extra",
            "incl ≈ 1ms ±50",
        ] {
            assert!(parse_clauses(bad, true).is_err(), "{bad:?} accepted");
        }
        assert!(parse_clauses("incl < 1ms", false).is_err());
        let error = parse_clauses("calls = 3028 ±50", true).unwrap_err();
        assert!(error.contains("calls ≈ 3028 ±T"), "{error}");
    }

    #[test]
    fn calls_tolerances() {
        let clauses =
            parse_clauses("calls ≈ 3028 ±2%  calls~3028+-50  calls ≈ 7 ±0.5%", true).unwrap();
        assert_eq!(clauses[0].op, Op::Within(CallsTolerance::Percent(2.0)));
        assert_eq!(clauses[0].value, 3028.0);
        assert_eq!(clauses[0].text, "calls ≈ 3028 ±2%");
        assert_eq!(clauses[1].op, Op::Within(CallsTolerance::Calls(50)));
        assert_eq!(clauses[1].canonical(), "calls ≈ 3028 ±50");
        assert_eq!(clauses[2].canonical(), "calls ≈ 7 ±0.5%");
        // The same rounding as the gate: 2% of 3,028 is 60.56, so 60 calls.
        assert_eq!(CallsTolerance::Percent(2.0).allowance(3028), 60);
        assert_eq!(CallsTolerance::Calls(50).allowance(3028), 50);
        for (text, tolerance) in [
            ("2%", CallsTolerance::Percent(2.0)),
            ("±2.5%", CallsTolerance::Percent(2.5)),
            ("+-50", CallsTolerance::Calls(50)),
            (" 0 ", CallsTolerance::Calls(0)),
        ] {
            assert_eq!(CallsTolerance::parse(text), Ok(tolerance), "{text:?}");
        }
        for bad in ["", "%", "-2%", "1.5", "two", "2%x", "2 %", "inf%", "±"] {
            let error = CallsTolerance::parse(bad).unwrap_err();
            assert!(error.contains("calls tolerance"), "{bad:?}: {error}");
        }
        assert_eq!(CallsTolerance::Percent(2.0).to_string(), "±2%");
        assert_eq!(CallsTolerance::Calls(50).to_string(), "±50");
        assert_eq!(
            parse_clauses("incl < 1000", false).unwrap()[0].value,
            1000.0
        );
    }
}
