//! The call graph of a diff: every call edge of either profile, between
//! rows of the diff (aligned functions), with its calls and inclusive cost
//! on each side. What the pictures ([`crate::render`]'s DOT graph and the
//! HTML report's neighbourhood view) draw; computed here, drawn there.

use rustc_hash::FxHashMap;

use crate::diff::{Change, Count, ProfileDiff};
use crate::model::Profile;

/// One caller → callee pair of rows, summed over the edges that join them
/// (two functions of one side can share a row only in odd profiles).
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeChange {
    /// The caller's row in [`ProfileDiff::functions`].
    pub caller: usize,
    /// The callee's row.
    pub callee: usize,
    /// Calls along the edge; absent on a side without the edge.
    pub calls: Change<Count>,
    /// Inclusive cost of those calls, where the format records it.
    pub inclusive: Change<f64>,
}

impl EdgeChange {
    /// The larger side's inclusive cost (0 when unknown): how heavy to draw
    /// the edge.
    pub fn weight(&self) -> f64 {
        self.inclusive
            .base
            .unwrap_or(0.0)
            .max(self.inclusive.new.unwrap_or(0.0))
    }
}

/// Every edge of both profiles between rows of `diff`, in row order of the
/// caller, then of the callee. Rows are those of `diff.functions` as it is
/// now (sorted or not), so compute this after sorting.
pub fn edge_changes(base: &Profile, new: &Profile, diff: &ProfileDiff) -> Vec<EdgeChange> {
    let (base_rows, new_rows) = crate::diff::rows_by_function(base, new, &diff.functions);
    #[derive(Default)]
    struct Sides {
        calls: [Option<u64>; 2],
        inclusive: [Option<f64>; 2],
        present: [bool; 2],
    }
    let mut pairs: FxHashMap<(usize, usize), Sides> = FxHashMap::default();
    for (side, (profile, rows)) in [(base, &base_rows), (new, &new_rows)]
        .into_iter()
        .enumerate()
    {
        for edge in &profile.edges {
            let (Some(&caller), Some(&callee)) = (rows.get(edge.caller), rows.get(edge.callee))
            else {
                continue;
            };
            if caller == usize::MAX || callee == usize::MAX {
                continue;
            }
            let sides = pairs.entry((caller, callee)).or_default();
            sides.present[side] = true;
            if let Some(calls) = edge.calls() {
                sides.calls[side] = Some(sides.calls[side].unwrap_or(0).saturating_add(calls));
            }
            if let Some(cost) = edge.inclusive_cost() {
                sides.inclusive[side] = Some(sides.inclusive[side].unwrap_or(0.0) + cost);
            }
        }
    }
    let mut edges: Vec<EdgeChange> = pairs
        .into_iter()
        .map(|((caller, callee), sides)| {
            let on = |side: usize| {
                // An edge present without a count records none; absent is absent.
                sides.calls[side].filter(|_| sides.present[side]).map(Count)
            };
            // On both sides, a count one side lacks is unrecorded there;
            // on one side only, the other side is simply absent.
            let calls = if sides.present[0] && sides.present[1] {
                Change::recorded(on(0), on(1))
            } else {
                Change::new(on(0), on(1))
            };
            EdgeChange {
                caller,
                callee,
                calls,
                inclusive: Change::new(sides.inclusive[0], sides.inclusive[1]),
            }
        })
        .collect();
    edges.sort_unstable_by_key(|e| (e.caller, e.callee));
    edges
}

/// The part of a diff's call graph a picture draws: the changed functions
/// asked for (the seeds) and, for each, the path to a root along the
/// heaviest callers. From [`changed_region`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Region {
    /// The rows drawn, in row order.
    pub nodes: Vec<RegionNode>,
    /// Indices into the edges given to [`changed_region`] of those joining
    /// two drawn rows (self-calls included), in their order.
    pub edges: Vec<usize>,
    /// Seeds not drawn: their paths did not fit under the cap.
    pub seeds_left_out: usize,
}

