//! JSON output: converts reports into the versioned [`crate::wire`] types
//! (the runs report is in `runs_json.rs`, sharing the sections here).

use std::cell::Cell;
use std::io::{self, Write};

use serde::ser::Error as _;
use serde::{Serialize, Serializer};

use super::json_rows::{write_compact, RowsPlaceholder};
use super::{DiffReport, ShowReport, ShowRow};
use crate::causes;
use crate::diff::{self, Count};
use crate::gate::GateVerdict;
use crate::lambda::{self, CostDiff, CostEstimate, Pricing};
use crate::model::{Profile, Unit};
use crate::wire;

/// Splits a cost into the `*_time` field (seconds) or the `*_cost` field.
fn by_unit<T>(unit: &Unit, value: T) -> (Option<T>, Option<T>) {
    if unit.is_time() {
        (Some(value), None)
    } else {
        (None, Some(value))
    }
}

fn cost_change(change: &diff::Change<f64>) -> wire::Change<f64> {
    wire::Change {
        base: change.base,
        new: change.new,
        delta: change.delta(),
        pct: change.pct(),
    }
}

pub(super) fn count_change(change: &diff::Change<Count>) -> wire::Change<i64> {
    let as_i64 = |c: Count| i64::try_from(c.0).unwrap_or(i64::MAX);
    wire::Change {
        base: change.base.map(as_i64),
        new: change.new.map(as_i64),
        delta: change.delta().map(|d| d as i64),
        pct: change.pct(),
    }
}

fn caller_changes(callers: &[diff::CallerDiff], unit: &Unit) -> Vec<wire::CallerChange> {
    callers
        .iter()
        .map(|c| {
            let (inclusive_time, inclusive_cost) = by_unit(unit, cost_change(&c.inclusive_cost));
            wire::CallerChange {
                key: c.key.clone(),
                calls: count_change(&c.calls),
                inclusive_time,
                inclusive_cost,
                callers: caller_changes(&c.callers, unit),
            }
        })
        .collect()
}

/// The `base`/`new`/`profile` section: what a profile is and its totals.
pub fn profile_info(profile: &Profile) -> wire::ProfileInfo {
    let meta = &profile.meta;
    let (total_time, total_cost) = by_unit(&meta.unit, profile.total_cost());
    wire::ProfileInfo {
        path: meta.path.clone(),
        format: meta.format.name().to_string(),
        unit: meta.unit.name().to_string(),
        producer: meta.producer.clone(),
        precision: meta.precision,
        total_time,
        total_cost,
        total_calls: profile.total_calls(),
        primitive_calls: profile.total_primitive_calls(),
        functions: profile.functions.len(),
        notes: meta.notes.clone(),
    }
}

/// The document of a diff: profiles, summary, rows, and the verdict and
/// Lambda sections when the report has them.
pub fn diff_document(report: &DiffReport<'_>) -> wire::DiffDocument {
    diff_document_with(report, diff_rows(report).collect())
}

/// One wire row per row of the report, made as they are asked for.
fn diff_rows<'r>(
    report: &'r DiffReport<'_>,
) -> impl ExactSizeIterator<Item = wire::FunctionChange> + 'r {
    report.rows.iter().map(|f| function_change(report, f))
}

fn function_change(report: &DiffReport<'_>, f: &diff::FunctionDiff) -> wire::FunctionChange {
    function_change_ref(report, f).into_wire()
}

/// [`wire::FunctionChange`] with its strings borrowed from the diff, for
/// writing: copying five strings per row was a tenth of a 100k-row
/// document's time. It serialises to the same JSON (the streamed document
/// is compared byte for byte with the wire type's in tests/it/json_stream.rs
/// and tests/it/parallel.rs).
#[derive(Serialize)]
struct FunctionChangeRef<'a> {
    key: &'a str,
    name: &'a str,
    display: &'a str,
    file: wire::Sides<&'a str>,
    line: wire::Sides<u32>,
    status: &'static str,
    calls: wire::Change<i64>,
    primitive_calls: wire::Change<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_time: Option<wire::Change<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inclusive_time: Option<wire::Change<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_cost: Option<wire::Change<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inclusive_cost: Option<wire::Change<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inclusive_min: Option<wire::Sides<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callers: Option<Vec<wire::CallerChange>>,
    effect: Option<wire::Effect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    likely_noise: Option<&'static str>,
}

