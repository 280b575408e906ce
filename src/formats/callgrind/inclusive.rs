//! The inclusive cost rule the module docs of [`super`] describe
//! ([`Graph::into_costs`]), on the call graph's strongly connected components
//! ([`crate::graph::strongly_connected`], which the writer uses too, to tell
//! a callee's outermost calls from those inside its cycle of recursion).

pub(super) use crate::graph::strongly_connected;

use super::parser::{EdgeAcc, FnAcc};

/// The call graph of the parsed functions, for calls and inclusive costs.
pub(super) struct Graph<'a> {
    functions: &'a [FnAcc],
    edges: &'a [EdgeAcc],
    root: Option<usize>,
    /// Σ calls= into each function (including recursive ones).
    calls_into: Vec<u64>,
    /// Strongly connected component of each function.
    component: Vec<u32>,
    component_size: Vec<u32>,
}

impl<'a> Graph<'a> {
    pub(super) fn new(functions: &'a [FnAcc], edges: &'a [EdgeAcc], root: Option<usize>) -> Self {
        let n = functions.len();
        let mut calls_into = vec![0u64; n];
        for edge in edges {
            let slot = &mut calls_into[edge.callee as usize];
            *slot = slot.saturating_add(edge.calls);
        }
        let component = {
            let (start, targets) = adjacency(n, edges.iter().map(|e| (e.caller, e.callee)));
            strongly_connected(&start, |k| targets[k] as usize)
        };
        let mut component_size = vec![0u32; n];
        for &c in &component {
            component_size[c as usize] += 1;
        }
        Graph {
            functions,
            edges,
            root,
            calls_into,
            component,
            component_size,
        }
    }

    /// Inclusive cost per function, by the rule in the module docs: for
    /// each function its upper bound and, where that bound may be above the
    /// truth (mutual recursion), the least the truth can be.
    pub(super) fn into_costs(self) -> Costs {
        let n = self.functions.len();
        let component = |id: usize| self.component[id] as usize;
        let mut in_other = vec![0u64; n];
        let mut has_in_other = vec![false; n];
        let mut out_other = vec![0u64; n];
        // Per function: calls in from outside its component, and calls out
        // of it to functions outside it; per component: the same in total.
        let mut in_outside = vec![0u64; n];
        let mut out_outside = vec![0u64; n];
        let mut component_in = vec![0u64; n];
        let mut component_has_in = vec![false; n];
        let mut component_out = vec![0u64; n];
        for edge in self.edges {
            let (caller, callee) = (edge.caller as usize, edge.callee as usize);
            if caller == callee {
                continue;
            }
            in_other[callee] = in_other[callee].saturating_add(edge.inclusive);
            has_in_other[callee] = true;
            if Some(caller) != self.root {
                out_other[caller] = out_other[caller].saturating_add(edge.inclusive);
            }
            let (from, to) = (component(caller), component(callee));
            if from != to {
                in_outside[callee] = in_outside[callee].saturating_add(edge.inclusive);
                if Some(caller) != self.root {
                    out_outside[caller] = out_outside[caller].saturating_add(edge.inclusive);
                }
                component_in[to] = component_in[to].saturating_add(edge.inclusive);
                component_has_in[to] = true;
                component_out[from] = component_out[from].saturating_add(edge.inclusive);
            }
        }
        let mut component_self = vec![0u64; n];
        for (id, f) in self.functions.iter().enumerate() {
            let c = component(id);
            component_self[c] = component_self[c].saturating_add(f.self_cost);
        }
        let mut inclusive = Vec::with_capacity(n);
        let mut least = Vec::new();
        for id in 0..n {
            let own = if has_in_other[id] {
                in_other[id]
            } else {
                self.functions[id].self_cost.saturating_add(out_other[id])
            };
            let c = component(id);
            if self.component_size[c] < 2 {
                inclusive.push(own);
                continue;
            }
            let whole = if component_has_in[c] {
                component_in[c]
            } else {
                component_self[c].saturating_add(component_out[c])
            };
            let upper = own.min(whole);
            // Calls into f from outside its cycle are outermost calls, so
            // their costs are all inside f's inclusive cost; so are f's own
            // cost and its calls to functions outside the cycle, which
            // cannot lead back into f. What nested cycle members add is
            // what the file cannot say.
            let lower = in_outside[id]
                .max(self.functions[id].self_cost.saturating_add(out_outside[id]))
                .min(upper);
            if lower < upper {
                least.push((id, lower));
            }
            inclusive.push(upper);
        }
        Costs {
            inclusive,
            least,
            calls_into: self.calls_into,
        }
    }
}

/// What [`Graph::into_costs`] computes.
pub(super) struct Costs {
    /// Inclusive cost per function: exact, or an upper bound.
    pub(super) inclusive: Vec<u64>,
    /// (function, least inclusive cost) where `inclusive` is only a bound.
    pub(super) least: Vec<(usize, u64)>,
    /// Σ calls= into each function.
    pub(super) calls_into: Vec<u64>,
}

/// A graph of `n` nodes in compressed rows: the edges of node `i` are
/// `targets[start[i]..start[i + 1]]`, in the order `edges` gives them.
fn adjacency(n: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n + 1];
    for (caller, _) in edges.clone() {
        start[caller as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut targets = vec![0u32; start[n]];
    let mut fill = start[..n].to_vec();
    for (caller, callee) in edges {
        let slot = &mut fill[caller as usize];
        targets[*slot] = callee;
        *slot += 1;
    }
    (start, targets)
}
