//! Several runs per side: which time changes are real and which are noise.
//!
//! One profile per side cannot tell a 3 ms change from scheduler jitter: a
//! cold Python process doing the same work twice easily differs by 5–10% in
//! places. With several runs of each side (`--base A1 A2 … --new B1 B2 …`)
//! every function gets, per side and per metric (calls, self, inclusive), the
//! value of each run and their median, min and max; the delta is the
//! difference of the medians; and each time delta gets a verdict.
//!
//! # The verdict
//!
//! A time change is **significant** when both hold:
//!
//! 1. the two-sided Mann–Whitney U test of the base runs against the new runs
//!    gives p < `level` (default 0.05): the two sets of timings are unlikely
//!    to come from one distribution; and
//! 2. |Δ median| ≥ max(`min_effect` × |base median|, `min_effect_abs`)
//!    (defaults 5% and 0.5 ms): with enough runs even a 0.1% shift becomes
//!    "significant", and nobody should act on that.
//!
//! Otherwise it is **noise**. Mann–Whitney is used rather than a t-test
//! because profile timings are skewed (a run that hits a page fault or a GC
//! pause is far slower, never far faster) and only ranks matter to it.
//!
//! [`mann_whitney_u`] follows SciPy's `mannwhitneyu(base, new,
//! alternative='two-sided')` with its default `method='auto'` and
//! `use_continuity=True`: the statistic is U of the *base* sample; the
//! p-value is **exact** (the null distribution of U, counted) when at least
//! one side has at most 8 runs and no value is tied, otherwise it is the
//! **normal approximation** with tie correction and continuity correction.
//! Tests pin both branches against values SciPy printed.
//!
//! With few runs the exact test cannot reach small p-values at all: with 3
//! runs per side the smallest two-sided p is 2/C(6,3) = 0.1, so nothing is
//! ever significant at 0.05. [`RunsDiff::min_p`] says so, and a note is added.
//!
//! # Alignment and absent functions
//!
//! Keys are those of [`align`](crate::align). Each run is aligned with the first run of its
//! side (so a function that moved or a duplicated `<lambda>` pairs the same
//! way in every run); the first runs of the two sides are aligned with each
//! other, and functions seen only in later runs pair by key. A function absent
//! from a run has not been called in it: it counts as 0 calls and 0 time in
//! that run (its per-run value is reported as `None`). A function absent from
//! every run of one side is added or removed, as in a plain diff.
//!
//! Call counts are deterministic for deterministic code; a function whose
//! count differs between runs of one side (lazy caches, GC callbacks, retries)
//! is listed by [`RunsDiff::unstable_calls`] because its time is then not
//! comparable run to run either.

use crate::align::AlignOptions;
use crate::diff::Status;
use crate::error::{Error, Result};
use crate::model::Unit;

mod compare;
mod join;
mod mann_whitney;

pub use compare::{compare, sort_functions, RunsBuilder};
pub use mann_whitney::{mann_whitney_u, min_p_value, MannWhitney, TestMethod};

/// Knobs of the multi-run comparison.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Significance level of the Mann–Whitney test. Default 0.05.
    pub level: f64,
    /// Smallest change worth reporting, relative to the base median.
    /// Default 0.05 (5%).
    pub min_effect: f64,
    /// Smallest change worth reporting, in the profiles' unit (seconds for
    /// time). Default 0.0005 (0.5 ms).
    pub min_effect_abs: f64,
    /// How functions are keyed across runs. Default: the usual
    /// normalisation, no extra prefixes.
    pub align: AlignOptions,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            level: 0.05,
            min_effect: 0.05,
            min_effect_abs: 0.0005,
            align: AlignOptions::default(),
        }
    }
}

impl StatsOptions {
    fn validate(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::Usage(format!(
                "the significance level must be between 0 and 1 (exclusive), got {}",
                self.level
            )));
        }
        for (what, value) in [
            ("relative minimum effect", self.min_effect),
            ("absolute minimum effect", self.min_effect_abs),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(Error::Usage(format!(
                    "the {what} must be a non-negative number, got {value}"
                )));
            }
        }
        Ok(())
    }
}

