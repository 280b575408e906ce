//! Causes: which call-count changes happened at their origin, and which
//! only follow from them.
//!
//! When a handler stops creating five DynamoDB clients, thousands of calls
//! further down vanish with them (`isinstance`, `dict.get`, botocore's
//! loaders). Sorting a diff by calls puts those first; what a user needs
//! first is the one change they would have to undo.
//!
//! A function's calls arrive along its caller edges. Along an edge whose
//! caller ran on both sides, the base says how many calls the callee got
//! per call of the caller; if the new profile keeps that rate, the edge's
//! change only follows the caller's. What does not follow is the function's
//! **own** change:
//!
//! ```text
//! own(f) = Σ over caller edges c→f, c on both sides with calls:
//!              new(c→f) − base(c→f) × new(c) / base(c)
//!        + the change in calls no recorded caller made (the program's
//!          entry, a root: `exec`)
//! ```
//!
//! An edge that appears or vanishes while its caller ran on both sides has a
//! rate of 0 on one side, so it counts in full. An edge whose caller exists
//! on one side only follows that caller's appearing or vanishing. Recursion
//! needs nothing special: `fib → fib` is an edge like any other, whose rate
//! stays put when only the outside calls change and moves when the depth
//! does. A function is a **cause** when its own change goes the way its
//! whole change goes, is at least one call and at least [`OWN_SHARE`] of the
//! whole, and moved more inclusive time than the diff's change threshold;
//! any other function whose calls changed is a **consequence**.
//!
//! Each change is traced to one cause: walking the caller graph from its
//! roots (components of mutual recursion as one step), every function's
//! change is split by where it came from (its own part, and each caller
//! edge's share, which comes from wherever that caller's came from), and
//! the largest part names its cause. Causes rank by the inclusive time their
//! own change moved: own calls × inclusive time per call (the base's, or the
//! new's for a function new in the profile).
//!
//! Sampled profiles have no call counts: there is nothing to analyse, and
//! [`analyze`] says so.

use crate::diff::{Change, Count, FunctionDiff, ProfileDiff};
use crate::hints::Hint;
use crate::model::{FunctionId, Profile};

/// A function is a cause when its own change is at least this share of its
/// whole change: a few extra `isinstance` calls in one caller must not make
/// ten thousand vanished ones a cause.
pub const OWN_SHARE: f64 = 0.5;

/// How many consequences a cause keeps (the largest changes).
pub const MAX_CONSEQUENCES: usize = 50;

/// Δinclusive split in two: the calls that were added or removed, each at
/// the base's cost per call, and what every remaining call costs more or
/// less. `calls + per_call` is Δinclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// Δcalls × base inclusive cost per call.
    pub calls: f64,
    /// new calls × Δ(inclusive cost per call).
    pub per_call: f64,
}

/// The effect of a row present on both sides with call counts on both;
/// `None` otherwise. A function not called in the base (0 calls) owes all
/// of its change to calls.
pub fn effect(row: &FunctionDiff) -> Option<Effect> {
    let (Some(base_calls), Some(new_calls)) = (row.calls.base, row.calls.new) else {
        return None;
    };
    let (Some(base), Some(new)) = (row.inclusive_cost.base, row.inclusive_cost.new) else {
        return None;
    };
    let delta = new - base;
    if base_calls.0 == 0 {
        return Some(Effect {
            calls: delta,
            per_call: 0.0,
        });
    }
    let calls = (new_calls.0 as f64 - base_calls.0 as f64) * (base / base_calls.0 as f64);
    Some(Effect {
        calls,
        per_call: delta - calls,
    })
}

/// A caller edge whose calls per call of the caller changed.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseEdge {
    /// The caller's key.
    pub key: String,
    /// The caller's pstats-like label.
    pub display: String,
    /// Calls along the edge, per side (absent where the edge is).
    pub calls: Change<Count>,
    /// The caller's own calls, per side.
    pub caller_calls: Change<Count>,
}

