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

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use crate::error::{Error, Result};
use crate::model::{DeclaredTotals, Edge, Function, FunctionId, Profile, ProfileMeta, Stack};

/// How many input paths the "sum of N profiles" note names before it
/// says how many more there were: 10,000 Lambda invocations should not
/// become a 10,000-path note.
const NOTE_PATHS: usize = 5;
/// Distinct notes kept from the inputs (each input's own notes, such as a
/// truncation warning naming its path); the rest are counted.
const NOTE_LIMIT: usize = 20;

/// Sums `profiles` into one. They must share one unit.
pub fn merge(profiles: &[Profile]) -> Result<Profile> {
    let mut merger = Merger::new();
    for profile in profiles {
        merger.add(profile.clone())?;
    }
    merger.finish()
}

/// A running sum of profiles: [`Merger::add`] one at a time, in order, and
/// drop each, so that merging 10,000 profiles needs the memory of the sum
/// plus one input, not of all of them. [`merge`] is this over a slice.
pub struct Merger {
    merged: Option<Profile>,
    /// Whether the object (callgrind `ob=`) is part of a function's
    /// identity; pstats' key has none.
    by_object: bool,
    /// Raw identity hash → first merged function with that hash; further
    /// ones are chained through `next_function`. Looking up a function
    /// this way allocates nothing.
    function_by_hash: FxHashMap<u64, FunctionId>,
    next_function: Vec<Option<FunctionId>>,
    edge_index: FxHashMap<(FunctionId, FunctionId), usize>,
    /// Identical stacks are summed, chained like functions.
    stack_by_hash: FxHashMap<u64, usize>,
    next_stack: Vec<Option<usize>>,
    /// Inputs added, the first few of their paths, and whether every one
    /// had the first one's producer.
    count: usize,
    paths: Vec<String>,
    same_producer: bool,
    notes: Vec<String>,
    dropped_notes: usize,
    /// Σ each input's own totals (declared or its rows'), as `Stats.add`
    /// keeps them; used when any input declares totals.
    totals: DeclaredTotals,
    any_declared: bool,
}

impl Default for Merger {
    fn default() -> Self {
        Merger::new()
    }
}

impl Merger {
    /// An empty sum.
    pub fn new() -> Self {
        Merger {
            merged: None,
            by_object: false,
            function_by_hash: FxHashMap::default(),
            next_function: Vec::new(),
            edge_index: FxHashMap::default(),
            stack_by_hash: FxHashMap::default(),
            next_stack: Vec::new(),
            count: 0,
            paths: Vec::new(),
            same_producer: true,
            notes: Vec::new(),
            dropped_notes: 0,
            totals: DeclaredTotals {
                cost: 0.0,
                calls: None,
                primitive_calls: None,
            },
            any_declared: false,
        }
    }

    /// An empty sum whose functions also differ by object: for writers of
    /// formats that keep objects apart (callgrind's `ob=`), where summing
    /// two libraries' `malloc` would be wrong.
    pub fn by_object() -> Self {
        Merger {
            by_object: true,
            ..Merger::new()
        }
    }

