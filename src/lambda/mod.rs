//! What a change costs on AWS Lambda: per-invocation duration, INIT, and
//! dollars per million invocations.
//!
//! A profile of a Lambda-style program (a local runner that imports the
//! handler module and calls the handler, like `fixtures/seed/*/main.py`)
//! holds two different bills:
//!
//! * **Duration**, paid on every invocation: the inclusive time of the entry
//!   function, by default the one function named `handler` or
//!   `lambda_handler` ([`EntrySource`] says which was used; with none or
//!   several the profile total is used and a note says so).
//! * **INIT**, paid once per cold start (billed since 2025-08-01): the
//!   module-level code of the handler's module, i.e. the inclusive time of
//!   `<module>` of the *file that defines the entry*. That is exactly what the
//!   Lambda runtime does before the first invocation: it imports the handler
//!   module, which runs its imports (boto3, …) and any clients created at
//!   module scope.
//!
//! The estimate is three steps, one file each: `measure.rs` finds the entry
//! and INIT in the call graph and times them; `pricing.rs` validates the
//! rates and turns billed milliseconds into dollars; this module combines
//! them over one profile or several runs. Turning an estimate into text or
//! JSON is [`crate::render`]'s job.
//!
//! Prices default to us-east-1 on-demand tier 1 (x86_64 $0.0000166667,
//! arm64 $0.0000133334 per GB-s; $0.20 per 1M requests); every rate can be
//! overridden. The estimate is an order of magnitude: see [`CAVEATS`].
//! `docs/lambda.md` in the repository gives the formula, the defaults and
//! their source, and the caveats in full.

use std::io::{self, Write};

use crate::align::AlignOptions;
use crate::error::{Error, Result};
use crate::model::Profile;
use crate::render::table::{paint, Style, Tone};
use crate::render::units;
use crate::wire;

mod measure;
mod pricing;

pub use measure::{Entry, EntrySource};
pub use pricing::{Arch, Money, Pricing, PRICE_PER_REQUEST};

use measure::{measure, Measured};

/// What every estimate leaves out, in one line (the caveats of
/// `docs/lambda.md`).
pub const CAVEATS: &str = "order of magnitude only: local CPU is not Lambda's (below 1,769 MB \
a fraction of a vCPU: set a CPU scale), cProfile inflates call-heavy code, local I/O is not \
in-region latency, INIT is paid per cold start, no tiers, free tier or Savings Plans";

/// Pricing and measurement knobs. Every field documents its default.
#[derive(Debug, Clone)]
pub struct CostOptions {
    /// Configured memory, 128..=10240 MB. Default 128 (Lambda's default).
    pub memory_mb: u32,
    /// Default x86_64.
    pub arch: Arch,
    /// 1 (since December 2020) or 100. Default 1.
    pub billing_granularity_ms: u32,
    /// Default: the architecture's tier-1 price.
    pub price_per_gb_second: Option<f64>,
    /// Default $0.20 per 1M.
    pub price_per_request: f64,
    /// Lambda time = local time × this. Default 1.0.
    pub cpu_scale: f64,
    /// The entry function: an alignment key (`handler.py:handler`) or a regex
    /// matched against keys and displayed names. Default: the one function
    /// named `handler` or `lambda_handler`, else the profile total.
    pub entry: Option<String>,
    /// Share of invocations that are cold starts (e.g. 0.01); when set, the
    /// per-invocation cost includes that share of INIT. Default none.
    pub cold_start_rate: Option<f64>,
    /// Path normalisation for keys. Default: none beyond the usual.
    pub align: AlignOptions,
}

impl Default for CostOptions {
    fn default() -> Self {
        CostOptions {
            memory_mb: 128,
            arch: Arch::X86_64,
            billing_granularity_ms: 1,
            price_per_gb_second: None,
            price_per_request: PRICE_PER_REQUEST,
            cpu_scale: 1.0,
            entry: None,
            cold_start_rate: None,
            align: AlignOptions::default(),
        }
    }
}

/// Module-level work of the handler's module.
#[derive(Debug, Clone, PartialEq)]
pub struct InitEstimate {
    /// The `<module>` measured (`handler.py:1(<module>)`).
    pub module: String,
    /// Mean local seconds per cold start.
    pub local_seconds: f64,
    /// Mean Lambda duration (local × CPU scale), ms.
    pub duration_ms: f64,
    /// Mean billed duration, ms (each run rounded up, then averaged).
    pub billed_ms: f64,
    /// Duration charge of one million cold starts.
    pub cost_per_million_cold_starts: f64,
}