impl FunctionChangeRef<'_> {
    fn into_wire(self) -> wire::FunctionChange {
        let owned = |side: Option<&str>| side.map(str::to_string);
        wire::FunctionChange {
            key: self.key.to_string(),
            name: self.name.to_string(),
            display: self.display.to_string(),
            file: wire::Sides {
                base: owned(self.file.base),
                new: owned(self.file.new),
            },
            line: self.line,
            status: self.status.to_string(),
            calls: self.calls,
            primitive_calls: self.primitive_calls,
            self_time: self.self_time,
            inclusive_time: self.inclusive_time,
            self_cost: self.self_cost,
            inclusive_cost: self.inclusive_cost,
            inclusive_min: self.inclusive_min,
            callers: self.callers,
            effect: self.effect,
            likely_noise: self.likely_noise.map(str::to_string),
        }
    }
}

fn function_change_ref<'a>(
    report: &'a DiffReport<'_>,
    f: &'a diff::FunctionDiff,
) -> FunctionChangeRef<'a> {
    let unit = &report.diff.unit;
    let (self_time, self_cost) = by_unit(unit, cost_change(&f.self_cost));
    let (inclusive_time, inclusive_cost) = by_unit(unit, cost_change(&f.inclusive_cost));
    let side_file = |profile: &'a Profile, id: Option<usize>| {
        id.and_then(|id| profile.functions[id].file.as_deref())
    };
    FunctionChangeRef {
        key: &f.key,
        name: &f.function(report.base, report.new).name,
        display: &f.display,
        file: wire::Sides {
            base: side_file(report.base, f.base_id),
            new: side_file(report.new, f.new_id),
        },
        line: wire::Sides {
            base: f.line.base,
            new: f.line.new,
        },
        status: f.status.name(),
        calls: count_change(&f.calls),
        primitive_calls: count_change(&f.primitive_calls),
        self_time,
        inclusive_time,
        self_cost,
        inclusive_cost,
        inclusive_min: f.inclusive_is_range().then_some(wire::Sides {
            base: f.inclusive_min.base,
            new: f.inclusive_min.new,
        }),
        callers: report
            .show_callers
            .then(|| caller_changes(&f.callers, unit)),
        effect: causes::effect(f).map(effect),
        likely_noise: crate::noise::of(f).map(|noise| noise.name()),
    }
}

/// A diff's document without its rows: what a suite keeps of each pair.
pub(super) fn diff_document_head(report: &DiffReport<'_>) -> wire::DiffDocument<()> {
    diff_document_with(report, ())
}

/// Everything of a diff's document but its rows, around `functions`.
fn diff_document_with<F>(report: &DiffReport<'_>, functions: F) -> wire::DiffDocument<F> {
    let diff = report.diff;
    let unit = &diff.unit;
    let (total_time, total_cost) = by_unit(unit, cost_change(&diff.total_cost));
    wire::DiffDocument {
        schema_version: wire::SCHEMA_VERSION,
        unit: unit.name().to_string(),
        base: profile_info(report.base),
        new: profile_info(report.new),
        summary: wire::Summary {
            total_time,
            total_cost,
            total_calls: count_change(&diff.total_calls),
            primitive_calls: count_change(&diff.primitive_calls),
            added: diff.counts.added,
            removed: diff.counts.removed,
            changed: diff.counts.changed,
            unchanged: diff.counts.unchanged,
            threshold: diff.cost_threshold,
            notes: diff
                .notes
                .iter()
                .cloned()
                .chain(super::notes::likely_noise(
                    &report.likely_noise,
                    &report.hints,
                    &|key| key.to_string(),
                ))
                .chain(report.causes.and_then(|c| c.unavailable.clone()))
                .collect(),
        },
        causes: report.causes.map(|c| {
            c.causes
                .iter()
                .map(|cause| cause_entry(cause, unit))
                .collect()
        }),
        functions,
        verdict: report.verdict.map(verdict),
        lambda: report.lambda.map(lambda_diff),
    }
}

fn effect(effect: causes::Effect) -> wire::Effect {
    wire::Effect {
        calls: effect.calls,
        per_call: effect.per_call,
    }
}

