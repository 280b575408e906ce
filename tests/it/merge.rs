//! `merge::merge` against pstats' own `Stats.add`, and the pstats writer
//! against Python's `pstats` (fixtures/runs, made by make_runs.sh).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use profdiff::formats::pstats;
use profdiff::input::{self, LoadOptions};
use profdiff::{merge, Profile};
use serde_json::Value;

use crate::stats::runs;

fn fixture(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// fixtures/runs/before.merged.expected.json.gz: `s = pstats.Stats(run1);
/// s.add(run2); …; s.add(run5)` as tools/dump_expected.py prints it.
fn expected_sum() -> Value {
    let file = std::fs::File::open(fixture("fixtures/runs/before.merged.expected.json.gz"))
        .expect("fixtures/runs/before.merged.expected.json.gz (bash fixtures/runs/make_runs.sh)");
    serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
}

type Identity = (String, u32, String);

fn identity(entry: &Value) -> Identity {
    (
        entry["file"].as_str().unwrap().to_string(),
        entry["line"].as_u64().unwrap() as u32,
        entry["name"].as_str().unwrap().to_string(),
    )
}

fn identity_of(profile: &Profile, id: usize) -> Identity {
    let f = &profile.functions[id];
    (
        f.file.clone().unwrap_or_default(),
        f.line.unwrap_or(0),
        f.name.clone(),
    )
}

/// Asserts that `profile` holds exactly pstats' numbers: every entry and
/// every caller edge bit for bit, and nothing else but all-zero entries.
fn assert_equals_pstats_sum(profile: &Profile, expected: &Value) {
    let ids: HashMap<Identity, usize> = (0..profile.functions.len())
        .map(|id| (identity_of(profile, id), id))
        .collect();
    let by_callee = profile.edges_by_callee();
    let functions = expected["functions"].as_array().unwrap();
    let mut edges_checked = 0;
    for entry in functions {
        let key = identity(entry);
        let id = *ids.get(&key).unwrap_or_else(|| panic!("missing {key:?}"));
        let f = &profile.functions[id];
        assert_eq!(f.primitive_calls, entry["cc"].as_u64(), "cc of {key:?}");
        assert_eq!(f.calls, entry["nc"].as_u64(), "nc of {key:?}");
        // Bit-identical: same additions in the same order as pstats.
        assert_eq!(f.self_cost, entry["tt"].as_f64().unwrap(), "tt of {key:?}");
        assert_eq!(
            f.inclusive_cost,
            entry["ct"].as_f64().unwrap(),
            "ct of {key:?}"
        );
        let ours: HashMap<Identity, _> = by_callee[id]
            .iter()
            .map(|&e| {
                let edge = &profile.edges[e];
                (
                    identity_of(profile, edge.caller),
                    (
                        edge.calls(),
                        edge.primitive_calls(),
                        edge.self_cost(),
                        edge.inclusive_cost(),
                    ),
                )
            })
            .collect();
        let callers = entry["callers"].as_array().unwrap();
        assert_eq!(ours.len(), callers.len(), "callers of {key:?}");
        for caller in callers {
            let want = (
                caller["nc"].as_u64(),
                caller["cc"].as_u64(),
                caller["tt"].as_f64(),
                caller["ct"].as_f64(),
            );
            assert_eq!(
                ours.get(&identity(caller)),
                Some(&want),
                "edge into {key:?}"
            );
            edges_checked += 1;
        }
    }
    let listed: std::collections::HashSet<Identity> = functions.iter().map(identity).collect();
    for id in 0..profile.functions.len() {
        if !listed.contains(&identity_of(profile, id)) {
            let f = &profile.functions[id];
            assert_eq!(
                (f.calls, f.self_cost, f.inclusive_cost),
                (Some(0), 0.0, 0.0),
                "{} is not in pstats' sum",
                f.name
            );
        }
    }
    assert_eq!(profile.total_calls(), expected["total_calls"].as_u64());
    assert_eq!(
        profile.total_primitive_calls(),
        expected["primitive_calls"].as_u64()
    );
    // Σ tt in another order than pstats': equal to the last bits only.
    let total_tt = expected["total_tt"].as_f64().unwrap();
    assert!(((profile.total_cost() - total_tt) / total_tt).abs() < 1e-12);
    assert!(edges_checked > 4000, "only {edges_checked} edges checked");
}

/// Same functions and edges, compared by identity: our reader numbers
/// functions in the order it first sees them, callers included.
fn assert_same_profile(a: &Profile, b: &Profile) {
    let functions = |p: &Profile| -> HashMap<Identity, profdiff::Function> {
        (0..p.functions.len())
            .map(|id| (identity_of(p, id), p.functions[id].clone()))
            .collect()
    };
    let edges = |p: &Profile| -> Vec<String> {
        let mut list: Vec<String> = p
            .edges
            .iter()
            .map(|e| {
                format!(
                    "{:?} -> {:?}: {:?} {:?} {:?} {:?}",
                    identity_of(p, e.caller),
                    identity_of(p, e.callee),
                    e.calls(),
                    e.primitive_calls(),
                    e.self_cost().map(f64::to_bits),
                    e.inclusive_cost().map(f64::to_bits)
                )
            })
            .collect();
        list.sort();
        list
    };
    let (fa, fb) = (functions(a), functions(b));
    assert_eq!(fa.len(), fb.len());
    for (key, function) in &fa {
        assert!(fb.get(key) == Some(function), "{key:?} differs");
    }
    assert!(edges(a) == edges(b), "edges differ");
}

#[test]
fn merge_equals_pstats_stats_add() {
    let runs = runs("before");
    assert_eq!(runs.len(), 5);
    let merged = merge::merge(&runs).unwrap();
    assert_equals_pstats_sum(&merged, &expected_sum());
    // Five cold starts, each calling create_client six times.
    let create_client = merged
        .functions
        .iter()
        .find(|f| f.name == "create_client")
        .unwrap();
    assert_eq!(create_client.calls, Some(30));
    assert_eq!(
        merged.meta.path,
        "fixtures/runs/before/run1.prof (+4 merged)"
    );
}

/// Memory addresses in builtin names differ per run; pstats keys them apart
/// and so does a merge by raw identity (the alignment key would not).
#[test]
fn merge_keeps_per_run_builtin_addresses_apart_like_pstats() {
    let runs = runs("before");
    let merged = merge::merge(&runs).unwrap();
    let sockets = merged
        .functions
        .iter()
        .filter(|f| f.name.starts_with("<function socket.close at 0x"))
        .count();
    let per_run = runs[0]
        .functions
        .iter()
        .filter(|f| f.name.starts_with("<function socket.close at 0x"))
        .count();
    assert!(per_run <= 1);
    assert_eq!(sockets, per_run * runs.len());
}

/// The dump profdiff writes for the merged runs is committed
/// (fixtures/runs/before.merged.prof.gz) and python_load_check.txt records
/// Python 3.11 and 2.7 loading exactly those bytes and finding every number
/// identical to pstats' own sum. This test pins that our writer still
/// produces those bytes. `PROFDIFF_UPDATE_MERGED=1` (set by make_runs.sh)
/// rewrites the file instead.
#[test]
fn merged_dump_is_the_one_python_loaded() {
    let merged = merge::merge(&runs("before")).unwrap();
    let mut bytes = Vec::new();
    pstats::write(&merged, &mut bytes).unwrap();
    // Gzipped: 1 MB plain, as the writer uses no marshal refs (2.7 has none).
    let committed = fixture("fixtures/runs/before.merged.prof.gz");
    if std::env::var_os("PROFDIFF_UPDATE_MERGED").is_some_and(|v| v == "1") {
        // make_runs.sh then has Python check these bytes.
        let file = std::fs::File::create(&committed).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
        gz.write_all(&bytes).unwrap();
        gz.finish().unwrap();
        return;
    }
    let mut on_disk = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&committed).unwrap())
        .read_to_end(&mut on_disk)
        .unwrap();
    assert!(
        on_disk == bytes,
        "the pstats writer's output changed; rerun bash fixtures/runs/make_runs.sh \
         so Python checks the new bytes"
    );

    // Our own reader gets the merged profile back.
    let back = pstats::parse(&bytes, "before.merged.prof").unwrap();
    assert_same_profile(&back, &merged);
    assert_equals_pstats_sum(&back, &expected_sum());

    let check = std::fs::read_to_string(fixture("fixtures/runs/python_load_check.txt")).unwrap();
    let identical = check
        .lines()
        .filter(|l| l.starts_with("identical to pstats' Stats.add"))
        .count();
    assert_eq!(identical, 2, "{check}");
    assert!(check.contains("Python 3.11."), "{check}");
    assert!(check.contains("Python 2.7."), "{check}");
}

