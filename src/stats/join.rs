//! Joining the runs: each side's runs aligned with its first run, then the
//! two sides with each other, so every function has its id in every run.

use std::collections::HashMap;

use crate::align::{self, AlignOptions};
use crate::model::{Function, FunctionId, Profile};

/// Per run, the value of one function (absent → `None`).
pub(super) fn values<T>(
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

pub(super) fn first_present<'p>(
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
pub(super) struct SideUnion {
    pub(super) ids: Vec<Vec<Option<FunctionId>>>,
    /// For entries past the first run's functions: their key.
    extra_keys: Vec<(String, usize)>,
}

impl SideUnion {
    pub(super) fn new(runs: &[Profile], opts: &AlignOptions) -> Self {
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
pub(super) fn join_sides(
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
