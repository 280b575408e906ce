//! Several runs per side (fixtures/runs) and the Mann–Whitney U test.

use std::sync::OnceLock;

use profdiff::input::{self, LoadOptions};
use profdiff::Profile;

/// The committed runs of one side, in run order (fixtures/runs/make_runs.sh),
/// read once per test binary.
pub fn runs(side: &str) -> Vec<Profile> {
    static RUNS: OnceLock<[Vec<Profile>; 2]> = OnceLock::new();
    let load = |side: &str| -> Vec<Profile> {
        (1..=5)
            .map(|i| {
                let path = format!("fixtures/runs/{side}/run{i}.prof");
                let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&path);
                let mut profile = input::load(&full, &LoadOptions::default()).unwrap();
                profile.meta.path = path;
                profile
            })
            .collect()
    };
    let [before, after] = RUNS.get_or_init(|| [load("before"), load("after")]);
    match side {
        "before" => before.clone(),
        "after" => after.clone(),
        other => panic!("no side {other}"),
    }
}

use profdiff::diff::{SortKey, Status};
use profdiff::render::Style;
use profdiff::render::{runs_json, runs_text, RunsReport};
use profdiff::stats::{self, mann_whitney_u, Significance, StatsOptions, TestMethod};
use profdiff::wire;
use serde_json::Value;

fn close(got: f64, want: f64) -> bool {
    got == want || ((got - want) / want).abs() < 1e-12
}

/// x, y, SciPy's statistic and p-value, and the method `auto` picks.
type ScipyCase = (Vec<f64>, Vec<f64>, f64, f64, TestMethod);

/// SciPy 1.17.1 (numpy 2.4.6) under CPython 3.11.7 printed these with
///
/// ```text
/// python -c 'from scipy.stats import mannwhitneyu
/// r = mannwhitneyu(x, y, alternative="two-sided"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
/// ```
///
/// (defaults: method='auto', use_continuity=True) for each (x, y) below.
#[test]
fn mann_whitney_matches_scipy_reference_values() {
    let shifted: Vec<f64> = (0..20).map(|i| i as f64 * 0.5 + 0.25).collect();
    let nine: Vec<f64> = (0..9).map(|i| i as f64).collect();
    let ten: Vec<f64> = (3..13).map(|i| i as f64 + 0.5).collect();
    let twelve: Vec<f64> = (0..12).map(|i| (i % 4) as f64).collect();
    let fifteen: Vec<f64> = (0..15).map(|i| (i % 5) as f64 + 1.0).collect();
    #[rustfmt::skip]
    let cases: Vec<ScipyCase> = vec![
        // Small, no ties: exact.
        (vec![1.1, 2.2, 3.3, 4.4], vec![5.5, 6.6, 7.7], 0.0, 0.05714285714285714, TestMethod::Exact),
        (vec![0.1, 0.4, 0.35, 0.8], vec![0.2, 0.5, 0.9, 0.7, 0.3], 8.0, 0.7301587301587302, TestMethod::Exact),
        (vec![1.0], vec![2.0], 0.0, 1.0, TestMethod::Exact),
        // One side small, the other large, no ties: still exact.
        (vec![3.0, 1.0, 2.0], shifted, 12.0, 0.11518915866741952, TestMethod::Exact),
        // Ties: normal approximation with tie correction.
        (vec![1.0, 2.0, 2.0, 3.0, 4.0], vec![2.0, 3.0, 5.0, 6.0, 6.0], 4.5, 0.11049202405566802, TestMethod::Asymptotic),
        // A function absent from most runs (zeros).
        (vec![0.0, 0.0, 0.0, 0.001, 0.002], vec![0.0; 5], 17.5, 0.17971249487899976, TestMethod::Asymptotic),
        // Everything tied: no evidence at all.
        (vec![1.0, 1.0, 1.0], vec![1.0, 1.0], 3.0, 1.0, TestMethod::Asymptotic),
        // Both sides above 8: normal approximation.
        (nine, ten, 15.0, 0.01601099081051716, TestMethod::Asymptotic),
        (twelve, fifteen, 40.5, 0.01489880501906065, TestMethod::Asymptotic),
    ];
    for (x, y, u, p, method) in cases {
        let got = mann_whitney_u(&x, &y).unwrap();
        assert_eq!(got.u, u, "U of {x:?} vs {y:?}");
        assert!(close(got.p, p), "p of {x:?} vs {y:?}: {} vs {p}", got.p);
        assert_eq!(got.method, method, "{x:?} vs {y:?}");
    }
    assert_eq!(mann_whitney_u(&[], &[1.0]), None);
    assert_eq!(mann_whitney_u(&[f64::NAN], &[1.0]), None);
}

