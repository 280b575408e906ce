//! The diff engine: pure arithmetic over two aligned profiles, no I/O.
//!
//! The result is data (tagged entries with `base`/`new` values) so every
//! renderer (text, JSON, and later Markdown or snapshots) works from the same
//! numbers.

use std::collections::HashMap;

use crate::align::{self, AlignOptions};
use crate::error::{Error, Remedy, Result};
use crate::model::{FunctionId, Profile, Unit};

/// A value on both sides; `None` where the function (or the number) is absent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Change<T> {
    /// The value in the base profile; `None` where it is absent there.
    pub base: Option<T>,
    /// The value in the new profile; `None` where it is absent there.
    pub new: Option<T>,
    /// The thing exists on both sides but one side does not record this
    /// number (primitive calls in a callgrind file, calls in a sampled
    /// profile): then there is no delta, and no change.
    pub unrecorded: bool,
}

impl<T: Copy + Into<f64>> Change<T> {
    /// A value of something that may exist on one side only: an absent side
    /// is absent, and counts as zero in the delta (an added function's calls
    /// grew from nothing).
    pub fn new(base: Option<T>, new: Option<T>) -> Self {
        Change {
            base,
            new,
            unrecorded: false,
        }
    }

    /// A number of something that exists on both sides: a `None` is a
    /// number that side does not record, so the change is unknown.
    pub fn recorded(base: Option<T>, new: Option<T>) -> Self {
        Change {
            base,
            new,
            unrecorded: base.is_some() != new.is_some(),
        }
    }

    /// new − base, with an absent side counted as zero; `None` when both are
    /// absent or a side does not record the number.
    pub fn delta(&self) -> Option<f64> {
        if self.unrecorded || (self.base.is_none() && self.new.is_none()) {
            return None;
        }
        let base = self.base.map_or(0.0, Into::into);
        let new = self.new.map_or(0.0, Into::into);
        Some(new - base)
    }

    /// Relative change in percent; `None` when the base is absent or zero,
    /// or a side does not record the number.
    pub fn pct(&self) -> Option<f64> {
        if self.unrecorded {
            return None;
        }
        let base: f64 = self.base?.into();
        let new: f64 = self.new.map_or(0.0, Into::into);
        (base != 0.0).then(|| (new - base) / base.abs() * 100.0)
    }
}

/// Call counts can exceed 2^53 only in theory; the f64 view is for deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(pub u64);

impl From<Count> for f64 {
    fn from(count: Count) -> f64 {
        count.0 as f64
    }
}

/// How a function fared between the two profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Only in the new profile.
    Added,
    /// Only in the base profile.
    Removed,
    /// On both sides, and a call count or a time moved beyond the threshold.
    Changed,
    /// On both sides, with the same calls and times within the threshold.
    Unchanged,
}

impl Status {
    /// Stable lower-case name, as in JSON (`"added"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One caller's share of a function's change.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerDiff {
    /// The caller's alignment key.
    pub key: String,
    /// The caller's pstats-like label.
    pub display: String,
    /// Calls it made to the function, per side.
    pub calls: Change<Count>,
    /// The function's inclusive cost brought in along this edge, per side.
    pub inclusive_cost: Change<f64>,
    /// When this caller is a pass-through wrapper, its own callers.
    pub callers: Vec<CallerDiff>,
}

/// One aligned function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDiff {
    /// Normalised alignment key (`botocore/session.py:create_client`).
    pub key: String,
    /// pstats-like label with shortened path; shows `8→10` when the line moved.
    pub display: String,
    /// The function in the base profile (index into its functions).
    pub base_id: Option<FunctionId>,
    /// The function in each profile: its name and file as recorded are
    /// there (not copied here, to keep big diffs small).
    pub new_id: Option<FunctionId>,
    /// The function's first line on each side.
    pub line: Change<u32>,
    /// Added, removed, changed or unchanged.
    pub status: Status,
    /// Total calls, recursive ones included.
    pub calls: Change<Count>,
    /// Calls that were not recursive (pstats' primitive calls).
    pub primitive_calls: Change<Count>,
    /// Cost in the function itself.
    pub self_cost: Change<f64>,
    /// The inclusive cost, or where a side has only a range for it (see
    /// [`crate::model::Function::inclusive_min`]), that range's upper end.
    pub inclusive_cost: Change<f64>,
    /// The lower end of each side's inclusive range; `None` where that
    /// side's inclusive cost is exact (or the function is absent).
    pub inclusive_min: Change<f64>,
    /// Filled when [`DiffOptions::callers`] is set; largest change first.
    pub callers: Vec<CallerDiff>,
}

