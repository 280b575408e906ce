//! `diff BASE_DIR NEW_DIR`: a test suite's profiles (fixtures/suite, one
//! cProfile dump per test in nested folders, made by make_suite.sh), paired
//! by path. Expected totals come from Python's pstats (expected.json).

use std::path::Path;

use serde_json::Value;

use crate::{profdiff, stderr, stdout};

const BASE: &str = "fixtures/suite/base";
const NEW: &str = "fixtures/suite/new";

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string("fixtures/suite/expected.json").unwrap()).unwrap()
}

fn suite_json(base: &str, new: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec!["diff", base, new, "--format", "json"];
    args.extend_from_slice(extra);
    let output = profdiff(&args);
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)));
    (output.status.code(), document, stderr(&output))
}

fn profile<'a>(document: &'a Value, path: &str) -> &'a Value {
    document["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path)
        .unwrap_or_else(|| panic!("no {path} in {document}"))
}

#[test]
fn pairs_by_path_with_totals_from_pstats() {
    let (code, document, _) = suite_json(BASE, NEW, &[]);
    // No gate: the report is information, exit 0.
    assert_eq!(code, Some(0));
    assert_eq!(document["kind"], "suite");
    let paths: Vec<&str> = document["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "handler/nested/test_refund.prof",
            "handler/test_orders.prof",
            "legacy/test_old_export.prof",
            "text/test_json.prof",
            "text/test_wrap.prof",
        ]
    );
    assert_eq!(
        profile(&document, "handler/nested/test_refund.prof")["status"],
        "only_new"
    );
    assert_eq!(
        profile(&document, "legacy/test_old_export.prof")["status"],
        "only_base"
    );
    let expected = expected();
    for path in [
        "handler/test_orders.prof",
        "text/test_json.prof",
        "text/test_wrap.prof",
    ] {
        let summary = &profile(&document, path)["summary"];
        for (side, field) in [("base", "base"), ("new", "new")] {
            let pstats = &expected[format!("{side}/{path}")];
            assert_eq!(
                summary["total_calls"][field], pstats["total_calls"],
                "{side} {path}"
            );
            let time = summary["total_time"][field].as_f64().unwrap();
            let want = pstats["total_tt"].as_f64().unwrap();
            assert!(
                (time - want).abs() <= 1e-12 * want.max(1.0),
                "{side} {path}: {time} vs {want}"
            );
        }
    }
    // The handler's pull request creates clients again: more calls, so
    // regressed; the JSON test does half the work: fewer calls, improved;
    // the text test makes the same calls: unchanged (its time moves from
    // run to run, and does not decide).
    assert_eq!(
        profile(&document, "handler/test_orders.prof")["status"],
        "regressed"
    );
    assert_eq!(
        profile(&document, "text/test_json.prof")["status"],
        "improved"
    );
    // Its line names the cause: the boto3 resource created per invocation,
    // which is what brings create_client back (6 calls per pstats).
    let largest = &profile(&document, "handler/test_orders.prof")["largest"];
    assert_eq!(largest["kind"], "cause");
    assert!(
        largest["display"]
            .as_str()
            .unwrap()
            .contains("boto3/__init__.py"),
        "{largest}"
    );
    assert_eq!(expected["new/handler/test_orders.prof"]["create_client"], 6);
    assert_eq!(
        expected["base/handler/test_orders.prof"]["create_client"],
        0
    );
}

#[test]
fn the_gate_judges_each_pair_and_the_exit_status_covers_the_suite() {
    let (code, document, errors) = suite_json(BASE, NEW, &["--fail-on-regression"]);
    assert_eq!(code, Some(1), "{errors}");
    assert!(
        errors.contains("regression: 1 of 5 profiles failed the gate"),
        "{errors}"
    );
    assert_eq!(document["regressed"], true);
    let orders = profile(&document, "handler/test_orders.prof");
    assert_eq!(orders["status"], "regressed");
    let violations = orders["verdict"]["violations"].as_array().unwrap();
    let create_client = violations
        .iter()
        .find(|v| v["key"] == "botocore/session.py:create_client")
        .expect("create_client violation");
    // pstats: 0 calls in the block on main, 6 in the pull request.
    assert_eq!(create_client["new"], 6.0);
    // Fewer calls pass the gate; same calls with whatever time too (no
    // time rule was given).
    assert_eq!(
        profile(&document, "text/test_json.prof")["verdict"]["regressed"],
        false
    );
    let wrap = profile(&document, "text/test_wrap.prof");
    assert_eq!(wrap["verdict"]["regressed"], false);
    // Same calls: unchanged, whatever its time did.
    assert_eq!(wrap["status"], "unchanged");
    // The other way round, the handler is the fix and the JSON test is the
    // one that regresses (twice the records, twice the calls).
    let (code, document, errors) = suite_json(NEW, BASE, &["--fail-on-regression"]);
    assert_eq!(code, Some(1), "{errors}");
    assert_eq!(
        profile(&document, "text/test_json.prof")["status"],
        "regressed"
    );
    assert_eq!(
        profile(&document, "handler/test_orders.prof")["status"],
        "improved"
    );
    assert!(
        errors.contains("regression: 1 of 5 profiles failed the gate"),
        "{errors}"
    );
    // A suite against itself passes.
    let (code, document, errors) = suite_json(BASE, BASE, &["--fail-on-regression"]);
    assert_eq!(code, Some(0), "{errors}");
    assert_eq!(document["regressed"], false);
    assert!(errors.contains("no regression in 4 profiles"), "{errors}");
}

