//! Matching within a group where a name repeats (`__init__` of several
//! classes, `<lambda>`, `<genexpr>`, `<listcomp>`): which of the base's
//! same-name functions is which of the new's.
//!
//! A profile records a function's name and first line, not its code, so the
//! evidence is indirect. In order of strength:
//!
//! 1. **Anchors.** Names that occur exactly once in the file on each side pair
//!    by name. Those whose order agrees on both sides (the longest chain in
//!    line order) are anchors: they cut both files into corresponding gaps,
//!    and code between two anchors stays between them.
//! 2. **Equal numbers.** Within a gap, a name with as many functions on each
//!    side pairs in line order.
//! 3. **Line shift.** Otherwise a function whose line moved by exactly the
//!    shift of the anchor before or after its gap has unchanged code between
//!    itself and that anchor: it pairs, when no other function of the gap has
//!    that claim on the same partner.
//! 4. **Calls and callers.** What is left pairs when the two functions have
//!    the same call count and the same set of callers (by name), and no other
//!    function left over in the file has the same.
//!
//! Anything still unpaired is removed (base only) or added (new only): when
//! the evidence does not single out one partner, reporting a change between
//! two unrelated functions would be worse than reporting neither.

use crate::model::FunctionId;

use super::pairing::Row;
use super::side::Side;
use super::{FxMap, FxSet};

/// Aligns one group in which some name occurs more than once on a side.
/// Rows come in line order: by the gaps between anchors, and within a gap
/// by new line (a base-only function where its line maps to in the new).
pub(super) fn align_repeated(
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

    let base_counts = name_counts(&b, base);
    let new_counts = name_counts(&n, new);
    let is_unique = |label: &str| {
        base_counts.get(label).copied() == Some(1) && new_counts.get(label).copied() == Some(1)
    };

    // 1. Names unique on both sides pair by name; their monotone chain in
    //    line order is the set of anchors.
    let new_unique: FxMap<&str, FunctionId> = n
        .iter()
        .map(|&y| (new.label(y), y))
        .filter(|(label, _)| is_unique(label))
        .collect();
    let mut unique_pairs: Vec<(FunctionId, FunctionId)> = b
        .iter()
        .filter(|&&x| is_unique(base.label(x)))
        .map(|&x| (x, new_unique[base.label(x)]))
        .collect();
    let anchors = monotone_chain(&unique_pairs, base, new);

    let mut matcher = GapMatcher {
        base,
        new,
        anchors: &anchors,
        rows: Vec::new(),
    };
    for &(x, y) in &unique_pairs {
        matcher.push(Some(x), Some(y));
    }
    unique_pairs.clear();

    // 2–3. Repeated names (and names on one side only), gap by gap.
    let mut base_gaps: FxMap<(usize, &str), Vec<FunctionId>> = FxMap::default();
    let mut new_gaps: FxMap<(usize, &str), Vec<FunctionId>> = FxMap::default();
    let mut order: Vec<(usize, &str)> = Vec::new();
    let mut seen: FxSet<(usize, &str)> = FxSet::default();
    for &x in &b {
        let label = base.label(x);
        if !is_unique(label) {
            let gap = gap_of(base.line(x), &anchors, |a| base.line(a.0));
            push_gap(&mut base_gaps, &mut order, &mut seen, (gap, label), x);
        }
    }
    for &y in &n {
        let label = new.label(y);
        if !is_unique(label) {
            let gap = gap_of(new.line(y), &anchors, |a| new.line(a.1));
            push_gap(&mut new_gaps, &mut order, &mut seen, (gap, label), y);
        }
    }
    let mut left_base: Vec<FunctionId> = Vec::new();
    let mut left_new: Vec<FunctionId> = Vec::new();
    for slot in order {
        let xs = base_gaps.remove(&slot).unwrap_or_default();
        let ys = new_gaps.remove(&slot).unwrap_or_default();
        matcher.match_gap(slot.0, &xs, &ys, &mut left_base, &mut left_new);
    }

    // 4. Calls and callers, over what the gaps left.
    pair_by_calls_and_callers(&left_base, &left_new, base, new, |x, y| matcher.push(x, y));

    let mut rows = matcher.rows;
    rows.sort_unstable_by_key(|row| row.0);
    rows.into_iter().map(|(_, row)| row).collect()
}

