//! Rendering: one report value in, text, JSON, Markdown or SVG out.
//!
//! A command builds one [`Report`] holding every section it prints (the
//! function table with its rows already selected, the gate's verdict, the
//! Lambda estimate, notes) from the analyses' values, and [`write()`] turns it
//! into the chosen [`OutputFormat`]. The analyses ([`crate::diff`],
//! [`crate::gate`], [`crate::stats`], [`crate::lambda`], [`crate::noise`],
//! [`crate::snapshot`]) return values and know nothing of this module.
//!
//! One file per format and per section: `text.rs` and `markdown.rs` (diff
//! and show tables), `json.rs` (through the versioned [`crate::wire`]
//! types), `flamegraph.rs` (SVG), `runs_text.rs`/`runs_json.rs` (several
//! runs per side), `lambda.rs` (the estimate's text), `gate.rs` (the
//! verdict's text, which the CLI prints on stderr) and `snapshot.rs` (a
//! failed snapshot check). `table.rs`, `cells.rs` and `units.rs` are the
//! shared pieces. Every renderer writes to a `dyn Write`; none decides
//! colour or reads the environment ([`Style`] is decided once, at the edge).

pub(crate) mod causes;
pub(crate) mod cells;
pub mod dot;
pub mod escape;
pub mod flamegraph;
pub mod gate;
pub mod html;
pub mod json;
mod json_rows;
pub mod lambda;
pub mod markdown;
pub(crate) mod notes;
pub mod runs_json;
pub mod runs_text;
pub mod snapshot;
pub mod suite;
pub(crate) mod table;
pub mod text;
pub(crate) mod units;

use std::fmt;
use std::io::{self, Write};

use crate::align::{self, AlignOptions};
use crate::callgraph::EdgeChange;
use crate::causes::Causes;
use crate::diff::{FunctionDiff, ProfileDiff, SortKey};
use crate::filter::Filter;
use crate::gate::GateVerdict;
use crate::lambda::{CostDiff, CostEstimate};
use crate::model::{FunctionId, Profile};
use crate::stats::{FunctionRuns, RunsDiff};

pub use flamegraph::FlameGraphReport;
pub use table::Style;

/// Output formats, chosen once on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputFormat {
    /// A table for the terminal (colour and width from [`Style`]).
    #[default]
    Text,
    /// Versioned JSON ([`crate::wire`]).
    Json,
    /// A compact report for pull requests (diff only).
    Markdown,
    /// Differential flame graph SVG (diff of stack-bearing profiles only).
    Flamegraph,
    /// One self-contained HTML page: summary, causes, a sortable and
    /// filterable table, each function's callers and callees, and the flame
    /// graph when the inputs have stacks.
    Html,
    /// A Graphviz call graph of the changed region (diff only).
    Dot,
}

impl OutputFormat {
    /// Stable name, as on the command line (`text`, `json`, …).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
            OutputFormat::Markdown => "markdown",
            OutputFormat::Flamegraph => "flamegraph",
            OutputFormat::Html => "html",
            OutputFormat::Dot => "dot",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything one command prints, in one value: [`write()`] renders it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Report<'a> {
    /// Two profiles compared (`diff BASE NEW`): text, JSON or Markdown.
    Diff(DiffReport<'a>),
    /// One profile (`show`): text or JSON.
    Show(ShowReport<'a>),
    /// Several runs per side compared (`diff --base … --new …`): text or
    /// JSON.
    Runs(RunsReport<'a>),
    /// A differential flame graph: SVG ([`OutputFormat::Flamegraph`]).
    FlameGraph(FlameGraphReport),
    /// Two directories of profiles compared pair by pair: text, JSON or
    /// Markdown.
    Suite(suite::SuiteReport),
}

impl Report<'_> {
    /// What kind of report this is, for messages: `diff`, `show`, `runs`,
    /// `flame graph`.
    pub fn kind(&self) -> &'static str {
        match self {
            Report::Diff(_) => "diff",
            Report::Show(_) => "show",
            Report::Runs(_) => "runs",
            Report::FlameGraph(_) => "flame graph",
            Report::Suite(_) => "suite",
        }
    }

    /// Whether [`write()`] can render this report in `format`.
    pub fn supports(&self, format: OutputFormat) -> bool {
        matches!(
            (self, format),
            (
                Report::Diff(_),
                OutputFormat::Text
                    | OutputFormat::Json
                    | OutputFormat::Markdown
                    | OutputFormat::Html
                    | OutputFormat::Dot
            ) | (
                Report::Show(_),
                OutputFormat::Text | OutputFormat::Json | OutputFormat::Html
            ) | (Report::Runs(_), OutputFormat::Text | OutputFormat::Json)
                | (Report::FlameGraph(_), OutputFormat::Flamegraph)
                | (
                    Report::Suite(_),
                    OutputFormat::Text | OutputFormat::Json | OutputFormat::Markdown
                )
        )
    }
}

impl<'a> From<DiffReport<'a>> for Report<'a> {
    fn from(report: DiffReport<'a>) -> Self {
        Report::Diff(report)
    }
}