/// The `profile` module's int callers are summed as ints.
#[test]
fn merge_sums_profile_module_int_callers() {
    let path = "fixtures/pstats/profile_py311.prof";
    let one = input::load(&fixture(path), &LoadOptions::default()).unwrap();
    let twice = merge::merge(&[one.clone(), one.clone()]).unwrap();
    assert_eq!(twice.functions.len(), one.functions.len());
    assert_eq!(twice.edges.len(), one.edges.len());
    for (a, b) in one.functions.iter().zip(&twice.functions) {
        assert_eq!(b.calls, a.calls.map(|c| 2 * c));
        assert_eq!(b.self_cost, a.self_cost + a.self_cost);
    }
    for (a, b) in one.edges.iter().zip(&twice.edges) {
        assert_eq!(b.calls(), a.calls().map(|c| 2 * c));
        assert_eq!(b.inclusive_cost(), None);
    }
    // And it writes back as int callers that our reader takes for `profile`'s.
    let mut bytes = Vec::new();
    pstats::write(&twice, &mut bytes).unwrap();
    let back = pstats::parse(&bytes, "twice.prof").unwrap();
    assert_eq!(back.meta.producer.as_deref(), Some("profile"));
    assert_same_profile(&back, &twice);
}

#[test]
fn merge_refuses_mixed_units() {
    let a = runs("before").remove(0);
    let mut b = a.clone();
    b.meta.unit = profdiff::Unit::Event("Ir".into());
    let error = merge::merge(&[a, b]).unwrap_err().to_string();
    assert!(error.contains("the units differ"), "{error}");
}

