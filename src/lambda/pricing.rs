//! Pricing: the rates an estimate uses and what a billed duration costs.
//! Rounding per invocation, GB-seconds and the request charge; see
//! `docs/lambda.md` for the formula and where the default prices come from.
//!
//! With memory M MB, price P per GB-second, granularity g ms (1, or 100 before
//! December 2020) and measured durations dᵢ (local time × `cpu_scale`):
//!
//! ```text
//! billedᵢ = g · ceil(dᵢ / g)        B = mean(billedᵢ) / 1000 s
//! cost per 1M = 1e6 · (price_per_request + M/1024 · B · P)
//! ```
//!
//! One profile gives one mean duration per invocation (the entry's inclusive
//! time over its calls), so with several calls in one profile the rounding is
//! applied to that mean, an approximation; with several runs
//! ([`compare_runs`](super::compare_runs)) each run is rounded, then
//! averaged, as Lambda bills.
//! INIT is billed the same way per cold start and reported separately; a
//! `cold_start_rate` adds its share to the per-invocation cost.

use crate::error::{Error, Result};

use super::CostOptions;

/// Lambda's instruction set; it decides the default duration price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arch {
    /// Intel/AMD (the default).
    #[default]
    X86_64,
    /// Graviton; its duration price is 20% lower.
    Arm64,
}

impl Arch {
    /// Stable name, as in JSON and the CLI (`x86_64`, `arm64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// us-east-1 on-demand duration price, tier 1, USD per GB-second.
    pub fn price_per_gb_second(self) -> f64 {
        match self {
            Arch::X86_64 => 0.000_016_666_7,
            Arch::Arm64 => 0.000_013_333_4,
        }
    }
}

/// USD per request (us-east-1, both architectures).
pub const PRICE_PER_REQUEST: f64 = 0.20 / 1e6;

/// The validated rates an estimate used ([`CostOptions::pricing`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    /// Configured memory, MB.
    pub memory_mb: u32,
    /// The architecture the default price was taken for.
    pub arch: Arch,
    /// 1 or 100 ms.
    pub billing_granularity_ms: u32,
    /// USD per GB-second of billed duration.
    pub price_per_gb_second: f64,
    /// USD per request.
    pub price_per_request: f64,
    /// Lambda time = local time × this.
    pub cpu_scale: f64,
    /// Share of invocations that are cold starts, when given.
    pub cold_start_rate: Option<f64>,
}

impl CostOptions {
    /// Checks every number once and resolves the default price.
    pub fn pricing(&self) -> Result<Pricing> {
        if !(128..=10240).contains(&self.memory_mb) {
            return Err(Error::Usage(format!(
                "Lambda memory must be 128 to 10240 MB, got {}",
                self.memory_mb
            )));
        }
        if !matches!(self.billing_granularity_ms, 1 | 100) {
            return Err(Error::Usage(format!(
                "Lambda billing granularity must be 1 or 100 ms, got {}",
                self.billing_granularity_ms
            )));
        }
        let price_per_gb_second = self
            .price_per_gb_second
            .unwrap_or_else(|| self.arch.price_per_gb_second());
        for (what, value) in [
            ("price per GB-second", price_per_gb_second),
            ("price per request", self.price_per_request),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(Error::Usage(format!(
                    "the Lambda {what} must be a non-negative number, got {value}"
                )));
            }
        }
        if !(self.cpu_scale > 0.0 && self.cpu_scale.is_finite()) {
            return Err(Error::Usage(format!(
                "the CPU scale must be a positive number, got {}",
                self.cpu_scale
            )));
        }
        if let Some(rate) = self.cold_start_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(Error::Usage(format!(
                    "the cold-start rate must be between 0 and 1, got {rate}"
                )));
            }
        }
        Ok(Pricing {
            memory_mb: self.memory_mb,
            arch: self.arch,
            billing_granularity_ms: self.billing_granularity_ms,
            price_per_gb_second,
            price_per_request: self.price_per_request,
            cpu_scale: self.cpu_scale,
            cold_start_rate: self.cold_start_rate,
        })
    }
}

impl Pricing {
    /// `g · ceil(d / g)`, at least one unit. A nanosecond of float noise
    /// (120 ms computed as 120.000000000001) must not bill another unit.
    pub fn billed_ms(&self, duration_ms: f64) -> f64 {
        let g = f64::from(self.billing_granularity_ms);
        let units = (duration_ms / g - 1e-9).ceil().max(1.0);
        g * units
    }

    /// Duration charge of one million invocations each billed `billed_ms`.
    pub fn duration_cost_per_million(&self, billed_ms: f64) -> f64 {
        1e6 * f64::from(self.memory_mb) / 1024.0 * (billed_ms / 1000.0) * self.price_per_gb_second
    }

    /// Request charge of one million invocations.
    pub fn requests_per_million(&self) -> f64 {
        1e6 * self.price_per_request
    }
}

/// USD per one million invocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Money {
    /// The request charge.
    pub requests: f64,
    /// The duration charge (GB-seconds × price).
    pub duration: f64,
    /// The cold-start share of INIT, when a cold-start rate was given.
    pub init: Option<f64>,
    /// The sum of the above.
    pub total: f64,
}
