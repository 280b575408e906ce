//! The terminal rendering of a multi-run comparison, and the words of its
//! notes ([`RunsNote`]), which the JSON document shares.

use std::fmt;
use std::io::{self, Write};

use crate::diff::Status;
use crate::model::Unit;
use crate::stats::{CallRuns, FunctionRuns, MetricRuns, RunsNote, Significance, Spread};

use super::table::{paint, Align, Cell, Style, Table, Tone};
use super::units;
use super::RunsReport;

const ARROW: &str = " → ";
const ABSENT: &str = "—";

/// p-values as people read them: `0.0079`, `0.31`, `<0.0001`.
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        ABSENT.to_string()
    } else if p < 0.0001 {
        "<0.0001".to_string()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.2}")
    }
}

impl fmt::Display for RunsNote {
    /// The note as the reports print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunsNote::TooFewRuns {
                base_runs,
                new_runs,
                min_p,
                level,
            } => write!(
                f,
                "with {base_runs} base and {new_runs} new runs the smallest possible p-value \
                 is {}, not below the level {level}: nothing can be significant; record more \
                 runs (5 per side reach p = 0.008)",
                format_p(*min_p)
            ),
            RunsNote::CoarsePrecision {
                path,
                precision,
                unit,
            } => write!(
                f,
                "{path} records times only to {}; smaller changes cannot be seen",
                units::cost(*precision, unit)
            ),
        }
    }
}