/// A change that follows from a cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Consequence {
    /// The function's key.
    pub key: String,
    /// Its pstats-like label.
    pub display: String,
    /// Its calls, per side.
    pub calls: Change<Count>,
}

/// A call-count change at its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// The function's key.
    pub key: String,
    /// The function in the base profile, when there.
    pub base_id: Option<FunctionId>,
    /// The function in the new profile, when there.
    pub new_id: Option<FunctionId>,
    /// Its pstats-like label.
    pub display: String,
    /// Its calls, per side.
    pub calls: Change<Count>,
    /// Its inclusive cost, per side.
    pub inclusive_cost: Change<f64>,
    /// The part of Δcalls that does not follow from its callers (for a
    /// recursive function, with the calls it made of itself because of it).
    pub own_calls: f64,
    /// The inclusive cost that own change moved: own calls × inclusive cost
    /// per call. What causes are ranked by (largest magnitude first).
    pub moved: f64,
    /// The row's [`Effect`], when both sides count calls.
    pub effect: Option<Effect>,
    /// The caller edges whose rate changed, largest change first.
    pub edges: Vec<CauseEdge>,
    /// The changes traced to this cause, largest first (at most
    /// [`MAX_CONSEQUENCES`]).
    pub consequences: Vec<Consequence>,
    /// How many changes were traced to it in all.
    pub consequence_count: usize,
    /// Advice, when it is a known kind of waste ([`crate::hints`]).
    pub hints: Vec<Hint>,
}

/// The causes of a diff, ranked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Causes {
    /// Largest time moved first.
    pub causes: Vec<Cause>,
    /// Why there are none, when the inputs allow no analysis (sampled
    /// profiles have no call counts).
    pub unavailable: Option<String>,
}

impl Causes {
    /// Keeps the causes a reader who asked only for some functions needs:
    /// those that are among them, and those they follow from.
    pub fn retain_related(&mut self, keeps: impl Fn(&str, &str) -> bool) {
        self.causes.retain(|cause| {
            keeps(&cause.key, &cause.display)
                || cause.consequences.iter().any(|c| keeps(&c.key, &c.display))
        });
    }
}

/// Finds the causes of `diff`'s call-count changes (see the module docs).
/// `diff` must be the diff of `base` and `new`; its row order does not
/// matter.
pub fn analyze(base: &Profile, new: &Profile, diff: &ProfileDiff) -> Causes {
    let counted = |p: &Profile| p.functions.iter().any(|f| f.calls.is_some());
    if !counted(base) || !counted(new) {
        let sampled = [base, new]
            .into_iter()
            .filter(|p| !counted(p))
            .map(|p| p.meta.path.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        return Causes {
            causes: Vec::new(),
            unavailable: Some(format!(
                "no cause analysis: {sampled} has no call counts (a sampling profiler records \
                 where time went, not how often functions were called)"
            )),
        };
    }
    let mut causes = Analysis::new(base, new, diff).run();
    for cause in &mut causes.causes {
        cause.hints = crate::hints::for_cause(cause, base, new);
    }
    causes
}

/// A count that is not there (a side without the function or its count).
const NONE: u64 = u64::MAX;

/// One caller row's edge into a function, on both sides.
#[derive(Clone, Copy)]
struct EdgeCalls {
    caller: u32,
    base: u64,
    new: u64,
}

/// What the analysis reads, in compact arrays: a diff can have 100k rows
/// and two million edges, and this runs on every default report.
struct Analysis<'a> {
    diff: &'a ProfileDiff,
    /// Per row: calls on each side, [`NONE`] where absent or not counted.
    base_calls: Vec<u64>,
    new_calls: Vec<u64>,
    /// Per row: whether the function is on each side.
    on_both: Vec<bool>,
    /// Per row: Δcalls (0 where a side lacks a count it should have).
    delta: Vec<f64>,
    /// The caller edges of both sides merged by caller row, grouped by
    /// callee row: row r's are `edges[edge_start[r]..edge_start[r + 1]]`,
    /// by caller.
    edge_start: Vec<usize>,
    edges: Vec<EdgeCalls>,
}

