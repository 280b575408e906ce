//! Group rules: a named sum of calls (or times) over the functions a
//! pattern matches, as snapshot lines (`group NAME = PATTERN  calls <= 3`)
//! and as the gate's `--max-group-calls NAME=PATTERN:N`.
//!
//! The expected numbers come from Python's pstats on the seed fixtures, not
//! from profdiff:
//!
//! ```text
//! python3 -c "import pstats, re
//! p = re.compile(r'botocore/session.py:create_client|boto3/__init__.py:(client|resource)')
//! for f in ('before', 'after'):
//!     s = pstats.Stats(f'fixtures/seed/{f}.prof')
//!     print(f, [(n, nc, c) for (fn, l, n), (cc, nc, t, c, _) in s.stats.items()
//!               if p.search(f'{fn}:{n}')])"
//! ```
//!
//! before.prof: `botocore/session.py:846(create_client)` 6 calls (134.09 ms
//! inclusive), `boto3/__init__.py:96(resource)` 3 (104.48 ms),
//! `boto3/__init__.py:87(client)` 2 (9.89 ms): 11 calls, 248.46 ms summed.
//! after.prof: `create_client` 1 (67.69 ms) and `resource` 1 (90.20 ms), no
//! `client`: 2 calls, 157.89 ms summed. The same with `botocore/hooks.py:`:
//! 35 functions in each, 6,046 calls before (`_recursive_copy` 2,302,
//! `__copy__` 677 the largest; hooks.py has two `__copy__`, so profdiff
//! keys this one `__copy__#1`) and 2,080 after.

use std::fs;
use std::path::Path;

use profdiff::diff::{self, DiffOptions};
use profdiff::gate::{self, GateOptions, GroupRule, Rule};
use profdiff::model::{Format, Function, FunctionKind, Profile, ProfileMeta, Unit};
use profdiff::snapshot;
use profdiff::wire::DiffDocument;
use profdiff::{input, Error};

use crate::{profdiff, stderr, stdout};

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";
const CLIENTS: &str = "botocore/session.py:create_client|boto3/__init__.py:(client|resource)";
const HEADER: &str = "# profdiff snapshot v1\n# format: pstats  unit: seconds\n";

fn load(path: &str) -> Profile {
    input::load(Path::new(path), &Default::default()).unwrap()
}

fn check(profile: &Profile, text: &str) -> snapshot::CheckOutcome {
    snapshot::check(profile, text, &Default::default()).unwrap()
}

/// Runs profdiff as on a developer's machine (`CI` unset, so a mismatch
/// writes `FILE.new`).
fn run_locally(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .output()
        .expect("run profdiff")
}

fn clients_snapshot(bounds: &str) -> String {
    format!("{HEADER}# include: session.py:create_client\ngroup clients = {CLIENTS}  {bounds}\nbotocore/session.py:create_client  calls <= 6\n")
}

const CLIENTS_FAILED: &str = "group clients: expected calls <= 3, actual 11 \
     (botocore/session.py:create_client 6, boto3/__init__.py:resource 3, boto3/__init__.py:client 2)";

#[test]
fn snapshot_group_holds_after_the_fix_and_fails_before_it() {
    let text = clients_snapshot("calls <= 3");
    let outcome = check(&load(AFTER), &text);
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.actual, text);

    let outcome = check(&load(BEFORE), &text);
    assert!(!outcome.is_ok());
    assert!(outcome.violations.is_empty(), "{outcome}");
    assert_eq!(outcome.group_violations.len(), 1);
    let violation = &outcome.group_violations[0];
    assert_eq!(
        (
            violation.line,
            violation.name.as_str(),
            violation.pattern.as_str()
        ),
        (4, "clients", CLIENTS)
    );
    assert_eq!(
        (violation.bound.as_str(), violation.actual.as_str()),
        ("calls <= 3", "11")
    );
    let members: Vec<(&str, &str)> = violation
        .members
        .iter()
        .map(|m| (m.key.as_str(), m.value.as_str()))
        .collect();
    assert_eq!(
        members,
        [
            ("botocore/session.py:create_client", "6"),
            ("boto3/__init__.py:resource", "3"),
            ("boto3/__init__.py:client", "2"),
        ]
    );
    let report = outcome.to_string();
    assert!(
        report.contains(&format!("  snapshot:4: {CLIENTS_FAILED}\n")),
        "{report}"
    );
    // The diff shows the group line with its actual sum.
    assert!(
        report.contains(&format!(
            "-group clients = {CLIENTS}  calls <= 3\n+group clients = {CLIENTS}  calls = 11\n"
        )),
        "{report}"
    );
}