impl FunctionDiff {
    /// True when a side's inclusive cost is only known as a range.
    pub fn inclusive_is_range(&self) -> bool {
        self.inclusive_min.base.is_some() || self.inclusive_min.new.is_some()
    }

    /// The change in inclusive cost that is certain: the delta when both
    /// sides are exact; with a range on a side, the gap between the two
    /// ranges (0 when they overlap), signed. `None` when neither side has
    /// the function.
    pub fn certain_inclusive_delta(&self) -> Option<f64> {
        let delta = self.inclusive_cost.delta()?;
        if !self.inclusive_is_range() {
            return Some(delta);
        }
        let range = |value: Option<f64>, min: Option<f64>| {
            let value = value.unwrap_or(0.0);
            (min.unwrap_or(value), value)
        };
        let (base_min, base_max) = range(self.inclusive_cost.base, self.inclusive_min.base);
        let (new_min, new_max) = range(self.inclusive_cost.new, self.inclusive_min.new);
        Some(if new_min > base_max {
            new_min - base_max
        } else if new_max < base_min {
            new_max - base_min
        } else {
            0.0
        })
    }

    /// The function as the new profile recorded it, else as the base did.
    pub fn function<'p>(&self, base: &'p Profile, new: &'p Profile) -> &'p crate::model::Function {
        match (self.new_id, self.base_id) {
            (Some(id), _) => &new.functions[id],
            (None, Some(id)) => &base.functions[id],
            (None, None) => unreachable!("an aligned row has at least one side"),
        }
    }
}

/// Kinds of rows a report can keep (`--only`). A row is a **regression**
/// when it is new, or its certain inclusive change is above the threshold,
/// or, with inclusive time within it, its calls grew (or, with calls equal,
/// its self time grew beyond the threshold); an **improvement** the other
/// way round (removed rows are improvements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RowKind {
    /// Rows that got worse.
    Regressions,
    /// Rows that got better.
    Improvements,
    /// Rows on both sides that changed.
    Changed,
    /// Rows only in the new profile.
    Added,
    /// Rows only in the base profile.
    Removed,
}

impl RowKind {
    /// Stable lower-case name (`regressions`, …).
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Regressions => "regressions",
            RowKind::Improvements => "improvements",
            RowKind::Changed => "changed",
            RowKind::Added => "added",
            RowKind::Removed => "removed",
        }
    }
}

impl FunctionDiff {
    /// Whether the row is of `kind`, with `threshold` the diff's change
    /// threshold.
    pub fn is(&self, kind: RowKind, threshold: f64) -> bool {
        match kind {
            RowKind::Added => self.status == Status::Added,
            RowKind::Removed => self.status == Status::Removed,
            RowKind::Changed => self.status == Status::Changed,
            RowKind::Regressions => self.direction(threshold) > 0,
            RowKind::Improvements => self.direction(threshold) < 0,
        }
    }

    /// +1 worse, −1 better, 0 neither (see [`RowKind`]).
    fn direction(&self, threshold: f64) -> i8 {
        match self.status {
            Status::Added => return 1,
            Status::Removed => return -1,
            Status::Unchanged => return 0,
            Status::Changed => {}
        }
        let sign = |d: f64, floor: f64| {
            if d > floor {
                1
            } else if d < -floor {
                -1
            } else {
                0
            }
        };
        let inclusive = sign(self.certain_inclusive_delta().unwrap_or(0.0), threshold);
        if inclusive != 0 {
            return inclusive;
        }
        let calls = sign(self.calls.delta().unwrap_or(0.0), 0.0);
        if calls != 0 {
            return calls;
        }
        sign(self.self_cost.delta().unwrap_or(0.0), threshold)
    }
}

