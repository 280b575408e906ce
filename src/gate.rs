//! Regression gating: turns a [`ProfileDiff`] into a pass/fail [`GateVerdict`]
//! for CI (`profdiff diff BASE NEW --fail-on-regression`).
//!
//! A diff table answers "what changed?"; a CI job needs "did it get worse
//! beyond what we accept?", and an explanation of every rule that failed. The
//! rules are deliberately few and strict, because a gate that lets
//! regressions through is worse than none:
//!
//! | rule | applies to | violated when |
//! |---|---|---|
//! | `calls` | each selected function with call counts | new calls > base calls + allowance |
//! | `total_calls` | the whole profile (no filter given) | Σ new calls > Σ base calls + allowance |
//! | `inclusive_time` | each selected function (with `max_time_increase_pct`) | new > base + max(base × PCT / 100, noise floor) |
//! | `total_time` | the whole profile (no filter given, with `max_time_increase_pct`) | same, on the total |
//! | `group_calls` | each [`GroupRule`] (`--max-group-calls NAME=PATTERN:N`) | Σ new calls of the functions the pattern matches > N |
//!
//! The calls allowance is `max(max_calls_increase, ⌊base × max_calls_increase_pct / 100⌋)`:
//! an absolute number of calls, a percentage of the base, or the larger of
//! the two when both are given (see [`GateOptions::calls_limit`]).
//!
//! Decisions, and why:
//!
//! * **Added functions count as growth from zero.** A function that did not
//!   exist in the base and is now called 3 times is a calls increase of 3;
//!   its inclusive time is a time increase from 0 (which no percentage can
//!   excuse, so only the noise floor applies). A demanding user wants to hear
//!   about new work on the hot path. The price: a renamed function shows up as
//!   removed + added and fails the gate too, which is the right prompt to
//!   re-baseline (or to `--exclude` it). Removed functions never fail.
//! * **Call counts are exact for a given hash seed, times are noisy.** A
//!   deterministic program profiled twice under the same `PYTHONHASHSEED`
//!   makes the same calls, so calls have no noise floor and the default
//!   allowance is 0. Under different seeds the iteration order of sets
//!   differs and some counts move (black's `enum.py:__hash__`: 3,028 calls
//!   under seed 1, 2,986 under seed 2); a user who cannot fix the seed states
//!   a tolerance. The percentage suits that noise, which grows with the count;
//!   the absolute number suits new work, since a percentage of an added
//!   function's zero base allows nothing.
//!   Times jitter whatever the seed.
//!   A time increase at or below the floor (absolute, default 1 ms) never
//!   fails, whatever its percentage: a 2 µs function taking 4 µs is +100% and
//!   meaningless. For profiles whose unit is not time (callgrind `Ir`,
//!   samples) the floor is a plain number in that unit, and defaults to 0
//!   (instruction counts do not jitter; for samples pass a floor).
//!   The rule names follow the JSON field names, so there they read
//!   `inclusive_cost` / `total_cost`.
//! * **Filters scope the gate.** `--include`/`--exclude` select which
//!   functions the per-function rules judge. The whole-profile totals are
//!   checked only when no filter is given: a filter says "judge only these
//!   functions", and the profile's total would bring back everything it left
//!   out (`--include create_client` must not fail because an unrelated import
//!   got slower).
//! * **Sampled profiles have no calls** (`None`): the call rules skip any
//!   function (and the total) whose count is unknown on a side where it
//!   exists.
//! * The same allowance applies per function and to the total (the
//!   percentage of the total's base for the total): with the default 0 the
//!   total is redundant, and with N > 0 it catches many small increases that
//!   each stay under N.
//!
//! * **Group rules are absolute and name their own members.** A group's
//!   pattern matches keys and displayed names as `--include` does, over
//!   every function of the diff: `--include`/`--exclude`/`--only` do not
//!   scope it, and it is judged (and counted in
//!   [`GateVerdict::groups_checked`]) whatever they select. Only the new
//!   side's sum is held to N: "at most three clients per request" is a
//!   fact about the new code, and the base's sum is shown beside it. A
//!   group matching nothing sums to 0. A group with a member that has no
//!   call count on a side where it exists (sampled profiles) is not judged.
//!
//! * **Counts that follow the hash seed still fail.** A `__hash__` method or
//!   the builtin `hash` whose count grew a little is likely hash-seed noise
//!   ([`crate::noise`]), and the violation says so ([`Violation::likely_noise`],
//!   which the reports turn into a note), but the
//!   gate does not excuse it: a growing `__hash__` count can also be real
//!   work (more objects hashed), and how much seed noise to accept is the
//!   user's call, stated as a tolerance (or avoided with a fixed seed).
//!
//! Every violation carries the numbers to explain it: `base` (`None` for an
//! added function), `new` and `limit`, the largest `new` that would have
//! passed.