/// Whether a time change across runs is significant or noise; see the
/// module docs. (A statistical judgement on one metric, not the regression
/// gate's [`GateVerdict`](crate::gate::GateVerdict).)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Significance {
    /// p < level and the change is at least the minimum effect.
    Significant,
    /// Anything else: the runs do not show a change worth acting on.
    Noise,
}

impl Significance {
    /// Stable name, as in JSON (`"significant"`, `"noise"`).
    pub fn name(self) -> &'static str {
        match self {
            Significance::Significant => "significant",
            Significance::Noise => "noise",
        }
    }
}

/// Median, min and max of one side's runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (of an even count, the mean of the middle two).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// `None` for an empty slice. The median of an even count is the mean of
    /// the middle two, as everywhere else.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// One metric's value in each run, `None` where the function is absent.
/// Stored as plain numbers with NaN for "absent": half the size of a
/// `Vec<Option<f64>>`, which counts at hundreds of runs times thousands of
/// functions. (A NaN time read from a profile therefore reads as absent.)
#[derive(Debug, Clone, Default)]
pub struct RunValues(Vec<f64>);

impl RunValues {
    /// No runs, with room for `runs`.
    pub fn with_capacity(runs: usize) -> Self {
        RunValues(Vec::with_capacity(runs))
    }

    /// Appends one run's value.
    pub fn push(&mut self, value: Option<f64>) {
        self.0.push(value.unwrap_or(f64::NAN));
    }

