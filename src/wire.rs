//! Versioned JSON wire types, kept apart from the model so the model can
//! change without breaking consumers. `SCHEMA_VERSION` goes up on any
//! incompatible change; adding a field is compatible.
//!
//! Costs are seconds when `unit` is `"seconds"` and appear as `*_time`
//! fields; for any other unit (callgrind `Ir`, samples, …) the same numbers
//! appear as `*_cost` fields so nobody reads instruction counts as seconds.
//!
//! The documents are generic over their `functions` list so a renderer can
//! write rows as it makes them ([`crate::render::json`]); the default
//! parameter is the `Vec` a consumer reads them into.
//!
//! Version 2 (from 1): a row's `callers` is absent unless asked for
//! (`--callers`), and documents are compact unless indented (`--pretty`).

use serde::{Deserialize, Serialize};

/// The JSON schema version; goes up on an incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// A number on both sides. An absent side is `null`; `delta` counts an absent
/// side as zero; `pct` is `null` when the base is absent or zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    /// The base value; null where absent.
    pub base: Option<T>,
    /// The new value; null where absent.
    pub new: Option<T>,
    /// new − base (an absent function counts as zero); null when a side does not record the number.
    pub delta: Option<T>,
    /// delta in percent of the base; null when the base is absent or zero.
    pub pct: Option<f64>,
}

/// A value that may differ between the sides (`file`, `line`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sides<T> {
    /// The base side's value.
    pub base: Option<T>,
    /// The new side's value.
    pub new: Option<T>,
}

/// One input profile: where it came from and its totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    /// The file as given (`-` for stdin).
    pub path: String,
    /// The input format (`pstats`, `callgrind`, …).
    pub format: String,
    /// Unit of every cost (`seconds`, `samples`, or an event name such as `Ir`).
    pub unit: String,
    /// The producer, when the file says (`cProfile`, `yappi`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// Smallest difference the input can express, in `unit`; null when exact.
    pub precision: Option<f64>,
    /// Total time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<f64>,
    /// Total cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<f64>,
    /// Σ calls; null when the profile counts no calls.
    pub total_calls: Option<u64>,
    /// Σ primitive (non-recursive) calls.
    pub primitive_calls: Option<u64>,
    /// Number of functions in the profile.
    pub functions: usize,
    /// Remarks the reader should see.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The diff as a whole: totals on both sides and how many functions changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Total time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<Change<f64>>,
    /// Total cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Change<f64>>,
    /// Σ calls; null when the profile counts no calls.
    pub total_calls: Change<i64>,
    /// Σ primitive (non-recursive) calls.
    pub primitive_calls: Change<i64>,
    /// Functions only in the new profile.
    pub added: usize,
    /// Functions only in the base profile.
    pub removed: usize,
    /// Functions on both sides that changed.
    pub changed: usize,
    /// Functions on both sides that did not change.
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

/// One caller's share of a function's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallerChange {
    /// The caller's key.
    pub key: String,
    /// Calls it made to the function.
    pub calls: Change<i64>,
    /// The function's inclusive time along this edge, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    /// The function's inclusive cost along this edge, in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// When this caller is a pass-through wrapper (every call it made went to
    /// the function), its own callers, which explain the change better.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<CallerChange>,
}

/// One aligned function of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionChange {
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// The function name as recorded.
    pub name: String,
    /// pstats-like label (`file:line(name)`).
    pub display: String,
    /// The file as recorded.
    pub file: Sides<String>,
    /// The first line as recorded.
    pub line: Sides<u32>,
    /// `added`, `removed`, `changed` or `unchanged`.
    pub status: String,
    /// Calls, recursive ones included.
    pub calls: Change<i64>,
    /// Σ primitive (non-recursive) calls.
    pub primitive_calls: Change<i64>,
    /// Self time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<Change<f64>>,
    /// Inclusive time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    /// Self cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<Change<f64>>,
    /// Inclusive cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// Present when a side's inclusive cost is only known as a range
    /// (mutual recursion in a callgrind file): per side, the least it can
    /// be (`null` where exact); the `inclusive_*` numbers are then the most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_min: Option<Sides<f64>>,
    /// Direct callers, largest change in calls first; present only when
    /// asked for (`--callers`). Absent is not "no callers": an empty list is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callers: Option<Vec<CallerChange>>,
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
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// pstats-like label (`file:line(name)`).
    pub display: String,
    /// Its calls, per side.
    pub calls: Change<i64>,
    /// Inclusive time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    /// Inclusive cost, in `unit` (other units only).
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
    /// The caller's key.
    pub key: String,
    /// The caller's label.
    pub display: String,
    /// Calls along the edge (null where the edge is absent).
    pub calls: Change<i64>,
    /// The caller's own calls.
    pub caller_calls: Change<i64>,
}

