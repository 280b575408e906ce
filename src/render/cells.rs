//! Cell texts shared by the text and Markdown tables, so `6 → 1` and
//! `743/9 → 743/4` read the same everywhere.

use super::units;
use crate::diff::{Change, Count, FunctionDiff};
use crate::model::Unit;

/// Between a base and a new value.
pub const ARROW: &str = " → ";
/// A side where the function (or the number) does not exist.
pub const ABSENT: &str = "—";

/// One side's cost, or [`ABSENT`].
pub fn side_cost(value: Option<f64>, unit: &Unit) -> String {
    value.map_or_else(|| ABSENT.to_string(), |v| units::cost(v, unit))
}

/// One side's count, grouped (`1,234`), or [`ABSENT`].
pub fn side_count(value: Option<Count>) -> String {
    value.map_or_else(|| ABSENT.to_string(), |c| units::grouped(c.0 as i128))
}

/// `6 → 1`, `123/3 → 120/3` (pstats' total/primitive), `— → 4` when added,
/// or just `6` when nothing changed.
pub fn calls_change(row: &FunctionDiff) -> String {
    let side =
        |calls: Option<Count>, primitive: Option<Count>, present: bool| match (calls, primitive) {
            _ if !present => ABSENT.to_string(),
            (Some(c), Some(p)) if c != p => format!(
                "{}/{}",
                units::grouped(c.0 as i128),
                units::grouped(p.0 as i128)
            ),
            (Some(c), _) => units::grouped(c.0 as i128),
            (None, _) => ABSENT.to_string(),
        };
    let base = side(
        row.calls.base,
        row.primitive_calls.base,
        row.base_id.is_some(),
    );
    let new = side(row.calls.new, row.primitive_calls.new, row.new_id.is_some());
    unless_equal(base, new)
}

/// `5 → 1`, or just `5` when both sides agree.
pub fn count_change(change: &Change<Count>) -> String {
    unless_equal(side_count(change.base), side_count(change.new))
}

/// `145 ms → 104 ms`; empty when neither side has the number.
pub fn cost_change(change: &Change<f64>, unit: &Unit) -> String {
    if change.base.is_none() && change.new.is_none() {
        return String::new();
    }
    format!(
        "{}{ARROW}{}",
        side_cost(change.base, unit),
        side_cost(change.new, unit)
    )
}

/// The inclusive column: like [`cost_change`], with `≤` before a side whose
/// inclusive cost is only known as a range (its upper end is shown).
pub fn inclusive_change(row: &FunctionDiff, unit: &Unit) -> String {
    let change = &row.inclusive_cost;
    if !row.inclusive_is_range() {
        return cost_change(change, unit);
    }
    let side = |value: Option<f64>, min: Option<f64>| {
        let text = side_cost(value, unit);
        if min.is_some() {
            format!("≤{text}")
        } else {
            text
        }
    };
    format!(
        "{}{ARROW}{}",
        side(change.base, row.inclusive_min.base),
        side(change.new, row.inclusive_min.new)
    )
}

/// `−41.0 ms`; empty when neither side has the number.
pub fn cost_delta(change: &Change<f64>, unit: &Unit) -> String {
    change
        .delta()
        .map(|d| units::cost_delta(d, unit))
        .unwrap_or_default()
}

fn unless_equal(base: String, new: String) -> String {
    if base == new {
        base
    } else {
        format!("{base}{ARROW}{new}")
    }
}