/// How many functions have each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts {
    /// Functions only in the new profile.
    pub added: usize,
    /// Functions only in the base profile.
    pub removed: usize,
    /// Functions on both sides whose calls or times moved.
    pub changed: usize,
    /// Functions on both sides that did not change.
    pub unchanged: usize,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileDiff {
    /// Unit of every cost in the diff (both profiles share it).
    pub unit: Unit,
    /// The profiles' total cost.
    pub total_cost: Change<f64>,
    /// Σ calls; no delta when a side does not count every function's calls.
    pub total_calls: Change<Count>,
    /// Σ primitive calls.
    pub primitive_calls: Change<Count>,
    /// How many functions have each status.
    pub counts: StatusCounts,
    /// The threshold that separated changed from unchanged times.
    pub cost_threshold: f64,
    /// One row per aligned function, in alignment order until sorted.
    pub functions: Vec<FunctionDiff>,
    /// What the reader should know about how the two were compared (see
    /// [`align::notes`]).
    pub notes: Vec<String>,
}

/// Knobs of the diff engine.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// How functions are keyed and paired (see [`crate::align`]).
    pub align: AlignOptions,
    /// Compute each function's caller breakdown (costs time on big profiles).
    pub callers: bool,
    /// A self or inclusive cost change at or below this counts as unchanged.
    /// `None` picks [`default_cost_threshold`].
    pub cost_threshold: Option<f64>,
}

/// 0.1% of the larger total, but never finer than what the inputs can
/// express: real timings always jitter, and calling every function "changed"
/// would bury the ones that are.
pub fn default_cost_threshold(base: &Profile, new: &Profile) -> f64 {
    threshold_for(base, new, base.total_cost(), new.total_cost())
}

/// [`default_cost_threshold`] for totals already known.
fn threshold_for(base: &Profile, new: &Profile, base_total: f64, new_total: f64) -> f64 {
    let larger_total = base_total.abs().max(new_total.abs());
    let precision = base
        .meta
        .precision
        .unwrap_or(0.0)
        .max(new.meta.precision.unwrap_or(0.0));
    (larger_total * 0.001).max(precision)
}

/// Aligns and diffs two profiles. Fails when their units cannot be compared.
pub fn diff(base: &Profile, new: &Profile, options: &DiffOptions) -> Result<ProfileDiff> {
    if base.meta.unit != new.meta.unit {
        return Err(units_differ(base, new));
    }
    let mut aligned = align::align(base, new, &options.align);
    // Each total is a sum over every function: made once.
    let (base_total, new_total) = (base.total_cost(), new.total_cost());
    let threshold = options
        .cost_threshold
        .unwrap_or_else(|| threshold_for(base, new, base_total, new_total));
    let (base_files, new_files) = crate::parallel::join(
        || align::normalized_files(base, &options.align),
        || align::normalized_files(new, &options.align),
    );

    // Rows are consumed so their keys move into the result instead of being
    // copied: on 100k-function profiles every per-row allocation shows in
    // the peak memory. Rows are independent: made on every core, in order.
    let make_row = |row: &mut align::Aligned| {
        let b = row.base.map(|id| &base.functions[id]);
        let n = row.new.map(|id| &new.functions[id]);
        // A count one side does not record is no change; an absent
        // function's count is (it grew from, or fell to, nothing).
        let count_change = |count: fn(&crate::model::Function) -> Option<u64>| {
            let (x, y) = (b.and_then(count).map(Count), n.and_then(count).map(Count));
            if b.is_some() && n.is_some() {
                Change::recorded(x, y)
            } else {
                Change::new(x, y)
            }
        };
        let calls = count_change(|f| f.calls);
        let primitive_calls = count_change(|f| f.primitive_calls);
        let self_cost = Change::new(b.map(|f| f.self_cost), n.map(|f| f.self_cost));
        let inclusive_cost = Change::new(b.map(|f| f.inclusive_cost), n.map(|f| f.inclusive_cost));
        let inclusive_min = Change::new(
            b.and_then(|f| f.inclusive_min),
            n.and_then(|f| f.inclusive_min),
        );
        let line = Change::new(b.and_then(|f| f.line), n.and_then(|f| f.line));
        let mut row = FunctionDiff {
            key: std::mem::take(&mut row.key),
            display: String::new(),
            base_id: row.base,
            new_id: row.new,
            line,
            status: Status::Unchanged,
            calls,
            primitive_calls,
            self_cost,
            inclusive_cost,
            inclusive_min,
            callers: Vec::new(),
        };
        row.status = match (b, n) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => {
                let counted = |c: Change<Count>| c.delta().is_some_and(|d| d != 0.0);
                let moved = |d: Option<f64>| d.is_some_and(|d| d.abs() > threshold);
                if counted(row.calls)
                    || counted(row.primitive_calls)
                    || moved(row.self_cost.delta())
                    || moved(row.certain_inclusive_delta())
                {
                    Status::Changed
                } else {
                    Status::Unchanged
                }
            }
        };
        let (shown, shown_file) = match (n, row.new_id, row.base_id) {
            (Some(f), Some(id), _) => (f, new_files[id].as_deref()),
            (_, _, Some(id)) => (&base.functions[id], base_files[id].as_deref()),
            _ => unreachable!("an aligned row has at least one side"),
        };
        let mut display = align::display_name(shown, shown_file, shown.line);
        if let (Some(from), Some(to)) = (line.base, line.new) {
            if from != to {
                // Show the move in pstats' own notation: file:8→10(name).
                let plain = align::display_name(shown, shown_file, Some(to));
                display = plain.replacen(&format!(":{to}("), &format!(":{from}→{to}("), 1);
            }
        }
        row.display = display;
        row
    };
    let functions: Vec<FunctionDiff> = crate::parallel::map_pieces(
        &mut aligned,
        |_| 1,
        |rows| rows.iter_mut().map(make_row).collect(),
    );
    drop(aligned);
    let mut counts = StatusCounts::default();
    for row in &functions {
        match row.status {
            Status::Added => counts.added += 1,
            Status::Removed => counts.removed += 1,
            Status::Changed => counts.changed += 1,
            Status::Unchanged => counts.unchanged += 1,
        }
    }

    let mut result = ProfileDiff {
        unit: base.meta.unit.clone(),
        total_cost: Change::new(Some(base_total), Some(new_total)),
        total_calls: Change {
            // A sum that misses some functions' counts is no total to compare.
            unrecorded: !(base.total_calls_complete() && new.total_calls_complete()),
            ..Change::recorded(base.total_calls().map(Count), new.total_calls().map(Count))
        },
        primitive_calls: Change::recorded(
            base.total_primitive_calls().map(Count),
            new.total_primitive_calls().map(Count),
        ),
        counts,
        cost_threshold: threshold,
        functions,
        notes: align::notes(base, new),
    };
    if options.callers {
        let every_row: Vec<usize> = (0..result.functions.len()).collect();
        add_callers(base, new, &mut result, &every_row);
    }
    Ok(result)
}