/// One row of a [`Region`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionNode {
    /// The row in [`ProfileDiff::functions`].
    pub row: usize,
    /// A seed (a changed function asked for), not only a step on a path.
    pub seed: bool,
    /// The path above this row was cut by the cap: it has callers, none of
    /// them drawn. Only when the first seed's path alone is longer than
    /// the cap.
    pub callers_cut: bool,
}

/// Selects what to draw of the call graph `edges` (from [`edge_changes`]
/// on `diff`): the `seeds` (rows, most important first), each with the path
/// from it up to a root, and at most `max_nodes` rows in all.
///
/// The path follows the heaviest caller: the one whose edge carries the
/// most inclusive cost on its larger side (more calls when the costs tie or
/// are unrecorded; the lower row on a full tie, so the choice does not
/// depend on input order). It ends at a root, or where it meets a row
/// already drawn. A root is a function with no caller but itself, or one
/// the program's top called: on a side, its calls are more than the calls
/// its edges record (Python's `exec` of the main script, called once from
/// nowhere and hundreds of times by the import system, is a root).
/// Recursion can lead the heaviest callers round a cycle with no way out
/// (every caller of a function already on the path): then the walk backs
/// up and tries the next heaviest caller of the function before, a
/// depth-first search heaviest first. When no root is reachable at all,
/// the path is the one the heaviest callers led to before the dead end.
///
/// Seeds are taken in order. A seed is drawn with its whole path, or not at
/// all when the path does not fit in the nodes left (counted in
/// [`Region::seeds_left_out`]; a later seed with a shorter path may still
/// fit), so every drawn row's path to its root is drawn. The exception: when
/// nothing is drawn yet and the first seed's path alone is longer than the
/// cap, its first `max_nodes` rows are drawn and the highest is marked
/// [`RegionNode::callers_cut`], rather than an empty picture.
pub fn changed_region(
    diff: &ProfileDiff,
    edges: &[EdgeChange],
    seeds: &[usize],
    max_nodes: usize,
) -> Region {
    let rows = diff.functions.len();
    let callers = callers_heaviest_first(edges, rows);
    let called_from_top = called_from_top(diff, edges);
    let is_root = |row: usize| {
        called_from_top[row] || callers[row].iter().all(|&edge| edges[edge].caller == row)
    };
    let mut drawn = vec![false; rows];
    let mut count = 0usize;
    let mut cut_at = None;
    // Rows the current seed's search has reached: the seed's number.
    let mut seen = vec![usize::MAX; rows];
    let mut search: Vec<(usize, usize)> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    let is_seed: Vec<bool> = {
        let mut is_seed = vec![false; rows];
        for &seed in seeds.iter().filter(|&&s| s < rows) {
            is_seed[seed] = true;
        }
        is_seed
    };
    for (number, &seed) in seeds.iter().enumerate().filter(|(_, &s)| s < rows) {
        if drawn[seed] {
            continue;
        }
        // Depth-first, heaviest caller first: each entry is a row not drawn
        // yet and how many of its callers were tried.
        path.clear();
        search.clear();
        search.push((seed, 0));
        seen[seed] = number;
        let mut reached = is_root(seed);
        while !reached {
            let Some((row, tried)) = search.last_mut() else {
                break;
            };
            let row = *row;
            let next = callers[row][*tried..]
                .iter()
                .position(|&edge| {
                    let caller = edges[edge].caller;
                    caller != row && seen[caller] != number
                })
                .map(|at| {
                    *tried += at + 1;
                    edges[callers[row][*tried - 1]].caller
                });
            match next {
                Some(caller) if drawn[caller] => reached = true,
                Some(caller) => {
                    seen[caller] = number;
                    search.push((caller, 0));
                    reached = is_root(caller);
                }
                None => {
                    // A dead end: the first is the heaviest callers' path.
                    if path.is_empty() {
                        path.extend(search.iter().map(|&(row, _)| row));
                    }
                    search.pop();
                }
            }
        }
        if reached {
            path.clear();
            path.extend(search.iter().map(|&(row, _)| row));
        }
        let room = max_nodes - count;
        let fits = path.len() <= room;
        if !fits && (count > 0 || room == 0) {
            continue;
        }
        if !fits {
            path.truncate(room);
            cut_at = path.last().copied();
        }
        for &row in &path {
            drawn[row] = true;
        }
        count += path.len();
        if count == max_nodes {
            break;
        }
    }
    let nodes: Vec<RegionNode> = (0..rows)
        .filter(|&row| drawn[row])
        .map(|row| RegionNode {
            row,
            seed: is_seed[row],
            callers_cut: cut_at == Some(row),
        })
        .collect();
    let distinct_seeds = is_seed.iter().filter(|&&s| s).count();
    let seeds_drawn = nodes.iter().filter(|n| n.seed).count();
    let edges = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            drawn.get(e.caller).copied().unwrap_or(false)
                && drawn.get(e.callee).copied().unwrap_or(false)
        })
        .map(|(index, _)| index)
        .collect();
    Region {
        nodes,
        edges,
        seeds_left_out: distinct_seeds - seeds_drawn,
    }
}

