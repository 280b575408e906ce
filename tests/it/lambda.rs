//! AWS Lambda cost estimates: the worked examples of docs/lambda.md,
//! and the seed scenario, where the fix moved client creation into INIT.

use profdiff::input::{self, LoadOptions};
use profdiff::lambda::{self, Arch, CostOptions, EntrySource};
use profdiff::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta, Unit};
use profdiff::render::Style;
use profdiff::render::{self, json};
use profdiff::wire;

use crate::stats::runs;

fn seed(name: &str) -> Profile {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/seed/{name}.prof"));
    input::load(&path, &LoadOptions::default()).unwrap()
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance
}

/// A Lambda-like profile: `main.py` runs `handler.py`'s module (INIT) and then
/// calls `handler` once, as fixtures/seed/*/main.py does.
fn lambda_profile(handler_seconds: f64, init_seconds: f64) -> Profile {
    let mut p = Profile::new(ProfileMeta {
        path: "synthetic.prof".into(),
        format: Format::Pstats,
        unit: Unit::Seconds,
        precision: None,
        producer: Some("cProfile".into()),
        notes: Vec::new(),
    });
    let function = |file: &str, line: u32, name: &str, self_cost: f64, inclusive_cost: f64| {
        let mut f = Function::new(name, FunctionKind::Source);
        f.file = Some(file.into());
        f.line = Some(line);
        f.calls = Some(1);
        f.primitive_calls = Some(1);
        f.self_cost = self_cost;
        f.inclusive_cost = inclusive_cost;
        f
    };
    let total = handler_seconds + init_seconds;
    p.functions = vec![
        function("/var/task/main.py", 1, "<module>", 0.0, total),
        function(
            "/var/task/handler.py",
            1,
            "<module>",
            init_seconds,
            init_seconds,
        ),
        function(
            "/var/task/handler.py",
            10,
            "handler",
            handler_seconds,
            handler_seconds,
        ),
    ];
    p.edges = vec![
        Edge::new(0, 1)
            .with_calls(Some(1))
            .with_inclusive_cost(Some(init_seconds)),
        Edge::new(0, 2)
            .with_calls(Some(1))
            .with_inclusive_cost(Some(handler_seconds)),
    ];
    p
}

fn options(memory_mb: u32) -> CostOptions {
    CostOptions {
        memory_mb,
        ..CostOptions::default()
    }
}

/// docs/lambda.md: 512 MB, 120 ms, x86 → $1.00 duration + $0.20 requests = $1.20 per 1M.
#[test]
fn worked_example_512_mb_120_ms_costs_1_20_per_million() {
    let estimate = lambda::estimate(&lambda_profile(0.120, 0.05), &options(512)).unwrap();
    assert_eq!(estimate.entry.source, EntrySource::Named);
    assert_eq!(estimate.billed_ms, 120.0);
    assert!(
        close(estimate.cost.duration, 1.00, 0.0001),
        "{:?}",
        estimate.cost
    );
    assert!(close(estimate.cost.requests, 0.20, 1e-12));
    assert!(close(estimate.cost.total, 1.20, 0.0001));
    assert_eq!(estimate.cost.init, None);
}

/// docs/lambda.md: a 27.55 ms invocation is billed as 28 ms, and was as 100 ms.
#[test]
fn worked_example_27_55_ms_billed_100_or_28() {
    let profile = lambda_profile(0.02755, 0.0);
    let now = lambda::estimate(&profile, &options(1024)).unwrap();
    assert_eq!(now.billed_ms, 28.0);
    let before_2020 = lambda::estimate(
        &profile,
        &CostOptions {
            billing_granularity_ms: 100,
            ..options(1024)
        },
    )
    .unwrap();
    assert_eq!(before_2020.billed_ms, 100.0);
    let pricing = options(128).pricing().unwrap();
    assert_eq!(pricing.billed_ms(27.55), 28.0);
    assert_eq!(pricing.billed_ms(28.0), 28.0);
    assert_eq!(pricing.billed_ms(0.119), 1.0);
}

