//! A Graphviz call graph of a diff's changed region (`--format dot`), for
//! `dot -Tsvg`: the changed functions among the report's rows, the path
//! from each up to a root along its heaviest callers
//! ([`crate::callgraph::changed_region`] chooses them), and every call edge
//! between them.
//!
//! Colours follow gprof2dot's compare mode: a function that got worse
//! (more time, or more calls) is red, one that got better blue, deeper the
//! larger its change in inclusive cost is against the larger of the two
//! totals. An added function has a bold border, a removed one a dashed
//! border; functions drawn only because they are on a path are grey. An
//! edge is labelled with its calls before → after, coloured by their
//! change, and as wide as the cost it carries.
//!
//! Every name comes from the profile, so every name is escaped: control
//! characters shown as escapes ([`super::escape`]), then backslashes,
//! quotes and `&` (Graphviz reads `&name;` as an entity) made literal.
//! Nothing else in a quoted DOT string is special. The output depends on
//! nothing but the report: same diff, same bytes.

use std::io::{self, Write};

use super::cells::{calls_change, cost_change, count_change, inclusive_change, side_cost, ARROW};
use super::escape::escape;
use super::units;
use super::DiffReport;
use crate::callgraph::{self, EdgeChange, Region};
use crate::diff::{Change, FunctionDiff, ProfileDiff, RowKind, Status};
use crate::model::Unit;

/// The command line's `--top` for DOT unless told otherwise: about what
/// stays readable on a screen. A report without a top N draws every
/// changed row it keeps.
pub const DEFAULT_NODES: usize = 40;

/// Longest function name drawn whole, in characters; longer ones keep
/// their start and end (where pstats-like names have the function).
const NAME_CHARS: usize = 72;

const RED: (u8, u8, u8) = (0xd7, 0x30, 0x27);
const BLUE: (u8, u8, u8) = (0x45, 0x75, 0xb4);
const GREY: &str = "#808080";

/// The faintest colour a changed function gets: a change too small to
/// move the colour still shows its direction.
const MIN_INTENSITY: f64 = 0.15;

