//! The Lambda cost estimate ([`crate::lambda`]) for a terminal: the
//! settings, the entry, per-invocation duration and cost, INIT, notes and
//! the caveats. Text and Markdown reports print it after the table (Markdown
//! in a code block); JSON has its own section ([`super::json::lambda_diff`]).

use std::io::{self, Write};

use crate::lambda::{CostDiff, CostEstimate, Entry, EntrySource, InitEstimate, Pricing, CAVEATS};
use crate::model::Unit;

use super::table::{paint, Style, Tone};
use super::units;

/// Dollars with sensible precision: `$1.64`, `$0.208`, `$0.00167`.
pub fn money(value: f64) -> String {
    let magnitude = value.abs();
    let sign = if value < 0.0 { "−" } else { "" };
    let text = if magnitude >= 100.0 {
        format!("{magnitude:.0}")
    } else if magnitude >= 0.995 || magnitude == 0.0 {
        format!("{magnitude:.2}")
    } else {
        // Three significant digits, but no trailing zeros past the cents:
        // `$0.208`, `$0.20`, `$0.0083`.
        let digits = (2 - magnitude.log10().floor() as i32).clamp(2, 12) as usize;
        let text = format!("{magnitude:.digits$}");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let mut fraction = fraction.trim_end_matches('0').to_string();
        while fraction.len() < 2 {
            fraction.push('0');
        }
        format!("{whole}.{fraction}")
    };
    format!("{sign}${text}")
}

fn money_delta(value: f64) -> String {
    if value > 0.0 {
        format!("+{}", money(value))
    } else {
        money(value)
    }
}

fn ms(value: f64) -> String {
    units::seconds(value / 1000.0)
}

fn ms_delta(value: f64) -> String {
    units::cost_delta(value / 1000.0, &Unit::Seconds)
}

fn settings_line(p: &Pricing) -> String {
    format!(
        "AWS Lambda estimate: {} MB {}, ${}/GB-s, {}/1M requests, {} ms billing, local time × {}{}",
        p.memory_mb,
        p.arch.name(),
        p.price_per_gb_second,
        money(p.price_per_request * 1e6),
        p.billing_granularity_ms,
        p.cpu_scale,
        p.cold_start_rate
            .map(|r| format!(", {}% cold starts", r * 100.0))
            .unwrap_or_default()
    )
}

fn entry_text(entry: &Entry) -> String {
    let display = super::escape::escape(&entry.display);
    match entry.source {
        EntrySource::Option => format!("{display} (as asked)"),
        EntrySource::Named => {
            format!("{display} (the only function named handler or lambda_handler)")
        }
        EntrySource::Total => "none: the whole profile is one invocation".to_string(),
        EntrySource::InitOnly => "none: an import-time log measures INIT only".to_string(),
    }
}

/// Writes one profile's estimate.
pub fn write_estimate_text(
    out: &mut dyn Write,
    estimate: &CostEstimate,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        paint(&settings_line(&estimate.pricing), Tone::Header, style.color)
    )?;
    writeln!(out, "entry: {}", entry_text(&estimate.entry))?;
    let mean = if estimate.invocations > 1 {
        format!(" (mean of {} invocations)", estimate.invocations)
    } else {
        String::new()
    };
    writeln!(
        out,
        "per invocation{mean}: {}, billed {}",
        ms(estimate.duration_ms),
        ms(estimate.billed_ms)
    )?;
    writeln!(
        out,
        "cost per 1M invocations: {} ({} requests + {} duration{})",
        money(estimate.cost.total),
        money(estimate.cost.requests),
        money(estimate.cost.duration),
        estimate
            .cost
            .init
            .map(|i| format!(" + {} INIT", money(i)))
            .unwrap_or_default()
    )?;
    if let Some(init) = &estimate.init {
        writeln!(
            out,
            "INIT (per cold start): {} in {}; {} per 1M cold starts",
            ms(init.duration_ms),
            super::escape::escape(&init.module),
            money(init.cost_per_million_cold_starts)
        )?;
    }
    for note in &estimate.notes {
        writeln!(out, "note: {}", super::escape::escape(note))?;
    }
    writeln!(
        out,
        "{}",
        paint(&format!("caveats: {CAVEATS}"), Tone::Dim, style.color)
    )
}

