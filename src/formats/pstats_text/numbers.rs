//! The numbers of a pstats text row (counts and `%8.3f` times), parsed
//! without `str::parse`'s generic overhead but to the same values, which the
//! tests check token by token.

/// `text.parse::<u64>()`, without its generic overhead: an optional `+`,
/// then at least one ASCII digit; `None` on overflow.
pub(super) fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    let digits = digits.strip_prefix(b"+").unwrap_or(digits);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A time column: a finite number made of digits, `.` and `-` only, and
/// how many decimals it has (digits after the first `.`).
pub(super) fn parse_time(token: &str) -> Option<(f64, usize)> {
    if let Some(parsed) = parse_plain_decimal(token.as_bytes()) {
        return Some(parsed);
    }
    let value = token.parse::<f64>().ok().filter(|v| {
        v.is_finite()
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    })?;
    let places = token.split_once('.').map_or(0, |(_, f)| f.len());
    Some((value, places))
}

/// Exact powers of ten as `f64` (all up to 10^22 are).
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The fast path of [`parse_time`], for what pstats prints (`%8.3f`):
/// `-?D*(.D*)?` with 1 to 15 digits in all. The digits, read as an integer
/// `m < 10^15 < 2^53`, and `10^f` (`f` the decimals) are both exact `f64`s,
/// so `m / 10^f` is one correctly rounded division: the nearest `f64` to the
/// decimal, which is what `str::parse` returns too (the same Clinger fast
/// path it takes itself). Anything else (no digits, more than 15, a second
/// `.` or `-`, other bytes) returns `None` and goes through `str::parse`.
fn parse_plain_decimal(token: &[u8]) -> Option<(f64, usize)> {
    let (negative, token) = match token.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let (int, frac) = match token.iter().position(|&b| b == b'.') {
        Some(dot) => (&token[..dot], &token[dot + 1..]),
        None => (token, &token[token.len()..]),
    };
    let digits = int.len() + frac.len();
    if digits == 0 || digits >= POW10.len() {
        return None;
    }
    let mut mantissa = 0u64;
    for &b in int.iter().chain(frac) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(digit);
    }
    // Both operands are exact (mantissa < 10^15 < 2^53), so this is the
    // correctly rounded quotient.
    let value = mantissa as f64 / POW10[frac.len()];
    Some((if negative { -value } else { value }, frac.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `parse_time` replaced: `str::parse` and a filter.
    fn reference_time(token: &str) -> Option<(f64, usize)> {
        let value = token.parse::<f64>().ok().filter(|v| {
            v.is_finite()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        })?;
        Some((value, token.split_once('.').map_or(0, |(_, f)| f.len())))
    }

    #[test]
    fn numbers_parse_exactly_like_str_parse() {
        let same = |token: &str| {
            let got = parse_time(token).map(|(v, p)| (v.to_bits(), p));
            let want = reference_time(token).map(|(v, p)| (v.to_bits(), p));
            assert_eq!(got, want, "time {token:?}");
            assert_eq!(
                parse_u64(token),
                token.parse::<u64>().ok(),
                "count {token:?}"
            );
        };
        for token in [
            "",
            "-",
            "+",
            ".",
            "-.",
            "+1",
            "-0",
            "-0.000",
            "0.000",
            "1.",
            ".5",
            "-.5",
            "1.2.3",
            "1-2",
            "--1",
            "1e3",
            "inf",
            "NaN",
            "0x10",
            "00012.50",
            "999999999999999",
            "9999999999999999",
            "0.123456789012345",
            "0.1234567890123456",
            "123456789.123456",
            "18446744073709551615",
            "18446744073709551616",
            "+18446744073709551615",
            "99999999999999999999.5",
            "٣",
            "1\u{a0}",
        ] {
            same(token);
        }
        // Random tokens over the bytes that matter, and %8.3f-like numbers.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789.-+e";
        for _ in 0..200_000 {
            let len = (next() % 22) as usize;
            let token: String = (0..len)
                .map(|_| {
                    let r = next() as usize;
                    // Mostly digits, so that many tokens are numbers.
                    if r.is_multiple_of(4) {
                        alphabet[(r / 4) % alphabet.len()] as char
                    } else {
                        (b'0' + (r / 4 % 10) as u8) as char
                    }
                })
                .collect();
            same(&token);
            let decimals = (next() % 16) as usize;
            let value =
                (next() % 1_000_000_000) as f64 / 1e3 * if next() % 2 == 0 { 1.0 } else { -1.0 };
            same(&format!("{value:.decimals$}"));
        }
    }
}
