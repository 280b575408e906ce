//! The causes section that leads the text and Markdown diff reports: the
//! few call-count changes that happened at their origin, what changed at
//! each, and what follows from it.
//!
//! ```text
//! causes: call counts that changed at their origin (5; largest time moved first)
//!     calls      moved  function
//!     3 → 1   −69.7 ms  boto3/__init__.py:96(resource)
//!                         ← handler.py:26→32(load_customer)  1 → —
//!                         hint: a boto3 client or resource created inside the handler …
//!     6 → 1               → botocore/context.py:118(wrapper), botocore/session.py:846(create_client), …
//! ```
//!
//! Text shows the first [`SHOWN`] causes, each with up to [`EDGES_SHOWN`]
//! changed caller edges and [`CONSEQUENCES_SHOWN`] lines of consequences
//! (consequences with the same counts share a line: a decorator's wrapper
//! and the function it wraps change together). JSON carries everything.

use std::io::{self, Write};

use super::cells::{count_change, ARROW};
use super::table::{Align, Cell, Style, Table, Tone};
use super::units;
use crate::causes::{Cause, Causes};
use crate::diff::{Change, Count};
use crate::model::Unit;

/// Causes a text or Markdown report shows.
pub const SHOWN: usize = 5;
/// Changed caller edges shown under a cause.
pub const EDGES_SHOWN: usize = 2;
/// Lines of consequences shown under a cause.
pub const CONSEQUENCES_SHOWN: usize = 3;
/// Names on one line of consequences with the same counts.
const NAMES_PER_LINE: usize = 3;

/// Writes the causes section of a text diff report, followed by a blank
/// line; nothing when there are no causes and nothing to say.
pub fn write_text(
    out: &mut dyn Write,
    causes: &Causes,
    unit: &Unit,
    style: Style,
) -> io::Result<()> {
    if causes.causes.is_empty() {
        // The reason (sampled profiles) is among the notes already.
        return Ok(());
    }
    writeln!(
        out,
        "causes: call counts that changed at their origin ({}; largest time moved first)",
        units::grouped(causes.causes.len() as i128)
    )?;
    let mut table = Table::new(vec![Align::Right, Align::Right, Align::Left]);
    table.push(
        ["calls", "moved", "function"]
            .into_iter()
            .map(|h| Cell::new(h, Tone::Header))
            .collect(),
    );
    for cause in causes.causes.iter().take(SHOWN) {
        table.push(vec![
            Cell::plain(count_change(&cause.calls)),
            Cell::new(units::cost_delta(cause.moved, unit), tone(cause.moved)),
            Cell::plain(cause.display.clone()),
        ]);
        for edge in cause.edges.iter().take(EDGES_SHOWN) {
            table.push(vec![
                Cell::plain(""),
                Cell::plain(""),
                Cell::new(
                    format!("  ← {}  {}", edge.display, sides(&edge.calls)),
                    Tone::Dim,
                ),
            ]);
        }
        if cause.edges.len() > EDGES_SHOWN {
            table.push(vec![
                Cell::plain(""),
                Cell::plain(""),
                Cell::new(
                    format!("  ← … {}", more(cause.edges.len() - EDGES_SHOWN, "caller")),
                    Tone::Dim,
                ),
            ]);
        }
        if let Some(sentence) = effect_sentence(cause, unit) {
            table.push(vec![
                Cell::plain(""),
                Cell::plain(""),
                Cell::new(format!("  {sentence}"), Tone::Dim),
            ]);
        }
        for hint in &cause.hints {
            table.push(vec![
                Cell::plain(""),
                Cell::plain(""),
                Cell::plain(format!("  hint: {}", hint.text)),
            ]);
        }
        let lines = consequence_lines(cause);
        for (calls, names) in lines.iter().take(CONSEQUENCES_SHOWN) {
            table.push(vec![
                Cell::plain(count_change(calls)),
                Cell::plain(""),
                Cell::plain(format!("  → {}", names.join(", "))),
            ]);
        }
        let listed: usize = lines
            .iter()
            .take(CONSEQUENCES_SHOWN)
            .map(|(_, names)| names.len())
            .sum();
        let more = cause.consequence_count.saturating_sub(listed);
        if more > 0 {
            table.push(vec![
                Cell::plain(""),
                Cell::plain(""),
                Cell::new(
                    format!("  → … {} follow from it", more_changes(more)),
                    Tone::Dim,
                ),
            ]);
        }
    }
    table.write(out, style)?;
    if causes.causes.len() > SHOWN {
        writeln!(
            out,
            "… {} (JSON lists every one)",
            more(causes.causes.len() - SHOWN, "cause")
        )?;
    }
    writeln!(out)
}

