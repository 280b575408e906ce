//! The format-independent profile model every parser fills and every
//! command reads.
//!
//! It is deliberately not shaped like any one input: call counts are optional
//! (sampling profilers have none), costs carry an explicit [`Unit`], and a
//! function's identity is its file, name, line and object as recorded, so
//! alignment can decide later what "the same function" means.

use std::fmt;

/// What a cost number counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// Wall or CPU time in seconds (pstats, converted callgrind `ns`, sampled
    /// profiles given a sample rate).
    Seconds,
    /// Samples from a sampling profiler without a known rate.
    Samples,
    /// A non-time event counted by the producer: callgrind `Ir`, yappi
    /// `Ticks`, `bytes`, … The string is the producer's event name.
    Event(String),
}

impl Unit {
    /// True for units whose values are durations.
    pub fn is_time(&self) -> bool {
        matches!(self, Unit::Seconds)
    }

    /// The short name used in JSON (`"seconds"`, `"samples"`, or the event).
    pub fn name(&self) -> &str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Samples => "samples",
            Unit::Event(name) => name,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// Which input format a profile was read from: defined beside the table of
// formats, `crate::formats::FORMATS`.
pub use crate::formats::Format;

/// Index of a function inside its [`Profile::functions`].
pub type FunctionId = usize;

/// What kind of code a function entry stands for. Alignment and display treat
/// builtins differently: they have no file to normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FunctionKind {
    /// Code with a source file (Python function, C function with debug info).
    Source,
    /// A builtin / C function without a source file (`{built-in method len}`).
    Builtin,
    /// An entry the profiler made up for itself (`profile:0(profiler)`).
    Synthetic,
}

/// One function as the profile recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The function's name as the producer wrote it (`create_client`,
    /// `<built-in method builtins.len>`, `fib'2`).
    pub name: String,
    /// Source file as recorded (absolute, relative, or a marker such as `~`);
    /// `None` when the producer has none.
    pub file: Option<String>,
    /// First line of the function, when known.
    pub line: Option<u32>,
    /// Object / shared library (callgrind `ob=`), when known.
    pub object: Option<String>,
    /// Source code, builtin, or an entry the profiler made up.
    pub kind: FunctionKind,
    /// Total calls including recursive ones; `None` for sampled profiles.
    pub calls: Option<u64>,
    /// Calls that were not recursive (pstats `cc`); `None` when unknown.
    pub primitive_calls: Option<u64>,
    /// Cost spent in the function itself, in [`ProfileMeta::unit`].
    pub self_cost: f64,
    /// Cost including callees, counted once for recursion, in the same unit.
    pub inclusive_cost: f64,
    /// When `inclusive_cost` is only an upper bound (mutual recursion in a
    /// callgrind file, whose per-edge totals cannot say how much nested
    /// calls overlap), the least the true inclusive cost can be; `None` when
    /// `inclusive_cost` is exact.
    pub inclusive_min: Option<f64>,
}

impl Function {
    /// A function with no recorded cost yet; parsers fill the numbers.
    pub fn new(name: impl Into<String>, kind: FunctionKind) -> Self {
        Function {
            name: name.into(),
            file: None,
            line: None,
            object: None,
            kind,
            calls: None,
            primitive_calls: None,
            self_cost: 0.0,
            inclusive_cost: 0.0,
            inclusive_min: None,
        }
    }

    /// The range the true inclusive cost lies in: `(min, max)`, equal when
    /// the inclusive cost is exact.
    pub fn inclusive_range(&self) -> (f64, f64) {
        (
            self.inclusive_min.unwrap_or(self.inclusive_cost),
            self.inclusive_cost,
        )
    }
}

/// A caller → callee edge with the cost that flowed along it.
///
/// Profiles can hold millions of edges, so the optional numbers are stored
/// without `Option`'s padding (48 bytes an edge instead of 80) and read
/// through accessors. Build one with [`Edge::new`] and the `with_*` setters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The function that made the calls.
    pub caller: FunctionId,
    /// The function called.
    pub callee: FunctionId,
    calls: u64,
    primitive_calls: u64,
    self_cost: f64,
    inclusive_cost: f64,
}

/// Marks an absent count; no profiler counts to 2^64 − 1.
const NO_COUNT: u64 = u64::MAX;

impl Edge {
    /// An edge with no numbers yet.
    pub fn new(caller: FunctionId, callee: FunctionId) -> Self {
        Edge {
            caller,
            callee,
            calls: NO_COUNT,
            primitive_calls: NO_COUNT,
            self_cost: f64::NAN,
            inclusive_cost: f64::NAN,
        }
    }

    /// Calls made along this edge.
    pub fn with_calls(mut self, calls: Option<u64>) -> Self {
        self.calls = calls.map_or(NO_COUNT, |c| c.min(NO_COUNT - 1));
        self
    }

