//! Summing profiles the way `pstats.Stats.add` does.
//!
//! Five runs of the same program merged into one profile average out the
//! noise of any single run, and are what `pstats.Stats(a).add(b, …)` users
//! already expect. The arithmetic is CPython's (`Lib/pstats.py`,
//! `add_func_stats` and `add_callers`):
//!
//! * per function: primitive calls (`cc`), calls (`nc`), self time (`tt`) and
//!   inclusive time (`ct`) are summed;
//! * per caller edge: cProfile's `(nc, cc, tt, ct)` tuples are summed element
//!   by element, the `profile` module's plain counts are summed; an edge (or a
//!   number) absent from one profile counts as zero, and a number absent
//!   from every profile stays absent;
//! * sampled stacks, when a format has them, are concatenated;
//! * totals: `Stats.add` adds each input's own `total_calls`, `prim_calls`
//!   and `total_tt`. When an input states totals its rows do not add up to
//!   ([`Profile::declared`]: the header of a `print_stats(20)` text), the
//!   merged profile declares the sum of every input's totals (declared, or
//!   its rows' sums for an input that declares none). When none does, the
//!   totals stay the sums over the merged functions.
//!
//! Functions are matched by their **raw identity** `(file, line, name)` as
//! recorded, exactly like pstats' dictionary keys, and *not* by profdiff's
//! normalised alignment key: merging is about runs of one program on one
//! machine, where the raw identity is exact, and a merged pstats dump must
//! keep pstats' own keys so that Python reads it as it would its own
//! `Stats.add` result. (To compare runs recorded on different machines, use
//! [`crate::stats`], which aligns by key.) The object (callgrind `ob=`) is not
//! part of the identity, as pstats has none.
//!
//! Results are bit-identical to pstats': floating-point addition is
//! commutative, and profiles are folded left in the order given, as
//! `s = Stats(a); s.add(b); s.add(c)` does. (Note that `Stats(a, b, c)` and
//! `s.add(b, c)` add their arguments in *reverse* order, which can change
//! the last bit of a sum.)

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{DeclaredTotals, Edge, FunctionId, Profile, ProfileMeta, Stack};

/// A function's identity inside pstats: `(file, line, name)`.
type Identity = (Option<String>, Option<u32>, String);

/// Sums `profiles` into one. They must share one unit.
pub fn merge(profiles: &[Profile]) -> Result<Profile> {
    let Some(first) = profiles.first() else {
        return Err(Error::Usage("merging needs at least one profile".into()));
    };
    if let Some(other) = profiles.iter().find(|p| p.meta.unit != first.meta.unit) {
        return Err(Error::Usage(format!(
            "cannot merge {} ({}) with {} ({}): the units differ",
            first.meta.path, first.meta.unit, other.meta.path, other.meta.unit
        )));
    }

    let mut merged = Profile::new(merged_meta(profiles));
    let mut ids: HashMap<Identity, FunctionId> = HashMap::new();
    let mut edge_index: HashMap<(FunctionId, FunctionId), usize> = HashMap::new();
    for profile in profiles {
        // This profile's function ids → merged ids.
        let mut map = Vec::with_capacity(profile.functions.len());
        for function in &profile.functions {
            let identity = (function.file.clone(), function.line, function.name.clone());
            let id = match ids.get(&identity) {
                Some(&id) => {
                    let target = &mut merged.functions[id];
                    target.calls = add_count(target.calls, function.calls);
                    target.primitive_calls =
                        add_count(target.primitive_calls, function.primitive_calls);
                    target.self_cost += function.self_cost;
                    // A bound on either side makes the sum a bound.
                    if target.inclusive_min.is_some() || function.inclusive_min.is_some() {
                        let least = target.inclusive_range().0 + function.inclusive_range().0;
                        target.inclusive_min = Some(least);
                    }
                    target.inclusive_cost += function.inclusive_cost;
                    id
                }
                None => {
                    let id = merged.functions.len();
                    merged.functions.push(function.clone());
                    ids.insert(identity, id);
                    id
                }
            };
            map.push(id);
        }
        for edge in &profile.edges {
            let (Some(&caller), Some(&callee)) = (map.get(edge.caller), map.get(edge.callee))
            else {
                continue;
            };
            match edge_index.get(&(caller, callee)) {
                Some(&index) => {
                    let old = merged.edges[index];
                    merged.edges[index] = Edge::new(caller, callee)
                        .with_calls(add_count(old.calls(), edge.calls()))
                        .with_primitive_calls(add_count(
                            old.primitive_calls(),
                            edge.primitive_calls(),
                        ))
                        .with_self_cost(add_cost(old.self_cost(), edge.self_cost()))
                        .with_inclusive_cost(add_cost(old.inclusive_cost(), edge.inclusive_cost()));
                }
                None => {
                    edge_index.insert((caller, callee), merged.edges.len());
                    let mut copy = *edge;
                    copy.caller = caller;
                    copy.callee = callee;
                    merged.edges.push(copy);
                }
            }
        }
        for stack in &profile.stacks {
            let frames: Option<Vec<FunctionId>> =
                stack.frames.iter().map(|&f| map.get(f).copied()).collect();
            if let Some(frames) = frames {
                merged.stacks.push(Stack {
                    frames,
                    cost: stack.cost,
                });
            }
        }
    }
    merged.declared = summed_totals(profiles);
    Ok(merged)
}

