//! The regression gate (`profdiff diff --fail-on-regression`) through the
//! library: verdicts on the seed scenario, the noise floor, the JSON verdict
//! and the Markdown report.

use std::path::Path;

use profdiff::diff::{self, DiffOptions, ProfileDiff, SortKey};
use profdiff::filter::Filter;
use profdiff::gate::{self, GateOptions, GateVerdict, Rule};
use profdiff::input;
use profdiff::model::{Format, Function, FunctionKind, Profile, ProfileMeta, Unit};
use profdiff::render::Style;
use profdiff::render::{self, json, markdown, DiffReport, Hints};
use profdiff::wire::DiffDocument;

use crate::assert_snap;

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn load(path: &str) -> Profile {
    input::load(Path::new(path), &Default::default()).unwrap()
}

fn diff_of(base: &Profile, new: &Profile) -> ProfileDiff {
    let options = DiffOptions {
        callers: true,
        ..Default::default()
    };
    let mut result = diff::diff(base, new, &options).unwrap();
    diff::sort_functions(&mut result.functions, SortKey::Inclusive);
    result
}

fn filter(include: &[&str]) -> Filter {
    let include: Vec<String> = include.iter().map(|s| s.to_string()).collect();
    Filter::new(&include, &[]).unwrap()
}

fn violated(verdict: &GateVerdict) -> Vec<(&str, Rule)> {
    verdict
        .violations
        .iter()
        .map(|v| (v.key.as_str(), v.rule))
        .collect()
}

/// A profile of one `app.py` with the given (name, calls, inclusive seconds).
fn synthetic(functions: &[(&str, Option<u64>, f64)], unit: Unit) -> Profile {
    let mut profile = Profile::new(ProfileMeta {
        path: "synthetic".into(),
        format: Format::Pstats,
        unit,
        precision: None,
        producer: None,
        notes: Vec::new(),
    });
    for (line, &(name, calls, inclusive)) in functions.iter().enumerate() {
        let mut function = Function::new(name, FunctionKind::Source);
        function.file = Some("/srv/app.py".into());
        function.line = Some(line as u32 + 1);
        function.calls = calls;
        function.primitive_calls = calls;
        function.self_cost = inclusive;
        function.inclusive_cost = inclusive;
        profile.functions.push(function);
    }
    profile
}

#[test]
fn reverting_the_fix_fails_on_create_client() {
    // Base = after the fix, new = before it: create_client goes 1 → 6.
    let (after, before) = (load(AFTER), load(BEFORE));
    let options = GateOptions {
        filter: filter(&["create_client"]),
        ..Default::default()
    };
    let verdict = gate::evaluate(&diff_of(&after, &before), &options);
    assert!(verdict.regressed);
    assert!(!verdict.totals_checked, "a filter scopes the gate");
    // `create_client` also matches botocore's `_create_client_class`,
    // built once per client.
    assert_eq!(
        violated(&verdict),
        [
            ("botocore/client.py:_create_client_class", Rule::Calls),
            ("botocore/client.py:create_client", Rule::Calls),
            ("botocore/session.py:create_client", Rule::Calls),
        ]
    );
    let session = &verdict.violations[2];
    assert_eq!(
        (session.base, session.new, session.limit),
        (Some(1.0), 6.0, 1.0)
    );
}

#[test]
fn the_fix_passes_the_create_client_gate() {
    let (before, after) = (load(BEFORE), load(AFTER));
    let options = GateOptions {
        filter: filter(&["create_client"]),
        ..Default::default()
    };
    let verdict = gate::evaluate(&diff_of(&before, &after), &options);
    assert!(!verdict.regressed, "{:?}", verdict.violations);
    assert_eq!(verdict.functions_checked, 3);
}

#[test]
fn unfiltered_strict_gate_sees_every_new_call_even_in_the_fix() {
    // The fix halves the work overall, yet module-scope resources build a few
    // more boto3 objects, and the handler gained a dict comprehension. A
    // strict gate (max 0 more calls) reports them all; totals went down.
    let (before, after) = (load(BEFORE), load(AFTER));
    let verdict = gate::evaluate(&diff_of(&before, &after), &GateOptions::default());
    assert!(verdict.regressed);
    assert!(verdict.totals_checked);
    let keys = violated(&verdict);
    assert!(
        keys.contains(&("handler.py:<dictcomp>", Rule::Calls)),
        "an added function counts as calls from 0: {keys:?}"
    );
    assert!(keys.contains(&("boto3/resources/factory.py:create_resource", Rule::Calls)));
    assert!(!keys.iter().any(|(_, rule)| *rule == Rule::TotalCalls));
    let dictcomp = verdict
        .violations
        .iter()
        .find(|v| v.key == "handler.py:<dictcomp>")
        .unwrap();
    assert_eq!(
        (dictcomp.base, dictcomp.new, dictcomp.limit),
        (None, 1.0, 0.0)
    );
    // Sorted by key, so the verdict does not depend on the table's --sort.
    let sorted = keys.windows(2).all(|w| w[0].0 <= w[1].0);
    assert!(sorted, "{keys:?}");
}

