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
//! Keys are those of [`align`]. Each run is aligned with the first run of its
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

use std::collections::HashMap;
use std::io::{self, Write};

use crate::align::{self, AlignOptions};
use crate::diff::{SortKey, Status};
use crate::error::{Error, Result};
use crate::model::{Function, FunctionId, Profile, Unit};
use crate::render::table::{paint, Align, Cell, Style, Table, Tone};
use crate::render::units;
use crate::wire;

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

/// How a p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestMethod {
    /// The exact null distribution of U (small samples, no ties).
    Exact,
    /// Normal approximation with tie and continuity correction.
    Asymptotic,
}

impl TestMethod {
    pub fn name(self) -> &'static str {
        match self {
            TestMethod::Exact => "exact",
            TestMethod::Asymptotic => "asymptotic",
        }
    }
}

/// Result of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample (SciPy's `statistic`).
    pub u: f64,
    /// Two-sided p-value.
    pub p: f64,
    pub method: TestMethod,
}

/// Significant change or noise; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Significant,
    Noise,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Significant => "significant",
            Verdict::Noise => "noise",
        }
    }
}

/// Median, min and max of one side's runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
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

/// One time metric of one function (or of the whole profile) over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRuns {
    /// Per base run; `None` where the function is absent from that run.
    pub base: Vec<Option<f64>>,
    pub new: Vec<Option<f64>>,
    /// `None` when the function is absent from every run of that side.
    pub base_spread: Option<Spread>,
    pub new_spread: Option<Spread>,
    /// Median new − median base (an absent side counts as 0).
    pub delta: f64,
    /// Relative change in percent; `None` when the base median is 0 or absent.
    pub pct: Option<f64>,
    pub test: MannWhitney,
    pub verdict: Verdict,
}

/// Call counts of one function over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRuns {
    /// Per base run; `None` where the function is absent from the run or the
    /// format has no counts.
    pub base: Vec<Option<u64>>,
    pub new: Vec<Option<u64>>,
    pub base_spread: Option<Spread>,
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
    pub key: String,
    pub name: String,
    /// pstats-like label of the function in the first run that has it (new side first).
    pub display: String,
    pub status: Status,
    pub calls: CallRuns,
    pub self_cost: MetricRuns,
    pub inclusive_cost: MetricRuns,
}

impl FunctionRuns {
    /// Significant if either time metric is.
    pub fn verdict(&self) -> Verdict {
        if self.self_cost.verdict == Verdict::Significant
            || self.inclusive_cost.verdict == Verdict::Significant
        {
            Verdict::Significant
        } else {
            Verdict::Noise
        }
    }
}

/// The comparison of several runs per side.
#[derive(Debug, Clone, PartialEq)]
pub struct RunsDiff {
    pub unit: Unit,
    pub base_paths: Vec<String>,
    pub new_paths: Vec<String>,
    pub level: f64,
    pub min_effect: f64,
    pub min_effect_abs: f64,
    /// The smallest two-sided p-value these run counts can produce (exact
    /// test, no ties); when it is ≥ `level`, nothing can be significant.
    pub min_p: f64,
    /// Each run's total (Σ self cost), tested like a function.
    pub total_cost: MetricRuns,
    /// Sorted by [`sort_functions`] with [`SortKey::Inclusive`].
    pub functions: Vec<FunctionRuns>,
    pub notes: Vec<String>,
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
            .filter(|f| f.verdict() == Verdict::Significant)
            .count()
    }

    fn count(&self, status: Status) -> usize {
        self.functions.iter().filter(|f| f.status == status).count()
    }
}

