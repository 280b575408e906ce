//! The comparison itself: one row per aligned function with its per-run
//! values, spreads, deltas and verdicts, and the order rows are shown in.

use crate::align;
use crate::diff::{SortKey, Status};
use crate::error::{Error, Result};
use crate::model::Profile;

use super::join::{join_sides, SideRuns};
use super::{
    mann_whitney_u, min_p_value, CallRuns, FunctionRuns, MannWhitney, MetricRuns, RunValues,
    RunsDiff, RunsNote, Significance, Spread, StatsOptions, TestMethod,
};

/// Compares several runs of the base with several runs of the new version.
/// Every run must be in the same unit; each side needs at least one run.
/// (This is [`RunsBuilder`] over two slices.)
pub fn compare(
    base_runs: &[Profile],
    new_runs: &[Profile],
    options: &StatsOptions,
) -> Result<RunsDiff> {
    let mut builder = RunsBuilder::new(options)?;
    builder.expect_runs(base_runs.len(), new_runs.len());
    for run in base_runs {
        builder.add_base(run.clone())?;
    }
    for run in new_runs {
        builder.add_new(run.clone())?;
    }
    builder.finish()
}

/// A comparison of runs fed one profile at a time, so that a caller can
/// read a run, add it and drop it: only each side's first run is kept
/// whole, of the others only the values the statistics need.
pub struct RunsBuilder {
    options: StatsOptions,
    base: Option<SideRuns>,
    new: Option<SideRuns>,
    /// Runs each side will have, when known ([`RunsBuilder::expect_runs`]).
    expected: (usize, usize),
}

impl RunsBuilder {
    /// Fails on options out of range.
    pub fn new(options: &StatsOptions) -> Result<Self> {
        options.validate()?;
        Ok(RunsBuilder {
            options: options.clone(),
            base: None,
            new: None,
            expected: (0, 0),
        })
    }

    /// Says how many runs each side will have, so that their values are
    /// stored without room to spare. Optional; any number can be added.
    pub fn expect_runs(&mut self, base: usize, new: usize) {
        self.expected = (base, new);
    }

    /// Adds the next run of the base.
    pub fn add_base(&mut self, run: Profile) -> Result<()> {
        self.check_unit(&run)?;
        add(&mut self.base, run, self.expected.0, &self.options)
    }

    /// Adds the next run of the new version.
    pub fn add_new(&mut self, run: Profile) -> Result<()> {
        self.check_unit(&run)?;
        add(&mut self.new, run, self.expected.1, &self.options)
    }

    fn check_unit(&self, run: &Profile) -> Result<()> {
        let first = self.base.as_ref().or(self.new.as_ref());
        match first {
            Some(side) if side.first.meta.unit != run.meta.unit => {
                Err(crate::diff::units_differ(&side.first, run))
            }
            _ => Ok(()),
        }
    }

    /// The comparison of every run added.
    pub fn finish(self) -> Result<RunsDiff> {
        let (Some(base), Some(new)) = (self.base, self.new) else {
            return Err(Error::Usage(
                "comparing runs needs at least one profile on each side".into(),
            ));
        };
        Ok(compare_sides(base, new, &self.options))
    }
}

fn add(
    side: &mut Option<SideRuns>,
    run: Profile,
    expected: usize,
    options: &StatsOptions,
) -> Result<()> {
    match side {
        Some(side) => side.add(&run, &options.align),
        None => *side = Some(SideRuns::new(run, expected, &options.align)),
    }
    Ok(())
}

