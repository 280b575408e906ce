//! Markdown: a compact diff report for pull-request comments and
//! `$GITHUB_STEP_SUMMARY`.
//!
//! A reviewer reads it in a browser, not a terminal, so it is shaped for that:
//! the verdict first (one line, ✅ or ❌ with plain words), then a small
//! summary table, the violated rules, the top changes, and each change's
//! caller breakdown folded into `<details>` so the comment stays short.
//!
//! Names are always written as code spans: Python names such as `<module>`,
//! `__init__` or `{built-in method len}` would otherwise be read as HTML or
//! emphasis. `|` is escaped (a table cell ends at a bare pipe, even inside a
//! code span) and a name containing backticks gets a longer fence. Inside
//! `<summary>` (HTML, where Markdown is not interpreted) names are
//! HTML-escaped instead.

use std::io::{self, Write};

use super::cells::{
    calls_change, cost_change, cost_delta, count_change, inclusive_change, side_cost, side_count,
    ARROW,
};
use super::gate;
use super::table::Style;
use super::units;
use super::DiffReport;
use super::Hints;
use crate::diff::{CallerDiff, Change, FunctionDiff, Status};
use crate::gate::{GateVerdict, TOTAL_KEY};
use crate::model::{Profile, Unit};

/// Writes the report. The verdict comes from [`DiffReport::verdict`]; without
/// one the headline is the total time change. A Lambda estimate
/// ([`DiffReport::lambda`]) follows the changes as a code block.
pub fn write_diff(out: &mut dyn Write, report: &DiffReport<'_>) -> io::Result<()> {
    let diff = report.diff;
    let unit = &diff.unit;
    writeln!(
        out,
        "### profdiff: {}{ARROW}{}",
        code(&report.base.meta.path),
        code(&report.new.meta.path)
    )?;
    writeln!(out)?;
    match report.verdict {
        Some(verdict) => writeln!(out, "{}", verdict_line(verdict))?,
        None => writeln!(
            out,
            "{} {}",
            total_label(unit),
            change_with_delta(&diff.total_cost, unit)
        )?,
    }
    writeln!(out)?;

    writeln!(out, "| | base | new | change |")?;
    writeln!(out, "|:--|--:|--:|--:|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} |",
        total_label(unit),
        side_cost(diff.total_cost.base, unit),
        side_cost(diff.total_cost.new, unit),
        delta_and_pct(
            diff.total_cost.delta().map(|d| units::cost_delta(d, unit)),
            diff.total_cost.pct()
        )
    )?;
    if diff.total_calls.base.is_some() || diff.total_calls.new.is_some() {
        writeln!(
            out,
            "| calls | {} | {} | {} |",
            side_count(diff.total_calls.base),
            side_count(diff.total_calls.new),
            delta_and_pct(
                diff.total_calls.delta().map(units::count_delta),
                diff.total_calls.pct()
            )
        )?;
    }
    let counts = diff.counts;
    writeln!(
        out,
        "| functions | {} | {} | {} added, {} removed, {} changed, {} unchanged |",
        units::grouped(report.base.functions.len() as i128),
        units::grouped(report.new.functions.len() as i128),
        units::grouped(counts.added as i128),
        units::grouped(counts.removed as i128),
        units::grouped(counts.changed as i128),
        units::grouped(counts.unchanged as i128),
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "<sub>base: {}; new: {}; unchanged means same calls and time within {}.</sub>",
        profile_summary(report.base),
        profile_summary(report.new),
        units::cost(diff.cost_threshold, unit)
    )?;
    for profile in [report.base, report.new] {
        for note in &profile.meta.notes {
            writeln!(out)?;
            writeln!(
                out,
                "> **Note** ({}): {}",
                code(&profile.meta.path),
                escape_text(note)
            )?;
        }
    }
    for note in &diff.notes {
        writeln!(out)?;
        writeln!(out, "> **Note**: {}", escape_text(note))?;
    }
    if let Some(note) = super::notes::likely_noise(&report.likely_noise, &report.hints, &code) {
        writeln!(out)?;
        writeln!(out, "> **Note**: {note}")?;
    }
    if let Some(note) = report.causes.and_then(|c| c.unavailable.as_deref()) {
        writeln!(out)?;
        writeln!(out, "> **Note**: {}", escape_text(note))?;
    }
    if let Some(causes) = report.causes {
        super::causes::write_markdown(out, causes, unit, &code)?;
    }

    if let Some(verdict) = report.verdict.filter(|v| v.regressed) {
        writeln!(out)?;
        write_violations(out, verdict, &report.hints)?;
    }

    writeln!(out)?;
    write_changes(out, report)?;
    if let Some(cost) = report.lambda {
        // The estimate's text as it reads in a terminal, in a code block.
        writeln!(out, "\n```")?;
        super::lambda::write_text(out, cost, Style::default())?;
        writeln!(out, "```")?;
    }
    Ok(())
}

