//! Every function of every committed pstats fixture must carry exactly the
//! numbers Python's own `pstats.Stats` reported for that file
//! (`*.expected.json`, written by fixtures/tools/dump_expected.py under the
//! same interpreter that made the dump).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use profdiff::input::{self, LoadOptions};
use profdiff::{FunctionKind, Profile};
use serde_json::Value;

fn fixture_dumps() -> Vec<PathBuf> {
    let mut dumps = Vec::new();
    for dir in ["fixtures/seed", "fixtures/pstats"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "prof") {
                dumps.push(path);
            }
        }
    }
    dumps.sort();
    dumps
}

/// The seed scenario's expectations are gzipped (a boto3 cold start has ~2,900
/// functions); the small ones are plain JSON.
fn expected_for(dump: &Path) -> Value {
    let plain = dump.with_extension("expected.json");
    let gzipped = dump.with_extension("expected.json.gz");
    if gzipped.exists() {
        let file = std::fs::File::open(&gzipped).unwrap();
        return serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap();
    }
    let text = std::fs::read_to_string(&plain).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (every fixture needs its pstats numbers)",
            plain.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// The name our reader gives a pstats key: the string, or for the `profile`
/// module's code-object names the description pstats would print.
fn expected_name(entry: &Value) -> String {
    match entry["name"].as_str() {
        Some(name) => name.to_string(),
        None => {
            let code = &entry["code"];
            format!(
                "<code object {}, file \"{}\", line {}>",
                code["co_name"].as_str().unwrap(),
                code["co_filename"].as_str().unwrap(),
                code["co_firstlineno"].as_i64().unwrap()
            )
        }
    }
}

type RawKey = (String, i64, String);

fn raw_key(entry: &Value) -> RawKey {
    (
        entry["file"].as_str().unwrap().to_string(),
        entry["line"].as_i64().unwrap(),
        expected_name(entry),
    )
}

fn index(profile: &Profile) -> HashMap<RawKey, usize> {
    profile
        .functions
        .iter()
        .enumerate()
        .map(|(id, f)| {
            (
                (
                    f.file.clone().unwrap(),
                    f.line.map_or(0, i64::from),
                    f.name.clone(),
                ),
                id,
            )
        })
        .collect()
}

#[test]
fn every_fixture_function_matches_pstats() {
    let dumps = fixture_dumps();
    assert!(
        dumps.len() >= 10,
        "expected the fixture set, found {dumps:?}"
    );
    for dump in dumps {
        let expected = expected_for(&dump);
        let profile = input::load(&dump, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let ids = index(&profile);
        let functions = expected["functions"].as_array().unwrap();
        assert_eq!(
            profile.functions.len(),
            functions.len(),
            "{}: function count",
            dump.display()
        );
        let mut expected_edges = 0;
        for entry in functions {
            let key = raw_key(entry);
            let id = *ids
                .get(&key)
                .unwrap_or_else(|| panic!("{}: {key:?} missing", dump.display()));
            let f = &profile.functions[id];
            let (cc, nc) = (entry["cc"].as_u64().unwrap(), entry["nc"].as_u64().unwrap());
            // Total calls can't be below primitive calls; yappi writes them swapped.
            assert_eq!(
                f.calls,
                Some(cc.max(nc)),
                "{}: {key:?} calls",
                dump.display()
            );
            assert_eq!(
                f.primitive_calls,
                Some(cc.min(nc)),
                "{}: {key:?} primitive",
                dump.display()
            );
            assert_eq!(
                f.self_cost,
                entry["tt"].as_f64().unwrap(),
                "{}: {key:?} tt",
                dump.display()
            );
            assert_eq!(
                f.inclusive_cost,
                entry["ct"].as_f64().unwrap(),
                "{}: {key:?} ct",
                dump.display()
            );
            if key.0 == "~" {
                assert_eq!(f.kind, FunctionKind::Builtin, "{key:?}");
            }

            let edges: Vec<_> = profile.edges.iter().filter(|e| e.callee == id).collect();
            let callers = entry["callers"].as_array().unwrap();
            assert_eq!(
                edges.len(),
                callers.len(),
                "{}: {key:?} callers",
                dump.display()
            );
            expected_edges += callers.len();
            for caller in callers {
                let caller_id = ids[&raw_key(caller)];
                let edge = edges
                    .iter()
                    .find(|e| e.caller == caller_id)
                    .unwrap_or_else(|| panic!("{}: edge {caller} -> {key:?}", dump.display()));
                if let Some(count) = caller["count"].as_u64() {
                    assert_eq!(edge.calls(), Some(count));
                    assert_eq!(edge.inclusive_cost(), None);
                } else {
                    assert_eq!(edge.calls(), caller["nc"].as_u64(), "{caller}");
                    assert_eq!(edge.primitive_calls(), caller["cc"].as_u64(), "{caller}");
                    assert_eq!(edge.self_cost(), caller["tt"].as_f64(), "{caller}");
                    assert_eq!(edge.inclusive_cost(), caller["ct"].as_f64(), "{caller}");
                }
            }
        }
        assert_eq!(profile.edges.len(), expected_edges, "{}", dump.display());

        // Totals as pstats computes them: Σnc, Σcc, Σtt (yappi's are swapped
        // in pstats' view, so compare the unordered pair there).
        let (total, primitive) = (
            expected["total_calls"].as_u64().unwrap(),
            expected["primitive_calls"].as_u64().unwrap(),
        );
        let ours = (
            profile.total_calls().unwrap(),
            profile.total_primitive_calls().unwrap(),
        );
        if profile.meta.producer.as_deref() == Some("yappi") {
            let sum_max: u64 = functions
                .iter()
                .map(|e| e["cc"].as_u64().unwrap().max(e["nc"].as_u64().unwrap()))
                .sum();
            assert_eq!(ours.0, sum_max, "{}", dump.display());
            assert!(
                primitive > total,
                "yappi fixture should show pstats' swapped totals"
            );
        } else {
            assert_eq!(ours, (total, primitive), "{}: totals", dump.display());
        }
        let total_tt = expected["total_tt"].as_f64().unwrap();
        assert!(
            (profile.total_cost() - total_tt).abs() <= 1e-9 * total_tt.abs().max(1.0),
            "{}: total time {} vs pstats {total_tt}",
            dump.display(),
            profile.total_cost()
        );
    }
}

#[test]
fn producers_are_recognised() {
    let producer = |name: &str| {
        let path = format!("{}/fixtures/pstats/{name}", env!("CARGO_MANIFEST_DIR"));
        input::load(Path::new(&path), &LoadOptions::default())
            .unwrap()
            .meta
            .producer
            .unwrap()
    };
    assert_eq!(producer("cprofile_py311.prof"), "cProfile");
    assert_eq!(producer("cprofile_py27.prof"), "cProfile");
    assert_eq!(producer("profile_py311.prof"), "profile");
    assert_eq!(producer("profile_py27.prof"), "profile");
    assert_eq!(producer("yappi_py311.prof"), "yappi");
}