/// Writes the changed region of `report` as a DOT digraph. The edges are
/// [`DiffReport::call_graph`], or computed from the two profiles when the
/// report has none.
pub fn write_diff(out: &mut dyn Write, report: &DiffReport<'_>) -> io::Result<()> {
    let diff = report.diff;
    let computed;
    let edges: &[EdgeChange] = match report.call_graph {
        Some(edges) => edges,
        None => {
            computed = callgraph::edge_changes(report.base, report.new, diff);
            &computed
        }
    };
    let rows = report.row_indices();
    let seeds: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&row| diff.functions[row].status != Status::Unchanged)
        .collect();
    let cap = node_cap(report);
    let region = callgraph::changed_region(diff, edges, &seeds, cap);
    let left_out = left_out(report, &rows, &region);
    let scale = diff
        .total_cost
        .base
        .unwrap_or(0.0)
        .abs()
        .max(diff.total_cost.new.unwrap_or(0.0).abs());
    let no_edges = report.base.edges.is_empty() && report.new.edges.is_empty();

    let seeds_drawn = region.nodes.iter().filter(|n| n.seed).count();
    let path_only = region.nodes.len() - seeds_drawn;
    let mut summary = match (seeds_drawn, path_only) {
        (0, _) if seeds.is_empty() && left_out.count == 0 => {
            "no function changed beyond the threshold".to_string()
        }
        (0, _) if rows.is_empty() => "no rows to draw".to_string(),
        // The rows the sort put first moved, but within the threshold.
        (0, _) if seeds.is_empty() => format!(
            "none of the first {} changed beyond the threshold",
            count_of(rows.len(), "row")
        ),
        (seeds, 0) => format!("{} changed", count_of(seeds, "function")),
        (seeds, path) => format!(
            "{} changed, {} more on paths to the root",
            count_of(seeds, "function"),
            units::grouped(path as i128)
        ),
    };
    if left_out.count > 0 {
        summary.push_str(&format!(
            "; {}{} left out (cap: {} nodes)",
            if left_out.exact { "" } else { "up to " },
            count_of(left_out.count, "changed function"),
            units::grouped(cap as i128)
        ));
    }

    writeln!(out, "// profdiff: call graph of the changed region")?;
    writeln!(out, "// base: {}", escape(&report.base.meta.path))?;
    writeln!(out, "// new: {}", escape(&report.new.meta.path))?;
    writeln!(out, "// {summary}")?;
    if no_edges {
        writeln!(out, "// {NO_EDGES}")?;
    }
    writeln!(out, "digraph profdiff {{")?;

    let mut title = vec![
        format!(
            "profdiff: {}{ARROW}{}",
            report.base.meta.path, report.new.meta.path
        ),
        format!(
            "{} {}",
            total_label(&diff.unit),
            change_with_delta(&diff.total_cost, &diff.unit)
        ),
        summary,
    ];
    if no_edges {
        title.push(NO_EDGES.to_string());
    }
    title.extend(LEGEND.map(str::to_string));
    let title: String = title
        .iter()
        .map(|line| format!("{}\\l", dot(line)))
        .collect();
    writeln!(
        out,
        "  graph [label=\"{title}\", labelloc=t, labeljust=l, fontname=\"sans-serif\", fontsize=12];"
    )?;
    writeln!(
        out,
        "  node [shape=box, style=\"filled,rounded\", fontname=\"sans-serif\", fontsize=10];"
    )?;
    writeln!(
        out,
        "  edge [fontname=\"sans-serif\", fontsize=9, arrowsize=0.7];"
    )?;

    for node in &region.nodes {
        let row = &diff.functions[node.row];
        let mut label = vec![dot(&shorten(&row.display))];
        if row.calls.base.is_some() || row.calls.new.is_some() {
            label.push(format!("calls {}", dot(&calls_change(row))));
        }
        label.push(dot(&inclusive_line(row, &diff.unit)));
        if node.callers_cut {
            label.push("(callers not drawn)".to_string());
        }
        let label = label.join("\\n");
        let tooltip = dot(&row.display);
        let look = if node.seed {
            changed_look(row, diff, scale)
        } else {
            // Only a step on a path: grey whatever its change.
            "fillcolor=\"#f2f2f2\", color=\"#a0a0a0\", fontcolor=\"#606060\"".to_string()
        };
        writeln!(
            out,
            "  r{} [label=\"{label}\", tooltip=\"{tooltip}\", {look}];",
            node.row
        )?;
    }

    for &index in &region.edges {
        let edge = &edges[index];
        writeln!(
            out,
            "  r{} -> r{} [{}];",
            edge.caller,
            edge.callee,
            edge_attributes(edge, diff, scale)
        )?;
    }
    writeln!(out, "}}")
}

const NO_EDGES: &str =
    "neither profile records calls between functions: changed functions only, without edges";

const LEGEND: [&str; 2] = [
    "red: worse (more time or calls), blue: better, deeper for a larger share of the total",
    "border bold: added, dashed: removed; grey: only on a path to the root; \
     edges: calls before → after, wider for more time",
];

/// How many nodes to draw: the report's `--top`.
fn node_cap(report: &DiffReport<'_>) -> usize {
    // `--top` caps the nodes (default 40); `--top 0` (no cap) draws every
    // changed row the filters keep, with its path.
    report.top.unwrap_or(usize::MAX)
}

/// Changed functions the filters keep that are not drawn.
struct LeftOut {
    count: usize,
    /// False when `count` is only an upper bound.
    exact: bool,
}