/// Fills the caller breakdown ([`FunctionDiff::callers`]) of the rows at
/// `rows` (indices into `diff.functions`), leaving the others as they are.
/// A report that shows 20 rows of a 100k-function diff needs 20 breakdowns,
/// so the diff engine computes none unless [`DiffOptions::callers`] asks for
/// all; `base` and `new` are the profiles `diff` was made from.
pub fn add_callers(base: &Profile, new: &Profile, diff: &mut ProfileDiff, rows: &[usize]) {
    if rows.is_empty() {
        return;
    }
    let breakdowns: Vec<(usize, Vec<CallerDiff>)> = {
        let context = CallerContext::new(base, new, &diff.functions);
        rows.iter()
            .filter(|&&row| row < diff.functions.len())
            .map(|&row| (row, context.breakdown(row)))
            .collect()
    };
    for (row, callers) in breakdowns {
        diff.functions[row].callers = callers;
    }
}

/// Why two profiles cannot be compared, and, when one side counts samples
/// and the other seconds, how to make them comparable.
pub(crate) fn units_differ(base: &Profile, new: &Profile) -> Error {
    let message = format!(
        "cannot compare {} ({}) with {} ({}): the units differ",
        base.meta.path, base.meta.unit, new.meta.path, new.meta.unit
    );
    let sampled = [base, new]
        .into_iter()
        .find(|p| p.meta.unit == Unit::Samples);
    let timed = [base, new].into_iter().any(|p| p.meta.unit.is_time());
    match (sampled, timed) {
        (Some(sampled), true) => {
            Error::Usage(format!("{message}; {} counts samples", sampled.meta.path))
                .with_remedy(Remedy::SampleRate)
        }
        _ => Error::Usage(message),
    }
}