impl<'a> Analysis<'a> {
    fn new(base: &'a Profile, new: &'a Profile, diff: &'a ProfileDiff) -> Self {
        let rows = diff.functions.len();
        let mut base_row = vec![u32::MAX; base.functions.len()];
        let mut new_row = vec![u32::MAX; new.functions.len()];
        for (row, f) in diff.functions.iter().enumerate() {
            if let Some(id) = f.base_id {
                base_row[id] = row as u32;
            }
            if let Some(id) = f.new_id {
                new_row[id] = row as u32;
            }
        }
        let (base_side, new_side) =
            crate::parallel::join(|| CalleeIndex::new(base), || CalleeIndex::new(new));
        // Per row: each side's callers as rows, sorted, then merged. Rows
        // are independent: pieces of them are merged on every core, each
        // piece's edges with its rows' edge counts, then put end to end.
        let mut ids: Vec<(Option<FunctionId>, Option<FunctionId>)> = diff
            .functions
            .iter()
            .map(|f| (f.base_id, f.new_id))
            .collect();
        let pieces = crate::parallel::in_pieces(
            &mut ids,
            |_| 1,
            |piece| {
                let mut b: Vec<(u32, u64)> = Vec::new();
                let mut n: Vec<(u32, u64)> = Vec::new();
                let mut edges = Vec::new();
                let mut ends = Vec::with_capacity(piece.len());
                for &mut (base_id, new_id) in piece {
                    base_side.callers_as_rows(base_id, &base_row, &mut b);
                    new_side.callers_as_rows(new_id, &new_row, &mut n);
                    merge_callers(&b, &n, &mut edges);
                    ends.push(edges.len());
                }
                (ends, edges)
            },
        );
        drop(ids);
        let mut edge_start = Vec::with_capacity(rows + 1);
        let mut edges = Vec::with_capacity(pieces.iter().map(|p| p.1.len()).sum());
        edge_start.push(0);
        for (ends, piece_edges) in pieces {
            let offset = edges.len();
            edge_start.extend(ends.into_iter().map(|end| offset + end));
            edges.extend(piece_edges);
        }
        let count = |c: Option<Count>| c.map_or(NONE, |c| c.0);
        Analysis {
            diff,
            base_calls: diff.functions.iter().map(|f| count(f.calls.base)).collect(),
            new_calls: diff.functions.iter().map(|f| count(f.calls.new)).collect(),
            on_both: diff
                .functions
                .iter()
                .map(|f| f.base_id.is_some() && f.new_id.is_some())
                .collect(),
            delta: diff
                .functions
                .iter()
                .map(|f| f.calls.delta().unwrap_or(0.0))
                .collect(),
            edge_start,
            edges,
        }
    }

    /// Splits row's change: returns its own part and the echo of it that
    /// came back through the function calling itself, and writes into
    /// `inherited` (parallel to its edges) what each caller edge brought
    /// and into `changed` whether the edge's rate changed.
    fn split(&self, row: usize, inherited: &mut [f64], changed: &mut [bool]) -> (f64, f64) {
        let range = self.edge_start[row]..self.edge_start[row + 1];
        let mut own = 0.0;
        let mut echo = 0.0;
        let (mut edge_base, mut edge_new) = (0u64, 0u64);
        for (k, edge) in self.edges[range.clone()].iter().enumerate() {
            edge_base = edge_base.saturating_add(edge.base);
            edge_new = edge_new.saturating_add(edge.new);
            let caller = edge.caller as usize;
            let (cb, cn) = (self.base_calls[caller], self.new_calls[caller]);
            if !self.on_both[caller] {
                // The caller appeared or vanished: so did its calls.
                inherited[k] = edge.new as f64 - edge.base as f64;
            } else if cb != NONE && cn != NONE && cb > 0 && cn > 0 {
                let expected = edge.base as f64 * cn as f64 / cb as f64;
                changed[k] =
                    u128::from(edge.base) * u128::from(cn) != u128::from(edge.new) * u128::from(cb);
                own += edge.new as f64 - expected;
                inherited[k] = expected - edge.base as f64;
                if caller == row {
                    echo += inherited[k];
                }
            } else {
                // A caller without calls on a side (seen only as a caller,
                // or not counted): its edge is as good as a root call.
                own += edge.new as f64 - edge.base as f64;
            }
        }
        // Calls no recorded caller made: the program's entry, roots.
        let root = |total: u64, edges: u64| {
            if total == NONE {
                0.0
            } else {
                (total as f64 - edges as f64).max(0.0)
            }
        };
        let own = own + root(self.new_calls[row], edge_new) - root(self.base_calls[row], edge_base);
        (own, echo)
    }

