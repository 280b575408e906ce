//! Versioned JSON wire types, kept apart from the model so the model can
//! change without breaking consumers. `SCHEMA_VERSION` goes up on any
//! incompatible change; adding a field is compatible.
//!
//! Costs are seconds when `unit` is `"seconds"` and appear as `*_time`
//! fields; for any other unit (callgrind `Ir`, samples, …) the same numbers
//! appear as `*_cost` fields so nobody reads instruction counts as seconds.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// A number on both sides. An absent side is `null`; `delta` counts an absent
/// side as zero; `pct` is `null` when the base is absent or zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub base: Option<T>,
    pub new: Option<T>,
    pub delta: Option<T>,
    pub pct: Option<f64>,
}

/// A value that may differ between the sides (`file`, `line`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sides<T> {
    pub base: Option<T>,
    pub new: Option<T>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub path: String,
    pub format: String,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// Smallest difference the input can express, in `unit`; null when exact.
    pub precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<f64>,
    pub total_calls: Option<u64>,
    pub primitive_calls: Option<u64>,
    /// Number of functions in the profile.
    pub functions: usize,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<Change<f64>>,
    pub total_calls: Change<i64>,
    pub primitive_calls: Change<i64>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Self/inclusive changes at or below this (in `unit`) count as unchanged.
    pub threshold: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallerChange {
    pub key: String,
    pub calls: Change<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    /// When this caller is a pass-through wrapper (every call it made went to
    /// the function), its own callers, which explain the change better.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<CallerChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionChange {
    pub key: String,
    pub name: String,
    pub display: String,
    pub file: Sides<String>,
    pub line: Sides<u32>,
    pub status: String,
    pub calls: Change<i64>,
    pub primitive_calls: Change<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<Change<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<Change<f64>>,
    pub callers: Vec<CallerChange>,
}

/// `profdiff diff --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffDocument {
    pub schema_version: u32,
    pub unit: String,
    pub base: ProfileInfo,
    pub new: ProfileInfo,
    pub summary: Summary,
    pub functions: Vec<FunctionChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionStats {
    pub key: String,
    pub name: String,
    pub display: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub calls: Option<u64>,
    pub primitive_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive_cost: Option<f64>,
}

/// `profdiff show --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowDocument {
    pub schema_version: u32,
    pub profile: ProfileInfo,
    pub functions: Vec<FunctionStats>,
}