    /// Sets run `run`'s value (the run must exist).
    pub fn set(&mut self, run: usize, value: Option<f64>) {
        self.0[run] = value.unwrap_or(f64::NAN);
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no run is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Run `run`'s value; `None` when absent (or past the end).
    pub fn get(&self, run: usize) -> Option<f64> {
        self.0.get(run).copied().filter(|v| !v.is_nan())
    }

    /// Every run's value in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }

    /// Every run's value in order, as a vector.
    pub fn to_vec(&self) -> Vec<Option<f64>> {
        self.iter().collect()
    }
}

impl PartialEq for RunValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl From<Vec<Option<f64>>> for RunValues {
    fn from(values: Vec<Option<f64>>) -> Self {
        values.into_iter().collect()
    }
}

impl FromIterator<Option<f64>> for RunValues {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Self {
        RunValues(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

/// One time metric of one function (or of the whole profile) over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRuns {
    /// Per base run; `None` where the function is absent from that run.
    pub base: RunValues,
    /// Per new run, likewise.
    pub new: RunValues,
    /// `None` when the function is absent from every run of that side.
    pub base_spread: Option<Spread>,
    /// The new runs' spread, likewise.
    pub new_spread: Option<Spread>,
    /// Median new − median base (an absent side counts as 0).
    pub delta: f64,
    /// Relative change in percent; `None` when the base median is 0 or absent.
    pub pct: Option<f64>,
    /// The Mann–Whitney U test of the base runs against the new runs.
    pub test: MannWhitney,
    /// Significant or noise (JSON `verdict`).
    pub significance: Significance,
}

/// Call counts of one function over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRuns {
    /// Per base run; `None` where the function is absent from the run or the
    /// format has no counts.
    pub base: Vec<Option<u64>>,
    /// Per new run, likewise.
    pub new: Vec<Option<u64>>,
    /// Median, min and max of the base counts (an absent run counts 0);
    /// `None` when no base run has a count.
    pub base_spread: Option<Spread>,
    /// The new counts' spread, likewise.
    pub new_spread: Option<Spread>,
    /// The count differs between runs of that side (base, new).
    pub varies: (bool, bool),
}

impl CallRuns {
    /// Median new − median base, when both sides have counts.
    pub fn delta(&self) -> Option<f64> {
        match (self.base_spread, self.new_spread) {
            (Some(b), Some(n)) => Some(n.median - b.median),
            (None, Some(n)) => Some(n.median),
            (Some(b), None) => Some(-b.median),
            (None, None) => None,
        }
    }
}

/// One aligned function over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionRuns {
    /// The alignment key.
    pub key: String,
    /// The function's name.
    pub name: String,
    /// pstats-like label of the function in the first run that has it (new side first).
    pub display: String,
    /// The file as the first run of each side that has the function
    /// recorded it: (base, new).
    pub file: (Option<String>, Option<String>),
    /// The line likewise: (base, new).
    pub line: (Option<u32>, Option<u32>),
    /// Added, removed, changed (calls moved or a time change is
    /// significant) or unchanged.
    pub status: Status,
    /// Call counts over the runs.
    pub calls: CallRuns,
    /// Self cost over the runs.
    pub self_cost: MetricRuns,
    /// Inclusive cost over the runs.
    pub inclusive_cost: MetricRuns,
}

impl FunctionRuns {
    /// Significant if either time metric is (JSON `verdict`).
    pub fn significance(&self) -> Significance {
        if self.self_cost.significance == Significance::Significant
            || self.inclusive_cost.significance == Significance::Significant
        {
            Significance::Significant
        } else {
            Significance::Noise
        }
    }
}

/// The comparison of several runs per side.
#[derive(Debug, Clone, PartialEq)]
pub struct RunsDiff {
    /// The unit of every run.
    pub unit: Unit,
    /// The base runs, as their profiles name them.
    pub base_paths: Vec<String>,
    /// The new runs, likewise.
    pub new_paths: Vec<String>,
    /// The significance level used ([`StatsOptions::level`]).
    pub level: f64,
    /// The relative minimum effect used ([`StatsOptions::min_effect`]).
    pub min_effect: f64,
    /// The absolute minimum effect used ([`StatsOptions::min_effect_abs`]).
    pub min_effect_abs: f64,
    /// The smallest two-sided p-value these run counts can produce (exact
    /// test, no ties); when it is ≥ `level`, nothing can be significant.
    pub min_p: f64,
    /// Each run's total (Σ self cost), tested like a function.
    pub total_cost: MetricRuns,
    /// Sorted by [`sort_functions`] with [`SortKey::Inclusive`](crate::diff::SortKey::Inclusive).
    pub functions: Vec<FunctionRuns>,
    /// Remarks on the comparison as a whole, for the report.
    pub notes: Vec<RunsNote>,
}

/// A remark on a comparison of runs. The report words it (its `Display`
/// is the sentence the text and JSON reports print).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunsNote {
    /// With this many runs the exact test cannot give a p-value below the
    /// level, so nothing can be significant.
    TooFewRuns {
        /// Runs of the base.
        base_runs: usize,
        /// Runs of the new version.
        new_runs: usize,
        /// The smallest two-sided p-value these run counts can produce.
        min_p: f64,
        /// The significance level asked for.
        level: f64,
    },
    /// A run records times more coarsely than the smallest effect asked for
    /// (pstats text: 1 ms), so smaller changes cannot be seen. Only the
    /// first such run is named.
    CoarsePrecision {
        /// The run, as its profile names it.
        path: String,
        /// Its precision, in `unit`.
        precision: f64,
        /// The runs' unit.
        unit: Unit,
    },
}

impl RunsDiff {
    /// Functions whose call count differs between runs of one side.
    pub fn unstable_calls(&self) -> impl Iterator<Item = &FunctionRuns> {
        self.functions
            .iter()
            .filter(|f| f.calls.varies.0 || f.calls.varies.1)
    }

    /// How many functions are significant (either time metric).
    pub fn significant(&self) -> usize {
        self.functions
            .iter()
            .filter(|f| f.significance() == Significance::Significant)
            .count()
    }

    /// How many functions have this status.
    pub fn count(&self, status: Status) -> usize {
        self.functions.iter().filter(|f| f.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_min_p() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
        assert_eq!(Spread::of(&[]), None);
        assert!((min_p_value(5, 5) - 2.0 / 252.0).abs() < 1e-15);
        assert_eq!(min_p_value(1, 1), 1.0);
        assert!((min_p_value(3, 3) - 0.1).abs() < 1e-15);
    }
}
