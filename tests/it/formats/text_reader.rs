//! pstats text against Python's pstats view of the binary dump of the same run.

use std::collections::HashMap;

use profdiff::formats::pstats;
use profdiff::formats::pstats_text::{self, TextOptions};
use profdiff::model::{FunctionKind, Profile};
use profdiff::Position;
use serde_json::Value;

use super::*;

/// A pstats key: (file, line, name).
type Key = (String, i64, String);

/// Python's pstats numbers per key: (cc, nc, tt, ct).
type Expected = HashMap<Key, (u64, u64, f64, f64)>;

/// Python's pstats view of the paired dump, merged the way strip_dirs()
/// merges it when `strip`: key (basename, line, name) → (cc, nc, tt, ct).
fn expected_stripped(path: &str, strip: bool) -> Expected {
    let json: Value = serde_json::from_slice(&fixture(path)).unwrap();
    let mut merged = HashMap::new();
    for f in json["functions"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        let file = if strip {
            file.rsplit('/').next().unwrap()
        } else {
            file
        };
        let key = (
            file.to_string(),
            f["line"].as_i64().unwrap(),
            f["name"].as_str().unwrap().to_string(),
        );
        let entry = merged.entry(key).or_insert((0, 0, 0.0, 0.0));
        entry.0 += f["cc"].as_u64().unwrap();
        entry.1 += f["nc"].as_u64().unwrap();
        entry.2 += f["tt"].as_f64().unwrap();
        entry.3 += f["ct"].as_f64().unwrap();
    }
    merged
}

fn check_text_against_dump(profile: &Profile, expected: &Expected, listed_all: bool) {
    if listed_all {
        assert_eq!(profile.functions.len(), expected.len());
    }
    for f in &profile.functions {
        let key = (
            f.file.clone().unwrap(),
            i64::from(f.line.unwrap()),
            f.name.clone(),
        );
        let &(cc, nc, tt, ct) = expected
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} not in the dump"));
        assert_eq!(f.calls, Some(nc.max(cc)), "{key:?}");
        assert_eq!(f.primitive_calls, Some(nc.min(cc)), "{key:?}");
        // %8.3f rounds to the nearest millisecond.
        assert!(
            close(f.self_cost, tt, 0.0005 + 1e-9),
            "{key:?} tottime {} vs {tt}",
            f.self_cost
        );
        assert!(
            close(f.inclusive_cost, ct, 0.0005 + 1e-9),
            "{key:?} cumtime {} vs {ct}",
            f.inclusive_cost
        );
    }
}

#[test]
fn text_matches_the_binary_dump_of_the_same_run() {
    let expected = expected_stripped("fixtures/text/seed_after_paired.expected.json.gz", true);
    let profile = parse_text("fixtures/text/seed_after_paired.txt");
    check_text_against_dump(&profile, &expected, true);
    assert_eq!(profile.meta.precision, Some(0.001));
    assert_eq!(profile.meta.producer.as_deref(), Some("cProfile"));
    assert!(profile.meta.notes.is_empty(), "{:?}", profile.meta.notes);
    let builtin = profile
        .functions
        .iter()
        .find(|f| f.name == "<built-in method builtins.exec>")
        .unwrap();
    assert_eq!(
        (builtin.file.as_deref(), builtin.line, builtin.kind),
        (Some("~"), Some(0), FunctionKind::Builtin)
    );
    assert!(profile
        .functions
        .iter()
        .any(|f| f.name == "<method 'get' of 'dict' objects>"));
}

#[test]
fn text_without_strip_dirs_keys_like_the_binary_dump() {
    let expected = expected_stripped("fixtures/text/seed_after_paired.expected.json.gz", false);
    let profile = parse_text("fixtures/text/seed_after_paired_fullpaths.txt.gz");
    check_text_against_dump(&profile, &expected, true);
    // The same names and calls as the binary reader gives.
    let dump = pstats::parse(&fixture("fixtures/text/seed_after_paired.prof"), "x").unwrap();
    type DumpKey<'p> = (&'p Option<String>, &'p Option<u32>, &'p str);
    let calls: HashMap<DumpKey<'_>, Option<u64>> = dump
        .functions
        .iter()
        .map(|f| ((&f.file, &f.line, f.name.as_str()), f.calls))
        .collect();
    for f in &profile.functions {
        assert_eq!(
            calls.get(&(&f.file, &f.line, f.name.as_str())),
            Some(&f.calls),
            "{}",
            f.name
        );
    }
}

