//! Versioned JSON wire types, kept apart from the model so the model can
//! change without breaking consumers. `SCHEMA_VERSION` goes up on any
//! incompatible change; adding a field is compatible.
//!
//! Costs are seconds when `unit` is `"seconds"` and appear as `*_time`
//! fields; for any other unit (callgrind `Ir`, samples, …) the same numbers
//! appear as `*_cost` fields so nobody reads instruction counts as seconds.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// A number on both sides. An absent side is `null`; `delta` counts an absent
/// side as zero; `pct` is `null` when the base is absent or zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub base: Option<T>,
    pub new: Option<T>,
    pub delta: Option<T>,
    pub pct: Option<f64>,
}

/// A value that may differ between the sides (`file`, `line`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sides<T> {
    pub base: Option<T>,
    pub new: Option<T>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub path: String,
    pub format: String,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// Smallest difference the input can express, in `unit`; null when exact.
    pub precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<f64>,
    pub total_calls: Option<u64>,
    pub primitive_calls: Option<u64>,
    /// Number of functions in the profile.
    pub functions: usize,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Change<f64>>,
    pub total_calls: Change<i64>,
    pub primitive_calls: Change<i64>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Self/inclusive changes at or below this (in `unit`) count as unchanged.
    pub threshold: f64,
    /// Remarks on the comparison as a whole: how the two profiles were
    /// matched when that needs saying (builtins by name alone, files by base
    /// name), or that call counts which follow PYTHONHASHSEED changed;
    /// absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallerChange {
    pub key: String,
    pub calls: Change<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// When this caller is a pass-through wrapper (every call it made went to
    /// the function), its own callers, which explain the change better.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<CallerChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionChange {
    pub key: String,
    pub name: String,
    pub display: String,
    pub file: Sides<String>,
    pub line: Sides<u32>,
    pub status: String,
    pub calls: Change<i64>,
    pub primitive_calls: Change<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// Present when a side's inclusive cost is only known as a range
    /// (mutual recursion in a callgrind file): per side, the least it can
    /// be (`null` where exact); the `inclusive_*` numbers are then the most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_min: Option<Sides<f64>>,
    pub callers: Vec<CallerChange>,
    /// Δinclusive split into the calls added or removed (at the base's cost
    /// per call) and the change in cost per call of the calls kept; they
    /// add up to Δinclusive. `null` unless the function is on both sides
    /// with call counts.
    pub effect: Option<Effect>,
    /// Why the change is likely noise: `"hash_seed"` when the call count of
    /// a `__hash__` method or the builtin `hash` changed (it follows
    /// PYTHONHASHSEED). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likely_noise: Option<String>,
}

/// Δinclusive split in two (in the document's unit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// Δcalls × base inclusive cost per call.
    pub calls: f64,
    /// new calls × Δ(inclusive cost per call).
    pub per_call: f64,
}

/// A call-count change at its origin: it does not follow from the calls
/// of the function's callers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseEntry {
    pub key: String,
    pub display: String,
    pub calls: Change<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// The part of the calls change that is the function's own (its
    /// callers' calls do not explain it).
    pub own_calls: f64,
    /// Inclusive cost (in `unit`) that own change moved: own calls × base
    /// inclusive cost per call. Causes are ranked by its magnitude.
    pub moved: f64,
    /// The function's [`Effect`], when both sides count its calls.
    pub effect: Option<Effect>,
    /// Caller edges whose calls per call of the caller changed.
    pub callers: Vec<CauseCaller>,
    /// The largest changes that follow from this one (at most 50).
    pub consequences: Vec<Consequence>,
    /// How many changes follow from it in all.
    pub consequence_count: usize,
    /// Advice for a known kind of waste (`rule` is a stable name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<HintEntry>,
}

/// A caller edge of a cause, with both counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseCaller {
    pub key: String,
    pub display: String,
    /// Calls along the edge (null where the edge is absent).
    pub calls: Change<i64>,
    /// The caller's own calls.
    pub caller_calls: Change<i64>,
}

/// A change that follows from a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    pub key: String,
    pub display: String,
    pub calls: Change<i64>,
}

/// A hint for a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HintEntry {
    pub rule: String,
    pub text: String,
}

/// `profdiff diff --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffDocument {
    pub schema_version: u32,
    pub unit: String,
    pub base: ProfileInfo,
    pub new: ProfileInfo,
    pub summary: Summary,
    /// The call-count changes at their origin, largest time moved first
    /// (see `profdiff::causes`); absent when not asked for. Empty when
    /// there are none or the profiles have no call counts (a summary note
    /// says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causes: Option<Vec<CauseEntry>>,
    pub functions: Vec<FunctionChange>,
    /// Present when the diff was gated (`--fail-on-regression`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Present when a Lambda cost estimate was asked for (`--lambda-memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaCost>,
}

/// The regression gate's answer (see `profdiff::gate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub regressed: bool,
    /// Whole-profile violations (key `"(total)"`) first, then by key.
    pub violations: Vec<Violation>,
}

/// One broken rule. `rule` is `calls`, `total_calls`, `inclusive_time`,
/// `total_time` (or `inclusive_cost`/`total_cost` for non-time units). Numbers
/// are calls for the call rules, else in the document's `unit`; `base` is
/// null for a function that is new; `limit` is the largest `new` that would
/// have passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub key: String,
    pub rule: String,
    pub base: Option<f64>,
    pub new: f64,
    pub limit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionStats {
    pub key: String,
    pub name: String,
    pub display: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub calls: Option<u64>,
    pub primitive_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<f64>,
    /// Present when the inclusive cost is only known as a range: the least
    /// it can be (`inclusive_*` is the most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_min: Option<f64>,
}

