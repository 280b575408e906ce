//! Import-time logs (`python -X importtime`) against a plain reading of the
//! same files: fixtures/importtime/make_importtime_fixtures.sh wrote them
//! with CPython 3.11, and every expected number here comes from splitting
//! their lines at `|` in a few lines of this file, never from profdiff's
//! reader. The Lambda price is the formula of docs/lambda.md worked by hand.

use std::collections::HashMap;

use profdiff::formats::importtime::{self, ImporttimeOptions, ROOT};
use profdiff::input::{self, LoadOptions};
use profdiff::model::{Format, FunctionKind, Profile};
use serde_json::Value;

use super::*;
use crate::{profdiff, run_expect, run_ok, stderr};

const OLD: &str = "fixtures/importtime/boto3-1.26.0.log";
const NEW: &str = "fixtures/importtime/boto3-1.43.11.log";
const RUNS: &str = "fixtures/importtime/boto3-1.43.11-3runs.log";
const EAGER: &str = "fixtures/importtime/handler-eager.log";
const LAZY: &str = "fixtures/importtime/handler-lazy.log";

/// One line of a log as plain splitting reads it.
#[derive(Debug, Clone)]
struct Line {
    self_us: u64,
    cumulative_us: u64,
    level: usize,
    name: String,
}

/// The import lines of a log, and how many headers it has.
fn plain(text: &str) -> (Vec<Line>, usize) {
    let mut lines = Vec::new();
    let mut headers = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("import time:") else {
            continue;
        };
        if rest.contains("self [us]") {
            headers += 1;
            continue;
        }
        let fields: Vec<&str> = rest.split('|').collect();
        let name = &fields[2][1..];
        let trimmed = name.trim_start();
        lines.push(Line {
            self_us: fields[0].trim().parse().unwrap(),
            cumulative_us: fields[1].trim().parse().unwrap(),
            level: (name.len() - trimmed.len()) / 2,
            name: trimmed.to_string(),
        });
    }
    (lines, headers)
}

/// Per module: (count, Σ self µs, Σ cumulative µs).
fn per_module(lines: &[Line]) -> HashMap<String, (u64, u64, u64)> {
    let mut modules: HashMap<String, (u64, u64, u64)> = HashMap::new();
    for line in lines {
        let entry = modules.entry(line.name.clone()).or_default();
        entry.0 += 1;
        entry.1 += line.self_us;
        entry.2 += line.cumulative_us;
    }
    modules
}

/// Per (parent, child): occurrences. A line's parent is the first line
/// after it that is less indented (CPython prints an import when it ends);
/// a line with none is an outermost import, called by the root.
fn parent_edges(lines: &[Line]) -> HashMap<(String, String), u64> {
    let mut edges = HashMap::new();
    for (index, line) in lines.iter().enumerate() {
        let parent = lines[index + 1..]
            .iter()
            .find(|later| later.level < line.level)
            .map_or(ROOT.to_string(), |p| p.name.clone());
        *edges.entry((parent, line.name.clone())).or_default() += 1;
    }
    edges
}

fn read(path: &str) -> Profile {
    importtime::parse(&fixture(path), path, &ImporttimeOptions::default()).unwrap()
}

fn by_name<'p>(profile: &'p Profile, name: &str) -> &'p profdiff::model::Function {
    profile
        .functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} not in {}", profile.meta.path))
}

fn seconds(us: u64) -> f64 {
    us as f64 / 1e6
}