/// Writes the comparison: per-invocation duration and cost base → new, and
/// INIT separately.
pub fn write_text(out: &mut dyn Write, diff: &CostDiff, style: Style) -> io::Result<()> {
    let (base, new) = (&diff.base, &diff.new);
    writeln!(
        out,
        "{}",
        paint(&settings_line(&diff.pricing), Tone::Header, style.color)
    )?;
    if base.entry.display == new.entry.display {
        writeln!(out, "entry: {}", entry_text(&new.entry))?;
    } else if base.entry.key.is_some() && base.entry.key == new.entry.key {
        // The same function at another line: name it by its key once.
        let entry = Entry {
            display: base.entry.key.clone().unwrap_or_default(),
            ..new.entry.clone()
        };
        writeln!(out, "entry: {}", entry_text(&entry))?;
    } else {
        writeln!(
            out,
            "entry: {} → {}",
            entry_text(&base.entry),
            entry_text(&new.entry)
        )?;
    }
    let tone = |delta: f64| {
        if delta > 0.0 {
            Tone::Worse
        } else if delta < 0.0 {
            Tone::Better
        } else {
            Tone::Plain
        }
    };
    let duration_delta = new.duration_ms - base.duration_ms;
    let mean = if base.invocations > 1 || new.invocations > 1 {
        format!(
            " (mean of {} → {} invocations)",
            base.invocations, new.invocations
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "per invocation{mean}: {} → {} ({}); billed {} → {}",
        ms(base.duration_ms),
        ms(new.duration_ms),
        paint(&ms_delta(duration_delta), tone(duration_delta), style.color),
        ms(base.billed_ms),
        ms(new.billed_ms)
    )?;
    let delta = diff.delta_per_million();
    let saving = if delta < 0.0 {
        format!("saves {} per 1M invocations", money(-delta))
    } else if delta > 0.0 {
        format!("costs {} more per 1M invocations", money(delta))
    } else {
        "no change per 1M invocations".to_string()
    };
    writeln!(
        out,
        "cost per 1M invocations: {} → {} ({}{}): {}",
        money(base.cost.total),
        money(new.cost.total),
        paint(&money_delta(delta), tone(delta), style.color),
        diff.pct()
            .map(|p| format!(", {}", units::pct(p)))
            .unwrap_or_default(),
        saving
    )?;
    match (&base.init, &new.init) {
        (Some(b), Some(n)) => {
            let d = n.duration_ms - b.duration_ms;
            let why = if d > 0.0 {
                ": module-level work, e.g. clients created at import"
            } else {
                ""
            };
            writeln!(
                out,
                "INIT (per cold start): {} → {} ({}{why}); {} → {} per 1M cold starts",
                ms(b.duration_ms),
                ms(n.duration_ms),
                paint(&ms_delta(d), tone(d), style.color),
                money(b.cost_per_million_cold_starts),
                money(n.cost_per_million_cold_starts)
            )?;
        }
        (b, n) => {
            let side = |i: &Option<InitEstimate>| {
                i.as_ref().map_or("—".to_string(), |i| ms(i.duration_ms))
            };
            writeln!(out, "INIT (per cold start): {} → {}", side(b), side(n))?;
        }
    }
    for (label, estimate) in [("base", base), ("new", new)] {
        for note in &estimate.notes {
            writeln!(out, "note: {label}: {}", super::escape::escape(note))?;
        }
    }
    writeln!(
        out,
        "{}",
        paint(&format!("caveats: {CAVEATS}"), Tone::Dim, style.color)
    )
}
