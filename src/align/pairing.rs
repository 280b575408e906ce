//! Matching within a group: by name when no name repeats, otherwise by
//! diffing the sequences of names with `similar`.

use std::cmp::Ordering;
use std::convert::Infallible;
use std::iter;

use similar::algorithms::{diff_slices, DiffHook};
use similar::Algorithm;

use crate::model::FunctionId;

use super::keys::{build_key, collisions_possible, make_unique, push_numbered};
use super::side::{Interner, Side};
use super::{Aligned, FxMap};

/// Function ids bucketed by group (a counting sort, so ids stay in order).
struct Buckets {
    starts: Vec<usize>,
    ids: Vec<FunctionId>,
}

impl Buckets {
    fn new(groups: &[u32], group_count: usize) -> Self {
        let mut starts = vec![0; group_count + 1];
        for &group in groups {
            starts[group as usize + 1] += 1;
        }
        for g in 0..group_count {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut ids = vec![0; groups.len()];
        for (id, &group) in groups.iter().enumerate() {
            ids[next[group as usize]] = id;
            next[group as usize] += 1;
        }
        Buckets { starts, ids }
    }

    fn get(&self, group: usize) -> &[FunctionId] {
        &self.ids[self.starts[group]..self.starts[group + 1]]
    }
}

/// A row before it has a key: base id, new id.
pub(super) type Row = (Option<FunctionId>, Option<FunctionId>);

pub(super) fn align_sides(base: &Side<'_>, new: &Side<'_>) -> Vec<Aligned> {
    let mut interner = Interner::default();
    let base_groups = base.groups(&mut interner);
    let new_groups = new.groups(&mut interner);
    let group_count = interner.names.len();
    let base_buckets = Buckets::new(&base_groups, group_count);
    let new_buckets = Buckets::new(&new_groups, group_count);

    let mut order: Vec<usize> = (0..group_count).collect();
    // Unprefixed keys (builtins, synthetic, bare names) last: they are the
    // odd ones out, so on a clash the file-keyed row keeps the plain key.
    order.sort_unstable_by_key(|&group| (interner.names[group].is_empty(), interner.names[group]));

    let mut out = Vec::with_capacity(base.functions.len().max(new.functions.len()));
    let mut scratch = Scratch::default();
    for group in order {
        let prefix = interner.names[group];
        let (b, n) = (base_buckets.get(group), new_buckets.get(group));
        if pair_by_name(b, n, base, new, &mut scratch) {
            for &(_, x, y) in &scratch.rows {
                let label = if x != NONE {
                    base.label(x)
                } else {
                    new.label(y)
                };
                out.push(Aligned {
                    key: build_key(prefix, label, None),
                    base: (x != NONE).then_some(x),
                    new: (y != NONE).then_some(y),
                });
            }
        } else {
            let rows = align_sequences(b, n, base, new);
            push_numbered(prefix, &rows, base, new, &mut out);
        }
    }
    if collisions_possible(&interner.names, base, new) {
        make_unique(&mut out);
    }
    out
}

/// "No function" in [`Scratch::rows`].
const NONE: FunctionId = FunctionId::MAX;

/// Buffers reused from group to group.
#[derive(Default)]
struct Scratch {
    /// (label hash, line key, id) of each side's functions in the group.
    base: Vec<(u64, u32, FunctionId)>,
    new: Vec<(u64, u32, FunctionId)>,
    /// (base, new) with [`NONE`] for a missing side, after a sort key.
    rows: Vec<((bool, u32, FunctionId), FunctionId, FunctionId)>,
}

/// Pairs a group by name into `scratch.rows` when no name repeats on either
/// side (the common case, which needs no diff); false when one does. Rows
/// come in base line order, then the added functions in new line order.
fn pair_by_name(
    b: &[FunctionId],
    n: &[FunctionId],
    base: &Side<'_>,
    new: &Side<'_>,
    scratch: &mut Scratch,
) -> bool {
    scratch.rows.clear();
    let same = |x: FunctionId, y: FunctionId| {
        base.hashes[x] == new.hashes[y] && base.label(x) == new.label(y)
    };
    if b.len() <= 1 && n.len() <= 1 {
        match (b.first(), n.first()) {
            (Some(&x), Some(&y)) if same(x, y) => scratch.rows.push(((false, 0, x), x, y)),
            (x, y) => {
                scratch.rows.extend(x.map(|&x| ((false, 0, x), x, NONE)));
                scratch.rows.extend(y.map(|&y| ((true, 0, y), NONE, y)));
            }
        }
        return true;
    }
    // Sort each side by (label hash, label): integer compares, and a string
    // compare only on an equal hash. Everything needed later is copied into
    // the scratch rows, so the sorts do not chase pointers.
    type Item = (u64, u32, FunctionId);
    let sort = |ids: &[FunctionId], side: &Side<'_>, into: &mut Vec<Item>| {
        into.clear();
        into.extend(ids.iter().map(|&id| (side.hashes[id], side.line(id), id)));
        into.sort_unstable_by(|p, q| {
            p.0.cmp(&q.0)
                .then_with(|| side.label(p.2).cmp(side.label(q.2)))
        });
        !into
            .windows(2)
            .any(|w| w[0].0 == w[1].0 && side.label(w[0].2) == side.label(w[1].2))
    };
    if !sort(b, base, &mut scratch.base) || !sort(n, new, &mut scratch.new) {
        return false;
    }
    // Merge join.
    let (bs, ns) = (&scratch.base, &scratch.new);
    let (mut i, mut j) = (0, 0);
    while i < bs.len() || j < ns.len() {
        let order = match (bs.get(i), ns.get(j)) {
            (Some(p), Some(q)) => {
                p.0.cmp(&q.0)
                    .then_with(|| base.label(p.2).cmp(new.label(q.2)))
            }
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                let (_, line, x) = bs[i];
                scratch.rows.push(((false, line, x), x, NONE));
                i += 1;
            }
            Ordering::Greater => {
                let (_, line, y) = ns[j];
                scratch.rows.push(((true, line, y), NONE, y));
                j += 1;
            }
            Ordering::Equal => {
                let ((_, line, x), (_, _, y)) = (bs[i], ns[j]);
                scratch.rows.push(((false, line, x), x, y));
                i += 1;
                j += 1;
            }
        }
    }
    scratch.rows.sort_unstable_by_key(|row| row.0);
    true
}

