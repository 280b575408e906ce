//! Values of command-line options that are not plain numbers: durations,
//! percentages, noise floors. Each parser returns the problem without the
//! flag's name; [`crate::args`] puts the flag in front.

use profdiff::Unit;

/// Parses a duration for `--time-noise-floor`: `1ms`, `250us`, `250µs`,
/// `100ns`, `2s`, or a bare number of seconds (`0.5`). Spaces between number
/// and unit are allowed; negative, infinite and empty values are not.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(split);
    let scale = match suffix.trim() {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" | "μs" => 1e-6,
        "ns" => 1e-9,
        _ => {
            return Err(format!(
                "invalid duration {text:?}: expected a number with an optional unit \
                 ns, us (µs), ms or s, e.g. 1ms, 250us, 0.5 (seconds)"
            ))
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("invalid duration {text:?}: expected a non-negative number such as 1ms or 0.5")
    })?;
    let seconds = value * scale;
    if !seconds.is_finite() {
        return Err(format!("invalid duration {text:?}: too large"));
    }
    Ok(seconds)
}

/// Parses `--time-noise-floor` for a profile of `unit`: a duration for time
/// profiles ([`parse_duration`]), a plain non-negative number in that unit
/// otherwise (a duration suffix is refused, since it would be meaningless).
pub fn parse_noise_floor(text: &str, unit: &Unit) -> Result<f64, String> {
    if unit.is_time() {
        return parse_duration(text);
    }
    match text.trim().parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!(
            "invalid noise floor {text:?}: these profiles count {unit}, not time; \
             give a plain non-negative number of {unit}"
        )),
    }
}

/// Parses a percentage for the time and calls tolerances: a non-negative
/// number, `10` or `10%`.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim_end();
    match number.parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!(
            "invalid percentage {text:?}: expected a non-negative number such as 10 or 2.5%"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1ms"), Ok(0.001));
        assert_eq!(parse_duration("250us"), Ok(0.000_25));
        assert_eq!(parse_duration("250µs"), Ok(0.000_25));
        assert_eq!(parse_duration("2s"), Ok(2.0));
        assert_eq!(parse_duration("0.5"), Ok(0.5));
        assert_eq!(parse_duration(" 3 ms "), Ok(0.003));
        assert!((parse_duration("100ns").unwrap() - 1e-7).abs() < 1e-20);
        for bad in ["", "ms", "-1ms", "1 h", "1e3", "NaN", "inf", "1..2s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn noise_floor_in_other_units_is_a_plain_number() {
        let ir = Unit::Event("Ir".into());
        assert_eq!(parse_noise_floor("1000", &ir), Ok(1000.0));
        let error = parse_noise_floor("1ms", &ir).unwrap_err();
        assert!(error.contains("Ir"), "{error}");
        assert_eq!(parse_noise_floor("1ms", &Unit::Seconds), Ok(0.001));
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("10"), Ok(10.0));
        assert_eq!(parse_percent("2.5%"), Ok(2.5));
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent("ten").is_err());
    }
}