    /// Non-recursive calls along this edge (pstats edge `cc`).
    pub fn with_primitive_calls(mut self, calls: Option<u64>) -> Self {
        self.primitive_calls = calls.map_or(NO_COUNT, |c| c.min(NO_COUNT - 1));
        self
    }

    /// The callee's self cost attributable to this edge.
    pub fn with_self_cost(mut self, cost: Option<f64>) -> Self {
        self.self_cost = cost.filter(|c| !c.is_nan()).unwrap_or(f64::NAN);
        self
    }

    /// The callee's inclusive cost attributable to this edge.
    pub fn with_inclusive_cost(mut self, cost: Option<f64>) -> Self {
        self.inclusive_cost = cost.filter(|c| !c.is_nan()).unwrap_or(f64::NAN);
        self
    }

    /// Calls made along this edge, when recorded.
    pub fn calls(&self) -> Option<u64> {
        (self.calls != NO_COUNT).then_some(self.calls)
    }

    /// Non-recursive calls along this edge, when recorded.
    pub fn primitive_calls(&self) -> Option<u64> {
        (self.primitive_calls != NO_COUNT).then_some(self.primitive_calls)
    }

    /// The callee's self cost along this edge, when recorded.
    pub fn self_cost(&self) -> Option<f64> {
        (!self.self_cost.is_nan()).then_some(self.self_cost)
    }

    /// The callee's inclusive cost along this edge, when recorded.
    pub fn inclusive_cost(&self) -> Option<f64> {
        (!self.inclusive_cost.is_nan()).then_some(self.inclusive_cost)
    }
}

/// One sampled call stack, root first, with the cost observed with it (at
/// its leaf). Only stack-bearing inputs (folded, speedscope, pprof) have them;
/// flame graphs need them.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// Functions on the stack, root first.
    pub frames: Vec<FunctionId>,
    /// Cost observed with this stack, in the profile's unit.
    pub cost: f64,
}

/// Facts about the profile as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileMeta {
    /// Where the profile was read from, as the user named it (`-` for stdin).
    pub path: String,
    /// The format it was read from.
    pub format: Format,
    /// Unit of every cost in the profile.
    pub unit: Unit,
    /// Smallest cost difference the input can express (e.g. 0.001 s for
    /// pstats text printed with `%8.3f`); `None` when exact enough not to matter.
    pub precision: Option<f64>,
    /// The producer, when the file says (`cProfile`, `yappi`, `callgrind-3.19.0`).
    pub producer: Option<String>,
    /// Human-readable remarks the reader should see (a partial list, skipped
    /// entries, …).
    pub notes: Vec<String>,
}

/// Totals an input states about itself, such as the header of pstats text
/// (`9016767 function calls (6633261 primitive calls) in 9.650 seconds`).
/// They are the profile's totals even when the input lists only some of its
/// functions (`print_stats(20)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeclaredTotals {
    /// Total cost, in the profile's unit.
    pub cost: f64,
    /// Total calls the input states (recursive ones included).
    pub calls: Option<u64>,
    /// Non-recursive calls the input states.
    pub primitive_calls: Option<u64>,
}

/// A parsed profile: functions, edges and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Where it came from, its unit and notes.
    pub meta: ProfileMeta,
    /// Every function, indexed by [`FunctionId`].
    pub functions: Vec<Function>,
    /// Caller → callee edges between [`Profile::functions`].
    pub edges: Vec<Edge>,
    /// Sampled stacks, empty for inputs that have none (pstats, callgrind).
    pub stacks: Vec<Stack>,
    /// Totals the input states; `None` when it states none, and then the
    /// totals are sums over the functions.
    pub declared: Option<DeclaredTotals>,
}

impl Profile {
    /// An empty profile with the given metadata.
    pub fn new(meta: ProfileMeta) -> Self {
        Profile {
            meta,
            functions: Vec::new(),
            edges: Vec::new(),
            stacks: Vec::new(),
            declared: None,
        }
    }

    /// The profile's total cost (pstats' "in X seconds"): the declared total,
    /// else Σ self cost.
    pub fn total_cost(&self) -> f64 {
        match &self.declared {
            Some(declared) => declared.cost,
            None => exact_sum(self.functions.iter().map(|f| f.self_cost)),
        }
    }

    /// The declared number of calls, else Σ calls; `None` when no function
    /// has a call count.
    pub fn total_calls(&self) -> Option<u64> {
        match self.declared.and_then(|d| d.calls) {
            Some(calls) => Some(calls),
            None => sum_optional(self.functions.iter().map(|f| f.calls)),
        }
    }

    /// Whether [`Profile::total_calls`] is the whole profile's: declared,
    /// or every function records its count. A callgrind file does not
    /// count calls into the functions nothing recorded calls (a program's
    /// entry point), and then the sum misses them.
    pub fn total_calls_complete(&self) -> bool {
        self.declared.is_some_and(|d| d.calls.is_some())
            || self.functions.iter().all(|f| f.calls.is_some())
    }

