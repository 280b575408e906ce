//! Snapshot files (`profdiff snapshot`): rendering, checking, the bound
//! grammar, and the write policy (`.new` locally, nothing in CI, atomic
//! updates that never touch an input).

use std::fs;
use std::path::{Path, PathBuf};

use profdiff::model::{Format, Function, FunctionKind, Profile, ProfileMeta, Unit};
use profdiff::snapshot::{self, Action, CallsTolerance, CheckOutcome, Mode, SnapshotOptions};
use profdiff::{input, render, Error};

use crate::assert_snap;

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn load(path: &str) -> Profile {
    input::load(Path::new(path), &Default::default()).unwrap()
}

fn including(patterns: &[&str]) -> SnapshotOptions {
    SnapshotOptions {
        include: patterns.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    }
}

fn check(profile: &Profile, text: &str) -> CheckOutcome {
    snapshot::check(profile, text, &Default::default()).unwrap()
}

/// A profile of `app.py` functions: (name, calls, self seconds, inclusive seconds).
fn synthetic(functions: &[(&str, Option<u64>, f64, f64)], unit: Unit) -> Profile {
    let mut profile = Profile::new(ProfileMeta {
        path: "synthetic".into(),
        format: Format::Pstats,
        unit,
        precision: None,
        producer: None,
        notes: Vec::new(),
    });
    for (line, &(name, calls, self_cost, inclusive)) in functions.iter().enumerate() {
        let mut function = Function::new(name, FunctionKind::Source);
        function.file = Some("/srv/app.py".into());
        function.line = Some(line as u32 + 1);
        function.calls = calls;
        function.self_cost = self_cost;
        function.inclusive_cost = inclusive;
        profile.functions.push(function);
    }
    profile
}

const HEADER: &str = "# profdiff snapshot v1\n# format: pstats  unit: seconds\n";

#[test]
fn render_snapshot_of_the_fix() {
    let options = SnapshotOptions {
        with_time: true,
        ..including(&["create_client", "^handler.py:"])
    };
    let text = snapshot::render(&load(AFTER), &options).unwrap();
    assert_snap!("snapshot_render_after", text);
}

#[test]
fn a_fresh_snapshot_checks_clean_against_its_own_profile() {
    let after = load(AFTER);
    for with_time in [false, true] {
        let options = SnapshotOptions {
            with_time,
            ..including(&["boto3"])
        };
        let text = snapshot::render(&after, &options).unwrap();
        let outcome = check(&after, &text);
        assert!(outcome.is_ok(), "{outcome}");
        assert_eq!(
            outcome.actual, text,
            "checking must not rewrite a clean file"
        );
        assert_eq!(
            render::snapshot::unified_diff(&outcome, "a", "b", false),
            ""
        );
    }
}

#[test]
fn keys_survive_machine_paths_and_line_shifts() {
    // after_lambda_layout.prof is the same code deployed under /var/task.
    let options = including(&["create_client|handler.py:handler$"]);
    let laptop = snapshot::render(&load(AFTER), &options).unwrap();
    let lambda = load("fixtures/seed/after_lambda_layout.prof");
    let outcome = check(&lambda, &laptop);
    assert!(outcome.is_ok(), "{outcome}");
    // And the handler keeps its key although the fix moved it down.
    assert!(
        laptop.contains("\nhandler.py:handler  calls = 1\n"),
        "{laptop}"
    );
    let before = check(&load(BEFORE), &laptop);
    assert!(!before
        .vanished
        .iter()
        .any(|v| v.key == "handler.py:handler"));
}

#[test]
fn reverting_the_fix_breaks_the_snapshot() {
    let text = snapshot::render(&load(AFTER), &including(&["session.py:create_client"])).unwrap();
    let outcome = check(&load(BEFORE), &text);
    assert!(!outcome.is_ok());
    assert_eq!(outcome.violations.len(), 1);
    let violation = &outcome.violations[0];
    assert_eq!(violation.key, "botocore/session.py:create_client");
    assert_eq!(violation.bound, "calls = 1");
    assert_eq!(violation.actual, "6");
    assert_eq!(violation.line, 4);
    let diff = render::snapshot::unified_diff(
        &outcome,
        "after.snapshot",
        "after.snapshot (actual)",
        false,
    );
    assert_snap!("snapshot_check_diff", diff);
    let coloured = render::snapshot::unified_diff(&outcome, "a", "b", true);
    assert!(coloured.contains("\x1b[31m-botocore/session.py:create_client  calls = 1"));
    assert!(coloured.contains("\x1b[32m+botocore/session.py:create_client  calls = 6"));
    let mut report = Vec::new();
    render::snapshot::write_report(&mut report, &outcome, "after.snapshot", Default::default())
        .unwrap();
    assert_snap!("snapshot_check_report", String::from_utf8(report).unwrap());
}