    /// Adds `profile` to the sum. Its unit must be the first one's.
    pub fn add(&mut self, profile: Profile) -> Result<()> {
        self.count += 1;
        self.any_declared |= profile.declared.is_some();
        self.totals.cost += profile.total_cost();
        self.totals.calls = add_count(self.totals.calls, profile.total_calls());
        self.totals.primitive_calls =
            add_count(self.totals.primitive_calls, profile.total_primitive_calls());
        let Profile {
            meta,
            functions,
            edges,
            stacks,
            declared: _,
        } = profile;
        if self.paths.len() < NOTE_PATHS {
            self.paths.push(meta.path.clone());
        }
        self.add_notes(&meta.notes);
        let merged = match &mut self.merged {
            Some(merged) => {
                if merged.meta.unit != meta.unit {
                    return Err(Error::Usage(format!(
                        "cannot merge {} ({}) with {} ({}): the units differ",
                        merged.meta.path, merged.meta.unit, meta.path, meta.unit
                    )));
                }
                self.same_producer &= merged.meta.producer == meta.producer;
                merged.meta.precision = match (merged.meta.precision, meta.precision) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                merged
            }
            None => self.merged.insert(Profile::new(ProfileMeta {
                notes: Vec::new(),
                ..meta
            })),
        };

        // This profile's function ids → merged ids.
        let mut map = Vec::with_capacity(functions.len());
        for function in functions {
            let hash = identity_hash(&function, self.by_object);
            let mut candidate = self.function_by_hash.get(&hash).copied();
            while let Some(id) = candidate {
                if same_identity(&merged.functions[id], &function, self.by_object) {
                    break;
                }
                candidate = self.next_function[id];
            }
            let id = match candidate {
                Some(id) => {
                    add_function(&mut merged.functions[id], &function);
                    id
                }
                None => {
                    let id = merged.functions.len();
                    merged.functions.push(function);
                    self.next_function
                        .push(self.function_by_hash.insert(hash, id));
                    id
                }
            };
            map.push(id);
        }
        for edge in edges {
            let (Some(&caller), Some(&callee)) = (map.get(edge.caller), map.get(edge.callee))
            else {
                continue;
            };
            match self.edge_index.get(&(caller, callee)) {
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
                    self.edge_index.insert((caller, callee), merged.edges.len());
                    let mut copy = edge;
                    copy.caller = caller;
                    copy.callee = callee;
                    merged.edges.push(copy);
                }
            }
        }
        for stack in stacks {
            let frames: Option<Vec<FunctionId>> =
                stack.frames.iter().map(|&f| map.get(f).copied()).collect();
            let Some(frames) = frames else { continue };
            let hash = {
                let mut hasher = FxHasher::default();
                frames.hash(&mut hasher);
                hasher.finish()
            };
            let mut candidate = self.stack_by_hash.get(&hash).copied();
            while let Some(index) = candidate {
                if merged.stacks[index].frames == frames {
                    break;
                }
                candidate = self.next_stack[index];
            }
            match candidate {
                Some(index) => merged.stacks[index].cost += stack.cost,
                None => {
                    let index = merged.stacks.len();
                    merged.stacks.push(Stack {
                        frames,
                        cost: stack.cost,
                    });
                    self.next_stack.push(self.stack_by_hash.insert(hash, index));
                }
            }
        }
        Ok(())
    }

    fn add_notes(&mut self, notes: &[String]) {
        for note in notes {
            if self.notes.contains(note) {
                continue;
            }
            if self.notes.len() < NOTE_LIMIT {
                self.notes.push(note.clone());
            } else {
                self.dropped_notes += 1;
            }
        }
    }

    /// The sum. Fails when nothing was added.
    pub fn finish(self) -> Result<Profile> {
        let Some(mut merged) = self.merged else {
            return Err(Error::Usage("merging needs at least one profile".into()));
        };
        if !self.same_producer {
            merged.meta.producer = None;
        }
        let mut notes = Vec::new();
        if self.count > 1 {
            let mut listed = self.paths.join(", ");
            if self.count > self.paths.len() {
                listed.push_str(&format!(", … ({} more)", self.count - self.paths.len()));
            }
            notes.push(format!("sum of {} profiles: {listed}", self.count));
            merged.meta.path = format!("{} (+{} merged)", merged.meta.path, self.count - 1);
        }
        notes.extend(self.notes);
        if self.dropped_notes > 0 {
            notes.push(format!(
                "{} more notes from the inputs not shown",
                self.dropped_notes
            ));
        }
        merged.meta.notes = notes;
        // `Stats.add` adds each input's own totals; when none declares any,
        // the merged rows' sums are the totals.
        merged.declared = self.any_declared.then_some(self.totals);
        Ok(merged)
    }
}

