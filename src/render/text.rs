//! The terminal views: the diff table and the single-profile table, each
//! followed by the Lambda estimate when the report has one.

use std::io::{self, Write};

use super::cells::{calls_change, cost_change, count_change, inclusive_change, ABSENT};
use super::escape::escape;
use super::table::{paint, Align, Cell, Style, Table, Tone};
use super::units;
use super::{DiffReport, ShowReport};
use crate::diff::{CallerDiff, Change, FunctionDiff, Status};
use crate::model::{Profile, Unit};

/// Writes the diff report: a summary header, then one row per function,
/// then the Lambda estimate.
pub fn write_diff(out: &mut dyn Write, report: &DiffReport<'_>, style: Style) -> io::Result<()> {
    write_diff_head(out, report, style)?;
    let diff = report.diff;
    let unit = &diff.unit;
    let (headers, aligns) = diff_columns(unit);
    let mut table = headed_table(headers, aligns);
    for row in &report.rows {
        table.push(function_row(row, unit, diff.cost_threshold));
        if report.show_callers {
            push_callers(&mut table, &row.callers, unit, diff.cost_threshold, 1);
        }
    }
    table.write(out, style)?;
    write_more_rows(
        out,
        report.rows.len(),
        report.matching,
        &report.hints,
        style,
    )?;
    if let Some(cost) = report.lambda {
        writeln!(out)?;
        super::lambda::write_text(out, cost, style)?;
    }
    Ok(())
}

/// A table with its header row.
fn headed_table(headers: Vec<&str>, aligns: Vec<Align>) -> Table {
    let mut table = Table::new(aligns);
    table.push(
        headers
            .into_iter()
            .map(|h| Cell::new(h, Tone::Header))
            .collect(),
    );
    table
}

/// "… N more rows" under a table that `--top` cut.
fn write_more_rows(
    out: &mut dyn Write,
    shown: usize,
    matching: usize,
    hints: &super::Hints,
    style: Style,
) -> io::Result<()> {
    if shown < matching {
        writeln!(
            out,
            "{}",
            paint(&hints.more_rows(matching - shown), Tone::Dim, style.color)
        )?;
    }
    Ok(())
}

/// The diff table's column headers and alignment.
pub(super) fn diff_columns(unit: &Unit) -> (Vec<&'static str>, Vec<Align>) {
    let self_label = if unit.is_time() { "self" } else { "self cost" };
    let headers = vec![
        "",
        "calls",
        "Δcalls",
        self_label,
        "Δself",
        "inclusive",
        "Δincl",
        "Δ%",
        "function",
    ];
    let mut aligns = vec![Align::Left];
    aligns.extend([Align::Right; 7]);
    aligns.push(Align::Left);
    (headers, aligns)
}

/// Everything above the diff table: the two profiles, the totals, the
/// notes and the causes.
pub(super) fn write_diff_head(
    out: &mut dyn Write,
    report: &DiffReport<'_>,
    style: Style,
) -> io::Result<()> {
    let diff = report.diff;
    let unit = &diff.unit;
    let mut header = Table::new(vec![Align::Left, Align::Left, Align::Left]);
    for (label, profile) in [("base", report.base), ("new", report.new)] {
        header.push(vec![
            Cell::new(label, Tone::Header),
            Cell::plain(profile.meta.path.clone()),
            Cell::new(profile_summary(profile), Tone::Dim),
        ]);
    }
    header.write(
        out,
        Style {
            width: None,
            ..style
        },
    )?;

    // Non-time units name themselves (`total Ir`, `total samples`) so
    // nobody reads instruction counts as seconds.
    let total_label = if unit.is_time() {
        "total time".to_string()
    } else {
        format!("total {unit}")
    };
    let mut summary = format!("{total_label} {}", cost_change(&diff.total_cost, unit));
    summary.push_str(&delta_suffix(&diff.total_cost, unit));
    if diff.total_calls.base.is_some() || diff.total_calls.new.is_some() {
        let delta = match diff.total_calls.delta() {
            Some(delta) => units::count_delta(delta),
            None => "not comparable: a side does not count every function's calls".to_string(),
        };
        summary.push_str(&format!(
            "   calls {} ({delta})",
            count_change(&diff.total_calls),
        ));
    }
    writeln!(out, "{summary}")?;
    let counts = diff.counts;
    writeln!(
        out,
        "functions: {} added, {} removed, {} changed, {} unchanged {}",
        units::grouped(counts.added as i128),
        units::grouped(counts.removed as i128),
        units::grouped(counts.changed as i128),
        units::grouped(counts.unchanged as i128),
        paint(
            &if unit.is_time() {
                format!(
                    "(unchanged: same calls, time within {})",
                    units::cost(diff.cost_threshold, unit)
                )
            } else {
                format!(
                    "(unchanged: same calls, cost within {})",
                    units::cost_with_unit(diff.cost_threshold, unit)
                )
            },
            Tone::Dim,
            style.color
        )
    )?;
    for profile in [report.base, report.new] {
        for note in &profile.meta.notes {
            writeln!(
                out,
                "note: {}: {}",
                escape(&profile.meta.path),
                escape(note)
            )?;
        }
    }
    for note in diff.notes.iter().cloned().chain(super::notes::likely_noise(
        &report.likely_noise,
        &report.hints,
        &|key| key.to_string(),
    )) {
        writeln!(out, "note: {}", escape(&note))?;
    }
    if let Some(note) = report.causes.and_then(|c| c.unavailable.as_deref()) {
        writeln!(out, "note: {}", escape(note))?;
    }
    writeln!(out)?;
    if let Some(causes) = report.causes {
        super::causes::write_text(out, causes, unit, style)?;
    }
    Ok(())
}