use regex::Regex;

use crate::diff::{Change, Count, ProfileDiff};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::model::Unit;
use crate::noise::{self, Noise};
use crate::stats::{self, MetricRuns, RunsDiff};

/// The default noise floor for time profiles: 1 ms.
pub const DEFAULT_TIME_NOISE_FLOOR: f64 = 0.001;

/// The key a whole-profile violation is reported under.
pub const TOTAL_KEY: &str = "(total)";

/// What the gate accepts. `Default` is the strict gate `--fail-on-regression`
/// alone gives: no function may gain a call, time is not judged.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// Largest accepted growth in calls, per function and for the total
    /// (`--max-calls-increase`, default 0).
    pub max_calls_increase: u64,
    /// The percent tolerance on calls: largest accepted growth in percent of
    /// the base count, per function and for the total. `None` (the default)
    /// allows nothing beyond `max_calls_increase`; with both, the larger
    /// allowance applies (see [`GateOptions::calls_limit`]).
    pub max_calls_increase_pct: Option<f64>,
    /// Largest accepted growth of inclusive time (per function) and total time,
    /// in percent of the base (`--max-time-increase`); `None` (the default)
    /// does not judge time.
    pub max_time_increase_pct: Option<f64>,
    /// A time increase at or below this never fails, in the profile's unit
    /// (`--time-noise-floor`). `None` (the default) picks
    /// [`default_noise_floor`] for the profile's unit.
    pub time_noise_floor: Option<f64>,
    /// Which functions the per-function rules judge (`--include`/`--exclude`).
    /// When it is not empty, the totals are not judged. Group rules ignore it.
    pub filter: Filter,
    /// Ceilings on the summed calls of named groups of functions
    /// (`--max-group-calls`), judged on every function whatever `filter`
    /// selects.
    pub groups: Vec<GroupRule>,
}

/// `--max-group-calls NAME=PATTERN:N`: the functions whose key or displayed
/// name `PATTERN` matches (as `--include` matches) may make at most N calls
/// together in the new profile.
#[derive(Debug, Clone)]
pub struct GroupRule {
    /// The group's name, for messages and JSON.
    pub name: String,
    /// The pattern as given.
    pub pattern: String,
    /// The most calls the members may make together.
    pub max_calls: u64,
    regex: Regex,
}

impl GroupRule {
    /// A rule, with its name checked ([`check_group_name`]) and its pattern
    /// compiled: a bad one is an [`Error::Pattern`] or [`Error::Usage`].
    pub fn new(name: &str, pattern: &str, max_calls: u64) -> Result<Self> {
        check_group_name(name).map_err(Error::Usage)?;
        let regex = Regex::new(pattern).map_err(|e| Error::Pattern {
            role: "group",
            pattern: pattern.to_string(),
            message: e.to_string(),
        })?;
        Ok(GroupRule {
            name: name.to_string(),
            pattern: pattern.to_string(),
            max_calls,
            regex,
        })
    }

    /// Whether a function (by key or displayed name) is a member.
    pub fn matches(&self, key: &str, display: &str) -> bool {
        self.regex.is_match(key) || self.regex.is_match(display)
    }

    /// The key a violation of this rule is reported under: `(group NAME)`.
    pub fn violation_key(&self) -> String {
        format!("(group {})", self.name)
    }
}

