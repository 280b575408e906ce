//! A new snapshot's text: selection and rendering of lines.

use crate::align::{self, AlignOptions};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::gate;
use crate::model::{FunctionId, Profile};

use super::grammar::{calls_clause, looks_like_bound};
use super::group::is_group_line;
use super::{
    Band, CallsTolerance, SnapshotOptions, BAND_PREFIX, CALLS_TOLERANCE_PREFIX, EXCLUDE_PREFIX,
    FORMAT_PREFIX, INCLUDE_PREFIX, VERSION, VERSION_LINE,
};

/// Renders a new snapshot of `profile`. Fails only on an invalid regex or a
/// pattern that cannot be written on one header line.
pub fn render(profile: &Profile, options: &SnapshotOptions) -> Result<String> {
    for pattern in options.include.iter().chain(&options.exclude) {
        if pattern.contains(['\n', '\r']) {
            return Err(Error::Usage(format!(
                "filter {pattern:?} contains a line break and cannot be recorded in a snapshot"
            )));
        }
    }
    if !(options.band_pct >= 0.0 && options.band_pct.is_finite()) {
        return Err(Error::Usage(format!(
            "snapshot band must be a non-negative percentage, got {}",
            options.band_pct
        )));
    }
    if let Some(CallsTolerance::Percent(pct)) = options.calls_tolerance {
        if !(pct >= 0.0 && pct.is_finite()) {
            return Err(Error::Usage(format!(
                "snapshot calls tolerance must be a non-negative percentage, got {pct}"
            )));
        }
    }
    let filter = Filter::new(&options.include, &options.exclude)?;
    let unit_is_time = profile.meta.unit.is_time();
    let band = options.with_time.then(|| Band {
        pct: options.band_pct,
        floor: options
            .noise_floor
            .unwrap_or_else(|| gate::default_noise_floor(&profile.meta.unit)),
    });
    let mut out = format!("{VERSION_LINE}{VERSION}\n{}\n", format_line(profile));
    for pattern in &options.include {
        out.push_str(&format!("{INCLUDE_PREFIX}{pattern}\n"));
    }
    for pattern in &options.exclude {
        out.push_str(&format!("{EXCLUDE_PREFIX}{pattern}\n"));
    }
    if let Some(band) = &band {
        out.push_str(&band_line(band, unit_is_time));
        out.push('\n');
    }
    if let Some(tolerance) = options.calls_tolerance {
        out.push_str(&format!("{CALLS_TOLERANCE_PREFIX}{tolerance}\n"));
    }
    for (key, id) in select(profile, &options.align, &filter) {
        out.push_str(&fresh_line(
            profile,
            &key,
            id,
            band.as_ref(),
            options.calls_tolerance,
        ));
        out.push('\n');
    }
    Ok(out)
}

/// Every function with its key and displayed name, sorted by key: what
/// group patterns are matched against (all functions, whatever the
/// snapshot's filters).
pub(super) fn all_functions(
    profile: &Profile,
    align: &AlignOptions,
) -> Vec<(String, String, FunctionId)> {
    let keys = align::keys(profile, align);
    let files = align::normalized_files(profile, align);
    let mut all: Vec<(String, String, FunctionId)> = keys
        .into_iter()
        .enumerate()
        .map(|(id, key)| {
            let function = &profile.functions[id];
            let display = align::display_name(function, files[id].as_deref(), function.line);
            (key, display, id)
        })
        .collect();
    all.sort();
    all
}

/// The functions the filter selects, with their keys, sorted by key.
pub(super) fn select(
    profile: &Profile,
    align: &AlignOptions,
    filter: &Filter,
) -> Vec<(String, FunctionId)> {
    let keys = align::keys(profile, align);
    let files = align::normalized_files(profile, align);
    let mut selected: Vec<(String, FunctionId)> = keys
        .into_iter()
        .enumerate()
        .filter(|(id, key)| {
            filter.is_empty() || {
                let function = &profile.functions[*id];
                let display = align::display_name(function, files[*id].as_deref(), function.line);
                filter.matches(key, &display)
            }
        })
        .map(|(id, key)| (key, id))
        .collect();
    selected.sort();
    selected
}

