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
//! * An import-time log (`python -X importtime`) holds INIT and nothing
//!   else: the whole log's imports per run, or with an entry the named
//!   module's import, priced per cold start; no invocation is priced.
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

use crate::align::AlignOptions;
use crate::error::{Error, Result};
use crate::model::Profile;

mod measure;
mod pricing;

pub use measure::{Entry, EntrySource, Measured};
pub use pricing::{Arch, Money, Pricing, PRICE_PER_REQUEST};

use measure::measure;

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
    /// named `handler` or `lambda_handler`, else the profile total. For an
    /// import-time log, the module whose import is INIT (default: every
    /// import in the log).
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
    let measured: Vec<Measured> = runs
        .iter()
        .map(|run| measure(run, options))
        .collect::<Result<_>>()?;
    estimate_measured(measured, options)
}

/// What one run says about one invocation, for [`estimate_measured`]: a
/// caller reading many runs keeps this, not the profile.
pub fn measure_run(profile: &Profile, options: &CostOptions) -> Result<Measured> {
    measure(profile, options)
}

/// Estimates from the measurements of several runs of the same code (see
/// [`estimate_runs`]).
pub fn estimate_measured(measured: Vec<Measured>, options: &CostOptions) -> Result<CostEstimate> {
    let pricing = options.pricing()?;
    if measured.is_empty() {
        return Err(Error::Usage(
            "a Lambda estimate needs at least one profile".into(),
        ));
    }
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

/// Estimates both sides from their runs' measurements ([`measure_run`]).
pub fn compare_measured(
    base: Vec<Measured>,
    new: Vec<Measured>,
    options: &CostOptions,
) -> Result<CostDiff> {
    let base = estimate_measured(base, options)?;
    let new = estimate_measured(new, options)?;
    Ok(CostDiff {
        pricing: base.pricing,
        base,
        new,
    })
}
