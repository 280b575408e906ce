//! Cell texts shared by the text and Markdown tables, so `6 → 1` and
//! `743/9 → 743/4` read the same everywhere.

use super::units;
use crate::diff::{Change, Count, FunctionDiff};
use crate::model::Unit;

pub const ARROW: &str = " → ";
/// A side where the function (or the number) does not exist.
pub const ABSENT: &str = "—";

pub fn side_cost(value: Option<f64>, unit: &Unit) -> String {
    value.map_or_else(|| ABSENT.to_string(), |v| units::cost(v, unit))
}

pub fn side_count(value: Option<Count>) -> String {
    value.map_or_else(|| ABSENT.to_string(), |c| units::grouped(c.0 as i128))
}

/// `6 → 1`, `123/3 → 120/3` (pstats' total/primitive), `— → 4` when added,
/// or just `6` when nothing changed.
pub fn calls_change(row: &FunctionDiff) -> String {
    let side =
        |calls: Option<Count>, primitive: Option<Count>, present: bool| match (calls, primitive) {
            _ if !present => ABSENT.to_string(),
            (Some(c), Some(p)) if c != p => format!("{}/{}", c.0, p.0),
            (Some(c), _) => c.0.to_string(),
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