/// Checks a group's name (for `--max-group-calls` and snapshot group
/// lines): letters, digits, `_`, `-` and `.`, at most 64 of them, so it
/// reads unambiguously before `=` and in messages.
pub fn check_group_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("a group needs a name".to_string());
    }
    if name.chars().count() > 64 {
        return Err(format!("group name {name:?} is longer than 64 characters"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "group name {name:?} contains {bad:?}; use letters, digits, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

impl GateOptions {
    /// The largest call count that passes for a function (or the total)
    /// with `base` calls, `None` for an added function:
    /// `base + max(max_calls_increase, ⌊base × max_calls_increase_pct / 100⌋)`.
    /// An added function's base is 0, so the percent tolerance gives it no
    /// allowance and only `max_calls_increase` applies.
    pub fn calls_limit(&self, base: Option<u64>) -> u64 {
        let base = base.unwrap_or(0);
        let percent = self
            .max_calls_increase_pct
            .map_or(0, |pct| percent_of_count(base, pct));
        base.saturating_add(self.max_calls_increase.max(percent))
    }
}

/// `⌊count × pct / 100⌋`: how many calls `pct` percent of `count` allows.
/// Call counts are whole, so a call count within the percentage can grow by
/// at most this much. The product is nudged up by one part in 10¹² before
/// rounding down, so that a percentage written in decimal that is meant to
/// land on a whole number (0.29% of 10,000 = 29) does not lose a call to
/// binary rounding (28.999999999999996). A negative or NaN percentage allows
/// nothing; an infinite one allows any growth.
pub fn percent_of_count(count: u64, pct: f64) -> u64 {
    let exact = count as f64 * pct / 100.0;
    if exact.is_nan() || exact <= 0.0 {
        return 0;
    }
    // `as` saturates: +∞ and anything beyond u64 become u64::MAX.
    (exact * (1.0 + 1e-12)).floor() as u64
}

/// The noise floor used when none is given: 1 ms for time, 0 for other units
/// (instruction counts are exact; sampled profiles should pass one).
pub fn default_noise_floor(unit: &Unit) -> f64 {
    if unit.is_time() {
        DEFAULT_TIME_NOISE_FLOOR
    } else {
        0.0
    }
}

/// Which rule a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// Whole-profile Σ calls grew by more than the limit.
    TotalCalls,
    /// Whole-profile total time grew beyond the limit.
    TotalTime,
    /// As `TotalTime`, for profiles whose unit is not time.
    TotalCost,
    /// A function's calls grew by more than the limit.
    Calls,
    /// A function's inclusive time grew beyond the limit.
    InclusiveTime,
    /// As `InclusiveTime`, for profiles whose unit is not time.
    InclusiveCost,
    /// A group's summed calls went over its ceiling ([`GroupRule`]).
    GroupCalls,
}

impl Rule {
    /// Stable name, as in JSON (`"calls"`, `"inclusive_time"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Rule::TotalCalls => "total_calls",
            Rule::TotalTime => "total_time",
            Rule::TotalCost => "total_cost",
            Rule::Calls => "calls",
            Rule::InclusiveTime => "inclusive_time",
            Rule::InclusiveCost => "inclusive_cost",
            Rule::GroupCalls => "group_calls",
        }
    }

    /// True for the rules whose numbers are call counts.
    pub fn is_calls(self) -> bool {
        matches!(self, Rule::TotalCalls | Rule::Calls | Rule::GroupCalls)
    }
}

/// One broken rule, with the numbers that broke it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The function's normalised key, or [`TOTAL_KEY`].
    pub key: String,
    /// The pstats-like label of the function (the key for totals).
    pub display: String,
    /// The rule broken.
    pub rule: Rule,
    /// Base value; `None` when the function is new.
    pub base: Option<f64>,
    /// New value.
    pub new: f64,
    /// The largest `new` that would have passed.
    pub limit: f64,
    /// Why the change is likely noise, when it is: a call count of a
    /// function that follows the hash seed ([`noise::hash_seed_noise`]). It
    /// fails all the same; reports add a note.
    pub likely_noise: Option<Noise>,
    /// For a group rule: the group and its members.
    pub group: Option<GroupViolation>,
}