#[test]
fn hand_edited_bounds_that_hold_are_kept_in_the_actual_text() {
    let before = load(BEFORE);
    let expected = format!(
        "{HEADER}# include: create_client\n\
         # botocore builds its client class once per create_client call\n\
         botocore/client.py:_create_client_class  calls >= 1  calls <= 10\n\
         botocore/client.py:create_client  calls <= 6  incl < 1s\n\
         # the fix: one client per process\n\
         botocore/session.py:create_client  calls<=1  incl < 100ms  self < 1s\n"
    );
    let outcome = check(&before, &expected);
    let bounds: Vec<(&str, &str)> = outcome
        .violations
        .iter()
        .map(|v| (v.bound.as_str(), v.actual.as_str()))
        .collect();
    assert_eq!(bounds, [("calls <= 1", "6"), ("incl < 100ms", "134ms")]);
    assert!(outcome.appeared.is_empty() && outcome.vanished.is_empty());
    // Only the failing bounds change; comments and held bounds stay as written.
    let expected_actual = format!(
        "{HEADER}# include: create_client\n\
         # botocore builds its client class once per create_client call\n\
         botocore/client.py:_create_client_class  calls >= 1  calls <= 10\n\
         botocore/client.py:create_client  calls <= 6  incl < 1s\n\
         # the fix: one client per process\n\
         botocore/session.py:create_client  calls = 6  incl ≈ 134ms ±50%  self < 1s\n"
    );
    assert_eq!(outcome.actual, expected_actual);
}

#[test]
fn functions_appear_and_vanish_within_the_recorded_filters() {
    // The fix removed boto3/__init__.py:client and added handler.py:<dictcomp>.
    let (before, after) = (load(BEFORE), load(AFTER));
    let options = including(&["^boto3/__init__.py:", "^handler.py:"]);
    let old = snapshot::render(&before, &options).unwrap();
    let outcome = check(&after, &old);
    assert_eq!(outcome.appeared, ["handler.py:<dictcomp>"]);
    let vanished: Vec<&str> = outcome.vanished.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(vanished, ["boto3/__init__.py:client"]);
    // The new line lands in key order.
    let lines: Vec<&str> = outcome
        .actual
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    // Selection follows the snapshot's header, not whoever calls check.
    let narrow = format!("{HEADER}# include: ^handler.py:handler$\nhandler.py:handler\n");
    assert!(check(&after, &narrow).is_ok());
}

#[test]
fn band_semantics() {
    let profile = |incl: f64| synthetic(&[("f", Some(1), 0.0, incl)], Unit::Seconds);
    let line = |bound: &str| format!("{HEADER}app.py:f  {bound}\n");
    let holds = |incl: f64, bound: &str| check(&profile(incl), &line(bound)).is_ok();
    // ±50% of 100 ms is [50 ms, 150 ms], both ways.
    assert!(holds(0.149, "incl ≈ 100ms ±50%"));
    assert!(!holds(0.151, "incl ≈ 100ms ±50%"));
    assert!(holds(0.051, "incl ~ 100ms +-50%"));
    assert!(!holds(0.049, "incl ≈ 100ms ±50%"));
    // Differences within the noise floor (1 ms by default for time) hold.
    assert!(holds(0.000_9, "incl ≈ 10us ±50%"));
    assert!(!holds(0.001_2, "incl ≈ 10µs ±50%"));
    // A recorded `# band:` floor replaces the default.
    let with_floor =
        format!("{HEADER}# band: ±50%  noise floor: 5ms\napp.py:f  incl ≈ 10µs ±50%\n");
    assert!(check(&profile(0.004), &with_floor).is_ok());
    // Plain bounds are exact.
    assert!(holds(0.199, "incl < 200ms"));
    assert!(!holds(0.2, "incl < 200ms"));
    assert!(holds(0.2, "incl <= 0.2"));
    assert!(holds(0.2, "incl >= 200 ms  incl <= 1s"));
}