fn check_against_plain_reading(path: &str) {
    let (lines, headers) = plain(&fixture_text(path));
    let profile = read(path);
    let modules = per_module(&lines);
    // Every module once, plus the root.
    assert_eq!(profile.functions.len(), modules.len() + 1, "{path}");
    for function in &profile.functions[1..] {
        let &(count, own, cumulative) = &modules[&function.name];
        assert_eq!(function.calls, Some(count), "{path} {}", function.name);
        assert_eq!(function.kind, FunctionKind::Source);
        assert!((function.self_cost - seconds(own)).abs() < 1e-12);
        assert!((function.inclusive_cost - seconds(cumulative)).abs() < 1e-12);
    }
    let total: u64 = lines.iter().map(|l| l.self_us).sum();
    assert!(
        (profile.total_cost() - seconds(total)).abs() < 1e-9,
        "{path}: {} vs {total} µs",
        profile.total_cost()
    );
    let root = &profile.functions[0];
    let outermost: u64 = lines
        .iter()
        .filter(|l| l.level == 0)
        .map(|l| l.cumulative_us)
        .sum();
    assert_eq!(
        (root.name.as_str(), root.calls),
        (ROOT, Some(headers as u64))
    );
    assert!((root.inclusive_cost - seconds(outermost)).abs() < 1e-9);
    // Caller edges: one call per occurrence of each nesting.
    let expected = parent_edges(&lines);
    let got: HashMap<(String, String), u64> = profile
        .edges
        .iter()
        .map(|e| {
            let name = |id: usize| profile.functions[id].name.clone();
            ((name(e.caller), name(e.callee)), e.calls().unwrap())
        })
        .collect();
    assert_eq!(got, expected, "{path}");
}

#[test]
fn real_logs_read_as_their_lines_say() {
    for path in [OLD, NEW, EAGER, LAZY, RUNS] {
        check_against_plain_reading(path);
        assert_eq!(read(path).meta.format, Format::Importtime);
    }
    // The numbers of the README's example, from the lines themselves.
    let (lines, _) = plain(&fixture_text(NEW));
    let boto3 = lines.iter().find(|l| l.name == "boto3").unwrap();
    let profile = read(NEW);
    assert_eq!(
        by_name(&profile, "boto3").inclusive_cost,
        seconds(boto3.cumulative_us)
    );
    // A failing import is not cached: `_winapi` is tried more than once.
    let tries = lines.iter().filter(|l| l.name == "_winapi").count() as u64;
    assert!(tries > 1);
    assert_eq!(by_name(&profile, "_winapi").calls, Some(tries));
    assert!(profile.meta.notes.is_empty(), "{:?}", profile.meta.notes);
}

#[test]
fn several_runs_add_up_and_say_so() {
    let (lines, headers) = plain(&fixture_text(RUNS));
    assert_eq!(headers, 3);
    let profile = read(RUNS);
    assert_eq!(profile.functions[0].calls, Some(3));
    let boto3 = lines.iter().filter(|l| l.name == "boto3").count() as u64;
    assert_eq!(by_name(&profile, "boto3").calls, Some(boto3));
    assert!(
        profile.meta.notes.iter().any(|n| n.contains("3 runs")),
        "{:?}",
        profile.meta.notes
    );
    // Two different logs appended: what both import counts twice, the rest once.
    let both = format!("{}{}", fixture_text(OLD), fixture_text(NEW));
    let profile =
        importtime::parse(both.as_bytes(), "both", &ImporttimeOptions::default()).unwrap();
    let counts = per_module(&plain(&both).0);
    assert_eq!(counts["boto3"].0, 2);
    assert_eq!(by_name(&profile, "boto3").calls, Some(2));
    let only_new = counts
        .keys()
        .find(|name| !fixture_text(OLD).contains(&format!(" {name}\n")))
        .unwrap();
    assert_eq!(by_name(&profile, only_new).calls, Some(counts[only_new].0));
    assert!(profile.meta.notes.iter().any(|n| n.contains("2 runs")));
}

