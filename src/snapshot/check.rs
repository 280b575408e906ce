//! Checking a profile against a snapshot: which bounds fail, which functions
//! appeared or vanished, and the actual text that keeps every line that holds.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use crate::align::AlignOptions;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::gate;
use crate::model::{FunctionId, Profile};
use crate::noise::{self, Noise};

use super::grammar::{Field, Values};
use super::group::{self, Group, GroupViolation};
use super::parse::{parse, Entry};
use super::render::{all_functions, fresh_line, select};
use super::{CallsTolerance, SnapshotError, DEFAULT_BAND_PCT};

/// One bound that does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundViolation {
    /// The snapshot line it is on.
    pub line: usize,
    /// The function's key.
    pub key: String,
    /// The bound as written, normalised (`calls <= 1`); a calls tolerance
    /// also gives the counts it allows (`calls ≈ 3028 ±1% (2998–3058)`).
    pub bound: String,
    /// The actual value (`6`, `250ms`, or `unknown`).
    pub actual: String,
    /// Set when the bound is on the calls of a function whose count follows
    /// PYTHONHASHSEED and the count moved a little
    /// ([`crate::noise::hash_seed_noise`]): likely noise.
    pub likely_noise: Option<Noise>,
}

/// A function the snapshot lists that the profile no longer has (within the
/// snapshot's filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vanished {
    /// The snapshot line it is on.
    pub line: usize,
    /// The function's key.
    pub key: String,
}

/// The result of [`check`]: whether every expectation holds, what does not,
/// and the text to diff or write.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Bounds on functions that failed, in file order.
    pub violations: Vec<BoundViolation>,
    /// Bounds on groups (`group NAME = PATTERN  calls <= 3`) that failed,
    /// in file order.
    pub group_violations: Vec<GroupViolation>,
    /// Keys selected by the snapshot's filters that it does not list, sorted.
    pub appeared: Vec<String>,
    /// Listed functions the profile does not have.
    pub vanished: Vec<Vanished>,
    /// Header facts that differ (`unit: snapshot has seconds, profile has Ir`).
    pub header: Vec<String>,
    /// The snapshot's text as given.
    pub expected: String,
    /// What the snapshot would say now, keeping every line that still holds.
    pub actual: String,
}

impl CheckOutcome {
    /// True when every expectation holds.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
            && self.group_violations.is_empty()
            && self.appeared.is_empty()
            && self.vanished.is_empty()
            && self.header.is_empty()
    }
}

/// Checks `profile` against a snapshot's text. Functions are selected by the
/// snapshot's own recorded filters; `align` normalises keys as when the
/// snapshot was made (`--strip-prefix`). Fails only when the text is not a
/// valid snapshot.
pub fn check(
    profile: &Profile,
    expected: &str,
    align: &AlignOptions,
) -> std::result::Result<CheckOutcome, SnapshotError> {
    let parsed = parse(expected)?;
    let filter = Filter::new(&parsed.include, &parsed.exclude).map_err(|error| {
        let line = parsed.first_filter_line.unwrap_or(1);
        SnapshotError::new(line, format!("recorded filter: {error}"))
    })?;
    let unit = &profile.meta.unit;
    let mut header = Vec::new();
    if parsed.unit != unit.name() {
        header.push(format!(
            "unit: snapshot has {}, profile has {}",
            parsed.unit, unit
        ));
    }
    if parsed.format != profile.meta.format.name() {
        header.push(format!(
            "format: snapshot has {}, profile has {}",
            parsed.format, profile.meta.format
        ));
    }
    // Bounds on times only mean something in the unit they were written in.
    let same_unit = parsed.unit == unit.name();
    let floor = parsed
        .band
        .as_ref()
        .map_or_else(|| gate::default_noise_floor(unit), |b| b.floor);

    let time = unit.is_time();
    let band = parsed.band.as_ref().map_or(DEFAULT_BAND_PCT, |b| b.pct);

    // Groups match every function, so their keys and names are made once
    // for both; without groups only the filter's selection is needed.
    let has_groups = parsed.entries.iter().any(|e| e.group.is_some());
    let all = if has_groups {
        all_functions(profile, align)
    } else {
        Vec::new()
    };
    let selected = if has_groups {
        all.iter()
            .filter(|(key, display, _)| filter.is_empty() || filter.matches(key, display))
            .map(|(key, _, id)| (key.clone(), *id))
            .collect()
    } else {
        select(profile, align, &filter)
    };
    let by_key: HashMap<&str, FunctionId> =
        selected.iter().map(|(k, id)| (k.as_str(), *id)).collect();
    let listed: HashSet<&str> = parsed
        .entries
        .iter()
        .filter(|e| e.group.is_none())
        .map(|e| e.key.as_str())
        .collect();
    let appeared: Vec<&(String, FunctionId)> = selected
        .iter()
        .filter(|(key, _)| !listed.contains(key.as_str()))
        .collect();
    // Functions that sort after every listed one follow the last function
    // line, not group lines written below it.
    let last_function = parsed.entries.iter().rposition(|e| e.group.is_none());

    let mut violations = Vec::new();
    let mut group_violations = Vec::new();
    let mut vanished = Vec::new();
    let mut actual_lines: Vec<String> = parsed.header_lines(profile);
    let mut pending = appeared.iter().peekable();
    let fresh = |key: &str, id: FunctionId| {
        fresh_line(
            profile,
            key,
            id,
            parsed.band.as_ref(),
            parsed.calls_tolerance,
        )
    };
    let groups = GroupJudge {
        profile,
        all: &all,
        same_unit,
        floor,
        band,
        calls_tolerance: parsed.calls_tolerance,
    };
    for (index, entry) in parsed.entries.iter().enumerate() {
        if Some(index) == last_function.map(|last| last + 1) {
            actual_lines.extend(pending.by_ref().map(|(key, id)| fresh(key, *id)));
        }
        if let Some(group) = &entry.group {
            actual_lines.extend(entry.leading.iter().cloned());
            actual_lines.push(groups.line(entry, group, &mut group_violations));
            continue;
        }
        let Some(&id) = by_key.get(entry.key.as_str()) else {
            vanished.push(Vanished {
                line: entry.line,
                key: entry.key.clone(),
            });
            continue;
        };
        // Appeared functions go in key order before the first listed key
        // that sorts after them, so a sorted file stays sorted.
        while let Some((key, new_id)) =
            pending.next_if(|(key, _)| key.as_str() < entry.key.as_str())
        {
            actual_lines.push(fresh(key, *new_id));
        }
        actual_lines.extend(entry.leading.iter().cloned());
        if !same_unit {
            actual_lines.push(fresh(&entry.key, id));
            continue;
        }
        let values = Values::of(&profile.functions[id]);
        let mut kept = Vec::with_capacity(entry.clauses.len());
        let mut failed = false;
        for clause in &entry.clauses {
            match clause.holds(&values, floor, time) {
                Ok(()) => kept.push(clause.text.clone()),
                Err(actual) => {
                    failed = true;
                    let likely_noise = match (clause.calls_value(), profile.functions[id].calls) {
                        (Some(expected), Some(calls))
                            if noise::hash_seed_noise(&entry.key, expected, calls) =>
                        {
                            Some(Noise::HashSeed)
                        }
                        _ => None,
                    };
                    violations.push(BoundViolation {
                        line: entry.line,
                        key: entry.key.clone(),
                        bound: clause.described(),
                        actual,
                        likely_noise,
                    });
                    if let Some(replacement) =
                        clause.replacement(&values, time, band, parsed.calls_tolerance)
                    {
                        if !kept.contains(&replacement) {
                            kept.push(replacement);
                        }
                    }
                }
            }
        }
        if failed {
            let mut line = entry.raw_key.clone();
            for clause in kept {
                line.push_str("  ");
                line.push_str(&clause);
            }
            actual_lines.push(line);
        } else {
            actual_lines.push(entry.text.clone());
        }
    }
    actual_lines.extend(pending.map(|(key, id)| fresh(key, *id)));
    actual_lines.extend(parsed.trailing.iter().cloned());
    let mut actual = actual_lines.join("\n");
    actual.push('\n');

    Ok(CheckOutcome {
        violations,
        group_violations,
        appeared: appeared.into_iter().map(|(k, _)| k.clone()).collect(),
        vanished,
        header,
        expected: expected.to_string(),
        actual,
    })
}