#[test]
fn calls_tolerance_semantics() {
    let profile = |calls: u64| synthetic(&[("f", Some(calls), 0.0, 0.0)], Unit::Seconds);
    let holds = |calls: u64, bound: &str| {
        check(&profile(calls), &format!("{HEADER}app.py:f  {bound}\n")).is_ok()
    };
    // ±5 calls around 100: 95 to 105, both ways.
    for (calls, ok) in [
        (94, false),
        (95, true),
        (100, true),
        (105, true),
        (106, false),
    ] {
        assert_eq!(holds(calls, "calls ≈ 100 ±5"), ok, "{calls}");
    }
    // ±2.5% of 200 is 5 calls.
    for (calls, ok) in [(194, false), (195, true), (205, true), (206, false)] {
        assert_eq!(holds(calls, "calls ~ 200 +-2.5%"), ok, "{calls}");
    }
    // 1% of 150 is 1.5: whole calls, so one either way.
    assert!(holds(151, "calls ≈ 150 ±1%"));
    assert!(!holds(152, "calls ≈ 150 ±1%"));
    // No noise floor on calls: ±0 is exact.
    assert!(holds(7, "calls ≈ 7 ±0"));
    assert!(!holds(8, "calls ≈ 7 ±0%"));
    // Sampled profiles have no counts: a tolerance does not help.
    let sampled = synthetic(&[("f", None, 0.0, 1.0)], Unit::Samples);
    let text = "# profdiff snapshot v1\n# format: pstats  unit: samples\napp.py:f  calls ≈ 1 ±5\n";
    assert!(check(&sampled, text).violations[0]
        .actual
        .contains("unknown"));
}

#[test]
fn snapshots_written_with_a_calls_tolerance() {
    let profile = synthetic(
        &[("f", Some(3028), 0.0, 0.0), ("g", Some(7), 0.0, 0.0)],
        Unit::Seconds,
    );
    let options = SnapshotOptions {
        calls_tolerance: Some(CallsTolerance::Percent(2.0)),
        ..Default::default()
    };
    let text = snapshot::render(&profile, &options).unwrap();
    assert_eq!(
        text,
        format!(
            "{HEADER}# calls tolerance: ±2%\napp.py:f  calls ≈ 3028 ±2%\napp.py:g  calls ≈ 7 ±2%\n"
        )
    );
    assert!(check(&profile, &text).is_ok());
    // 2% of 3,028 is 60 calls: 2,968 holds, 2,967 does not.
    let moved = |calls| {
        synthetic(
            &[("f", Some(calls), 0.0, 0.0), ("g", Some(7), 0.0, 0.0)],
            Unit::Seconds,
        )
    };
    assert!(check(&moved(2968), &text).is_ok());
    let outcome = check(&moved(2967), &text);
    assert_eq!(outcome.violations.len(), 1);
    assert_eq!(outcome.violations[0].bound, "calls ≈ 3028 ±2% (2968–3088)");
    assert_eq!(outcome.violations[0].actual, "2967");
    // The failed line is centred on the actual count, with its own width.
    assert!(
        outcome.actual.contains("\napp.py:f  calls ≈ 2967 ±2%\n"),
        "{}",
        outcome.actual
    );

    // Functions that appear get the header's tolerance; a failed exact
    // bound is replaced with it too.
    let hand = format!("{HEADER}# calls tolerance: ±10\napp.py:f  calls = 3000\n");
    let outcome = check(&profile, &hand);
    assert_eq!(outcome.appeared, ["app.py:g"]);
    assert_eq!(
        outcome.actual,
        format!(
            "{HEADER}# calls tolerance: ±10\napp.py:f  calls ≈ 3028 ±10\napp.py:g  calls ≈ 7 ±10\n"
        )
    );
    // Without the header line, the same replacement is exact.
    let outcome = check(
        &profile,
        &format!("{HEADER}app.py:f  calls = 3000\napp.py:g  calls = 7\n"),
    );
    assert!(
        outcome.actual.contains("\napp.py:f  calls = 3028\n"),
        "{}",
        outcome.actual
    );

    let invalid = SnapshotOptions {
        calls_tolerance: Some(CallsTolerance::Percent(f64::NAN)),
        ..Default::default()
    };
    assert!(matches!(
        snapshot::render(&profile, &invalid),
        Err(Error::Usage(_))
    ));
}

