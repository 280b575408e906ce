//! The regression gate's verdict ([`crate::gate`]) in words: the summary and
//! table of violated rules for a terminal (the CLI prints it on stderr, so
//! it reaches the CI log even when stdout is JSON or Markdown headed for a
//! file), and the pieces the Markdown report shares with it.

use std::io::{self, Write};

use crate::gate::{GateVerdict, Violation};
use crate::model::Unit;

use super::notes;
use super::table::{paint, Align, Cell, Style, Table, Tone};
use super::units;
use super::Hints;

/// Writes the verdict for a terminal: one line saying whether the gate
/// passed, then one row per violation (rule, base → new, limit, excess,
/// function), then a note when violated counts likely follow the hash seed.
pub fn write_text(
    out: &mut dyn Write,
    verdict: &GateVerdict,
    hints: &Hints,
    style: Style,
) -> io::Result<()> {
    if !verdict.regressed {
        return writeln!(
            out,
            "{} {}",
            paint("no regression:", Tone::Better, style.color),
            scope_summary(verdict)
        );
    }
    let count = verdict.violations.len();
    writeln!(
        out,
        "{} {count} rule{} violated ({})",
        paint("regression:", Tone::Worse, style.color),
        if count == 1 { "" } else { "s" },
        scope_summary(verdict)
    )?;
    let mut table = Table::new(vec![
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Left,
    ]);
    table.push(
        ["  rule", "base → new", "limit", "excess", "function"]
            .into_iter()
            .map(|h| Cell::new(h, Tone::Header))
            .collect(),
    );
    for violation in &verdict.violations {
        let (base, new, limit) = violation_numbers(violation, &verdict.unit);
        table.push(vec![
            Cell::plain(format!("  {}", violation.rule.name())),
            Cell::plain(format!("{base} → {new}")),
            Cell::new(limit, Tone::Dim),
            Cell::new(excess(violation, &verdict.unit), Tone::Worse),
            Cell::plain(subject(violation, &|key| key.to_string())),
        ]);
    }
    table.write(out, style)?;
    if let Some(note) = hash_seed_note(verdict, hints, &|key| key.to_string()) {
        writeln!(
            out,
            "{}",
            paint(
                &format!("note: {}", super::escape::escape(&note)),
                Tone::Dim,
                style.color
            )
        )?;
    }
    Ok(())
}

/// A note when violated call rules are on functions whose counts follow
/// `PYTHONHASHSEED` ([`Violation::likely_noise`]): they still fail, since
/// only the user can say how much such noise to accept, but the note says
/// what is likely going on and how to state a tolerance. `None` when no
/// such function failed. `name` writes each key (as is, or as a Markdown
/// code span).
pub(crate) fn hash_seed_note(
    verdict: &GateVerdict,
    hints: &Hints,
    name: &dyn Fn(&str) -> String,
) -> Option<String> {
    let keys: Vec<&str> = verdict
        .violations
        .iter()
        .filter(|v| v.likely_noise.is_some())
        .map(|v| v.key.as_str())
        .collect();
    let remedy = format!(
        "allow for it with {}",
        hints.calls_tolerance.unwrap_or("a calls tolerance")
    );
    notes::violations(&keys, &remedy, name)
}

/// What a violation is about, for the last column: the function's label,
/// or for a group rule `group clients: botocore/session.py:create_client
/// 1 → 6, boto3/__init__.py:client — → 2` (members with their calls base →
/// new, most new calls first; the first 10, then `… N more`). `name`
/// writes each name (as is, or as a Markdown code span).
pub(crate) fn subject(violation: &Violation, name: &dyn Fn(&str) -> String) -> String {
    let Some(group) = &violation.group else {
        return name(&violation.display);
    };
    let side =
        |calls: Option<u64>| calls.map_or_else(|| "—".to_string(), |c| units::grouped(c as i128));
    let members: Vec<String> = group
        .members
        .iter()
        .map(|m| format!("{} {} → {}", name(&m.key), side(m.base), side(m.new)))
        .collect();
    format!("group {}: {}", name(&group.name), notes::members(&members))
}

/// "checked 2,881 functions and the totals" and the like (with group rules,
/// "checked 2,881 functions, the totals and 1 group"), followed by the
/// calls allowance when one was given ("; calls may grow by 2% of the base").
pub(crate) fn scope_summary(verdict: &GateVerdict) -> String {
    let functions = format!(
        "{} function{}",
        units::grouped(verdict.functions_checked as i128),
        if verdict.functions_checked == 1 {
            ""
        } else {
            "s"
        }
    );
    let groups = (verdict.groups_checked > 0).then(|| {
        format!(
            "{} group{}",
            units::grouped(verdict.groups_checked as i128),
            if verdict.groups_checked == 1 { "" } else { "s" }
        )
    });
    let scope = match (verdict.totals_checked, groups) {
        (true, None) => format!("checked {functions} and the totals"),
        (false, None) => format!("checked {functions} matching the filters"),
        (true, Some(groups)) => format!("checked {functions}, the totals and {groups}"),
        (false, Some(groups)) => {
            format!("checked {functions} matching the filters and {groups}")
        }
    };
    match calls_allowance(verdict.max_calls_increase, verdict.max_calls_increase_pct) {
        Some(allowance) => format!("{scope}; calls may grow by {allowance}"),
        None => scope,
    }
}

/// The calls allowance in words: `2% of the base`, `5 calls`, `the larger
/// of 5 calls and 2% of the base`; `None` when no tolerance was given.
fn calls_allowance(absolute: u64, percent: Option<f64>) -> Option<String> {
    let absolute = (absolute > 0).then(|| {
        format!(
            "{} call{}",
            units::grouped(absolute as i128),
            if absolute == 1 { "" } else { "s" }
        )
    });
    let percent = percent
        .filter(|pct| *pct > 0.0)
        .map(|pct| format!("{pct}% of the base"));
    match (absolute, percent) {
        (Some(absolute), Some(percent)) => Some(format!("the larger of {absolute} and {percent}")),
        (absolute, percent) => absolute.or(percent),
    }
}

/// A violation's base, new and limit in human units (`—` for an absent base).
pub(crate) fn violation_numbers(violation: &Violation, unit: &Unit) -> (String, String, String) {
    let format = |value: f64| {
        if violation.rule.is_calls() {
            units::grouped(value.round() as i128)
        } else {
            units::cost(value, unit)
        }
    };
    (
        violation.base.map_or_else(|| "—".to_string(), format),
        format(violation.new),
        format(violation.limit),
    )
}

/// How far over the limit: `+5`, `+12.3 ms`.
pub(crate) fn excess(violation: &Violation, unit: &Unit) -> String {
    let over = violation.new - violation.limit;
    if violation.rule.is_calls() {
        units::count_delta(over)
    } else {
        units::cost_delta(over, unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_allowance_in_words() {
        assert_eq!(calls_allowance(0, None), None);
        assert_eq!(calls_allowance(0, Some(0.0)), None);
        assert_eq!(calls_allowance(1, None).as_deref(), Some("1 call"));
        assert_eq!(
            calls_allowance(0, Some(2.5)).as_deref(),
            Some("2.5% of the base")
        );
        assert_eq!(
            calls_allowance(1000, Some(2.0)).as_deref(),
            Some("the larger of 1,000 calls and 2% of the base")
        );
    }
}