/// Compares several runs of the base with several runs of the new version.
/// Every run must be in the same unit; each side needs at least one run.
pub fn compare(
    base_runs: &[Profile],
    new_runs: &[Profile],
    options: &StatsOptions,
) -> Result<RunsDiff> {
    options.validate()?;
    let (Some(base_ref), Some(new_ref)) = (base_runs.first(), new_runs.first()) else {
        return Err(Error::Usage(
            "comparing runs needs at least one profile on each side".into(),
        ));
    };
    let unit = &base_ref.meta.unit;
    if let Some(other) = base_runs
        .iter()
        .chain(new_runs)
        .find(|p| &p.meta.unit != unit)
    {
        return Err(Error::Usage(format!(
            "cannot compare {} ({}) with {} ({}): the units differ",
            base_ref.meta.path, unit, other.meta.path, other.meta.unit
        )));
    }

    let base = SideUnion::new(base_runs, &options.align);
    let new = SideUnion::new(new_runs, &options.align);
    let rows = join_sides(&base, &new, base_ref, new_ref, &options.align);

    let base_files: Vec<Vec<Option<String>>> = base_runs
        .iter()
        .map(|p| align::normalized_files(p, &options.align))
        .collect();
    let new_files: Vec<Vec<Option<String>>> = new_runs
        .iter()
        .map(|p| align::normalized_files(p, &options.align))
        .collect();

    let mut functions = Vec::with_capacity(rows.len());
    for (key, base_entry, new_entry) in rows {
        let base_ids = base_entry.map(|e| &base.ids[e][..]);
        let new_ids = new_entry.map(|e| &new.ids[e][..]);
        let base_shown = first_present(base_runs, base_ids, &base_files);
        let shown = first_present(new_runs, new_ids, &new_files).or(base_shown);
        let (name, display) = match shown {
            Some((function, file)) => {
                let mut display = align::display_name(function, file, function.line);
                let from = base_shown.and_then(|(f, _)| f.line);
                if let (Some(from), Some(to)) = (from, function.line) {
                    if from != to {
                        // The plain diff's notation for a moved function: file:8→10(name).
                        display =
                            display.replacen(&format!(":{to}("), &format!(":{from}→{to}("), 1);
                    }
                }
                (function.name.clone(), display)
            }
            None => (key.clone(), key.clone()),
        };
        let calls = CallRuns::new(
            values(base_runs, base_ids, |f| f.calls),
            values(new_runs, new_ids, |f| f.calls),
        );
        let self_cost = MetricRuns::new(
            values(base_runs, base_ids, |f| Some(f.self_cost)),
            values(new_runs, new_ids, |f| Some(f.self_cost)),
            options,
        );
        let inclusive_cost = MetricRuns::new(
            values(base_runs, base_ids, |f| Some(f.inclusive_cost)),
            values(new_runs, new_ids, |f| Some(f.inclusive_cost)),
            options,
        );
        let status = match (base_entry, new_entry) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => {
                let calls_moved = matches!(
                    (calls.base_spread, calls.new_spread),
                    (Some(b), Some(n)) if b.median != n.median
                );
                if calls_moved
                    || self_cost.verdict == Verdict::Significant
                    || inclusive_cost.verdict == Verdict::Significant
                {
                    Status::Changed
                } else {
                    Status::Unchanged
                }
            }
        };
        functions.push(FunctionRuns {
            key,
            name,
            display,
            status,
            calls,
            self_cost,
            inclusive_cost,
        });
    }
    sort_functions(&mut functions, SortKey::Inclusive);

    let total = |runs: &[Profile]| runs.iter().map(|p| Some(p.total_cost())).collect();
    let total_cost = MetricRuns::new(total(base_runs), total(new_runs), options);
    let min_p = min_p_value(base_runs.len(), new_runs.len());
    let mut notes = Vec::new();
    if min_p >= options.level {
        notes.push(format!(
            "with {} base and {} new runs the smallest possible p-value is {}, not below the \
             level {}: nothing can be significant; record more runs (5 per side reach p = 0.008)",
            base_runs.len(),
            new_runs.len(),
            format_p(min_p),
            options.level
        ));
    }
    for profile in base_runs.iter().chain(new_runs) {
        if let Some(precision) = profile.meta.precision {
            if precision > options.min_effect_abs {
                notes.push(format!(
                    "{} records times only to {}; smaller changes cannot be seen",
                    profile.meta.path,
                    units::cost(precision, unit)
                ));
                break;
            }
        }
    }
    Ok(RunsDiff {
        unit: unit.clone(),
        base_paths: base_runs.iter().map(|p| p.meta.path.clone()).collect(),
        new_paths: new_runs.iter().map(|p| p.meta.path.clone()).collect(),
        level: options.level,
        min_effect: options.min_effect,
        min_effect_abs: options.min_effect_abs,
        min_p,
        total_cost,
        functions,
        notes,
    })
}

/// Expands `--base`/`--new` arguments: a directory stands for the files in it
/// (not hidden ones, not subdirectories), in natural order so `run2` comes
/// before `run10`; anything else is kept as given (`-` included).
pub fn expand_run_paths(args: &[String]) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for arg in args {
        let path = std::path::Path::new(arg);
        if arg == "-" || !path.is_dir() {
            paths.push(arg.clone());
            continue;
        }
        let io_error = |source: io::Error| Error::Io {
            path: arg.clone(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_file() {
                files.push(entry.path().to_string_lossy().into_owned());
            }
        }
        if files.is_empty() {
            return Err(Error::Input {
                path: arg.clone(),
                message: "directory holds no profiles".to_string(),
            });
        }
        files.sort_by(|a, b| natural_cmp(a, b));
        paths.extend(files);
    }
    Ok(paths)
}