#[test]
fn sampled_profiles_have_no_call_counts() {
    let sampled = synthetic(&[("f", None, 3.0, 7.0)], Unit::Samples);
    let text = snapshot::render(
        &sampled,
        &SnapshotOptions {
            with_time: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        text,
        "# profdiff snapshot v1\n# format: pstats  unit: samples\n\
         # band: ±50%  noise floor: 0\napp.py:f  incl ≈ 7 ±50%\n"
    );
    assert!(check(&sampled, &text).is_ok());
    let calls =
        "# profdiff snapshot v1\n# format: pstats  unit: samples\napp.py:f  calls <= 2  self < 5\n";
    let outcome = check(&sampled, calls);
    assert_eq!(outcome.violations.len(), 1);
    assert!(outcome.violations[0].actual.contains("unknown"));
    // A time unit in a non-time snapshot is an error.
    let bad = "# profdiff snapshot v1\n# format: pstats  unit: samples\napp.py:f  self < 5ms\n";
    let error = snapshot::check(&sampled, bad, &Default::default()).unwrap_err();
    assert_eq!(error.line, 3);
}

#[test]
fn header_differences_are_a_mismatch() {
    let callgrind_like = synthetic(&[("f", Some(1), 0.0, 10.0)], Unit::Event("Ir".into()));
    let outcome = check(
        &callgrind_like,
        &format!("{HEADER}app.py:f  calls = 1  incl < 1s\n"),
    );
    assert_eq!(
        outcome.header,
        ["unit: snapshot has seconds, profile has Ir"]
    );
    assert!(
        outcome.violations.is_empty(),
        "times in another unit are not compared"
    );
    assert!(outcome
        .actual
        .starts_with("# profdiff snapshot v1\n# format: pstats  unit: Ir\napp.py:f  calls = 1\n"));
}

#[test]
fn weird_keys_are_quoted() {
    let profile = synthetic(&[("odd  name", Some(2), 0.0, 0.0)], Unit::Seconds);
    let text = snapshot::render(&profile, &Default::default()).unwrap();
    assert!(
        text.ends_with("\n\"app.py:odd  name\"  calls = 2\n"),
        "{text}"
    );
    assert!(check(&profile, &text).is_ok());
}

#[test]
fn malformed_snapshots_name_the_line() {
    let profile = synthetic(&[("f", Some(1), 0.0, 0.001)], Unit::Seconds);
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "not a profdiff snapshot"),
        ("\u{7f}ELF binary", 1, "not a profdiff snapshot"),
        ("# profdiff snapshot v2\n", 1, "newer"),
        ("# profdiff snapshot vX\n", 1, "unknown snapshot version"),
        ("# profdiff snapshot v1\napp.py:f  calls = 1\n", 2, "# format:"),
        ("# profdiff snapshot v1\n# format: pstats\n", 2, "unit"),
        (
            "# profdiff snapshot v1\n# format: pstats  unit: seconds\n# format: pstats  unit: seconds\n",
            3,
            "second",
        ),
        (
            "# profdiff snapshot v1\n# format: pstats  unit: seconds\n# include: (\n",
            3,
            "invalid regex",
        ),
        (
            "# profdiff snapshot v1\n# format: pstats  unit: seconds\n# band: 50%\n",
            3,
            "band",
        ),
        ("app.py:f calls = 1", 3, "two spaces"),
        ("app.py:f  calls", 3, "operator"),
        ("app.py:f  calls => 1", 3, "whole number"),
        ("app.py:f  calls <= 1.5", 3, "whole number"),
        ("app.py:f  calls <= -1", 3, "whole number"),
        ("app.py:f  calls ≈ 1", 3, "tolerance like ±2%"),
        ("app.py:f  calls ≈ 1 ±0.5", 3, "whole number of calls"),
        ("app.py:f  calls = 1 ±10%", 3, "`=` is exact"),
        (
            "# calls tolerance: ±x\napp.py:f  calls = 1",
            3,
            "invalid calls tolerance",
        ),
        (
            "# calls tolerance: ±1\n# calls tolerance: ±2\napp.py:f",
            4,
            "second",
        ),
        ("app.py:f\n# calls tolerance: ±1", 4, "must come before"),
        ("app.py:f  incl = 1ms", 3, "never exactly equal"),
        ("app.py:f  incl ≈ 1ms", 3, "band"),
        ("app.py:f  incl ≈ 1ms ±10", 3, "%"),
        ("app.py:f  incl < 1hour", 3, "unknown unit"),
        ("app.py:f  time < 1ms", 3, "unknown field"),
        ("app.py:f  calls = 1 extra", 3, "unknown field"),
        ("app.py:f  calls = 1x", 3, "whole number"),
        ("app.py:f  calls = 1\napp.py:f  calls = 1", 4, "listed twice (also on line 3)"),
        ("app.py:f\n# include: f", 4, "must come before"),
        ("\"unterminated  calls = 1", 3, "JSON string"),
        ("  app.py:f  calls = 1", 3, "starts with its key"),
    ];
    for &(body, line, needle) in cases {
        let text =
            if body.starts_with("# profdiff") || body.is_empty() || body.starts_with('\u{7f}') {
                body.to_string()
            } else {
                format!("{HEADER}{body}\n")
            };
        let error = snapshot::check(&profile, &text, &Default::default())
            .expect_err(&format!("accepted {body:?}"));
        assert_eq!(error.line, line, "{body:?}: {error}");
        assert!(error.message.contains(needle), "{body:?}: {error}");
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
}