/// A change that follows from a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// pstats-like label (`file:line(name)`).
    pub display: String,
    /// Its calls, per side.
    pub calls: Change<i64>,
}

/// A hint for a cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HintEntry {
    /// The rule's stable name (`aws-client-per-invocation`).
    pub rule: String,
    /// The advice, one line.
    pub text: String,
}

/// `profdiff diff --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffDocument<F = Vec<FunctionChange>> {
    /// Incremented on incompatible changes ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Unit of every cost.
    pub unit: String,
    /// The base profile.
    pub base: ProfileInfo,
    /// The new profile.
    pub new: ProfileInfo,
    /// Totals and counts.
    pub summary: Summary,
    /// The call-count changes at their origin, largest time moved first
    /// (see `profdiff::causes`); absent when not asked for. Empty when
    /// there are none or the profiles have no call counts (a summary note
    /// says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causes: Option<Vec<CauseEntry>>,
    /// One entry per function shown.
    pub functions: F,
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
    /// True when at least one rule was violated.
    pub regressed: bool,
    /// Whole-profile violations (key `"(total)"`) first, then by key.
    pub violations: Vec<Violation>,
}

/// One broken rule. `rule` is `calls`, `total_calls`, `inclusive_time`,
/// `total_time` (or `inclusive_cost`/`total_cost` for non-time units), or
/// `group_calls`. Numbers are calls for the call rules, else in the
/// document's `unit`; `base` is null for a function that is new; `limit` is
/// the largest `new` that would have passed. A `group_calls` violation
/// (`--max-group-calls`) has key `(group NAME)`, the sums over the group's
/// members as `base` and `new`, and `group`, `pattern` and `members`, which
/// other rules leave out (added in schema version 2 without a version
/// change: a consumer that does not know them can ignore them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The function's key, `(total)`, or `(group NAME)`.
    pub key: String,
    /// Which rule (`calls`, `total_calls`, `inclusive_time`, `group_calls`, …).
    pub rule: String,
    /// Base value; null for a new function.
    pub base: Option<f64>,
    /// New value.
    pub new: f64,
    /// The largest value that would have passed.
    pub limit: f64,
    /// The group's name (`group_calls` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The group's pattern (`group_calls` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Every function the pattern matched, most new calls first
    /// (`group_calls` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<GroupMember>>,
}

/// A function of a group and its calls on each side; null where the
/// function is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The function's key.
    pub key: String,
    /// Calls in the base; null where absent.
    pub base: Option<u64>,
    /// Calls in the new profile; null where absent.
    pub new: Option<u64>,
}

/// One function of a single profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionStats {
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// The function name as recorded.
    pub name: String,
    /// pstats-like label (`file:line(name)`).
    pub display: String,
    /// The file as recorded.
    pub file: Option<String>,
    /// The first line as recorded.
    pub line: Option<u32>,
    /// Calls; null for sampled profiles.
    pub calls: Option<u64>,
    /// Σ primitive (non-recursive) calls.
    pub primitive_calls: Option<u64>,
    /// Self time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<f64>,
    /// Inclusive time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<f64>,
    /// Self cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<f64>,
    /// Inclusive cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<f64>,
    /// Present when the inclusive cost is only known as a range: the least
    /// it can be (`inclusive_*` is the most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_min: Option<f64>,
}

