//! A suite of profiles compared pair by pair (`diff BASE_DIR NEW_DIR`):
//! one line per path (how it fared, its totals, its largest cause or
//! change, the gate's verdict), the paths found on one side only, the pairs
//! that could not be read, then each regressed pair's own report in full.
//! Text, Markdown (one table, the regressed pairs folded in `<details>`)
//! and JSON ([`wire::SuiteDocument`]).

use std::io::{self, Write};

use super::cells::{count_change, side_cost};
use super::escape::escape;
use super::markdown::code;
use super::table::{paint, Align, Cell, Style, Table, Tone};
use super::{units, DiffReport, OutputFormat, Report};
use crate::diff::{Change, Count};
use crate::model::Unit;
use crate::suite::{Headline, PairStatus};
use crate::wire;

/// Every path of a suite, for [`super::write`].
#[derive(Debug)]
#[non_exhaustive]
pub struct SuiteReport {
    /// The base directory, as given.
    pub base: String,
    /// The new directory, as given.
    pub new: String,
    /// Whether the pairs were gated (`--fail-on-regression`).
    pub gated: bool,
    /// One per path, in natural path order.
    pub pairs: Vec<PairView>,
}

impl SuiteReport {
    /// An empty suite of `base` and `new`.
    pub fn new(base: String, new: String, gated: bool) -> Self {
        SuiteReport {
            base,
            new,
            gated,
            pairs: Vec::new(),
        }
    }

    /// True when a pair regressed.
    pub fn regressed(&self) -> bool {
        self.pairs.iter().any(|p| p.status == PairStatus::Regressed)
    }

    /// True when a pair could not be read or compared.
    pub fn has_errors(&self) -> bool {
        self.pairs.iter().any(|p| p.status == PairStatus::Error)
    }
}

/// What the suite shows of one path.
#[derive(Debug)]
#[non_exhaustive]
pub struct PairView {
    /// The path below both directories.
    pub path: String,
    /// How it fared.
    pub status: PairStatus,
    /// For a compared pair: its numbers and, when it regressed, its report.
    pub compared: Option<ComparedPair>,
    /// Why it could not be compared.
    pub error: Option<String>,
}

impl PairView {
    /// A path found in one directory only, or one that failed (`error`).
    pub fn unpaired(path: String, status: PairStatus, error: Option<String>) -> Self {
        PairView {
            path,
            status,
            compared: None,
            error,
        }
    }

    /// A compared pair. Keeps what the suite's lines need, and renders the
    /// pair's whole report in `format` when it regressed (JSON carries the
    /// summary and verdict only), so the pair's profiles can be dropped.
    pub fn compared(
        path: String,
        status: PairStatus,
        report: DiffReport<'_>,
        headline: Option<Headline>,
        format: OutputFormat,
        style: Style,
    ) -> io::Result<Self> {
        let diff = report.diff;
        let document = super::json::diff_document_head(&report);
        let (verdict, hints) = (report.verdict, report.hints);
        let detail = if status == PairStatus::Regressed && format != OutputFormat::Json {
            let mut detail = Vec::new();
            super::write(&Report::Diff(report), format, &mut detail, style)?;
            // Text keeps a diff's verdict for stderr; here it belongs to
            // the pair (Markdown has it in the report already).
            if let (OutputFormat::Text, Some(verdict)) = (format, verdict) {
                super::gate::write_text(&mut detail, verdict, &hints, style)?;
            }
            Some(detail)
        } else {
            None
        };
        Ok(PairView {
            path,
            status,
            compared: Some(ComparedPair {
                unit: diff.unit.clone(),
                total_cost: diff.total_cost,
                total_calls: diff.total_calls,
                headline,
                violations: document.verdict.as_ref().map(|v| v.violations.len()),
                summary: document.summary,
                verdict: document.verdict,
                detail,
            }),
            error: None,
        })
    }
}

/// The numbers of one compared pair.
#[derive(Debug)]
pub struct ComparedPair {
    unit: Unit,
    total_cost: Change<f64>,
    total_calls: Change<Count>,
    headline: Option<Headline>,
    /// Rules violated, when gated.
    violations: Option<usize>,
    summary: wire::Summary,
    verdict: Option<wire::Verdict>,
    /// The pair's own report, for a regressed pair.
    detail: Option<Vec<u8>>,
}