#[test]
fn snapshot_groups_sum_every_function_whatever_the_recorded_filters() {
    // The header selects only session.py:create_client, yet the boto3
    // members count: a group names its own members.
    let outcome = check(&load(BEFORE), &clients_snapshot("calls >= 11  calls <= 11"));
    assert!(outcome.is_ok(), "{outcome}");
    // Times are summed too; inclusive time counts twice what a member
    // calls of another (resource creates a client): 248.46 ms before,
    // 157.89 ms after.
    let text = clients_snapshot("incl < 200ms  self < 1ms");
    assert!(check(&load(AFTER), &text).is_ok());
    let outcome = check(&load(BEFORE), &text);
    let failed: Vec<(&str, &str)> = outcome
        .group_violations
        .iter()
        .map(|v| (v.bound.as_str(), v.actual.as_str()))
        .collect();
    assert_eq!(failed, [("incl < 200ms", "248ms")]);
    let members: Vec<&str> = outcome.group_violations[0]
        .members
        .iter()
        .map(|m| m.value.as_str())
        .collect();
    assert_eq!(members, ["134ms", "104ms", "9.89ms"]);
    assert!(outcome.actual.contains("  incl ≈ 248ms ±50%  self < 1ms\n"));
}

#[test]
fn snapshot_group_matching_nothing_sums_to_zero() {
    let after = load(AFTER);
    let holds = format!(
        "{HEADER}# include: ^$\ngroup none = no_such_function_anywhere  calls <= 3  incl < 1ns\n"
    );
    let outcome = check(&after, &holds);
    assert!(outcome.is_ok(), "{outcome}");
    let fails = format!("{HEADER}# include: ^handler.py:handler$\ngroup none = no_such_function_anywhere  calls >= 1\nhandler.py:handler  calls = 1\n");
    let outcome = check(&after, &fails);
    assert_eq!(outcome.group_violations.len(), 1);
    assert!(
        outcome.to_string().contains(
            "  snapshot:4: group none: expected calls >= 1, actual 0 (no function matches)\n"
        ),
        "{outcome}"
    );
    assert!(outcome
        .actual
        .contains("\ngroup none = no_such_function_anywhere  calls = 0\n"));
}

#[test]
fn snapshot_group_lists_ten_members_then_how_many_more() {
    let text = format!("{HEADER}# include: ^handler.py:handler$\ngroup hooks = botocore/hooks.py:  calls <= 2080\nhandler.py:handler  calls = 1\n");
    assert!(check(&load(AFTER), &text).is_ok());
    let outcome = check(&load(BEFORE), &text);
    let violation = &outcome.group_violations[0];
    assert_eq!(violation.actual, "6046");
    assert_eq!(violation.members.len(), 35);
    let report = outcome.to_string();
    let line = report.lines().find(|l| l.contains("group hooks")).unwrap();
    assert!(
        line.starts_with(
            "  snapshot:4: group hooks: expected calls <= 2080, actual 6046 \
             (botocore/hooks.py:_recursive_copy 2302, botocore/hooks.py:__copy__#1 677, "
        ),
        "{line}"
    );
    assert!(line.ends_with(", … 25 more)"), "{line}");
    let members = line.split_once(" (").unwrap().1;
    assert_eq!(members.matches(", ").count(), 10, "{line}");
}

