//! A test suite's profiles compared pair by pair: two directories (one
//! profile per test, as pytest-profiling or pytest-benchmark leave them),
//! profiles paired by their path below each directory. What one pair's
//! line says: how the pair fared ([`PairStatus`]) and its largest cause or
//! change ([`Headline`]). Each pair is an ordinary diff; drawing is in
//! [`crate::render::suite`].

use crate::causes::Causes;
use crate::diff::{Change, Count, FunctionDiff, ProfileDiff, Status};
use crate::gate::GateVerdict;

/// How one path of the suite fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PairStatus {
    /// The gate failed it; without a gate, its total calls grew.
    Regressed,
    /// Fewer total calls, and not failed by the gate.
    Improved,
    /// Neither.
    Unchanged,
    /// Only in the base directory.
    OnlyBase,
    /// Only in the new directory.
    OnlyNew,
    /// A side could not be read or compared.
    Error,
}

impl PairStatus {
    /// Stable lower-case name (`regressed`, `only_base`, …), as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PairStatus::Regressed => "regressed",
            PairStatus::Improved => "improved",
            PairStatus::Unchanged => "unchanged",
            PairStatus::OnlyBase => "only_base",
            PairStatus::OnlyNew => "only_new",
            PairStatus::Error => "error",
        }
    }
}

/// The status of a compared pair. With a gate, its verdict decides whether
/// the pair regressed (time rules included, when given). Otherwise the
/// total calls decide, not the time: a suite's tests are short, and run to
/// run their times move by more than any fixed threshold (two runs of
/// six's 200 tests under pytest-profiling: 110 "slower", 88 "faster", the
/// calls of all but one identical), while calls of a program run under a
/// fixed hash seed repeat exactly. The time is still shown on the line.
pub fn pair_status(diff: &ProfileDiff, verdict: Option<&GateVerdict>) -> PairStatus {
    let calls = diff.total_calls.delta().unwrap_or(0.0);
    match verdict {
        Some(verdict) if verdict.regressed => PairStatus::Regressed,
        _ if calls > 0.0 && verdict.is_none() => PairStatus::Regressed,
        _ if calls < 0.0 => PairStatus::Improved,
        _ => PairStatus::Unchanged,
    }
}

/// The one change a pair's line names.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The function's key.
    pub key: String,
    /// Its pstats-like label.
    pub display: String,
    /// Its calls on each side.
    pub calls: Change<Count>,
    /// Time (cost) it moved: a cause's moved cost, else the change in the
    /// function's inclusive cost.
    pub moved: Option<f64>,
    /// Whether it is a cause (a call count that changed at its origin)
    /// rather than the largest change.
    pub is_cause: bool,
}

/// The pair's largest cause, when the analysis found one (causes come
/// largest time moved first), else its first changed row in the diff's
/// order (largest change first, unless sorted otherwise) that `shown`
/// keeps (the report's filters); `None` when nothing changed.
pub fn headline(
    diff: &ProfileDiff,
    causes: Option<&Causes>,
    shown: impl Fn(&FunctionDiff) -> bool,
) -> Option<Headline> {
    if let Some(cause) = causes.and_then(|c| c.causes.first()) {
        return Some(Headline {
            key: cause.key.clone(),
            display: cause.display.clone(),
            calls: cause.calls,
            moved: Some(cause.moved),
            is_cause: true,
        });
    }
    diff.functions
        .iter()
        .find(|row| row.status != Status::Unchanged && shown(row))
        .map(|row| Headline {
            key: row.key.clone(),
            display: row.display.clone(),
            calls: row.calls,
            moved: row.inclusive_cost.delta(),
            is_cause: false,
        })
}
