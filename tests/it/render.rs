//! The rendering seam through the library: one report value per command,
//! one entry point (`render::write`) for every format, each section where
//! the command line prints it, and notes that name no option unless the
//! program showing them supplies its words.

use std::io;

use profdiff::diff::{self, DiffOptions, ProfileDiff, SortKey};
use profdiff::filter::Filter;
use profdiff::gate::{self, GateOptions};
use profdiff::input;
use profdiff::lambda::{self, CostOptions};
use profdiff::render::{
    self, json, lambda as lambda_text, markdown, text, DiffReport, Hints, OutputFormat, Report,
    RunsReport, ShowReport, Style,
};
use profdiff::stats::{self, StatsOptions};
use profdiff::wire::{DiffDocument, RunsDocument, ShowDocument};
use profdiff::Profile;

use crate::stats::runs;

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";
const SEED1: &str = "fixtures/realworld/small-seed1.prof.gz";
const SEED2: &str = "fixtures/realworld/small-seed2.prof.gz";

fn load(path: &str) -> Profile {
    input::load(std::path::Path::new(path), &Default::default()).unwrap()
}

fn diff_of(base: &Profile, new: &Profile) -> ProfileDiff {
    let options = DiffOptions {
        callers: true,
        ..Default::default()
    };
    let mut result = diff::diff(base, new, &options).unwrap();
    diff::sort_functions(&mut result.functions, SortKey::Inclusive);
    result
}

fn written(report: &Report<'_>, format: OutputFormat) -> io::Result<String> {
    let mut out = Vec::new();
    render::write(report, format, &mut out, Style::default())?;
    Ok(String::from_utf8(out).unwrap())
}

fn lambda_options() -> CostOptions {
    CostOptions {
        memory_mb: 512,
        ..CostOptions::default()
    }
}