fn compare_sides(mut base: SideRuns, mut new: SideRuns, options: &StatsOptions) -> RunsDiff {
    let unit = base.first.meta.unit.clone();
    let rows = join_sides(&base, &new, &options.align);
    let mut functions = Vec::with_capacity(rows.len());
    for (key, base_entry, new_entry) in rows {
        let base_shown = base_entry.map(|e| base.shown(e));
        let new_shown = new_entry.map(|e| new.shown(e));
        let shown = new_shown.or(base_shown);
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
        let recorded = |side: Option<(&crate::model::Function, Option<&str>)>| {
            side.map_or((None, None), |(f, _)| (f.file.clone(), f.line))
        };
        let (base_file, base_line) = recorded(base_shown);
        let (new_file, new_line) = recorded(new_shown);
        // The values move into the row: each entry is in one row only.
        let take = |side: &mut SideRuns, entry: Option<usize>| match entry {
            Some(entry) => {
                let entry = &mut side.entries[entry];
                (
                    std::mem::take(&mut entry.calls),
                    std::mem::take(&mut entry.self_cost),
                    std::mem::take(&mut entry.inclusive_cost),
                )
            }
            None => {
                let runs = side.runs();
                let absent = || (0..runs).map(|_| None).collect::<RunValues>();
                (vec![None; runs], absent(), absent())
            }
        };
        let (base_calls, base_self, base_inclusive) = take(&mut base, base_entry);
        let (new_calls, new_self, new_inclusive) = take(&mut new, new_entry);
        let calls = CallRuns::new(base_calls, new_calls);
        let self_cost = MetricRuns::new(base_self, new_self, options);
        let inclusive_cost = MetricRuns::new(base_inclusive, new_inclusive, options);
        let status = match (base_entry, new_entry) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => {
                let calls_moved = matches!(
                    (calls.base_spread, calls.new_spread),
                    (Some(b), Some(n)) if b.median != n.median
                );
                if calls_moved
                    || self_cost.significance == Significance::Significant
                    || inclusive_cost.significance == Significance::Significant
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
            file: (base_file, new_file),
            line: (base_line, new_line),
            status,
            calls,
            self_cost,
            inclusive_cost,
        });
    }
    sort_functions(&mut functions, SortKey::Inclusive);

    let total_cost = MetricRuns::new(
        RunValues::from(base.totals.clone()),
        RunValues::from(new.totals.clone()),
        options,
    );
    let min_p = min_p_value(base.runs(), new.runs());
    let mut notes = Vec::new();
    if min_p >= options.level {
        notes.push(RunsNote::TooFewRuns {
            base_runs: base.runs(),
            new_runs: new.runs(),
            min_p,
            level: options.level,
        });
    }
    let coarse = [&base, &new].into_iter().find_map(|side| {
        side.paths
            .iter()
            .zip(&side.precisions)
            .find_map(|(path, precision)| {
                precision
                    .filter(|&p| p > options.min_effect_abs)
                    .map(|p| (path.clone(), p))
            })
    });
    if let Some((path, precision)) = coarse {
        notes.push(RunsNote::CoarsePrecision {
            path,
            precision,
            unit: unit.clone(),
        });
    }
    RunsDiff {
        unit,
        base_paths: base.paths,
        new_paths: new.paths,
        level: options.level,
        min_effect: options.min_effect,
        min_effect_abs: options.min_effect_abs,
        min_p,
        total_cost,
        functions,
        notes,
    }
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
    let rank = |f: &FunctionRuns| match (f.significance(), f.status) {
        (Significance::Significant, _) => 0,
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
    fn new(base: RunValues, new: RunValues, options: &StatsOptions) -> Self {
        // A run without the function did not call it: zero time there.
        let filled =
            |runs: &RunValues| -> Vec<f64> { runs.iter().map(|v| v.unwrap_or(0.0)).collect() };
        let (base_values, new_values) = (filled(&base), filled(&new));
        let spread = |runs: &RunValues, values: &[f64]| {
            runs.iter()
                .any(|v| v.is_some())
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
        let significance = if test.p < options.level && delta.abs() >= floor {
            Significance::Significant
        } else {
            Significance::Noise
        };
        MetricRuns {
            base,
            new,
            base_spread,
            new_spread,
            delta,
            pct,
            test,
            significance,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_needs_both_p_and_the_minimum_effect() {
        let options = StatsOptions::default();
        let runs = |values: &[f64]| values.iter().map(|&v| Some(v)).collect::<RunValues>();
        // Fully separated (p = 0.0079) but only 6 µs apart: below 0.5 ms.
        let tiny = MetricRuns::new(
            runs(&[8.1e-6, 8.0e-6, 8.3e-6, 8.2e-6, 8.4e-6]),
            runs(&[2.0e-6, 2.1e-6, 2.2e-6, 1.9e-6, 2.3e-6]),
            &options,
        );
        assert!(tiny.test.p < 0.01);
        assert_eq!(tiny.significance, Significance::Noise);
        // 10 ms apart but overlapping: p too large.
        let overlapping = MetricRuns::new(
            runs(&[0.10, 0.13, 0.16, 0.19, 0.22]),
            runs(&[0.11, 0.14, 0.17, 0.20, 0.23]),
            &options,
        );
        assert!(overlapping.test.p > 0.5);
        assert_eq!(overlapping.significance, Significance::Noise);
        // Separated, 1 ms on 10 ms (10%): significant; with a 20% floor not.
        let base = runs(&[0.0100, 0.0101, 0.0099, 0.0100, 0.0102]);
        let new = runs(&[0.0110, 0.0111, 0.0109, 0.0112, 0.0110]);
        assert_eq!(
            MetricRuns::new(base.clone(), new.clone(), &options).significance,
            Significance::Significant
        );
        let strict = StatsOptions {
            min_effect: 0.2,
            ..StatsOptions::default()
        };
        assert_eq!(
            MetricRuns::new(base, new, &strict).significance,
            Significance::Noise
        );
        // A function absent from two base runs counts 0 there.
        let partial = MetricRuns::new(
            vec![None, Some(1.0), None].into(),
            vec![Some(1.0); 3].into(),
            &options,
        );
        assert_eq!(partial.base_spread.unwrap().median, 0.0);
        assert_eq!(partial.delta, 1.0);
        assert_eq!(partial.pct, None);
    }
}