/// `**❌ Regression**: 2 rules violated (checked …)` or `**✅ No regression** (…)`.
pub fn verdict_line(verdict: &GateVerdict) -> String {
    if verdict.regressed {
        let count = verdict.violations.len();
        format!(
            "**❌ Regression**: {count} rule{} violated ({}).",
            if count == 1 { "" } else { "s" },
            gate::scope_summary(verdict)
        )
    } else {
        format!("**✅ No regression** ({}).", gate::scope_summary(verdict))
    }
}

fn write_violations(out: &mut dyn Write, verdict: &GateVerdict, hints: &Hints) -> io::Result<()> {
    writeln!(out, "#### Violations")?;
    writeln!(out)?;
    writeln!(out, "| rule | base | new | limit | excess | function |")?;
    writeln!(out, "|:--|--:|--:|--:|--:|:--|")?;
    for violation in &verdict.violations {
        let (base, new, limit) = gate::violation_numbers(violation, &verdict.unit);
        let function = if violation.key == TOTAL_KEY {
            "whole profile".to_string()
        } else {
            gate::subject(violation, &code)
        };
        writeln!(
            out,
            "| {} | {base} | {new} | {limit} | {} | {function} |",
            code(violation.rule.name()),
            gate::excess(violation, &verdict.unit)
        )?;
    }
    if let Some(note) = gate::hash_seed_note(verdict, hints, &code) {
        writeln!(out)?;
        writeln!(out, "> **Note**: {note}")?;
    }
    Ok(())
}

fn write_changes(out: &mut dyn Write, report: &DiffReport<'_>) -> io::Result<()> {
    let unit = &report.diff.unit;
    if report.rows.is_empty() {
        return writeln!(out, "No function matched the filters.");
    }
    let shown = if report.rows.len() < report.matching {
        format!(
            " ({} of {})",
            units::grouped(report.rows.len() as i128),
            units::grouped(report.matching as i128)
        )
    } else {
        String::new()
    };
    writeln!(out, "#### Top changes{shown}")?;
    writeln!(out)?;
    let (self_label, incl_label) = if unit.is_time() {
        ("self", "inclusive")
    } else {
        ("self cost", "inclusive cost")
    };
    writeln!(
        out,
        "| | calls | Δcalls | {self_label} | Δself | {incl_label} | Δincl | Δ% | function |"
    )?;
    writeln!(out, "|:--|--:|--:|--:|--:|--:|--:|--:|:--|")?;
    for row in &report.rows {
        let status = match row.status {
            Status::Added => "added",
            Status::Removed => "removed",
            _ => "",
        };
        let pct = match row.inclusive_cost.pct() {
            Some(pct) if row.inclusive_cost.new.is_some() => units::pct(pct),
            _ => String::new(),
        };
        writeln!(
            out,
            "| {status} | {} | {} | {} | {} | {} | {} | {pct} | {} |",
            calls_change(row),
            row.calls
                .delta()
                .map(units::count_delta)
                .unwrap_or_default(),
            cost_change(&row.self_cost, unit),
            cost_delta(&row.self_cost, unit),
            inclusive_change(row, unit),
            cost_delta(&row.inclusive_cost, unit),
            code(&row.display),
        )?;
    }
    let with_callers: Vec<&&FunctionDiff> = report
        .rows
        .iter()
        .filter(|r| !r.callers.is_empty())
        .collect();
    if !with_callers.is_empty() {
        writeln!(out)?;
    }
    for row in with_callers {
        writeln!(
            out,
            "<details><summary>Callers of <code>{}</code></summary>",
            escape_html(&row.display)
        )?;
        writeln!(out)?;
        writeln!(out, "| calls | Δcalls | {incl_label} | Δincl | caller |")?;
        writeln!(out, "|--:|--:|--:|--:|:--|")?;
        write_callers(out, &row.callers, unit, 0)?;
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }
    Ok(())
}

