//! The binary on the seed scenario: a Lambda handler that created six boto3
//! clients per invocation, and the fix that creates one at module scope.

use crate::{assert_snap, profdiff, stderr, stdout};
use profdiff::wire::{DiffDocument, ShowDocument};

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn diff_json(extra: &[&str]) -> DiffDocument {
    let mut args = vec!["diff", BEFORE, AFTER, "--format", "json"];
    args.extend_from_slice(extra);
    let output = profdiff(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("diff JSON matches the wire types")
}

#[test]
fn create_client_six_to_one_is_on_the_first_screen() {
    let text = crate::run_ok(&["diff", BEFORE, AFTER, "--color", "never"]);
    let lines: Vec<&str> = text.lines().collect();
    // The causes section leads: the boto3 resource creations that stopped,
    // and what follows from them, create_client 6 → 1 among it.
    let first = lines
        .iter()
        .position(|line| line.contains("botocore/session.py:846(create_client)"))
        .unwrap_or_else(|| panic!("no create_client in\n{text}"));
    assert!(
        first < 15,
        "create_client is on line {}:\n{text}",
        first + 1
    );
    assert!(lines[first].contains("6 → 1"), "{}", lines[first]);
    // The table below still has its row, with the change in calls.
    let table_start = lines.iter().position(|l| l.contains("Δcalls")).unwrap();
    let row = lines[table_start..]
        .iter()
        .find(|line| line.contains("botocore/session.py:846(create_client)"))
        .unwrap_or_else(|| panic!("no create_client row in\n{text}"));
    assert!(row.contains("6 → 1") && row.contains("−5"), "{row}");
}

#[test]
fn json_reports_create_client_and_its_callers() {
    let doc = diff_json(&["--callers"]);
    assert_eq!(doc.schema_version, 2);
    assert_eq!(doc.unit, "seconds");
    let create_client = doc
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .expect("create_client aligned under its normalised key");
    assert_eq!(create_client.status, "changed");
    assert_eq!(create_client.calls.base, Some(6));
    assert_eq!(create_client.calls.new, Some(1));
    assert_eq!(create_client.calls.delta, Some(-5));
    // The caller breakdown accounts for the whole change in calls.
    let callers = create_client.callers.as_ref().expect("--callers asked");
    let caller_delta: i64 = callers.iter().map(|c| c.calls.delta.unwrap()).sum();
    assert_eq!(caller_delta, -5);
    // botocore wraps create_client in a decorator, so its one direct caller
    // is `context.py:wrapper`; the breakdown looks through it to the callers
    // that changed (fixtures/seed/before.pstats.txt shows the same chain).
    let wrapper = &callers[0];
    assert_eq!(wrapper.key, "botocore/context.py:wrapper");
    let through: Vec<(&str, Option<i64>, Option<i64>)> = wrapper
        .callers
        .iter()
        .map(|c| (c.key.as_str(), c.calls.base, c.calls.new))
        .collect();
    assert!(
        through.contains(&("boto3/session.py:client", Some(5), Some(1))),
        "{through:?}"
    );
    assert!(
        through.contains(&("handler.py:idempotency_client", Some(1), None)),
        "{through:?}"
    );
    // File and line are the originals from each profile.
    assert!(create_client
        .file
        .base
        .as_deref()
        .unwrap()
        .ends_with("botocore/session.py"));
    assert!(create_client.line.base.is_some());
    // Every function is listed when no --top or filter is given.
    assert_eq!(
        doc.functions.len(),
        doc.summary.added + doc.summary.removed + doc.summary.changed + doc.summary.unchanged
    );
}

#[test]
fn handler_is_matched_across_its_line_change() {
    let doc = diff_json(&["--include", "handler"]);
    let handler = doc
        .functions
        .iter()
        .find(|f| f.name == "handler")
        .expect("the handler function");
    let (base, new) = (handler.line.base.unwrap(), handler.line.new.unwrap());
    assert_ne!(base, new, "the fixture moves the handler");
    assert_ne!(handler.status, "added");
    assert_ne!(handler.status, "removed");
    assert!(
        handler.display.contains(&format!(":{base}→{new}(handler)")),
        "{}",
        handler.display
    );
}

#[test]
fn totals_match_the_profiles() {
    let doc = diff_json(&[]);
    let total = doc.summary.total_time.as_ref().unwrap();
    assert_eq!(total.base, doc.base.total_time);
    assert_eq!(total.new, doc.new.total_time);
    let calls = &doc.summary.total_calls;
    assert_eq!(calls.base.map(|c| c as u64), doc.base.total_calls);
    assert_eq!(calls.delta, Some(calls.new.unwrap() - calls.base.unwrap()));
}

#[test]
fn diff_text_snapshot() {
    let output = profdiff(&["diff", BEFORE, AFTER, "--color", "never", "--top", "15"]);
    assert_eq!(output.status.code(), Some(0));
    assert_snap!("diff_seed_text", stdout(&output));
}

#[test]
fn diff_callers_snapshot() {
    let output = profdiff(&[
        "diff",
        BEFORE,
        AFTER,
        "--color",
        "never",
        "--include",
        "create_client",
        "--callers",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_snap!("diff_seed_callers", stdout(&output));
}

#[test]
fn diff_json_snapshot() {
    let output = profdiff(&[
        "diff",
        BEFORE,
        AFTER,
        "--format",
        "json",
        "--include",
        "create_client|handler",
        "--callers",
        "--pretty",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_snap!("diff_seed_json", stdout(&output));
}

#[test]
fn colour_is_on_only_when_asked() {
    let plain = stdout(&profdiff(&["diff", BEFORE, AFTER]));
    assert!(!plain.contains('\x1b'), "not a TTY: no colour by default");
    let coloured = stdout(&profdiff(&["diff", BEFORE, AFTER, "--color", "always"]));
    assert!(coloured.contains("\x1b[31m") && coloured.contains("\x1b[32m"));
}

#[test]
fn top_and_sort_limit_rows() {
    let output = profdiff(&[
        "diff", BEFORE, AFTER, "--top", "3", "--sort", "calls", "--format", "json",
    ]);
    let doc: DiffDocument = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc.functions.len(), 3);
    let deltas: Vec<i64> = doc
        .functions
        .iter()
        .map(|f| f.calls.delta.unwrap().abs())
        .collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
}

#[test]
fn show_lists_pstats_numbers() {
    let printed = crate::run_ok(&[
        "show",
        BEFORE,
        "--format",
        "json",
        "--include",
        "create_client",
    ]);
    let doc: ShowDocument = serde_json::from_slice(printed.as_bytes()).unwrap();
    let f = doc
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .unwrap();
    assert_eq!(f.calls, Some(6));
    let text = stdout(&profdiff(&[
        "show", BEFORE, "--top", "10", "--color", "never",
    ]));
    assert_snap!("show_seed_text", text);
}

#[test]
fn stdin_is_read_for_dash() {
    let bytes = std::fs::read(format!("{}/{AFTER}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["diff", BEFORE, "-", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let doc: DiffDocument = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc.new.path, "-");
}

#[test]
fn help_has_worked_examples_and_version_works() {
    let help = profdiff(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("$ profdiff diff before.prof after.prof"));
    let version = profdiff(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert!(stdout(&version).starts_with("profdiff "));
}

#[test]
fn from_values_and_their_help_come_from_the_format_table() {
    let help = profdiff(&["diff", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    let help = stdout(&help);
    // What users have always seen.
    let listed = "
          Possible values:
          - pstats:      Binary pstats dump (cProfile, profile, yappi)
          - callgrind:   Callgrind (valgrind, pyprof2calltree, yappi)
          - pstats-text: Text printed by pstats / `python -m cProfile`
          - folded:      Folded stacks (py-spy raw, stackcollapse, inferno, Austin)
          - speedscope:  speedscope JSON (py-spy, pyinstrument, austin)
          - pprof:       pprof profile.proto, gzipped or raw
";
    assert!(help.contains(listed), "{help}");
    for entry in profdiff::formats::FORMATS {
        let line = format!("- {}:", entry.name);
        let line = help.lines().find(|l| l.trim_start().starts_with(&line));
        assert!(
            line.is_some_and(|l| l.trim_end().ends_with(entry.about)),
            "{}",
            entry.name
        );
    }
}