/// Compares runs of digits by value: `run2` < `run10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(text: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &text[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let order = match (x, y) {
            ((true, dx), (true, dy)) => {
                let (tx, ty) = (dx.trim_start_matches('0'), dy.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            _ => x.1.cmp(y.1),
        };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Orders rows: significant ones first, then by the size of the change in
/// `sort` (largest first), then by key. `SortKey::Name` sorts by key only.
pub fn sort_functions(functions: &mut [FunctionRuns], sort: SortKey) {
    let magnitude = |f: &FunctionRuns| -> f64 {
        match sort {
            SortKey::Inclusive => f.inclusive_cost.delta.abs(),
            SortKey::SelfCost => f.self_cost.delta.abs(),
            SortKey::Calls => f.calls.delta().unwrap_or(0.0).abs(),
            SortKey::Name => 0.0,
        }
    };
    let rank = |f: &FunctionRuns| match (f.verdict(), f.status) {
        (Verdict::Significant, _) => 0,
        (_, Status::Changed | Status::Added | Status::Removed) => 1,
        _ => 2,
    };
    functions.sort_by(|a, b| match sort {
        SortKey::Name => a.key.cmp(&b.key),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| magnitude(b).total_cmp(&magnitude(a)))
            .then_with(|| a.key.cmp(&b.key)),
    });
}

impl MetricRuns {
    fn new(base: Vec<Option<f64>>, new: Vec<Option<f64>>, options: &StatsOptions) -> Self {
        // A run without the function did not call it: zero time there.
        let filled =
            |runs: &[Option<f64>]| -> Vec<f64> { runs.iter().map(|v| v.unwrap_or(0.0)).collect() };
        let (base_values, new_values) = (filled(&base), filled(&new));
        let spread = |runs: &[Option<f64>], values: &[f64]| {
            runs.iter()
                .any(Option::is_some)
                .then(|| Spread::of(values))
                .flatten()
        };
        let base_spread = spread(&base, &base_values);
        let new_spread = spread(&new, &new_values);
        let base_median = base_spread.map_or(0.0, |s| s.median);
        let new_median = new_spread.map_or(0.0, |s| s.median);
        let delta = new_median - base_median;
        let pct = (base_median != 0.0).then(|| delta / base_median.abs() * 100.0);
        let test = mann_whitney_u(&base_values, &new_values).unwrap_or(MannWhitney {
            u: f64::NAN,
            p: 1.0,
            method: TestMethod::Exact,
        });
        let floor = (options.min_effect * base_median.abs()).max(options.min_effect_abs);
        let verdict = if test.p < options.level && delta.abs() >= floor {
            Verdict::Significant
        } else {
            Verdict::Noise
        };
        MetricRuns {
            base,
            new,
            base_spread,
            new_spread,
            delta,
            pct,
            test,
            verdict,
        }
    }
}

impl CallRuns {
    fn new(base: Vec<Option<u64>>, new: Vec<Option<u64>>) -> Self {
        // Counts exist when the format has them; an absent run then counts 0.
        let spread = |runs: &[Option<u64>], present: bool| -> Option<Spread> {
            if !present {
                return None;
            }
            let values: Vec<f64> = runs.iter().map(|c| c.unwrap_or(0) as f64).collect();
            Spread::of(&values)
        };
        let varies = |runs: &[Option<u64>]| {
            let first = runs.first().copied().flatten().unwrap_or(0);
            runs.iter().any(|c| c.unwrap_or(0) != first)
        };
        let base_has = base.iter().any(Option::is_some);
        let new_has = new.iter().any(Option::is_some);
        CallRuns {
            base_spread: spread(&base, base_has),
            new_spread: spread(&new, new_has),
            varies: (base_has && varies(&base), new_has && varies(&new)),
            base,
            new,
        }
    }
}

/// Per run, the value of one function (absent → `None`).
fn values<T>(
    runs: &[Profile],
    ids: Option<&[Option<FunctionId>]>,
    get: impl Fn(&Function) -> Option<T>,
) -> Vec<Option<T>> {
    (0..runs.len())
        .map(|run| {
            let id = ids.and_then(|ids| ids.get(run).copied().flatten())?;
            runs[run].functions.get(id).and_then(&get)
        })
        .collect()
}

fn first_present<'p>(
    runs: &'p [Profile],
    ids: Option<&[Option<FunctionId>]>,
    files: &'p [Vec<Option<String>>],
) -> Option<(&'p Function, Option<&'p str>)> {
    let ids = ids?;
    ids.iter().enumerate().find_map(|(run, id)| {
        let id = (*id)?;
        let function = runs.get(run)?.functions.get(id)?;
        Some((function, files[run].get(id)?.as_deref()))
    })
}