/// `profdiff show --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowDocument<F = Vec<FunctionStats>> {
    /// Incremented on incompatible changes ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The profile shown.
    pub profile: ProfileInfo,
    /// One entry per function shown.
    pub functions: F,
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
pub struct RunsDocument<F = Vec<RunsFunction>> {
    /// Incremented on incompatible changes ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// `"runs"`.
    pub kind: String,
    /// Unit of every cost.
    pub unit: String,
    /// The base runs.
    pub base: RunsSide,
    /// The new runs.
    pub new: RunsSide,
    /// How significance was decided.
    pub test: RunsTest,
    /// Totals and counts.
    pub summary: RunsSummary,
    /// One entry per function shown.
    pub functions: F,
    /// Remarks the reader should see.
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

/// One side of a comparison of several runs.
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
    /// Significance level (p below it).
    pub level: f64,
    /// Smallest relative change, percent of the base median.
    pub min_effect: f64,
    /// In `unit`.
    pub min_effect_abs: f64,
    /// The smallest p-value these run counts can produce.
    pub min_p: f64,
}

/// A comparison of several runs as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsSummary {
    /// Total time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<RunsMetric>,
    /// Total cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<RunsMetric>,
    /// Functions with a significant self or inclusive change.
    pub significant: usize,
    /// Functions only in the new profile.
    pub added: usize,
    /// Functions only in the base profile.
    pub removed: usize,
    /// Functions on both sides that changed.
    pub changed: usize,
    /// Functions on both sides that did not change.
    pub unchanged: usize,
    /// Keys of the functions whose call count differs between runs of one side.
    pub unstable_calls: Vec<String>,
}

/// Median, min and max over one side's runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunsSpread {
    /// Median over the runs.
    pub median: f64,
    /// Smallest over the runs.
    pub min: f64,
    /// Largest over the runs.
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
    /// Each base run's value (null: absent from that run, counts as 0).
    pub base: Vec<Option<f64>>,
    /// Each new run's value.
    pub new: Vec<Option<f64>>,
    /// Median, min and max over the base runs.
    pub base_summary: Option<RunsSpread>,
    /// Median, min and max over the new runs.
    pub new_summary: Option<RunsSpread>,
    /// Difference of the medians.
    pub delta: f64,
    /// Relative change in percent of the base.
    pub pct: Option<f64>,
    /// Mann–Whitney U of the base sample.
    pub u: Option<f64>,
    /// Two-sided p-value.
    pub p: f64,
    /// `"exact"` or `"asymptotic"`.
    pub method: String,
    /// `significant` or `noise`.
    pub verdict: String,
}

/// Call counts over all runs; `varies` tells whether a side's runs disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsCalls {
    /// Each base run's count (null: absent from that run).
    pub base: Vec<Option<u64>>,
    /// Each new run's count.
    pub new: Vec<Option<u64>>,
    /// Median, min and max over the base runs.
    pub base_summary: Option<RunsSpread>,
    /// Median, min and max over the new runs.
    pub new_summary: Option<RunsSpread>,
    /// Difference of the medians.
    pub delta: Option<f64>,
    /// Whether the runs of each side disagree.
    pub varies: Sides<bool>,
}

/// One function across several runs per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsFunction {
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// The function name as recorded.
    pub name: String,
    /// pstats-like label (`file:line(name)`).
    pub display: String,
    /// As recorded by the first run of each side that has the function.
    pub file: Sides<String>,
    /// As recorded by the first run of each side that has the function.
    pub line: Sides<u32>,
    /// `added`, `removed`, `changed` (calls moved or a time change is
    /// significant) or `unchanged`.
    pub status: String,
    /// `significant` when the self or inclusive change is, else `noise`.
    pub verdict: String,
    /// Calls, recursive ones included.
    pub calls: RunsCalls,
    /// Self time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<RunsMetric>,
    /// Inclusive time, seconds (time units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<RunsMetric>,
    /// Self cost, in `unit` (other units only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<RunsMetric>,
    /// Inclusive cost, in `unit` (other units only).
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
    /// Prices and assumptions.
    pub settings: LambdaSettings,
    /// One profile's estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<LambdaEstimate>,
    /// The base's estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<LambdaEstimate>,
    /// The new's estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<LambdaEstimate>,
    /// new − base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<LambdaDelta>,
    /// What the estimate leaves out, in one line.
    pub caveats: String,
}