fn cause_entry(cause: &causes::Cause, unit: &Unit) -> wire::CauseEntry {
    let (inclusive_time, inclusive_cost) = by_unit(unit, cost_change(&cause.inclusive_cost));
    wire::CauseEntry {
        key: cause.key.clone(),
        display: cause.display.clone(),
        calls: count_change(&cause.calls),
        inclusive_time,
        inclusive_cost,
        own_calls: cause.own_calls,
        moved: cause.moved,
        effect: cause.effect.map(effect),
        callers: cause
            .edges
            .iter()
            .map(|edge| wire::CauseCaller {
                key: edge.key.clone(),
                display: edge.display.clone(),
                calls: count_change(&edge.calls),
                caller_calls: count_change(&edge.caller_calls),
            })
            .collect(),
        consequences: cause
            .consequences
            .iter()
            .map(|c| wire::Consequence {
                key: c.key.clone(),
                display: c.display.clone(),
                calls: count_change(&c.calls),
            })
            .collect(),
        consequence_count: cause.consequence_count,
        hints: cause
            .hints
            .iter()
            .map(|hint| wire::HintEntry {
                rule: hint.rule.to_string(),
                text: hint.text.to_string(),
            })
            .collect(),
    }
}

/// The gate's verdict in wire form.
pub fn verdict(verdict: &GateVerdict) -> wire::Verdict {
    wire::Verdict {
        regressed: verdict.regressed,
        violations: verdict
            .violations
            .iter()
            .map(|v| wire::Violation {
                key: v.key.clone(),
                rule: v.rule.name().to_string(),
                base: v.base,
                new: v.new,
                limit: v.limit,
                group: v.group.as_ref().map(|g| g.name.clone()),
                pattern: v.group.as_ref().map(|g| g.pattern.clone()),
                members: v.group.as_ref().map(|g| {
                    g.members
                        .iter()
                        .map(|m| wire::GroupMember {
                            key: m.key.clone(),
                            base: m.base,
                            new: m.new,
                        })
                        .collect()
                }),
            })
            .collect(),
    }
}

/// The document of one profile: the profile, its rows, and the Lambda
/// section when the report has one.
pub fn show_document(report: &ShowReport<'_>) -> wire::ShowDocument {
    show_document_with(report, show_rows(report).collect())
}

fn show_rows<'r>(
    report: &'r ShowReport<'_>,
) -> impl ExactSizeIterator<Item = wire::FunctionStats> + 'r {
    report.rows.iter().map(move |row| show_row(report, row))
}

fn show_row(report: &ShowReport<'_>, row: &ShowRow) -> wire::FunctionStats {
    let f = &report.profile.functions[row.id];
    let unit = &report.profile.meta.unit;
    let (self_time, self_cost) = by_unit(unit, f.self_cost);
    let (inclusive_time, inclusive_cost) = by_unit(unit, f.inclusive_cost);
    wire::FunctionStats {
        key: row.key.clone(),
        name: f.name.clone(),
        display: row.display.clone(),
        file: f.file.clone(),
        line: f.line,
        calls: f.calls,
        primitive_calls: f.primitive_calls,
        self_time,
        inclusive_time,
        self_cost,
        inclusive_cost,
        inclusive_min: f.inclusive_min,
    }
}

fn show_document_with<F>(report: &ShowReport<'_>, functions: F) -> wire::ShowDocument<F> {
    wire::ShowDocument {
        schema_version: wire::SCHEMA_VERSION,
        profile: profile_info(report.profile),
        functions,
        lambda: report.lambda.map(lambda_estimate),
    }
}

/// Writes [`diff_document`], each row serialised as it is made (a 100k-row
/// document is never held whole); compact, or indented with `indent`.
pub fn write_diff(out: &mut dyn Write, report: &DiffReport<'_>, indent: bool) -> io::Result<()> {
    if indent {
        let rows = Streamed::new(report.rows.iter().map(|f| function_change_ref(report, f)));
        return write_document(out, &diff_document_with(report, rows), true);
    }
    let document = diff_document_with(report, RowsPlaceholder);
    write_compact(out, &document, &report.rows, |f| {
        function_change_ref(report, f)
    })
}