#[test]
fn max_calls_increase_is_an_inclusive_allowance() {
    // The largest growth in the fix is {method 'copy' of OrderedDict}: 336 → 448.
    let diff = diff_of(&load(BEFORE), &load(AFTER));
    let allow = |n| {
        gate::evaluate(
            &diff,
            &GateOptions {
                max_calls_increase: n,
                ..Default::default()
            },
        )
    };
    assert!(!allow(112).regressed);
    let verdict = allow(111);
    assert_eq!(
        violated(&verdict),
        [(
            "{method 'copy' of 'collections.OrderedDict' objects}",
            Rule::Calls
        )]
    );
    assert_eq!(verdict.violations[0].limit, 336.0 + 111.0);
}

#[test]
fn total_calls_and_time_are_judged_without_a_filter() {
    let (before, after) = (load(BEFORE), load(AFTER));
    let options = GateOptions {
        max_calls_increase: u64::MAX,
        max_time_increase_pct: Some(10.0),
        ..Default::default()
    };
    // Reverting the fix: 236 ms → 317 ms (+35%) in total, limit +10%.
    let verdict = gate::evaluate(&diff_of(&after, &before), &options);
    let total = &verdict.violations[0];
    assert_eq!(
        (total.key.as_str(), total.rule),
        (gate::TOTAL_KEY, Rule::TotalTime)
    );
    assert!((total.limit - total.base.unwrap() * 1.1).abs() < 1e-12);
    // The fix itself: total time went down (but the import got slower).
    let verdict = gate::evaluate(&diff_of(&before, &after), &options);
    assert!(!violated(&verdict).contains(&(gate::TOTAL_KEY, Rule::TotalTime)));
    // Calls: with no allowance, reverting the fix grows Σ calls by 107,623.
    let strict = GateOptions::default();
    let verdict = gate::evaluate(&diff_of(&after, &before), &strict);
    let total_calls = &verdict.violations[0];
    assert_eq!(
        (total_calls.key.as_str(), total_calls.rule),
        (gate::TOTAL_KEY, Rule::TotalCalls)
    );
    assert_eq!(total_calls.new - total_calls.base.unwrap(), 107_623.0);
}

#[test]
fn time_rule_on_the_seed_respects_the_floor() {
    // The fix moved client creation into the import: handler.py:<module>
    // went 142 ms → 233 ms (+91 ms, +64%).
    let diff = diff_of(&load(BEFORE), &load(AFTER));
    let gate_with_floor = |floor| {
        gate::evaluate(
            &diff,
            &GateOptions {
                max_time_increase_pct: Some(10.0),
                time_noise_floor: Some(floor),
                filter: filter(&["^handler.py:<module>$"]),
                ..Default::default()
            },
        )
    };
    let verdict = gate_with_floor(gate::DEFAULT_TIME_NOISE_FLOOR);
    assert_eq!(
        violated(&verdict),
        [("handler.py:<module>", Rule::InclusiveTime)]
    );
    assert!(
        !gate_with_floor(0.1).regressed,
        "+91 ms is under a 100 ms floor"
    );
}

#[test]
fn a_time_increase_under_the_noise_floor_never_fails() {
    let base = synthetic(
        &[("tiny", Some(1), 0.000_2), ("big", Some(1), 0.100)],
        Unit::Seconds,
    );
    let new = synthetic(
        // tiny: +400% but only +0.8 ms; big: +5 ms = +5%.
        &[("tiny", Some(1), 0.001), ("big", Some(1), 0.105)],
        Unit::Seconds,
    );
    let diff = diff::diff(&base, &new, &DiffOptions::default()).unwrap();
    let options = |pct, floor| GateOptions {
        max_time_increase_pct: Some(pct),
        time_noise_floor: floor,
        ..Default::default()
    };
    // Default floor 1 ms: tiny is noise; big's +5% is within 10%.
    assert!(!gate::evaluate(&diff, &options(10.0, None)).regressed);
    // At 1% big fails (+5 ms is over both 1% and the floor); tiny still passes.
    let verdict = gate::evaluate(&diff, &options(1.0, None));
    assert_eq!(
        violated(&verdict),
        [
            (gate::TOTAL_KEY, Rule::TotalTime),
            ("app.py:big", Rule::InclusiveTime)
        ]
    );
    // With the floor lowered to 0.5 ms, tiny's +0.8 ms counts (the total's
    // +5.8 ms is +5.8%, within 10%).
    let verdict = gate::evaluate(&diff, &options(10.0, Some(0.000_5)));
    assert_eq!(violated(&verdict), [("app.py:tiny", Rule::InclusiveTime)]);
    // A floor above the increase: +5 ms under a 10 ms floor never fails.
    assert!(!gate::evaluate(&diff, &options(0.0, Some(0.01))).regressed);
}