/// fixtures/runs/scipy_reference.json: SciPy on the committed runs' own
/// timings (make_runs.sh, scipy_reference.py). `compare` must read the same
/// samples from the profiles and get the same U and p.
#[test]
fn runs_statistics_match_scipy_on_the_committed_runs() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/runs/scipy_reference.json");
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let diff = stats::compare(&runs("before"), &runs("after"), &StatsOptions::default()).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let key = case["key"].as_str().unwrap();
        let samples = |side: &str| -> Vec<f64> {
            case[side]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (base, new) = (samples("base"), samples("new"));
        let metric = if key == "(total)" {
            &diff.total_cost
        } else {
            let f = diff
                .functions
                .iter()
                .find(|f| f.key == key)
                .unwrap_or_else(|| panic!("no {key}"));
            match case["metric"].as_str().unwrap() {
                "self" => &f.self_cost,
                _ => &f.inclusive_cost,
            }
        };
        let ours = |runs: &stats::RunValues| -> Vec<f64> {
            runs.iter().map(|v| v.unwrap_or(0.0)).collect()
        };
        if key == "(total)" {
            // Σ tt in another order than Python's: equal to the last bits.
            for (a, b) in ours(&metric.base).iter().zip(&base) {
                assert!(close(*a, *b), "{key}: {a} vs {b}");
            }
        } else {
            assert_eq!(ours(&metric.base), base, "{key} base samples");
            assert_eq!(ours(&metric.new), new, "{key} new samples");
        }
        let test = mann_whitney_u(&base, &new).unwrap();
        let (u, p) = (
            case["statistic"].as_f64().unwrap(),
            case["pvalue"].as_f64().unwrap(),
        );
        assert_eq!(test.u, u, "{key} {}", case["metric"]);
        assert!(close(test.p, p), "{key}: p {} vs {p}", test.p);
        assert_eq!(metric.test.u, u, "{key}");
        assert!(close(metric.test.p, p), "{key}");
    }
}

#[test]
fn create_client_change_is_significant_and_price_order_is_noise() {
    let diff = stats::compare(&runs("before"), &runs("after"), &StatsOptions::default()).unwrap();
    let find = |key: &str| diff.functions.iter().find(|f| f.key == key).unwrap();

    // Six client creations per invocation became one (at import): fewer
    // calls in every run, and every after-run is faster than every before-run.
    let create_client = find("botocore/session.py:create_client");
    assert_eq!(create_client.calls.base, vec![Some(6); 5]);
    assert_eq!(create_client.calls.new, vec![Some(1); 5]);
    assert_eq!(create_client.calls.varies, (false, false));
    let inclusive = &create_client.inclusive_cost;
    assert_eq!(inclusive.test.method, TestMethod::Exact);
    assert!(inclusive.test.p < 0.01, "{}", inclusive.test.p);
    assert!(inclusive.delta < 0.0);
    assert_eq!(inclusive.significance, Significance::Significant);
    assert_eq!(create_client.status, Status::Changed);

    // The handler itself: hundreds of ms per invocation down to ~0.1 ms.
    let handler = find("handler.py:handler");
    assert_eq!(
        handler.inclusive_cost.significance,
        Significance::Significant
    );
    assert!(handler.inclusive_cost.pct.unwrap() < -99.0);

    // price_order's code is identical and takes microseconds. Its timings may
    // still differ consistently (the work before it differs, and with it the
    // caches: in the committed runs the test alone says p = 0.0079), but the
    // change is far below the 0.5 ms floor: noise, which is what the floor is
    // for.
    let price_order = find("handler.py:price_order");
    assert_eq!(price_order.calls.base, vec![Some(1); 5]);
    assert!(price_order.inclusive_cost.base_spread.unwrap().max < 1e-4);
    assert!(price_order.inclusive_cost.delta.abs() < 0.0005);
    assert_eq!(price_order.inclusive_cost.significance, Significance::Noise);
    assert_eq!(price_order.significance(), Significance::Noise);
    assert_eq!(price_order.status, Status::Unchanged);

    // Functions that both sides call equally often and that take no time
    // worth mentioning are never significant.
    let tiny_significant: Vec<&str> = diff
        .functions
        .iter()
        .filter(|f| f.significance() == Significance::Significant)
        .filter(|f| {
            let largest = |m: &stats::MetricRuns| {
                m.base_spread
                    .map_or(0.0, |s| s.max)
                    .max(m.new_spread.map_or(0.0, |s| s.max))
            };
            largest(&f.inclusive_cost) < 0.0005
        })
        .map(|f| f.key.as_str())
        .collect();
    assert!(tiny_significant.is_empty(), "{tiny_significant:?}");

    // Significant rows come first.
    assert_eq!(diff.functions[0].significance(), Significance::Significant);
    assert!(diff.significant() > 0);
    assert_eq!(diff.base_paths.len(), 5);
    assert!((diff.min_p - 2.0 / 252.0).abs() < 1e-15);
    assert!(diff.notes.is_empty(), "{:?}", diff.notes);
}

