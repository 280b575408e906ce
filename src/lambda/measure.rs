//! Measurement: which function is one invocation, how long it takes, and
//! how long the handler module's INIT takes, read from the call graph.
//! Nothing here knows a price.
//!
//! INIT is the inclusive time of `<module>` of the file that defines the
//! entry. Why not "every `<module>` that is not an ancestor of the entry"? Because
//! cProfile aggregates by function: every module body is run by
//! `builtins.exec`, called from importlib's `_call_with_frames_removed`,
//! which every import shares, so in the call graph nearly every module is an
//! "ancestor" of every other. And the runner's own module (`main.py`) is not
//! the function's INIT: on Lambda the runtime's bootstrap plays that part.
//!
//! When the handler module itself calls the entry at import time (a script
//! run as `python handler.py` with a `__main__` block), that call is not
//! module-level work: the edge `<module>` → entry is subtracted exactly; if
//! the entry is reached from the module through other functions, the entry's
//! whole inclusive time is subtracted instead (the walk up the callers stops
//! at `<module>` functions and builtins such as `exec`, so shared import
//! machinery does not connect unrelated modules).
//!
//! An import-time log (`python -X importtime`, [`Format::Importtime`]) is
//! INIT and nothing else: it times what the interpreter imported, which is
//! what a cold start runs before the first invocation, and no invocation.
//! Its INIT is the inclusive time of the log's root
//! ([`importtime::ROOT`]: every import) per call of it (once per run in the
//! log), or, with an entry given, of that module per import of it (the
//! handler module's own import, say, without the interpreter's start-up);
//! the per-invocation duration is zero, so only INIT (and a cold-start
//! rate's share of it) is priced.

use regex::Regex;

use crate::align;
use crate::error::{Error, Result};
use crate::formats::importtime;
use crate::model::{Format, FunctionId, FunctionKind, Profile};

use super::CostOptions;

/// How the entry function was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntrySource {
    /// Named by [`CostOptions::entry`].
    Option,
    /// The only function named `handler` or `lambda_handler`.
    Named,
    /// No entry: the profile's total time is one invocation.
    Total,
    /// No invocation at all: the profile is an import-time log, which
    /// measures INIT only.
    InitOnly,
}

impl EntrySource {
    /// Stable name, as in JSON (`"option"`, `"named"`, `"total"`).
    pub fn name(self) -> &'static str {
        match self {
            EntrySource::Option => "option",
            EntrySource::Named => "named",
            EntrySource::Total => "total",
            EntrySource::InitOnly => "init-only",
        }
    }
}

/// The function timed as one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Alignment key; `None` for [`EntrySource::Total`].
    pub key: Option<String>,
    /// The pstats-like label (`handler.py:75(handler)`), or "the whole
    /// profile".
    pub display: String,
    /// How it was chosen.
    pub source: EntrySource,
}

/// What one profile says about one invocation (from
/// [`measure_run`](super::measure_run)).
#[derive(Debug, Clone)]
pub struct Measured {
    /// The function timed as one invocation.
    pub(super) entry: Entry,
    /// How many times it ran (primitive calls).
    pub(super) invocations: u64,
    /// Mean local seconds per invocation.
    pub(super) local_seconds: f64,
    /// The module measured and its local seconds, net of the entry.
    pub(super) init: Option<(String, f64)>,
    /// What the reader should know about the measurement.
    pub(super) notes: Vec<String>,
}

const HANDLER_NAMES: [&str; 2] = ["handler", "lambda_handler"];