/// pstats' key `(file, line, name)` (and the object when asked), hashed
/// without copying it.
fn identity_hash(function: &Function, by_object: bool) -> u64 {
    let mut hasher = FxHasher::default();
    function.file.hash(&mut hasher);
    function.line.hash(&mut hasher);
    function.name.hash(&mut hasher);
    if by_object {
        function.object.hash(&mut hasher);
    }
    hasher.finish()
}

fn same_identity(a: &Function, b: &Function, by_object: bool) -> bool {
    a.line == b.line && a.name == b.name && a.file == b.file && (!by_object || a.object == b.object)
}

fn add_function(target: &mut Function, function: &Function) {
    target.calls = add_count(target.calls, function.calls);
    target.primitive_calls = add_count(target.primitive_calls, function.primitive_calls);
    target.self_cost += function.self_cost;
    // A bound on either side makes the sum a bound.
    if target.inclusive_min.is_some() || function.inclusive_min.is_some() {
        let least = target.inclusive_range().0 + function.inclusive_range().0;
        target.inclusive_min = Some(least);
    }
    target.inclusive_cost += function.inclusive_cost;
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
    fn many_inputs_make_one_short_note() {
        let inputs: Vec<Profile> = (0..12)
            .map(|i| {
                let mut p = profile(&format!("run{i}"), &[("main", 1, 1, 0.5, 1.0)]);
                p.meta.notes.push(format!("run{i} was cut short"));
                p
            })
            .collect();
        let m = merge(&inputs).unwrap();
        assert_eq!(m.functions[0].calls, Some(12));
        assert_eq!(
            m.meta.notes[0],
            "sum of 12 profiles: run0, run1, run2, run3, run4, … (7 more)"
        );
        // Each input's own note is kept, up to a limit.
        assert_eq!(m.meta.notes.len(), 1 + 12);
        let many: Vec<Profile> = (0..30).map(|_| inputs[0].clone()).collect();
        assert_eq!(merge(&many).unwrap().meta.notes.len(), 2);
        let distinct: Vec<Profile> = (0..30)
            .map(|i| {
                let mut p = inputs[0].clone();
                p.meta.notes = vec![format!("note {i}")];
                p
            })
            .collect();
        let notes = merge(&distinct).unwrap().meta.notes;
        assert_eq!(notes.len(), 1 + NOTE_LIMIT + 1);
        assert_eq!(
            notes.last().unwrap(),
            "10 more notes from the inputs not shown"
        );
    }

    #[test]
    fn identical_stacks_are_summed() {
        let mut a = profile("a", &[("main", 1, 1, 0.0, 1.0), ("f", 5, 1, 1.0, 1.0)]);
        a.stacks.push(Stack {
            frames: vec![0, 1],
            cost: 2.0,
        });
        a.stacks.push(Stack {
            frames: vec![0],
            cost: 1.0,
        });
        // b numbers its functions the other way round.
        let mut b = profile("b", &[("f", 5, 1, 1.0, 1.0), ("main", 1, 1, 0.0, 1.0)]);
        b.stacks.push(Stack {
            frames: vec![1, 0],
            cost: 3.0,
        });
        let m = merge(&[a, b]).unwrap();
        assert_eq!(m.stacks.len(), 2);
        assert_eq!(
            (m.stacks[0].frames.clone(), m.stacks[0].cost),
            (vec![0, 1], 5.0)
        );
        assert_eq!(
            (m.stacks[1].frames.clone(), m.stacks[1].cost),
            (vec![0], 1.0)
        );
    }

    #[test]
    fn a_fold_equals_the_slice_merge() {
        let a = profile("a", &[("main", 1, 1, 0.1, 1.0), ("f", 5, 2, 0.2, 0.3)]);
        let b = profile("b", &[("f", 5, 3, 0.7, 0.9), ("g", 9, 1, 0.3, 0.3)]);
        let mut merger = Merger::new();
        merger.add(a.clone()).unwrap();
        merger.add(b.clone()).unwrap();
        assert_eq!(merger.finish().unwrap(), merge(&[a, b]).unwrap());
        assert!(Merger::new().finish().is_err());
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
