//! A self-contained HTML report (`--format html`): one file with its CSS,
//! script and data inline, no network, readable from `file://`.
//!
//! The summary, causes, gate verdict and Lambda estimate are the text
//! report's own words (rendered by [`super::text`] without colour), so the
//! page and the terminal never disagree on a number. The function table,
//! its sorting, filtering and the callers/callees view are drawn by
//! `report.js` from a JSON document embedded in the page: each row carries
//! the text report's cells (already formatted) and raw numbers to sort by;
//! each call edge carries its formatted calls and time. A stack profile's
//! differential flame graph (the SVG of `--format flamegraph`) is embedded
//! as a data URI.
//!
//! Size: rows beyond [`MAX_ROWS`] are left out with a note (choose them
//! with `--include`, `--only` or `--top`); the table draws 500 at a time.

use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;

use super::table::{Cell, Style, Tone};
use super::{text, units, DiffReport, ShowReport};
use crate::diff::{FunctionDiff, RowKind, Status};

/// Rows a page holds at most: a few thousand keep it a few MB and quick.
pub const MAX_ROWS: usize = 5_000;
/// Rows the table draws before "show more".
const PAGE_ROWS: usize = 500;

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// A table row for `report.js`: key, category, cells, their tones (one
/// letter each), values to sort by.
type PageRow = (String, &'static str, Vec<String>, String, Vec<Option<f64>>);
/// A call edge for `report.js`: caller row, callee row, calls, Δ (or cost),
/// tone, weight.
type PageEdge = (usize, usize, String, String, i8, f64);

/// What `report.js` reads (schema of this page only, not a wire format).
#[derive(Serialize)]
struct Page {
    kind: &'static str,
    columns: Vec<Column>,
    rows: Vec<PageRow>,
    edges: Vec<PageEdge>,
    /// The `function` column, where names are.
    name_column: usize,
    page_rows: usize,
}

#[derive(Serialize)]
struct Column {
    title: &'static str,
    /// `l` or `r`.
    align: &'static str,
}

/// Writes a diff as one HTML page.
pub fn write_diff(out: &mut dyn Write, report: &DiffReport<'_>) -> io::Result<()> {
    let plain = coloured();
    let diff = report.diff;
    let unit = &diff.unit;
    let title = format!("{} → {}", report.base.meta.path, report.new.meta.path);
    let mut head = Vec::new();
    text::write_diff_head(&mut head, report, plain)?;

    let shown = &report.rows[..report.rows.len().min(MAX_ROWS)];
    // Page row of each diff row shown: edges name diff rows.
    let mut page_row = vec![usize::MAX; diff.functions.len()];
    for (page, index) in report
        .row_indices()
        .into_iter()
        .take(shown.len())
        .enumerate()
    {
        page_row[index] = page;
    }
    let rows = shown
        .iter()
        .map(|row| {
            let cells = text::function_row(row, unit, diff.cost_threshold);
            let calls = |v: Option<crate::diff::Count>| v.map(|c| c.0 as f64);
            let sort = vec![
                Some(match row.status {
                    Status::Added => 1.0,
                    Status::Removed => -1.0,
                    _ => 0.0,
                }),
                calls(row.calls.new).or(calls(row.calls.base)),
                row.calls.delta(),
                row.self_cost.new.or(row.self_cost.base),
                row.self_cost.delta(),
                row.inclusive_cost.new.or(row.inclusive_cost.base),
                row.inclusive_cost.delta(),
                row.inclusive_cost.pct(),
                None,
            ];
            let (texts, tones) = split_cells(cells);
            (
                row.key.clone(),
                category(row, diff.cost_threshold),
                texts,
                tones,
                sort,
            )
        })
        .collect();
    let mut edges = Vec::new();
    if let Some(graph) = report.call_graph {
        for edge in graph {
            let row_of = |index: usize| page_row.get(index).copied().filter(|&p| p != usize::MAX);
            let (Some(caller), Some(callee)) = (row_of(edge.caller), row_of(edge.callee)) else {
                continue;
            };
            let delta = edge.inclusive.delta();
            let calls_delta = edge.calls.delta().unwrap_or(0.0);
            let tone = match delta {
                Some(d) if d > diff.cost_threshold => 1,
                Some(d) if d < -diff.cost_threshold => -1,
                _ => calls_delta.signum() as i8,
            };
            edges.push((
                caller,
                callee,
                super::cells::count_change(&edge.calls),
                delta.map_or(String::new(), |d| units::cost_delta(d, unit)),
                tone,
                edge.weight(),
            ));
        }
    }
    let (headers, aligns) = text::diff_columns(unit);
    let page = Page {
        kind: "diff",
        columns: columns(&headers, &aligns),
        rows,
        edges,
        name_column: headers.len() - 1,
        page_rows: PAGE_ROWS,
    };

    let mut sections = Vec::new();
    if let Some(verdict) = report.verdict {
        let mut text = Vec::new();
        super::gate::write_text(&mut text, verdict, &report.hints, plain)?;
        sections.push(("verdict", "Regression gate", text));
    }
    if let Some(cost) = report.lambda {
        let mut text = Vec::new();
        super::lambda::write_text(&mut text, cost, plain)?;
        sections.push(("lambda", "Lambda cost", text));
    }
    let flame_graph = match report.flame_graph {
        Some(graph) => {
            let mut svg = Vec::new();
            super::flamegraph::write(&mut svg, graph)?;
            Some(svg)
        }
        None => None,
    };
    let cut = cut_note(report.rows.len(), report.matching, shown.len());
    write_page(
        out,
        &title,
        &head,
        &page,
        &sections,
        cut.as_deref(),
        flame_graph.as_deref(),
    )
}

/// Writes one profile as one HTML page.
pub fn write_show(out: &mut dyn Write, report: &ShowReport<'_>) -> io::Result<()> {
    let plain = coloured();
    let profile = report.profile;
    let unit = &profile.meta.unit;
    let mut head = Vec::new();
    text::write_show_head(&mut head, report, plain)?;
    let shown = &report.rows[..report.rows.len().min(MAX_ROWS)];
    let mut page_row = vec![usize::MAX; profile.functions.len()];
    for (index, row) in shown.iter().enumerate() {
        if let Some(slot) = page_row.get_mut(row.id) {
            *slot = index;
        }
    }
    let rows = shown
        .iter()
        .map(|row| {
            let function = &profile.functions[row.id];
            let per = |cost: f64, calls: Option<u64>| match calls {
                Some(n) if n > 0 => Some(cost / n as f64),
                _ => None,
            };
            let sort = vec![
                function.calls.map(|c| c as f64),
                Some(function.self_cost),
                per(function.self_cost, function.calls),
                Some(function.inclusive_cost),
                per(
                    function.inclusive_cost,
                    function.primitive_calls.or(function.calls),
                ),
                None,
            ];
            let (texts, tones) = split_cells(text::show_row(profile, row));
            (row.key.clone(), "shown", texts, tones, sort)
        })
        .collect();
    let mut edges = Vec::new();
    for edge in &profile.edges {
        let (Some(&caller), Some(&callee)) = (page_row.get(edge.caller), page_row.get(edge.callee))
        else {
            continue;
        };
        if caller == usize::MAX || callee == usize::MAX {
            continue;
        }
        let cost = edge.inclusive_cost();
        edges.push((
            caller,
            callee,
            edge.calls().map_or(super::cells::ABSENT.to_string(), |c| {
                units::grouped(c as i128)
            }),
            cost.map_or(String::new(), |c| units::cost(c, unit)),
            0,
            cost.unwrap_or(0.0),
        ));
    }
    let (headers, aligns) = text::show_columns(unit);
    let page = Page {
        kind: "show",
        columns: columns(&headers, &aligns),
        rows,
        edges,
        name_column: headers.len() - 1,
        page_rows: PAGE_ROWS,
    };
    let mut sections = Vec::new();
    if let Some(cost) = report.lambda {
        let mut text = Vec::new();
        super::lambda::write_estimate_text(&mut text, cost, plain)?;
        sections.push(("lambda", "Lambda cost", text));
    }
    let cut = cut_note(report.rows.len(), report.matching, shown.len());
    write_page(
        out,
        &profile.meta.path,
        &head,
        &page,
        &sections,
        cut.as_deref(),
        None,
    )
}

/// The text report's style for the page's text sections: coloured, so
/// that [`text_html`] can turn its colours into classes; never cut to a
/// width.
fn coloured() -> Style {
    Style {
        color: true,
        width: None,
        ..Style::default()
    }
}

/// The text report's coloured output as HTML: its colours (the only
/// escape sequences in it, since names from a profile were escaped to
/// visible text) become the table's classes.
fn text_html(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut open = false;
    let mut rest: &str = &text;
    while let Some(start) = rest.find('\x1b') {
        out.push_str(&html(&rest[..start]));
        let after = &rest[start + 1..];
        let Some(end) = after.strip_prefix('[').and_then(|a| a.find('m')) else {
            rest = after;
            continue;
        };
        let code = &after[1..end + 1];
        rest = &after[end + 2..];
        if open {
            out.push_str("</span>");
            open = false;
        }
        let class = match code {
            "31" => "w",
            "32" => "b",
            "2" => "d",
            "1" => "h",
            _ => continue,
        };
        out.push_str(&format!("<span class=\"{class}\">"));
        open = true;
    }
    out.push_str(&html(rest));
    if open {
        out.push_str("</span>");
    }
    out
}

/// How a row shows under the table's toggles.
fn category(row: &FunctionDiff, threshold: f64) -> &'static str {
    if row.is(RowKind::Added, threshold) {
        "added"
    } else if row.is(RowKind::Removed, threshold) {
        "removed"
    } else if row.is(RowKind::Regressions, threshold) {
        "regressed"
    } else if row.is(RowKind::Improvements, threshold) {
        "improved"
    } else {
        "unchanged"
    }
}

