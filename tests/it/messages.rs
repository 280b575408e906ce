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
    let output = profdiff(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/seed/before.prof",
        "--sample-rate",
        "100",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_directory_given_to_diff_points_at_several_runs() {
    let output = profdiff(&["diff", "fixtures/runs/before", "fixtures/runs/after"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("fixtures/runs/before: is a directory"),
        "{err}"
    );
    assert!(err.contains("--base") && err.contains("--new"), "{err}");
}

#[test]
fn several_runs_json_rows_carry_file_and_line() {
    let output = profdiff(&[
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
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
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