/// The estimate for one profile (or one side's runs).
#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// The rates used.
    pub pricing: Pricing,
    /// The function timed as one invocation (of the first run).
    pub entry: Entry,
    /// Invocations measured: the entry's calls summed over the runs.
    pub invocations: u64,
    /// Mean local seconds per invocation.
    pub local_seconds: f64,
    /// Mean Lambda duration (local × CPU scale), ms.
    pub duration_ms: f64,
    /// Mean billed duration, ms.
    pub billed_ms: f64,
    /// INIT, when the handler's module-level code is in the profile.
    pub init: Option<InitEstimate>,
    /// What a million invocations cost.
    pub cost: Money,
    /// What the reader should know about the measurement, as sentences.
    pub notes: Vec<String>,
}

/// Base and new estimates with the same pricing.
#[derive(Debug, Clone, PartialEq)]
pub struct CostDiff {
    /// The rates both sides were priced with.
    pub pricing: Pricing,
    /// The estimate of the base profile (or runs).
    pub base: CostEstimate,
    /// The estimate of the new profile (or runs).
    pub new: CostEstimate,
}

impl CostDiff {
    /// new − base, USD per one million invocations.
    pub fn delta_per_million(&self) -> f64 {
        self.new.cost.total - self.base.cost.total
    }

    /// Relative change of the total per 1M in percent.
    pub fn pct(&self) -> Option<f64> {
        let base = self.base.cost.total;
        (base != 0.0).then(|| self.delta_per_million() / base * 100.0)
    }

    /// INIT new − base in ms, when both sides have one.
    pub fn init_delta_ms(&self) -> Option<f64> {
        Some(self.new.init.as_ref()?.duration_ms - self.base.init.as_ref()?.duration_ms)
    }
}

/// Estimates the cost of the invocation(s) in one profile.
pub fn estimate(profile: &Profile, options: &CostOptions) -> Result<CostEstimate> {
    estimate_runs(std::slice::from_ref(profile), options)
}

/// Estimates from several runs of the same code: each run's invocation is
/// billed on its own (rounded up), then the bills are averaged.
pub fn estimate_runs(runs: &[Profile], options: &CostOptions) -> Result<CostEstimate> {
    let pricing = options.pricing()?;
    if runs.is_empty() {
        return Err(Error::Usage(
            "a Lambda estimate needs at least one profile".into(),
        ));
    }
    let measured: Vec<Measured> = runs
        .iter()
        .map(|run| measure(run, options))
        .collect::<Result<_>>()?;
    let entry = measured[0].entry.clone();
    let mut notes: Vec<String> = measured[0].notes.clone();
    if measured.iter().any(|m| m.entry.key != entry.key) {
        notes.push("the entry function differs between runs".to_string());
    }

    // Each run contributes `invocations` invocations of its mean duration.
    let mut invocations = 0u64;
    let (mut local_sum, mut billed_sum) = (0.0, 0.0);
    for m in &measured {
        let duration_ms = m.local_seconds * 1000.0 * pricing.cpu_scale;
        let weight = m.invocations as f64;
        invocations = invocations.saturating_add(m.invocations);
        local_sum += m.local_seconds * weight;
        billed_sum += pricing.billed_ms(duration_ms) * weight;
    }
    let weight = invocations.max(1) as f64;
    let local_seconds = local_sum / weight;
    let billed_ms = billed_sum / weight;
    if measured.iter().any(|m| m.invocations > 1) {
        notes.push(format!(
            "{} called {} times: billed duration is rounded from the mean invocation",
            entry.display, measured[0].invocations
        ));
    }

    let init = if measured.iter().all(|m| m.init.is_some()) {
        let module = measured[0]
            .init
            .as_ref()
            .map(|(module, _)| module.clone())
            .unwrap_or_default();
        let runs = measured.len() as f64;
        let local: f64 = measured
            .iter()
            .filter_map(|m| m.init.as_ref().map(|i| i.1))
            .sum::<f64>()
            / runs;
        let billed: f64 = measured
            .iter()
            .filter_map(|m| m.init.as_ref())
            .map(|i| pricing.billed_ms(i.1 * 1000.0 * pricing.cpu_scale))
            .sum::<f64>()
            / runs;
        Some(InitEstimate {
            module,
            local_seconds: local,
            duration_ms: local * 1000.0 * pricing.cpu_scale,
            billed_ms: billed,
            cost_per_million_cold_starts: pricing.duration_cost_per_million(billed),
        })
    } else {
        None
    };

    let requests = pricing.requests_per_million();
    let duration = pricing.duration_cost_per_million(billed_ms);
    let init_share = match (pricing.cold_start_rate, &init) {
        (Some(rate), Some(init)) => Some(rate * init.cost_per_million_cold_starts),
        _ => None,
    };
    if pricing.cold_start_rate.is_some() && init.is_none() {
        notes.push("a cold-start rate was given but the profile has no INIT to apply it to".into());
    }
    let cost = Money {
        requests,
        duration,
        init: init_share,
        total: requests + duration + init_share.unwrap_or(0.0),
    };
    Ok(CostEstimate {
        pricing,
        entry,
        invocations,
        local_seconds,
        duration_ms: local_seconds * 1000.0 * pricing.cpu_scale,
        billed_ms,
        init,
        cost,
        notes,
    })
}

