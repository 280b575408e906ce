//! Matching within a group: by name when no name repeats, otherwise by the
//! evidence [`super::repeated`] weighs.

use std::cmp::Ordering;

use crate::model::FunctionId;

use super::keys::{build_key, collisions_possible, make_unique, push_numbered};
use super::repeated::align_repeated;
use super::side::{Interner, Side};
use super::Aligned;

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

    // Groups pair independently: contiguous runs of them are paired on
    // every core and concatenated, so the rows come in the same order.
    let names = &interner.names;
    let mut out = crate::parallel::map_pieces(
        &mut order,
        |&group| base_buckets.get(group).len() + new_buckets.get(group).len(),
        |groups| {
            let mut out = Vec::new();
            let mut scratch = Scratch::default();
            for &mut group in groups {
                let prefix = names[group];
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
                    let rows = align_repeated(b, n, base, new);
                    push_numbered(prefix, &rows, base, new, &mut out);
                }
            }
            out
        },
    );
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