/// The functions of all runs of one side, each with its id in every run.
/// Entries `0..n` are the first run's functions in id order; functions only
/// later runs have follow.
struct SideUnion {
    ids: Vec<Vec<Option<FunctionId>>>,
    /// For entries past the first run's functions: their key.
    extra_keys: Vec<(String, usize)>,
}

impl SideUnion {
    fn new(runs: &[Profile], opts: &AlignOptions) -> Self {
        let reference = &runs[0];
        let n_runs = runs.len();
        let mut ids: Vec<Vec<Option<FunctionId>>> = (0..reference.functions.len())
            .map(|id| {
                let mut row = vec![None; n_runs];
                row[0] = Some(id);
                row
            })
            .collect();
        let mut extra_keys = Vec::new();
        let mut extra_by_key: HashMap<String, usize> = HashMap::new();
        for (run_index, run) in runs.iter().enumerate().skip(1) {
            for row in align::align(reference, run, opts) {
                match (row.base, row.new) {
                    (Some(first), Some(id)) => ids[first][run_index] = Some(id),
                    (None, Some(id)) => {
                        let entry = *extra_by_key.entry(row.key.clone()).or_insert_with(|| {
                            ids.push(vec![None; n_runs]);
                            extra_keys.push((row.key.clone(), ids.len() - 1));
                            ids.len() - 1
                        });
                        ids[entry][run_index] = Some(id);
                    }
                    _ => {}
                }
            }
        }
        SideUnion { ids, extra_keys }
    }
}

/// Rows `(key, base entry, new entry)`: the first runs aligned with each
/// other, then the functions only later runs have, paired by key.
fn join_sides(
    base: &SideUnion,
    new: &SideUnion,
    base_ref: &Profile,
    new_ref: &Profile,
    opts: &AlignOptions,
) -> Vec<(String, Option<usize>, Option<usize>)> {
    let mut rows: Vec<(String, Option<usize>, Option<usize>)> =
        align::align(base_ref, new_ref, opts)
            .into_iter()
            .map(|row| (row.key, row.base, row.new))
            .collect();
    let mut taken: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| (row.0.clone(), index))
        .collect();
    let mut extra_rows: HashMap<String, usize> = HashMap::new();
    let unique = |key: &str, taken: &HashMap<String, usize>| -> String {
        let mut candidate = key.to_string();
        let mut n = 2;
        while taken.contains_key(&candidate) {
            candidate = format!("{key}@run{n}");
            n += 1;
        }
        candidate
    };
    for (is_base, side) in [(true, base), (false, new)] {
        for (key, entry) in &side.extra_keys {
            if let Some(&row) = extra_rows.get(key) {
                let slot = if is_base {
                    &mut rows[row].1
                } else {
                    &mut rows[row].2
                };
                if slot.is_none() {
                    *slot = Some(*entry);
                    continue;
                }
            }
            let final_key = unique(key, &taken);
            let row = rows.len();
            rows.push((
                final_key.clone(),
                is_base.then_some(*entry),
                (!is_base).then_some(*entry),
            ));
            taken.insert(final_key, row);
            extra_rows.entry(key.clone()).or_insert(row);
        }
    }
    rows
}

/// The smallest two-sided p-value of the exact test for these sample sizes.
pub fn min_p_value(n1: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    // 2 / C(n1 + n2, n1), in floating point (it only needs to be close).
    let mut combinations = 1.0f64;
    for i in 0..n1.min(n2) {
        combinations = combinations * (n1 + n2 - i) as f64 / (i + 1) as f64;
    }
    (2.0 / combinations).min(1.0)
}