/// Estimates both profiles with the same options.
pub fn compare(base: &Profile, new: &Profile, options: &CostOptions) -> Result<CostDiff> {
    compare_runs(
        std::slice::from_ref(base),
        std::slice::from_ref(new),
        options,
    )
}

/// Estimates both sides from several runs each (see [`estimate_runs`]).
pub fn compare_runs(
    base_runs: &[Profile],
    new_runs: &[Profile],
    options: &CostOptions,
) -> Result<CostDiff> {
    let base = estimate_runs(base_runs, options)?;
    let new = estimate_runs(new_runs, options)?;
    Ok(CostDiff {
        pricing: base.pricing,
        base,
        new,
    })
}

// ---------------------------------------------------------------- rendering

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
    units::cost_delta(value / 1000.0, &crate::model::Unit::Seconds)
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
    match entry.source {
        EntrySource::Option => format!("{} (as asked)", entry.display),
        EntrySource::Named => format!(
            "{} (the only function named handler or lambda_handler)",
            entry.display
        ),
        EntrySource::Total => "none: the whole profile is one invocation".to_string(),
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
            init.module,
            money(init.cost_per_million_cold_starts)
        )?;
    }
    for note in &estimate.notes {
        writeln!(out, "note: {note}")?;
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
            writeln!(out, "note: {label}: {note}")?;
        }
    }
    writeln!(
        out,
        "{}",
        paint(&format!("caveats: {CAVEATS}"), Tone::Dim, style.color)
    )
}

// ---------------------------------------------------------------- JSON

fn settings_wire(p: &Pricing) -> wire::LambdaSettings {
    wire::LambdaSettings {
        memory_mb: p.memory_mb,
        arch: p.arch.name().to_string(),
        billing_granularity_ms: p.billing_granularity_ms,
        price_per_gb_second: p.price_per_gb_second,
        price_per_request: p.price_per_request,
        cpu_scale: p.cpu_scale,
        cold_start_rate: p.cold_start_rate,
    }
}

fn estimate_wire(e: &CostEstimate) -> wire::LambdaEstimate {
    wire::LambdaEstimate {
        entry: wire::LambdaEntry {
            key: e.entry.key.clone(),
            display: e.entry.display.clone(),
            source: e.entry.source.name().to_string(),
        },
        invocations: e.invocations,
        local_seconds: e.local_seconds,
        duration_ms: e.duration_ms,
        billed_duration_ms: e.billed_ms,
        cost_per_million: wire::LambdaMoney {
            requests: e.cost.requests,
            duration: e.cost.duration,
            init: e.cost.init,
            total: e.cost.total,
        },
        init: e.init.as_ref().map(|i| wire::LambdaInit {
            module: i.module.clone(),
            local_seconds: i.local_seconds,
            duration_ms: i.duration_ms,
            billed_duration_ms: i.billed_ms,
            cost_per_million_cold_starts: i.cost_per_million_cold_starts,
        }),
        notes: e.notes.clone(),
    }
}

/// The `"lambda"` JSON section of a comparison.
pub fn diff_to_wire(diff: &CostDiff) -> wire::LambdaCost {
    wire::LambdaCost {
        settings: settings_wire(&diff.pricing),
        estimate: None,
        base: Some(estimate_wire(&diff.base)),
        new: Some(estimate_wire(&diff.new)),
        delta: Some(wire::LambdaDelta {
            duration_ms: diff.new.duration_ms - diff.base.duration_ms,
            billed_duration_ms: diff.new.billed_ms - diff.base.billed_ms,
            cost_per_million: diff.delta_per_million(),
            pct: diff.pct(),
            init_ms: diff.init_delta_ms(),
        }),
        caveats: CAVEATS.to_string(),
    }
}

/// The `"lambda"` JSON section of one profile.
pub fn estimate_to_wire(estimate: &CostEstimate) -> wire::LambdaCost {
    wire::LambdaCost {
        settings: settings_wire(&estimate.pricing),
        estimate: Some(estimate_wire(estimate)),
        base: None,
        new: None,
        delta: None,
        caveats: CAVEATS.to_string(),
    }
}
