//! Stack bookkeeping shared by the readers of sampled formats (folded,
//! speedscope, pprof): functions by identity, merged stacks stored once, and
//! the self, inclusive and edge costs derived from them at the end
//! ([`StackBuilder`]).

use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

use crate::model::{Edge, Function, FunctionId, FunctionKind, Profile, ProfileMeta, Stack};

/// Name of the synthetic function that holds samples with no frames.
pub const EMPTY_STACK: &str = "<empty stack>";

// ---------------------------------------------------------------- hashing

/// The maps of the stack bookkeeping hash every frame of every line; with
/// SipHash that was the largest cost of parsing. FxHash (`rustc-hash`, also
/// used by alignment) is several times faster on these integer and short
/// string keys. It is not collision-resistant: a file crafted to collide can
/// make parsing slow, never wrong; inputs are the user's own profiles.
pub(crate) type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Finds a slice among slices stored elsewhere, by content, without a second
/// copy of each as a map key: the map goes from a slice's hash to the latest
/// index with that hash, and `next` chains indices that share a hash. Stacks
/// are the bulk of a profile's memory; this keeps them stored once.
#[derive(Debug, Default)]
pub(crate) struct SliceIndex {
    heads: FastMap<u64, u32>,
    next: Vec<u32>,
}

impl SliceIndex {
    const END: u32 = u32::MAX;

    pub(crate) fn hash<T: Hash>(slice: &[T]) -> u64 {
        let mut hasher = rustc_hash::FxHasher::default();
        slice.hash(&mut hasher);
        hasher.finish()
    }

    /// The index `i` with `stored(i) == slice`, among those pushed.
    pub(crate) fn find<'s, T: PartialEq + 's>(
        &self,
        hash: u64,
        slice: &[T],
        stored: impl Fn(usize) -> &'s [T],
    ) -> Option<usize> {
        let mut at = *self.heads.get(&hash)?;
        while at != Self::END {
            if stored(at as usize) == slice {
                return Some(at as usize);
            }
            at = self.next.get(at as usize).copied().unwrap_or(Self::END);
        }
        None
    }

    /// Records the hash of the next index (0, 1, 2, … in push order).
    pub(crate) fn push(&mut self, hash: u64) {
        // Inputs are capped at 4 GiB and every stack takes bytes of its own,
        // so indices fit in a u32.
        let index = u32::try_from(self.next.len()).unwrap_or(Self::END);
        let previous = self.heads.insert(hash, index).unwrap_or(Self::END);
        self.next.push(previous);
    }
}

// ---------------------------------------------------------------- builder

/// Identity of a function while stacks are collected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FunctionKey {
    name: String,
    file: Option<String>,
    line: Option<u32>,
    object: Option<String>,
    kind: FunctionKind,
}

/// Collects functions and merged stacks for the stack-bearing formats
/// (folded, speedscope, pprof) and derives per-function and per-edge costs
/// from them once, at the end.
///
/// Deriving costs from *merged* stacks rather than per input line is what
/// keeps parsing fast (the recursion-aware bookkeeping runs once per distinct
/// stack, not once per sample) and memory bounded (distinct stacks only).
#[derive(Debug, Default)]
pub(crate) struct StackBuilder {
    functions: Vec<Function>,
    function_ids: FastMap<FunctionKey, FunctionId>,
    stacks: Vec<Stack>,
    stack_index: SliceIndex,
}

impl StackBuilder {
    /// The id of the function with this identity, created on first use.
    pub(crate) fn function(
        &mut self,
        name: &str,
        file: Option<&str>,
        line: Option<u32>,
        kind: FunctionKind,
    ) -> FunctionId {
        self.function_in(name, file, line, None, kind)
    }

    /// [`StackBuilder::function`] for a function known by its object (a
    /// shared library or binary) as well.
    pub(crate) fn function_in(
        &mut self,
        name: &str,
        file: Option<&str>,
        line: Option<u32>,
        object: Option<&str>,
        kind: FunctionKind,
    ) -> FunctionId {
        let key = FunctionKey {
            name: name.to_string(),
            file: file.map(str::to_string),
            line,
            object: object.map(str::to_string),
            kind,
        };
        match self.function_ids.entry(key) {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(entry) => {
                let id = self.functions.len();
                let mut function = Function::new(name, kind);
                function.file = file.map(str::to_string);
                function.line = line;
                function.object = object.map(str::to_string);
                self.functions.push(function);
                entry.insert(id);
                id
            }
        }
    }