/// docs/lambda.md's rule of thumb: 1 ms of mean billed duration costs $0.0167 per
/// 1M at 1,024 MB on x86, $0.00208 at 128 MB; arm64 is 0.8 of that.
#[test]
fn rule_of_thumb_per_millisecond() {
    let x86 = options(1024).pricing().unwrap();
    assert!(close(x86.duration_cost_per_million(1.0), 0.0167, 0.00005));
    let small = options(128).pricing().unwrap();
    assert!(close(
        small.duration_cost_per_million(1.0),
        0.00208,
        0.000005
    ));
    let arm = CostOptions {
        arch: Arch::Arm64,
        ..options(1024)
    }
    .pricing()
    .unwrap();
    assert!(close(
        arm.duration_cost_per_million(1.0) / x86.duration_cost_per_million(1.0),
        0.8,
        0.0001
    ));
    assert_eq!(arm.price_per_gb_second, 0.000_013_333_4);
}

/// The seed scenario: the handler got ~173 ms cheaper per invocation, and the
/// fix moved client creation into module scope, so INIT grew by ~91 ms.
#[test]
fn seed_fix_saves_per_invocation_and_moves_work_into_init() {
    let diff = lambda::compare(&seed("before"), &seed("after"), &options(512)).unwrap();
    for side in [&diff.base, &diff.new] {
        assert_eq!(side.entry.key.as_deref(), Some("handler.py:handler"));
        assert_eq!(side.entry.source, EntrySource::Named);
        assert_eq!(side.invocations, 1);
        assert!(side.notes.is_empty(), "{:?}", side.notes);
    }
    // pstats: handler.py:75(handler) cumtime 0.172816845, :80 0.000119107;
    // handler.py:1(<module>) 0.142325657 and 0.233228938.
    assert_eq!(diff.base.local_seconds, 0.17281684500000002);
    assert_eq!(diff.new.local_seconds, 0.00011910700000000001);
    assert_eq!((diff.base.billed_ms, diff.new.billed_ms), (173.0, 1.0));
    let (base_init, new_init) = (
        diff.base.init.as_ref().unwrap(),
        diff.new.init.as_ref().unwrap(),
    );
    assert_eq!(base_init.module, "handler.py:1(<module>)");
    assert_eq!(base_init.local_seconds, 0.14232565700000002);
    assert_eq!(new_init.local_seconds, 0.23322893800000002);
    // 1e6 × 0.5 GB × 0.173 s × $0.0000166667 = $1.4417, + $0.20 requests.
    assert!(close(diff.base.cost.total, 1.6416696, 1e-6));
    assert!(close(diff.new.cost.total, 0.2083334, 1e-6));
    assert!(close(diff.delta_per_million(), -1.4333362, 1e-6));
    assert!(close(diff.init_delta_ms().unwrap(), 90.903281, 1e-6));

    let mut out = Vec::new();
    render::lambda::write_text(&mut out, &diff, Style::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    let expected = "\
AWS Lambda estimate: 512 MB x86_64, $0.0000166667/GB-s, $0.20/1M requests, 1 ms billing, local time × 1
entry: handler.py:handler (the only function named handler or lambda_handler)
per invocation: 173 ms → 119 µs (−173 ms); billed 173 ms → 1.00 ms
cost per 1M invocations: $1.64 → $0.208 (−$1.43, −87%): saves $1.43 per 1M invocations
INIT (per cold start): 142 ms → 233 ms (+90.9 ms: module-level work, e.g. clients created at import); $1.19 → $1.95 per 1M cold starts
caveats: ";
    assert!(text.starts_with(expected), "{text}");
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.trim_end().ends_with(lambda::CAVEATS));
}

/// The Lambda-layout profile (vendored boto3 under /tmp/var/task) keys the
/// handler and its module the same way.
#[test]
fn lambda_layout_profile_finds_handler_and_init() {
    let estimate = lambda::estimate(&seed("after_lambda_layout"), &options(512)).unwrap();
    assert_eq!(estimate.entry.key.as_deref(), Some("handler.py:handler"));
    let init = estimate.init.unwrap();
    assert_eq!(init.module, "handler.py:1(<module>)");
    assert!(init.local_seconds > 0.05, "{init:?}");
}

