//! Folded stacks (py-spy raw, Austin) against sums over the raw lines.

use std::collections::HashMap;

use profdiff::formats::folded::{self, FoldedOptions};
use profdiff::model::{FunctionKind, Profile, Unit};
use profdiff::Position;

use super::*;

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