fn name_counts<'s>(ids: &[FunctionId], side: &'s Side<'_>) -> FxMap<&'s str, usize> {
    let mut counts: FxMap<&str, usize> = FxMap::default();
    for &id in ids {
        *counts.entry(side.label(id)).or_default() += 1;
    }
    counts
}

fn push_gap<'s>(
    gaps: &mut FxMap<(usize, &'s str), Vec<FunctionId>>,
    order: &mut Vec<(usize, &'s str)>,
    seen: &mut FxSet<(usize, &'s str)>,
    slot: (usize, &'s str),
    id: FunctionId,
) {
    gaps.entry(slot).or_default().push(id);
    // Each slot once, in first-seen order (base before new, each in line
    // order), so the work done is deterministic.
    if seen.insert(slot) {
        order.push(slot);
    }
}

/// The longest chain of pairs whose new lines rise with their base lines
/// (pairs without a line on either side cannot order anything and are left
/// out): a patience-style longest increasing subsequence, O(k log k).
fn monotone_chain(
    pairs: &[(FunctionId, FunctionId)],
    base: &Side<'_>,
    new: &Side<'_>,
) -> Vec<(FunctionId, FunctionId)> {
    let lined: Vec<(FunctionId, FunctionId)> = pairs
        .iter()
        .copied()
        .filter(|&(x, y)| base.line(x) > 0 && new.line(y) > 0)
        .collect();
    // `pairs` is in base line order already; tails[k] = index of the
    // smallest new line ending a chain of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; lined.len()];
    for (index, &(_, y)) in lined.iter().enumerate() {
        let line = new.line(y);
        let at = tails.partition_point(|&t| new.line(lined[t].1) < line);
        previous[index] = at.checked_sub(1).map(|k| tails[k]);
        if at == tails.len() {
            tails.push(index);
        } else {
            tails[at] = index;
        }
    }
    let mut chain = Vec::with_capacity(tails.len());
    let mut cursor = tails.last().copied();
    while let Some(index) = cursor {
        chain.push(lined[index]);
        cursor = previous[index];
    }
    chain.reverse();
    chain
}

/// The gap a line falls in: 0 before the first anchor, k after the k-th.
/// Lines not known (0) all fall in one pool of their own.
fn gap_of(
    line: u32,
    anchors: &[(FunctionId, FunctionId)],
    anchor_line: impl Fn(&(FunctionId, FunctionId)) -> u32,
) -> usize {
    if line == 0 {
        return usize::MAX;
    }
    // A function on its anchor's line (a lambda inside a one-line def) is
    // inside that anchor, so it belongs to the gap after it.
    anchors.partition_point(|anchor| anchor_line(anchor) <= line)
}

/// Collects rows with the position they sort by.
struct GapMatcher<'a, 's> {
    base: &'a Side<'s>,
    new: &'a Side<'s>,
    anchors: &'a [(FunctionId, FunctionId)],
    /// (sort key, row): rows sort by gap, then by new line, a base-only
    /// function by its base line mapped into new lines, so that the
    /// numbering of repeated names follows the new profile.
    rows: Vec<((usize, u32, u8, FunctionId), Row)>,
}

impl GapMatcher<'_, '_> {
    fn push(&mut self, x: Option<FunctionId>, y: Option<FunctionId>) {
        let key = match (x, y) {
            (_, Some(y)) => {
                let line = self.new.line(y);
                (
                    gap_of(line, self.anchors, |a| self.new.line(a.1)),
                    line,
                    0,
                    y,
                )
            }
            (Some(x), None) => {
                let (gap, line) = self.base_line_in_new(x);
                (gap, line, 1, x)
            }
            (None, None) => return,
        };
        // Functions without a line come first, as `Option`'s order has it.
        let key = if key.0 == usize::MAX {
            (0, 0, key.2, key.3)
        } else {
            key
        };
        self.rows.push((key, (x, y)));
    }

    /// Where a base-only function would sit among the new's functions: its
    /// gap, and its line moved by the shift of the anchor before it.
    fn base_line_in_new(&self, x: FunctionId) -> (usize, u32) {
        let line = self.base.line(x);
        let gap = gap_of(line, self.anchors, |a| self.base.line(a.0));
        match gap.checked_sub(1).and_then(|k| self.anchors.get(k)) {
            Some(&(ax, ay)) => {
                let shift = i64::from(self.new.line(ay)) - i64::from(self.base.line(ax));
                let mapped = (i64::from(line) + shift).clamp(1, i64::from(u32::MAX)) as u32;
                (gap, mapped)
            }
            None => (gap, line),
        }
    }

    /// The shifts (new line − base line) of the anchors around a gap.
    fn shifts(&self, gap: usize) -> [Option<i64>; 2] {
        if gap == usize::MAX {
            return [None, None];
        }
        let shift = |k: usize| {
            self.anchors
                .get(k)
                .map(|&(x, y)| i64::from(self.new.line(y)) - i64::from(self.base.line(x)))
        };
        [gap.checked_sub(1).and_then(shift), shift(gap)]
    }

    /// Pairs one name's functions within one gap; what it cannot pair goes
    /// to the leftovers.
    fn match_gap(
        &mut self,
        gap: usize,
        xs: &[FunctionId],
        ys: &[FunctionId],
        left_base: &mut Vec<FunctionId>,
        left_new: &mut Vec<FunctionId>,
    ) {
        if xs.len() == ys.len() {
            for (&x, &y) in xs.iter().zip(ys) {
                self.push(Some(x), Some(y));
            }
            return;
        }
        if xs.is_empty() || ys.is_empty() {
            left_base.extend_from_slice(xs);
            left_new.extend_from_slice(ys);
            return;
        }
        // Line shift: y is at x's line moved exactly as an anchor moved.
        let shifts = self.shifts(gap);
        let by_line: FxMap<u32, FunctionId> = ys.iter().map(|&y| (self.new.line(y), y)).collect();
        let mut claims: FxMap<FunctionId, Vec<FunctionId>> = FxMap::default();
        let mut claimed_by: FxMap<FunctionId, usize> = FxMap::default();
        for &x in xs {
            let line = i64::from(self.base.line(x));
            let mut partners: Vec<FunctionId> = shifts
                .iter()
                .flatten()
                .filter_map(|shift| u32::try_from(line + shift).ok())
                .filter_map(|target| by_line.get(&target).copied())
                .collect();
            partners.dedup();
            for &y in &partners {
                *claimed_by.entry(y).or_default() += 1;
            }
            claims.insert(x, partners);
        }
        let mut paired_new: Vec<FunctionId> = Vec::new();
        for &x in xs {
            match claims[&x].as_slice() {
                [y] if claimed_by[y] == 1 => {
                    self.push(Some(x), Some(*y));
                    paired_new.push(*y);
                }
                _ => left_base.push(x),
            }
        }
        left_new.extend(ys.iter().filter(|y| !paired_new.contains(y)));
    }
}

/// Step 4: a base and a new function pair when they alone (among the
/// leftovers of their name) share a call count and a set of callers.
fn pair_by_calls_and_callers(
    left_base: &[FunctionId],
    left_new: &[FunctionId],
    base: &Side<'_>,
    new: &Side<'_>,
    mut push: impl FnMut(Option<FunctionId>, Option<FunctionId>),
) {
    type Evidence<'s> = (&'s str, Option<u64>, u64);
    let evidence_of = |side: &Side<'_>, id: FunctionId| -> (Option<u64>, u64) {
        (side.functions[id].calls, side.caller_signature(id))
    };
    let mut buckets: FxMap<Evidence<'_>, (Vec<FunctionId>, Vec<FunctionId>)> = FxMap::default();
    for &x in left_base {
        let (calls, callers) = evidence_of(base, x);
        buckets
            .entry((base.label(x), calls, callers))
            .or_default()
            .0
            .push(x);
    }
    for &y in left_new {
        let (calls, callers) = evidence_of(new, y);
        buckets
            .entry((new.label(y), calls, callers))
            .or_default()
            .1
            .push(y);
    }
    for &x in left_base {
        let (calls, callers) = evidence_of(base, x);
        match &buckets[&(base.label(x), calls, callers)] {
            (xs, ys) if xs.len() == 1 && ys.len() == 1 => push(Some(x), Some(ys[0])),
            _ => push(Some(x), None),
        }
    }
    for &y in left_new {
        let (calls, callers) = evidence_of(new, y);
        match &buckets[&(new.label(y), calls, callers)] {
            (xs, ys) if xs.len() == 1 && ys.len() == 1 => {}
            _ => push(None, Some(y)),
        }
    }
}