/// Which row of `functions` holds each function of `base` and of `new`
/// (index = the side's [`FunctionId`]); `usize::MAX` for a function in no
/// row.
pub(crate) fn rows_by_function(
    base: &Profile,
    new: &Profile,
    functions: &[FunctionDiff],
) -> (Vec<usize>, Vec<usize>) {
    let mut base_rows = vec![usize::MAX; base.functions.len()];
    let mut new_rows = vec![usize::MAX; new.functions.len()];
    for (index, row) in functions.iter().enumerate() {
        if let Some(slot) = row.base_id.and_then(|id| base_rows.get_mut(id)) {
            *slot = index;
        }
        if let Some(slot) = row.new_id.and_then(|id| new_rows.get_mut(id)) {
            *slot = index;
        }
    }
    (base_rows, new_rows)
}

/// What the caller breakdown needs: each side's edges by callee, and which
/// row of the diff holds each function.
struct CallerContext<'p> {
    base: &'p Profile,
    new: &'p Profile,
    base_edges: Vec<Vec<usize>>,
    new_edges: Vec<Vec<usize>>,
    base_rows: Vec<usize>,
    new_rows: Vec<usize>,
    functions: &'p [FunctionDiff],
}

impl<'p> CallerContext<'p> {
    fn new(base: &'p Profile, new: &'p Profile, functions: &'p [FunctionDiff]) -> Self {
        let (base_rows, new_rows) = rows_by_function(base, new, functions);
        CallerContext {
            base,
            new,
            base_edges: base.edges_by_callee(),
            new_edges: new.edges_by_callee(),
            base_rows,
            new_rows,
            functions,
        }
    }

    fn breakdown(&self, row_index: usize) -> Vec<CallerDiff> {
        let row = &self.functions[row_index];
        self.callers_of(row.base_id, row.new_id, &mut vec![row_index])
    }

    /// Direct callers of the function (`base`/`new` ids), largest change
    /// first. A caller that exists only to call this function (a decorator's
    /// `wrapper`: its own call count equals its calls along this edge on each
    /// side) says nothing by itself, so its callers are listed under it, up to
    /// [`PASS_THROUGH_DEPTH`] levels.
    fn callers_of(
        &self,
        base_id: Option<FunctionId>,
        new_id: Option<FunctionId>,
        path: &mut Vec<usize>,
    ) -> Vec<CallerDiff> {
        // Keyed by alignment row so a caller present on both sides merges.
        let mut by_caller: HashMap<usize, CallerDiff> = HashMap::new();
        let mut add = |profile: &Profile, edges: &[usize], rows: &[usize], is_base: bool| {
            for &edge_index in edges {
                let edge = &profile.edges[edge_index];
                let Some(&row_index) = rows.get(edge.caller) else {
                    continue;
                };
                let Some(caller) = self.functions.get(row_index) else {
                    continue;
                };
                let entry = by_caller.entry(row_index).or_insert_with(|| CallerDiff {
                    key: caller.key.clone(),
                    display: caller.display.clone(),
                    calls: Change::default(),
                    inclusive_cost: Change::default(),
                    callers: Vec::new(),
                });
                let (calls, cost) = if is_base {
                    (&mut entry.calls.base, &mut entry.inclusive_cost.base)
                } else {
                    (&mut entry.calls.new, &mut entry.inclusive_cost.new)
                };
                if let Some(n) = edge.calls() {
                    *calls = Some(Count(calls.map_or(0, |c| c.0).saturating_add(n)));
                }
                if let Some(c) = edge.inclusive_cost() {
                    *cost = Some(cost.unwrap_or(0.0) + c);
                }
            }
        };
        if let Some(id) = base_id {
            add(self.base, &self.base_edges[id], &self.base_rows, true);
        }
        if let Some(id) = new_id {
            add(self.new, &self.new_edges[id], &self.new_rows, false);
        }
        let mut callers: Vec<(usize, CallerDiff)> = by_caller.into_iter().collect();
        if path.len() <= PASS_THROUGH_DEPTH {
            for (row_index, caller) in &mut callers {
                if path.contains(row_index) || !self.is_pass_through(*row_index, caller) {
                    continue;
                }
                let row = &self.functions[*row_index];
                path.push(*row_index);
                caller.callers = self.callers_of(row.base_id, row.new_id, path);
                path.pop();
            }
        }
        let mut callers: Vec<CallerDiff> = callers.into_iter().map(|(_, c)| c).collect();
        callers.sort_by(|a, b| {
            let calls = |c: &CallerDiff| c.calls.delta().unwrap_or(0.0).abs();
            let cost = |c: &CallerDiff| c.inclusive_cost.delta().unwrap_or(0.0).abs();
            calls(b)
                .total_cmp(&calls(a))
                .then(cost(b).total_cmp(&cost(a)))
                .then_with(|| a.key.cmp(&b.key))
        });
        callers
    }