/// Two-sided Mann–Whitney U test of `x` against `y`, as SciPy's
/// `mannwhitneyu(x, y, alternative='two-sided')` computes it with its
/// defaults (`method='auto'`, `use_continuity=True`). `None` when a sample is
/// empty or holds a non-finite value.
///
/// * statistic: U₁ = R₁ − n₁(n₁+1)/2, R₁ the sum of x's ranks (ties get the
///   average rank);
/// * `method='auto'`: exact when min(n₁, n₂) ≤ 8 and nothing is tied, the
///   normal approximation otherwise;
/// * exact: p = 2·P(U ≥ max(U₁, U₂)) under the null, from the counts of the
///   Gaussian binomial coefficient [n₁+n₂ choose n₁] (exact integers);
/// * approximation: z = (max(U₁, U₂) − n₁n₂/2 − ½) / σ with
///   σ² = n₁n₂/12 · ((n+1) − Σ(t³−t)/(n(n−1))), p = 2·Φ(−z);
/// * p is clipped to [0, 1].
///
/// Should the exact counts not fit 128-bit integers (one side ≤ 8 runs, the
/// other tens of thousands), the approximation is used instead.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks; collect tie group sizes for the correction.
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut ties = false;
    let mut start = 0;
    while start < all.len() {
        let mut end = start + 1;
        while end < all.len() && all[end].0 == all[start].0 {
            end += 1;
        }
        let size = (end - start) as f64;
        // Ranks start + 1 ..= end, averaged.
        let rank = (start + 1 + end) as f64 / 2.0;
        rank_sum_x += rank * all[start..end].iter().filter(|v| v.1).count() as f64;
        if end - start > 1 {
            ties = true;
            tie_term += size * size * size - size;
        }
        start = end;
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_x - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let u = u1.max(u2);
    // SciPy: asymptotic when both samples exceed 8 or anything is tied.
    let exact = !(ties || (n1 > 8 && n2 > 8));
    if exact {
        // Without ties every rank is an integer, so U is too.
        if let Some(sf) = exact_sf(u.round() as usize, n1.min(n2), n1.max(n2)) {
            return Some(MannWhitney {
                u: u1,
                p: (2.0 * sf).clamp(0.0, 1.0),
                method: TestMethod::Exact,
            });
        }
    }
    let n = f1 + f2;
    let mu = f1 * f2 / 2.0;
    let sigma = (f1 * f2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let numerator = u - mu - 0.5;
    let z = if sigma > 0.0 {
        numerator / sigma
    } else if numerator < 0.0 {
        f64::NEG_INFINITY
    } else {
        f64::INFINITY
    };
    Some(MannWhitney {
        u: u1,
        p: (2.0 * normal_sf(z)).clamp(0.0, 1.0),
        method: TestMethod::Asymptotic,
    })
}

/// P(U ≥ u) for samples of sizes `m ≤ n` with no ties, or `None` when the
/// counts overflow 128 bits.
fn exact_sf(u: usize, m: usize, n: usize) -> Option<f64> {
    let counts = u_counts(m, n)?;
    let total: i128 = counts.iter().try_fold(0i128, |a, &c| a.checked_add(c))?;
    let above: i128 = counts
        .iter()
        .skip(u)
        .try_fold(0i128, |a, &c| a.checked_add(c))?;
    Some(above as f64 / total as f64)
}

/// The number of arrangements giving each U = 0..=m·n: the coefficients of
/// the Gaussian binomial [m+n choose m]_q = ∏_{i=1..m} (1 − q^{n+i}) / (1 − q^i).
/// After each factor the partial product is itself a Gaussian binomial, so
/// every division is exact.
fn u_counts(m: usize, n: usize) -> Option<Vec<i128>> {
    let top = m.checked_mul(n)?.checked_add(m)?;
    let mut c = vec![0i128; top + 1];
    c[0] = 1;
    let mut degree = 0;
    for i in 1..=m {
        let shift = n + i;
        for k in (shift..=degree + shift).rev() {
            c[k] = c[k].checked_sub(c[k - shift])?;
        }
        for k in i..=degree + shift {
            c[k] = c[k].checked_add(c[k - i])?;
        }
        degree += n;
    }
    c.truncate(m * n + 1);
    Some(c)
}

/// Upper tail of the standard normal distribution, 1 − Φ(z).
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function to about 1e-14 relative accuracy:
/// a positive-term series for erf below 2, a continued fraction above.
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x > 27.0 {
        return 0.0;
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.0 {
        // erf x = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (2n+1)!!  (all terms positive)
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut k = 0.0;
        while term > sum * 1e-17 {
            k += 1.0;
            term *= 2.0 * x2 / (2.0 * k + 1.0);
            sum += term;
        }
        return 1.0 - two_over_sqrt_pi * (-x2).exp() * sum;
    }
    // erfc x = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    // evaluated from the tail; 120 levels are plenty for x ≥ 2.
    let mut t = x;
    for k in (1..=120).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() * (two_over_sqrt_pi / 2.0) / t
}

// ---------------------------------------------------------------- rendering

const ARROW: &str = " → ";
const ABSENT: &str = "—";

/// p-values as people read them: `0.0079`, `0.31`, `<0.0001`.
pub fn format_p(p: f64) -> String {
    if p.is_nan() {
        ABSENT.to_string()
    } else if p < 0.0001 {
        "<0.0001".to_string()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.2}")
    }
}