/// Call counts are deterministic for this app except where the runtime
/// varies (per-run addresses make some builtins distinct, GC); whatever
/// varies is listed, and nothing from the app itself does.
#[test]
fn unstable_call_counts_are_listed() {
    let diff = stats::compare(&runs("before"), &runs("after"), &StatsOptions::default()).unwrap();
    for f in diff.unstable_calls() {
        assert!(
            !f.key.starts_with("handler.py:") && f.key != "botocore/session.py:create_client",
            "{}",
            f.key
        );
        let counts = |runs: &[Option<u64>]| runs.iter().map(|c| c.unwrap_or(0)).collect::<Vec<_>>();
        let varies = |runs: &[Option<u64>]| counts(runs).windows(2).any(|w| w[0] != w[1]);
        assert_eq!(
            f.calls.varies,
            (varies(&f.calls.base), varies(&f.calls.new))
        );
    }
}

#[test]
fn too_few_runs_can_never_be_significant() {
    let (base, new) = (runs("before"), runs("after"));
    let diff = stats::compare(&base[..3], &new[..3], &StatsOptions::default()).unwrap();
    assert!((diff.min_p - 0.1).abs() < 1e-12);
    assert_eq!(diff.significant(), 0);
    assert!(
        diff.notes[0]
            .to_string()
            .contains("smallest possible p-value is 0.10"),
        "{:?}",
        diff.notes
    );
    // Call counts still tell what changed.
    let create_client = diff
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .unwrap();
    assert_eq!(create_client.status, Status::Changed);
}

#[test]
fn one_run_per_side_works_and_matches_a_plain_diff() {
    let (base, new) = (runs("before"), runs("after"));
    let diff = stats::compare(&base[..1], &new[..1], &StatsOptions::default()).unwrap();
    let plain = profdiff::diff::diff(&base[0], &new[0], &Default::default()).unwrap();
    assert_eq!(diff.functions.len(), plain.functions.len());
    for f in &plain.functions {
        let runs = diff.functions.iter().find(|r| r.key == f.key).unwrap();
        assert_eq!(runs.status == Status::Added, f.status == Status::Added);
        assert_eq!(
            runs.inclusive_cost.base.to_vec(),
            vec![f.inclusive_cost.base]
        );
        assert_eq!(runs.test_p(), 1.0);
    }
}

trait P {
    fn test_p(&self) -> f64;
}
impl P for stats::FunctionRuns {
    fn test_p(&self) -> f64 {
        self.inclusive_cost.test.p.min(self.self_cost.test.p)
    }
}

/// Functions present in only some runs count as zero in the others; functions
/// only in later runs are still aligned across sides.
#[test]
fn functions_missing_from_some_runs() {
    let base = runs("before");
    let mut new = runs("after");
    // Drop create_client from the third new run (as if it had not been called).
    let victim = new[2]
        .functions
        .iter()
        .position(|f| f.name == "create_client")
        .unwrap();
    new[2].functions[victim].name = "renamed_in_run3".into();
    let diff = stats::compare(&base, &new, &StatsOptions::default()).unwrap();
    let create_client = diff
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:create_client")
        .unwrap();
    assert_eq!(create_client.calls.new[2], None);
    assert_eq!(create_client.inclusive_cost.new.get(2), None);
    assert!(create_client.inclusive_cost.new.get(1).is_some());
    assert!(create_client.calls.varies.1);
    let renamed = diff
        .functions
        .iter()
        .find(|f| f.key == "botocore/session.py:renamed_in_run3")
        .unwrap();
    assert_eq!(renamed.status, Status::Added);
    assert_eq!(renamed.calls.new.iter().flatten().count(), 1);
    // Every function of every run appears exactly once.
    let keys: std::collections::HashSet<&str> =
        diff.functions.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys.len(), diff.functions.len());
}