/// Finds the entry and INIT in one profile and times them.
pub(super) fn measure(profile: &Profile, options: &CostOptions) -> Result<Measured> {
    if !profile.meta.unit.is_time() {
        return Err(Error::Input {
            path: profile.meta.path.clone(),
            message: format!(
                "a Lambda cost estimate needs times, but this profile counts {}",
                profile.meta.unit
            ),
        });
    }
    let keys = align::keys(profile, &options.align);
    let files = align::normalized_files(profile, &options.align);
    let display = |id: FunctionId| {
        let f = &profile.functions[id];
        align::display_name(f, files[id].as_deref(), f.line)
    };
    if profile.meta.format == Format::Importtime {
        return measure_import_log(profile, options, &keys, &display);
    }
    let mut notes = Vec::new();

    let chosen = match &options.entry {
        Some(pattern) => Some((
            find_entry(profile, &keys, pattern, &display)?,
            EntrySource::Option,
        )),
        None => {
            let named: Vec<FunctionId> = profile
                .functions
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    f.kind == FunctionKind::Source && HANDLER_NAMES.contains(&f.name.as_str())
                })
                .map(|(id, _)| id)
                .collect();
            match named.as_slice() {
                [one] => Some((*one, EntrySource::Named)),
                [] => {
                    notes.push(
                        "no function named handler or lambda_handler: one invocation is taken \
                         to be the whole profile (name the entry to change that)"
                            .to_string(),
                    );
                    None
                }
                several => {
                    let names: Vec<String> =
                        several.iter().take(5).map(|&id| display(id)).collect();
                    notes.push(format!(
                        "{} functions are named handler or lambda_handler ({}): one invocation \
                         is taken to be the whole profile (name the entry to pick one)",
                        several.len(),
                        names.join(", ")
                    ));
                    None
                }
            }
        }
    };

    let Some((id, source)) = chosen else {
        return Ok(Measured {
            entry: Entry {
                key: None,
                display: "the whole profile".to_string(),
                source: EntrySource::Total,
            },
            invocations: 1,
            local_seconds: profile.total_cost(),
            init: None,
            notes,
        });
    };
    let function = &profile.functions[id];
    // Recursion counts the outermost calls only: inclusive time is per
    // primitive call.
    let invocations = function.primitive_calls.or(function.calls).unwrap_or(1);
    if invocations == 0 {
        return Err(Error::Input {
            path: profile.meta.path.clone(),
            message: format!(
                "the Lambda entry {} is never called in this profile",
                display(id)
            ),
        });
    }
    let entry = Entry {
        key: Some(keys[id].clone()),
        display: display(id),
        source,
    };
    let init = measure_init(profile, id, &files, &display, &mut notes);
    Ok(Measured {
        entry,
        invocations,
        local_seconds: function.inclusive_cost / invocations as f64,
        init,
        notes,
    })
}

/// An import-time log: INIT per cold start and no invocation (see the
/// module docs).
fn measure_import_log(
    profile: &Profile,
    options: &CostOptions,
    keys: &[String],
    display: &dyn Fn(FunctionId) -> String,
) -> Result<Measured> {
    let module = match &options.entry {
        Some(pattern) => Some(find_entry(profile, keys, pattern, display)?),
        None => profile
            .functions
            .iter()
            .position(|f| f.kind == FunctionKind::Synthetic && f.name == importtime::ROOT),
    };
    let mut notes = vec![
        "an import-time log measures INIT only (the imports of a cold start): no invocation \
         is priced"
            .to_string(),
    ];
    let init = match module {
        Some(id) => {
            let function = &profile.functions[id];
            // Each run of the log is one cold start, and imports the
            // module once.
            let imports = function.calls.filter(|&n| n > 0).unwrap_or(1);
            if imports > 1 {
                notes.push(format!(
                    "INIT is the mean of {imports} imports of {} in the log",
                    display(id)
                ));
            }
            (display(id), function.inclusive_cost / imports as f64)
        }
        None => ("the whole log".to_string(), profile.total_cost()),
    };
    Ok(Measured {
        entry: Entry {
            key: None,
            display: "no invocation (an import-time log)".to_string(),
            source: EntrySource::InitOnly,
        },
        invocations: 0,
        local_seconds: 0.0,
        init: Some(init),
        notes,
    })
}