#[test]
fn log_prefixed_text_reads_like_the_plain_text() {
    let plain = parse_text("fixtures/text/seed_after_paired.txt");
    for path in [
        "fixtures/text/seed_after_paired_cloudwatch.txt.gz",
        "fixtures/text/seed_after_paired_lambda.txt.gz",
    ] {
        let logged = parse_text(path);
        assert_eq!(logged.functions, plain.functions, "{path}");
    }
}

#[test]
fn restricted_listing_is_partial_and_noted() {
    let expected = expected_stripped("fixtures/text/seed_after_paired.expected.json.gz", false);
    let profile = parse_text("fixtures/text/seed_after_paired_top25.txt");
    assert_eq!(profile.functions.len(), 25);
    check_text_against_dump(&profile, &expected, false);
    let total = expected.len();
    let note = format!("list reduced from {total} to 25 functions");
    assert!(
        profile.meta.notes.iter().any(|n| n.contains(&note)),
        "{:?}",
        profile.meta.notes
    );
}

#[test]
fn cprofile_text_adds_up_to_its_header() {
    for path in [
        "fixtures/text/seed_before.txt",
        "fixtures/text/seed_after.txt.gz",
        "fixtures/text/seed_after_s_tottime.txt.gz",
    ] {
        let text = fixture_text(path);
        let header = text.lines().find(|l| l.contains("function calls")).unwrap();
        let numbers: Vec<u64> = header
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        let profile = parse_text(path);
        assert_eq!(profile.total_calls(), Some(numbers[0]), "{path}");
        assert_eq!(profile.total_primitive_calls(), Some(numbers[1]), "{path}");
        assert!(
            profile.meta.notes.is_empty(),
            "{path}: {:?}",
            profile.meta.notes
        );
    }
}

/// recursive.py is deterministic: its call counts are the same in every run,
/// so text from one run matches the committed binary dumps of another.
#[test]
fn recursive_text_call_counts_match_the_pstats_fixtures() {
    for (text, dump) in [
        (
            "fixtures/text/recursive_cprofile_py311.txt",
            "fixtures/pstats/cprofile_py311.expected.json",
        ),
        (
            "fixtures/text/recursive_cprofile_py27.txt",
            "fixtures/pstats/cprofile_py27.expected.json",
        ),
        (
            "fixtures/text/recursive_profile_py311.txt",
            "fixtures/pstats/profile_py311.expected.json",
        ),
    ] {
        let expected = expected_stripped_tolerant(dump);
        let profile = parse_text(text);
        let mut compared = 0;
        for f in &profile.functions {
            if f.kind == FunctionKind::Synthetic {
                continue; // code-object names carry a run-specific address
            }
            let key = (
                f.file.clone().unwrap(),
                i64::from(f.line.unwrap()),
                f.name.clone(),
            );
            let &(cc, nc) = expected
                .get(&key)
                .unwrap_or_else(|| panic!("{text}: {key:?}"));
            assert_eq!(
                (f.calls, f.primitive_calls),
                (Some(nc.max(cc)), Some(nc.min(cc))),
                "{text}: {key:?}"
            );
            compared += 1;
        }
        assert!(compared >= 15, "{text}: {compared}");
    }
}

/// Like `expected_stripped` but skips code-object keys (profile module).
fn expected_stripped_tolerant(path: &str) -> HashMap<Key, (u64, u64)> {
    let json: Value = serde_json::from_slice(&fixture(path)).unwrap();
    json["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let name = f["name"].as_str()?;
            let file = f["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            Some((
                (file, f["line"].as_i64().unwrap(), name.to_string()),
                (f["cc"].as_u64().unwrap(), f["nc"].as_u64().unwrap()),
            ))
        })
        .collect()
}

#[test]
fn malformed_text_names_the_line() {
    let text = fixture_text("fixtures/text/seed_after_paired.txt");
    let (line_no, row) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("(handler)"))
        .unwrap();
    let broken = text.replace(row, &row.replacen("0.", "0,", 1));
    let error = pstats_text::parse(broken.as_bytes(), "x", &TextOptions::default()).unwrap_err();
    assert_eq!(
        error.position,
        Position::Line(line_no as u64 + 1),
        "{error}"
    );
}
