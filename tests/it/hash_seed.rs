//! Call counts that follow PYTHONHASHSEED: black formatting the same input
//! under seeds 1 and 2 (fixtures/realworld/small-seed{1,2}.prof.gz). Every
//! expectation is computed from pstats' own views of the two dumps
//! (`small-seed*.expected.json.gz`), never from profdiff.
//!
//! The base is seed 2 and the new profile seed 1, the direction in which the
//! counts grow (so a strict gate fails).

use std::collections::HashMap;

use profdiff::wire::DiffDocument;
use serde_json::Value;

use crate::{profdiff, stderr};

const SEED1: &str = "fixtures/realworld/small-seed1.prof.gz";
const SEED2: &str = "fixtures/realworld/small-seed2.prof.gz";
/// The base of every diff here: its counts are the smaller ones.
const BASE: &str = SEED2;
const NEW: &str = SEED1;

fn expected(name: &str) -> Value {
    let path = format!(
        "{}/fixtures/realworld/{name}.expected.json.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
}

/// `<function Random.seed at 0x7f…>` → `<function Random.seed>`: the
/// address changes from process to process, the function does not.
fn without_address(name: &str) -> String {
    let mut out = String::new();
    let mut rest = name;
    while let Some(at) = rest.find(" at 0x") {
        out.push_str(&rest[..at]);
        rest = rest[at + 6..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

/// A function whose pstats `nc` differs between the two views.
#[derive(Debug, Clone)]
struct Moved {
    /// As pstats recorded it: absolute path, or `~` for a builtin.
    file: String,
    line: u64,
    name: String,
    /// `nc` in the base (seed 2) and the new profile (seed 1).
    base: u64,
    new: u64,
}

impl Moved {
    fn delta(&self) -> u64 {
        self.new - self.base
    }
}

/// (file, line, name without addresses) → nc, for one pstats view.
fn counts(view: &Value) -> HashMap<(String, u64, String), u64> {
    view["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["name"].as_str().expect("cProfile names are strings");
            let key = (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                without_address(name),
            );
            (key, f["nc"].as_u64().unwrap())
        })
        .collect()
}

/// Every function whose call count differs between the pstats views of
/// seed 2 (base) and seed 1 (new), and the views' total calls (base, new).
fn pstats_moves() -> (Vec<Moved>, (u64, u64)) {
    pstats_moves_between("small-seed2", "small-seed1")
}

/// As [`pstats_moves`], between any two views of the same program.
fn pstats_moves_between(base_name: &str, new_name: &str) -> (Vec<Moved>, (u64, u64)) {
    let (base_view, new_view) = (expected(base_name), expected(new_name));
    let (base, new) = (counts(&base_view), counts(&new_view));
    assert_eq!(base.len(), new.len(), "both runs have the same functions");
    let mut moved: Vec<Moved> = base
        .iter()
        .map(|(key, &b)| {
            let n = *new
                .get(key)
                .unwrap_or_else(|| panic!("{key:?} only in {base_name}"));
            (key, b, n)
        })
        .filter(|(_, b, n)| b != n)
        .map(|((file, line, name), base, new)| Moved {
            file: file.clone(),
            line: *line,
            name: name.clone(),
            base,
            new,
        })
        .collect();
    moved.sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)));
    let total = |view: &Value| view["total_calls"].as_u64().unwrap();
    (moved, (total(&base_view), total(&new_view)))
}

fn diff_json(extra: &[&str]) -> (DiffDocument, std::process::Output) {
    diff_json_of(BASE, NEW, extra)
}

fn diff_json_of(base: &str, new: &str, extra: &[&str]) -> (DiffDocument, std::process::Output) {
    let mut args = vec!["diff", base, new, "--format", "json"];
    args.extend_from_slice(extra);
    let output = profdiff(&args);
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (document, output)
}

