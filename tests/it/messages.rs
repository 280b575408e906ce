//! What the user reads when two inputs cannot be compared as given, and
//! small points of the report's wording.

use serde_json::Value;

use crate::{profdiff, stderr, stdout};

#[test]
fn samples_against_seconds_suggest_a_sample_rate() {
    let output = profdiff(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/seed/before.prof",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("the units differ"), "{err}");
    assert!(
        err.contains("fixtures/folded/pyspy_before.txt counts samples")
            && err.contains("--sample-rate"),
        "{err}"
    );
    // With the rate, they compare.
    crate::run_ok(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/seed/before.prof",
        "--sample-rate",
        "100",
    ]);
}

#[test]
fn a_directory_and_a_file_given_to_diff_point_at_suites_and_runs() {
    // Two directories are a suite (tests/it/suite.rs); a directory and a
    // file are neither, and the message says what each would be.
    let output = profdiff(&["diff", "fixtures/runs/before", "fixtures/seed/after.prof"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("fixtures/runs/before: is a directory but fixtures/seed/after.prof is not"),
        "{err}"
    );
    assert!(err.contains("two directories"), "{err}");
    assert!(err.contains("--base") && err.contains("--new"), "{err}");
}

#[test]
fn several_runs_json_rows_carry_file_and_line() {
    let printed = crate::run_ok(&[
        "diff",
        "--base",
        "fixtures/runs/before",
        "--new",
        "fixtures/runs/after",
        "--include",
        "session.py:create_client",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&printed.clone()).unwrap();
    let row = &doc["functions"][0];
    assert_eq!(row["key"], "botocore/session.py:create_client");
    for side in ["base", "new"] {
        assert!(
            row["file"][side]
                .as_str()
                .unwrap()
                .ends_with("site-packages/botocore/session.py"),
            "{row}"
        );
        // botocore 1.43.11's Session.create_client (fixtures/seed/README).
        assert_eq!(row["line"][side], 846, "{row}");
    }
}

#[test]
fn one_sample_is_singular() {
    // Two py-spy runs whose threshold rounds to one sample.
    let output = profdiff(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
        "--threshold",
        "1",
    ]);
    let out = stdout(&output);
    assert!(out.contains("cost within 1 sample)"), "{out}");
}

#[test]
fn names_numbers_and_zero_deltas_read_cleanly() {
    // cProfile names some builtins with the address of an object, which
    // differs on every run: tables leave it out, as keys do.
    let output = profdiff(&[
        "show",
        "fixtures/realworld/small-cprofile.prof",
        "--top",
        "0",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let functions = doc["functions"].as_array().unwrap();
    let with_address = functions
        .iter()
        .filter(|f| f["name"].as_str().unwrap().contains(" at 0x"))
        .count();
    assert!(with_address > 0, "the fixture has such names");
    assert!(functions
        .iter()
        .all(|f| !f["display"].as_str().unwrap().contains(" at 0x")));

    // Counts in function rows are grouped like everywhere else, and a
    // difference far below a nanosecond prints as 0, not −0.00 ns.
    let output = profdiff(&[
        "diff",
        "fixtures/realworld/small-seed2.prof.gz",
        "fixtures/realworld/small-seed1.prof.gz",
        "--include",
        r"enum\.py:__hash__$",
        "--callers",
    ]);
    let out = stdout(&output);
    // pstats: 2,986 calls under seed 2, 3,028 under seed 1.
    assert!(out.contains("2,986 → 3,028"), "{out}");
    let output = profdiff(&[
        "diff",
        "fixtures/realworld/black-24.8.0.prof.gz",
        "fixtures/realworld/black-24.8.0.p2c.callgrind.gz",
        "--top",
        "0",
    ]);
    let out = stdout(&output);
    assert!(!out.contains("0.00 ns"), "{out}");
    // Self times agree to the nanosecond pyprof2calltree keeps: every Δself
    // cell is a plain 0.
    let zero_deltas = out
        .lines()
        .filter(|l| l.contains(" → ") && l.contains("  0  "))
        .count();
    assert!(zero_deltas > 1000, "{zero_deltas} rows with a 0 delta");
}

/// speedscope errors speak the schema's words, not Rust's (`expected struct
/// Event`), and quote at most a short piece of the input: an 85 KB file
/// used to produce a 25 KB error line.
#[test]
fn speedscope_errors_name_no_rust_types_and_cap_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let head = r#"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"#;
    let typed = dir.path().join("typed.speedscope.json");
    std::fs::write(
        &typed,
        format!(r#"{head}"evented","name":"x","unit":"seconds","startValue":0,"endValue":1,"events":[5]}}]}}"#),
    )
    .unwrap();
    let output = crate::profdiff(&["show", typed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = crate::stderr(&output);
    assert!(!message.contains("struct"), "{message}");
    assert!(
        message.contains("expected a speedscope object: Event"),
        "{message}"
    );

    let long = dir.path().join("long.speedscope.json");
    let weight = "x".repeat(30_000);
    std::fs::write(
        &long,
        format!(r#"{head}"sampled","name":"x","unit":"seconds","startValue":0,"endValue":1,"samples":[[0]],"weights":["{weight}"]}}]}}"#),
    )
    .unwrap();
    let output = crate::profdiff(&["show", long.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = crate::stderr(&output);
    assert!(message.len() < 400, "{} bytes: {message}", message.len());
    assert!(message.contains("long.speedscope.json"), "{message}");
}

/// A file name that is not UTF-8 is a file like any other: as an argument
/// and inside a runs or merge directory (it used to be refused without
/// naming the argument, and "not found" inside a directory).
#[cfg(unix)]
#[test]
fn non_utf8_paths_are_read() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let odd = runs.join(OsStr::from_bytes(b"run\xff.prof"));
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed/before.prof"),
        &odd,
    )
    .unwrap();
    let run = |args: &[&OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&[
        OsStr::new("show"),
        odd.as_os_str(),
        OsStr::new("--include"),
        OsStr::new("create_client"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("create_client"));
    let merged = dir.path().join("merged.prof");
    let output = run(&[
        OsStr::new("merge"),
        runs.as_os_str(),
        OsStr::new("-o"),
        merged.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert!(merged.exists());
}
