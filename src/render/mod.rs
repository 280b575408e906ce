//! Renderers. Each writes to `impl Write` from a report value built here; none
//! decides colour or reads the environment (see [`table::Style`]).

pub mod cells;
pub mod flamegraph;
pub mod gate;
pub mod json;
pub mod lambda;
pub mod markdown;
pub(crate) mod notes;
pub mod runs_json;
pub mod runs_text;
pub mod snapshot;
pub mod table;
pub mod text;
pub mod units;

use crate::align::{self, AlignOptions};
use crate::diff::{FunctionDiff, ProfileDiff, SortKey};
use crate::filter::Filter;
use crate::model::{FunctionId, Profile};

/// Output formats, chosen once on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Markdown,
    /// Differential flame graph SVG (diff of stack-bearing profiles only).
    Flamegraph,
}

/// How the reader can act on a note, in the words of the program that shows
/// the report: a command line names its flags, a library user's program its
/// own settings. Without a hint a note says what to do in plain words
/// ("compare several runs", "allow for it with a calls tolerance").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hints {
    /// How to compare several runs per side, written in parentheses after
    /// "compare several runs" (the CLI: `--base/--new`).
    pub several_runs: Option<&'static str>,
    /// How to let the regression gate accept call-count growth, written after
    /// "allow for it with" (the CLI: `--max-calls-increase-pct or
    /// --max-calls-increase`). Default: "a calls tolerance".
    pub calls_tolerance: Option<&'static str>,
}

/// Everything a diff renderer needs: the diff, both profiles' metadata, and
/// the rows selected for display (already sorted, filtered and cut to `--top`).
#[derive(Debug)]
pub struct DiffReport<'a> {
    pub base: &'a Profile,
    pub new: &'a Profile,
    pub diff: &'a ProfileDiff,
    pub rows: Vec<&'a FunctionDiff>,
    /// Rows that passed the filters, before `--top` cut them.
    pub matching: usize,
    pub show_callers: bool,
    /// The regression gate's verdict, when one was asked for; renderers
    /// include it (JSON `verdict`, the Markdown headline).
    pub verdict: Option<&'a crate::gate::GateVerdict>,
    /// Functions that passed the filters whose call-count change likely
    /// follows the hash seed ([`crate::noise::likely_noise`]), in key order,
    /// whether or not `--top` shows them; renderers add a note.
    pub likely_noise: Vec<&'a FunctionDiff>,
    /// How notes tell the reader to act, in the words of whoever shows the
    /// report. Default: none.
    pub hints: Hints,
}

impl<'a> DiffReport<'a> {
    /// Selects rows of an already sorted diff. `top: None` keeps every row.
    pub fn new(
        base: &'a Profile,
        new: &'a Profile,
        diff: &'a ProfileDiff,
        filter: &Filter,
        top: Option<usize>,
    ) -> Self {
        let matching: Vec<&FunctionDiff> = diff
            .functions
            .iter()
            .filter(|f| filter.matches(&f.key, &f.display))
            .collect();
        let count = matching.len();
        let likely_noise = crate::noise::likely_noise(diff)
            .into_iter()
            .filter(|f| filter.matches(&f.key, &f.display))
            .collect();
        let rows = match top {
            Some(top) => matching.into_iter().take(top).collect(),
            None => matching,
        };
        DiffReport {
            base,
            new,
            diff,
            rows,
            matching: count,
            show_callers: false,
            verdict: None,
            likely_noise,
            hints: Hints::default(),
        }
    }
}

/// One function of a single-profile table.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowRow {
    pub id: FunctionId,
    pub key: String,
    pub display: String,
}

/// A single profile with the rows selected for display.
#[derive(Debug)]
pub struct ShowReport<'a> {
    pub profile: &'a Profile,
    pub rows: Vec<ShowRow>,
    pub matching: usize,
}

impl<'a> ShowReport<'a> {
    pub fn new(
        profile: &'a Profile,
        align_options: &AlignOptions,
        filter: &Filter,
        sort: SortKey,
        top: Option<usize>,
    ) -> Self {
        let keys = align::keys(profile, align_options);
        let files = align::normalized_files(profile, align_options);
        let label = |id: FunctionId| {
            let function = &profile.functions[id];
            align::display_name(function, files[id].as_deref(), function.line)
        };
        // Labels are only needed to match filters and for the rows shown, so
        // without a filter they are made after the cut (a profile can have
        // hundreds of thousands of functions and the table shows 20).
        let mut rows: Vec<(usize, Option<String>)> = (0..keys.len())
            .filter_map(|id| {
                if filter.is_empty() {
                    return Some((id, None));
                }
                let display = label(id);
                filter
                    .matches(&keys[id], &display)
                    .then_some((id, Some(display)))
            })
            .collect();
        let functions = &profile.functions;
        let order = |a: usize, b: usize| {
            let (fa, fb) = (&functions[a], &functions[b]);
            let by_metric = match sort {
                SortKey::Inclusive => fb.inclusive_cost.total_cmp(&fa.inclusive_cost),
                SortKey::SelfCost => fb.self_cost.total_cmp(&fa.self_cost),
                SortKey::Calls => fb.calls.cmp(&fa.calls),
                SortKey::Name => std::cmp::Ordering::Equal,
            };
            by_metric.then_with(|| keys[a].cmp(&keys[b]))
        };
        let matching = rows.len();
        match top {
            // Partial selection first: only the rows shown need a full sort.
            Some(top) if top < rows.len() => {
                rows.select_nth_unstable_by(top, |a, b| order(a.0, b.0));
                rows.truncate(top);
            }
            _ => {}
        }
        rows.sort_by(|a, b| order(a.0, b.0));
        let mut keys: Vec<Option<String>> = keys.into_iter().map(Some).collect();
        let rows = rows
            .into_iter()
            .map(|(id, display)| ShowRow {
                id,
                key: keys[id].take().unwrap_or_default(),
                display: display.unwrap_or_else(|| label(id)),
            })
            .collect();
        ShowReport {
            profile,
            rows,
            matching,
        }
    }
}
