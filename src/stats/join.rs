//! Gathering the runs of one side as they are read: each run is aligned
//! with the side's first run and only its per-function values are kept
//! (calls, self and inclusive cost), so that 200 runs need little more
//! memory than 20. The first run is kept whole: later runs align with it,
//! and the two sides' first runs align with each other.

use std::collections::HashMap;

use crate::align::{self, AlignOptions};
use crate::model::{Function, Profile};

use super::RunValues;

/// One function's values in every run read so far (`None`: absent from
/// that run).
#[derive(Default)]
pub(super) struct EntryRuns {
    pub(super) calls: Vec<Option<u64>>,
    pub(super) self_cost: RunValues,
    pub(super) inclusive_cost: RunValues,
    /// For a function the first run lacks: the function as the first run
    /// that has it recorded it, and its normalised file (for display).
    pub(super) seen_later: Option<(Function, Option<String>)>,
}

impl EntryRuns {
    /// Absent from the `runs` runs read so far, with room for `expected`
    /// runs: vectors grown by doubling would waste up to half their size,
    /// times three metrics, times every function.
    fn absent(runs: usize, expected: usize) -> Self {
        let room = runs.max(expected);
        let mut calls = Vec::with_capacity(room);
        calls.resize(runs, None);
        let nones = || {
            let mut values = RunValues::with_capacity(room);
            for _ in 0..runs {
                values.push(None);
            }
            values
        };
        EntryRuns {
            calls,
            self_cost: nones(),
            inclusive_cost: nones(),
            seen_later: None,
        }
    }

    fn record(&mut self, run: usize, function: &Function) {
        self.calls[run] = function.calls;
        self.self_cost.set(run, Some(function.self_cost));
        self.inclusive_cost.set(run, Some(function.inclusive_cost));
    }
}

/// The runs of one side. Entries `0..n` are the first run's functions in id
/// order; functions only later runs have follow.
pub(super) struct SideRuns {
    pub(super) first: Profile,
    pub(super) first_files: Vec<Option<String>>,
    pub(super) entries: Vec<EntryRuns>,
    /// For entries past the first run's functions: their key and entry.
    pub(super) extra_keys: Vec<(String, usize)>,
    extra_by_key: HashMap<String, usize>,
    /// Per run: its path, its total cost, its precision.
    pub(super) paths: Vec<String>,
    pub(super) totals: Vec<Option<f64>>,
    pub(super) precisions: Vec<Option<f64>>,
    /// How many runs the side will have, when the caller knows (0: unknown).
    expected: usize,
}

impl SideRuns {
    pub(super) fn new(first: Profile, expected: usize, opts: &AlignOptions) -> Self {
        let mut entries: Vec<EntryRuns> = Vec::with_capacity(first.functions.len());
        for function in &first.functions {
            let mut entry = EntryRuns::absent(1, expected);
            entry.record(0, function);
            entries.push(entry);
        }
        SideRuns {
            first_files: align::normalized_files(&first, opts),
            entries,
            extra_keys: Vec::new(),
            extra_by_key: HashMap::new(),
            paths: vec![first.meta.path.clone()],
            totals: vec![Some(first.total_cost())],
            precisions: vec![first.meta.precision],
            expected,
            first,
        }
    }

    pub(super) fn runs(&self) -> usize {
        self.paths.len()
    }

    /// Adds a later run: aligned with the first, its values recorded.
    pub(super) fn add(&mut self, run: &Profile, opts: &AlignOptions) {
        let index = self.runs();
        for entry in &mut self.entries {
            entry.calls.push(None);
            entry.self_cost.push(None);
            entry.inclusive_cost.push(None);
        }
        let mut files: Option<Vec<Option<String>>> = None;
        for row in align::align(&self.first, run, opts) {
            let Some(id) = row.new else { continue };
            let function = &run.functions[id];
            let entry = match row.base {
                Some(first_id) => first_id,
                None => match self.extra_by_key.get(&row.key) {
                    Some(&entry) => entry,
                    None => {
                        let files = files.get_or_insert_with(|| align::normalized_files(run, opts));
                        let mut entry = EntryRuns::absent(index + 1, self.expected);
                        entry.seen_later = Some((function.clone(), files[id].clone()));
                        self.entries.push(entry);
                        let entry = self.entries.len() - 1;
                        self.extra_keys.push((row.key.clone(), entry));
                        self.extra_by_key.insert(row.key, entry);
                        entry
                    }
                },
            };
            self.entries[entry].record(index, function);
        }
        self.paths.push(run.meta.path.clone());
        self.totals.push(Some(run.total_cost()));
        self.precisions.push(run.meta.precision);
    }

    /// The function as the first run that has it recorded it, with its
    /// normalised file.
    pub(super) fn shown(&self, entry: usize) -> (&Function, Option<&str>) {
        match &self.entries[entry].seen_later {
            Some((function, file)) => (function, file.as_deref()),
            None => (
                &self.first.functions[entry],
                self.first_files[entry].as_deref(),
            ),
        }
    }
}

/// Rows `(key, base entry, new entry)`: the first runs aligned with each
/// other, then the functions only later runs have, paired by key.
pub(super) fn join_sides(
    base: &SideRuns,
    new: &SideRuns,
    opts: &AlignOptions,
) -> Vec<(String, Option<usize>, Option<usize>)> {
    let mut rows: Vec<(String, Option<usize>, Option<usize>)> =
        align::align(&base.first, &new.first, opts)
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