    fn run(self) -> Causes {
        let rows = self.diff.functions.len();
        let mut own = vec![0.0f64; rows];
        let mut moved = vec![0.0f64; rows];
        let mut is_cause = vec![false; rows];
        // Parallel to `edges`: what the edge brought its callee, and whether
        // its rate changed.
        let mut inherited = vec![0.0f64; self.edges.len()];
        let mut changed = vec![false; self.edges.len()];
        for row in 0..rows {
            let delta = self.delta[row];
            if delta == 0.0 {
                continue;
            }
            let range = self.edge_start[row]..self.edge_start[row + 1];
            let (own_part, echo) = self.split(
                row,
                &mut inherited[range.clone()],
                &mut changed[range.clone()],
            );
            // A recursive function's own change comes back through its call
            // of itself (fib called twice more from outside is called
            // twenty times more in all): that echo is part of its own
            // change, not something its callers brought.
            let whole = delta - echo;
            // The own part can claim no more than the change itself: a
            // memoising caller (`re._compile` in front of `re.compile`)
            // calls far more often while its callee does not, which reads
            // as an own change against the direction of the real one.
            own[row] = own_part.clamp(-whole.abs(), whole.abs()) + echo;
            moved[row] = self.moved(row, own[row]);
            is_cause[row] = own_part * whole > 0.0
                && own_part.abs() >= 0.5
                && own_part.abs() >= OWN_SHARE * whole.abs()
                && moved[row].abs() > self.diff.cost_threshold;
        }

        // Where each change came from: the origin of the caller that brought
        // the largest share (a cause is its own origin; equal shares go to
        // the cause that moved more time). Callers come first; within a
        // cycle of recursion (import machinery calls everything and is
        // called from everywhere) the members are revisited until no origin
        // moves.
        let mut origin = vec![usize::MAX; rows];
        let mut shares: Vec<(usize, f64)> = Vec::new();
        let mut pick = |row: usize, origin: &[usize]| -> usize {
            if is_cause[row] {
                return row;
            }
            shares.clear();
            let range = self.edge_start[row]..self.edge_start[row + 1];
            for (edge, &amount) in self.edges[range.clone()].iter().zip(&inherited[range]) {
                let source = origin[edge.caller as usize];
                if amount == 0.0 || source == usize::MAX {
                    continue;
                }
                match shares.iter_mut().find(|(s, _)| *s == source) {
                    Some(share) => share.1 += amount,
                    None => shares.push((source, amount)),
                }
            }
            shares
                .iter()
                .max_by(|a, b| {
                    a.1.abs()
                        .total_cmp(&b.1.abs())
                        .then(moved[a.0].abs().total_cmp(&moved[b.0].abs()))
                        .then(b.0.cmp(&a.0))
                })
                .map_or(usize::MAX, |&(source, _)| source)
        };
        for component in self.changed_components_callers_first() {
            let passes = if component.len() == 1 {
                1
            } else {
                MAX_CYCLE_PASSES
            };
            for _ in 0..passes {
                let mut moved_any = false;
                for &row in &component {
                    let source = pick(row, &origin);
                    moved_any |= source != origin[row];
                    origin[row] = source;
                }
                if !moved_any {
                    break;
                }
            }
        }

        let mut consequences: Vec<Vec<usize>> = vec![Vec::new(); rows];
        for (row, &source) in origin.iter().enumerate() {
            if source != usize::MAX && source != row && is_cause[source] {
                consequences[source].push(row);
            }
        }
        let mut causes: Vec<Cause> = (0..rows)
            .filter(|&row| is_cause[row])
            .map(|row| self.cause(row, own[row], &changed, &mut consequences[row]))
            .collect();
        causes.sort_by(|a, b| {
            b.moved
                .abs()
                .total_cmp(&a.moved.abs())
                .then_with(|| a.key.cmp(&b.key))
        });
        Causes {
            causes,
            unavailable: None,
        }
    }