    /// True when every call of the caller, on each side it exists, went
    /// along this edge.
    fn is_pass_through(&self, row_index: usize, caller: &CallerDiff) -> bool {
        let (base_id, new_id) = (
            self.functions[row_index].base_id,
            self.functions[row_index].new_id,
        );
        let own_calls = |profile: &Profile, id: Option<FunctionId>| {
            id.and_then(|id| profile.functions[id].calls).map(Count)
        };
        let base_ok = own_calls(self.base, base_id) == caller.calls.base;
        let new_ok = own_calls(self.new, new_id) == caller.calls.new;
        base_ok && new_ok && (caller.calls.base.is_some() || caller.calls.new.is_some())
    }
}

/// How far the caller breakdown looks through pass-through wrappers.
pub const PASS_THROUGH_DEPTH: usize = 3;

/// Row orders for tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SortKey {
    /// Largest |Δ inclusive cost| first.
    #[default]
    Inclusive,
    /// Largest |Δ self cost| first.
    SelfCost,
    /// Largest |Δ calls| first.
    Calls,
    /// By key, alphabetically.
    Name,
}

/// True for callgrind's recursion contexts (`fib'2`, `fib'3`, …, from
/// `--separate-recs`): their inclusive cost lies inside the outer level's.
fn is_recursion_context(key: &str) -> bool {
    let name = key.split(['#', '@']).next().unwrap_or(key);
    name.rsplit_once('\'')
        .is_some_and(|(_, level)| level.parse::<u32>().is_ok_and(|level| level >= 2))
}

/// Sorts diff rows; ties fall back to the key so output is deterministic.
///
/// By inclusive cost, a callgrind recursion context (`fib'2`) ranks by its
/// own cost: its inclusive cost is counted again in `fib`'s, and ranking by
/// it would fill the top of the table with copies of one change.
pub fn sort_functions(functions: &mut [FunctionDiff], sort: SortKey) {
    let magnitude = |f: &FunctionDiff| -> f64 {
        match sort {
            SortKey::Inclusive if is_recursion_context(&f.key) => {
                f.self_cost.delta().unwrap_or(0.0).abs()
            }
            SortKey::Inclusive => f.inclusive_cost.delta().unwrap_or(0.0).abs(),
            SortKey::SelfCost => f.self_cost.delta().unwrap_or(0.0).abs(),
            SortKey::Calls => f.calls.delta().unwrap_or(0.0).abs(),
            SortKey::Name => 0.0,
        }
    };
    // Keys are computed once and an order of indices is sorted: rows are
    // large, and a diff can have 100k of them. Keys are unique, so the
    // order is total and an unstable sort is deterministic.
    let magnitudes: Vec<f64> = functions.iter().map(magnitude).collect();
    let mut order: Vec<usize> = (0..functions.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        magnitudes[b]
            .total_cmp(&magnitudes[a])
            .then_with(|| functions[a].key.cmp(&functions[b].key))
    });
    permute(functions, order);
}