#[test]
fn one_entry_point_places_every_section_of_a_diff() {
    let (before, after) = (load(BEFORE), load(AFTER));
    let result = diff_of(&before, &after);
    let verdict = gate::evaluate(&result, &GateOptions::default());
    let cost = lambda::compare(&before, &after, &lambda_options()).unwrap();
    let diff_report = |lambda| {
        let mut report = DiffReport::new(&before, &after, &result, &Filter::default(), Some(3));
        report.verdict = Some(&verdict);
        report.lambda = lambda;
        report
    };
    let report = Report::from(diff_report(Some(&cost)));
    let without_lambda = diff_report(None);
    let estimate = |style| {
        let mut out = Vec::new();
        lambda_text::write_text(&mut out, &cost, style).unwrap();
        String::from_utf8(out).unwrap()
    };

    // Text: the table, a blank line, the estimate.
    let mut table = Vec::new();
    text::write_diff(&mut table, &without_lambda, Style::default()).unwrap();
    let table = String::from_utf8(table).unwrap();
    let whole = written(&report, OutputFormat::Text).unwrap();
    assert!(
        table.starts_with("base  fixtures/seed/before.prof"),
        "{table}"
    );
    assert_eq!(whole, format!("{table}\n{}", estimate(Style::default())));

    // Markdown: the report, then the estimate in a code block.
    let mut changes = Vec::new();
    markdown::write_diff(&mut changes, &without_lambda).unwrap();
    let changes = String::from_utf8(changes).unwrap();
    let whole = written(&report, OutputFormat::Markdown).unwrap();
    assert!(changes.starts_with("### profdiff: "), "{changes}");
    assert!(changes.contains("**❌ Regression**"), "{changes}");
    assert_eq!(
        whole,
        format!("{changes}\n```\n{}```\n", estimate(Style::default()))
    );

    // JSON: the "verdict" and "lambda" sections of one document.
    let whole = written(&report, OutputFormat::Json).unwrap();
    let document: DiffDocument = serde_json::from_str(&whole).unwrap();
    let Report::Diff(with_lambda) = &report else {
        unreachable!()
    };
    assert_eq!(document, json::diff_document(with_lambda));
    assert_eq!(document.lambda, Some(json::lambda_diff(&cost)));
    assert_eq!(json::diff_document(&without_lambda).lambda, None);
    assert!(document.verdict.unwrap().regressed);
    assert_eq!(document.functions.len(), 3);

    // A diff is not a flame graph: refused, and nothing is written.
    let mut out = Vec::new();
    let error = render::write(
        &report,
        OutputFormat::Flamegraph,
        &mut out,
        Style::default(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Unsupported);
    assert!(out.is_empty());
    assert!(!report.supports(OutputFormat::Flamegraph));
}

#[test]
fn show_and_runs_reports_carry_their_estimate() {
    let after = load(AFTER);
    let estimate = lambda::estimate(&after, &lambda_options()).unwrap();
    let mut show = ShowReport::new(
        &after,
        &Default::default(),
        &Filter::default(),
        SortKey::Inclusive,
        Some(2),
    );
    show.lambda = Some(&estimate);
    let show = Report::from(show);
    let shown = written(&show, OutputFormat::Text).unwrap();
    let mut tail = Vec::new();
    lambda_text::write_estimate_text(&mut tail, &estimate, Style::default()).unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(shown.ends_with(&format!("\n\n{tail}")), "{shown}");
    let document: ShowDocument =
        serde_json::from_str(&written(&show, OutputFormat::Json).unwrap()).unwrap();
    assert_eq!(document.lambda, Some(json::lambda_estimate(&estimate)));
    assert_eq!(document.functions.len(), 2);
    assert_eq!(
        written(&show, OutputFormat::Markdown).unwrap_err().kind(),
        io::ErrorKind::Unsupported
    );

    let (base_runs, new_runs) = (runs("before"), runs("after"));
    let result = stats::compare(&base_runs, &new_runs, &StatsOptions::default()).unwrap();
    let cost = lambda::compare_runs(&base_runs, &new_runs, &lambda_options()).unwrap();
    let mut report = RunsReport::new(&result, Some(2));
    report.lambda = Some(&cost);
    let report = Report::from(report);
    let shown = written(&report, OutputFormat::Text).unwrap();
    assert!(shown.contains("… "), "{shown}");
    assert!(shown.contains("\n\nAWS Lambda estimate: 512 MB"), "{shown}");
    let document: RunsDocument =
        serde_json::from_str(&written(&report, OutputFormat::Json).unwrap()).unwrap();
    assert_eq!(document.functions.len(), 2);
    assert_eq!(document.lambda, Some(json::lambda_diff(&cost)));
    assert_eq!(document.verdict, None);
}

/// Between black's runs under seeds 2 and 1 the hash functions' counts
/// moved: the diff's note and the gate's note say so. The library names no
/// command-line option; a program's hints put its own words in.
#[test]
fn notes_name_options_only_through_hints() {
    let (seed2, seed1) = (load(SEED2), load(SEED1));
    let result = diff_of(&seed2, &seed1);
    let scope = {
        let include = ["__hash__|builtins.hash".to_string()];
        Filter::new(&include, &[]).unwrap()
    };
    let verdict = gate::evaluate(
        &result,
        &GateOptions {
            filter: scope.clone(),
            ..Default::default()
        },
    );
    assert!(verdict.regressed);
    assert!(verdict.violations.iter().all(|v| v.likely_noise.is_some()));

    let cli = {
        let mut hints = Hints::default();
        hints.several_runs = Some("--base/--new");
        hints.calls_tolerance = Some("--max-calls-increase-pct or --max-calls-increase");
        hints
    };
    for (hints, runs_hint, gate_hint) in [
        (
            Hints::default(),
            "or compare several runs\n",
            "allow for it with a calls tolerance\n",
        ),
        (
            cli,
            "or compare several runs (--base/--new)\n",
            "allow for it with --max-calls-increase-pct or --max-calls-increase\n",
        ),
    ] {
        let mut report = DiffReport::new(&seed2, &seed1, &result, &scope, None);
        report.hints = hints;
        let report = Report::from(report);
        let shown = written(&report, OutputFormat::Text).unwrap();
        let note = shown
            .lines()
            .find(|l| l.starts_with("note: call counts of 2 functions"))
            .unwrap_or_else(|| panic!("{shown}"));
        assert!(format!("{note}\n").ends_with(runs_hint), "{note}");
        let document: DiffDocument =
            serde_json::from_str(&written(&report, OutputFormat::Json).unwrap()).unwrap();
        assert_eq!(document.summary.notes, [note["note: ".len()..].to_string()]);

        let mut out = Vec::new();
        render::gate::write_text(&mut out, &verdict, &hints, Style::default()).unwrap();
        let summary = String::from_utf8(out).unwrap();
        assert!(summary.ends_with(gate_hint), "{summary}");
    }
}