/// What a group line is judged with.
struct GroupJudge<'a> {
    profile: &'a Profile,
    /// Every function: (key, displayed name, id).
    all: &'a [(String, String, FunctionId)],
    same_unit: bool,
    floor: f64,
    band: f64,
    calls_tolerance: Option<CallsTolerance>,
}

impl GroupJudge<'_> {
    /// Judges a group line's bounds on the sums over its members, records
    /// each that fails, and returns the line for the actual text: as
    /// written when every bound holds, else with each failed bound replaced
    /// as on a function line. A group line is never dropped.
    fn line(&self, entry: &Entry, group: &Group, violations: &mut Vec<GroupViolation>) -> String {
        let time = self.profile.meta.unit.is_time();
        let (members, sums) = group::evaluate(group, self.profile, self.all);
        let mut kept = Vec::with_capacity(entry.clauses.len());
        let mut unjudged = Vec::new();
        let mut failed = false;
        for clause in &entry.clauses {
            // A bound on time written in another unit means nothing here
            // (the header mismatch is reported): it becomes the group's
            // value, so the proposed text reads back.
            let judged = if !self.same_unit && clause.field != Field::Calls {
                None
            } else {
                Some(clause.holds(&sums, self.floor, time))
            };
            match judged {
                Some(Ok(())) => {
                    kept.push(clause.text.clone());
                    continue;
                }
                Some(Err(actual)) => violations.push(GroupViolation {
                    line: entry.line,
                    name: group.name.clone(),
                    pattern: group.pattern.clone(),
                    bound: clause.described(),
                    actual,
                    members: group::listed(self.profile, &members, clause.field),
                }),
                None => {}
            }
            failed = true;
            // Calls the profile does not count have no value to write: the
            // bound goes, as on a function line.
            match clause.replacement(&sums, time, self.band, self.calls_tolerance) {
                Some(replacement) if !kept.contains(&replacement) => kept.push(replacement),
                Some(_) => {}
                None => unjudged.push(clause.text.clone()),
            }
        }
        if !failed {
            return entry.text.clone();
        }
        // A group line needs a bound: with none left, those that could not
        // be judged stay as written.
        if kept.is_empty() {
            kept = unjudged;
        }
        let mut line = entry.raw_key.clone();
        for clause in kept {
            line.push_str("  ");
            line.push_str(&clause);
        }
        line
    }
}

/// Reads the snapshot at `path` and [`check`]s `profile` against it. The
/// error names the file (and the line, for a malformed snapshot).
pub fn check_file(profile: &Profile, path: &Path, align: &AlignOptions) -> Result<CheckOutcome> {
    let name = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Input {
        path: name.clone(),
        message: "not a profdiff snapshot: not UTF-8 text".to_string(),
    })?;
    check(profile, &text, align).map_err(|error| Error::Input {
        path: name,
        message: format!("invalid snapshot: {error}"),
    })
}