/// `merge DIR` walks the tree (nested folders, hidden entries skipped) in
/// natural order, parses on every core, and still folds in that order: the
/// dump reads back bit-identical to pstats' `Stats.add` over run1…run5.
#[test]
fn merge_of_a_directory_tree_is_pstats_sum_in_path_order() {
    let tree = tempfile::tempdir().unwrap();
    let placed = [
        ("d1/run1.prof", "run1"),
        ("d1/run2.prof", "run2"),
        ("d2/run3.prof", "run3"),
        ("d2/sub/run4.prof", "run4"),
        ("d10/run5.prof", "run5"),
    ];
    for (path, run) in placed {
        let target = tree.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(fixture(&format!("fixtures/runs/before/{run}.prof")), target).unwrap();
    }
    std::fs::create_dir_all(tree.path().join(".cache")).unwrap();
    std::fs::write(tree.path().join(".cache/junk"), b"not a profile").unwrap();
    let out = tempfile::tempdir().unwrap();
    let merged_path = out.path().join("sum.prof");
    crate::run_ok(&[
        "merge",
        tree.path().to_str().unwrap(),
        "-o",
        merged_path.to_str().unwrap(),
    ]);
    let merged = pstats::parse(&std::fs::read(&merged_path).unwrap(), "sum.prof").unwrap();
    assert_equals_pstats_sum(&merged, &expected_sum());
}