#[test]
fn snapshot_cli_checks_and_updates_group_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("perf.snapshot");
    let text = format!(
        "{HEADER}# include: session.py:create_client\n\
         # at most three AWS clients per request\n\
         group clients = {CLIENTS}  calls <= 3\n\
         botocore/session.py:create_client  calls <= 6\n\
         group quiet = botocore/hooks.py:  calls <= 10000\n"
    );
    fs::write(&path, &text).unwrap();
    let snap = path.to_str().unwrap();

    let ok = run_locally(&["snapshot", AFTER, "--check", snap]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let failed = run_locally(&["snapshot", BEFORE, "--check", snap, "--color", "never"]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let out = stdout(&failed);
    assert!(
        out.contains(&format!("  {snap}:5: {CLIENTS_FAILED}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "-group clients = {CLIENTS}  calls <= 3\n+group clients = {CLIENTS}  calls = 11\n"
        )),
        "{out}"
    );
    let review = fs::read_to_string(dir.path().join("perf.snapshot.new")).unwrap();
    assert_eq!(review, text.replace("calls <= 3", "calls = 11"));

    // --update rewrites the failed bound as on a function line and keeps
    // every group line (and its comment).
    let updated = run_locally(&["snapshot", BEFORE, "--check", snap, "--update"]);
    assert_eq!(updated.status.code(), Some(0), "{}", stderr(&updated));
    assert_eq!(fs::read_to_string(&path).unwrap(), review);
    let again = run_locally(&["snapshot", BEFORE, "--check", snap]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

#[test]
fn malformed_group_lines_name_the_line() {
    let profile = load(AFTER);
    let cases: &[(&str, usize, &str)] = &[
        (
            "group clients = create_client",
            3,
            "group clients has no bound",
        ),
        ("group clients = (  calls <= 3", 3, "invalid regex \"(\""),
        (
            "group clients  calls <= 3",
            3,
            "no `=` after the group name",
        ),
        (
            "group cli:ents = x  calls <= 3",
            3,
            "group name \"cli:ents\"",
        ),
        ("group = x  calls <= 3", 3, "a group needs a name"),
        (
            "group c = x calls <= 3",
            3,
            "separate bounds from the pattern",
        ),
        ("group c = x  calls <= 2.5", 3, "whole number"),
        ("group c = x  incl = 1ms", 3, "never exactly equal"),
        ("group c = x  calls = 3 ±1", 3, "`=` is exact"),
        (
            "group c = x  calls <= 3\napp.py:f\ngroup c = y  calls <= 1",
            5,
            "group c is defined twice (also on line 3)",
        ),
    ];
    for &(body, line, needle) in cases {
        let error = snapshot::check(&profile, &format!("{HEADER}{body}\n"), &Default::default())
            .expect_err(body);
        assert_eq!(error.line, line, "{body:?}: {error}");
        assert!(error.message.contains(needle), "{body:?}: {error}");
    }
    // Through the command line: exit 2, naming the file and the line.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.snapshot");
    fs::write(&path, format!("{HEADER}group clients = {CLIENTS}\n")).unwrap();
    let output = run_locally(&["snapshot", AFTER, "--check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!(
            "{}: invalid snapshot: line 3: group clients has no bound",
            path.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_function_key_shaped_like_a_group_line_is_quoted() {
    // A function without a file keys by its name alone.
    let mut profile = Profile::new(ProfileMeta {
        path: "synthetic".into(),
        format: Format::Pstats,
        unit: Unit::Seconds,
        precision: None,
        producer: None,
        notes: Vec::new(),
    });
    let mut function = Function::new("group x = y", FunctionKind::Builtin);
    function.calls = Some(2);
    profile.functions.push(function);
    let text = snapshot::render(&profile, &Default::default()).unwrap();
    assert!(text.ends_with("\n\"group x = y\"  calls = 2\n"), "{text}");
    let outcome = check(&profile, &text);
    assert!(outcome.is_ok(), "{outcome}");
}

// The gate: --max-group-calls.

fn gate_args<'a>(base: &'a str, new: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "diff",
        base,
        new,
        "--fail-on-regression",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    args
}

const CLIENTS_RULE: &str =
    "clients=botocore/session.py:create_client|boto3/__init__.py:(client|resource):3";

#[test]
fn gate_group_rule_fails_the_regression_and_names_the_members() {
    // Reverting the fix: the group goes from 2 calls to 11.
    let output = profdiff(&gate_args(
        AFTER,
        BEFORE,
        &[
            "--include",
            "^handler.py:handler$",
            "--max-group-calls",
            CLIENTS_RULE,
        ],
    ));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "regression: 1 rule violated (checked 1 function matching the filters and 1 group)\n"
        ),
        "{err}"
    );
    let row = err.lines().find(|l| l.contains("group_calls")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[..7],
        ["group_calls", "2", "→", "11", "3", "+8", "group"]
    );
    assert!(
        row.ends_with(
            "group clients: botocore/session.py:create_client 1 → 6, \
             boto3/__init__.py:resource 1 → 3, boto3/__init__.py:client — → 2"
        ),
        "{row}"
    );

    // The fix itself passes, with the per-function rules scoped away.
    let output = profdiff(&gate_args(
        BEFORE,
        AFTER,
        &[
            "--include",
            "^handler.py:handler$",
            "--max-group-calls",
            CLIENTS_RULE,
        ],
    ));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output)
        .contains("no regression: checked 1 function matching the filters and 1 group\n"));
}

#[test]
fn gate_group_rules_are_not_scoped_by_include() {
    // --include selects nothing; the group is judged all the same.
    let output = profdiff(&gate_args(
        AFTER,
        BEFORE,
        &[
            "--include",
            "no_such_function_anywhere",
            "--max-group-calls",
            CLIENTS_RULE,
        ],
    ));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("(checked 0 functions matching the filters and 1 group)"));

    // N follows the last `:`, so a pattern may end in `:`; N equal to the
    // new sum passes (2,080 hooks.py calls after the fix).
    let hooks = "hooks=botocore/hooks.py::2080";
    let none = "none=no_such_function_anywhere:0";
    let output = profdiff(&gate_args(
        BEFORE,
        AFTER,
        &[
            "--include",
            "^$",
            "--max-group-calls",
            hooks,
            "--max-group-calls",
            none,
        ],
    ));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("and 2 groups\n"));
    let output = profdiff(&gate_args(
        AFTER,
        BEFORE,
        &["--include", "^$", "--max-group-calls", hooks],
    ));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let row = err.lines().find(|l| l.contains("group_calls")).unwrap();
    assert!(
        row.contains(" 2,080 → 6,046  2,080  +3,966  group hooks: "),
        "{row}"
    );
    assert!(row.ends_with(", … 25 more"), "{row}");
}