/// The group behind a [`Rule::GroupCalls`] violation.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupViolation {
    /// The group's name.
    pub name: String,
    /// Its pattern.
    pub pattern: String,
    /// Every member, most new calls first (then most base calls, then by key).
    pub members: Vec<GroupMember>,
}

/// One function of a group, with its calls on each side (`None` where the
/// function is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The function's key.
    pub key: String,
    /// Calls in the base.
    pub base: Option<u64>,
    /// Calls in the new profile.
    pub new: Option<u64>,
}

/// `(base, new, limit)` of a broken rule.
type Excess = (Option<f64>, f64, f64);

impl Violation {
    fn of(key: &str, display: &str, rule: Rule, (base, new, limit): Excess) -> Self {
        Violation {
            key: key.to_string(),
            display: display.to_string(),
            rule,
            base,
            new,
            limit,
            likely_noise: None,
            group: None,
        }
    }

    /// A whole-profile rule, reported under [`TOTAL_KEY`].
    fn total(rule: Rule, excess: Excess) -> Self {
        Violation::of(TOTAL_KEY, TOTAL_KEY, rule, excess)
    }
}

/// The time rules' names for a unit: `(total, per function)`.
fn time_rules(unit: &Unit) -> (Rule, Rule) {
    if unit.is_time() {
        (Rule::TotalTime, Rule::InclusiveTime)
    } else {
        (Rule::TotalCost, Rule::InclusiveCost)
    }
}

/// The gate's answer: pass or fail, and every rule that failed. (JSON
/// writes it as the `verdict` section, [`crate::wire::Verdict`].)
#[derive(Debug, Clone, PartialEq)]
pub struct GateVerdict {
    /// True when at least one rule was violated.
    pub regressed: bool,
    /// Totals first, then groups (in the order given), then functions by key.
    pub violations: Vec<Violation>,
    /// Unit of the time/cost numbers in the violations.
    pub unit: Unit,
    /// How many functions the per-function rules looked at.
    pub functions_checked: usize,
    /// Whether the whole-profile totals were judged (no filter given).
    pub totals_checked: bool,
    /// How many group rules were judged (all given, but those whose
    /// members have no call counts).
    pub groups_checked: usize,
    /// The absolute calls allowance the verdict was reached with
    /// ([`GateOptions::max_calls_increase`]), for reports.
    pub max_calls_increase: u64,
    /// The percent calls allowance the verdict was reached with
    /// ([`GateOptions::max_calls_increase_pct`]), for reports.
    pub max_calls_increase_pct: Option<f64>,
}

/// Judges a diff. Never fails: absent numbers simply make a rule not apply.
pub fn evaluate(diff: &ProfileDiff, options: &GateOptions) -> GateVerdict {
    let floor = options
        .time_noise_floor
        .unwrap_or_else(|| default_noise_floor(&diff.unit));
    let (total_rule, inclusive_rule) = time_rules(&diff.unit);
    let mut violations = Vec::new();
    let totals_checked = options.filter.is_empty();
    if totals_checked {
        if let Some((base, new, limit)) = calls_excess(&diff.total_calls, true, true, options) {
            violations.push(Violation::total(Rule::TotalCalls, (base, new, limit)));
        }
        if let Some(pct) = options.max_time_increase_pct {
            if let Some((base, new, limit)) = cost_excess(&diff.total_cost, pct, floor) {
                violations.push(Violation::total(total_rule, (base, new, limit)));
            }
        }
    }
    let groups = judge_groups(
        &options.groups,
        diff.functions.iter().map(|function| Counted {
            key: &function.key,
            display: &function.display,
            base: function.calls.base.map(|c| c.0),
            new: function.calls.new.map(|c| c.0),
            present: (function.base_id.is_some(), function.new_id.is_some()),
        }),
    );
    let mut judge = Judge::new(options, floor, inclusive_rule);
    for function in &diff.functions {
        if !options.filter.keeps(function, diff.cost_threshold) {
            continue;
        }
        // Where a side's inclusive cost is only a range, the growth that is
        // certain is from the most the base can be to the least the new can.
        let inclusive = Change::new(
            function.inclusive_cost.base,
            function.inclusive_min.new.or(function.inclusive_cost.new),
        );
        judge.function(
            &function.key,
            &function.display,
            &function.calls,
            (function.base_id.is_some(), function.new_id.is_some()),
            Some(&inclusive),
        );
    }
    judge.verdict(violations, groups, &diff.unit, totals_checked)
}