#[test]
fn bad_inputs_are_refused() {
    let base = runs("before");
    let options = StatsOptions::default();
    assert!(stats::compare(&[], &base, &options).is_err());
    let mut other = base[0].clone();
    other.meta.unit = profdiff::Unit::Samples;
    let error = stats::compare(&base, &[other], &options)
        .unwrap_err()
        .to_string();
    assert!(error.contains("the units differ"), "{error}");
    for bad in [
        StatsOptions {
            level: 0.0,
            ..StatsOptions::default()
        },
        StatsOptions {
            level: 1.5,
            ..StatsOptions::default()
        },
        StatsOptions {
            min_effect: -0.1,
            ..StatsOptions::default()
        },
        StatsOptions {
            min_effect_abs: f64::NAN,
            ..StatsOptions::default()
        },
    ] {
        assert!(stats::compare(&base, &base, &bad).is_err());
    }
}

#[test]
fn text_report_reads_well() {
    let mut diff =
        stats::compare(&runs("before"), &runs("after"), &StatsOptions::default()).unwrap();
    diff.functions.retain(|f| {
        f.key.starts_with("handler.py:") || f.key.ends_with("session.py:create_client")
    });
    stats::sort_functions(&mut diff.functions, SortKey::Inclusive);
    let mut out = Vec::new();
    let mut report = RunsReport::new(&diff, Some(4));
    report.hints.all_rows = Some("--top 0 shows all");
    runs_text::write(&mut out, &report, Style::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("base  5 runs: fixtures/runs/before/run1.prof … run5.prof  total ")
    );
    assert!(lines[1].starts_with("new  5 runs: fixtures/runs/after/run1.prof … run5.prof"));
    assert!(lines[2].starts_with("total time (median) "), "{text}");
    assert!(text.contains("significant: two-sided Mann–Whitney U p < 0.05 and |Δmedian| ≥ max(5% of base, 500 µs)"), "{text}");
    let header = lines
        .iter()
        .position(|l| l.contains("inclusive (median)"))
        .unwrap();
    assert!(lines[header].trim_start().starts_with("calls"));
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.ends_with(name))
            .copied()
            .unwrap_or_else(|| panic!("{name}\n{text}"))
    };
    let handler = row("handler.py:75→80(handler)");
    assert!(handler.contains("significant"), "{handler}");
    let create_client = row("botocore/session.py:846(create_client)");
    assert!(
        create_client.trim_start().starts_with("6 → 1 "),
        "{create_client}"
    );
    assert!(create_client.contains(" 0.0079 "), "{create_client}");
    assert!(create_client.contains("significant"));
    assert!(text.contains("more rows (--top 0 shows all)"), "{text}");
}

#[test]
fn json_document_round_trips() {
    let diff = stats::compare(&runs("before"), &runs("after"), &StatsOptions::default()).unwrap();
    let report = RunsReport::new(&diff, Some(5));
    let mut out = Vec::new();
    runs_json::write(&mut out, &report, false).unwrap();
    let document: wire::RunsDocument = serde_json::from_slice(&out).unwrap();
    assert_eq!(document, runs_json::document(&report));
    assert_eq!(document.kind, "runs");
    assert_eq!(document.functions.len(), 5);
    assert_eq!(document.test.method, "mann-whitney-u");
    let value: Value = serde_json::from_slice(&out).unwrap();
    let first = &value["functions"][0];
    assert_eq!(first["inclusive_time"]["base"].as_array().unwrap().len(), 5);
    assert!(first["inclusive_time"]["p"].is_number());
    assert!(
        first["self_cost"].is_null(),
        "time profiles use *_time fields"
    );
    assert!(value.get("lambda").is_none());
    assert!(value["summary"]["total_time"]["verdict"].is_string());
}