#[test]
fn gate_json_verdict_has_the_group_violation() {
    let output = profdiff(&gate_args(
        AFTER,
        BEFORE,
        &[
            "--include",
            "session.py:create_client",
            "--max-group-calls",
            CLIENTS_RULE,
            "--format",
            "json",
        ],
    ));
    assert_eq!(output.status.code(), Some(1));
    let document: DiffDocument = serde_json::from_str(&stdout(&output)).unwrap();
    let verdict = document.verdict.unwrap();
    assert!(verdict.regressed);
    let rules: Vec<(&str, &str)> = verdict
        .violations
        .iter()
        .map(|v| (v.rule.as_str(), v.key.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("group_calls", "(group clients)"),
            ("calls", "botocore/session.py:create_client"),
        ]
    );
    let group = &verdict.violations[0];
    assert_eq!((group.base, group.new, group.limit), (Some(2.0), 11.0, 3.0));
    assert_eq!(group.group.as_deref(), Some("clients"));
    assert_eq!(
        group.pattern.as_deref(),
        Some("botocore/session.py:create_client|boto3/__init__.py:(client|resource)")
    );
    let members: Vec<(&str, Option<u64>, Option<u64>)> = group
        .members
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.key.as_str(), m.base, m.new))
        .collect();
    assert_eq!(
        members,
        [
            ("botocore/session.py:create_client", Some(1), Some(6)),
            ("boto3/__init__.py:resource", Some(1), Some(3)),
            ("boto3/__init__.py:client", None, Some(2)),
        ]
    );
    // Other rules leave the group fields out.
    let raw: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let function = &raw["verdict"]["violations"][1];
    assert!(function.get("group").is_none() && function.get("members").is_none());
}