    /// The inclusive cost `own` calls of the row are worth, as the calls
    /// effect counts it ([`Effect::calls`]): at the base's cost per call, or
    /// the new's for a function the base did not call. (For a recursive
    /// function `own` includes the echo of its own change, so the inner
    /// calls it brought are counted at the same average as all the others.)
    fn moved(&self, row: usize, own: f64) -> f64 {
        let f = &self.diff.functions[row];
        let per_call = |cost: Option<f64>, calls: Option<Count>| match (cost, calls) {
            (Some(cost), Some(calls)) if calls.0 > 0 => Some(cost / calls.0 as f64),
            _ => None,
        };
        let rate = per_call(f.inclusive_cost.base, f.calls.base)
            .or_else(|| per_call(f.inclusive_cost.new, f.calls.new))
            .unwrap_or(0.0);
        own * rate
    }

    fn cause(&self, row: usize, own: f64, changed: &[bool], consequences: &mut [usize]) -> Cause {
        let f = &self.diff.functions[row];
        let range = self.edge_start[row]..self.edge_start[row + 1];
        let mut edges: Vec<CauseEdge> = self.edges[range.clone()]
            .iter()
            .zip(&changed[range])
            .filter(|(_, &changed)| changed)
            .map(|(edge, _)| {
                let caller = &self.diff.functions[edge.caller as usize];
                let side = |calls: u64| (calls > 0).then_some(Count(calls));
                CauseEdge {
                    key: caller.key.clone(),
                    display: caller.display.clone(),
                    calls: Change::new(side(edge.base), side(edge.new)),
                    caller_calls: caller.calls,
                }
            })
            .collect();
        edges.sort_by(|a, b| {
            let size = |e: &CauseEdge| e.calls.delta().unwrap_or(0.0).abs();
            size(b).total_cmp(&size(a)).then_with(|| a.key.cmp(&b.key))
        });
        // Largest first by the time they moved, which is what the reader
        // weighs (a few fewer client creations before ten thousand fewer
        // `isinstance` calls), then by calls.
        let weight = |r: usize| {
            let f = &self.diff.functions[r];
            (
                f.inclusive_cost.delta().unwrap_or(0.0).abs(),
                self.delta[r].abs(),
            )
        };
        consequences.sort_by(|&a, &b| {
            let (ta, ca) = weight(a);
            let (tb, cb) = weight(b);
            tb.total_cmp(&ta)
                .then(cb.total_cmp(&ca))
                .then_with(|| self.diff.functions[a].key.cmp(&self.diff.functions[b].key))
        });
        Cause {
            key: f.key.clone(),
            base_id: f.base_id,
            new_id: f.new_id,
            display: f.display.clone(),
            calls: f.calls,
            inclusive_cost: f.inclusive_cost,
            own_calls: own,
            moved: self.moved(row, own),
            effect: effect(f),
            edges,
            consequences: consequences
                .iter()
                .take(MAX_CONSEQUENCES)
                .map(|&c| {
                    let g = &self.diff.functions[c];
                    Consequence {
                        key: g.key.clone(),
                        display: g.display.clone(),
                        calls: g.calls,
                    }
                })
                .collect(),
            consequence_count: consequences.len(),
            hints: Vec::new(),
        }
    }

