//! Causes lead the report: the call counts that changed at their origin,
//! on the seed scenario, a real library upgrade, the hint fixtures and
//! sampled profiles. Call counts come from Python's pstats views of the
//! fixtures; the seed's story from fixtures/seed/README (fixtures/README.md).

use std::collections::HashMap;

use serde_json::Value;

use crate::{profdiff, stderr, stdout};

fn json(args: &[&str]) -> Value {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = profdiff(&all);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn keys(doc: &Value) -> Vec<&str> {
    doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect()
}

/// pstats' `nc` of the function at (file suffix, line, name) in an expected
/// JSON.
fn pstats_calls(path: &str, file_suffix: &str, line: u64, name: &str) -> u64 {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["file"].as_str().unwrap().ends_with(file_suffix)
                && f["line"] == line
                && f["name"] == name
        })
        .map(|f| f["nc"].as_u64().unwrap())
        .sum()
}

#[test]
fn the_seed_diff_leads_with_the_boto3_clients() {
    let doc = json(&["fixtures/seed/before.prof", "fixtures/seed/after.prof"]);
    let causes = keys(&doc);
    // The helpers stopped creating resources and clients in the handler
    // (fixtures/seed/README: three resources, two clients).
    assert!(
        causes[0] == "boto3/__init__.py:resource" || causes[0] == "boto3/__init__.py:client",
        "{causes:?}"
    );
    assert!(causes.contains(&"boto3/__init__.py:resource"), "{causes:?}");
    assert!(causes.contains(&"boto3/__init__.py:client"), "{causes:?}");
    // Thousands fewer isinstance and dict.get calls only follow from that.
    for consequence in [
        "{built-in method builtins.isinstance}",
        "{method 'get' of 'dict' objects}",
    ] {
        assert!(!causes.contains(&consequence), "{consequence} is a cause");
    }
    let first = &doc["causes"][0];
    assert_eq!(first["hints"][0]["rule"], "aws-client-per-invocation");
    // Every call-count change of resource's callers that moved it is listed
    // with both counts: load_customer called it once, then not at all.
    let callers: HashMap<&str, (&Value, &Value)> = doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "boto3/__init__.py:resource")
        .unwrap()["callers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap(),
                (&c["calls"]["base"], &c["calls"]["new"]),
            )
        })
        .collect();
    assert_eq!(
        callers["handler.py:load_customer"],
        (&Value::from(1), &Value::Null)
    );
    // create_client 6 → 1 follows from the boto3 changes.
    let follows = doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["consequences"].as_array().unwrap())
        .find(|c| c["key"] == "botocore/session.py:create_client")
        .expect("create_client follows from a cause");
    assert_eq!(
        (&follows["calls"]["base"], &follows["calls"]["new"]),
        (&Value::from(6), &Value::from(1))
    );

    // The text shows the hint under the first cause.
    let output = profdiff(&[
        "diff",
        "fixtures/seed/before.prof",
        "fixtures/seed/after.prof",
    ]);
    let text = stdout(&output);
    assert!(
        text.contains("hint: a boto3 client or resource created inside the handler"),
        "{text}"
    );
}

#[test]
fn a_real_upgrade_has_tens_of_causes_each_a_call_count_change() {
    let doc = json(&[
        "fixtures/realworld/black-23.12.1.prof.gz",
        "fixtures/realworld/black-24.8.0.prof.gz",
    ]);
    let causes = doc["causes"].as_array().unwrap();
    assert!(
        (5..100).contains(&causes.len()),
        "{} causes: {:?}",
        causes.len(),
        keys(&doc)
    );
    for cause in causes {
        let delta = cause["calls"]["delta"].as_i64().unwrap();
        let own = cause["own_calls"].as_f64().unwrap();
        assert!(delta != 0, "{}", cause["key"]);
        assert!(
            own * delta as f64 > 0.0,
            "{}: own {own}, Δ {delta}",
            cause["key"]
        );
        assert!(
            cause["moved"].as_f64().unwrap().abs() > doc["summary"]["threshold"].as_f64().unwrap()
        );
    }
}

#[test]
fn effects_add_up_to_the_inclusive_change_on_every_matched_row() {
    for (base, new) in [
        ("fixtures/seed/before.prof", "fixtures/seed/after.prof"),
        (
            "fixtures/realworld/black-23.12.1.prof.gz",
            "fixtures/realworld/black-24.8.0.prof.gz",
        ),
        (
            "fixtures/realworld/black-24.8.0.prof.gz",
            "fixtures/realworld/black-24.8.0.p2c.callgrind.gz",
        ),
    ] {
        let doc = json(&[base, new, "--no-causes"]);
        let mut checked = 0;
        for row in doc["functions"].as_array().unwrap() {
            let both = row["calls"]["base"].is_u64() && row["calls"]["new"].is_u64();
            let effect = &row["effect"];
            if !both {
                assert!(effect.is_null(), "{}", row["key"]);
                continue;
            }
            let delta = row["inclusive_time"]["delta"].as_f64().unwrap();
            let sum = effect["calls"].as_f64().unwrap() + effect["per_call"].as_f64().unwrap();
            assert!(
                (sum - delta).abs() <= 1e-12 * delta.abs().max(1e-3),
                "{}: {sum} vs {delta}",
                row["key"]
            );
            checked += 1;
        }
        assert!(checked > 1000, "{base}: {checked} rows");
    }
}