impl<'a> From<ShowReport<'a>> for Report<'a> {
    fn from(report: ShowReport<'a>) -> Self {
        Report::Show(report)
    }
}

impl<'a> From<RunsReport<'a>> for Report<'a> {
    fn from(report: RunsReport<'a>) -> Self {
        Report::Runs(report)
    }
}

impl From<FlameGraphReport> for Report<'_> {
    fn from(report: FlameGraphReport) -> Self {
        Report::FlameGraph(report)
    }
}

/// Writes `report` as `format`: the one entry point for every output. A
/// pairing the report does not support ([`Report::supports`]: a show report
/// as Markdown, say) is an [`io::ErrorKind::Unsupported`] error and writes
/// nothing. `style` decides colour and width of text (Markdown and JSON
/// never colour) and whether JSON is indented.
pub fn write(
    report: &Report<'_>,
    format: OutputFormat,
    out: &mut dyn Write,
    style: Style,
) -> io::Result<()> {
    match (report, format) {
        (Report::Diff(report), OutputFormat::Text) => text::write_diff(out, report, style),
        (Report::Diff(report), OutputFormat::Json) => json::write_diff(out, report, style.indent),
        (Report::Diff(report), OutputFormat::Markdown) => markdown::write_diff(out, report),
        (Report::Diff(report), OutputFormat::Html) => html::write_diff(out, report),
        (Report::Diff(report), OutputFormat::Dot) => dot::write_diff(out, report),
        (Report::Show(report), OutputFormat::Html) => html::write_show(out, report),
        (Report::Show(report), OutputFormat::Text) => text::write_show(out, report, style),
        (Report::Show(report), OutputFormat::Json) => json::write_show(out, report, style.indent),
        (Report::Runs(report), OutputFormat::Text) => runs_text::write(out, report, style),
        (Report::Runs(report), OutputFormat::Json) => runs_json::write(out, report, style.indent),
        (Report::FlameGraph(report), OutputFormat::Flamegraph) => flamegraph::write(out, report),
        (Report::Suite(report), OutputFormat::Text) => suite::write_text(out, report, style),
        (Report::Suite(report), OutputFormat::Json) => suite::write_json(out, report, style.indent),
        (Report::Suite(report), OutputFormat::Markdown) => suite::write_markdown(out, report),
        (report, format) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("a {} report cannot be written as {format}", report.kind()),
        )),
    }
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
    /// How to see every row when a table is cut, written in parentheses
    /// after "… N more rows" (the CLI: `--top 0 shows all`). Default: none.
    pub all_rows: Option<&'static str>,
}

impl Hints {
    /// "… N more rows", with [`Hints::all_rows`] when given.
    pub(crate) fn more_rows(&self, more: usize) -> String {
        match self.all_rows {
            Some(how) => format!("… {more} more rows ({how})"),
            None => format!("… {more} more rows"),
        }
    }
}

/// Two profiles compared: the diff, both profiles' metadata, the rows
/// selected for display (already sorted, filtered and cut to the top N),
/// and the sections that go with them.
#[derive(Debug)]
#[non_exhaustive]
pub struct DiffReport<'a> {
    /// The base profile.
    pub base: &'a Profile,
    /// The new profile.
    pub new: &'a Profile,
    /// The comparison.
    pub diff: &'a ProfileDiff,
    /// The rows shown, in order.
    pub rows: Vec<&'a FunctionDiff>,
    /// Rows that passed the filters, before the top N cut them.
    pub matching: usize,
    /// The cut asked for (`--top`); `None` keeps every row. The DOT graph
    /// takes it as its cap on nodes.
    pub top: Option<usize>,
    /// Show each row's callers in the text table and JSON (Markdown shows
    /// whatever callers the diff holds). The diff engine makes them only for
    /// the rows shown ([`crate::diff::add_callers`]).
    pub show_callers: bool,
    /// The regression gate's verdict, when one was asked for; renderers
    /// include it (JSON `verdict`, the Markdown headline and violations).
    pub verdict: Option<&'a GateVerdict>,
    /// The Lambda cost of both sides, when asked for: text after the table,
    /// JSON `lambda`, Markdown in a code block at the end.
    pub lambda: Option<&'a CostDiff>,
    /// Functions that passed the filters whose call-count change likely
    /// follows the hash seed ([`crate::noise::likely_noise`]), in key order,
    /// whether or not `--top` shows them; renderers add a note.
    pub likely_noise: Vec<&'a FunctionDiff>,
    /// How notes tell the reader to act, in the words of whoever shows the
    /// report. Default: none.
    pub hints: Hints,
    /// The causes of the call-count changes ([`crate::causes::analyze`]),
    /// when asked for: text and Markdown lead with them, JSON `causes`.
    pub causes: Option<&'a Causes>,
    /// Every call edge between rows ([`crate::callgraph::edge_changes`]),
    /// when a picture of the graph is drawn (HTML, DOT).
    pub call_graph: Option<&'a [EdgeChange]>,
    /// The differential flame graph, when the inputs have stacks: the HTML
    /// report shows it inline.
    pub flame_graph: Option<&'a FlameGraphReport>,
}

