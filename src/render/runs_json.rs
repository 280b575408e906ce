//! The JSON document of a multi-run comparison (`"kind": "runs"`), through
//! the versioned wire types of [`crate::wire`].

use std::io::{self, Write};

use crate::diff::Status;
use crate::model::Unit;
use crate::stats::{MetricRuns, Spread};
use crate::wire;

use super::json::{lambda_diff, verdict, write_document, Streamed};
use super::RunsReport;

fn spread_wire(spread: Option<Spread>) -> Option<wire::RunsSpread> {
    spread.map(|s| wire::RunsSpread {
        median: s.median,
        min: s.min,
        max: s.max,
    })
}

fn metric_wire(metric: &MetricRuns) -> wire::RunsMetric {
    wire::RunsMetric {
        base: metric.base.to_vec(),
        new: metric.new.to_vec(),
        base_summary: spread_wire(metric.base_spread),
        new_summary: spread_wire(metric.new_spread),
        delta: metric.delta,
        pct: metric.pct,
        u: (!metric.test.u.is_nan()).then_some(metric.test.u),
        p: metric.test.p,
        method: metric.test.method.name().to_string(),
        verdict: metric.significance.name().to_string(),
    }
}

/// Splits a metric into the `*_time` field (seconds) or the `*_cost` field,
/// like the single-run JSON.
fn by_unit(
    unit: &Unit,
    metric: &MetricRuns,
) -> (Option<wire::RunsMetric>, Option<wire::RunsMetric>) {
    if unit.is_time() {
        (Some(metric_wire(metric)), None)
    } else {
        (None, Some(metric_wire(metric)))
    }
}

/// The JSON document of a multi-run comparison: every run's values, the
/// test, the report's rows, and the verdict and Lambda sections when the
/// report has them.
pub fn document(report: &RunsReport<'_>) -> wire::RunsDocument {
    document_with(report, rows(report).collect())
}

/// Writes [`document`], each row serialised as it is made; compact, or
/// indented with `indent`.
pub fn write(out: &mut dyn Write, report: &RunsReport<'_>, indent: bool) -> io::Result<()> {
    write_document(
        out,
        &document_with(report, Streamed::new(rows(report))),
        indent,
    )
}

fn rows<'r>(report: &'r RunsReport<'_>) -> impl ExactSizeIterator<Item = wire::RunsFunction> + 'r {
    let unit = &report.diff.unit;
    report.rows.iter().map(move |f| {
        let (self_time, self_cost) = by_unit(unit, &f.self_cost);
        let (inclusive_time, inclusive_cost) = by_unit(unit, &f.inclusive_cost);
        wire::RunsFunction {
            key: f.key.clone(),
            name: f.name.clone(),
            display: f.display.clone(),
            file: wire::Sides {
                base: f.file.0.clone(),
                new: f.file.1.clone(),
            },
            line: wire::Sides {
                base: f.line.0,
                new: f.line.1,
            },
            status: f.status.name().to_string(),
            verdict: f.significance().name().to_string(),
            calls: wire::RunsCalls {
                base: f.calls.base.clone(),
                new: f.calls.new.clone(),
                base_summary: spread_wire(f.calls.base_spread),
                new_summary: spread_wire(f.calls.new_spread),
                delta: f.calls.delta(),
                varies: wire::Sides {
                    base: Some(f.calls.varies.0),
                    new: Some(f.calls.varies.1),
                },
            },
            self_time,
            inclusive_time,
            self_cost,
            inclusive_cost,
        }
    })
}

fn document_with<F>(report: &RunsReport<'_>, functions: F) -> wire::RunsDocument<F> {
    let diff = report.diff;
    let unit = &diff.unit;
    let (total_time, total_cost) = by_unit(unit, &diff.total_cost);
    wire::RunsDocument {
        schema_version: wire::SCHEMA_VERSION,
        kind: "runs".to_string(),
        unit: unit.name().to_string(),
        base: wire::RunsSide {
            paths: diff.base_paths.clone(),
        },
        new: wire::RunsSide {
            paths: diff.new_paths.clone(),
        },
        test: wire::RunsTest {
            method: "mann-whitney-u".to_string(),
            alternative: "two-sided".to_string(),
            level: diff.level,
            min_effect: diff.min_effect,
            min_effect_abs: diff.min_effect_abs,
            min_p: diff.min_p,
        },
        summary: wire::RunsSummary {
            total_time,
            total_cost,
            significant: diff.significant(),
            added: diff.count(Status::Added),
            removed: diff.count(Status::Removed),
            changed: diff.count(Status::Changed),
            unchanged: diff.count(Status::Unchanged),
            unstable_calls: diff.unstable_calls().map(|f| f.key.clone()).collect(),
        },
        functions,
        notes: diff.notes.iter().map(ToString::to_string).collect(),
        lambda: report.lambda.map(lambda_diff),
        verdict: report.verdict.map(verdict),
    }
}