pub(super) fn format_line(profile: &Profile) -> String {
    format!(
        "{FORMAT_PREFIX}{}  unit: {}",
        profile.meta.format.name(),
        profile.meta.unit.name()
    )
}

pub(super) fn band_line(band: &Band, unit_is_time: bool) -> String {
    format!(
        "{BAND_PREFIX}±{}%  noise floor: {}",
        band.pct,
        format_cost(band.floor, unit_is_time)
    )
}

/// A function's line as [`render`] writes it.
pub(super) fn fresh_line(
    profile: &Profile,
    key: &str,
    id: FunctionId,
    band: Option<&Band>,
    calls_tolerance: Option<CallsTolerance>,
) -> String {
    let function = &profile.functions[id];
    let mut line = quote_key(key);
    if let Some(calls) = function.calls {
        line.push_str("  ");
        line.push_str(&calls_clause(calls, calls_tolerance));
    }
    if let Some(band) = band {
        line.push_str(&format!(
            "  incl ≈ {} ±{}%",
            format_cost(function.inclusive_cost, profile.meta.unit.is_time()),
            band.pct
        ));
    }
    line
}

fn quote_key(key: &str) -> String {
    let needs_quotes = key.is_empty()
        || key.starts_with(['#', '"'])
        || key.starts_with(char::is_whitespace)
        || key.ends_with(char::is_whitespace)
        || key.contains("  ")
        || key.contains('\t')
        || key.chars().any(|c| c.is_control())
        || looks_like_bound(key)
        || is_group_line(key);
    if needs_quotes {
        serde_json::to_string(key).unwrap_or_else(|_| key.to_string())
    } else {
        key.to_string()
    }
}

/// A cost as written in snapshots: three significant digits and a unit
/// suffix for time (`134ms`, `58.5µs`, `1.23s`, `0s`); the plain number for
/// other units. Kept apart from the display formatting, which may change,
/// because this is a file format.
pub(super) fn format_cost(value: f64, unit_is_time: bool) -> String {
    if !unit_is_time {
        return format!("{value}");
    }
    if value == 0.0 || !value.is_finite() {
        return "0s".to_string();
    }
    const SCALES: [(f64, &str); 4] = [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")];
    let magnitude = value.abs();
    let mut index = SCALES
        .iter()
        .rposition(|(scale, _)| magnitude >= *scale)
        .unwrap_or(0);
    // 999.7 µs would print as "1000µs"; step up to "1.00ms" instead.
    if index + 1 < SCALES.len() && (magnitude / SCALES[index].0) >= 999.5 {
        index += 1;
    }
    let (scale, suffix) = SCALES[index];
    let scaled = value / scale;
    let digits = if scaled.abs() >= 99.95 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 9.995 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    format!("{digits}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::grammar::split_key;

    #[test]
    fn costs_format_with_three_digits() {
        assert_eq!(format_cost(0.134, true), "134ms");
        assert_eq!(format_cost(0.0677, true), "67.7ms");
        assert_eq!(format_cost(0.000_058_5, true), "58.5µs");
        assert_eq!(format_cost(1.234, true), "1.23s");
        assert_eq!(format_cost(0.0, true), "0s");
        assert_eq!(format_cost(0.000_999_7, true), "1.00ms");
        assert_eq!(format_cost(3.5e-7, true), "350ns");
        assert_eq!(format_cost(1234.0, false), "1234");
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(quote_key("a.py:f"), "a.py:f");
        assert_eq!(
            quote_key("{method 'get' of 'dict' objects}"),
            "{method 'get' of 'dict' objects}"
        );
        assert_eq!(quote_key("a  b"), "\"a  b\"");
        assert_eq!(quote_key("#x"), "\"#x\"");
        // A key that would read as a group line.
        assert_eq!(quote_key("group x"), "\"group x\"");
        assert_eq!(quote_key("group"), "group");
        let (key, raw, rest) = split_key("\"a  b\"  calls = 1").unwrap();
        assert_eq!(
            (key.as_str(), raw.as_str(), rest),
            ("a  b", "\"a  b\"", "  calls = 1")
        );
    }
}