    /// The rows whose calls changed, in components of the caller graph
    /// among them (cycles of recursion, or single functions), callers before
    /// callees. Only changed rows carry a change to their callees, so the
    /// rest of the graph is left out.
    fn changed_components_callers_first(&self) -> Vec<Vec<usize>> {
        let rows = self.delta.len();
        // The callee → caller graph between changed rows, in compressed
        // rows. Tarjan numbers a component after every component it reaches;
        // from a callee it reaches its callers, so callers get the lower
        // numbers and come first.
        let changed: Vec<usize> = (0..rows).filter(|&r| self.delta[r] != 0.0).collect();
        let mut index = vec![u32::MAX; rows];
        for (i, &row) in changed.iter().enumerate() {
            index[row] = i as u32;
        }
        let mut start = Vec::with_capacity(changed.len() + 1);
        let mut targets: Vec<u32> = Vec::new();
        start.push(0);
        for &row in &changed {
            for edge in &self.edges[self.edge_start[row]..self.edge_start[row + 1]] {
                let caller = index[edge.caller as usize];
                if caller != u32::MAX {
                    targets.push(caller);
                }
            }
            start.push(targets.len());
        }
        let component = crate::graph::strongly_connected(&start, |k| targets[k] as usize);
        let count = component.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (i, &c) in component.iter().enumerate() {
            groups[c as usize].push(changed[i]);
        }
        groups
    }
}

/// One profile's edges grouped by callee (compressed rows by function id:
/// function `f`'s callers are `entries[start[f]..start[f + 1]]`, as
/// (caller id, calls)).
struct CalleeIndex {
    start: Vec<usize>,
    entries: Vec<(u32, u64)>,
}

impl CalleeIndex {
    fn new(profile: &Profile) -> Self {
        let n = profile.functions.len();
        let valid = |e: &crate::model::Edge| e.caller < n && e.callee < n;
        let mut start = vec![0usize; n + 1];
        for edge in profile.edges.iter().filter(|e| valid(e)) {
            start[edge.callee + 1] += 1;
        }
        for f in 0..n {
            start[f + 1] += start[f];
        }
        let mut entries = vec![(0u32, 0u64); start[n]];
        let mut fill = start[..n].to_vec();
        for edge in profile.edges.iter().filter(|e| valid(e)) {
            let slot = &mut fill[edge.callee];
            entries[*slot] = (edge.caller as u32, edge.calls().unwrap_or(0));
            *slot += 1;
        }
        CalleeIndex { start, entries }
    }

    /// The callers of `id` (none when absent) as (row, calls), sorted by
    /// row, a caller twice (two functions of one profile on one row, in odd
    /// inputs) summed; callers outside the diff are left out.
    fn callers_as_rows(&self, id: Option<FunctionId>, row_of: &[u32], out: &mut Vec<(u32, u64)>) {
        out.clear();
        let Some(id) = id else {
            return;
        };
        out.extend(
            self.entries[self.start[id]..self.start[id + 1]]
                .iter()
                .map(|&(caller, calls)| (row_of[caller as usize], calls))
                .filter(|&(row, _)| row != u32::MAX),
        );
        if out.len() > 1 {
            out.sort_unstable_by_key(|&(row, _)| row);
            out.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    earlier.1 = earlier.1.saturating_add(later.1);
                }
                same
            });
        }
    }
}

/// Merges one row's callers on the two sides (each sorted by caller row)
/// into `edges`: a caller on one side only has 0 calls on the other.
fn merge_callers(b: &[(u32, u64)], n: &[(u32, u64)], edges: &mut Vec<EdgeCalls>) {
    let (mut i, mut j) = (0, 0);
    while i < b.len() || j < n.len() {
        let (caller, base_calls, new_calls) = match (b.get(i), n.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                i += 1;
                j += 1;
                (x.0, x.1, y.1)
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                i += 1;
                (x.0, x.1, 0)
            }
            (Some(x), None) => {
                i += 1;
                (x.0, x.1, 0)
            }
            (_, Some(y)) => {
                j += 1;
                (y.0, 0, y.1)
            }
            (None, None) => unreachable!("the loop condition"),
        };
        edges.push(EdgeCalls {
            caller,
            base: base_calls,
            new: new_calls,
        });
    }
}