/// Caller rows under a function; a pass-through wrapper's callers nest one
/// arrow deeper.
fn push_callers(
    table: &mut Table,
    callers: &[CallerDiff],
    unit: &Unit,
    threshold: f64,
    depth: usize,
) {
    for caller in callers {
        let calls_delta = caller.calls.delta().unwrap_or(0.0);
        table.push(vec![
            Cell::plain(""),
            Cell::new(count_change(&caller.calls), Tone::Dim),
            Cell::new(units::count_delta(calls_delta), tone(calls_delta, 0.0)),
            Cell::plain(""),
            Cell::plain(""),
            Cell::new(cost_change(&caller.inclusive_cost, unit), Tone::Dim),
            cost_delta_cell(&caller.inclusive_cost, unit, threshold),
            Cell::plain(""),
            Cell::new(
                format!("{}← {}", "  ".repeat(depth), caller.display),
                Tone::Dim,
            ),
        ]);
        push_callers(table, &caller.callers, unit, threshold, depth + 1);
    }
}

pub(super) fn function_row(row: &FunctionDiff, unit: &Unit, threshold: f64) -> Vec<Cell> {
    let marker = match row.status {
        Status::Added => Cell::new("+", Tone::Worse),
        Status::Removed => Cell::new("−", Tone::Better),
        _ => Cell::plain(""),
    };
    let calls_delta = row.calls.delta();
    vec![
        marker,
        Cell::plain(calls_change(row)),
        match calls_delta {
            Some(delta) => Cell::new(units::count_delta(delta), tone(delta, 0.0)),
            None => Cell::plain(""),
        },
        Cell::plain(cost_change(&row.self_cost, unit)),
        cost_delta_cell(&row.self_cost, unit, threshold),
        Cell::plain(inclusive_change(row, unit)),
        // Colour by the change that is certain: a difference inside a
        // side's inclusive range is not a change.
        match row.inclusive_cost.delta() {
            Some(delta) => Cell::new(
                units::cost_delta(delta, unit),
                tone(row.certain_inclusive_delta().unwrap_or(0.0), threshold),
            ),
            None => Cell::plain(""),
        },
        match row.inclusive_cost.pct() {
            Some(pct) if row.inclusive_cost.new.is_some() => Cell::new(
                units::pct(pct),
                tone(row.certain_inclusive_delta().unwrap_or(0.0), threshold),
            ),
            _ => Cell::plain(""),
        },
        Cell::plain(row.display.clone()),
    ]
}

fn cost_delta_cell(change: &Change<f64>, unit: &Unit, threshold: f64) -> Cell {
    match change.delta() {
        Some(delta) => Cell::new(units::cost_delta(delta, unit), tone(delta, threshold)),
        None => Cell::plain(""),
    }
}

/// Red for growth beyond the threshold, green for shrinkage, dim for noise.
fn tone(delta: f64, threshold: f64) -> Tone {
    if delta > threshold {
        Tone::Worse
    } else if delta < -threshold {
        Tone::Better
    } else {
        Tone::Dim
    }
}