/// Moves `items[order[k]]` to position `k`, following each cycle of the
/// permutation once.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut current = start;
        // order[k] == k marks a position already settled.
        while order[current] != start {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, Format, Function, FunctionKind, ProfileMeta};

    fn profile(
        functions: &[(&str, u32, u64, f64, f64)],
        edges: &[(usize, usize, u64, f64)],
    ) -> Profile {
        let mut p = Profile::new(ProfileMeta {
            path: "p.prof".into(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: None,
            notes: Vec::new(),
        });
        for &(name, line, calls, self_cost, inclusive_cost) in functions {
            let mut f = Function::new(name, FunctionKind::Source);
            f.file = Some("/app/handler.py".into());
            f.line = Some(line);
            f.calls = Some(calls);
            f.primitive_calls = Some(calls);
            f.self_cost = self_cost;
            f.inclusive_cost = inclusive_cost;
            p.functions.push(f);
        }
        for &(caller, callee, calls, cost) in edges {
            p.edges.push(
                Edge::new(caller, callee)
                    .with_calls(Some(calls))
                    .with_primitive_calls(Some(calls))
                    .with_inclusive_cost(Some(cost)),
            );
        }
        p
    }

    fn find<'a>(diff: &'a ProfileDiff, key: &str) -> &'a FunctionDiff {
        diff.functions.iter().find(|f| f.key == key).unwrap()
    }

    #[test]
    fn change_arithmetic() {
        let c = Change::new(Some(0.145), Some(0.104));
        assert!((c.delta().unwrap() + 0.041).abs() < 1e-12);
        assert!((c.pct().unwrap() + 28.275_862_068_965_52).abs() < 1e-9);
        let added: Change<f64> = Change::new(None, Some(2.0));
        assert_eq!(added.delta(), Some(2.0));
        assert_eq!(added.pct(), None, "no base, no percentage");
        let removed = Change::new(Some(Count(6)), None);
        assert_eq!(removed.delta(), Some(-6.0));
        assert_eq!(removed.pct(), Some(-100.0));
        let zero_base = Change::new(Some(0.0), Some(1.0));
        assert_eq!(zero_base.pct(), None);
        let nothing: Change<f64> = Change::default();
        assert_eq!(nothing.delta(), None);
    }

    #[test]
    fn statuses_and_totals() {
        let base = profile(
            &[
                ("main", 1, 1, 0.010, 1.0),
                ("create", 5, 6, 0.6, 0.9),
                ("gone", 9, 2, 0.1, 0.1),
            ],
            &[(0, 1, 6, 0.9), (0, 2, 2, 0.1)],
        );
        let new = profile(
            &[
                ("main", 1, 1, 0.010, 0.4),
                ("create", 7, 1, 0.1, 0.15),
                ("fresh", 12, 3, 0.2, 0.2),
            ],
            &[(0, 1, 1, 0.15), (0, 2, 3, 0.2)],
        );
        let options = DiffOptions {
            callers: true,
            cost_threshold: Some(0.001),
            ..Default::default()
        };
        let diff = diff(&base, &new, &options).unwrap();
        assert_eq!(
            diff.counts,
            StatusCounts {
                added: 1,
                removed: 1,
                changed: 2,
                unchanged: 0
            }
        );
        let create = find(&diff, "handler.py:create");
        assert_eq!(create.status, Status::Changed);
        assert_eq!(create.calls.delta(), Some(-5.0));
        assert_eq!((create.line.base, create.line.new), (Some(5), Some(7)));
        assert_eq!(create.display, "handler.py:5→7(create)");
        assert_eq!(create.callers.len(), 1);
        assert_eq!(create.callers[0].key, "handler.py:main");
        assert_eq!(
            create.callers[0].calls,
            Change::new(Some(Count(6)), Some(Count(1)))
        );
        assert_eq!(find(&diff, "handler.py:gone").status, Status::Removed);
        assert_eq!(find(&diff, "handler.py:fresh").status, Status::Added);
        assert_eq!(
            diff.total_calls,
            Change::new(Some(Count(9)), Some(Count(5)))
        );
        assert!((diff.total_cost.base.unwrap() - 0.71).abs() < 1e-12);
    }

    #[test]
    fn small_time_changes_are_unchanged() {
        let base = profile(&[("f", 1, 3, 0.100, 0.200)], &[]);
        let new = profile(&[("f", 1, 3, 0.1004, 0.2004)], &[]);
        let options = DiffOptions {
            cost_threshold: Some(0.001),
            ..Default::default()
        };
        assert_eq!(
            diff(&base, &new, &options).unwrap().functions[0].status,
            Status::Unchanged
        );
        let options = DiffOptions {
            cost_threshold: Some(0.0001),
            ..Default::default()
        };
        assert_eq!(
            diff(&base, &new, &options).unwrap().functions[0].status,
            Status::Changed
        );
        // Default: 0.1% of the larger total (0.1004 s here).
        assert!((default_cost_threshold(&base, &new) - 0.0001004).abs() < 1e-12);
    }

    #[test]
    fn callers_look_through_pass_through_wrappers() {
        // handler -> wrapper -> create (x6) and other -> wrapper -> create (x0 -> x1):
        // wrapper makes exactly one call to create per call of its own.
        let base = profile(
            &[
                ("handler", 1, 1, 0.0, 1.0),
                ("wrapper", 2, 6, 0.0, 0.6),
                ("create", 3, 6, 0.6, 0.6),
            ],
            &[(0, 1, 6, 0.6), (1, 2, 6, 0.6)],
        );
        let new = profile(
            &[
                ("handler", 1, 1, 0.0, 1.0),
                ("wrapper", 2, 1, 0.0, 0.1),
                ("create", 3, 1, 0.1, 0.1),
            ],
            &[(0, 1, 1, 0.1), (1, 2, 1, 0.1)],
        );
        let options = DiffOptions {
            callers: true,
            ..Default::default()
        };
        let diff = diff(&base, &new, &options).unwrap();
        let create = find(&diff, "handler.py:create");
        let wrapper = &create.callers[0];
        assert_eq!(wrapper.key, "handler.py:wrapper");
        assert_eq!(wrapper.callers.len(), 1);
        assert_eq!(wrapper.callers[0].key, "handler.py:handler");
        assert_eq!(
            wrapper.callers[0].calls,
            Change::new(Some(Count(6)), Some(Count(1)))
        );
        // handler is called once but calls wrapper six times: not a pass-through.
        assert!(wrapper.callers[0].callers.is_empty());
    }

    #[test]
    fn recursion_does_not_loop_the_breakdown() {
        let p = profile(&[("fib", 1, 10, 1.0, 1.0)], &[(0, 0, 10, 1.0)]);
        let options = DiffOptions {
            callers: true,
            ..Default::default()
        };
        let diff = diff(&p, &p, &options).unwrap();
        assert_eq!(diff.functions[0].callers.len(), 1);
        assert!(diff.functions[0].callers[0].callers.is_empty());
    }

    #[test]
    fn recursion_contexts_rank_by_their_own_cost() {
        assert!(is_recursion_context("prog.c:fib'2"));
        assert!(is_recursion_context("fib'12#2"));
        assert!(!is_recursion_context("prog.c:fib"));
        assert!(!is_recursion_context("fib'1"));
        assert!(!is_recursion_context("{method 'get' of 'dict' objects}"));
        let base = profile(&[("fib", 1, 1, 0.1, 1.0), ("fib'2", 1, 1, 0.2, 0.9)], &[]);
        let new = profile(&[("fib", 1, 1, 0.1, 2.0), ("fib'2", 1, 1, 0.3, 1.9)], &[]);
        let mut d = diff(&base, &new, &DiffOptions::default()).unwrap();
        sort_functions(&mut d.functions, SortKey::Inclusive);
        assert_eq!(d.functions[0].key, "handler.py:fib");
        let mut new = new;
        new.functions[1].self_cost = 2.0;
        let mut d = diff(&base, &new, &DiffOptions::default()).unwrap();
        sort_functions(&mut d.functions, SortKey::Inclusive);
        assert_eq!(d.functions[0].key, "handler.py:fib'2");
    }

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, vec![3, 0, 4, 1, 2]);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c']);
        let mut items = vec![1, 2, 3];
        permute(&mut items, vec![0, 1, 2]);
        assert_eq!(items, [1, 2, 3]);
    }

    #[test]
    fn units_must_match() {
        let base = profile(&[("f", 1, 1, 1.0, 1.0)], &[]);
        let mut new = base.clone();
        new.meta.unit = Unit::Event("Ir".into());
        let error = diff(&base, &new, &DiffOptions::default()).unwrap_err();
        assert!(error.to_string().contains("units differ"), "{error}");
    }

    #[test]
    fn sorting_is_by_magnitude_then_key() {
        let base = profile(
            &[
                ("a", 1, 1, 0.1, 0.5),
                ("b", 2, 5, 0.1, 0.5),
                ("c", 3, 1, 0.1, 0.5),
            ],
            &[],
        );
        let new = profile(
            &[
                ("a", 1, 1, 0.1, 0.1),
                ("b", 2, 1, 0.1, 0.6),
                ("c", 3, 1, 0.1, 0.9),
            ],
            &[],
        );
        let mut d = diff(&base, &new, &DiffOptions::default()).unwrap();
        sort_functions(&mut d.functions, SortKey::Inclusive);
        let order: Vec<&str> = d.functions.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(order, ["handler.py:a", "handler.py:c", "handler.py:b"]);
        sort_functions(&mut d.functions, SortKey::Calls);
        assert_eq!(d.functions[0].key, "handler.py:b");
        sort_functions(&mut d.functions, SortKey::Name);
        let order: Vec<&str> = d.functions.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(order, ["handler.py:a", "handler.py:b", "handler.py:c"]);
    }
}