/// Every input's totals added up, as `Stats.add` does, when at least one
/// input declares its own; `None` (the merged rows' sums) otherwise.
fn summed_totals(profiles: &[Profile]) -> Option<DeclaredTotals> {
    if profiles.iter().all(|p| p.declared.is_none()) {
        return None;
    }
    let mut totals = DeclaredTotals {
        cost: 0.0,
        calls: None,
        primitive_calls: None,
    };
    for profile in profiles {
        totals.cost += profile.total_cost();
        totals.calls = add_count(totals.calls, profile.total_calls());
        totals.primitive_calls = add_count(totals.primitive_calls, profile.total_primitive_calls());
    }
    Some(totals)
}

fn merged_meta(profiles: &[Profile]) -> ProfileMeta {
    let first = &profiles[0].meta;
    let same = |get: &dyn Fn(&ProfileMeta) -> Option<String>| -> Option<String> {
        let value = get(first);
        profiles
            .iter()
            .all(|p| get(&p.meta) == value)
            .then_some(value)
            .flatten()
    };
    let mut notes: Vec<String> = Vec::new();
    if profiles.len() > 1 {
        notes.push(format!(
            "sum of {} profiles: {}",
            profiles.len(),
            profiles
                .iter()
                .map(|p| p.meta.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for profile in profiles {
        for note in &profile.meta.notes {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
    }
    let precision = profiles
        .iter()
        .filter_map(|p| p.meta.precision)
        .fold(None, |acc: Option<f64>, p| {
            Some(acc.map_or(p, |a| a.max(p)))
        });
    ProfileMeta {
        path: if profiles.len() == 1 {
            first.path.clone()
        } else {
            format!("{} (+{} merged)", first.path, profiles.len() - 1)
        },
        format: first.format,
        unit: first.unit.clone(),
        precision,
        producer: same(&|m| m.producer.clone()),
        notes,
    }
}

/// pstats adds ints; a count no profile has stays unknown.
fn add_count(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

fn add_cost(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x),
        (Some(x), Some(y)) => Some(x + y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Format, Function, FunctionKind, Unit};

    fn profile(path: &str, functions: &[(&str, u32, u64, f64, f64)]) -> Profile {
        let mut p = Profile::new(ProfileMeta {
            path: path.into(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: Some("profile".into()),
            notes: Vec::new(),
        });
        for &(name, line, calls, tt, ct) in functions {
            let mut f = Function::new(name, FunctionKind::Source);
            f.file = Some("/app/m.py".into());
            f.line = Some(line);
            f.calls = Some(calls);
            f.primitive_calls = Some(calls);
            f.self_cost = tt;
            f.inclusive_cost = ct;
            p.functions.push(f);
        }
        p
    }

    #[test]
    fn int_callers_add_like_the_profile_module() {
        let mut a = profile("a", &[("main", 1, 1, 0.5, 1.0), ("f", 5, 2, 0.5, 0.5)]);
        a.edges.push(Edge::new(0, 1).with_calls(Some(2)));
        // Different order and a function only b has.
        let mut b = profile(
            "b",
            &[
                ("g", 9, 1, 0.25, 0.25),
                ("f", 5, 3, 0.75, 0.75),
                ("main", 1, 1, 0.5, 1.5),
            ],
        );
        b.edges.push(Edge::new(2, 1).with_calls(Some(3)));
        b.edges.push(Edge::new(2, 0).with_calls(Some(1)));
        let m = merge(&[a, b]).unwrap();
        let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["main", "f", "g"]);
        assert_eq!(m.functions[1].calls, Some(5));
        assert_eq!(m.functions[1].self_cost, 1.25);
        assert_eq!(m.functions[0].inclusive_cost, 2.5);
        assert_eq!(m.edges.len(), 2);
        assert_eq!(m.edges[0].calls(), Some(5));
        assert_eq!(m.edges[0].inclusive_cost(), None);
        assert_eq!((m.edges[1].caller, m.edges[1].callee), (0, 2));
        assert_eq!(m.meta.producer.as_deref(), Some("profile"));
        assert_eq!(m.meta.path, "a (+1 merged)");
    }

    #[test]
    fn same_name_other_line_is_another_function() {
        // Raw identity, not the alignment key: pstats keeps both.
        let a = profile("a", &[("f", 5, 1, 0.5, 0.5)]);
        let b = profile("b", &[("f", 7, 1, 0.5, 0.5)]);
        assert_eq!(merge(&[a, b]).unwrap().functions.len(), 2);
    }

    #[test]
    fn declared_totals_add_up_like_stats_add() {
        let rows = || profile("a", &[("main", 1, 2, 0.5, 1.0)]);
        // No input declares totals: the merged rows' sums are the totals.
        let m = merge(&[rows(), rows()]).unwrap();
        assert_eq!(m.declared, None);
        assert_eq!((m.total_calls(), m.total_cost()), (Some(4), 1.0));
        // One lists 1 function of a profile whose header says 10 calls in
        // 3 s; the other declares nothing and counts as its rows.
        let mut listed = rows();
        listed.declared = Some(DeclaredTotals {
            cost: 3.0,
            calls: Some(10),
            primitive_calls: Some(7),
        });
        let m = merge(&[listed.clone(), rows()]).unwrap();
        assert_eq!(
            m.declared,
            Some(DeclaredTotals {
                cost: 3.5,
                calls: Some(12),
                primitive_calls: Some(9)
            })
        );
        let m = merge(&[listed.clone(), listed]).unwrap();
        assert_eq!(
            (m.total_calls(), m.total_primitive_calls(), m.total_cost()),
            (Some(20), Some(14), 6.0)
        );
    }

    #[test]
    fn units_must_match_and_input_must_exist() {
        let a = profile("a", &[]);
        let mut b = profile("b", &[]);
        b.meta.unit = Unit::Samples;
        assert!(merge(&[a, b]).is_err());
        assert!(merge(&[]).is_err());
    }
}