#[test]
fn each_hint_fires_on_its_fixture() {
    for (name, rule, file, function) in [
        (
            "regex",
            "regex-compile-per-call",
            "re/__init__.py",
            "compile",
        ),
        ("json", "json-parse-per-call", "json/__init__.py", "loads"),
        (
            "logging",
            "logger-per-call",
            "logging/__init__.py",
            "getLogger",
        ),
    ] {
        let before = format!("fixtures/hints/{name}_before.prof");
        let after = format!("fixtures/hints/{name}_after.prof");
        let doc = json(&[&before, &after]);
        let cause = &doc["causes"][0];
        // logging has two getLogger (the module's and Manager's): numbered.
        let key = cause["key"].as_str().unwrap();
        let want = format!("{file}:{function}");
        assert!(
            key == want || key.starts_with(&format!("{want}#")),
            "{name}: {key}"
        );
        assert_eq!(cause["hints"][0]["rule"], rule, "{name}");
        // The counts are pstats', for the function at the cause's line.
        let display = cause["display"].as_str().unwrap();
        let line: u64 = display
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split(['(', '→']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{display}"));
        let expected = |side: &str| {
            pstats_calls(
                &format!("fixtures/hints/{name}_{side}.expected.json"),
                file,
                line,
                function,
            )
        };
        assert_eq!(cause["calls"]["base"].as_u64().unwrap(), expected("before"));
        assert_eq!(cause["calls"]["new"].as_u64().unwrap(), expected("after"));
        assert!(expected("before") > 1000 * expected("after"), "{name}");
        // The other way round, the same hint: the waste is on the new side.
        let doc = json(&[&after, &before]);
        assert_eq!(
            doc["causes"][0]["hints"][0]["rule"], rule,
            "{name} reversed"
        );
    }
}

#[test]
fn sampled_profiles_say_there_is_no_cause_analysis() {
    let doc = json(&[
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
    ]);
    assert_eq!(doc["causes"], Value::Array(Vec::new()));
    let notes = doc["summary"]["notes"].to_string();
    assert!(notes.contains("no cause analysis"), "{notes}");
    let output = profdiff(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
    ]);
    assert!(stdout(&output).contains("note: no cause analysis"));
}

#[test]
fn no_causes_leaves_the_section_out() {
    let doc = json(&[
        "fixtures/seed/before.prof",
        "fixtures/seed/after.prof",
        "--no-causes",
    ]);
    assert!(doc.get("causes").is_none());
    let output = profdiff(&[
        "diff",
        "fixtures/seed/before.prof",
        "fixtures/seed/after.prof",
        "--no-causes",
    ]);
    assert!(!stdout(&output).contains("causes:"));
}

#[test]
fn only_keeps_the_kinds_asked_for_in_every_format_and_the_gate() {
    let (base, new) = (
        "fixtures/realworld/black-23.12.1.prof.gz",
        "fixtures/realworld/black-24.8.0.prof.gz",
    );
    let all = json(&[base, new]);
    let status_count = |status: &str| {
        all["functions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == status)
            .count()
    };
    for (kind, status) in [
        ("added", "added"),
        ("removed", "removed"),
        ("changed", "changed"),
    ] {
        let doc = json(&[base, new, "--only", kind]);
        let rows = doc["functions"].as_array().unwrap();
        assert_eq!(rows.len(), status_count(status), "{kind}");
        assert!(rows.iter().all(|f| f["status"] == status), "{kind}");
    }
    let regressions = json(&[base, new, "--only", "regressions"]);
    let improvements = json(&[base, new, "--only", "improvements"]);
    let (worse, better) = (
        regressions["functions"].as_array().unwrap(),
        improvements["functions"].as_array().unwrap(),
    );
    assert!(!worse.is_empty() && !better.is_empty());
    for f in worse {
        let grew = f["status"] == "added"
            || f["inclusive_time"]["delta"].as_f64().unwrap_or(0.0) > 0.0
            || f["calls"]["delta"].as_i64().unwrap_or(0) > 0
            || f["self_time"]["delta"].as_f64().unwrap_or(0.0) > 0.0;
        assert!(grew, "{} is no regression", f["key"]);
    }
    let worse_keys: Vec<&Value> = worse.iter().map(|f| &f["key"]).collect();
    assert!(better.iter().all(|f| !worse_keys.contains(&&f["key"])));
    // Repeatable: the union.
    let both = json(&[base, new, "--only", "added", "--only", "removed"]);
    assert_eq!(
        both["functions"].as_array().unwrap().len(),
        status_count("added") + status_count("removed")
    );
    // Markdown keeps the same rows.
    let output = profdiff(
        &[base, new, "--only", "removed", "--format", "markdown"]
            .iter()
            .copied()
            .fold(vec!["diff"], |mut v, a| {
                v.push(a);
                v
            }),
    );
    let markdown = stdout(&output);
    assert!(markdown.contains("| removed |"), "{markdown}");
    assert!(
        !markdown.contains("| added |"),
        "an added row in --only removed:\n{markdown}"
    );

    // The gate judges only those rows: removed functions never fail it.
    crate::run_ok(&[
        "diff",
        base,
        new,
        "--only",
        "removed",
        "--fail-on-regression",
    ]);
    let output = profdiff(&["diff", base, new, "--only", "added", "--fail-on-regression"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // Several runs have no such kinds.
    let output = profdiff(&[
        "diff",
        "--base",
        "fixtures/runs/before",
        "--new",
        "fixtures/runs/after",
        "--only",
        "added",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--only"));
}