fn split_cells(cells: Vec<Cell>) -> (Vec<String>, String) {
    let tones = cells
        .iter()
        .map(|cell| match cell.tone {
            Tone::Worse => 'w',
            Tone::Better => 'b',
            Tone::Dim => 'd',
            Tone::Header => 'h',
            _ => 'p',
        })
        .collect();
    (cells.into_iter().map(|cell| cell.text).collect(), tones)
}

fn columns(headers: &[&'static str], aligns: &[super::table::Align]) -> Vec<Column> {
    headers
        .iter()
        .zip(aligns)
        .map(|(title, align)| Column {
            title,
            align: match align {
                super::table::Align::Left => "l",
                _ => "r",
            },
        })
        .collect()
}

/// Says which rows are not in the page, and why.
fn cut_note(rows: usize, matching: usize, shown: usize) -> Option<String> {
    if shown < rows {
        Some(format!(
            "This page holds the first {} of {} rows, at most {} (choose others with --include, --only or --sort).",
            units::grouped(shown as i128),
            units::grouped(matching as i128),
            units::grouped(MAX_ROWS as i128),
        ))
    } else if rows < matching {
        Some(format!(
            "{} of {} rows (--top; --top 0 shows all).",
            units::grouped(rows as i128),
            units::grouped(matching as i128)
        ))
    } else {
        None
    }
}

fn write_page(
    out: &mut dyn Write,
    title: &str,
    head: &[u8],
    page: &Page,
    sections: &[(&str, &str, Vec<u8>)],
    cut: Option<&str>,
    flame_graph: Option<&[u8]>,
) -> io::Result<()> {
    let title = html(&super::escape::escape(title));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"profdiff {version}\">\n\
         <title>profdiff: {title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <header><h1>profdiff <span class=\"title\">{title}</span></h1>\n<nav>",
        version = env!("CARGO_PKG_VERSION"),
    )?;
    // Links to the page's sections, in page order.
    let mut links = vec![("summary", "Summary")];
    links.extend(
        sections
            .iter()
            .filter(|(id, ..)| *id == "verdict")
            .map(|(id, heading, _)| (*id, *heading)),
    );
    links.push(("functions", "Functions"));
    if flame_graph.is_some() {
        links.push(("flamegraph", "Flame graph"));
    }
    links.extend(
        sections
            .iter()
            .filter(|(id, ..)| *id != "verdict")
            .map(|(id, heading, _)| (*id, *heading)),
    );
    for (id, heading) in links {
        write!(out, "<a href=\"#{id}\">{heading}</a>")?;
    }
    writeln!(out, "</nav></header>\n<main>")?;
    writeln!(
        out,
        "<section id=\"summary\"><h2>Summary</h2>\n<pre>{}</pre></section>",
        text_html(head)
    )?;
    for (id, heading, text) in sections.iter().filter(|(id, ..)| *id == "verdict") {
        writeln!(
            out,
            "<section id=\"{id}\"><h2>{heading}</h2>\n<pre>{}</pre></section>",
            text_html(text)
        )?;
    }
    writeln!(
        out,
        "<section id=\"functions\"><h2>Functions</h2>\n\
         <div class=\"controls\">\
         <input id=\"search\" type=\"search\" placeholder=\"Filter functions (text in key or name)\" aria-label=\"Filter functions\">\
         <span id=\"toggles\"></span><span id=\"count\"></span></div>\n\
         <div id=\"neighbourhood\" hidden></div>\n\
         <table id=\"table\"><thead></thead><tbody></tbody></table>\n\
         <p><button id=\"more\" hidden>Show more</button></p>"
    )?;
    if let Some(cut) = cut {
        writeln!(out, "<p class=\"note\" id=\"cut\">{}</p>", html(cut))?;
    }
    writeln!(
        out,
        "<noscript><p class=\"note\">The table needs JavaScript; the summary above does not.</p></noscript>\n</section>"
    )?;
    if let Some(svg) = flame_graph {
        writeln!(
            out,
            "<section id=\"flamegraph\"><h2>Differential flame graph</h2>\n\
             <iframe title=\"Differential flame graph\" src=\"data:image/svg+xml;base64,{}\"></iframe></section>",
            base64::engine::general_purpose::STANDARD.encode(svg)
        )?;
    }
    for (id, heading, text) in sections.iter().filter(|(id, ..)| *id != "verdict") {
        writeln!(
            out,
            "<section id=\"{id}\"><h2>{heading}</h2>\n<pre>{}</pre></section>",
            text_html(text)
        )?;
    }
    let data = serde_json::to_string(page).map_err(io::Error::other)?;
    writeln!(
        out,
        "</main>\n<script type=\"application/json\" id=\"profdiff-data\">{}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>",
        // Inside <script>, only `</` could end the element early (or
        // `<!--` start a comment): JSON lets `/` be written `\/`.
        data.replace("</", "<\\/").replace("<!--", "<\\u0021--")
    )
}

/// Text as HTML character data or attribute value.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