/// Caller rows; the callers of a pass-through wrapper follow it, indented
/// with `↳` one step per level.
fn write_callers(
    out: &mut dyn Write,
    callers: &[CallerDiff],
    unit: &Unit,
    depth: usize,
) -> io::Result<()> {
    for caller in callers {
        let indent = if depth == 0 {
            String::new()
        } else {
            format!("{}↳ ", "&nbsp;&nbsp;".repeat(depth - 1))
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {indent}{} |",
            count_change(&caller.calls),
            caller
                .calls
                .delta()
                .map(units::count_delta)
                .unwrap_or_default(),
            cost_change(&caller.inclusive_cost, unit),
            cost_delta(&caller.inclusive_cost, unit),
            code(&caller.display)
        )?;
        write_callers(out, &caller.callers, unit, depth + 1)?;
    }
    Ok(())
}

fn total_label(unit: &Unit) -> String {
    if unit.is_time() {
        "total time".to_string()
    } else {
        format!("total cost ({})", escape_text(unit.name()))
    }
}

fn profile_summary(profile: &Profile) -> String {
    let meta = &profile.meta;
    match &meta.producer {
        Some(producer) => format!(
            "{} ({})",
            escape_text(meta.format.name()),
            escape_text(producer)
        ),
        None => escape_text(meta.format.name()),
    }
}

/// `317 ms → 236 ms (−81.6 ms, −26%)`.
fn change_with_delta(change: &Change<f64>, unit: &Unit) -> String {
    format!(
        "{}{ARROW}{} ({})",
        side_cost(change.base, unit),
        side_cost(change.new, unit),
        delta_and_pct(
            change.delta().map(|d| units::cost_delta(d, unit)),
            change.pct()
        )
    )
}

fn delta_and_pct(delta: Option<String>, pct: Option<f64>) -> String {
    match (delta, pct) {
        (Some(delta), Some(pct)) => format!("{delta}, {}", units::pct(pct)),
        (Some(delta), None) => delta,
        (None, _) => String::new(),
    }
}

/// A code span safe inside a table cell: the fence is one backtick longer
/// than the longest run inside, padded when the text starts or ends with a
/// backtick, and `|` is escaped.
pub fn code(text: &str) -> String {
    let text = &*super::escape::escape(text);
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let body = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Plain text in a table cell or paragraph: Markdown punctuation and HTML
/// metacharacters are backslash-escaped so they show as written.
/// Text safe in a Markdown table cell or paragraph (the suite's too).
pub(super) fn text(text: &str) -> String {
    escape_text(text)
}

fn escape_text(text: &str) -> String {
    let text = super::escape::escape(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text inside HTML (`<summary>`), where Markdown is not interpreted.
/// Text inside an HTML element of the Markdown (a `<summary>`), where
/// Markdown escapes would show.
pub(super) fn html_text(text: &str) -> String {
    escape_html(text)
}

fn escape_html(text: &str) -> String {
    super::escape::escape(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_pipes_and_backticks() {
        assert_eq!(code("a.py:f"), "`a.py:f`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`edge"), "`` `edge ``");
        assert_eq!(code("a``b"), "```a``b```");
    }

    #[test]
    fn html_and_text_escapes() {
        assert_eq!(
            escape_html("<module> & \"x\""),
            "&lt;module&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(escape_text("a_b|<c>"), "a\\_b\\|\\<c\\>");
    }
}