#[test]
fn sampled_profiles_have_no_call_rules() {
    let base = synthetic(&[("f", None, 1.0)], Unit::Samples);
    let new = synthetic(&[("f", None, 3.0), ("g", None, 2.0)], Unit::Samples);
    let diff = diff::diff(&base, &new, &DiffOptions::default()).unwrap();
    assert!(!gate::evaluate(&diff, &GateOptions::default()).regressed);
    // Time rules apply in the profile's unit, named *_cost; the floor is in
    // samples and defaults to 0.
    let verdict = gate::evaluate(
        &diff,
        &GateOptions {
            max_time_increase_pct: Some(50.0),
            ..Default::default()
        },
    );
    assert_eq!(
        violated(&verdict),
        [
            (gate::TOTAL_KEY, Rule::TotalCost),
            ("app.py:f", Rule::InclusiveCost),
            ("app.py:g", Rule::InclusiveCost)
        ]
    );
    assert_eq!(verdict.violations[1].rule.name(), "inclusive_cost");
}

#[test]
fn verdict_round_trips_through_json() {
    let (after, before) = (load(AFTER), load(BEFORE));
    let scope = filter(&["session.py:create_client"]);
    let result = diff_of(&after, &before);
    let verdict = gate::evaluate(
        &result,
        &GateOptions {
            filter: scope.clone(),
            ..Default::default()
        },
    );
    let mut report = DiffReport::new(&after, &before, &result, &scope, None);
    let plain = json::diff_document(&report);
    assert_eq!(plain.verdict, None);
    let text = serde_json::to_string(&plain).unwrap();
    assert!(!text.contains("\"verdict\""), "absent unless gated");

    report.verdict = Some(&verdict);
    let document = json::diff_document(&report);
    let text = serde_json::to_string_pretty(&document).unwrap();
    let back: DiffDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(back, document);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["verdict"],
        serde_json::json!({
            "regressed": true,
            "violations": [{
                "key": "botocore/session.py:create_client",
                "rule": "calls",
                "base": 1.0,
                "new": 6.0,
                "limit": 1.0
            }]
        })
    );
}

#[test]
fn violations_text_snapshot() {
    let (after, before) = (load(AFTER), load(BEFORE));
    let verdict = gate::evaluate(
        &diff_of(&after, &before),
        &GateOptions {
            max_time_increase_pct: Some(10.0),
            filter: filter(&["create_client", "^handler.py:<dictcomp>$"]),
            ..Default::default()
        },
    );
    let mut out = Vec::new();
    render::gate::write_text(&mut out, &verdict, &Hints::default(), Style::default()).unwrap();
    assert_snap!("gate_violations_text", String::from_utf8(out).unwrap());

    let pass = gate::evaluate(&diff_of(&before, &after), &GateOptions::default());
    let passing = GateVerdict {
        regressed: false,
        violations: Vec::new(),
        ..pass
    };
    let mut out = Vec::new();
    render::gate::write_text(&mut out, &passing, &Hints::default(), Style::default()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "no regression: checked 2,882 functions and the totals\n"
    );
}

#[test]
fn markdown_snapshot_with_a_regression() {
    let (after, before) = (load(AFTER), load(BEFORE));
    let scope = filter(&["session.py:create_client", "^handler.py:handler$"]);
    let result = diff_of(&after, &before);
    let verdict = gate::evaluate(
        &result,
        &GateOptions {
            max_time_increase_pct: Some(10.0),
            filter: scope.clone(),
            ..Default::default()
        },
    );
    let mut report = DiffReport::new(&after, &before, &result, &scope, None);
    report.verdict = Some(&verdict);
    let mut out = Vec::new();
    markdown::write_diff(&mut out, &report).unwrap();
    assert_snap!("markdown_seed_regression", String::from_utf8(out).unwrap());
}

#[test]
fn markdown_snapshot_of_the_fix() {
    // Unfiltered, allowing the fix's largest per-function growth (+112).
    let (before, after) = (load(BEFORE), load(AFTER));
    let result = diff_of(&before, &after);
    let verdict = gate::evaluate(
        &result,
        &GateOptions {
            max_calls_increase: 112,
            ..Default::default()
        },
    );
    let mut report = DiffReport::new(&before, &after, &result, &Filter::default(), Some(3));
    report.verdict = Some(&verdict);
    let mut out = Vec::new();
    markdown::write_diff(&mut out, &report).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("**✅ No regression**"), "{text}");
    assert_snap!("markdown_seed_fix", text);
}