#[test]
fn lambda_and_cloudwatch_prefixes_are_stripped() {
    let text = fixture_text(NEW);
    let unprefixed = read(NEW);
    let dir = tempfile::tempdir().unwrap();
    for (name, prefix, flag) in [
        (
            "cloudwatch.log",
            "2024-05-01T12:00:00.000Z\tc0ffee00-0000-4000-8000-000000000001\tINFO\t",
            None,
        ),
        ("timestamp.log", "2024-05-01T12:00:00.000Z\t", None),
        ("custom.log", "app[42]: ", Some(r"app\[\d+\]: ")),
    ] {
        let mut logged = String::from("INIT_START Runtime Version: python:3.11.v40\n");
        for line in text.lines() {
            logged.push_str(&format!("{prefix}{line}\n"));
        }
        logged.push_str("START RequestId: c0ffee00 Version: $LATEST\n");
        let path = dir.path().join(name);
        std::fs::write(&path, &logged).unwrap();
        let options = LoadOptions {
            strip_log_prefix: flag.map(|f| regex::Regex::new(&format!("^(?:{f})")).unwrap()),
            format: flag.map(|_| Format::Importtime),
            ..LoadOptions::default()
        };
        let profile = input::load(&path, &options).unwrap();
        assert_eq!(profile.meta.format, Format::Importtime, "{name}");
        assert_eq!(profile.functions, unprefixed.functions, "{name}");
        assert_eq!(profile.edges, unprefixed.edges, "{name}");
    }
    // The same through the command line.
    let custom = dir.path().join("custom.log");
    let custom = custom.to_str().unwrap();
    let out = run_ok(&[
        "show",
        custom,
        "--from",
        "importtime",
        "--strip-log-prefix",
        r"app\[\d+\]: ",
        "--top",
        "0",
    ]);
    assert!(out.contains("botocore.session"), "{out}");
}