/// The prices and assumptions of a Lambda estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaSettings {
    /// Function memory, MB.
    pub memory_mb: u32,
    /// `"x86_64"` or `"arm64"`.
    pub arch: String,
    /// Billing granularity, ms.
    pub billing_granularity_ms: u32,
    /// USD per GB-second.
    pub price_per_gb_second: f64,
    /// USD per request.
    pub price_per_request: f64,
    /// Lambda time per local second.
    pub cpu_scale: f64,
    /// Share of invocations that are cold starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start_rate: Option<f64>,
}

/// A Lambda estimate of one profile (or one side's runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaEstimate {
    /// The function whose inclusive time is one invocation; null key when the
    /// profile total was used.
    pub entry: LambdaEntry,
    /// Invocations the profile (or runs) held: the entry's calls, or runs.
    pub invocations: u64,
    /// Mean measured duration of one invocation, local seconds.
    pub local_seconds: f64,
    /// Lambda duration, ms.
    pub duration_ms: f64,
    /// Mean billed duration (each invocation rounded up to the granularity).
    pub billed_duration_ms: f64,
    /// USD per one million invocations.
    pub cost_per_million: LambdaMoney,
    /// INIT (module-level work), paid per cold start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<LambdaInit>,
    /// Remarks the reader should see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Which function was taken as one invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaEntry {
    /// The entry function's key; null when the profile total was used.
    pub key: Option<String>,
    /// Its label.
    pub display: String,
    /// `"option"` (asked for), `"named"` (the one `handler`/`lambda_handler`),
    /// `"total"` (no entry: the profile total) or `"init-only"` (an
    /// import-time log: no invocation, INIT only).
    pub source: String,
}

/// Module-level work of the entry's module, paid once per cold start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaInit {
    /// The `<module>` function measured.
    pub module: String,
    /// Local seconds measured.
    pub local_seconds: f64,
    /// Lambda duration, ms.
    pub duration_ms: f64,
    /// Billed duration, ms.
    pub billed_duration_ms: f64,
    /// Duration cost of one million cold starts.
    pub cost_per_million_cold_starts: f64,
}

/// Requests + duration = total, USD per one million invocations (plus the
/// cold-start share of INIT when a cold-start rate was given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaMoney {
    /// Request charges.
    pub requests: f64,
    /// Duration charges.
    pub duration: f64,
    /// The cold-start share of INIT, when a cold-start rate was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<f64>,
    /// Requests + duration (+ INIT share).
    pub total: f64,
}

/// The difference between two Lambda estimates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaDelta {
    /// Δ duration, ms.
    pub duration_ms: f64,
    /// Δ billed duration, ms.
    pub billed_duration_ms: f64,
    /// new − base, USD per one million invocations.
    pub cost_per_million: f64,
    /// Δ cost in percent of the base.
    pub pct: Option<f64>,
    /// Δ INIT duration, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<f64>,
}

/// `profdiff diff BASE_DIR NEW_DIR --format json`: a suite of profiles
/// compared pair by pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteDocument {
    /// Incremented on incompatible changes ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Always `suite`.
    pub kind: String,
    /// The base directory, as given.
    pub base: String,
    /// The new directory, as given.
    pub new: String,
    /// True when any pair regressed (the exit status is then 1, or 2 when
    /// a pair could not be read).
    pub regressed: bool,
    /// One entry per path found in either directory, in natural path order.
    pub profiles: Vec<SuiteProfile>,
}

/// One path of a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteProfile {
    /// The path below both directories.
    pub path: String,
    /// `regressed`, `improved`, `unchanged`, `only_base`, `only_new` or
    /// `error`.
    pub status: String,
    /// Unit of the costs, for a compared pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The pair's totals and counts, as in a diff document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// The pair's largest cause, else its largest change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest: Option<SuiteChange>,
    /// The gate's verdict on the pair, when gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Why the pair could not be compared (`error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The change a suite's line names for a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteChange {
    /// The function's key.
    pub key: String,
    /// Its pstats-like label.
    pub display: String,
    /// `cause` (a call count that changed at its origin) or `change` (the
    /// largest change).
    pub kind: String,
    /// Calls on each side.
    pub calls: Change<i64>,
    /// Time (cost, in `unit`) it moved.
    pub moved: Option<f64>,
}