/// `profdiff show --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowDocument {
    pub schema_version: u32,
    pub profile: ProfileInfo,
    pub functions: Vec<FunctionStats>,
    /// Present when a Lambda cost estimate was asked for (`--lambda-memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaCost>,
}

// ------------------------------------------------------------ several runs

/// `profdiff diff --base A1 A2 … --new B1 B2 … --format json`: several runs
/// per side, each time delta with a significance verdict (see
/// `profdiff::stats`). `kind` is `"runs"`, which tells it apart from a
/// [`DiffDocument`]. Costs follow the same `*_time` / `*_cost` rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsDocument {
    pub schema_version: u32,
    pub kind: String,
    pub unit: String,
    pub base: RunsSide,
    pub new: RunsSide,
    pub test: RunsTest,
    pub summary: RunsSummary,
    pub functions: Vec<RunsFunction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Present when a Lambda cost estimate was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaCost>,
    /// Present when the comparison was gated (`--fail-on-regression`);
    /// changes judged noise never fail it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsSide {
    /// The profiles of this side, in the order given.
    pub paths: Vec<String>,
}

/// How significance was decided: `p < level` and
/// `|delta| >= max(min_effect * |base median|, min_effect_abs)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsTest {
    /// `"mann-whitney-u"`.
    pub method: String,
    /// `"two-sided"`.
    pub alternative: String,
    pub level: f64,
    pub min_effect: f64,
    /// In `unit`.
    pub min_effect_abs: f64,
    /// The smallest p-value these run counts can produce.
    pub min_p: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<RunsMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<RunsMetric>,
    /// Functions with a significant self or inclusive change.
    pub significant: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Keys of the functions whose call count differs between runs of one side.
    pub unstable_calls: Vec<String>,
}

/// Median, min and max over one side's runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunsSpread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// One time metric over all runs. `base`/`new` hold each run's value (null:
/// the function is absent from that run and counts as 0); a summary is null
/// when the function is absent from every run of that side; `delta` is the
/// difference of the medians; `u` is the Mann–Whitney U of the base sample;
/// `method` is `"exact"` or `"asymptotic"`; `verdict` is `"significant"` or
/// `"noise"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsMetric {
    pub base: Vec<Option<f64>>,
    pub new: Vec<Option<f64>>,
    pub base_summary: Option<RunsSpread>,
    pub new_summary: Option<RunsSpread>,
    pub delta: f64,
    pub pct: Option<f64>,
    pub u: Option<f64>,
    pub p: f64,
    pub method: String,
    pub verdict: String,
}

/// Call counts over all runs; `varies` tells whether a side's runs disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsCalls {
    pub base: Vec<Option<u64>>,
    pub new: Vec<Option<u64>>,
    pub base_summary: Option<RunsSpread>,
    pub new_summary: Option<RunsSpread>,
    pub delta: Option<f64>,
    pub varies: Sides<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsFunction {
    pub key: String,
    pub name: String,
    pub display: String,
    /// As recorded by the first run of each side that has the function.
    pub file: Sides<String>,
    pub line: Sides<u32>,
    /// `added`, `removed`, `changed` (calls moved or a time change is
    /// significant) or `unchanged`.
    pub status: String,
    /// `significant` when the self or inclusive change is, else `noise`.
    pub verdict: String,
    pub calls: RunsCalls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<RunsMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<RunsMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<RunsMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<RunsMetric>,
}

// ------------------------------------------------------------ Lambda cost

/// The `"lambda"` section: an AWS Lambda cost estimate (see
/// `profdiff::lambda`). `estimate` for one profile, or `base`, `new` and
/// `delta` for a comparison. Durations are milliseconds of Lambda time
/// (local time × `cpu_scale`), money is USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaCost {
    pub settings: LambdaSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<LambdaEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<LambdaEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<LambdaEstimate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<LambdaDelta>,
    /// What the estimate leaves out, in one line.
    pub caveats: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaSettings {
    pub memory_mb: u32,
    /// `"x86_64"` or `"arm64"`.
    pub arch: String,
    pub billing_granularity_ms: u32,
    pub price_per_gb_second: f64,
    pub price_per_request: f64,
    pub cpu_scale: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaEstimate {
    /// The function whose inclusive time is one invocation; null key when the
    /// profile total was used.
    pub entry: LambdaEntry,
    /// Invocations the profile (or runs) held: the entry's calls, or runs.
    pub invocations: u64,
    /// Mean measured duration of one invocation, local seconds.
    pub local_seconds: f64,
    pub duration_ms: f64,
    /// Mean billed duration (each invocation rounded up to the granularity).
    pub billed_duration_ms: f64,
    pub cost_per_million: LambdaMoney,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<LambdaInit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaEntry {
    pub key: Option<String>,
    pub display: String,
    /// `"option"` (asked for), `"named"` (the one `handler`/`lambda_handler`)
    /// or `"total"` (no entry: the profile total).
    pub source: String,
}

/// Module-level work of the entry's module, paid once per cold start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaInit {
    /// The `<module>` function measured.
    pub module: String,
    pub local_seconds: f64,
    pub duration_ms: f64,
    pub billed_duration_ms: f64,
    /// Duration cost of one million cold starts.
    pub cost_per_million_cold_starts: f64,
}

/// Requests + duration = total, USD per one million invocations (plus the
/// cold-start share of INIT when a cold-start rate was given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaMoney {
    pub requests: f64,
    pub duration: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<f64>,
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaDelta {
    pub duration_ms: f64,
    pub billed_duration_ms: f64,
    /// new − base, USD per one million invocations.
    pub cost_per_million: f64,
    pub pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<f64>,
}