#[test]
fn a_log_cut_short_loads_with_a_note() {
    let text = fixture_text(NEW);
    // The last line is the outermost import, boto3; cut it and half of the
    // line before.
    let last = text.trim_end().rfind('\n').unwrap();
    let before = text[..last].rfind('\n').unwrap();
    let cut = &text[..before + 20];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log");
    std::fs::write(&path, cut).unwrap();
    let path = path.to_str().unwrap();
    let json: Value = serde_json::from_str(&run_ok(&["show", path, "--format", "json"])).unwrap();
    let notes = json["profile"]["notes"].to_string();
    assert!(notes.contains("have no parent line"), "{notes}");
    assert!(notes.contains("is cut short"), "{notes}");
    let names: Vec<&str> = json["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"boto3"));
    assert!(names.contains(&"botocore.session"));
}

#[test]
fn bad_input_exits_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.log");
    let text = fixture_text(NEW).replacen("|        ", "|    12x ", 1);
    let at = text.lines().position(|l| l.contains("12x")).unwrap() + 1;
    std::fs::write(&bad, text).unwrap();
    let bad = bad.to_str().unwrap();
    let output = profdiff(&["show", bad]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(bad) && message.contains(&format!("line {at}:")),
        "{message}"
    );
    // Program output only, no import line: an error too.
    let none = dir.path().join("none.log");
    std::fs::write(&none, "hello\nimport time is short\n").unwrap();
    let output = profdiff(&["show", none.to_str().unwrap(), "--from", "importtime"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no import time lines"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_upgrade_diff_lists_what_it_added() {
    let old: Vec<String> = per_module(&plain(&fixture_text(OLD)).0)
        .into_keys()
        .collect();
    let new = per_module(&plain(&fixture_text(NEW)).0);
    let added: Vec<&String> = new.keys().filter(|name| !old.contains(name)).collect();
    let removed = old.iter().filter(|name| !new.contains_key(*name)).count();
    let json: Value =
        serde_json::from_str(&run_ok(&["diff", OLD, NEW, "--format", "json"])).unwrap();
    assert_eq!(json["summary"]["added"], added.len());
    assert_eq!(json["summary"]["removed"], removed);
    let rows = json["functions"].as_array().unwrap();
    for name in &added {
        let row = rows.iter().find(|r| r["key"] == name.as_str()).unwrap();
        assert_eq!(row["status"], "added", "{name}");
        assert_eq!(row["calls"]["new"], new[*name].0);
    }
    // The text table marks them, and the header counts them.
    let text = run_ok(&["diff", OLD, NEW, "--top", "0", "--color", "never"]);
    assert!(
        text.contains(&format!(
            "functions: {} added, {removed} removed",
            added.len()
        )),
        "{text}"
    );
    // Import time has stacks: a differential flame graph can be drawn.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("imports.svg");
    run_ok(&[
        "diff",
        OLD,
        NEW,
        "--format",
        "flamegraph",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&svg)
        .unwrap()
        .contains("s3transfer"));
}

/// docs/lambda.md: billed = ⌈d⌉ ms (1 ms granularity), cost of one million
/// cold starts = 1e6 · M/1024 · billed/1000 · P.
fn init_cost_by_hand(init_us: f64, memory_mb: f64) -> f64 {
    let billed_ms = (init_us / 1000.0).ceil();
    1e6 * memory_mb / 1024.0 * (billed_ms / 1000.0) * 0.0000166667
}

#[test]
fn lambda_prices_an_import_log_as_init() {
    let outermost = |path: &str| -> f64 {
        let (lines, headers) = plain(&fixture_text(path));
        let sum: u64 = lines
            .iter()
            .filter(|l| l.level == 0)
            .map(|l| l.cumulative_us)
            .sum();
        sum as f64 / headers as f64
    };
    let json: Value = serde_json::from_str(&run_ok(&[
        "diff",
        LAZY,
        EAGER,
        "--format",
        "json",
        "--lambda-memory",
        "512",
        "--cold-start-rate",
        "0.01",
    ]))
    .unwrap();
    let lambda = &json["lambda"];
    for (side, path) in [("base", LAZY), ("new", EAGER)] {
        let estimate = &lambda[side];
        let by_hand = init_cost_by_hand(outermost(path), 512.0);
        let init = &estimate["init"];
        assert!((init["local_seconds"].as_f64().unwrap() - outermost(path) / 1e6).abs() < 1e-12);
        assert!(
            (init["cost_per_million_cold_starts"].as_f64().unwrap() - by_hand).abs() < 1e-9,
            "{side}: {init} vs {by_hand}"
        );
        // No invocation: requests, plus 1% of the cold starts' INIT.
        assert_eq!(estimate["entry"]["source"], "init-only");
        assert_eq!(estimate["invocations"], 0);
        assert_eq!(estimate["billed_duration_ms"], 0.0);
        let total = estimate["cost_per_million"]["total"].as_f64().unwrap();
        assert!(
            (total - (0.20 + 0.01 * by_hand)).abs() < 1e-9,
            "{side}: {total}"
        );
    }
    // The eager handler pays for boto3 in INIT.
    let eager = outermost(EAGER);
    let lazy = outermost(LAZY);
    let delta = lambda["delta"]["init_ms"].as_f64().unwrap();
    assert!((delta - (eager - lazy) / 1000.0).abs() < 1e-6);
    let text = run_ok(&[
        "diff",
        LAZY,
        EAGER,
        "--lambda-memory",
        "512",
        "--color",
        "never",
    ]);
    assert!(text.contains("INIT (per cold start): "), "{text}");
    assert!(
        text.contains("an import-time log measures INIT only"),
        "{text}"
    );

    // Three runs: INIT per cold start is the mean; with an entry, that
    // module's import alone.
    let json: Value = serde_json::from_str(&run_expect(
        &[
            "show",
            RUNS,
            "--format",
            "json",
            "--lambda-memory",
            "1024",
            "--entry",
            "boto3",
        ],
        0,
    ))
    .unwrap();
    let (lines, _) = plain(&fixture_text(RUNS));
    let boto3: Vec<u64> = lines
        .iter()
        .filter(|l| l.name == "boto3")
        .map(|l| l.cumulative_us)
        .collect();
    let mean = boto3.iter().sum::<u64>() as f64 / boto3.len() as f64;
    let init = &json["lambda"]["estimate"]["init"];
    assert_eq!(init["module"], "boto3");
    assert!(
        (init["cost_per_million_cold_starts"].as_f64().unwrap() - init_cost_by_hand(mean, 1024.0))
            .abs()
            < 1e-9,
        "{init}"
    );
}

#[test]
fn detection_finds_the_header_and_only_it() {
    let mut logs = 0;
    for path in files_in("fixtures/importtime") {
        if path.ends_with(".log") || path.ends_with(".log.gz") {
            assert_eq!(detect(&fixture(&path)), Some(Format::Importtime), "{path}");
            logs += 1;
        }
    }
    assert_eq!(logs, 5);
    for dir in [
        "fixtures/text",
        "fixtures/folded",
        "fixtures/seed",
        "fixtures/pstats",
    ] {
        for path in files_in(dir) {
            let bytes = fixture(&path);
            assert!(
                !importtime::detect(&bytes[..bytes.len().min(64 * 1024)]),
                "{path}"
            );
        }
    }
}