/// profdiff's key for a function pstats names by file, line and name.
fn key_of(document: &DiffDocument, moved: &Moved) -> String {
    let matches: Vec<&str> = document
        .functions
        .iter()
        .filter(|f| {
            f.file.new.as_deref() == Some(moved.file.as_str())
                && f.line.new.map(u64::from).unwrap_or(0) == moved.line
                && without_address(&f.name) == moved.name
        })
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(matches.len(), 1, "{moved:?}: {matches:?}");
    matches[0].to_string()
}

/// `(key, base, new)` of every calls violation in a gated diff's JSON.
fn calls_violations(document: &DiffDocument) -> Vec<(String, f64, f64, f64)> {
    let verdict = document.verdict.as_ref().expect("gated");
    verdict
        .violations
        .iter()
        .filter(|v| v.rule == "calls" || v.rule == "total_calls")
        .map(|v| (v.key.clone(), v.base.unwrap(), v.new, v.limit))
        .collect()
}

#[test]
fn the_profiles_differ_where_pstats_says_and_nowhere_else() {
    let (moved, (base_total, new_total)) = pstats_moves();
    assert!(!moved.is_empty());
    let (document, output) = diff_json(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut expected: Vec<(String, i64, i64)> = moved
        .iter()
        .map(|m| (key_of(&document, m), m.base as i64, m.new as i64))
        .collect();
    expected.sort();
    let mut reported: Vec<(String, i64, i64)> = document
        .functions
        .iter()
        .filter(|f| f.calls.base != f.calls.new)
        .map(|f| (f.key.clone(), f.calls.base.unwrap(), f.calls.new.unwrap()))
        .collect();
    reported.sort();
    assert_eq!(reported, expected);
    let total = &document.summary.total_calls;
    assert_eq!(
        (total.base, total.new),
        (Some(base_total as i64), Some(new_total as i64))
    );
}

#[test]
fn the_strict_gate_fails_on_every_count_that_grew() {
    let (moved, (base_total, new_total)) = pstats_moves();
    let (document, output) = diff_json(&["--fail-on-regression"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let mut expected: Vec<(String, f64, f64, f64)> = moved
        .iter()
        .filter(|m| m.new > m.base)
        .map(|m| {
            let key = key_of(&document, m);
            (key, m.base as f64, m.new as f64, m.base as f64)
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    expected.insert(
        0,
        (
            "(total)".to_string(),
            base_total as f64,
            new_total as f64,
            base_total as f64,
        ),
    );
    assert_eq!(calls_violations(&document), expected);

    // The other way round every moved count shrinks: nothing grew.
    let reverse = profdiff(&["diff", NEW, BASE, "--fail-on-regression"]);
    assert!(moved.iter().all(|m| m.new > m.base), "{moved:?}");
    assert_eq!(reverse.status.code(), Some(0), "{}", stderr(&reverse));
}

#[test]
fn an_absolute_tolerance_just_large_enough_passes() {
    // The same N applies to each function and to the total, so the smallest
    // N that passes is the largest growth among them.
    let (moved, (base_total, new_total)) = pstats_moves();
    let needed = moved
        .iter()
        .map(Moved::delta)
        .chain([new_total - base_total])
        .max()
        .unwrap();
    let gate = |n: u64| {
        let n = n.to_string();
        profdiff(&[
            "diff",
            BASE,
            NEW,
            "--fail-on-regression",
            "--max-calls-increase",
            &n,
        ])
    };
    let pass = gate(needed);
    assert_eq!(pass.status.code(), Some(0), "{}", stderr(&pass));
    let fail = gate(needed - 1);
    assert_eq!(fail.status.code(), Some(1));
    let err = stderr(&fail);
    assert!(
        err.contains(&format!("calls may grow by {} calls", needed - 1)),
        "{err}"
    );
}

#[test]
fn a_percent_tolerance_just_large_enough_passes() {
    // The function that grew the most relative to its count decides.
    let (moved, _) = pstats_moves();
    let worst = moved
        .iter()
        .max_by(|a, b| {
            let ratio = |m: &Moved| m.delta() as f64 / m.base as f64;
            ratio(a).total_cmp(&ratio(b))
        })
        .unwrap();
    let (document, _) = diff_json(&["--top", "0"]);
    let worst_key = key_of(&document, worst);
    let pct = |calls: u64| 100.0 * calls as f64 / worst.base as f64;
    let gate = |pct: f64| {
        let pct = pct.to_string();
        diff_json(&["--fail-on-regression", "--max-calls-increase-pct", &pct])
    };
    let (_, pass) = gate(pct(worst.delta()));
    assert_eq!(pass.status.code(), Some(0), "{}", stderr(&pass));
    // One call less for the worst function: it alone fails, held to
    // base + delta − 1.
    let (document, fail) = gate(pct(worst.delta() - 1));
    assert_eq!(fail.status.code(), Some(1));
    assert_eq!(
        calls_violations(&document),
        [(
            worst_key,
            worst.base as f64,
            worst.new as f64,
            (worst.new - 1) as f64
        )]
    );
    assert!(stderr(&fail).contains("% of the base"), "{}", stderr(&fail));
}

#[test]
fn absolute_and_percent_together_take_the_larger_allowance() {
    // Cover the worst relative growth with N and the rest with P: neither
    // alone would pass.
    let (moved, (base_total, new_total)) = pstats_moves();
    let ratio = |m: &Moved| m.delta() as f64 / m.base as f64;
    let worst = moved
        .iter()
        .max_by(|a, b| ratio(a).total_cmp(&ratio(b)))
        .unwrap();
    let pct = moved
        .iter()
        .filter(|m| m.name != worst.name || m.file != worst.file)
        .map(|m| 100.0 * ratio(m))
        .chain([100.0 * (new_total - base_total) as f64 / base_total as f64])
        .fold(0.0, f64::max);
    let gate = |n: u64, pct: f64| {
        let (n, pct) = (n.to_string(), pct.to_string());
        profdiff(&[
            "diff",
            BASE,
            NEW,
            "--fail-on-regression",
            "--max-calls-increase",
            &n,
            "--max-calls-increase-pct",
            &pct,
        ])
    };
    let pass = gate(worst.delta(), pct);
    assert_eq!(pass.status.code(), Some(0), "{}", stderr(&pass));
    let fail = gate(worst.delta() - 1, pct);
    assert_eq!(fail.status.code(), Some(1));
    let err = stderr(&fail);
    assert!(err.contains("1 rule violated"), "{err}");
    assert!(err.contains(&format!("({})", worst.name)), "{err}");
    assert!(err.contains("calls may grow by the larger of"), "{err}");
}

#[test]
fn malformed_calls_tolerances_are_usage_errors() {
    for args in [
        &["--max-calls-increase", "5%"][..],
        &["--max-calls-increase=-1"],
        &["--max-calls-increase", "1.5"],
        &["--max-calls-increase-pct=-2"],
        &["--max-calls-increase-pct", "two"],
        &["--max-calls-increase-pct", "inf"],
    ] {
        let mut full = vec!["diff", BASE, NEW, "--fail-on-regression"];
        full.extend_from_slice(args);
        let output = profdiff(&full);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        let flag = args[0].split('=').next().unwrap();
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let hint = stderr(&profdiff(&[
        "diff",
        BASE,
        NEW,
        "--fail-on-regression",
        "--max-calls-increase",
        "5%",
    ]));
    assert!(hint.contains("--max-calls-increase-pct"), "{hint}");
}

// ------------------------------------------------------------- snapshots

/// Runs profdiff outside CI (`CI` unset), so `--update` and `.new` files
/// behave as on a developer's machine whatever runs the tests.
fn profdiff_locally(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .output()
        .expect("run profdiff")
}

/// Writes a snapshot of seed 1 with `--calls-tolerance tolerance` (and any
/// `extra` options) and checks seed 2 against it: (exit code, stdout).
fn seed1_snapshot_checked_against_seed2(tolerance: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed1.snapshot");
    let path = path.to_str().unwrap();
    let mut args = vec![
        "snapshot",
        SEED1,
        "--calls-tolerance",
        tolerance,
        "-o",
        path,
    ];
    args.extend_from_slice(extra);
    let made = profdiff(&args);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let checked = profdiff_locally(&["snapshot", SEED2, "--check", path, "--color", "never"]);
    let code = checked.status.code().unwrap();
    (code, String::from_utf8(checked.stdout).unwrap())
}

/// `(key, expected bound, actual)` of each violated bound in a check report.
fn reported_bounds(report: &str) -> Vec<String> {
    report
        .lines()
        .filter(|l| l.contains(": expected "))
        .map(|l| l.split_once(".snapshot:").unwrap().1.to_string())
        .collect()
}

#[test]
fn an_absolute_calls_tolerance_checks_iff_it_covers_the_pstats_difference() {
    // A snapshot of the whole profile: every other count is equal on both
    // seeds, so only the moved ones can fail.
    let (moved, _) = pstats_moves();
    let needed = moved.iter().map(Moved::delta).max().unwrap();
    let (code, report) = seed1_snapshot_checked_against_seed2(&needed.to_string(), &[]);
    assert_eq!(code, 0, "{report}");
    let (code, report) = seed1_snapshot_checked_against_seed2(&(needed - 1).to_string(), &[]);
    assert_eq!(code, 1);
    // Exactly the functions that moved by more than needed − 1 fail, each
    // with its seed-2 count.
    let (document, _) = diff_json(&[]);
    let mut expected: Vec<String> = moved
        .iter()
        .filter(|m| m.delta() > needed - 1)
        .map(|m| {
            format!(
                ": {}: expected calls ≈ {} ±{} ({}–{}), actual {}",
                key_of(&document, m),
                m.new,
                needed - 1,
                m.new - (needed - 1),
                m.new + (needed - 1),
                m.base
            )
        })
        .collect();
    expected.sort();
    let mut reported: Vec<String> = reported_bounds(&report)
        .into_iter()
        .map(|l| l[l.find(':').unwrap()..].to_string())
        .collect();
    reported.sort();
    assert_eq!(reported, expected, "{report}");
}

#[test]
fn a_percent_calls_tolerance_checks_iff_it_covers_the_pstats_difference() {
    // Percent of the recorded (seed 1) count; the largest ratio decides.
    let (moved, _) = pstats_moves();
    let ratio = |m: &Moved| m.delta() as f64 / m.new as f64;
    let worst = moved
        .iter()
        .max_by(|a, b| ratio(a).total_cmp(&ratio(b)))
        .unwrap();
    let pct = |calls: u64| format!("{}%", 100.0 * calls as f64 / worst.new as f64);
    let (code, report) = seed1_snapshot_checked_against_seed2(&pct(worst.delta()), &[]);
    assert_eq!(code, 0, "{report}");
    let (code, report) = seed1_snapshot_checked_against_seed2(&pct(worst.delta() - 1), &[]);
    assert_eq!(code, 1);
    let reported = reported_bounds(&report);
    assert_eq!(reported.len(), 1, "{report}");
    assert!(
        reported[0].ends_with(&format!(
            "expected calls ≈ {} ±{} ({}–{}), actual {}",
            worst.new,
            pct(worst.delta() - 1),
            worst.new - (worst.delta() - 1),
            worst.new + (worst.delta() - 1),
            worst.base
        )),
        "{report}"
    );
}

#[test]
fn update_keeps_a_hand_written_calls_tolerance_that_holds() {
    let (moved, _) = pstats_moves();
    let (document, _) = diff_json(&[]);
    let keys: Vec<String> = moved.iter().map(|m| key_of(&document, m)).collect();
    let include = keys
        .iter()
        .map(|k| format!("^{}$", regex::escape(k)))
        .collect::<Vec<_>>()
        .join("|");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.snapshot");
    let path_str = path.to_str().unwrap();
    crate::run_ok(&["snapshot", SEED1, "--include", &include, "-o", path_str]);
    let written = std::fs::read_to_string(&path).unwrap();
    // Hand-edit: the first moved function gets a tolerance that covers its
    // move, the second one that falls one call short.
    let (holds, short) = (&moved[0], &moved[1]);
    let edit = |text: &str, m: &Moved, key: &str, tolerance: u64| {
        let exact = format!("{key}  calls = {}\n", m.new);
        assert!(text.contains(&exact), "{exact:?} in\n{text}");
        text.replace(&exact, &format!("{key}  calls ≈ {} ±{tolerance}\n", m.new))
    };
    let edited = edit(&written, holds, &keys[0], holds.delta());
    let edited = edit(&edited, short, &keys[1], short.delta() - 1);
    std::fs::write(&path, &edited).unwrap();

    let update = profdiff_locally(&["snapshot", SEED2, "--check", path_str, "--update"]);
    assert_eq!(update.status.code(), Some(0), "{}", stderr(&update));
    let updated = std::fs::read_to_string(&path).unwrap();
    // The tolerance that holds stays as written; the one that failed is
    // centred on seed 2's count and keeps its width; the untouched exact
    // line becomes seed 2's count.
    let expected = edited
        .replace(
            &format!(
                "{}  calls ≈ {} ±{}\n",
                keys[1],
                short.new,
                short.delta() - 1
            ),
            &format!(
                "{}  calls ≈ {} ±{}\n",
                keys[1],
                short.base,
                short.delta() - 1
            ),
        )
        .replace(
            &format!("{}  calls = {}\n", keys[2], moved[2].new),
            &format!("{}  calls = {}\n", keys[2], moved[2].base),
        );
    assert_ne!(expected, edited);
    assert_eq!(updated, expected);
    assert!(updated.contains(&format!(
        "{}  calls ≈ {} ±{}\n",
        keys[0],
        holds.new,
        holds.delta()
    )));
    let check = profdiff_locally(&["snapshot", SEED2, "--check", path_str]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout_of(&check));
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn malformed_snapshot_tolerances_are_usage_errors() {
    for bad in ["2.5", "-2%", "two", "2%%", ""] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.snapshot");
        let output = profdiff(&[
            "snapshot",
            SEED1,
            &format!("--calls-tolerance={bad}"),
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        let err = stderr(&output);
        assert!(err.contains("--calls-tolerance"), "{bad:?}: {err}");
        assert!(!path.exists(), "{bad:?} wrote a snapshot");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.snapshot");
    for (body, line, needle) in [
        ("enum.py:__hash__  calls ≈ 3028 ±2.5\n", 4, "whole number"),
        ("enum.py:__hash__  calls = 3028 ±50\n", 4, "calls ≈ 3028 ±T"),
        ("enum.py:__hash__  calls ≈ 3028\n", 4, "tolerance like ±2%"),
        (
            "# calls tolerance: 5 calls\nenum.py:__hash__\n",
            4,
            "calls tolerance",
        ),
    ] {
        let text = format!(
            "# profdiff snapshot v1\n# format: pstats  unit: seconds\n# include: ^enum.py:__hash__$\n{body}"
        );
        std::fs::write(&path, &text).unwrap();
        let output = profdiff(&["snapshot", SEED2, "--check", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{body:?}");
        let err = stderr(&output);
        assert!(
            err.contains(&format!("invalid snapshot: line {line}: ")),
            "{body:?}: {err}"
        );
        assert!(err.contains(needle), "{body:?}: {err}");
    }
}

// ----------------------------------------------------------- noise notes

/// Whether pstats names the function `__hash__` or the builtin `hash`: the
/// functions whose counts follow the hash seed by nature.
fn hash_named(m: &Moved) -> bool {
    m.name == "__hash__" || (m.file == "~" && m.name == "<built-in method builtins.hash>")
}

/// The keys of the hash-named functions whose pstats counts differ, sorted.
fn expected_noise(document: &DiffDocument, moved: &[Moved]) -> Vec<String> {
    let mut keys: Vec<String> = moved
        .iter()
        .filter(|m| hash_named(m))
        .inspect(|m| {
            // The seed moves these counts a little (the flag's 10% rule).
            assert!(10 * m.base.abs_diff(m.new) <= m.base.max(m.new), "{m:?}");
        })
        .map(|m| key_of(document, m))
        .collect();
    keys.sort();
    keys
}

/// The keys listed in a note's parentheses.
fn listed(note: &str) -> Vec<String> {
    let inside = note
        .split_once(" changed (")
        .and_then(|(_, rest)| rest.split_once("); likely noise"))
        .unwrap_or_else(|| panic!("no list in {note:?}"))
        .0;
    inside.split(", ").map(str::to_string).collect()
}

/// The keys a violations note names (`a, b and c follow PYTHONHASHSEED: …`).
fn named_in(note: &str) -> Vec<String> {
    let (names, _) = note
        .split_once(" follow PYTHONHASHSEED")
        .or_else(|| note.split_once(" follows PYTHONHASHSEED"))
        .unwrap_or_else(|| panic!("no names in {note:?}"));
    let mut names: Vec<String> = names
        .split(" and ")
        .flat_map(|part| part.split(", "))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn the_report_marks_exactly_the_hash_functions_whose_counts_moved() {
    for (base_view, new_view, base, new) in [
        ("small-seed2", "small-seed1", SEED2, SEED1),
        (
            "small-cprofile",
            "small-seed1",
            "fixtures/realworld/small-cprofile.prof",
            SEED1,
        ),
    ] {
        let (moved, _) = pstats_moves_between(base_view, new_view);
        let (document, output) = diff_json_of(base, new, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let noise = expected_noise(&document, &moved);
        // Among the moved functions is one that is not hash-named (black's
        // mode.py genexpr): it moves with the seed too, but is not marked.
        assert!(
            noise.len() >= 2 && noise.len() < moved.len(),
            "{noise:?} of {moved:?}"
        );

        // JSON: the per-function field and the summary note.
        let mut marked: Vec<String> = document
            .functions
            .iter()
            .filter(|f| f.likely_noise.is_some())
            .inspect(|f| assert_eq!(f.likely_noise.as_deref(), Some("hash_seed")))
            .map(|f| f.key.clone())
            .collect();
        marked.sort();
        assert_eq!(marked, noise, "{base_view} → {new_view}");
        assert_eq!(
            document.summary.notes.len(),
            1,
            "{:?}",
            document.summary.notes
        );
        let json_note = &document.summary.notes[0];
        assert_eq!(listed(json_note), noise);
        assert!(json_note.starts_with(&format!(
            "call counts of {} functions that follow PYTHONHASHSEED changed",
            noise.len()
        )));

        // Text: the same note under the summary, before the table.
        let text = crate::stdout(&profdiff(&["diff", base, new, "--color", "never"]));
        let notes: Vec<&str> = text.lines().filter(|l| l.starts_with("note: ")).collect();
        assert_eq!(notes, [format!("note: {json_note}")], "{text}");
        let table = text.lines().position(|l| l.contains("Δcalls")).unwrap();
        let note_line = text.lines().position(|l| l.starts_with("note: ")).unwrap();
        assert!(note_line < table);

        // Markdown: a note with the names as code spans.
        let markdown = crate::stdout(&profdiff(&["diff", base, new, "--format", "markdown"]));
        let spans: Vec<String> = noise.iter().map(|k| format!("`{k}`")).collect();
        assert!(
            markdown.contains(&format!(
                "> **Note**: call counts of {} functions that follow PYTHONHASHSEED changed ({});",
                noise.len(),
                spans.join(", ")
            )),
            "{markdown}"
        );
    }
}

#[test]
fn the_note_follows_the_filters() {
    let (moved, _) = pstats_moves();
    let (document, _) = diff_json(&[]);
    let noise = expected_noise(&document, &moved);
    // Only the genexpr selected: nothing to note.
    let (narrow, _) = diff_json(&["--include", r"mode\.py:<genexpr>"]);
    assert_eq!(narrow.functions.len(), 1);
    assert!(
        narrow.summary.notes.is_empty(),
        "{:?}",
        narrow.summary.notes
    );
    // One hash function selected: the note names it alone.
    let one = regex::escape(&noise[0]);
    let (single, _) = diff_json(&["--include", &format!("^{one}$")]);
    assert_eq!(single.summary.notes.len(), 1);
    assert_eq!(listed(&single.summary.notes[0]), [noise[0].clone()]);
    assert!(single.summary.notes[0].starts_with("call count of 1 function that follows"));
}

#[test]
fn the_gate_still_fails_and_says_which_violations_are_likely_noise() {
    let (moved, _) = pstats_moves();
    let (document, output) = diff_json(&["--fail-on-regression"]);
    assert_eq!(output.status.code(), Some(1));
    let noise = expected_noise(&document, &moved);
    // Every hash function's growth is a violation (the gate does not excuse
    // them), and so is the genexpr's.
    let violated: Vec<String> = calls_violations(&document)
        .into_iter()
        .map(|v| v.0)
        .collect();
    for key in &noise {
        assert!(violated.contains(key), "{key} not in {violated:?}");
    }
    let err = stderr(&output);
    let note = err
        .lines()
        .find_map(|l| l.strip_prefix("note: "))
        .unwrap_or_else(|| panic!("no note in\n{err}"));
    assert_eq!(named_in(note), noise);
    let genexpr = moved.iter().find(|m| !hash_named(m)).unwrap();
    let genexpr_key = key_of(&document, genexpr);
    assert!(violated.contains(&genexpr_key));
    assert!(!note.contains(&genexpr_key), "{note}");
    assert!(note.contains("--max-calls-increase-pct"), "{note}");

    // With the genexpr alone failing, there is nothing to note.
    let only_genexpr = profdiff(&[
        "diff",
        BASE,
        NEW,
        "--fail-on-regression",
        "--include",
        r"mode\.py:<genexpr>",
    ]);
    assert_eq!(only_genexpr.status.code(), Some(1));
    let err = stderr(&only_genexpr);
    assert!(
        err.contains("(<genexpr>)") && !err.contains("note:"),
        "{err}"
    );
}

#[test]
fn a_snapshot_check_notes_hash_seed_counts() {
    let (moved, _) = pstats_moves();
    let (document, _) = diff_json(&[]);
    let noise = expected_noise(&document, &moved);
    let include = moved
        .iter()
        .map(|m| format!("^{}$", regex::escape(&key_of(&document, m))))
        .collect::<Vec<_>>()
        .join("|");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strict.snapshot");
    let path = path.to_str().unwrap();
    crate::run_ok(&["snapshot", SEED1, "--include", &include, "-o", path]);
    let checked = profdiff_locally(&["snapshot", SEED2, "--check", path, "--color", "never"]);
    assert_eq!(checked.status.code(), Some(1));
    let report = stdout_of(&checked);
    assert_eq!(reported_bounds(&report).len(), moved.len(), "{report}");
    let note = report
        .lines()
        .find_map(|l| l.strip_prefix("  note: "))
        .unwrap_or_else(|| panic!("no note in\n{report}"));
    assert_eq!(named_in(note), noise);
}

#[test]
fn a_large_move_of_a_hash_count_is_not_called_noise() {
    // black 23.12.1 → 24.8.0, both under PYTHONHASHSEED=0: the new release
    // hashes enum members far more often. pstats' view of 24.8.0 has the
    // new count.
    let view = expected("black-24.8.0");
    let enum_hash = view["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "__hash__" && f["file"].as_str().unwrap().ends_with("/enum.py"))
        .unwrap();
    let (document, output) = diff_json_of(
        "fixtures/realworld/black-23.12.1.prof.gz",
        "fixtures/realworld/black-24.8.0.prof.gz",
        &["--include", r"^enum\.py:__hash__$"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(document.functions.len(), 1);
    let row = &document.functions[0];
    assert_eq!(row.calls.new, enum_hash["nc"].as_i64());
    let (base, new) = (row.calls.base.unwrap(), row.calls.new.unwrap());
    assert!(new > 2 * base, "{base} → {new}");
    assert_eq!(row.likely_noise, None);
    assert!(
        document.summary.notes.is_empty(),
        "{:?}",
        document.summary.notes
    );
}