#[test]
fn text_lists_every_pair_then_the_regressed_ones_in_full() {
    let output = profdiff(&[
        "diff",
        BASE,
        NEW,
        "--color",
        "never",
        "--fail-on-regression",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("suite  fixtures/suite/base → fixtures/suite/new"),
        "{text}"
    );
    assert!(lines[0].contains("5 profiles: 1 regressed"), "{text}");
    let row = |path: &str| {
        *lines
            .iter()
            .find(|l| l.ends_with(path))
            .unwrap_or_else(|| panic!("no line for {path}:\n{text}"))
    };
    assert!(row("handler/test_orders.prof").starts_with("regressed"));
    assert!(row("handler/test_orders.prof").contains("FAIL"));
    // Calls as pstats counts them, grouped like the text report.
    let expected = expected();
    let calls = |side: &str| {
        let n = expected[format!("{side}/handler/test_orders.prof")]["total_calls"]
            .as_u64()
            .unwrap();
        let digits = n.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped
    };
    let want = format!("{} → {}", calls("base"), calls("new"));
    assert!(
        row("handler/test_orders.prof").contains(&want),
        "{want}\n{text}"
    );
    assert!(row("legacy/test_old_export.prof").starts_with("only in base"));
    assert!(row("handler/nested/test_refund.prof").starts_with("only in new"));
    // The regressed pair's own report follows, with its violations.
    let detail = text
        .find("── regressed: handler/test_orders.prof ──")
        .expect("detail");
    let rest = &text[detail..];
    assert!(
        rest.contains("botocore/session.py:846(create_client)"),
        "{rest}"
    );
    assert!(rest.contains("regression:"), "{rest}");
    // Only the regressed pair gets one.
    assert_eq!(text.matches("── regressed:").count(), 1);
}

#[test]
fn markdown_is_one_table_with_the_regressed_pairs_folded() {
    let output = profdiff(&[
        "diff",
        BASE,
        NEW,
        "--format",
        "markdown",
        "--fail-on-regression",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("### profdiff suite:"), "{text}");
    assert!(text.contains("**❌ 1 of 5 profiles regressed**"), "{text}");
    let table = &text[..text.find("<details>").unwrap()];
    let rows = table.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 1 + 5, "header and one row per path:\n{text}");
    assert_eq!(
        text.matches("<details><summary><code>handler/test_orders.prof</code> (regressed)")
            .count(),
        1
    );
    assert!(
        text.contains("`botocore/session.py:846(create_client)`"),
        "{text}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_broken_profile_is_named_and_the_others_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (base, new) = (dir.path().join("base"), dir.path().join("new"));
    copy_tree(Path::new(BASE), &base);
    copy_tree(Path::new(NEW), &new);
    // Cut a dump in the middle, and leave a picture beside the dumps (as
    // pytest-profiling's --profile-svg does): the picture is not a profile.
    let broken = new.join("text/test_json.prof");
    let bytes = std::fs::read(&broken).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(new.join("combined.svg"), "<svg/>").unwrap();
    let (base, new) = (base.to_str().unwrap(), new.to_str().unwrap());
    let (code, document, errors) = suite_json(base, new, &[]);
    assert_eq!(code, Some(2), "{errors}");
    assert!(errors.contains("text/test_json.prof"), "{errors}");
    let json = profile(&document, "text/test_json.prof");
    assert_eq!(json["status"], "error");
    assert!(json["error"].as_str().unwrap().contains("test_json.prof"));
    assert_eq!(
        profile(&document, "handler/test_orders.prof")["status"],
        "regressed"
    );
    assert_eq!(document["profiles"].as_array().unwrap().len(), 5, "no svg");
}

#[test]
fn empty_and_mismatched_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = profdiff(&["diff", BASE, empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("directory holds no profiles"),
        "{}",
        stderr(&output)
    );
    let output = profdiff(&["diff", BASE, "fixtures/seed/after.prof"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is a directory but"),
        "{}",
        stderr(&output)
    );
    let output = profdiff(&["diff", BASE, NEW, "--format", "html"]);
    assert_eq!(output.status.code(), Some(2));
}