    /// The declared number of primitive calls, else Σ primitive calls;
    /// `None` when no function has one.
    pub fn total_primitive_calls(&self) -> Option<u64> {
        match self.declared.and_then(|d| d.primitive_calls) {
            Some(calls) => Some(calls),
            None => sum_optional(self.functions.iter().map(|f| f.primitive_calls)),
        }
    }

    /// Multiplies every cost (functions, edges, stacks) by `factor` (see
    /// [`Profile::normalize_to`]).
    pub fn scale_costs(&mut self, factor: f64) {
        for function in &mut self.functions {
            function.self_cost *= factor;
            function.inclusive_cost *= factor;
            function.inclusive_min = function.inclusive_min.map(|c| c * factor);
        }
        for edge in &mut self.edges {
            *edge = edge
                .with_self_cost(edge.self_cost().map(|c| c * factor))
                .with_inclusive_cost(edge.inclusive_cost().map(|c| c * factor));
        }
        for stack in &mut self.stacks {
            stack.cost *= factor;
        }
        if let Some(declared) = &mut self.declared {
            declared.cost *= factor;
        }
    }

    /// Scales every cost so this profile's total equals `other`'s, to compare
    /// the shape of two runs of different length (sampled profiles, say).
    /// Returns the factor applied. A profile whose total is zero cannot be
    /// scaled: an [`Error::Input`](crate::Error::Input) naming it. The
    /// profile's notes are left alone; the caller says that it scaled.
    pub fn normalize_to(&mut self, other: &Profile) -> crate::Result<f64> {
        let total = self.total_cost();
        if total == 0.0 {
            return Err(crate::Error::Input {
                path: self.meta.path.clone(),
                message: "total cost is zero, nothing to normalise".into(),
            });
        }
        let factor = other.total_cost() / total;
        self.scale_costs(factor);
        Ok(factor)
    }

    /// Edges grouped by callee: `result[callee]` lists indices into `edges`.
    pub fn edges_by_callee(&self) -> Vec<Vec<usize>> {
        let mut by_callee = vec![Vec::new(); self.functions.len()];
        for (index, edge) in self.edges.iter().enumerate() {
            if let Some(list) = by_callee.get_mut(edge.callee) {
                list.push(index);
            }
        }
        by_callee
    }
}

/// The sum of `values`, correctly rounded (Shewchuk's algorithm, as
/// Python's `math.fsum`): it does not depend on their order, so a profile
/// whose functions come back in another order (a conversion read back) has
/// the same total, to the last bit.
fn exact_sum(values: impl Iterator<Item = f64>) -> f64 {
    // Non-overlapping partial sums, smallest magnitude first.
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0;
    for mut x in values {
        if !x.is_finite() {
            special += x;
            continue;
        }
        let mut kept = 0;
        for index in 0..partials.len() {
            let mut y = partials[index];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        partials.truncate(kept);
        partials.push(x);
    }
    if special != 0.0 || special.is_nan() {
        return special;
    }
    // Add the partials from the largest down, with the half-way correction
    // math.fsum makes so the result is the correctly rounded sum.
    let Some(mut high) = partials.pop() else {
        return 0.0;
    };
    let mut low = 0.0;
    while let Some(y) = partials.pop() {
        let x = high;
        high = x + y;
        let y_rounded = high - x;
        low = y - y_rounded;
        if low != 0.0 {
            break;
        }
    }
    if let Some(&next) = partials.last() {
        if (low < 0.0 && next < 0.0) || (low > 0.0 && next > 0.0) {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
    }
    high
}

fn sum_optional(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let mut total: Option<u64> = None;
    for value in values.flatten() {
        total = Some(total.unwrap_or(0).saturating_add(value));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::exact_sum;

    #[test]
    fn exact_sum_is_correctly_rounded_and_order_free() {
        // Python: math.fsum([0.1] * 10) == 1.0, sum(...) == 0.9999999999999999
        assert_eq!(exact_sum([0.1; 10].into_iter()), 1.0);
        assert_eq!(exact_sum([1e100, 1.0, -1e100, 1e-100].into_iter()), 1.0);
        // math.fsum([1, 1e-16, 1e-16]) == 1.0000000000000002
        assert_eq!(
            exact_sum([1.0, 1e-16, 1e-16].into_iter()),
            1.0000000000000002
        );
        let values = [3.2e-5, 7.1, 1e-9, 0.33, 2.5e-7, 12.0, 1e-3];
        let forward = exact_sum(values.iter().copied());
        let backward = exact_sum(values.iter().rev().copied());
        assert_eq!(forward.to_bits(), backward.to_bits());
        assert_eq!(exact_sum(std::iter::empty()), 0.0);
        assert!(exact_sum([1.0, f64::NAN].into_iter()).is_nan());
    }
}