/// Judges a comparison of several runs per side (`diff --base … --new …`).
///
/// Call rules compare the median call counts (counts rarely vary between
/// runs; [`RunsDiff::unstable_calls`] lists those that do). Time rules apply
/// only to changes the statistics call significant: noise never fails the
/// gate. Σ calls is not judged here (runs carry no total count); the total
/// time is, under the same significance rule.
pub fn evaluate_runs(diff: &RunsDiff, options: &GateOptions) -> GateVerdict {
    let floor = options
        .time_noise_floor
        .unwrap_or_else(|| default_noise_floor(&diff.unit));
    let (total_rule, inclusive_rule) = time_rules(&diff.unit);
    let medians = |metric: &MetricRuns| {
        Change::new(
            metric.base_spread.map(|s| s.median),
            metric.new_spread.map(|s| s.median),
        )
    };
    let mut violations = Vec::new();
    let totals_checked = options.filter.is_empty();
    if let (true, Some(pct)) = (totals_checked, options.max_time_increase_pct) {
        if diff.total_cost.significance == stats::Significance::Significant {
            if let Some((base, new, limit)) = cost_excess(&medians(&diff.total_cost), pct, floor) {
                violations.push(Violation::total(total_rule, (base, new, limit)));
            }
        }
    }
    // A median of counts can fall between two integers; round it up so
    // a count that grew in half the runs is not excused.
    let median_count =
        |spread: Option<stats::Spread>| spread.map(|s| Count(s.median.ceil() as u64));
    let present = |values: &[Option<u64>]| values.iter().any(Option::is_some);
    // A group sums its members' medians: the rule is on the typical run.
    let groups = judge_groups(
        &options.groups,
        diff.functions.iter().map(|function| Counted {
            key: &function.key,
            display: &function.display,
            base: median_count(function.calls.base_spread).map(|c| c.0),
            new: median_count(function.calls.new_spread).map(|c| c.0),
            present: (
                present(&function.calls.base) || function.self_cost.base_spread.is_some(),
                present(&function.calls.new) || function.self_cost.new_spread.is_some(),
            ),
        }),
    );
    let mut judge = Judge::new(options, floor, inclusive_rule);
    for function in &diff.functions {
        if !options.filter.matches(&function.key, &function.display) {
            continue;
        }
        let calls = Change::new(
            median_count(function.calls.base_spread),
            median_count(function.calls.new_spread),
        );
        let base_present =
            present(&function.calls.base) || function.self_cost.base_spread.is_some();
        let new_present = present(&function.calls.new) || function.self_cost.new_spread.is_some();
        // Noise never fails the gate: only significant changes face the time rule.
        let inclusive = (function.inclusive_cost.significance == stats::Significance::Significant)
            .then(|| medians(&function.inclusive_cost));
        judge.function(
            &function.key,
            &function.display,
            &calls,
            (base_present, new_present),
            inclusive.as_ref(),
        );
    }
    judge.verdict(violations, groups, &diff.unit, totals_checked)
}

/// One function as the group rules see it.
struct Counted<'a> {
    key: &'a str,
    display: &'a str,
    base: Option<u64>,
    new: Option<u64>,
    /// Whether it exists on each side (base, new).
    present: (bool, bool),
}

/// What the group rules found: their violations, in the order given, and
/// how many were judged.
struct GroupsJudged {
    violations: Vec<Violation>,
    checked: usize,
}

/// Judges every group rule over all `functions` (no filter applies).
fn judge_groups<'a>(
    rules: &[GroupRule],
    functions: impl Iterator<Item = Counted<'a>>,
) -> GroupsJudged {
    let mut judged = GroupsJudged {
        violations: Vec::new(),
        checked: 0,
    };
    if rules.is_empty() {
        return judged;
    }
    let functions: Vec<Counted<'a>> = functions.collect();
    for rule in rules {
        if let Some(outcome) = group_excess(rule, &functions) {
            judged.checked += 1;
            judged.violations.extend(outcome);
        }
    }
    judged
}