#[test]
fn cpu_scale_and_cold_start_rate() {
    let profile = lambda_profile(0.050, 0.200);
    let estimate = lambda::estimate(
        &profile,
        &CostOptions {
            cpu_scale: 2.0,
            cold_start_rate: Some(0.01),
            ..options(1024)
        },
    )
    .unwrap();
    assert_eq!(estimate.duration_ms, 100.0);
    assert_eq!(estimate.billed_ms, 100.0);
    let init = estimate.init.as_ref().unwrap();
    assert_eq!(init.duration_ms, 400.0);
    // 1e6 cold starts × 1 GB × 0.4 s × price.
    assert!(close(init.cost_per_million_cold_starts, 6.66668, 1e-9));
    assert!(close(estimate.cost.init.unwrap(), 0.0666668, 1e-9));
    assert!(close(
        estimate.cost.total,
        estimate.cost.requests + estimate.cost.duration + 0.0666668,
        1e-9
    ));
}

/// A script that runs its handler at import time (`if __name__ ==
/// "__main__": handler(...)`): that call is invocation, not INIT.
#[test]
fn init_excludes_the_entry_when_the_module_calls_it() {
    let mut p = lambda_profile(0.3, 0.1);
    // handler.py:<module> now calls handler directly.
    p.functions[1].inclusive_cost = 0.4;
    p.edges[1].caller = 1;
    let estimate = lambda::estimate(&p, &options(128)).unwrap();
    assert!(close(estimate.init.unwrap().local_seconds, 0.1, 1e-12));
    assert!(close(estimate.local_seconds, 0.3, 1e-12));

    // Through another function (module → main → handler): the entry's whole
    // time is taken out, and a note says so.
    let mut p = lambda_profile(0.3, 0.1);
    p.functions[1].inclusive_cost = 0.4;
    let mut main = Function::new("main", FunctionKind::Source);
    main.file = Some("/var/task/handler.py".into());
    main.line = Some(20);
    main.calls = Some(1);
    main.primitive_calls = Some(1);
    main.inclusive_cost = 0.3;
    p.functions.push(main);
    p.edges[1].caller = 3;
    p.edges.push(
        Edge::new(1, 3)
            .with_calls(Some(1))
            .with_inclusive_cost(Some(0.3)),
    );
    let estimate = lambda::estimate(&p, &options(128)).unwrap();
    assert!(close(estimate.init.unwrap().local_seconds, 0.1, 1e-12));
    assert!(
        estimate.notes[0].contains("at import time"),
        "{:?}",
        estimate.notes
    );
}

#[test]
fn entry_choice() {
    let p = lambda_profile(0.1, 0.1);
    let pick = |entry: &str| {
        lambda::estimate(
            &p,
            &CostOptions {
                entry: Some(entry.into()),
                ..options(128)
            },
        )
    };
    // By key, by regex, and a regex matching several with one exact name.
    let by_key = pick("handler.py:handler").unwrap();
    assert_eq!(by_key.entry.source, EntrySource::Option);
    assert_eq!(by_key.entry.display, "handler.py:10(handler)");
    assert_eq!(
        pick("hand.er$").unwrap().entry.key.as_deref(),
        Some("handler.py:handler")
    );
    assert_eq!(
        pick("handler").unwrap().entry.key.as_deref(),
        Some("handler.py:handler")
    );
    // Another function as the invocation (here: the whole runner).
    let runner = pick(r"main\.py").unwrap();
    assert_eq!(runner.entry.key.as_deref(), Some("main.py:<module>"));
    assert!(runner.init.is_none(), "main.py's own module is not INIT");

    let error = pick("no_such_function").unwrap_err().to_string();
    assert!(
        error.contains("no function matches the Lambda entry"),
        "{error}"
    );
    let error = pick("<module>").unwrap_err().to_string();
    assert!(error.contains("matches 2 functions"), "{error}");
    let error = pick("(").unwrap_err().to_string();
    assert!(error.contains("invalid Lambda entry regex"), "{error}");

    // No handler at all: the whole profile is one invocation, said so.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pstats/cprofile_py311.prof");
    let other = input::load(&path, &LoadOptions::default()).unwrap();
    let estimate = lambda::estimate(&other, &options(128)).unwrap();
    assert_eq!(estimate.entry.source, EntrySource::Total);
    assert_eq!(estimate.entry.key, None);
    assert_eq!(estimate.local_seconds, other.total_cost());
    assert!(estimate.init.is_none());
    assert!(
        estimate.notes[0].contains("no function named handler"),
        "{:?}",
        estimate.notes
    );

    // Two handlers: ambiguous, so the total, with both named in the note.
    let mut two = lambda_profile(0.1, 0.1);
    let mut second = two.functions[2].clone();
    second.file = Some("/var/task/other.py".into());
    two.functions.push(second);
    let estimate = lambda::estimate(&two, &options(128)).unwrap();
    assert_eq!(estimate.entry.source, EntrySource::Total);
    assert!(
        estimate.notes[0].contains("2 functions are named"),
        "{:?}",
        estimate.notes
    );
}