#[test]
fn check_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.snapshot");
    fs::write(&path, format!("{HEADER}app.py:f  calls ?= 1\n")).unwrap();
    let profile = synthetic(&[("f", Some(1), 0.0, 0.0)], Unit::Seconds);
    let error = snapshot::check_file(&profile, &path, &Default::default()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Input { .. }));
    assert!(
        message.starts_with(&format!("{}: invalid snapshot: line 3: ", path.display())),
        "{message}"
    );
    let missing = snapshot::check_file(&profile, &dir.path().join("nope"), &Default::default());
    assert!(matches!(missing, Err(Error::Io { .. })));
}

/// A scratch directory holding a snapshot of `after.prof`'s create_client.
struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
    text: String,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("after.snapshot");
    let text = snapshot::render(&load(AFTER), &including(&["session.py:create_client"])).unwrap();
    snapshot::write(&path, &text, &[Path::new(AFTER)]).unwrap();
    Scratch {
        _dir: dir,
        path,
        text,
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn apply(s: &Scratch, profile: &str, mode: Mode, ci: bool) -> Action {
    let outcome = snapshot::check_file(&load(profile), &s.path, &Default::default()).unwrap();
    snapshot::apply_policy(&s.path, &outcome, mode, ci, &[Path::new(profile)]).unwrap()
}

#[test]
fn policy_passing_check_writes_nothing() {
    let s = scratch();
    let dir = s.path.parent().unwrap();
    assert_eq!(apply(&s, AFTER, Mode::Check, false), Action::Passed);
    assert_eq!(apply(&s, AFTER, Mode::Check, true), Action::Passed);
    assert_eq!(apply(&s, AFTER, Mode::Update, false), Action::Passed);
    assert_eq!(files_in(dir), ["after.snapshot"]);
    assert_eq!(fs::read_to_string(&s.path).unwrap(), s.text);
    assert_eq!(Action::Passed.exit_code(), 0);
}

#[test]
fn policy_local_mismatch_writes_a_new_file_for_review() {
    let s = scratch();
    let action = apply(&s, BEFORE, Mode::Check, false);
    let review = snapshot::new_path(&s.path);
    assert_eq!(action, Action::WroteNew(review.clone()));
    assert_eq!(action.exit_code(), 1);
    assert_eq!(
        fs::read_to_string(&s.path).unwrap(),
        s.text,
        "original untouched"
    );
    let new = fs::read_to_string(&review).unwrap();
    assert!(
        new.contains("botocore/session.py:create_client  calls = 6\n"),
        "{new}"
    );
    assert!(action
        .message(&s.path, "--update")
        .unwrap()
        .contains("after.snapshot.new"));
    // Once the snapshot holds again, the stale review file goes.
    assert_eq!(apply(&s, AFTER, Mode::Check, false), Action::Passed);
    assert!(!review.exists());
}

#[test]
fn policy_in_ci_never_writes() {
    let s = scratch();
    let dir = s.path.parent().unwrap();
    for mode in [Mode::Check, Mode::Update] {
        let action = apply(&s, BEFORE, mode, true);
        assert_eq!(action, Action::Failed);
        assert_eq!(action.exit_code(), 1);
        assert_eq!(files_in(dir), ["after.snapshot"], "{mode:?} wrote in CI");
        assert_eq!(fs::read_to_string(&s.path).unwrap(), s.text);
    }
    // Even a stale review file is left alone in CI.
    fs::write(snapshot::new_path(&s.path), "stale").unwrap();
    assert_eq!(apply(&s, AFTER, Mode::Check, true), Action::Passed);
    assert!(snapshot::new_path(&s.path).exists());
}

#[test]
fn policy_update_rewrites_the_file() {
    let s = scratch();
    let dir = s.path.parent().unwrap();
    assert!(matches!(
        apply(&s, BEFORE, Mode::Check, false),
        Action::WroteNew(_)
    ));
    let action = apply(&s, BEFORE, Mode::Update, false);
    assert_eq!(action, Action::Updated);
    assert_eq!(action.exit_code(), 0);
    assert_eq!(files_in(dir), ["after.snapshot"], "update removes the .new");
    let updated = fs::read_to_string(&s.path).unwrap();
    assert!(updated.contains("botocore/session.py:create_client  calls = 6\n"));
    assert_eq!(apply(&s, BEFORE, Mode::Check, false), Action::Passed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&s.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "not the temp file's 0600");
    }
}