fn status_label(status: PairStatus) -> &'static str {
    match status {
        PairStatus::Regressed => "regressed",
        PairStatus::Improved => "improved",
        PairStatus::Unchanged => "unchanged",
        PairStatus::OnlyBase => "only in base",
        PairStatus::OnlyNew => "only in new",
        PairStatus::Error => "error",
    }
}

/// `4 regressed, 2 improved, …` in a fixed order, zeros left out.
fn counts_line(report: &SuiteReport) -> String {
    let order = [
        PairStatus::Regressed,
        PairStatus::Improved,
        PairStatus::Unchanged,
        PairStatus::OnlyBase,
        PairStatus::OnlyNew,
        PairStatus::Error,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|status| {
            let n = report.pairs.iter().filter(|p| p.status == *status).count();
            (n > 0).then(|| format!("{n} {}", status_label(*status)))
        })
        .collect();
    format!(
        "{} profile{}: {}",
        units::grouped(report.pairs.len() as i128),
        if report.pairs.len() == 1 { "" } else { "s" },
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    )
}

/// `317 ms → 236 ms (−26%)`.
fn total_cell(change: &Change<f64>, unit: &Unit) -> String {
    let sides = format!(
        "{} → {}",
        side_cost(change.base, unit),
        side_cost(change.new, unit)
    );
    match change.pct() {
        Some(pct) => format!("{sides} ({})", units::pct(pct)),
        None => sides,
    }
}

fn headline_cell(headline: &Headline, unit: &Unit) -> String {
    let mut text = format!("{}  {}", headline.display, count_change(&headline.calls));
    if let Some(moved) = headline.moved {
        text.push_str(&format!("  {}", units::cost_delta(moved, unit)));
    }
    text
}

fn tone(status: PairStatus) -> Tone {
    match status {
        PairStatus::Regressed | PairStatus::Error => Tone::Worse,
        PairStatus::Improved => Tone::Better,
        _ => Tone::Dim,
    }
}

/// The suite for the terminal.
pub fn write_text(out: &mut dyn Write, report: &SuiteReport, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "suite  {} → {}  {}",
        escape(&report.base),
        escape(&report.new),
        paint(&counts_line(report), Tone::Dim, style.color)
    )?;
    writeln!(out)?;
    let mut headers = vec!["status", "total time", "calls", "largest cause or change"];
    if report.gated {
        headers.push("gate");
    }
    headers.push("profile");
    let mut aligns = vec![Align::Left, Align::Right, Align::Right, Align::Left];
    if report.gated {
        aligns.push(Align::Left);
    }
    aligns.push(Align::Left);
    let mut table = Table::new(aligns);
    table.push(
        headers
            .iter()
            .map(|h| Cell::new(*h, Tone::Header))
            .collect(),
    );
    for pair in &report.pairs {
        let mut row = vec![Cell::new(status_label(pair.status), tone(pair.status))];
        match (&pair.compared, &pair.error) {
            (Some(c), _) => {
                row.push(Cell::plain(total_cell(&c.total_cost, &c.unit)));
                row.push(Cell::plain(count_change(&c.total_calls)));
                row.push(Cell::plain(
                    c.headline
                        .as_ref()
                        .map_or(String::new(), |h| headline_cell(h, &c.unit)),
                ));
                if report.gated {
                    row.push(match c.violations {
                        Some(0) | None => Cell::new("pass", Tone::Better),
                        Some(n) => Cell::new(
                            format!("FAIL ({n} rule{})", if n == 1 { "" } else { "s" }),
                            Tone::Worse,
                        ),
                    });
                }
            }
            (None, error) => {
                row.push(Cell::plain(""));
                row.push(Cell::plain(""));
                row.push(Cell::new(error.clone().unwrap_or_default(), Tone::Dim));
                if report.gated {
                    row.push(Cell::plain(""));
                }
            }
        }
        row.push(Cell::plain(pair.path.clone()));
        table.push(row);
    }
    table.write(out, style)?;
    for pair in &report.pairs {
        let Some(detail) = pair.compared.as_ref().and_then(|c| c.detail.as_ref()) else {
            continue;
        };
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            paint(
                &format!("── regressed: {} ──", escape(&pair.path)),
                Tone::Header,
                style.color
            )
        )?;
        out.write_all(detail)?;
    }
    Ok(())
}