/// Seeds the cap left out, and changed rows after the report's rows that
/// are not drawn. Of the rows after the last one shown, the report knows
/// how many its filters keep (`matching` minus the rows) but not which: the
/// count is exact when it keeps all of them, else a bound.
fn left_out(report: &DiffReport<'_>, rows: &[usize], region: &Region) -> LeftOut {
    let functions = &report.diff.functions;
    let mut drawn = vec![false; functions.len()];
    for node in &region.nodes {
        drawn[node.row] = true;
    }
    let tail_start = rows.iter().max().map_or(0, |&last| last + 1);
    let tail = functions.len().saturating_sub(tail_start);
    let changed_not_drawn = (tail_start..functions.len())
        .filter(|&row| functions[row].status != Status::Unchanged && !drawn[row])
        .count();
    let kept = report.matching.saturating_sub(report.rows.len()).min(tail);
    let not_kept = tail - kept;
    let most = changed_not_drawn.min(kept);
    let least = changed_not_drawn.saturating_sub(not_kept);
    LeftOut {
        count: region.seeds_left_out + most,
        exact: least == most,
    }
}

/// `incl 134 ms → 67.8 ms (−66.4 ms)`, as the text table's columns.
fn inclusive_line(row: &FunctionDiff, unit: &Unit) -> String {
    let delta = row
        .inclusive_cost
        .delta()
        .map(|d| format!(" ({})", units::cost_delta(d, unit)))
        .unwrap_or_default();
    format!("incl {}{delta}", inclusive_change(row, unit))
}

/// Fill, border and font of a changed function: the direction's colour,
/// as deep as its change is large against `scale` (the larger total).
fn changed_look(row: &FunctionDiff, diff: &ProfileDiff, scale: f64) -> String {
    let threshold = diff.cost_threshold;
    let hue = if row.is(RowKind::Regressions, threshold) {
        Some(RED)
    } else if row.is(RowKind::Improvements, threshold) {
        Some(BLUE)
    } else {
        None
    };
    let share = match (row.certain_inclusive_delta(), scale > 0.0) {
        (Some(delta), true) => (delta.abs() / scale).min(1.0),
        _ => 0.0,
    };
    // The square root spreads the small shares most changes have.
    let intensity = MIN_INTENSITY + (1.0 - MIN_INTENSITY) * share.sqrt();
    let (fill, font) = match hue {
        Some(hue) => (
            mix(hue, intensity),
            if intensity > 0.6 { "white" } else { "black" },
        ),
        None => ("#f7f7f7".to_string(), "black"),
    };
    let border = match hue {
        Some(hue) => mix(hue, 1.0),
        None => GREY.to_string(),
    };
    let style = match row.status {
        Status::Added => ", style=\"filled,rounded,bold\", penwidth=3",
        Status::Removed => ", style=\"filled,rounded,dashed\", penwidth=2",
        _ => "",
    };
    format!("fillcolor=\"{fill}\", color=\"{border}\", fontcolor=\"{font}\"{style}")
}

/// White mixed with `hue`: `amount` 0 is white, 1 the hue.
fn mix(hue: (u8, u8, u8), amount: f64) -> String {
    let channel = |c: u8| {
        let value = 255.0 + (f64::from(c) - 255.0) * amount.clamp(0.0, 1.0);
        value.round() as u8
    };
    format!(
        "#{:02x}{:02x}{:02x}",
        channel(hue.0),
        channel(hue.1),
        channel(hue.2)
    )
}

