//! The report of a failed snapshot check ([`crate::snapshot::check`]): what
//! failed, and a unified diff from the expected to the actual text.

use std::fmt;
use std::io::{self, Write};

use similar::TextDiff;

use super::escape::escape;

use crate::snapshot::{CheckOutcome, GroupViolation};

use super::notes;
use super::table::{paint, Style, Tone};

/// A unified diff from the outcome's expected to its actual text, `-` lines
/// red and `+` lines green when `color` is on. Empty when the texts are
/// equal.
pub fn unified_diff(
    outcome: &CheckOutcome,
    expected_name: &str,
    actual_name: &str,
    color: bool,
) -> String {
    let diff = TextDiff::from_lines(&outcome.expected, &outcome.actual);
    let plain = diff
        .unified_diff()
        .header(expected_name, actual_name)
        .to_string();
    if !color {
        return plain;
    }
    let mut out = String::with_capacity(plain.len() + 64);
    for line in plain.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let tone = if body.starts_with("+++") || body.starts_with("---") {
            Tone::Header
        } else if body.starts_with('+') {
            Tone::Better
        } else if body.starts_with('-') {
            Tone::Worse
        } else if body.starts_with("@@") {
            Tone::Dim
        } else {
            Tone::Plain
        };
        out.push_str(&paint(body, tone, true));
        out.push_str(newline);
    }
    out
}

/// Writes what failed and the diff, for a terminal (`path` names the
/// snapshot). Writes nothing when the outcome is ok.
pub fn write_report(
    out: &mut dyn Write,
    outcome: &CheckOutcome,
    path: &str,
    style: Style,
) -> io::Result<()> {
    if outcome.is_ok() {
        return Ok(());
    }
    writeln!(
        out,
        "{} {path} does not match the profile",
        paint("snapshot mismatch:", Tone::Worse, style.color)
    )?;
    for problem in &outcome.header {
        writeln!(out, "  {path}: header: {problem}")?;
    }
    // Bounds on functions and on groups, in file order.
    let mut failed: Vec<(usize, String)> = outcome
        .violations
        .iter()
        .map(|v| {
            let text = format!(
                "{}: expected {}, actual {}",
                escape(&v.key),
                v.bound,
                v.actual
            );
            (v.line, text)
        })
        .chain(
            outcome
                .group_violations
                .iter()
                .map(|v| (v.line, escape(&group_violation_text(v)).into_owned())),
        )
        .collect();
    failed.sort_by_key(|(line, _)| *line);
    for (line, text) in failed {
        writeln!(out, "  {path}:{line}: {text}")?;
    }
    for v in &outcome.vanished {
        writeln!(
            out,
            "  {path}:{}: {}: not in the profile any more",
            v.line,
            escape(&v.key)
        )?;
    }
    for key in &outcome.appeared {
        writeln!(out, "  {}: new function, not in the snapshot", escape(key))?;
    }
    let calls: Vec<&str> = outcome
        .violations
        .iter()
        .filter(|v| v.likely_noise.is_some())
        .map(|v| v.key.as_str())
        .collect();
    let remedy = "give a tolerance (calls ≈ N ±T)";
    if let Some(note) = notes::violations(&calls, remedy, &|key| key.to_string()) {
        writeln!(out, "  note: {}", escape(&note))?;
    }
    writeln!(out)?;
    let diff = unified_diff(outcome, path, &format!("{path} (actual)"), style.color);
    out.write_all(diff.as_bytes())
}

/// `group clients: expected calls <= 3, actual 11 (botocore/session.py:create_client 6,
/// boto3/__init__.py:resource 3, boto3/__init__.py:client 2)`: the group, the bound, the
/// sum, and the members that make it up, largest first (the first 10, then
/// `… N more`).
pub fn group_violation_text(violation: &GroupViolation) -> String {
    let members: Vec<String> = violation
        .members
        .iter()
        .map(|m| format!("{} {}", m.key, m.value))
        .collect();
    let members = if members.is_empty() {
        "no function matches".to_string()
    } else {
        notes::members(&members)
    };
    format!(
        "group {}: expected {}, actual {} ({members})",
        violation.name, violation.bound, violation.actual
    )
}

impl fmt::Display for CheckOutcome {
    /// The plain report ([`write_report`]), or `snapshot ok`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return f.write_str("snapshot ok");
        }
        let mut buffer = Vec::new();
        write_report(&mut buffer, self, "snapshot", Style::default()).map_err(|_| fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&buffer))
    }
}