/// The gate's word on the whole suite, for stderr: how many pairs failed.
pub fn write_gate_line(out: &mut dyn Write, report: &SuiteReport, style: Style) -> io::Result<()> {
    let failed = report
        .pairs
        .iter()
        .filter(|p| p.status == PairStatus::Regressed)
        .count();
    let (line, tone) = if failed > 0 {
        (
            format!(
                "regression: {failed} of {} profiles failed the gate",
                report.pairs.len()
            ),
            Tone::Worse,
        )
    } else {
        (
            format!("no regression in {} profiles", report.pairs.len()),
            Tone::Better,
        )
    };
    writeln!(out, "{}", paint(&line, tone, style.color))
}

/// The suite as Markdown: the headline, one table, the regressed pairs'
/// reports folded.
pub fn write_markdown(out: &mut dyn Write, report: &SuiteReport) -> io::Result<()> {
    writeln!(
        out,
        "### profdiff suite: {} → {}",
        code(&report.base),
        code(&report.new)
    )?;
    writeln!(out)?;
    let regressed = report
        .pairs
        .iter()
        .filter(|p| p.status == PairStatus::Regressed)
        .count();
    if regressed > 0 {
        writeln!(
            out,
            "**❌ {regressed} of {} profiles regressed** ({}).",
            report.pairs.len(),
            counts_line(report)
        )?;
    } else {
        writeln!(out, "**✅ No regression** ({}).", counts_line(report))?;
    }
    writeln!(out)?;
    let gate = if report.gated { " gate |" } else { "" };
    writeln!(
        out,
        "| status | profile | total time | calls | largest cause or change |{gate}"
    )?;
    writeln!(
        out,
        "|:--|:--|--:|--:|:--|{}",
        if report.gated { ":--|" } else { "" }
    )?;
    for pair in &report.pairs {
        let (total, calls, change, verdict) = match (&pair.compared, &pair.error) {
            (Some(c), _) => (
                total_cell(&c.total_cost, &c.unit),
                count_change(&c.total_calls),
                c.headline
                    .as_ref()
                    .map_or(String::new(), |h| code(&headline_cell(h, &c.unit))),
                match c.violations {
                    Some(0) | None => "pass".to_string(),
                    Some(n) => format!("**FAIL** ({n})"),
                },
            ),
            (None, error) => (
                String::new(),
                String::new(),
                error
                    .as_deref()
                    .map_or(String::new(), super::markdown::text),
                String::new(),
            ),
        };
        let marker = match pair.status {
            PairStatus::Regressed | PairStatus::Error => "❌ ",
            PairStatus::Improved => "✅ ",
            _ => "",
        };
        write!(
            out,
            "| {marker}{} | {} | {total} | {calls} | {change} |",
            status_label(pair.status),
            code(&pair.path)
        )?;
        if report.gated {
            write!(out, " {verdict} |")?;
        }
        writeln!(out)?;
    }
    for pair in &report.pairs {
        let Some(detail) = pair.compared.as_ref().and_then(|c| c.detail.as_ref()) else {
            continue;
        };
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary><code>{}</code> (regressed)</summary>\n",
            super::markdown::html_text(&pair.path)
        )?;
        out.write_all(detail)?;
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}

/// The suite as JSON ([`wire::SuiteDocument`]).
pub fn write_json(out: &mut dyn Write, report: &SuiteReport, indent: bool) -> io::Result<()> {
    let document = wire::SuiteDocument {
        schema_version: wire::SCHEMA_VERSION,
        kind: "suite".to_string(),
        base: report.base.clone(),
        new: report.new.clone(),
        regressed: report.regressed(),
        profiles: report
            .pairs
            .iter()
            .map(|pair| {
                let compared = pair.compared.as_ref();
                wire::SuiteProfile {
                    path: pair.path.clone(),
                    status: pair.status.name().to_string(),
                    unit: compared.map(|c| c.unit.name().to_string()),
                    summary: compared.map(|c| c.summary.clone()),
                    largest: compared.and_then(|c| {
                        c.headline.as_ref().map(|h| wire::SuiteChange {
                            key: h.key.clone(),
                            display: h.display.clone(),
                            kind: if h.is_cause { "cause" } else { "change" }.to_string(),
                            calls: super::json::count_change(&h.calls),
                            moved: h.moved,
                        })
                    }),
                    verdict: compared.and_then(|c| c.verdict.clone()),
                    error: pair.error.clone(),
                }
            })
            .collect(),
    };
    if indent {
        serde_json::to_writer_pretty(&mut *out, &document)?;
    } else {
        serde_json::to_writer(&mut *out, &document)?;
    }
    writeln!(out)
}
