//! pstats text, folded, speedscope and pprof readers against fixtures made by
//! the real tools (fixtures/make_sampled_fixtures.sh). Every number is checked
//! against a computation that does not use profdiff's parsers: sums over the
//! raw folded lines, Python's own pstats view of the binary dump of the same
//! run, speedscope weights and events read here with serde_json, and pprof
//! values decoded by the protobuf classes austin-python ships.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use profdiff::formats::folded::{self, FoldedOptions};
use profdiff::formats::gzip::maybe_gunzip;
use profdiff::formats::pprof::{self, PprofOptions};
use profdiff::formats::pstats;
use profdiff::formats::pstats_text::{self, TextOptions};
use profdiff::formats::speedscope::{self, SpeedscopeOptions};
use profdiff::input;
use profdiff::model::{Format, Function, FunctionKind, Profile, Unit};
use profdiff::render::flamegraph::{self, FlameGraphOptions};
use profdiff::Position;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's bytes, gunzipped when it is gzipped.
fn fixture(path: &str) -> Vec<u8> {
    let raw = std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    maybe_gunzip(&raw).unwrap().into_owned()
}

fn fixture_text(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

fn files_in(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    files
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn parse_folded(path: &str) -> Profile {
    folded::parse(&fixture(path), path, &FoldedOptions::default()).unwrap()
}

fn parse_text(path: &str) -> Profile {
    pstats_text::parse(&fixture(path), path, &TextOptions::default()).unwrap()
}

fn parse_speedscope(path: &str) -> Profile {
    speedscope::parse(&fixture(path), path, &SpeedscopeOptions::default()).unwrap()
}

fn parse_pprof(path: &str) -> Profile {
    pprof::parse(&fixture(path), path, &PprofOptions::default()).unwrap()
}

// ---------------------------------------------------------------- detection

/// The library's own detection (`input::detect`, in `formats::DETECTION_ORDER`)
/// on what it sniffs: at most the first 64 KiB of the (gunzipped) input.
fn detect(bytes: &[u8]) -> Option<Format> {
    let bytes = &bytes[..bytes.len().min(64 * 1024)];
    input::detect(bytes, "fixture").ok()
}

#[test]
fn every_fixture_is_detected_as_its_format() {
    let mut checked = 0;
    for (dir, want) in [
        ("fixtures/text", Format::PstatsText),
        ("fixtures/folded", Format::Folded),
        ("fixtures/speedscope", Format::Speedscope),
        ("fixtures/pprof", Format::Pprof),
    ] {
        for path in files_in(dir) {
            let name = path.trim_end_matches(".gz");
            // Helpers that live beside the fixtures: scripts, versions, and
            // the expected-number JSON files of pprof and pstats text.
            let helper = name.ends_with(".py")
                || name.ends_with("VERSIONS.txt")
                || (name.ends_with(".json") && dir != "fixtures/speedscope");
            if helper {
                continue;
            }
            let want = if name.ends_with(".prof") {
                Format::Pstats
            } else {
                want
            };
            assert_eq!(detect(&fixture(&path)), Some(want), "{path}");
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} fixtures checked");
}

#[test]
fn other_formats_are_not_claimed() {
    for dir in ["fixtures/pstats", "fixtures/seed", "fixtures/callgrind"] {
        for path in files_in(dir) {
            if !(path.ends_with(".prof") || path.ends_with(".callgrind")) {
                continue;
            }
            let bytes = fixture(&path);
            let prefix = &bytes[..bytes.len().min(64 * 1024)];
            assert!(!speedscope::detect(prefix), "{path} as speedscope");
            assert!(!pprof::detect(prefix), "{path} as pprof");
            assert!(!pstats_text::detect(prefix), "{path} as pstats text");
            assert!(!folded::detect(prefix), "{path} as folded");
        }
    }
}

// ---------------------------------------------------------------- folded

/// Totals computed straight from the lines: Σ count, and per function name
/// the self and (once-per-stack) inclusive sums. `frame_name` turns a raw
/// frame into a function name; `None` drops the frame.
fn folded_oracle(
    text: &str,
    frame_name: impl Fn(&str) -> Option<String>,
) -> (f64, HashMap<String, (f64, f64)>) {
    let mut total = 0.0;
    let mut functions: HashMap<String, (f64, f64)> = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (stack, count) = line.rsplit_once(' ').unwrap_or(("", line));
        let count: f64 = count.split(',').next().unwrap().parse().unwrap();
        total += count;
        let names: Vec<String> = stack
            .split(';')
            .filter(|f| !f.is_empty())
            .filter_map(&frame_name)
            .collect();
        let names = if names.is_empty() {
            vec![folded::EMPTY_STACK.to_string()]
        } else {
            names
        };
        let mut seen = std::collections::HashSet::new();
        for (i, name) in names.iter().enumerate() {
            let entry = functions.entry(name.clone()).or_default();
            if i + 1 == names.len() {
                entry.0 += count;
            }
            if seen.insert(name) {
                entry.1 += count;
            }
        }
    }
    (total, functions)
}

fn check_against_oracle(
    profile: &Profile,
    total: f64,
    oracle: &HashMap<String, (f64, f64)>,
    scale: f64,
) {
    let tolerance = 1e-9 * total.max(1.0);
    assert!(
        close(profile.total_cost(), total * scale, tolerance),
        "total {} vs {}",
        profile.total_cost(),
        total * scale
    );
    let mut ours: HashMap<&str, (f64, f64)> = HashMap::new();
    for f in &profile.functions {
        let entry = ours.entry(f.name.as_str()).or_default();
        entry.0 += f.self_cost;
        // Functions that share a name but not a file are rare here; their
        // inclusive costs can only be compared where the name is unique.
        entry.1 += f.inclusive_cost;
    }
    for (name, (self_cost, inclusive)) in oracle {
        let (our_self, our_inclusive) = ours
            .get(name.as_str())
            .copied()
            .unwrap_or_else(|| panic!("{name} missing"));
        assert!(
            close(our_self, self_cost * scale, tolerance),
            "{name} self {our_self} vs {}",
            self_cost * scale
        );
        if profile.functions.iter().filter(|f| f.name == *name).count() == 1 {
            assert!(
                close(our_inclusive, inclusive * scale, tolerance),
                "{name} inclusive {our_inclusive} vs {}",
                inclusive * scale
            );
        }
    }
}

#[test]
fn pyspy_raw_numbers_match_the_lines() {
    for path in [
        "fixtures/folded/pyspy_before.txt",
        "fixtures/folded/pyspy_after.txt",
        "fixtures/folded/pyspy_before.txt.gz",
        "fixtures/folded/pyspy_threads_after.txt",
    ] {
        let profile = parse_folded(path);
        let (total, oracle) = folded_oracle(&fixture_text(path), |frame| {
            if frame.starts_with("thread (") {
                return Some(frame.to_string()); // --threads root, kept whole
            }
            Some(
                frame
                    .rsplit_once(" (")
                    .map_or(frame, |(name, _)| name)
                    .to_string(),
            )
        });
        assert_eq!(profile.meta.unit, Unit::Samples);
        assert_eq!(profile.meta.producer.as_deref(), Some("py-spy"));
        check_against_oracle(&profile, total, &oracle, 1.0);
        // The stacks keep every sample, root first.
        let stack_total: f64 = profile.stacks.iter().map(|s| s.cost).sum();
        assert!(close(stack_total, total, 1e-9));
        // Stacks are root first: nearly all samples are under the script's
        // `<module>` (below a `thread (…)` frame with --threads); the rest
        // are interpreter start-up imports and empty-stack lines ` N`.
        let mut under_module = 0.0;
        for stack in &profile.stacks {
            let mut frames = stack.frames.iter().map(|&f| &profile.functions[f]);
            let mut root = frames.next().unwrap();
            if path.contains("threads") {
                assert!(root.name.starts_with("thread ("), "{path}: {}", root.name);
                assert_eq!(root.kind, FunctionKind::Synthetic);
                // A thread sampled with no Python frame: `thread (…) 3`.
                let Some(next) = frames.next() else { continue };
                root = next;
            }
            if root.name == "<module>" {
                under_module += stack.cost;
            }
        }
        assert!(
            under_module > 0.9 * total,
            "{path}: {under_module} of {total}"
        );
    }
}

#[test]
fn pyspy_raw_with_a_sample_rate_is_seconds() {
    let path = "fixtures/folded/pyspy_after.txt";
    let options = FoldedOptions {
        sample_rate: Some(250.0),
    };
    let profile = folded::parse(&fixture(path), path, &options).unwrap();
    let (total, oracle) = folded_oracle(&fixture_text(path), |f| {
        Some(f.rsplit_once(" (").map_or(f, |(n, _)| n).to_string())
    });
    assert_eq!(profile.meta.unit, Unit::Seconds);
    assert_eq!(profile.meta.precision, Some(1.0 / 250.0));
    check_against_oracle(&profile, total, &oracle, 1.0 / 250.0);
}

#[test]
fn austin_collapsed_numbers_match_the_lines() {
    for path in [
        "fixtures/folded/austin_before.txt",
        "fixtures/folded/austin_after.txt.gz",
    ] {
        let profile = parse_folded(path);
        let (total, oracle) = folded_oracle(&fixture_text(path), |frame| {
            if frame.starts_with('P') || frame.starts_with('T') {
                return None; // process and thread frames
            }
            // file:function:line, the file possibly containing ':'.
            let mut parts = frame.rsplitn(3, ':');
            let _line = parts.next();
            parts.next().map(str::to_string)
        });
        assert_eq!(
            profile.meta.unit,
            Unit::Seconds,
            "Austin wall mode counts microseconds"
        );
        assert!(profile
            .meta
            .producer
            .as_deref()
            .unwrap()
            .starts_with("austin 3."));
        check_against_oracle(&profile, total, &oracle, 1e-6);
        let checksum = profile
            .functions
            .iter()
            .find(|f| f.name == "checksum")
            .unwrap();
        assert!(checksum.file.as_deref().unwrap().ends_with("workload.py"));
    }
}

#[test]
fn folded_edges_carry_inclusive_samples() {
    let profile = parse_folded("fixtures/folded/pyspy_after.txt");
    let id = |name: &str| {
        profile
            .functions
            .iter()
            .position(|f| f.name == name)
            .unwrap()
    };
    let (run, checksum, fib) = (id("run"), id("checksum"), id("fib"));
    let edge = profile
        .edges
        .iter()
        .find(|e| e.caller == run && e.callee == checksum)
        .unwrap();
    assert_eq!(
        edge.inclusive_cost(),
        Some(profile.functions[checksum].inclusive_cost)
    );
    assert_eq!(edge.calls(), None);
    // fib → fib exists and counts each stack once, so it is at most fib's inclusive.
    let recursive = profile
        .edges
        .iter()
        .find(|e| e.caller == fib && e.callee == fib)
        .unwrap();
    assert!(recursive.inclusive_cost().unwrap() <= profile.functions[fib].inclusive_cost);
}

#[test]
fn malformed_folded_names_the_line() {
    let mut text = fixture_text("fixtures/folded/pyspy_before.txt");
    let lines = text.lines().count();
    text.push_str("<module> (workload.py:73);main (workload.py:69) 12x\n");
    let error = folded::parse(text.as_bytes(), "x", &FoldedOptions::default()).unwrap_err();
    assert_eq!(error.position, Position::Line(lines as u64 + 1), "{error}");
    assert!(error.message.contains("12x"), "{error}");
}

// ---------------------------------------------------------------- pstats text

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

// ---------------------------------------------------------------- speedscope

/// Per (name, file): self cost in seconds, computed from the raw JSON.
fn speedscope_oracle(json: &Value) -> (f64, HashMap<(String, String), f64>) {
    let frames = json["shared"]["frames"].as_array().unwrap();
    let key = |index: &Value| {
        let frame = &frames[index.as_u64().unwrap() as usize];
        (
            frame["name"].as_str().unwrap().to_string(),
            frame["file"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut total = 0.0;
    let mut selfs: HashMap<(String, String), f64> = HashMap::new();
    for profile in json["profiles"].as_array().unwrap() {
        let scale = match profile["unit"].as_str().unwrap() {
            "seconds" => 1.0,
            "milliseconds" => 1e-3,
            "microseconds" => 1e-6,
            "nanoseconds" => 1e-9,
            other => panic!("unit {other}"),
        };
        if profile["type"] == "sampled" {
            let samples = profile["samples"].as_array().unwrap();
            let weights = profile["weights"].as_array().unwrap();
            for (sample, weight) in samples.iter().zip(weights) {
                let weight = weight.as_f64().unwrap() * scale;
                total += weight;
                let leaf = match sample.as_array().unwrap().last() {
                    Some(leaf) => key(leaf),
                    None => (folded::EMPTY_STACK.to_string(), String::new()),
                };
                *selfs.entry(leaf).or_default() += weight;
            }
        } else {
            let mut open: Vec<&Value> = Vec::new();
            let mut last = 0.0;
            for event in profile["events"].as_array().unwrap() {
                let at = event["at"].as_f64().unwrap();
                if let Some(top) = open.last() {
                    let duration = (at - last) * scale;
                    total += duration;
                    *selfs.entry(key(top)).or_default() += duration;
                }
                last = at;
                if event["type"] == "O" {
                    open.push(&event["frame"]);
                } else {
                    open.pop();
                }
            }
        }
    }
    (total, selfs)
}

#[test]
fn speedscope_numbers_match_the_json() {
    for path in files_in("fixtures/speedscope") {
        if !path.ends_with(".json") {
            continue;
        }
        let json: Value = serde_json::from_slice(&fixture(&path)).unwrap();
        let (total, selfs) = speedscope_oracle(&json);
        let profile = parse_speedscope(&path);
        assert_eq!(profile.meta.unit, Unit::Seconds);
        assert!(
            close(profile.total_cost(), total, 1e-9),
            "{path}: {} vs {total}",
            profile.total_cost()
        );
        let mut ours: HashMap<(String, String), f64> = HashMap::new();
        for f in &profile.functions {
            *ours
                .entry((f.name.clone(), f.file.clone().unwrap_or_default()))
                .or_default() += f.self_cost;
        }
        for (key, expected) in &selfs {
            let got = ours.get(key).copied().unwrap_or(0.0);
            assert!(
                close(got, *expected, 1e-9),
                "{path}: {key:?} {got} vs {expected}"
            );
        }
        assert!(total > 0.5, "{path}: the workload runs ~1.5 s; got {total}");
    }
}

#[test]
fn pyspy_speedscope_merges_lines_and_pyinstrument_keeps_them() {
    let pyspy = parse_speedscope("fixtures/speedscope/pyspy_before.json");
    let fibs: Vec<&Function> = pyspy.functions.iter().filter(|f| f.name == "fib").collect();
    assert_eq!(
        fibs.len(),
        1,
        "py-spy's fib at several executing lines is one function"
    );
    assert_eq!(fibs[0].line, None);
    let pyinstrument = parse_speedscope("fixtures/speedscope/pyinstrument_before.json");
    let fib = pyinstrument
        .functions
        .iter()
        .find(|f| f.name == "fib")
        .unwrap();
    assert_eq!(fib.line, Some(18), "pyinstrument records the def line");
}

#[test]
fn speedscope_thread_selection_lists_names() {
    let path = "fixtures/speedscope/pyspy_after.json";
    let options = SpeedscopeOptions {
        thread: Some("no such thread".into()),
    };
    let error = speedscope::parse(&fixture(path), path, &options).unwrap_err();
    assert!(error.message.contains("Thread "), "{error}");
    let json: Value = serde_json::from_slice(&fixture(path)).unwrap();
    let name = json["profiles"][0]["name"].as_str().unwrap().to_string();
    let options = SpeedscopeOptions { thread: Some(name) };
    let one = speedscope::parse(&fixture(path), path, &options).unwrap();
    assert!(one.total_cost() > 0.0);
}

#[test]
fn malformed_speedscope_has_positions() {
    let text = fixture_text("fixtures/speedscope/pyinstrument_after.json");
    // Truncated: the error is at (or just before) the end.
    let cut = &text[..text.len() / 2];
    let error = speedscope::parse(cut.as_bytes(), "x", &SpeedscopeOptions::default()).unwrap_err();
    let Position::Byte(offset) = error.position else {
        panic!("{error}")
    };
    assert!(offset as usize >= cut.len() - 2, "{error}");
    // A close of the wrong frame: change the first close event's frame.
    let at = text.find("\"type\": \"C\"").unwrap();
    let frame_at = at + text[at..].find("\"frame\": ").unwrap() + "\"frame\": ".len();
    let end = frame_at + text[frame_at..].find('}').unwrap();
    let broken = format!("{}0{}", &text[..frame_at], &text[end..]);
    let error =
        speedscope::parse(broken.as_bytes(), "x", &SpeedscopeOptions::default()).unwrap_err();
    assert!(error.message.contains("events["), "{error}");
    assert!(error.message.contains("while frame"), "{error}");
    let Position::Byte(offset) = error.position else {
        panic!("{error}")
    };
    assert!(
        offset as usize > frame_at && (offset as usize) < frame_at + 200,
        "{error} (close at {frame_at})"
    );
}

// ---------------------------------------------------------------- pprof

#[test]
fn pprof_numbers_match_protobufs_own_decoding() {
    for (path, oracle) in [
        (
            "fixtures/pprof/austin_before.pprof",
            "fixtures/pprof/austin_before.expected.json",
        ),
        (
            "fixtures/pprof/austin_before.pprof.gz",
            "fixtures/pprof/austin_before.expected.json",
        ),
        (
            "fixtures/pprof/austin_after.pprof",
            "fixtures/pprof/austin_after.expected.json",
        ),
    ] {
        let expected: Value = serde_json::from_slice(&fixture(oracle)).unwrap();
        assert_eq!(expected["sample_types"][0]["unit"], "\u{3bc}s");
        let profile = parse_pprof(path);
        assert_eq!(profile.meta.unit, Unit::Seconds);
        let total = expected["totals"][0].as_f64().unwrap() * 1e-6;
        assert!(
            close(profile.total_cost(), total, 1e-9),
            "{path}: {} vs {total}",
            profile.total_cost()
        );
        for f in expected["functions"].as_array().unwrap() {
            let (name, file) = (f["name"].as_str().unwrap(), f["file"].as_str().unwrap());
            let ours = profile
                .functions
                .iter()
                .find(|g| g.name == name && g.file.as_deref().unwrap_or("") == file)
                .unwrap_or_else(|| panic!("{path}: {name} ({file})"));
            let self_cost = f["self"][0].as_f64().unwrap() * 1e-6;
            let inclusive = f["inclusive"][0].as_f64().unwrap() * 1e-6;
            assert!(
                close(ours.self_cost, self_cost, 1e-9),
                "{path}: {name} self"
            );
            assert!(
                close(ours.inclusive_cost, inclusive, 1e-9),
                "{path}: {name} inclusive"
            );
        }
    }
}

#[test]
fn pprof_metric_errors_list_the_sample_types() {
    let path = "fixtures/pprof/austin_after.pprof";
    let options = PprofOptions {
        metric: Some("cpu".into()),
    };
    let error = pprof::parse(&fixture(path), path, &options).unwrap_err();
    assert!(error.message.contains("Wall time (\u{3bc}s)"), "{error}");
}

#[test]
fn malformed_pprof_has_byte_offsets_and_never_panics() {
    let bytes = fixture("fixtures/pprof/austin_after.pprof");
    let error = pprof::parse(&bytes[..bytes.len() - 3], "x", &PprofOptions::default()).unwrap_err();
    let Position::Byte(offset) = error.position else {
        panic!("{error}")
    };
    assert!((offset as usize) < bytes.len(), "{error}");
    // Single-byte corruptions all over the file: an error or a profile,
    // never a panic (the unit tests flip every byte of a small profile).
    for index in (0..bytes.len()).step_by(61) {
        let mut broken = bytes.clone();
        broken[index] ^= 0xa5;
        let _ = pprof::parse(&broken, "x", &PprofOptions::default());
    }
    // A gzip stream cut short says so.
    let raw = std::fs::read(root().join("fixtures/pprof/austin_before.pprof.gz")).unwrap();
    let error = maybe_gunzip(&raw[..raw.len() / 2]).unwrap_err();
    assert!(error.message.contains("gzip"), "{error}");
}

// ---------------------------------------------------------------- flame graph

/// A rough well-formedness check: the document is one `<svg>` element and
/// every other tag closes in order.
fn assert_well_formed_svg(svg: &str) {
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{}",
        &svg[..100]
    );
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap();
            open.push(name);
            if name == "script" {
                // The script body holds `<` comparisons; skip to its end tag.
                let end = rest.find("</script>").expect("unclosed script");
                rest = &rest[end..];
            }
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

/// The `fill` of the frame whose tooltip starts with `label`.
fn frame_fill<'s>(svg: &'s str, label: &str) -> Option<&'s str> {
    let title = format!("<title>{label} (");
    let at = svg.find(&title)?;
    let rest = &svg[at..];
    let fill = rest.find("fill=\"")? + "fill=\"".len();
    Some(&rest[fill..fill + rest[fill..].find('"')?])
}

fn rgb(fill: &str) -> (u8, u8, u8) {
    let inner = fill.trim_start_matches("rgb(").trim_end_matches(')');
    let parts: Vec<u8> = inner
        .split(',')
        .map(|p| p.trim().parse().unwrap())
        .collect();
    (parts[0], parts[1], parts[2])
}

#[test]
fn differential_flame_graph_colours_what_changed() {
    for (base, new) in [
        (
            parse_folded("fixtures/folded/pyspy_before.txt"),
            parse_folded("fixtures/folded/pyspy_after.txt"),
        ),
        (
            parse_speedscope("fixtures/speedscope/pyinstrument_before.json"),
            parse_speedscope("fixtures/speedscope/pyinstrument_after.json"),
        ),
        (
            parse_pprof("fixtures/pprof/austin_before.pprof"),
            parse_pprof("fixtures/pprof/austin_after.pprof"),
        ),
    ] {
        let mut out = Vec::new();
        let options = FlameGraphOptions {
            normalize: true,
            ..Default::default()
        };
        flamegraph::write_diff(&base, &new, &mut out, &options).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert_well_formed_svg(&svg);
        let path = &new.meta.path;
        // checksum does twice the work: red (r = 255 > b).
        let (r, _, b) = rgb(frame_fill(&svg, "workload.py:checksum")
            .unwrap_or_else(|| panic!("{path}: no checksum frame")));
        assert!(
            r == 255 && b < 255,
            "{path}: checksum should be red, is rgb({r},_,{b})"
        );
        // tokenize does half: blue.
        let (r, _, b) = rgb(frame_fill(&svg, "workload.py:tokenize").unwrap());
        assert!(
            b == 255 && r < 255,
            "{path}: tokenize should be blue, is rgb({r},_,{b})"
        );
        // cache_warm is new, legacy_pass gone (not drawn with the new widths).
        assert!(
            frame_fill(&svg, "workload.py:cache_warm").is_some(),
            "{path}"
        );
        assert!(
            frame_fill(&svg, "workload.py:legacy_pass").is_none(),
            "{path}"
        );
    }
}

#[test]
fn flame_graph_with_base_widths_shows_removed_frames() {
    let base = parse_folded("fixtures/folded/pyspy_before.txt");
    let new = parse_folded("fixtures/folded/pyspy_after.txt");
    let mut out = Vec::new();
    let options = FlameGraphOptions {
        base_widths: true,
        normalize: true,
        ..Default::default()
    };
    flamegraph::write_diff(&base, &new, &mut out, &options).unwrap();
    let svg = String::from_utf8(out).unwrap();
    assert_well_formed_svg(&svg);
    let (r, _, b) = rgb(frame_fill(&svg, "workload.py:legacy_pass").unwrap());
    assert!(b == 255 && r < 255, "legacy_pass vanished: blue");
}

#[test]
fn normalize_to_scales_every_cost_to_the_other_total() {
    let mut base = parse_folded("fixtures/folded/pyspy_before.txt");
    let new = parse_folded("fixtures/folded/pyspy_after.txt");
    let before = base.total_cost();
    let factor = base.normalize_to(&new).unwrap();
    assert!(
        (factor - new.total_cost() / before).abs() < 1e-12,
        "{factor}"
    );
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    assert!(close(base.total_cost(), new.total_cost()));
    let stacks: f64 = base.stacks.iter().map(|s| s.cost).sum();
    assert!(close(stacks, new.total_cost()), "{stacks}");

    let mut nothing = base.clone();
    nothing.scale_costs(0.0);
    let error = nothing.normalize_to(&new).unwrap_err().to_string();
    assert!(error.contains("total cost is zero"), "{error}");
}

#[test]
fn flame_graph_of_pstats_is_refused_with_the_reason() {
    let mut bytes = Vec::new();
    std::fs::File::open(root().join("fixtures/seed/before.prof"))
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let base = pstats::parse(&bytes, "fixtures/seed/before.prof").unwrap();
    let error =
        flamegraph::write_diff(&base, &base, &mut Vec::new(), &FlameGraphOptions::default())
            .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("fixtures/seed/before.prof"), "{message}");
    assert!(
        message.contains("no call stacks (pstats dumps record only caller\u{2192}callee pairs)"),
        "{message}"
    );
    assert!(message.contains("folded, speedscope or pprof"), "{message}");
}

#[test]
fn flame_graph_refuses_mixed_units() {
    let base = parse_folded("fixtures/folded/pyspy_before.txt");
    let new = parse_speedscope("fixtures/speedscope/pyspy_after.json");
    let error = flamegraph::write_diff(&base, &new, &mut Vec::new(), &FlameGraphOptions::default())
        .unwrap_err();
    // The library names the way out; the command line words it as its flag.
    assert!(
        matches!(
            error,
            profdiff::Error::Remedy {
                remedy: profdiff::Remedy::SampleRate,
                ..
            }
        ),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("diff.svg");
    let output = crate::profdiff(&[
        "diff",
        "fixtures/folded/pyspy_before.txt",
        "fixtures/speedscope/pyspy_after.json",
        "--format",
        "flamegraph",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !svg.exists(),
        "nothing is written when the inputs do not fit"
    );
    assert!(crate::stderr(&output).contains("--sample-rate"));
}