#[test]
fn markdown_report_lists_the_group_violation() {
    let output = profdiff(&gate_args(
        AFTER,
        BEFORE,
        &[
            "--include",
            "^handler.py:handler$",
            "--max-group-calls",
            CLIENTS_RULE,
            "--format",
            "markdown",
        ],
    ));
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(
            "**❌ Regression**: 1 rule violated (checked 1 function matching the filters and 1 group)."
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "| `group_calls` | 2 | 11 | 3 | +8 | group `clients`: \
             `botocore/session.py:create_client` 1 → 6, `boto3/__init__.py:resource` 1 → 3, \
             `boto3/__init__.py:client` — → 2 |"
        ),
        "{text}"
    );
}

#[test]
fn bad_group_options_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--max-group-calls", "clients"],
            "no `=` after the group's name",
        ),
        (&["--max-group-calls", "clients=create_client"], "no `:N`"),
        (
            &["--max-group-calls", "clients=create_client:"],
            "whole number of calls, found \"\"",
        ),
        (
            &["--max-group-calls", "clients=create_client:3%"],
            "whole number of calls, found \"3%\"",
        ),
        (
            &["--max-group-calls", "clients=boto3:(client:3"],
            "invalid regex \"boto3:(client\"",
        ),
        (&["--max-group-calls", "clients=:3"], "the pattern is empty"),
        (
            &["--max-group-calls", "=create_client:3"],
            "a group needs a name",
        ),
        (
            &["--max-group-calls", "my clients=create_client:3"],
            "group name \"my clients\"",
        ),
        (
            &["--max-group-calls", "c=a:1", "--max-group-calls", "c=b:2"],
            "group c is given twice",
        ),
    ];
    for &(extra, needle) in cases {
        let output = profdiff(&gate_args(BEFORE, AFTER, extra));
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let err = stderr(&output);
        assert!(err.contains("--max-group-calls"), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
    // Without the gate.
    let output = profdiff(&["diff", BEFORE, AFTER, "--max-group-calls", CLIENTS_RULE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--fail-on-regression"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn group_rules_through_the_library() {
    let (before, after) = (load(BEFORE), load(AFTER));
    let regressed = diff::diff(&after, &before, &DiffOptions::default()).unwrap();
    let options = GateOptions {
        filter: profdiff::filter::Filter::new(&["^$".to_string()], &[]).unwrap(),
        groups: vec![
            GroupRule::new("clients", CLIENTS, 3).unwrap(),
            GroupRule::new("loose", CLIENTS, 11).unwrap(),
        ],
        ..Default::default()
    };
    let verdict = gate::evaluate(&regressed, &options);
    assert_eq!(verdict.groups_checked, 2);
    assert_eq!(verdict.functions_checked, 0);
    assert_eq!(verdict.violations.len(), 1);
    let violation = &verdict.violations[0];
    assert_eq!(violation.rule, Rule::GroupCalls);
    assert_eq!(violation.rule.name(), "group_calls");
    assert_eq!(violation.key, "(group clients)");
    let group = violation.group.as_ref().unwrap();
    assert_eq!(group.members.len(), 3);

    assert!(matches!(
        GroupRule::new("clients", "(", 3),
        Err(Error::Pattern { role: "group", .. })
    ));
    assert!(matches!(
        GroupRule::new("a b", "x", 3),
        Err(Error::Usage(_))
    ));
}

#[test]
fn proposed_text_with_groups_reads_back() {
    // What --update would write must itself be a valid snapshot: after
    // rewritten bounds, and when the profile's unit differs (a bound on
    // time becomes the group's value in the new unit; calls a sampled
    // profile does not count cannot be written, so that bound goes).
    let folded = input::parse(
        b"main;app.py:f;app.py:g 5\nmain;app.py:f 2\n",
        "folded",
        Format::Folded,
    )
    .unwrap();
    let text = format!(
        "{HEADER}group clients = {CLIENTS}  calls <= 3  incl < 1ms\n\
         group app = \"app\\\\.py:(f|g)\"  calls <= 3  self < 1s\n\
         group only_calls = app  calls ≈ 5 ±1\n"
    );
    for profile in [load(BEFORE), load(AFTER), folded] {
        let outcome = check(&profile, &text);
        let again = check(&profile, &outcome.actual);
        assert!(
            again
                .group_violations
                .iter()
                .all(|v| v.bound.starts_with("calls")),
            "{again}"
        );
    }
    let folded_outcome = check(
        &input::parse(b"main;app.py:f;app.py:g 5\n", "folded", Format::Folded).unwrap(),
        &text,
    );
    assert!(
        folded_outcome
            .actual
            .contains("\ngroup app = \"app\\\\.py:(f|g)\"  self ≈ 5 ±50%\n"),
        "{}",
        folded_outcome.actual
    );
    assert!(
        folded_outcome
            .actual
            .contains("\ngroup only_calls = app  calls ≈ 5 ±1\n"),
        "{}",
        folded_outcome.actual
    );
}

/// With several runs per side the group sums its members' median counts.
/// fixtures/runs holds cProfile runs of the seed app before and after the
/// fix; pstats counts, per run, create_client 6, resource 3, client 2
/// before (11) and 1 + 1 after (2), the same in every run.
#[test]
fn gate_group_rule_on_several_runs_sums_the_medians() {
    let runs = |side: &str| format!("fixtures/runs/{side}");
    // Each run's count, from Python's pstats, for the test's own check.
    let script = "import pstats, sys\n\
        for path in sys.argv[1:]:\n\
        \x20   s = pstats.Stats(path).stats\n\
        \x20   n = sum(v[1] for (f, _, name), v in s.items()\n\
        \x20           if (f.endswith('botocore/session.py') and name == 'create_client')\n\
        \x20           or (f.endswith('boto3/__init__.py') and name in ('client', 'resource')))\n\
        \x20   print(n)\n";
    for (side, want) in [("before", "11"), ("after", "2")] {
        let files: Vec<String> = std::fs::read_dir(runs(side))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .collect();
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&files)
            .output()
            .expect("python3");
        let counts = String::from_utf8(output.stdout).unwrap();
        assert!(
            counts.lines().all(|n| n == want),
            "{side}: {counts} (pstats)"
        );
    }
    let gate = |base: &str, new: &str| {
        profdiff(&[
            "diff",
            "--base",
            &runs(base),
            "--new",
            &runs(new),
            "--fail-on-regression",
            "--include",
            "no-such-function",
            "--max-group-calls",
            CLIENTS_RULE,
        ])
    };
    // The fix: 11 → 2, within 3. --include matches nothing, and the group
    // is still judged.
    let output = gate("before", "after");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 group"), "{}", stderr(&output));
    // Reverted: 2 → 11.
    let output = gate("after", "before");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("group_calls"), "{err}");
    assert!(err.contains("2 → 11"), "{err}");
    assert!(
        err.contains("botocore/session.py:create_client 1 → 6"),
        "{err}"
    );
}