/// Writes the causes section of a Markdown report: a short list before the
/// table, or nothing.
pub fn write_markdown(
    out: &mut dyn Write,
    causes: &Causes,
    unit: &Unit,
    code: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    if causes.causes.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "**Causes** (call counts that changed at their origin, largest time moved first):"
    )?;
    writeln!(out)?;
    for cause in causes.causes.iter().take(SHOWN) {
        writeln!(
            out,
            "- {} {} ({}): moved {}",
            code(&cause.display),
            count_change(&cause.calls),
            units::count_delta(cause.calls.delta().unwrap_or(0.0)),
            units::cost_delta(cause.moved, unit)
        )?;
        let edges: Vec<String> = cause
            .edges
            .iter()
            .take(EDGES_SHOWN)
            .map(|edge| format!("{} {}", code(&edge.display), sides(&edge.calls)))
            .collect();
        if !edges.is_empty() {
            writeln!(out, "  - callers that changed: {}", edges.join(", "))?;
        }
        if let Some(sentence) = effect_sentence(cause, unit) {
            writeln!(out, "  - {sentence}")?;
        }
        for hint in &cause.hints {
            writeln!(out, "  - hint: {}", hint.text)?;
        }
        let follows: Vec<String> = consequence_lines(cause)
            .iter()
            .take(CONSEQUENCES_SHOWN)
            .map(|(calls, names)| {
                let names: Vec<String> = names.iter().map(|n| code(n)).collect();
                format!("{} {}", names.join(", "), count_change(calls))
            })
            .collect();
        if !follows.is_empty() {
            writeln!(
                out,
                "  - follows from it ({} changes): {}",
                units::grouped(cause.consequence_count as i128),
                follows.join("; ")
            )?;
        }
    }
    if causes.causes.len() > SHOWN {
        writeln!(
            out,
            "- … {} more (JSON lists every one)",
            units::grouped((causes.causes.len() - SHOWN) as i128)
        )?;
    }
    Ok(())
}

/// The consequences shown, grouped by equal counts in order of first
/// appearance (up to [`NAMES_PER_LINE`] names a line, the rest counted by
/// the caller as more changes).
fn consequence_lines(cause: &Cause) -> Vec<(Change<Count>, Vec<String>)> {
    let mut lines: Vec<(Change<Count>, Vec<String>)> = Vec::new();
    for consequence in &cause.consequences {
        match lines
            .iter_mut()
            .find(|(calls, _)| *calls == consequence.calls)
        {
            Some((_, names)) if names.len() < NAMES_PER_LINE => {
                names.push(consequence.display.clone())
            }
            Some(_) => {}
            None => lines.push((consequence.calls, vec![consequence.display.clone()])),
        }
    }
    lines
}

/// "2 fewer calls: −62.9 ms; the 1 left costs 49.0 ms more", from a cause's
/// effect: what the calls added or removed were worth at the base's cost
/// per call, and what the calls kept cost more or less each.
fn effect_sentence(cause: &Cause, unit: &Unit) -> Option<String> {
    let effect = cause.effect?;
    let (base, new) = (cause.calls.base?.0, cause.calls.new?.0);
    let changed = if new < base {
        format!("{} fewer", units::grouped((base - new) as i128))
    } else if new > base {
        format!("{} more", units::grouped((new - base) as i128))
    } else {
        return None;
    };
    let noun = |n: u64| if n == 1 { "call" } else { "calls" };
    let mut sentence = format!(
        "{changed} {}: {}",
        noun(base.abs_diff(new)),
        units::cost_delta(effect.calls, unit)
    );
    let per_call = units::cost_delta(effect.per_call, unit);
    if new > 0 && per_call != "0" {
        let kept = if new < base { "left" } else { "in all" };
        let (amount, which) = if effect.per_call > 0.0 {
            (units::cost(effect.per_call, unit), "more")
        } else {
            (units::cost(-effect.per_call, unit), "less")
        };
        let verb = if new == 1 { "costs" } else { "cost" };
        sentence.push_str(&format!(
            "; the {} {} {kept} {verb} {amount} {which} than before",
            units::grouped(new as i128),
            noun(new)
        ));
    }
    Some(sentence)
}

/// `3 more callers`, `1 more cause`.
fn more(n: usize, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} more {noun}{plural}", units::grouped(n as i128))
}

/// `12 more changes`, `1 more change`.
fn more_changes(n: usize) -> String {
    more(n, "change")
}

/// `1 → —`: an edge's calls on both sides, `—` where it is absent.
fn sides(calls: &Change<Count>) -> String {
    let side = |c: Option<Count>| c.map_or("—".to_string(), |c| units::grouped(c.0 as i128));
    format!("{}{ARROW}{}", side(calls.base), side(calls.new))
}

fn tone(moved: f64) -> Tone {
    if moved > 0.0 {
        Tone::Worse
    } else if moved < 0.0 {
        Tone::Better
    } else {
        Tone::Dim
    }
}
