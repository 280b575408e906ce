//! Human formatting of costs, counts and deltas for the text renderers.

use crate::model::Unit;

/// The typographic minus: deltas read as numbers, not as hyphens.
const MINUS: char = '−';

/// A cost in human units: `145 ms`, `12.3 µs`, `1.23 s` for time; a grouped
/// integer (`1,234,567`) for events and samples.
pub fn cost(value: f64, unit: &Unit) -> String {
    match unit {
        Unit::Seconds => seconds(value),
        _ => grouped(value.round() as i128),
    }
}

/// A cost with its unit spelled out for counted units: `145 ms`,
/// `1 sample`, `12 samples`, `1,024 Ir`.
pub fn cost_with_unit(value: f64, unit: &Unit) -> String {
    let text = cost(value, unit);
    match unit {
        Unit::Seconds => text,
        Unit::Samples if text == "1" => "1 sample".to_string(),
        _ => format!("{text} {unit}"),
    }
}

/// A signed cost delta: `+3.10 ms`, `−41.0 ms`, `+1,024`.
pub fn cost_delta(value: f64, unit: &Unit) -> String {
    let magnitude = cost(value.abs(), unit);
    // A delta too small for three significant digits of its unit prints
    // as 0, not as `−0.00 ns`.
    let digits_are_zero = magnitude
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .all(|c| matches!(c, '0' | '.' | ','));
    if value == 0.0 || digits_are_zero {
        return "0".to_string();
    }
    format!("{}{magnitude}", sign(value))
}

/// Seconds with three significant digits in the largest unit below the value.
pub fn seconds(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude == 0.0 {
        return "0".to_string();
    } else if magnitude < 1e-6 {
        (value * 1e9, "ns")
    } else if magnitude < 1e-3 {
        (value * 1e6, "µs")
    } else if magnitude < 1.0 {
        (value * 1e3, "ms")
    } else {
        (value, "s")
    };
    format!("{} {suffix}", three_significant(scaled))
}

fn three_significant(value: f64) -> String {
    let magnitude = value.abs();
    let text = if magnitude >= 99.95 {
        format!("{value:.0}")
    } else if magnitude >= 9.995 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    text.replace('-', &MINUS.to_string())
}

/// An integer with thousands separators.
pub fn grouped(value: i128) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push(MINUS);
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A signed count delta: `+5`, `−1,000`, `0`.
pub fn count_delta(value: f64) -> String {
    let rounded = value.round() as i128;
    if rounded == 0 {
        return "0".to_string();
    }
    format!("{}{}", sign(value), grouped(rounded.abs()))
}

/// A signed percentage: `−28%`, `+3.5%`.
pub fn pct(value: f64) -> String {
    let magnitude = value.abs();
    let text = if magnitude >= 9.95 {
        format!("{magnitude:.0}")
    } else {
        format!("{magnitude:.1}")
    };
    if text == "0.0" {
        return "0%".to_string();
    }
    format!("{}{text}%", sign(value))
}

fn sign(value: f64) -> char {
    if value < 0.0 {
        MINUS
    } else {
        '+'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_pick_the_unit_and_three_digits() {
        assert_eq!(seconds(0.145), "145 ms");
        assert_eq!(seconds(0.0145), "14.5 ms");
        assert_eq!(seconds(0.00145), "1.45 ms");
        assert_eq!(seconds(0.000_012_3), "12.3 µs");
        assert_eq!(seconds(3.5e-7), "350 ns");
        assert_eq!(seconds(1.234), "1.23 s");
        assert_eq!(seconds(0.0), "0");
        assert_eq!(seconds(-0.041), "−41.0 ms");
    }

    #[test]
    fn deltas_carry_a_sign() {
        assert_eq!(cost_delta(-0.041, &Unit::Seconds), "−41.0 ms");
        assert_eq!(cost_delta(0.0031, &Unit::Seconds), "+3.10 ms");
        assert_eq!(cost_delta(0.0, &Unit::Seconds), "0");
        assert_eq!(cost_delta(-1e-14, &Unit::Seconds), "0");
        assert_eq!(cost_delta(4e-12, &Unit::Seconds), "0");
        assert_eq!(cost_delta(6e-12, &Unit::Seconds), "+0.01 ns");
        assert_eq!(cost_delta(0.4, &Unit::Event("Ir".into())), "0");
        assert_eq!(count_delta(-5.0), "−5");
        assert_eq!(count_delta(1234.0), "+1,234");
        assert_eq!(count_delta(0.0), "0");
        assert_eq!(cost_delta(2048.0, &Unit::Event("Ir".into())), "+2,048");
        assert_eq!(cost_with_unit(1.0, &Unit::Samples), "1 sample");
        assert_eq!(cost_with_unit(2.0, &Unit::Samples), "2 samples");
        assert_eq!(cost_with_unit(1.0, &Unit::Event("Ir".into())), "1 Ir");
    }

    #[test]
    fn percentages_round_sensibly() {
        assert_eq!(pct(-28.27), "−28%");
        assert_eq!(pct(3.54), "+3.5%");
        assert_eq!(pct(0.01), "0%");
        assert_eq!(pct(250.0), "+250%");
    }

    #[test]
    fn grouping_inserts_separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-1234567), "−1,234,567");
    }
}