#[test]
fn writing_over_an_input_profile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("after.prof");
    fs::copy(AFTER, &profile).unwrap();
    let original = fs::read(&profile).unwrap();
    let error = snapshot::write(&profile, "text", &[profile.as_path()]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("input profile"), "{error}");
    // Through another spelling of the same path.
    let dotted = dir.path().join(".").join("after.prof");
    assert!(snapshot::write(&dotted, "text", &[profile.as_path()]).is_err());
    #[cfg(unix)]
    {
        let link = dir.path().join("link.snapshot");
        std::os::unix::fs::symlink(&profile, &link).unwrap();
        assert!(snapshot::write(&link, "text", &[profile.as_path()]).is_err());
    }
    assert_eq!(fs::read(&profile).unwrap(), original);
    // `-` (stdin) is never a file to protect; a fresh path is fine.
    let fresh = dir.path().join("new.snapshot");
    snapshot::write(&fresh, "text\n", &[Path::new("-"), profile.as_path()]).unwrap();
    assert_eq!(fs::read_to_string(&fresh).unwrap(), "text\n");
}

/// Found by fuzzing (fuzz/regressions/snapshot-band-floor-unit-change.bin):
/// a snapshot with a `# band:` line in milliseconds, checked against a
/// profile counting samples, proposed a text (what `--update` writes) that
/// did not read back, because the floor stayed in milliseconds.
#[test]
fn a_band_line_follows_the_profile_unit_when_it_changes() {
    let text = include_str!("../../fuzz/regressions/snapshot-band-floor-unit-change.bin");
    assert!(text.contains("# band: ±50%  noise floor: 1ms"));
    let profile = profdiff::input::parse(
        b"main;app.py:f;app.py:g 5\nmain;app.py:f 2\n",
        "stacks.folded",
        profdiff::Format::Folded,
    )
    .unwrap();
    let outcome = profdiff::snapshot::check(&profile, text, &Default::default()).unwrap();
    assert!(
        outcome.actual.contains("# band: ±50%"),
        "{}",
        outcome.actual
    );
    assert!(!outcome.actual.contains("1ms"), "{}", outcome.actual);
    let again = profdiff::snapshot::check(&profile, &outcome.actual, &Default::default())
        .expect("the proposed snapshot reads back");
    assert_eq!(again.actual, outcome.actual);
}