/// `None` when the group cannot be judged (a member exists on a side
/// without a call count); else the violation, if its new sum is over N.
fn group_excess(rule: &GroupRule, functions: &[Counted<'_>]) -> Option<Option<Violation>> {
    let mut members = Vec::new();
    let (mut base, mut new) = (0u64, 0u64);
    for function in functions.iter().filter(|f| rule.matches(f.key, f.display)) {
        let (base_present, new_present) = function.present;
        if (base_present && function.base.is_none()) || (new_present && function.new.is_none()) {
            return None;
        }
        base = base.saturating_add(function.base.unwrap_or(0));
        new = new.saturating_add(function.new.unwrap_or(0));
        members.push(GroupMember {
            key: function.key.to_string(),
            base: function.base,
            new: function.new,
        });
    }
    if new <= rule.max_calls {
        return Some(None);
    }
    members.sort_by(|a, b| {
        (b.new, b.base)
            .cmp(&(a.new, a.base))
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut violation = Violation::of(
        &rule.violation_key(),
        &format!("group {}", rule.name),
        Rule::GroupCalls,
        (Some(base as f64), new as f64, rule.max_calls as f64),
    );
    violation.group = Some(GroupViolation {
        name: rule.name.clone(),
        pattern: rule.pattern.clone(),
        members,
    });
    Some(Some(violation))
}

/// The per-function rules, shared by [`evaluate`] and [`evaluate_runs`].
struct Judge<'o> {
    options: &'o GateOptions,
    floor: f64,
    inclusive_rule: Rule,
    checked: usize,
    violations: Vec<Violation>,
}

impl<'o> Judge<'o> {
    fn new(options: &'o GateOptions, floor: f64, inclusive_rule: Rule) -> Self {
        Judge {
            options,
            floor,
            inclusive_rule,
            checked: 0,
            violations: Vec::new(),
        }
    }

    /// Applies the call rule, and the time rule when `inclusive` is given,
    /// to one function the filter selects. `present` says on which sides
    /// the function exists (see [`calls_excess`]).
    fn function(
        &mut self,
        key: &str,
        display: &str,
        calls: &Change<Count>,
        (base_present, new_present): (bool, bool),
        inclusive: Option<&Change<f64>>,
    ) {
        if !self.options.filter.matches(key, display) {
            return;
        }
        self.checked += 1;
        if let Some(excess) = calls_excess(calls, base_present, new_present, self.options) {
            let mut violation = Violation::of(key, display, Rule::Calls, excess);
            let (base, new, _) = excess;
            violation.likely_noise = base
                .is_some_and(|base| noise::hash_seed_noise(key, base as u64, new as u64))
                .then_some(Noise::HashSeed);
            self.violations.push(violation);
        }
        if let (Some(pct), Some(inclusive)) = (self.options.max_time_increase_pct, inclusive) {
            if let Some(excess) = cost_excess(inclusive, pct, self.floor) {
                self.violations
                    .push(Violation::of(key, display, self.inclusive_rule, excess));
            }
        }
    }

    /// Totals first, then groups as given, then functions by key: the
    /// caller's row order (its --sort) must not change a verdict.
    fn verdict(
        self,
        mut violations: Vec<Violation>,
        groups: GroupsJudged,
        unit: &Unit,
        totals_checked: bool,
    ) -> GateVerdict {
        let mut per_function = self.violations;
        per_function.sort_by(|a, b| a.key.cmp(&b.key).then(a.rule.cmp(&b.rule)));
        violations.extend(groups.violations);
        violations.extend(per_function);
        GateVerdict {
            regressed: !violations.is_empty(),
            violations,
            unit: unit.clone(),
            functions_checked: self.checked,
            totals_checked,
            groups_checked: groups.checked,
            max_calls_increase: self.options.max_calls_increase,
            max_calls_increase_pct: self.options.max_calls_increase_pct,
        }
    }
}

/// `(base, new, limit)` when the calls grew beyond the options' allowance
/// ([`GateOptions::calls_limit`]).
///
/// `base_present`/`new_present` say whether the function exists on each side:
/// an absent side counts as 0 calls, but a side that exists without a count
/// (a sampled profile) makes the rule not apply.
fn calls_excess(
    calls: &Change<Count>,
    base_present: bool,
    new_present: bool,
    options: &GateOptions,
) -> Option<Excess> {
    if (base_present && calls.base.is_none()) || (new_present && calls.new.is_none()) {
        return None;
    }
    let new = calls.new?.0;
    let base = calls.base.map(|c| c.0);
    let limit = options.calls_limit(base);
    (new > limit).then(|| (base.map(|b| b as f64), new as f64, limit as f64))
}

/// `(base, new, limit)` when the cost grew by more than `pct` percent of the
/// base and by more than `floor`. An absent base counts as 0, where no
/// percentage helps and only the floor applies.
fn cost_excess(cost: &Change<f64>, pct: f64, floor: f64) -> Option<Excess> {
    let new = cost.new?;
    let base = cost.base;
    let base_value = base.unwrap_or(0.0);
    let allowed = (base_value.abs() * pct / 100.0).max(floor);
    let limit = base_value + allowed;
    // NaN compares false: an unreadable number never fails the gate.
    (new > limit).then_some((base, new, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowing(absolute: u64, pct: Option<f64>) -> GateOptions {
        GateOptions {
            max_calls_increase: absolute,
            max_calls_increase_pct: pct,
            ..Default::default()
        }
    }

    #[test]
    fn calls_rule_edges() {
        let change = |b: Option<u64>, n: Option<u64>| Change::new(b.map(Count), n.map(Count));
        let one = allowing(1, None);
        let strict = GateOptions::default();
        // Growth within the allowance passes; beyond fails with limit = base + N.
        assert_eq!(
            calls_excess(&change(Some(3), Some(4)), true, true, &one),
            None
        );
        assert_eq!(
            calls_excess(&change(Some(3), Some(5)), true, true, &one),
            Some((Some(3.0), 5.0, 4.0))
        );
        // Added: growth from zero.
        assert_eq!(
            calls_excess(&change(None, Some(1)), false, true, &strict),
            Some((None, 1.0, 0.0))
        );
        // Removed never fails.
        assert_eq!(
            calls_excess(&change(Some(9), None), true, false, &strict),
            None
        );
        // A sampled side (present, no count) makes the rule not apply.
        assert_eq!(
            calls_excess(&change(Some(1), None), true, true, &strict),
            None
        );
        assert_eq!(
            calls_excess(&change(None, None), false, true, &strict),
            None
        );
    }

    #[test]
    fn percent_tolerance_on_calls() {
        // 1.5% of 2,986 is 44.79: 44 more calls pass, 45 do not.
        let pct = allowing(0, Some(1.5));
        assert_eq!(pct.calls_limit(Some(2986)), 2986 + 44);
        let change = |b: u64, n: u64| Change::new(Some(Count(b)), Some(Count(n)));
        assert_eq!(calls_excess(&change(2986, 3030), true, true, &pct), None);
        assert_eq!(
            calls_excess(&change(2986, 3031), true, true, &pct),
            Some((Some(2986.0), 3031.0, 3030.0))
        );
        // Both given: the larger allowance wins, whichever it is.
        assert_eq!(allowing(50, Some(1.5)).calls_limit(Some(2986)), 2986 + 50);
        assert_eq!(allowing(10, Some(1.5)).calls_limit(Some(2986)), 2986 + 44);
        // An added function has no base: a percentage allows nothing, an
        // absolute number does.
        assert_eq!(pct.calls_limit(None), 0);
        assert_eq!(allowing(3, Some(1.5)).calls_limit(None), 3);
        assert_eq!(
            calls_excess(&Change::new(None, Some(Count(1))), false, true, &pct),
            Some((None, 1.0, 0.0))
        );
        // Decimal percentages that land on a whole number keep that call.
        assert_eq!(percent_of_count(10_000, 0.29), 29);
        assert_eq!(percent_of_count(3, 100.0 / 3.0), 1);
        assert_eq!(percent_of_count(100, 0.99), 0);
        assert_eq!(percent_of_count(7, 0.0), 0);
        assert_eq!(percent_of_count(7, -5.0), 0);
        assert_eq!(percent_of_count(7, f64::NAN), 0);
        assert_eq!(percent_of_count(7, f64::INFINITY), u64::MAX);
        assert_eq!(
            allowing(0, Some(f64::INFINITY)).calls_limit(Some(5)),
            u64::MAX
        );
    }

    #[test]
    fn group_rule_edges() {
        let counted = |key: &'static str, base: Option<u64>, new: Option<u64>| Counted {
            key,
            display: key,
            base,
            new,
            present: (base.is_some(), new.is_some()),
        };
        let functions = [
            counted("a.py:client", Some(1), Some(2)),
            counted("a.py:resource", None, Some(2)),
            counted("a.py:gone", Some(5), None),
            counted("b.py:other", Some(1), Some(100)),
        ];
        let rule = |max| GroupRule::new("clients", "^a.py:", max).unwrap();
        // New sum 4 (a removed member counts 0 there); the base is shown, not judged.
        assert_eq!(group_excess(&rule(4), &functions), Some(None));
        let violation = group_excess(&rule(3), &functions).unwrap().unwrap();
        assert_eq!(
            (violation.base, violation.new, violation.limit),
            (Some(6.0), 4.0, 3.0)
        );
        assert_eq!(violation.key, "(group clients)");
        let members: Vec<_> = violation
            .group
            .unwrap()
            .members
            .into_iter()
            .map(|m| (m.key, m.base, m.new))
            .collect();
        // Most new calls first, then most base calls, then by key.
        assert_eq!(
            members,
            [
                ("a.py:client".to_string(), Some(1), Some(2)),
                ("a.py:resource".to_string(), None, Some(2)),
                ("a.py:gone".to_string(), Some(5), None),
            ]
        );
        // Nothing matches: 0 calls, which any N allows.
        let none = GroupRule::new("none", "^zzz", 0).unwrap();
        assert_eq!(group_excess(&none, &functions), Some(None));
        // A member present without a count (sampled): not judged, not counted.
        let sampled = [Counted {
            present: (true, true),
            ..counted("a.py:client", Some(1), None)
        }];
        assert_eq!(group_excess(&rule(0), &sampled), None);
        let judged = judge_groups(&[rule(0), none], sampled.into_iter());
        assert_eq!((judged.checked, judged.violations.len()), (1, 0));
    }

    #[test]
    fn group_names() {
        for good in ["clients", "aws-clients.v2", "db_queries", "n1"] {
            assert_eq!(check_group_name(good), Ok(()), "{good}");
        }
        for bad in ["", "a b", "a=b", "a:b", "a|b", &"x".repeat(65)] {
            assert!(check_group_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cost_rule_edges() {
        let change = |b: Option<f64>, n: Option<f64>| Change::new(b, n);
        // +50% of 100 ms is over 10%, and over the 1 ms floor.
        let (base, new, limit) = cost_excess(&change(Some(0.1), Some(0.15)), 10.0, 0.001).unwrap();
        assert_eq!((base, new), (Some(0.1), 0.15));
        assert!((limit - 0.11).abs() < 1e-12);
        // +100% but under the floor: noise.
        assert_eq!(
            cost_excess(&change(Some(0.0002), Some(0.0004)), 10.0, 0.001),
            None
        );
        // Added with time over the floor fails; under it passes.
        assert!(cost_excess(&change(None, Some(0.004)), 10.0, 0.001).is_some());
        assert_eq!(cost_excess(&change(None, Some(0.0005)), 10.0, 0.001), None);
        assert_eq!(cost_excess(&change(Some(0.1), None), 10.0, 0.001), None);
        assert_eq!(
            cost_excess(&change(Some(f64::NAN), Some(1.0)), 10.0, 0.0),
            None
        );
    }
}