/// For each row, whether the program's top called it on a side: its
/// recorded calls there are more than its edges' recorded calls.
fn called_from_top(diff: &ProfileDiff, edges: &[EdgeChange]) -> Vec<bool> {
    let mut into = vec![[0u64; 2]; diff.functions.len()];
    for edge in edges {
        if let Some(sums) = into.get_mut(edge.callee) {
            sums[0] = sums[0].saturating_add(edge.calls.base.map_or(0, |c| c.0));
            sums[1] = sums[1].saturating_add(edge.calls.new.map_or(0, |c| c.0));
        }
    }
    diff.functions
        .iter()
        .zip(into)
        .map(|(row, [base, new])| {
            row.calls.base.is_some_and(|c| c.0 > base) || row.calls.new.is_some_and(|c| c.0 > new)
        })
        .collect()
}

/// For each row, the indices of the edges into it, heaviest first (see
/// [`changed_region`]).
fn callers_heaviest_first(edges: &[EdgeChange], rows: usize) -> Vec<Vec<usize>> {
    let mut callers = vec![Vec::new(); rows];
    for (index, edge) in edges.iter().enumerate() {
        if let Some(list) = callers.get_mut(edge.callee) {
            if edge.caller < rows {
                list.push(index);
            }
        }
    }
    let calls = |e: &EdgeChange| {
        e.calls
            .base
            .unwrap_or_default()
            .max(e.calls.new.unwrap_or_default())
    };
    for list in &mut callers {
        list.sort_by(|&a, &b| {
            let (a, b) = (&edges[a], &edges[b]);
            b.weight()
                .total_cmp(&a.weight())
                .then_with(|| calls(b).cmp(&calls(a)))
                .then_with(|| a.caller.cmp(&b.caller))
        });
    }
    callers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff, DiffOptions};
    use crate::model::{Edge, Format, Function, FunctionKind, ProfileMeta, Unit};

    /// A profile of `functions` `(name, calls, inclusive)` and `edges`
    /// `(caller, callee, calls, inclusive)`.
    fn profile(functions: &[(&str, u64, f64)], edges: &[(usize, usize, u64, f64)]) -> Profile {
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
            f.file = Some("app.py".into());
            f.line = Some(line as u32 + 1);
            f.calls = Some(calls);
            f.primitive_calls = Some(calls);
            f.self_cost = inclusive / 10.0;
            f.inclusive_cost = inclusive;
            p.functions.push(f);
        }
        for &(caller, callee, calls, inclusive) in edges {
            p.edges.push(
                Edge::new(caller, callee)
                    .with_calls(Some(calls))
                    .with_inclusive_cost(Some(inclusive)),
            );
        }
        p
    }

    /// What [`changed_region`] drew, by name: nodes (`*` after a seed, `^`
    /// after a cut path), edges `caller>callee`, and the seeds left out.
    #[derive(Debug, PartialEq)]
    struct Drawn {
        nodes: Vec<String>,
        edges: Vec<String>,
        left_out: usize,
    }

    fn region(base: &Profile, new: &Profile, seeds: &[&str], max_nodes: usize) -> Drawn {
        let diff = diff(base, new, &DiffOptions::default()).unwrap();
        let name = |row: usize| {
            let key = &diff.functions[row].key;
            key.rsplit(':').next().unwrap().to_string()
        };
        let row = |wanted: &str| {
            (0..diff.functions.len())
                .find(|&row| name(row) == wanted)
                .unwrap_or_else(|| panic!("no row {wanted}"))
        };
        let seeds: Vec<usize> = seeds.iter().map(|s| row(s)).collect();
        let edges = edge_changes(base, new, &diff);
        let region = changed_region(&diff, &edges, &seeds, max_nodes);
        let mut nodes: Vec<String> = region
            .nodes
            .iter()
            .map(|n| {
                let seed = if n.seed { "*" } else { "" };
                let cut = if n.callers_cut { "^" } else { "" };
                format!("{}{seed}{cut}", name(n.row))
            })
            .collect();
        nodes.sort();
        let mut drawn_edges: Vec<String> = region
            .edges
            .iter()
            .map(|&e| format!("{}>{}", name(edges[e].caller), name(edges[e].callee)))
            .collect();
        drawn_edges.sort();
        Drawn {
            nodes,
            edges: drawn_edges,
            left_out: region.seeds_left_out,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// main → a → b → c, and main → x → c with less time; `c_calls` calls
    /// of c from b.
    fn chain(c_calls: u64) -> Profile {
        profile(
            &[
                ("main", 1, 10.0),
                ("a", 1, 8.0),
                ("b", 1, 7.0),
                ("c", c_calls + 1, 6.0),
                ("x", 1, 1.0),
            ],
            &[
                (0, 1, 1, 8.0),
                (1, 2, 1, 7.0),
                (2, 3, c_calls, 5.5),
                (0, 4, 1, 1.0),
                (4, 3, 1, 0.5),
            ],
        )
    }

    #[test]
    fn a_seed_brings_its_path_along_the_heaviest_callers() {
        let drawn = region(&chain(2), &chain(5), &["c"], 40);
        assert_eq!(
            drawn,
            Drawn {
                nodes: names(&["a", "b", "c*", "main"]),
                edges: names(&["a>b", "b>c", "main>a"]),
                left_out: 0,
            }
        );
    }

    #[test]
    fn equal_callers_are_chosen_by_calls_then_by_row() {
        // c's two callers carry no cost: the one with more calls on its
        // larger side wins.
        let with_calls = |p_calls: u64, q_calls: u64| {
            profile(
                &[
                    ("main", 1, 0.0),
                    ("p", 1, 0.0),
                    ("q", 1, 0.0),
                    ("c", p_calls + q_calls, 0.0),
                ],
                &[
                    (0, 1, 1, 0.0),
                    (0, 2, 1, 0.0),
                    (1, 3, p_calls, 0.0),
                    (2, 3, q_calls, 0.0),
                ],
            )
        };
        let drawn = region(&with_calls(2, 3), &with_calls(2, 4), &["c"], 40);
        assert_eq!(drawn.nodes, names(&["c*", "main", "q"]));
        // 3 calls at most on either edge: a tie, and the lower row (p,
        // aligned first) wins, every time.
        for _ in 0..3 {
            let drawn = region(&with_calls(3, 2), &with_calls(2, 3), &["c"], 40);
            assert_eq!(drawn.nodes, names(&["c*", "main", "p"]));
        }
    }

    #[test]
    fn the_cap_keeps_whole_paths_and_counts_the_seeds_left_out() {
        let (base, new) = (chain(2), chain(5));
        // c's path is 4 rows: under a cap of 3 it does not fit, x's (x,
        // main) does.
        let drawn = region(&base, &new, &["a", "c", "x"], 3);
        assert_eq!(
            drawn,
            Drawn {
                nodes: names(&["a*", "main", "x*"]),
                edges: names(&["main>a", "main>x"]),
                left_out: 1,
            }
        );
        // A seed drawn as a step of an earlier seed's path is drawn.
        let drawn = region(&base, &new, &["c", "b", "x"], 4);
        assert_eq!(drawn.nodes, names(&["a", "b*", "c*", "main"]));
        assert_eq!(drawn.left_out, 1);
    }

    #[test]
    fn a_first_path_longer_than_the_cap_is_cut_not_dropped() {
        let drawn = region(&chain(2), &chain(5), &["c", "x"], 2);
        assert_eq!(
            drawn,
            Drawn {
                nodes: names(&["b^", "c*"]),
                edges: names(&["b>c"]),
                left_out: 1,
            }
        );
        assert_eq!(region(&chain(2), &chain(5), &["c"], 0).left_out, 1);
    }

    #[test]
    fn recursion_does_not_trap_the_walk() {
        // f calls itself, f ↔ g call each other heavily, main calls f once
        // with less cost than g's calls of f.
        let cycle = |calls: u64| {
            profile(
                &[("main", 1, 10.0), ("f", calls, 9.0), ("g", 5, 9.0)],
                &[
                    (0, 1, 1, 9.0),
                    (1, 1, calls - 6, 20.0),
                    (2, 1, 5, 15.0),
                    (1, 2, 5, 15.0),
                ],
            )
        };
        let drawn = region(&cycle(10), &cycle(12), &["f"], 40);
        // f's heaviest caller is g; g's only caller is f, on the path: a
        // dead end. The walk backs up to f's next heaviest caller, main.
        assert_eq!(drawn.nodes, names(&["f*", "main"]));
        assert_eq!(drawn.edges, names(&["f>f", "main>f"]));
    }

    #[test]
    fn without_a_reachable_root_the_heaviest_path_is_drawn() {
        // f ↔ g ↔ h, and nothing else calls them.
        let cycle = |calls: u64| {
            profile(
                &[("f", calls, 9.0), ("g", 2, 9.0), ("h", 1, 5.0)],
                &[
                    (1, 0, calls - 1, 9.0),
                    (2, 0, 1, 1.0),
                    (0, 1, 2, 9.0),
                    (1, 2, 1, 5.0),
                ],
            )
        };
        let drawn = region(&cycle(3), &cycle(4), &["f"], 40);
        assert_eq!(drawn.nodes, names(&["f*", "g"]));
        assert_eq!(drawn.edges, names(&["f>g", "g>f"]));
    }

    #[test]
    fn a_function_the_top_called_is_a_root() {
        // run is called once from nowhere and 4 times by loader; loader by
        // run. The walk from job stops at run.
        let p = |job_calls: u64| {
            profile(
                &[
                    ("run", 5, 10.0),
                    ("loader", 4, 9.0),
                    ("job", job_calls, 2.0),
                ],
                &[(1, 0, 4, 9.0), (0, 1, 4, 9.5), (0, 2, job_calls, 2.0)],
            )
        };
        let drawn = region(&p(1), &p(3), &["job"], 40);
        assert_eq!(drawn.nodes, names(&["job*", "run"]));
        assert_eq!(drawn.edges, names(&["run>job"]));
    }

    #[test]
    fn without_edges_the_seeds_stand_alone() {
        let p = |calls: u64| profile(&[("main", 1, 1.0), ("f", calls, 0.5)], &[]);
        let drawn = region(&p(1), &p(2), &["f", "main"], 40);
        assert_eq!(
            drawn,
            Drawn {
                nodes: names(&["f*", "main*"]),
                edges: Vec::new(),
                left_out: 0,
            }
        );
    }

    #[test]
    fn removed_and_added_callers_are_followed() {
        // c is called by old in the base, by fresh in the new profile.
        let base = profile(
            &[("main", 1, 10.0), ("old", 1, 5.0), ("c", 1, 4.0)],
            &[(0, 1, 1, 5.0), (1, 2, 1, 4.0)],
        );
        let new = profile(
            &[("main", 1, 10.0), ("fresh", 1, 6.0), ("c", 2, 5.0)],
            &[(0, 1, 1, 6.0), (1, 2, 2, 5.0)],
        );
        let drawn = region(&base, &new, &["c"], 40);
        // The new caller carries more: the path goes through it.
        assert_eq!(drawn.nodes, names(&["c*", "fresh", "main"]));
    }
}