/// Label, colour, width and style of an edge.
fn edge_attributes(edge: &EdgeChange, diff: &ProfileDiff, scale: f64) -> String {
    let counted = edge.calls.base.is_some() || edge.calls.new.is_some();
    let label = if counted {
        count_change(&edge.calls)
    } else {
        // Sampled profiles count no calls: the cost along the edge instead.
        cost_change(&edge.inclusive, &diff.unit)
    };
    // Worse or better by calls where they are counted, else by cost.
    let direction = if counted {
        edge.calls.delta().unwrap_or(0.0)
    } else {
        edge.inclusive
            .delta()
            .filter(|d| d.abs() > diff.cost_threshold)
            .unwrap_or(0.0)
    };
    let color = if direction > 0.0 {
        mix(RED, 1.0)
    } else if direction < 0.0 {
        mix(BLUE, 1.0)
    } else {
        GREY.to_string()
    };
    let width = if scale > 0.0 {
        (1.0 + 7.0 * edge.weight() / scale).clamp(1.0, 8.0)
    } else {
        1.0
    };
    let on_base = edge.calls.base.is_some() || edge.inclusive.base.is_some();
    let on_new = edge.calls.new.is_some() || edge.inclusive.new.is_some();
    let style = match (on_base, on_new) {
        (false, true) => ", style=bold",
        (true, false) => ", style=dashed",
        _ => "",
    };
    format!(
        "label=\"{}\", color=\"{color}\", fontcolor=\"{color}\", penwidth={width:.2}{style}",
        dot(&label)
    )
}

/// `total time` or `total cost (Ir)`.
fn total_label(unit: &Unit) -> String {
    if unit.is_time() {
        "total time".to_string()
    } else {
        format!("total cost ({})", unit.name())
    }
}

/// `317 ms → 236 ms (−81.6 ms, −26%)`.
fn change_with_delta(change: &Change<f64>, unit: &Unit) -> String {
    let delta = change.delta().map(|d| units::cost_delta(d, unit));
    let detail = match (delta, change.pct()) {
        (Some(delta), Some(pct)) => format!(" ({delta}, {})", units::pct(pct)),
        (Some(delta), None) => format!(" ({delta})"),
        (None, _) => String::new(),
    };
    format!(
        "{}{ARROW}{}{detail}",
        side_cost(change.base, unit),
        side_cost(change.new, unit)
    )
}

/// `1 function`, `1,234 functions`.
fn count_of(count: usize, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", units::grouped(count as i128))
}

/// A name of at most [`NAME_CHARS`] characters: a longer one keeps its
/// start and its end, joined by `…`.
fn shorten(name: &str) -> String {
    let length = name.chars().count();
    if length <= NAME_CHARS {
        return name.to_string();
    }
    let head = NAME_CHARS / 3;
    let tail = NAME_CHARS - head - 1;
    let start: String = name.chars().take(head).collect();
    let end: String = name.chars().skip(length - tail).collect();
    format!("{start}…{end}")
}

/// Text as the inside of a quoted DOT string that Graphviz shows as
/// written: control characters as escapes, then `\` and `"` escaped, and
/// `&` as the entity Graphviz turns back into `&`.
fn dot(text: &str) -> String {
    let text = escape(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_literal_inside_a_quoted_string() {
        assert_eq!(dot("plain"), "plain");
        assert_eq!(dot("a\"b"), "a\\\"b");
        assert_eq!(dot("C:\\dir\\n"), "C:\\\\dir\\\\n");
        assert_eq!(dot("x\ny"), "x\\\\ny");
        assert_eq!(dot("\x1b[2J"), "\\\\x1b[2J");
        assert_eq!(dot("a&lt;b"), "a&amp;lt;b");
        assert_eq!(dot("<lambda> {x|y}"), "<lambda> {x|y}");
    }

    #[test]
    fn long_names_keep_both_ends() {
        let short = "a".repeat(NAME_CHARS);
        assert_eq!(shorten(&short), short);
        let long = format!("{}(create_client)", "λ".repeat(100));
        let shortened = shorten(&long);
        assert_eq!(shortened.chars().count(), NAME_CHARS);
        assert!(shortened.starts_with('λ'));
        assert!(shortened.ends_with("(create_client)"));
        assert!(shortened.contains('…'));
    }

    #[test]
    fn colours_go_from_white_to_the_hue() {
        assert_eq!(mix(RED, 0.0), "#ffffff");
        assert_eq!(mix(RED, 1.0), "#d73027");
        assert_eq!(mix(BLUE, 2.0), "#4575b4");
    }
}