impl<'a> DiffReport<'a> {
    /// The rows shown, as indices into the diff's functions (they are
    /// references into it): what the call graph's edges name.
    pub fn row_indices(&self) -> Vec<usize> {
        let functions = &self.diff.functions;
        let size = std::mem::size_of::<FunctionDiff>().max(1);
        let start = functions.as_ptr() as usize;
        self.rows
            .iter()
            .filter_map(|&row| {
                let offset = (row as *const FunctionDiff as usize).checked_sub(start)?;
                let index = offset / size;
                functions
                    .get(index)
                    .filter(|f| std::ptr::eq(*f, row))
                    .map(|_| index)
            })
            .collect()
    }

    /// Selects rows of an already sorted diff: those the filter passes, the
    /// first `top` of them (`None` keeps every row).
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
            .filter(|f| filter.keeps(f, diff.cost_threshold))
            .collect();
        let count = matching.len();
        let likely_noise = crate::noise::likely_noise(diff)
            .into_iter()
            .filter(|f| filter.keeps(f, diff.cost_threshold))
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
            top,
            show_callers: false,
            verdict: None,
            lambda: None,
            likely_noise,
            hints: Hints::default(),
            causes: None,
            call_graph: None,
            flame_graph: None,
        }
    }
}

/// One function of a single-profile table.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowRow {
    /// The function in the profile.
    pub id: FunctionId,
    /// Its alignment key.
    pub key: String,
    /// Its pstats-like label.
    pub display: String,
}

/// A single profile with the rows selected for display, and the sections
/// that go with them.
#[derive(Debug)]
#[non_exhaustive]
pub struct ShowReport<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// The rows shown, in order.
    pub rows: Vec<ShowRow>,
    /// Rows that passed the filters, before the top N cut them.
    pub matching: usize,
    /// The Lambda cost of the profile, when asked for: text after the
    /// table, JSON `lambda`.
    pub lambda: Option<&'a CostEstimate>,
    /// How notes tell the reader to act. Default: none.
    pub hints: Hints,
}

impl<'a> ShowReport<'a> {
    /// Selects, sorts (largest `sort` value first, then by key) and cuts the
    /// rows of one profile. `top: None` keeps every row.
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
            lambda: None,
            hints: Hints::default(),
        }
    }
}

/// Several runs per side compared, with the rows selected for display and
/// the sections that go with them. The summary counts are of
/// `diff.functions`, so a caller that filters drops functions from the
/// diff first (and sorts it, [`crate::stats::sort_functions`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct RunsReport<'a> {
    /// The comparison.
    pub diff: &'a RunsDiff,
    /// The rows shown: the first of `diff.functions`.
    pub rows: Vec<&'a FunctionRuns>,
    /// The regression gate's verdict, when one was asked for (JSON
    /// `verdict`).
    pub verdict: Option<&'a GateVerdict>,
    /// The Lambda cost of both sides, when asked for: text after the table,
    /// JSON `lambda`.
    pub lambda: Option<&'a CostDiff>,
    /// How notes tell the reader to act. Default: none.
    pub hints: Hints,
}

impl<'a> RunsReport<'a> {
    /// Shows the first `top` functions of the diff; `None` shows all.
    pub fn new(diff: &'a RunsDiff, top: Option<usize>) -> Self {
        let shown = top.unwrap_or(usize::MAX).min(diff.functions.len());
        RunsReport {
            diff,
            rows: diff.functions[..shown].iter().collect(),
            verdict: None,
            lambda: None,
            hints: Hints::default(),
        }
    }
}