/// Writes the multi-run comparison: a header with the runs and the test, the
/// total, then one row per function (at most `top`), then the functions
/// whose call counts vary between runs.
pub fn write_text(
    out: &mut dyn Write,
    diff: &RunsDiff,
    style: Style,
    top: Option<usize>,
) -> io::Result<()> {
    let unit = &diff.unit;
    for (label, paths, metric) in [
        ("base", &diff.base_paths, diff.total_cost.base_spread),
        ("new", &diff.new_paths, diff.total_cost.new_spread),
    ] {
        let spread = metric.map(|s| spread_text(s, unit)).unwrap_or_default();
        writeln!(
            out,
            "{}  {} runs: {}  {}",
            paint(label, Tone::Header, style.color),
            paths.len(),
            paths_text(paths),
            paint(&format!("total {spread}"), Tone::Dim, style.color)
        )?;
    }
    let total = &diff.total_cost;
    let total_label = if unit.is_time() {
        "total time"
    } else {
        "total cost"
    };
    writeln!(
        out,
        "{total_label} (median) {}{}{} ({}{})   p = {}  {}",
        median_text(total.base_spread, unit),
        ARROW,
        median_text(total.new_spread, unit),
        units::cost_delta(total.delta, unit),
        total
            .pct
            .map(|p| format!(", {}", units::pct(p)))
            .unwrap_or_default(),
        format_p(total.test.p),
        paint(
            total.verdict.name(),
            verdict_tone(total.verdict, total.delta),
            style.color
        )
    )?;
    writeln!(
        out,
        "functions: {} significant, {} added, {} removed, {} changed, {} unchanged; \
         call counts vary between runs: {}",
        units::grouped(diff.significant() as i128),
        units::grouped(diff.count(Status::Added) as i128),
        units::grouped(diff.count(Status::Removed) as i128),
        units::grouped(diff.count(Status::Changed) as i128),
        units::grouped(diff.count(Status::Unchanged) as i128),
        units::grouped(diff.unstable_calls().count() as i128),
    )?;
    writeln!(
        out,
        "{}",
        paint(
            &format!(
                "significant: two-sided Mann–Whitney U p < {} and |Δmedian| ≥ max({}% of base, {})",
                diff.level,
                trim_number(diff.min_effect * 100.0),
                units::cost(diff.min_effect_abs, unit)
            ),
            Tone::Dim,
            style.color
        )
    )?;
    for note in &diff.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out)?;

    let self_label = if unit.is_time() {
        "self (median)"
    } else {
        "self cost (median)"
    };
    let mut table = Table::new(vec![
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Left,
        Align::Left,
    ]);
    table.push(
        [
            "calls",
            self_label,
            "Δself",
            "p",
            "inclusive (median)",
            "Δincl",
            "Δ%",
            "p",
            "verdict",
            "function",
        ]
        .into_iter()
        .map(|h| Cell::new(h, Tone::Header))
        .collect(),
    );
    let shown = top.unwrap_or(usize::MAX).min(diff.functions.len());
    for f in &diff.functions[..shown] {
        let verdict = f.verdict();
        let tone = verdict_tone(verdict, f.inclusive_cost.delta);
        let metric_tone = |m: &MetricRuns| verdict_tone(m.verdict, m.delta);
        table.push(vec![
            Cell::plain(calls_text(&f.calls)),
            Cell::plain(change_text(&f.self_cost, unit)),
            Cell::new(
                units::cost_delta(f.self_cost.delta, unit),
                metric_tone(&f.self_cost),
            ),
            Cell::new(format_p(f.self_cost.test.p), Tone::Dim),
            Cell::plain(change_text(&f.inclusive_cost, unit)),
            Cell::new(
                units::cost_delta(f.inclusive_cost.delta, unit),
                metric_tone(&f.inclusive_cost),
            ),
            Cell::plain(f.inclusive_cost.pct.map(units::pct).unwrap_or_default()),
            Cell::new(format_p(f.inclusive_cost.test.p), Tone::Dim),
            Cell::new(verdict.name(), tone),
            Cell::plain(f.display.clone()),
        ]);
    }
    table.write(out, style)?;
    if shown < diff.functions.len() {
        writeln!(
            out,
            "{}",
            paint(
                &format!(
                    "… {} more rows (--top 0 shows all)",
                    diff.functions.len() - shown
                ),
                Tone::Dim,
                style.color
            )
        )?;
    }

    let unstable: Vec<&FunctionRuns> = diff.unstable_calls().collect();
    if !unstable.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "call counts that vary between runs of one side (their times are not comparable run to run):"
        )?;
        const LIMIT: usize = 10;
        for f in unstable.iter().take(LIMIT) {
            let list = |runs: &[Option<u64>]| {
                runs.iter()
                    .map(|c| c.map_or(ABSENT.to_string(), |c| units::grouped(c as i128)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            writeln!(
                out,
                "  base [{}]  new [{}]  {}",
                list(&f.calls.base),
                list(&f.calls.new),
                f.display
            )?;
        }
        if unstable.len() > LIMIT {
            writeln!(out, "  … {} more", unstable.len() - LIMIT)?;
        }
    }
    Ok(())
}

/// `5`, `2.5`, `0.1`: no float noise (0.07 × 100 = 7.000000000000001).
fn trim_number(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn verdict_tone(verdict: Verdict, delta: f64) -> Tone {
    match verdict {
        Verdict::Noise => Tone::Dim,
        Verdict::Significant if delta > 0.0 => Tone::Worse,
        Verdict::Significant => Tone::Better,
    }
}

fn paths_text(paths: &[String]) -> String {
    match paths {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] => {
            // `runs/before/run1.prof … run5.prof`: the common directory once.
            let last_name = last.rsplit('/').next().unwrap_or(last);
            format!("{first} … {last_name}")
        }
    }
}

fn median_text(spread: Option<Spread>, unit: &Unit) -> String {
    spread.map_or(ABSENT.to_string(), |s| units::cost(s.median, unit))
}

fn spread_text(spread: Spread, unit: &Unit) -> String {
    format!(
        "{} [{}–{}]",
        units::cost(spread.median, unit),
        units::cost(spread.min, unit),
        units::cost(spread.max, unit)
    )
}

fn change_text(metric: &MetricRuns, unit: &Unit) -> String {
    format!(
        "{}{ARROW}{}",
        median_text(metric.base_spread, unit),
        median_text(metric.new_spread, unit)
    )
}

fn calls_text(calls: &CallRuns) -> String {
    let side = |spread: Option<Spread>, varies: bool| match spread {
        None => ABSENT.to_string(),
        Some(s) if varies => format!(
            "{}–{}",
            units::grouped(s.min as i128),
            units::grouped(s.max as i128)
        ),
        Some(s) => units::grouped(s.median.round() as i128),
    };
    let (base, new) = (
        side(calls.base_spread, calls.varies.0),
        side(calls.new_spread, calls.varies.1),
    );
    if base == new && !calls.varies.0 && !calls.varies.1 {
        base
    } else {
        format!("{base}{ARROW}{new}")
    }
}

// ---------------------------------------------------------------- JSON

fn spread_wire(spread: Option<Spread>) -> Option<wire::RunsSpread> {
    spread.map(|s| wire::RunsSpread {
        median: s.median,
        min: s.min,
        max: s.max,
    })
}

fn metric_wire(metric: &MetricRuns) -> wire::RunsMetric {
    wire::RunsMetric {
        base: metric.base.clone(),
        new: metric.new.clone(),
        base_summary: spread_wire(metric.base_spread),
        new_summary: spread_wire(metric.new_spread),
        delta: metric.delta,
        pct: metric.pct,
        u: (!metric.test.u.is_nan()).then_some(metric.test.u),
        p: metric.test.p,
        method: metric.test.method.name().to_string(),
        verdict: metric.verdict.name().to_string(),
    }
}

/// Splits a metric into the `*_time` field (seconds) or the `*_cost` field,
/// like the single-run JSON.
fn by_unit(
    unit: &Unit,
    metric: &MetricRuns,
) -> (Option<wire::RunsMetric>, Option<wire::RunsMetric>) {
    if unit.is_time() {
        (Some(metric_wire(metric)), None)
    } else {
        (None, Some(metric_wire(metric)))
    }
}

/// The JSON document of a multi-run comparison (`rows`: the functions to
/// list, already filtered and cut to `--top`; pass `&diff.functions` for all).
pub fn to_wire(diff: &RunsDiff, rows: &[&FunctionRuns]) -> wire::RunsDocument {
    let unit = &diff.unit;
    let (total_time, total_cost) = by_unit(unit, &diff.total_cost);
    wire::RunsDocument {
        schema_version: wire::SCHEMA_VERSION,
        kind: "runs".to_string(),
        unit: unit.name().to_string(),
        base: wire::RunsSide {
            paths: diff.base_paths.clone(),
        },
        new: wire::RunsSide {
            paths: diff.new_paths.clone(),
        },
        test: wire::RunsTest {
            method: "mann-whitney-u".to_string(),
            alternative: "two-sided".to_string(),
            level: diff.level,
            min_effect: diff.min_effect,
            min_effect_abs: diff.min_effect_abs,
            min_p: diff.min_p,
        },
        summary: wire::RunsSummary {
            total_time,
            total_cost,
            significant: diff.significant(),
            added: diff.count(Status::Added),
            removed: diff.count(Status::Removed),
            changed: diff.count(Status::Changed),
            unchanged: diff.count(Status::Unchanged),
            unstable_calls: diff.unstable_calls().map(|f| f.key.clone()).collect(),
        },
        functions: rows
            .iter()
            .map(|f| {
                let (self_time, self_cost) = by_unit(unit, &f.self_cost);
                let (inclusive_time, inclusive_cost) = by_unit(unit, &f.inclusive_cost);
                wire::RunsFunction {
                    key: f.key.clone(),
                    name: f.name.clone(),
                    display: f.display.clone(),
                    status: f.status.name().to_string(),
                    verdict: f.verdict().name().to_string(),
                    calls: wire::RunsCalls {
                        base: f.calls.base.clone(),
                        new: f.calls.new.clone(),
                        base_summary: spread_wire(f.calls.base_spread),
                        new_summary: spread_wire(f.calls.new_spread),
                        delta: f.calls.delta(),
                        varies: wire::Sides {
                            base: Some(f.calls.varies.0),
                            new: Some(f.calls.varies.1),
                        },
                    },
                    self_time,
                    inclusive_time,
                    self_cost,
                    inclusive_cost,
                }
            })
            .collect(),
        notes: diff.notes.clone(),
        lambda: None,
        verdict: None,
    }
}

/// Writes [`to_wire`] as pretty JSON.
pub fn write_json(out: &mut dyn Write, diff: &RunsDiff, rows: &[&FunctionRuns]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_wire(diff, rows))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        // `python3 -c 'import math; print(repr(math.erfc(x)))'` for these x.
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.9, 0.0072095707647425325),
            (2.0, 0.004677734981047265),
            (3.0, 2.2090496998585438e-05),
            (5.0, 1.5374597944280351e-12),
            (-1.0, 1.842700792949715),
        ] {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "erfc({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn verdict_needs_both_p_and_the_minimum_effect() {
        let options = StatsOptions::default();
        let runs = |values: &[f64]| values.iter().map(|&v| Some(v)).collect::<Vec<_>>();
        // Fully separated (p = 0.0079) but only 6 µs apart: below 0.5 ms.
        let tiny = MetricRuns::new(
            runs(&[8.1e-6, 8.0e-6, 8.3e-6, 8.2e-6, 8.4e-6]),
            runs(&[2.0e-6, 2.1e-6, 2.2e-6, 1.9e-6, 2.3e-6]),
            &options,
        );
        assert!(tiny.test.p < 0.01);
        assert_eq!(tiny.verdict, Verdict::Noise);
        // 10 ms apart but overlapping: p too large.
        let overlapping = MetricRuns::new(
            runs(&[0.10, 0.13, 0.16, 0.19, 0.22]),
            runs(&[0.11, 0.14, 0.17, 0.20, 0.23]),
            &options,
        );
        assert!(overlapping.test.p > 0.5);
        assert_eq!(overlapping.verdict, Verdict::Noise);
        // Separated, 1 ms on 10 ms (10%): significant; with a 20% floor not.
        let base = runs(&[0.0100, 0.0101, 0.0099, 0.0100, 0.0102]);
        let new = runs(&[0.0110, 0.0111, 0.0109, 0.0112, 0.0110]);
        assert_eq!(
            MetricRuns::new(base.clone(), new.clone(), &options).verdict,
            Verdict::Significant
        );
        let strict = StatsOptions {
            min_effect: 0.2,
            ..StatsOptions::default()
        };
        assert_eq!(MetricRuns::new(base, new, &strict).verdict, Verdict::Noise);
        // A function absent from two base runs counts 0 there.
        let partial = MetricRuns::new(vec![None, Some(1.0), None], vec![Some(1.0); 3], &options);
        assert_eq!(partial.base_spread.unwrap().median, 0.0);
        assert_eq!(partial.delta, 1.0);
        assert_eq!(partial.pct, None);
    }

    #[test]
    fn natural_order_of_run_files() {
        let mut names = vec![
            "run10.prof",
            "run2.prof",
            "run1.prof",
            "run02b.prof",
            "a.prof",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "a.prof",
                "run1.prof",
                "run2.prof",
                "run02b.prof",
                "run10.prof"
            ]
        );
    }

    #[test]
    fn gaussian_binomial_counts() {
        // [4 choose 2]_q = 1 + q + 2q² + q³ + q⁴
        assert_eq!(u_counts(2, 2).unwrap(), vec![1, 1, 2, 1, 1]);
        let counts = u_counts(5, 5).unwrap();
        assert_eq!(counts.iter().sum::<i128>(), 252);
        assert_eq!(counts.len(), 26);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[25], 1);
    }

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