/// Finds the entry named by a key or a regex; see [`CostOptions::entry`].
fn find_entry(
    profile: &Profile,
    keys: &[String],
    pattern: &str,
    display: &dyn Fn(FunctionId) -> String,
) -> Result<FunctionId> {
    if let Some(id) = keys.iter().position(|k| k == pattern) {
        return Ok(id);
    }
    let regex = Regex::new(pattern)
        .map_err(|e| Error::Usage(format!("invalid Lambda entry regex {pattern:?}: {e}")))?;
    let matches: Vec<FunctionId> = (0..profile.functions.len())
        .filter(|&id| regex.is_match(&keys[id]) || regex.is_match(&display(id)))
        .collect();
    // `handler` as a regex also matches `retryhandler.py`; a function named
    // exactly the pattern wins among several matches.
    let exact: Vec<FunctionId> = matches
        .iter()
        .copied()
        .filter(|&id| profile.functions[id].name == pattern)
        .collect();
    match (matches.as_slice(), exact.as_slice()) {
        ([one], _) | (_, [one]) => Ok(*one),
        ([], _) => Err(Error::Input {
            path: profile.meta.path.clone(),
            message: format!("no function matches the Lambda entry {pattern:?}"),
        }),
        (several, _) => {
            let names: Vec<String> = several.iter().take(5).map(|&id| keys[id].clone()).collect();
            Err(Error::Input {
                path: profile.meta.path.clone(),
                message: format!(
                    "the Lambda entry {pattern:?} matches {} functions ({}{}); give a key",
                    several.len(),
                    names.join(", "),
                    if several.len() > 5 { ", …" } else { "" }
                ),
            })
        }
    }
}

/// INIT: inclusive time of the entry file's `<module>`, net of the entry's
/// own time when the module runs it. See the module docs.
fn measure_init(
    profile: &Profile,
    entry: FunctionId,
    files: &[Option<String>],
    display: &dyn Fn(FunctionId) -> String,
    notes: &mut Vec<String>,
) -> Option<(String, f64)> {
    if profile.functions[entry].name == "<module>" {
        notes.push("the entry is module-level code itself: no separate INIT".to_string());
        return None;
    }
    let entry_file = files.get(entry)?.as_deref()?;
    let modules: Vec<FunctionId> = profile
        .functions
        .iter()
        .enumerate()
        .filter(|(id, f)| f.name == "<module>" && files[*id].as_deref() == Some(entry_file))
        .map(|(id, _)| id)
        .collect();
    if modules.is_empty() {
        notes.push(format!(
            "no module-level code of {entry_file} in the profile (imported before profiling \
             started?): INIT is unknown"
        ));
        return None;
    }
    let by_callee = profile.edges_by_callee();
    let mut seconds = 0.0;
    for &module in &modules {
        seconds += profile.functions[module].inclusive_cost;
    }
    // The entry's time spent under these modules is invocation, not INIT.
    let mut inside = 0.0;
    let direct: Vec<f64> = by_callee[entry]
        .iter()
        .map(|&e| &profile.edges[e])
        .filter(|e| modules.contains(&e.caller))
        .filter_map(|e| e.inclusive_cost())
        .collect();
    if !direct.is_empty() {
        inside = direct.iter().sum();
    } else if reaches_module(profile, &by_callee, entry, &modules) {
        inside = profile.functions[entry].inclusive_cost;
        notes.push(format!(
            "{} runs the entry at import time through other functions; its whole time was \
             taken out of INIT",
            display(modules[0])
        ));
    }
    let module_names: Vec<String> = modules.iter().map(|&id| display(id)).collect();
    Some((module_names.join(" + "), (seconds - inside).max(0.0)))
}

/// Walks up the callers of `entry`, not past `<module>` functions or
/// builtins (`exec` joins every import to every other), and says whether one
/// of `modules` is reached.
fn reaches_module(
    profile: &Profile,
    by_callee: &[Vec<usize>],
    entry: FunctionId,
    modules: &[FunctionId],
) -> bool {
    let mut seen = vec![false; profile.functions.len()];
    let mut stack = vec![entry];
    seen[entry] = true;
    while let Some(id) = stack.pop() {
        for &edge in &by_callee[id] {
            let caller = profile.edges[edge].caller;
            if caller >= seen.len() || seen[caller] {
                continue;
            }
            seen[caller] = true;
            if modules.contains(&caller) {
                return true;
            }
            let f = &profile.functions[caller];
            if f.name != "<module>" && f.kind == FunctionKind::Source {
                stack.push(caller);
            }
        }
    }
    false
}