/// How often the members of one cycle of recursion are revisited at most
/// while their origins settle.
const MAX_CYCLE_PASSES: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff, DiffOptions};
    use crate::model::{Edge, Format, Function, FunctionKind, ProfileMeta, Unit};

    /// Functions `(name, calls, inclusive)` and edges `(caller, callee,
    /// calls)` in one file; self cost is inclusive minus what the edges
    /// say flows out, which is all these tests need.
    fn profile(functions: &[(&str, u64, f64)], edges: &[(usize, usize, u64)]) -> Profile {
        let mut p = Profile::new(ProfileMeta {
            path: "p.prof".into(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: None,
            notes: Vec::new(),
        });
        for (line, &(name, calls, inclusive)) in functions.iter().enumerate() {
            let mut f = Function::new(name, FunctionKind::Source);
            f.file = Some("/app/app.py".into());
            f.line = Some(line as u32 + 1);
            f.calls = Some(calls);
            f.primitive_calls = Some(calls);
            f.self_cost = inclusive / 10.0;
            f.inclusive_cost = inclusive;
            p.functions.push(f);
        }
        for &(caller, callee, calls) in edges {
            p.edges
                .push(Edge::new(caller, callee).with_calls(Some(calls)));
        }
        p
    }

    fn causes(base: &Profile, new: &Profile) -> Causes {
        let options = DiffOptions {
            cost_threshold: Some(0.0),
            ..Default::default()
        };
        analyze(base, new, &diff(base, new, &options).unwrap())
    }

    fn keys(causes: &Causes) -> Vec<&str> {
        causes.causes.iter().map(|c| c.key.as_str()).collect()
    }

    #[test]
    fn a_rate_change_is_a_cause_and_what_follows_is_not() {
        // handler calls make 6 times, make calls check 10 times per call;
        // after the fix handler calls make once: check follows.
        let base = profile(
            &[("handler", 1, 1.0), ("make", 6, 0.6), ("check", 60, 0.06)],
            &[(0, 1, 6), (1, 2, 60)],
        );
        let new = profile(
            &[("handler", 1, 0.2), ("make", 1, 0.1), ("check", 10, 0.01)],
            &[(0, 1, 1), (1, 2, 10)],
        );
        let found = causes(&base, &new);
        assert_eq!(keys(&found), ["app.py:make"]);
        let make = &found.causes[0];
        assert_eq!(make.own_calls, -5.0);
        // 5 fewer calls at 0.1 s each.
        assert!((make.moved + 0.5).abs() < 1e-12);
        assert_eq!(make.edges.len(), 1);
        assert_eq!(make.edges[0].key, "app.py:handler");
        let consequences: Vec<&str> = make.consequences.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(consequences, ["app.py:check"]);
    }

    #[test]
    fn a_vanished_and_an_appeared_edge_count_in_full() {
        // load stops calling resource; init (run once on both sides) starts.
        let base = profile(
            &[("init", 1, 1.0), ("load", 1, 1.0), ("resource", 3, 0.9)],
            &[(1, 2, 3)],
        );
        let new = profile(
            &[("init", 1, 0.4), ("load", 1, 0.1), ("resource", 1, 0.3)],
            &[(0, 2, 1)],
        );
        let found = causes(&base, &new);
        assert_eq!(keys(&found), ["app.py:resource"]);
        assert_eq!(found.causes[0].own_calls, -2.0);
        let mut edges: Vec<(&str, Option<u64>, Option<u64>)> = found.causes[0]
            .edges
            .iter()
            .map(|e| {
                (
                    e.key.as_str(),
                    e.calls.base.map(|c| c.0),
                    e.calls.new.map(|c| c.0),
                )
            })
            .collect();
        edges.sort();
        assert_eq!(
            edges,
            [
                ("app.py:init", None, Some(1)),
                ("app.py:load", Some(3), None)
            ]
        );
    }

    #[test]
    fn recursion_follows_its_outside_calls_unless_its_depth_changes() {
        // fib called 2 → 4 times from main, 10 levels deep each time: the
        // recursive edge keeps its rate, so only main's edge is the cause.
        let recursive = |mut p: Profile, outer: u64| {
            p.functions[1].primitive_calls = Some(outer);
            p
        };
        let base = recursive(
            profile(
                &[("main", 1, 1.0), ("fib", 20, 0.8)],
                &[(0, 1, 2), (1, 1, 18)],
            ),
            2,
        );
        let new = recursive(
            profile(
                &[("main", 1, 2.0), ("fib", 40, 1.6)],
                &[(0, 1, 4), (1, 1, 36)],
            ),
            4,
        );
        let found = causes(&base, &new);
        assert_eq!(keys(&found), ["app.py:fib"]);
        // All 20 more calls are its own: 2 from outside and their echo.
        assert_eq!(found.causes[0].own_calls, 20.0);
        assert!((found.causes[0].moved - 0.8).abs() < 1e-12);
        let edges: Vec<&str> = found.causes[0]
            .edges
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(edges, ["app.py:main"]);
        // Deeper recursion from the same two calls: the self edge changed.
        let deeper = recursive(
            profile(
                &[("main", 1, 2.0), ("fib", 40, 1.6)],
                &[(0, 1, 2), (1, 1, 38)],
            ),
            2,
        );
        let found = causes(&base, &deeper);
        let edges: Vec<&str> = found.causes[0]
            .edges
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(edges, ["app.py:fib"]);
    }

    #[test]
    fn a_memoising_caller_does_not_make_its_callee_a_cause() {
        // lookup runs 10 → 100 times but, cached, calls compute 2 → 3 times:
        // compute's own part (3 − 20) runs against its change (+1).
        let base = profile(
            &[("main", 1, 1.0), ("lookup", 10, 0.5), ("compute", 2, 0.4)],
            &[(0, 1, 10), (1, 2, 2)],
        );
        let new = profile(
            &[("main", 1, 1.0), ("lookup", 100, 0.8), ("compute", 3, 0.6)],
            &[(0, 1, 100), (1, 2, 3)],
        );
        let found = causes(&base, &new);
        assert_eq!(keys(&found), ["app.py:lookup"]);
        let consequences: Vec<&str> = found.causes[0]
            .consequences
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(consequences, ["app.py:compute"]);
    }

    #[test]
    fn sampled_profiles_have_no_cause_analysis() {
        let mut base = profile(&[("main", 1, 1.0)], &[]);
        base.functions[0].calls = None;
        let new = base.clone();
        let found = analyze(
            &base,
            &new,
            &diff(&base, &new, &DiffOptions::default()).unwrap(),
        );
        assert!(found.causes.is_empty());
        assert!(found.unavailable.unwrap().contains("no call counts"));
    }

    #[test]
    fn effects_add_up_to_the_inclusive_change() {
        let base = profile(&[("f", 6, 0.6)], &[]);
        let new = profile(&[("f", 1, 0.145)], &[]);
        let d = diff(&base, &new, &DiffOptions::default()).unwrap();
        let e = effect(&d.functions[0]).unwrap();
        // 5 fewer calls at 0.1 s; the one left costs 45 ms more.
        assert!((e.calls + 0.5).abs() < 1e-12);
        assert!((e.per_call - 0.045).abs() < 1e-12);
        assert!(
            (e.calls + e.per_call - d.functions[0].inclusive_cost.delta().unwrap()).abs() < 1e-15
        );
    }
}