fn delta_suffix(change: &Change<f64>, unit: &Unit) -> String {
    let delta = units::cost_delta(change.delta().unwrap_or(0.0), unit);
    match change.pct() {
        Some(pct) => format!(" ({delta}, {})", units::pct(pct)),
        None => format!(" ({delta})"),
    }
}

fn profile_summary(profile: &Profile) -> String {
    let meta = &profile.meta;
    let mut parts = vec![match &meta.producer {
        Some(producer) => format!("{} ({producer})", meta.format),
        None => meta.format.to_string(),
    }];
    parts.push(format!(
        "{} functions",
        units::grouped(profile.functions.len() as i128)
    ));
    if let Some(calls) = profile.total_calls() {
        parts.push(format!("{} calls", units::grouped(calls as i128)));
    }
    parts.push(units::cost(profile.total_cost(), &meta.unit));
    parts.join(", ")
}

/// Writes one profile as a pstats-like table, then the Lambda estimate.
pub fn write_show(out: &mut dyn Write, report: &ShowReport<'_>, style: Style) -> io::Result<()> {
    write_show_head(out, report, style)?;
    let profile = report.profile;
    let (headers, aligns) = show_columns(&profile.meta.unit);
    let mut table = headed_table(headers, aligns);
    for row in &report.rows {
        table.push(show_row(profile, row));
    }
    table.write(out, style)?;
    write_more_rows(
        out,
        report.rows.len(),
        report.matching,
        &report.hints,
        style,
    )?;
    if let Some(cost) = report.lambda {
        writeln!(out)?;
        super::lambda::write_estimate_text(out, cost, style)?;
    }
    Ok(())
}

/// Above the single-profile table: the profile, its totals and notes.
pub(super) fn write_show_head(
    out: &mut dyn Write,
    report: &ShowReport<'_>,
    style: Style,
) -> io::Result<()> {
    let profile = report.profile;
    let unit = &profile.meta.unit;
    writeln!(
        out,
        "{}  {}",
        escape(&profile.meta.path),
        paint(&profile_summary(profile), Tone::Dim, style.color)
    )?;
    if let (Some(calls), Some(primitive)) = (profile.total_calls(), profile.total_primitive_calls())
    {
        let primitive = if primitive != calls {
            format!(" ({} primitive calls)", units::grouped(primitive as i128))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} function calls{primitive} in {}",
            units::grouped(calls as i128),
            units::cost(profile.total_cost(), unit)
        )?;
    }
    for note in &profile.meta.notes {
        writeln!(out, "note: {}", escape(note))?;
    }
    writeln!(out)
}

/// The single-profile table's headers (pstats' own) and alignment.
pub(super) fn show_columns(unit: &Unit) -> (Vec<&'static str>, Vec<Align>) {
    let (self_label, incl_label) = if unit.is_time() {
        ("tottime", "cumtime")
    } else {
        ("self", "inclusive")
    };
    let headers = vec![
        "ncalls", self_label, "percall", incl_label, "percall", "function",
    ];
    let mut aligns = vec![Align::Right; 5];
    aligns.push(Align::Left);
    (headers, aligns)
}

/// One pstats-like row of a single profile.
pub(super) fn show_row(profile: &Profile, row: &super::ShowRow) -> Vec<Cell> {
    let unit = &profile.meta.unit;
    let function = &profile.functions[row.id];
    let ncalls = match (function.calls, function.primitive_calls) {
        (Some(c), Some(p)) if c != p => format!("{c}/{p}"),
        (Some(c), _) => c.to_string(),
        (None, _) => ABSENT.to_string(),
    };
    // pstats divides tottime by total calls and cumtime by primitive calls.
    let per_call = |cost: f64, divisor: Option<u64>| match divisor {
        Some(d) if d > 0 => units::cost(cost / d as f64, unit),
        _ => String::new(),
    };
    let inclusive = units::cost(function.inclusive_cost, unit);
    vec![
        Cell::plain(ncalls),
        Cell::plain(units::cost(function.self_cost, unit)),
        Cell::new(per_call(function.self_cost, function.calls), Tone::Dim),
        Cell::plain(match function.inclusive_min {
            Some(_) => format!("≤{inclusive}"),
            None => inclusive,
        }),
        Cell::new(
            per_call(
                function.inclusive_cost,
                function.primitive_calls.or(function.calls),
            ),
            Tone::Dim,
        ),
        Cell::plain(row.display.clone()),
    ]
}