/// Writes [`show_document`], rows streamed as for [`write_diff`].
pub fn write_show(out: &mut dyn Write, report: &ShowReport<'_>, indent: bool) -> io::Result<()> {
    if indent {
        let rows = Streamed::new(show_rows(report));
        return write_document(out, &show_document_with(report, rows), true);
    }
    let document = show_document_with(report, RowsPlaceholder);
    write_compact(out, &document, &report.rows, |row: &ShowRow| {
        show_row(report, row)
    })
}

/// Writes one JSON document and a newline through a buffer: serde_json
/// makes many small writes, and stdout is line-buffered while a compact
/// document is one line.
pub(crate) fn write_document(
    out: &mut dyn Write,
    document: &impl Serialize,
    indent: bool,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    if indent {
        serde_json::to_writer_pretty(&mut out, document)?;
    } else {
        serde_json::to_writer(&mut out, document)?;
    }
    writeln!(out)?;
    out.flush()
}

/// A sequence serialised item by item as an iterator yields them, so a
/// document's rows are made, written and dropped one at a time. It can be
/// serialised once; a second time is an error.
pub(crate) struct Streamed<I>(Cell<Option<I>>);

impl<I> Streamed<I> {
    pub(crate) fn new(items: I) -> Self {
        Streamed(Cell::new(Some(items)))
    }
}

impl<I> Serialize for Streamed<I>
where
    I: ExactSizeIterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self
            .0
            .take()
            .ok_or_else(|| S::Error::custom("a streamed sequence can be written once"))?;
        serializer.collect_seq(items)
    }
}

fn lambda_settings(p: &Pricing) -> wire::LambdaSettings {
    wire::LambdaSettings {
        memory_mb: p.memory_mb,
        arch: p.arch.name().to_string(),
        billing_granularity_ms: p.billing_granularity_ms,
        price_per_gb_second: p.price_per_gb_second,
        price_per_request: p.price_per_request,
        cpu_scale: p.cpu_scale,
        cold_start_rate: p.cold_start_rate,
    }
}

fn lambda_estimate_side(e: &CostEstimate) -> wire::LambdaEstimate {
    wire::LambdaEstimate {
        entry: wire::LambdaEntry {
            key: e.entry.key.clone(),
            display: e.entry.display.clone(),
            source: e.entry.source.name().to_string(),
        },
        invocations: e.invocations,
        local_seconds: e.local_seconds,
        duration_ms: e.duration_ms,
        billed_duration_ms: e.billed_ms,
        cost_per_million: wire::LambdaMoney {
            requests: e.cost.requests,
            duration: e.cost.duration,
            init: e.cost.init,
            total: e.cost.total,
        },
        init: e.init.as_ref().map(|i| wire::LambdaInit {
            module: i.module.clone(),
            local_seconds: i.local_seconds,
            duration_ms: i.duration_ms,
            billed_duration_ms: i.billed_ms,
            cost_per_million_cold_starts: i.cost_per_million_cold_starts,
        }),
        notes: e.notes.clone(),
    }
}

/// The `"lambda"` JSON section of a comparison.
pub fn lambda_diff(diff: &CostDiff) -> wire::LambdaCost {
    wire::LambdaCost {
        settings: lambda_settings(&diff.pricing),
        estimate: None,
        base: Some(lambda_estimate_side(&diff.base)),
        new: Some(lambda_estimate_side(&diff.new)),
        delta: Some(wire::LambdaDelta {
            duration_ms: diff.new.duration_ms - diff.base.duration_ms,
            billed_duration_ms: diff.new.billed_ms - diff.base.billed_ms,
            cost_per_million: diff.delta_per_million(),
            pct: diff.pct(),
            init_ms: diff.init_delta_ms(),
        }),
        caveats: lambda::CAVEATS.to_string(),
    }
}

/// The `"lambda"` JSON section of one profile.
pub fn lambda_estimate(estimate: &CostEstimate) -> wire::LambdaCost {
    wire::LambdaCost {
        settings: lambda_settings(&estimate.pricing),
        estimate: Some(lambda_estimate_side(estimate)),
        base: None,
        new: None,
        delta: None,
        caveats: lambda::CAVEATS.to_string(),
    }
}