/// Writes the multi-run comparison: a header with the runs and the test, the
/// total, then the report's rows, then the functions whose call counts vary
/// between runs, then the Lambda estimate.
pub fn write(out: &mut dyn Write, report: &RunsReport<'_>, style: Style) -> io::Result<()> {
    let diff = report.diff;
    let unit = &diff.unit;
    for (label, paths, metric) in [
        ("base", &diff.base_paths, diff.total_cost.base_spread),
        ("new", &diff.new_paths, diff.total_cost.new_spread),
    ] {
        let spread = metric.map(|s| spread_text(s, unit)).unwrap_or_default();
        writeln!(
            out,
            "{}  {} runs: {}  {}",
            paint(label, Tone::Header, style.color),
            paths.len(),
            paths_text(paths),
            paint(&format!("total {spread}"), Tone::Dim, style.color)
        )?;
    }
    let total = &diff.total_cost;
    let total_label = if unit.is_time() {
        "total time"
    } else {
        "total cost"
    };
    writeln!(
        out,
        "{total_label} (median) {}{}{} ({}{})   p = {}  {}",
        median_text(total.base_spread, unit),
        ARROW,
        median_text(total.new_spread, unit),
        units::cost_delta(total.delta, unit),
        total
            .pct
            .map(|p| format!(", {}", units::pct(p)))
            .unwrap_or_default(),
        format_p(total.test.p),
        paint(
            total.significance.name(),
            significance_tone(total.significance, total.delta),
            style.color
        )
    )?;
    writeln!(
        out,
        "functions: {} significant, {} added, {} removed, {} changed, {} unchanged; \
         call counts vary between runs: {}",
        units::grouped(diff.significant() as i128),
        units::grouped(diff.count(Status::Added) as i128),
        units::grouped(diff.count(Status::Removed) as i128),
        units::grouped(diff.count(Status::Changed) as i128),
        units::grouped(diff.count(Status::Unchanged) as i128),
        units::grouped(diff.unstable_calls().count() as i128),
    )?;
    writeln!(
        out,
        "{}",
        paint(
            &format!(
                "significant: two-sided Mann–Whitney U p < {} and |Δmedian| ≥ max({}% of base, {})",
                diff.level,
                trim_number(diff.min_effect * 100.0),
                units::cost(diff.min_effect_abs, unit)
            ),
            Tone::Dim,
            style.color
        )
    )?;
    for note in &diff.notes {
        writeln!(out, "note: {}", super::escape::escape(&note.to_string()))?;
    }
    writeln!(out)?;

    let self_label = if unit.is_time() {
        "self (median)"
    } else {
        "self cost (median)"
    };
    let mut table = Table::new(vec![
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Left,
        Align::Left,
    ]);
    table.push(
        [
            "calls",
            self_label,
            "Δself",
            "p",
            "inclusive (median)",
            "Δincl",
            "Δ%",
            "p",
            "verdict",
            "function",
        ]
        .into_iter()
        .map(|h| Cell::new(h, Tone::Header))
        .collect(),
    );
    let shown = report.rows.len();
    for f in &report.rows {
        let significance = f.significance();
        let tone = significance_tone(significance, f.inclusive_cost.delta);
        let metric_tone = |m: &MetricRuns| significance_tone(m.significance, m.delta);
        table.push(vec![
            Cell::plain(calls_text(&f.calls)),
            Cell::plain(change_text(&f.self_cost, unit)),
            Cell::new(
                units::cost_delta(f.self_cost.delta, unit),
                metric_tone(&f.self_cost),
            ),
            Cell::new(format_p(f.self_cost.test.p), Tone::Dim),
            Cell::plain(change_text(&f.inclusive_cost, unit)),
            Cell::new(
                units::cost_delta(f.inclusive_cost.delta, unit),
                metric_tone(&f.inclusive_cost),
            ),
            Cell::plain(f.inclusive_cost.pct.map(units::pct).unwrap_or_default()),
            Cell::new(format_p(f.inclusive_cost.test.p), Tone::Dim),
            Cell::new(significance.name(), tone),
            Cell::plain(f.display.clone()),
        ]);
    }
    table.write(out, style)?;
    if shown < diff.functions.len() {
        writeln!(
            out,
            "{}",
            paint(
                &report.hints.more_rows(diff.functions.len() - shown),
                Tone::Dim,
                style.color
            )
        )?;
    }

    let unstable: Vec<&FunctionRuns> = diff.unstable_calls().collect();
    if !unstable.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "call counts that vary between runs of one side (their times are not comparable run to run):"
        )?;
        const LIMIT: usize = 10;
        for f in unstable.iter().take(LIMIT) {
            let list = |runs: &[Option<u64>]| {
                runs.iter()
                    .map(|c| c.map_or(ABSENT.to_string(), |c| units::grouped(c as i128)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            writeln!(
                out,
                "  base [{}]  new [{}]  {}",
                list(&f.calls.base),
                list(&f.calls.new),
                super::escape::escape(&f.display)
            )?;
        }
        if unstable.len() > LIMIT {
            writeln!(out, "  … {} more", unstable.len() - LIMIT)?;
        }
    }
    if let Some(cost) = report.lambda {
        writeln!(out)?;
        super::lambda::write_text(out, cost, style)?;
    }
    Ok(())
}

/// `5`, `2.5`, `0.1`: no float noise (0.07 × 100 = 7.000000000000001).
fn trim_number(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn significance_tone(significance: Significance, delta: f64) -> Tone {
    match significance {
        Significance::Noise => Tone::Dim,
        Significance::Significant if delta > 0.0 => Tone::Worse,
        Significance::Significant => Tone::Better,
    }
}

fn paths_text(paths: &[String]) -> String {
    match paths {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] => {
            // `runs/before/run1.prof … run5.prof`: the common directory once.
            let last_name = last.rsplit('/').next().unwrap_or(last);
            format!("{first} … {last_name}")
        }
    }
}

fn median_text(spread: Option<Spread>, unit: &Unit) -> String {
    spread.map_or(ABSENT.to_string(), |s| units::cost(s.median, unit))
}

fn spread_text(spread: Spread, unit: &Unit) -> String {
    format!(
        "{} [{}–{}]",
        units::cost(spread.median, unit),
        units::cost(spread.min, unit),
        units::cost(spread.max, unit)
    )
}

fn change_text(metric: &MetricRuns, unit: &Unit) -> String {
    format!(
        "{}{ARROW}{}",
        median_text(metric.base_spread, unit),
        median_text(metric.new_spread, unit)
    )
}

fn calls_text(calls: &CallRuns) -> String {
    let side = |spread: Option<Spread>, varies: bool| match spread {
        None => ABSENT.to_string(),
        Some(s) if varies => format!(
            "{}–{}",
            units::grouped(s.min as i128),
            units::grouped(s.max as i128)
        ),
        Some(s) => units::grouped(s.median.round() as i128),
    };
    let (base, new) = (
        side(calls.base_spread, calls.varies.0),
        side(calls.new_spread, calls.varies.1),
    );
    if base == new && !calls.varies.0 && !calls.varies.1 {
        base
    } else {
        format!("{base}{ARROW}{new}")
    }
}