    /// Adds `cost` to the stack `frames` (root first, ids from
    /// [`StackBuilder::function`]).
    /// Returns the stack's index for [`StackBuilder::add_to_stack`].
    pub(crate) fn add_stack(&mut self, frames: &[FunctionId], cost: f64) -> usize {
        let hash = SliceIndex::hash(frames);
        let stacks = &self.stacks;
        if let Some(index) = self
            .stack_index
            .find(hash, frames, |i| stacks[i].frames.as_slice())
        {
            self.stacks[index].cost += cost;
            return index;
        }
        let index = self.stacks.len();
        self.stacks.push(Stack {
            frames: frames.to_vec(),
            cost,
        });
        self.stack_index.push(hash);
        index
    }

    /// Adds `cost` to a stack [`StackBuilder::add_stack`] returned, for
    /// readers that recognise a repeated stack before expanding it.
    pub(crate) fn add_to_stack(&mut self, index: usize, cost: f64) {
        if let Some(stack) = self.stacks.get_mut(index) {
            stack.cost += cost;
        }
    }

    /// Builds the profile: every stack cost is multiplied by `scale`, then
    /// self, inclusive and edge costs are derived. Stacks keep first-seen
    /// order, so the result is deterministic for a given input.
    pub(crate) fn finish(self, meta: ProfileMeta, scale: f64) -> Profile {
        let StackBuilder {
            mut functions,
            mut stacks,
            function_ids,
            stack_index,
        } = self;
        // The lookup tables are done with; free them before edges are built.
        drop((function_ids, stack_index));
        // Per edge: (caller, callee) and [self, inclusive] cost.
        let mut pairs: Vec<(FunctionId, FunctionId)> = Vec::new();
        let mut costs: Vec<[f64; 2]> = Vec::new();
        // Keyed by `caller << 32 | callee`: half the size of a tuple key,
        // which matters when a profile has a million distinct edges.
        let mut edge_ids: FastMap<u64, u32> = FastMap::default();
        edge_ids.reserve(functions.len() * 2);
        // `seen[f] == stack index + 1` marks "already counted in this stack",
        // which is how recursion is counted once without clearing a set.
        let mut function_seen = vec![0usize; functions.len()];
        let mut edge_seen: Vec<usize> = Vec::new();
        for (index, stack) in stacks.iter_mut().enumerate() {
            let stamp = index + 1;
            stack.cost *= scale;
            let cost = stack.cost;
            let Some(&leaf) = stack.frames.last() else {
                continue;
            };
            functions[leaf].self_cost += cost;
            for &frame in &stack.frames {
                if function_seen[frame] != stamp {
                    function_seen[frame] = stamp;
                    functions[frame].inclusive_cost += cost;
                }
            }
            let depth = stack.frames.len();
            for (position, pair) in stack.frames.windows(2).enumerate() {
                let (caller, callee) = (pair[0], pair[1]);
                let key = ((caller as u64) << 32) | (callee as u64 & 0xffff_ffff);
                let edge = *edge_ids.entry(key).or_insert_with(|| {
                    pairs.push((caller, callee));
                    costs.push([0.0; 2]);
                    edge_seen.push(0);
                    (pairs.len() - 1) as u32
                }) as usize;
                if edge_seen[edge] != stamp {
                    edge_seen[edge] = stamp;
                    costs[edge][1] += cost;
                }
                if position + 2 == depth {
                    costs[edge][0] += cost;
                }
            }
        }
        drop(edge_ids);
        let edges = pairs
            .into_iter()
            .zip(costs)
            .map(|((caller, callee), [self_cost, inclusive])| {
                Edge::new(caller, callee)
                    .with_self_cost(Some(self_cost))
                    .with_inclusive_cost(Some(inclusive))
            })
            .collect();
        Profile {
            meta,
            functions,
            edges,
            stacks,
            declared: None,
        }
    }
}
