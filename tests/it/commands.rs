//! The binary's wiring of every command and flag: exit codes, output files,
//! and that the library's results reach the user.

use std::path::Path;

use crate::{profdiff, stderr, stdout};
use profdiff::wire::{DiffDocument, RunsDocument, ShowDocument};

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn output_file_is_written_and_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("diff.json");
    let output = profdiff(&[
        "diff",
        BEFORE,
        AFTER,
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing on stdout with -o");
    let doc: DiffDocument = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc.schema_version, 2);
    #[cfg(unix)]
    {
        // Not the temp file's private 0600: a report is for others to read.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    // Writing over an input is refused and leaves it untouched.
    let copy = dir.path().join("after.prof");
    std::fs::copy(root(AFTER), &copy).unwrap();
    let before_bytes = std::fs::read(&copy).unwrap();
    let copy = copy.to_str().unwrap();
    for args in [
        vec!["diff", BEFORE, copy, "-o", copy],
        vec!["convert", copy, "-o", copy],
        vec!["merge", copy, BEFORE, "-o", copy],
    ] {
        let output = profdiff(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("is an input"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(std::fs::read(copy).unwrap(), before_bytes);
}

#[test]
fn convert_then_read_back_keeps_create_client() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("before.callgrind");
    crate::run_ok(&["convert", BEFORE, "-o", out.to_str().unwrap()]);
    let printed = crate::run_ok(&[
        "show",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--include",
        "session.py:create_client",
    ]);
    let doc: ShowDocument = serde_json::from_slice(printed.as_bytes()).unwrap();
    assert_eq!(doc.profile.format, "callgrind");
    let f = doc
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .unwrap();
    assert_eq!(f.calls, Some(6));
    // And to stdout.
    let output = profdiff(&["convert", BEFORE, "-o", "-"]);
    assert!(stdout(&output).starts_with("# callgrind format"));
}

#[test]
fn merge_writes_a_dump_that_reads_back_as_the_sum() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged.prof");
    crate::run_ok(&["merge", BEFORE, BEFORE, "-o", out.to_str().unwrap()]);
    let output = profdiff(&[
        "show",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--include",
        "session.py:create_client",
    ]);
    let doc: ShowDocument = serde_json::from_slice(&output.stdout).unwrap();
    let f = doc
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .unwrap();
    assert_eq!(f.calls, Some(12), "6 + 6");
}

#[test]
fn lambda_section_in_text_and_json() {
    let text = crate::run_ok(&[
        "diff",
        BEFORE,
        AFTER,
        "--lambda-memory",
        "512",
        "--top",
        "1",
        "--color",
        "never",
    ]);
    assert!(text.contains("AWS Lambda estimate: 512 MB"), "{text}");
    assert!(text.contains("INIT (per cold start)"), "{text}");
    let output = profdiff(&[
        "diff",
        BEFORE,
        AFTER,
        "--lambda-memory",
        "512",
        "--format",
        "json",
        "--top",
        "1",
    ]);
    let doc: DiffDocument = serde_json::from_slice(&output.stdout).unwrap();
    assert!(doc.lambda.is_some());
    let output = profdiff(&[
        "show",
        AFTER,
        "--lambda-memory",
        "128",
        "--format",
        "json",
        "--top",
        "1",
    ]);
    let doc: ShowDocument = serde_json::from_slice(&output.stdout).unwrap();
    assert!(doc.lambda.is_some());
    // Out-of-range memory is a usage error.
    let output = profdiff(&["diff", BEFORE, AFTER, "--lambda-memory", "64"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn runs_gate_ignores_noise_but_fails_on_calls() {
    // Reverting the fix across five runs a side: create_client goes 1 → 6.
    let revert = profdiff(&[
        "diff",
        "--base",
        "fixtures/runs/after",
        "--new",
        "fixtures/runs/before",
        "--fail-on-regression",
        "--include",
        "session.py:create_client",
        "--format",
        "json",
    ]);
    assert_eq!(revert.status.code(), Some(1), "{}", stderr(&revert));
    let doc: RunsDocument = serde_json::from_slice(&revert.stdout).unwrap();
    let verdict = doc.verdict.unwrap();
    assert!(verdict
        .violations
        .iter()
        .any(|v| v.rule == "calls" && v.new == 6.0));

    // botocore/credentials.py:<module> is 4% slower in the median after the
    // fix, but p = 0.22 over five runs a side: noise. A tight time rule (1%,
    // no floor) fails on single pairs of runs, yet not on the runs as a whole.
    let rule = [
        "--fail-on-regression",
        "--max-time-increase",
        "1",
        "--time-noise-floor",
        "0",
        "--include",
        "botocore/credentials.py:<module>",
    ];
    let single = profdiff(
        &[
            &[
                "diff",
                "fixtures/runs/before/run1.prof",
                "fixtures/runs/after/run1.prof",
            ][..],
            &rule[..],
        ]
        .concat(),
    );
    assert_eq!(
        single.status.code(),
        Some(1),
        "one pair of runs: the jitter fails the rule"
    );
    let runs = profdiff(
        &[
            &[
                "diff",
                "--base",
                "fixtures/runs/before",
                "--new",
                "fixtures/runs/after",
            ][..],
            &rule[..],
        ]
        .concat(),
    );
    assert_eq!(
        runs.status.code(),
        Some(0),
        "five runs a side: noise, ignored: {}",
        stderr(&runs)
    );
}

#[test]
fn runs_need_both_sides() {
    let output = profdiff(&["diff", "--base", "fixtures/runs/before"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn flamegraph_needs_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("diff.svg");
    let output = profdiff(&[
        "diff",
        BEFORE,
        AFTER,
        "--format",
        "flamegraph",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no call stacks"),
        "{}",
        stderr(&output)
    );
    assert!(!Path::new(&out).exists(), "no partial output");
    crate::run_ok(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
        "--format",
        "flamegraph",
        "-o",
        out.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("<svg") && svg.contains("checksum"));
}

#[test]
fn normalize_scales_the_base_to_the_new_total() {
    let printed = crate::run_ok(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
        "--normalize",
        "--format",
        "json",
    ]);
    let doc: DiffDocument = serde_json::from_slice(printed.as_bytes()).unwrap();
    let total = doc.summary.total_cost.unwrap();
    assert!(
        (total.base.unwrap() - total.new.unwrap()).abs() < 1e-9,
        "{total:?}"
    );
    // Sampled inputs have no call counts: null, never 0.
    assert!(doc
        .functions
        .iter()
        .all(|f| f.calls.base.is_none() && f.calls.new.is_none()));
}

#[test]
fn units_that_differ_cannot_be_diffed() {
    let output = profdiff(&["diff", BEFORE, "fixtures/callgrind/c_default.callgrind"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("units differ"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn snapshot_cli_flow() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("perf.snapshot");
    let snap = snap.to_str().unwrap();
    crate::run_ok(&["snapshot", AFTER, "--include", "create_client", "-o", snap]);
    crate::run_ok(&["snapshot", AFTER, "--check", snap]);
    let fail = profdiff(&["snapshot", BEFORE, "--check", snap, "--color", "never"]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(stdout(&fail).contains("calls = 6"), "{}", stdout(&fail));
    let missing = profdiff(&["snapshot", AFTER, "--check", "/nonexistent/perf.snapshot"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// Two functions that a pstats dump would key alike (`fl=~` and `fl=???`
/// both become `~`, line 0) are written once, summed, so the dump reads
/// back; before, profdiff refused its own output ("duplicate function
/// entry") and Python kept one of the two.
#[test]
fn pstats_writer_never_writes_a_key_twice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dup.callgrind");
    std::fs::write(&input, "events: ns\nfl=~\nfn=f\n0 10\nfl=???\nfn=f\n0 20\n").unwrap();
    let out = dir.path().join("dup.prof");
    crate::run_ok(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "pstats",
        "-o",
        out.to_str().unwrap(),
    ]);
    let back = profdiff::formats::pstats::parse(&std::fs::read(&out).unwrap(), "dup.prof")
        .expect("the dump reads back");
    assert_eq!(back.functions.len(), 1);
    let f = &back.functions[0];
    assert_eq!(
        (f.file.as_deref(), f.line, f.name.as_str()),
        (Some("~"), Some(0), "f")
    );
    assert!((f.self_cost - 30e-9).abs() < 1e-18, "{}", f.self_cost);
}