#[test]
fn invalid_options_and_inputs_are_refused() {
    let p = lambda_profile(0.1, 0.1);
    for bad in [
        options(64),
        options(10241),
        CostOptions {
            billing_granularity_ms: 10,
            ..options(128)
        },
        CostOptions {
            cpu_scale: 0.0,
            ..options(128)
        },
        CostOptions {
            price_per_gb_second: Some(-1.0),
            ..options(128)
        },
        CostOptions {
            cold_start_rate: Some(2.0),
            ..options(128)
        },
    ] {
        assert!(lambda::estimate(&p, &bad).is_err(), "{bad:?}");
    }
    let mut ir = p.clone();
    ir.meta.unit = Unit::Event("Ir".into());
    let error = lambda::estimate(&ir, &options(128))
        .unwrap_err()
        .to_string();
    assert!(error.contains("needs times"), "{error}");
    assert!(lambda::estimate_runs(&[], &options(128)).is_err());
}

/// Several runs: each run's invocation is rounded up, then averaged.
#[test]
fn runs_are_billed_one_by_one_then_averaged() {
    let runs_ms = [(0.0101, 11.0), (0.0109, 11.0), (0.0121, 13.0)];
    let profiles: Vec<Profile> = runs_ms
        .iter()
        .map(|(seconds, _)| lambda_profile(*seconds, 0.0))
        .collect();
    let estimate = lambda::estimate_runs(&profiles, &options(1024)).unwrap();
    assert_eq!(estimate.invocations, 3);
    assert!(close(estimate.billed_ms, (11.0 + 11.0 + 13.0) / 3.0, 1e-12));
    assert!(close(
        estimate.local_seconds,
        (0.0101 + 0.0109 + 0.0121) / 3.0,
        1e-15
    ));

    // The committed runs: INIT is averaged too, and the fix still pays off.
    let diff = lambda::compare_runs(&runs("before"), &runs("after"), &options(512)).unwrap();
    assert_eq!(diff.base.invocations, 5);
    assert!(
        diff.delta_per_million() < -0.5,
        "{}",
        diff.delta_per_million()
    );
    assert!(diff.init_delta_ms().unwrap() > 0.0);
    let mut out = Vec::new();
    render::lambda::write_text(&mut out, &diff, Style::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("per invocation (mean of 5 → 5 invocations): "),
        "{text}"
    );
}

#[test]
fn json_section_round_trips() {
    let diff = lambda::compare(&seed("before"), &seed("after"), &options(512)).unwrap();
    let section = json::lambda_diff(&diff);
    let text = serde_json::to_string(&section).unwrap();
    let back: wire::LambdaCost = serde_json::from_str(&text).unwrap();
    assert_eq!(back, section);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["settings"]["memory_mb"], 512);
    assert_eq!(value["settings"]["arch"], "x86_64");
    assert_eq!(value["base"]["entry"]["source"], "named");
    assert_eq!(value["base"]["billed_duration_ms"], 173.0);
    assert_eq!(value["new"]["init"]["module"], "handler.py:1(<module>)");
    assert!(value["delta"]["cost_per_million"].as_f64().unwrap() < -1.4);
    assert!(value.get("estimate").is_none());

    let one = json::lambda_estimate(&diff.new);
    let value = serde_json::to_value(&one).unwrap();
    assert_eq!(value["estimate"]["billed_duration_ms"], 1.0);
    assert!(value.get("delta").is_none());

    let mut out = Vec::new();
    render::lambda::write_estimate_text(&mut out, &diff.new, Style::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("per invocation: 119 µs, billed 1.00 ms"),
        "{text}"
    );
    assert!(
        text.contains("INIT (per cold start): 233 ms in handler.py:1(<module>)"),
        "{text}"
    );
}
