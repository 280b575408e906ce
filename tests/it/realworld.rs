//! Verdicts on real code: profiles of black, a program nobody on the project
//! wrote (fixtures/realworld/README.md). Expectations come from black's
//! source (`black-pairs.json`), Python's pstats (`*.expected.json.gz`) and
//! the producers, never from profdiff.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use profdiff::align::{self, AlignOptions};
use profdiff::input::{self, LoadOptions};
use profdiff::Profile;
use serde_json::Value;

use crate::{profdiff, stdout};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/realworld")
        .join(name)
}

pub fn load(name: &str) -> Profile {
    let path = fixture(name);
    input::load(path.to_str().unwrap(), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A recorded path as `black-pairs.json` names it: below `site-packages/`,
/// or `STDLIB/…` for the standard library.
fn oracle_file(path: &str) -> Option<String> {
    if let Some((_, rest)) = path.split_once("/site-packages/") {
        return Some(rest.to_string());
    }
    path.split_once("/lib/python3.11/")
        .map(|(_, rest)| format!("STDLIB/{rest}"))
}

/// (file, name, line) → function id, for one profile.
fn index(profile: &Profile) -> HashMap<(String, String, u32), usize> {
    profile
        .functions
        .iter()
        .enumerate()
        .filter_map(|(id, f)| {
            let file = oracle_file(f.file.as_deref()?)?;
            Some(((file, f.name.clone(), f.line?), id))
        })
        .collect()
}

fn oracle() -> Value {
    let text = std::fs::read_to_string(fixture("black-pairs.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn location(entry: &Value, line_field: &str) -> (String, String, u32) {
    (
        entry["file"].as_str().unwrap().to_string(),
        entry["name"].as_str().unwrap().to_string(),
        entry[line_field].as_u64().unwrap() as u32,
    )
}

#[test]
fn same_name_functions_pair_where_their_code_went() {
    let base = load("black-23.12.1.prof.gz");
    let new = load("black-24.8.0.prof.gz");
    let aligned = align::align(&base, &new, &AlignOptions::default());
    let (base_index, new_index) = (index(&base), index(&new));
    let mut row_of_base = vec![usize::MAX; base.functions.len()];
    let mut row_of_new = vec![usize::MAX; new.functions.len()];
    for (row, a) in aligned.iter().enumerate() {
        if let Some(id) = a.base {
            row_of_base[id] = row;
        }
        if let Some(id) = a.new {
            row_of_new[id] = row;
        }
    }
    let oracle = oracle();

    // Every pair of identical code (unique text in both versions) is one row,
    // apart from two module-level dictcomps of tokenize.py that a profile
    // cannot tell apart (fixtures/realworld/README.md): each is called once
    // by `<module>`, between the same neighbours as six others.
    let pairs = oracle["pairs"].as_array().unwrap();
    assert!(pairs.len() > 200, "{} pairs", pairs.len());
    let mut unpaired = Vec::new();
    for pair in pairs {
        let x = base_index[&location(pair, "base_line")];
        let y = new_index[&location(pair, "new_line")];
        if row_of_base[x] != row_of_new[y] {
            let (bx, ny) = (&aligned[row_of_base[x]], &aligned[row_of_new[y]]);
            assert!(
                bx.new.is_none() && ny.base.is_none(),
                "{pair}: paired with other code ({bx:?}, {ny:?})"
            );
            unpaired.push(format!(
                "{} {} {}",
                pair["file"].as_str().unwrap(),
                pair["name"].as_str().unwrap(),
                pair["base_line"]
            ));
        }
    }
    assert_eq!(
        unpaired,
        [
            "blib2to3/pgen2/tokenize.py <dictcomp> 173",
            "blib2to3/pgen2/tokenize.py <dictcomp> 174"
        ]
    );

    // No row pairs two different pieces of code when either still exists
    // unchanged in the other version.
    let hash_of = |side: &str| -> HashMap<(String, String, u32), String> {
        oracle["functions"][side]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (location(f, "line"), f["sha1"].as_str().unwrap().to_string()))
            .collect()
    };
    let (base_hash, new_hash) = (hash_of("base"), hash_of("new"));
    let texts = |file: &str, side: &str| -> HashSet<String> {
        oracle["files"][file][side]
            .as_array()
            .map(|a| a.iter().map(|h| h.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut checked = 0;
    for row in &aligned {
        let (Some(x), Some(y)) = (row.base, row.new) else {
            continue;
        };
        let (fx, fy) = (&base.functions[x], &new.functions[y]);
        let Some(file) = fx.file.as_deref().and_then(oracle_file) else {
            continue;
        };
        let bx = (file.clone(), fx.name.clone(), fx.line.unwrap_or(0));
        let ny = (
            fy.file.as_deref().and_then(oracle_file).unwrap(),
            fy.name.clone(),
            fy.line.unwrap_or(0),
        );
        let (Some(hx), Some(hy)) = (base_hash.get(&bx), new_hash.get(&ny)) else {
            continue;
        };
        checked += 1;
        if hx != hy {
            assert!(
                !texts(&file, "new_texts").contains(hx) && !texts(&file, "base_texts").contains(hy),
                "{} paired with {}: each has an unchanged twin elsewhere",
                row.key,
                fy.line.unwrap()
            );
        }
    }
    assert!(checked > 200, "{checked} rows of repeated names checked");
}

#[test]
fn the_moved_genexpr_is_not_a_change_in_calls() {
    // black/linegen.py, `rhs_head_contains_brackets = any(`: line 921 in
    // 23.12.1, 960 in 24.8.0 (black's source); 153 calls in both (pstats).
    let output = profdiff(&[
        "diff",
        "fixtures/realworld/black-23.12.1.prof.gz",
        "fixtures/realworld/black-24.8.0.prof.gz",
        "--include",
        r"linegen\.py:<genexpr>",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let doc: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rows = doc["functions"].as_array().unwrap();
    let moved = rows
        .iter()
        .find(|r| r["line"]["base"] == 921)
        .expect("the genexpr at 921");
    assert_eq!(moved["line"]["new"], 960);
    assert_eq!(moved["calls"]["base"], 153);
    assert_eq!(moved["calls"]["new"], 153);
    assert!(rows
        .iter()
        .all(|r| r["line"]["new"] != 960 || r["line"]["base"] == 921));

    let gate = profdiff(&[
        "diff",
        "fixtures/realworld/black-23.12.1.prof.gz",
        "fixtures/realworld/black-24.8.0.prof.gz",
        "--include",
        r"linegen\.py:<genexpr>",
        "--fail-on-regression",
    ]);
    // The one genexpr that is new code (line 1045, 24 calls) fails the gate;
    // the moved one does not.
    let err = crate::stderr(&gate);
    assert_eq!(gate.status.code(), Some(1), "{err}");
    assert!(err.contains("linegen.py:1045(<genexpr>)"), "{err}");
    assert!(!err.contains(":960"), "{err}");
}

/// `diff --format json` of two files, parsed.
fn diff_json(base: &str, new: &str) -> Value {
    let output = profdiff(&["diff", base, new, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn a_profile_against_its_own_conversions_shows_no_change() {
    let dir = tempfile::tempdir().unwrap();
    // cProfile, the profile module (int callers, code-object keys),
    // pyinstrument through speedscope (no call counts), pyprof2calltree.
    for (name, targets) in [
        ("black-24.8.0.prof.gz", &["callgrind", "pstats"][..]),
        ("small-profile.prof", &["callgrind", "pstats"][..]),
        ("small-pyinstrument.json.gz", &["callgrind", "pstats"][..]),
        (
            "black-24.8.0.p2c.callgrind.gz",
            &["callgrind", "pstats"][..],
        ),
    ] {
        let source = fixture(name);
        let source = source.to_str().unwrap();
        for to in targets {
            let out = dir.path().join(format!("{name}.{to}"));
            let out = out.to_str().unwrap();
            let convert = profdiff(&["convert", source, "--to", to, "-o", out]);
            assert_eq!(
                convert.status.code(),
                Some(0),
                "{}",
                crate::stderr(&convert)
            );
            let doc = diff_json(source, out);
            let summary = &doc["summary"];
            let functions = doc["functions"].as_array().unwrap();
            assert!(functions.len() > 100, "{name} → {to}");
            assert_eq!(
                (&summary["added"], &summary["removed"], &summary["changed"]),
                (&Value::from(0), &Value::from(0), &Value::from(0)),
                "{name} → {to}"
            );
            assert_eq!(summary["total_time"]["delta"], 0.0, "{name} → {to}");
            for f in functions {
                for field in ["calls", "primitive_calls", "self_time", "inclusive_time"] {
                    let delta = &f[field]["delta"];
                    assert!(
                        delta.is_null() || delta.as_f64() == Some(0.0),
                        "{name} → {to}: {} {field} {delta}",
                        f["key"]
                    );
                }
            }
        }
    }
}

#[test]
fn pyprof2calltree_conversion_changes_almost_nothing() {
    // The same profile, as KCachegrind users hold it: pyprof2calltree keeps
    // no primitive calls and no call into a root, and its per-edge costs
    // leave the inclusive cost of mutually recursive functions a range.
    let doc = diff_json(
        "fixtures/realworld/black-24.8.0.prof.gz",
        "fixtures/realworld/black-24.8.0.p2c.callgrind.gz",
    );
    let summary = &doc["summary"];
    let total = doc["functions"].as_array().unwrap().len();
    let changed = summary["changed"].as_u64().unwrap() as usize;
    assert_eq!(total, 1675);
    assert!(changed * 100 <= total, "{changed} of {total} changed");
    assert_eq!(
        (&summary["added"], &summary["removed"]),
        (&Value::from(0), &Value::from(0))
    );
    // Primitive calls the callgrind side lacks are no change.
    assert!(summary["primitive_calls"]["delta"].is_null());
    assert!(
        summary["total_calls"]["delta"].is_null(),
        "roots have no count there"
    );

    // Where the reader gives a range, pstats' own cumtime lies in it.
    let expected = {
        let file = std::fs::File::open(fixture("black-24.8.0.expected.json.gz")).unwrap();
        let doc: Value = serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap();
        doc["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let key = (
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["name"].as_str().unwrap().to_string(),
                );
                // pyprof2calltree drops calls that have no caller (the
                // profiler's own call of the program): where pstats counts
                // more calls than its callers made, the file lacks cost too.
                let from_callers: u64 = f["callers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["nc"].as_u64().unwrap())
                    .sum();
                let complete = from_callers == f["nc"].as_u64().unwrap();
                (key, (f["ct"].as_f64().unwrap(), complete))
            })
            .collect::<HashMap<_, _>>()
    };
    let mut ranges = 0;
    for f in doc["functions"].as_array().unwrap() {
        let Some(least) = f["inclusive_min"]["new"].as_f64() else {
            continue;
        };
        ranges += 1;
        let most = f["inclusive_time"]["new"].as_f64().unwrap();
        let key = (
            f["file"]["base"].as_str().unwrap().to_string(),
            f["line"]["base"].as_u64().unwrap(),
            f["name"].as_str().unwrap().to_string(),
        );
        let (ct, complete) = expected[&key];
        if !complete {
            continue;
        }
        // pyprof2calltree truncates every edge cost to whole nanoseconds.
        // At the program's root (whose own call from the profiler pyprof2calltree
        // drops) cProfile's per-edge and per-function clocks differ by a few µs.
        let slack = 1e-5;
        assert!(
            least - slack <= ct && ct <= most + slack,
            "{key:?}: cumtime {ct} outside [{least}, {most}]"
        );
        assert_eq!(f["status"], "unchanged", "{key:?}");
    }
    assert!(ranges > 50, "{ranges} ranges");
}
