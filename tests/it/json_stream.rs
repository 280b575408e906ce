//! JSON written row by row: the streamed document is byte for byte the one
//! the wire types serialise to when built whole, compact by default and
//! indented with `--pretty`, and a row's callers appear only when asked for.

use profdiff::causes;
use profdiff::diff::{self, DiffOptions, SortKey};
use profdiff::filter::Filter;
use profdiff::gate::{self, GateOptions};
use profdiff::input;
use profdiff::render::{self, json, DiffReport, OutputFormat, Report, ShowReport, Style};
use profdiff::wire::DiffDocument;
use profdiff::Profile;
use serde_json::Value;

use crate::run_ok;

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn load(path: &str) -> Profile {
    input::load(std::path::Path::new(path), &Default::default()).unwrap()
}

fn written(report: &Report<'_>, indent: bool) -> Vec<u8> {
    let style = Style {
        indent,
        ..Style::default()
    };
    let mut out = Vec::new();
    render::write(report, OutputFormat::Json, &mut out, style).unwrap();
    out
}

fn whole(document: &impl serde::Serialize, indent: bool) -> Vec<u8> {
    let mut out = if indent {
        serde_json::to_vec_pretty(document).unwrap()
    } else {
        serde_json::to_vec(document).unwrap()
    };
    out.push(b'\n');
    out
}

#[test]
fn streamed_diff_is_the_document_built_whole() {
    let (before, after) = (load(BEFORE), load(AFTER));
    let options = DiffOptions {
        callers: true,
        ..Default::default()
    };
    let mut result = diff::diff(&before, &after, &options).unwrap();
    let found = causes::analyze(&before, &after, &result);
    diff::sort_functions(&mut result.functions, SortKey::Inclusive);
    let verdict = gate::evaluate(&result, &GateOptions::default());
    // Every section at once: causes, callers, a verdict, every row.
    let mut report = DiffReport::new(&before, &after, &result, &Filter::default(), None);
    report.causes = Some(&found);
    report.show_callers = true;
    report.verdict = Some(&verdict);
    let document = json::diff_document(&report);
    assert_eq!(document.functions.len(), result.functions.len());
    let report = Report::from(report);
    for indent in [false, true] {
        assert_eq!(
            written(&report, indent),
            whole(&document, indent),
            "indent: {indent}"
        );
    }
    let compact = written(&report, false);
    assert_eq!(
        compact.iter().filter(|&&b| b == b'\n').count(),
        1,
        "compact JSON is one line"
    );
}

#[test]
fn streamed_show_is_the_document_built_whole() {
    let after = load(AFTER);
    let report = ShowReport::new(
        &after,
        &Default::default(),
        &Filter::default(),
        SortKey::SelfCost,
        None,
    );
    let document = json::show_document(&report);
    assert_eq!(document.functions.len(), after.functions.len());
    let report = Report::from(report);
    for indent in [false, true] {
        assert_eq!(written(&report, indent), whole(&document, indent));
    }
}

#[test]
fn pretty_and_compact_carry_the_same_numbers() {
    let compact = run_ok(&["diff", BEFORE, AFTER, "--format", "json"]);
    let pretty = run_ok(&["diff", BEFORE, AFTER, "--format", "json", "--pretty"]);
    assert_eq!(compact.lines().count(), 1);
    assert!(pretty.lines().count() > 1000);
    let compact: Value = serde_json::from_str(&compact).unwrap();
    let pretty: Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(compact, pretty);
    // Every function of the diff, none with callers: they were not asked for.
    let document: DiffDocument = serde_json::from_value(compact).unwrap();
    assert_eq!(
        document.functions.len(),
        document.summary.added
            + document.summary.removed
            + document.summary.changed
            + document.summary.unchanged
    );
    assert!(document.functions.iter().all(|f| f.callers.is_none()));
}

#[test]
fn callers_are_written_for_the_rows_shown_when_asked() {
    let text = run_ok(&[
        "diff",
        BEFORE,
        AFTER,
        "--format",
        "json",
        "--callers",
        "--top",
        "5",
    ]);
    let document: DiffDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(document.functions.len(), 5);
    for row in &document.functions {
        let callers = row.callers.as_ref().expect("asked with --callers");
        // The seed's five largest changes all have callers on a side that
        // has the function; their calls add up to the function's own, as
        // cProfile records them (fixtures/seed/after.pstats.txt).
        let sum = |side: fn(&profdiff::wire::Change<i64>) -> Option<i64>| -> i64 {
            callers.iter().filter_map(|c| side(&c.calls)).sum()
        };
        if let Some(calls) = row
            .calls
            .new
            .filter(|_| row.key != "~:<built-in method builtins.exec>")
        {
            assert_eq!(sum(|c| c.new), calls, "{}", row.key);
        }
    }
}

#[test]
fn the_seed_diff_is_small_without_callers() {
    // Version 1 wrote every row's callers, indented: 8.6 MB for two 0.5 MB
    // inputs. A row is about 750 bytes without them.
    let compact = run_ok(&["diff", BEFORE, AFTER, "--format", "json"]);
    assert!(compact.len() < 2_500_000, "{} bytes", compact.len());
    let with_callers = run_ok(&["diff", BEFORE, AFTER, "--format", "json", "--callers"]);
    assert!(with_callers.len() > 2 * compact.len());
}