/// Collects the equal runs a diff reports.
#[derive(Default)]
struct EqualRuns(Vec<(usize, usize, usize)>);

impl DiffHook for EqualRuns {
    type Error = Infallible;

    fn equal(&mut self, old_index: usize, new_index: usize, len: usize) -> Result<(), Infallible> {
        self.0.push((old_index, new_index, len));
        Ok(())
    }
}

/// Aligns a group with repeated names: the sequences of names in line order
/// are diffed, then unique leftovers pair. Rows come in aligned line order.
fn align_sequences(
    b: &[FunctionId],
    n: &[FunctionId],
    base: &Side<'_>,
    new: &Side<'_>,
) -> Vec<Row> {
    let mut b = b.to_vec();
    let mut n = n.to_vec();
    // Functions without a line keep their recorded order (ids break ties).
    b.sort_unstable_by_key(|&id| (base.line(id), id));
    n.sort_unstable_by_key(|&id| (new.line(id), id));

    // Back to front, so an ambiguous duplicate stays with the function after
    // it (see the module docs).
    let old_names: Vec<&str> = b.iter().rev().map(|&id| base.label(id)).collect();
    let new_names: Vec<&str> = n.iter().rev().map(|&id| new.label(id)).collect();
    let mut runs = EqualRuns::default();
    diff_slices(Algorithm::Patience, &mut runs, &old_names, &new_names)
        .unwrap_or_else(|never| match never {});

    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (old_index, new_index, len) in runs.0 {
        for k in 0..len {
            pairs.push((b.len() - 1 - (old_index + k), n.len() - 1 - (new_index + k)));
        }
    }
    pairs.sort_unstable();

    // Interleave: between two pairs, the base-only functions, then the
    // new-only ones.
    let mut rows: Vec<Row> = Vec::with_capacity(b.len() + n.len() - pairs.len());
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in pairs.iter().copied().chain(iter::once((b.len(), n.len()))) {
        rows.extend(b[i..pi].iter().map(|&x| (Some(x), None)));
        rows.extend(n[j..pj].iter().map(|&y| (None, Some(y))));
        if pi < b.len() {
            rows.push((Some(b[pi]), Some(n[pj])));
        }
        i = pi + 1;
        j = pj + 1;
    }

    pair_unique_leftovers(&mut rows, base, new);
    rows
}

/// A name left over exactly once on each side is one function that moved
/// past another; pair it, at its new position.
fn pair_unique_leftovers(rows: &mut Vec<Row>, base: &Side<'_>, new: &Side<'_>) {
    #[derive(Default)]
    struct Leftover {
        base_count: usize,
        base_row: usize,
        new_count: usize,
        new_row: usize,
    }
    let mut leftovers: FxMap<&str, Leftover> = FxMap::default();
    for (index, row) in rows.iter().enumerate() {
        match *row {
            (Some(x), None) => {
                let entry = leftovers.entry(base.label(x)).or_default();
                entry.base_count += 1;
                entry.base_row = index;
            }
            (None, Some(y)) => {
                let entry = leftovers.entry(new.label(y)).or_default();
                entry.new_count += 1;
                entry.new_row = index;
            }
            _ => {}
        }
    }
    let mut paired = false;
    // Each pairing touches its own two rows, so iteration order is irrelevant.
    for entry in leftovers.values() {
        if entry.base_count == 1 && entry.new_count == 1 {
            rows[entry.new_row].0 = rows[entry.base_row].0.take();
            paired = true;
        }
    }
    if paired {
        rows.retain(|row| row.0.is_some() || row.1.is_some());
    }
}
