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
    input::load(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
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

// ---------------------------------------------------------------- pstats text

/// pstats' view of `black-24.8.0.prof` (fixtures/tools/dump_expected.py).
fn expected_dump() -> Value {
    let file = std::fs::File::open(fixture("black-24.8.0.expected.json.gz")).unwrap();
    serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
}

/// The `N function calls (M primitive calls) in T seconds` line of a text
/// fixture: its 1-based line number, N, M and T as printed.
fn text_header(name: &str) -> (usize, u64, u64, String) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let (index, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(" function calls "))
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        (words[1], words[2], words[4], words[6], words[8]),
        ("function", "calls", "primitive", "in", "seconds"),
        "{line}"
    );
    let count = |word: &str| word.trim_matches(['(', ')']).parse::<u64>().unwrap();
    (
        index + 1,
        count(words[0]),
        count(words[3]),
        words[7].to_string(),
    )
}

fn json_output(args: &[&str]) -> Value {
    let output = profdiff(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        crate::stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// `diff --format json` of two files, parsed.
fn diff_json(base: &str, new: &str) -> Value {
    let printed = crate::run_ok(&["diff", base, new, "--format", "json"]);
    serde_json::from_str(&printed.clone()).unwrap()
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
            crate::run_ok(&["convert", source, "--to", to, "-o", out]);
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

#[test]
fn print_stats_20_has_the_whole_profiles_totals() {
    const TOP20: &str = "fixtures/realworld/black-24.8.0.top20.txt";
    let (_, calls, primitive, seconds) = text_header("black-24.8.0.top20.txt");
    // The header is pstats' own view of the dump the text was printed from.
    let dump = expected_dump();
    assert_eq!(calls, dump["total_calls"].as_u64().unwrap());
    assert_eq!(primitive, dump["primitive_calls"].as_u64().unwrap());
    assert_eq!(
        seconds,
        format!("{:.3}", dump["total_tt"].as_f64().unwrap())
    );
    let seconds: f64 = seconds.parse().unwrap();

    let profile = load("black-24.8.0.top20.txt");
    assert_eq!(profile.functions.len(), 20);
    assert_eq!(profile.total_calls(), Some(calls));
    assert_eq!(profile.total_primitive_calls(), Some(primitive));
    assert_eq!(profile.total_cost(), seconds);
    // The 20 rows alone are far from it (199 calls, 0.26 s).
    let listed: u64 = profile.functions.iter().filter_map(|f| f.calls).sum();
    assert!(listed < 1000, "{listed}");
    let notes = profile.meta.notes.join("\n");
    assert!(notes.contains("list reduced from 1675 to 20"), "{notes}");
    assert!(notes.contains("totals are the header's"), "{notes}");

    // What the commands print: show (text and JSON), the Lambda estimate of
    // the whole profile, and a diff against the dump itself.
    let text = stdout(&profdiff(&["show", TOP20, "--top", "1"]));
    assert!(
        text.contains("9,016,767 function calls (6,633,261 primitive calls) in 7.52 s"),
        "{text}"
    );
    let show = json_output(&["show", TOP20, "--format", "json", "--lambda-memory", "512"]);
    assert_eq!(show["profile"]["total_calls"], calls);
    assert_eq!(show["profile"]["primitive_calls"], primitive);
    assert_eq!(show["profile"]["total_time"], seconds);
    let estimate = &show["lambda"]["estimate"];
    assert_eq!(estimate["entry"]["source"], "total");
    assert_eq!(estimate["local_seconds"], seconds);
    let diff = json_output(&[
        "diff",
        "fixtures/realworld/black-24.8.0.prof.gz",
        TOP20,
        "--format",
        "json",
    ]);
    let summary = &diff["summary"];
    assert_eq!(summary["total_calls"]["base"], calls);
    assert_eq!(summary["total_calls"]["new"], calls);
    assert_eq!(summary["primitive_calls"]["delta"], 0);
    assert_eq!(summary["total_time"]["new"], seconds);
    // The dump's total and its rounding to the header's 3 decimals.
    let delta = summary["total_time"]["delta"].as_f64().unwrap();
    assert!(delta.abs() <= 0.0005, "{delta}");
    // "Unchanged" is 0.1% of the profile's total, not of the 20 rows.
    let threshold = json_output(&["diff", TOP20, TOP20, "--format", "json"])["summary"]
        ["threshold"]
        .as_f64()
        .unwrap();
    assert!((threshold - seconds * 0.001).abs() < 1e-12, "{threshold}");
}

/// `python -m cProfile -s cumulative -m black … > out`: 2,600 lines of
/// formatted source, then the table. The text and the dump are two runs of
/// one deterministic program (PYTHONHASHSEED=0), so every call count is
/// pstats' for the same function, after `strip_dirs()` (which the text
/// had): entries with one (base name, line, name) summed.
#[test]
fn cprofile_stdout_after_program_output_is_read() {
    const STDOUT: &str = "fixtures/realworld/black-24.8.0.stdout.txt";
    let (header_line, calls, primitive, seconds) = text_header("black-24.8.0.stdout.txt");
    assert!(header_line > 2600, "{header_line}");
    let dump = expected_dump();
    assert_eq!(calls, dump["total_calls"].as_u64().unwrap());
    assert_eq!(primitive, dump["primitive_calls"].as_u64().unwrap());

    // Builtins are ("~", 0, "<…>") on both sides, so they match by name,
    // less the addresses that differ between two runs (`<built-in method
    // __new__ of type object at 0x7f…>`); where that leaves one name for
    // several, both sides are summed.
    let address = regex::Regex::new(" at 0x[0-9a-f]+").unwrap();
    let key = |file: &str, line: u64, name: &str| {
        let base = file.rsplit('/').next().unwrap().to_string();
        (base, line, address.replace_all(name, "").into_owned())
    };
    let mut stripped: HashMap<(String, u64, String), (u64, u64)> = HashMap::new();
    for f in dump["functions"].as_array().unwrap() {
        let sums = stripped
            .entry(key(
                f["file"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["name"].as_str().unwrap(),
            ))
            .or_default();
        sums.0 += f["nc"].as_u64().unwrap();
        sums.1 += f["cc"].as_u64().unwrap();
    }
    assert!(stripped.len() < 1675, "strip_dirs merged some entries");

    let profile = load("black-24.8.0.stdout.txt");
    assert_eq!(profile.meta.format, profdiff::Format::PstatsText);
    assert_eq!(profile.total_calls(), Some(calls));
    assert_eq!(profile.total_primitive_calls(), Some(primitive));
    assert_eq!(profile.total_cost(), seconds.parse::<f64>().unwrap());
    assert!(profile.meta.notes.is_empty(), "{:?}", profile.meta.notes);
    let mut ours: HashMap<(String, u64, String), (u64, u64)> = HashMap::new();
    for f in &profile.functions {
        let sums = ours
            .entry(key(
                f.file.as_deref().unwrap(),
                u64::from(f.line.unwrap()),
                &f.name,
            ))
            .or_default();
        sums.0 += f.calls.unwrap();
        sums.1 += f.primitive_calls.unwrap();
    }
    assert_eq!(ours.len(), stripped.len());
    for (key, counts) in &ours {
        assert_eq!(Some(counts), stripped.get(key), "{key:?}");
    }

    // The command line, from the file and from stdin.
    let show = json_output(&["show", STDOUT, "--format", "json", "--top", "1"]);
    assert_eq!(show["profile"]["format"], "pstats-text");
    assert_eq!(show["profile"]["total_calls"], calls);
    assert_eq!(show["profile"]["functions"], profile.functions.len());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["show", "-", "--format", "json", "--top", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(fixture("black-24.8.0.stdout.txt")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&bytes).unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let from_stdin: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(from_stdin["profile"]["path"], "-");
    assert_eq!(from_stdin["profile"]["total_calls"], calls);
    assert_eq!(from_stdin["functions"], show["functions"]);
}

/// Program output longer than detection sniffs (64 KiB) that looks like
/// folded stacks (the loosest format), or ends with the stats header
/// straddling the sniffed bytes, does not hide the table below it.
#[test]
fn any_program_output_before_the_table_is_skipped() {
    let text = std::fs::read_to_string(fixture("black-24.8.0.stdout.txt")).unwrap();
    let start = text[..text.find(" function calls ").unwrap()]
        .rfind('\n')
        .unwrap()
        + 1;
    let stats = &text[start..];
    let original = load("black-24.8.0.stdout.txt");
    assert!(original.declared.is_some());
    let folded_like = "main;step 3\n".repeat(6000);
    assert_eq!(
        input::detect(&folded_like.as_bytes()[..64 * 1024], "x").ok(),
        Some(profdiff::Format::Folded),
        "the output alone looks folded"
    );
    let mut straddling = ("x".repeat(99) + "\n").repeat(655);
    straddling.push_str(&"y".repeat(64 * 1024 - 20 - straddling.len()));
    straddling.push('\n');
    let dir = tempfile::tempdir().unwrap();
    for (name, output) in [("folded", folded_like), ("straddling", straddling)] {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{output}{stats}")).unwrap();
        let profile =
            input::load(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(profile.meta.format, profdiff::Format::PstatsText, "{name}");
        assert_eq!(profile.functions, original.functions, "{name}");
        assert_eq!(profile.declared, original.declared, "{name}");
    }
}

/// A malformed row below program output is reported at its line in the
/// whole file, not in the part after the output, also when the output has
/// lines longer than what is read at a time (1 MiB).
#[test]
fn malformed_row_below_program_output_names_its_line() {
    let text = std::fs::read_to_string(fixture("black-24.8.0.stdout.txt")).unwrap();
    let (header_line, ..) = text_header("black-24.8.0.stdout.txt");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Ten rows into the table (header, blank, "Ordered by", blank, columns).
    let broken = header_line + 4 + 10;
    assert!(
        lines[broken - 1].contains("    0."),
        "{}",
        lines[broken - 1]
    );
    lines[broken - 1] = lines[broken - 1].replacen("    0.", "    0,", 1);
    let long_lines = format!("{}\n", "z".repeat(3 << 20)).repeat(2);
    let dir = tempfile::tempdir().unwrap();
    for (name, output, line) in [
        ("out.txt", String::new(), broken),
        ("long.txt", long_lines, broken + 2),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, output + &lines.join("\n")).unwrap();
        let path = path.to_str().unwrap();
        let output = profdiff(&["show", path]);
        let message = crate::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains(path), "{message}");
        assert!(message.contains(&format!("line {line}:")), "{message}");
    }
    // Unbroken, the long lines are skipped like any other output.
    let path = dir.path().join("long-ok.txt");
    let long_lines = format!("{}\n", "z".repeat(3 << 20)).repeat(2);
    std::fs::write(&path, long_lines + &text).unwrap();
    let profile = input::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(profile.functions, load("black-24.8.0.stdout.txt").functions);
}

// ---------------------------------------------------------------- pyinstrument

/// pyinstrument's `[self]` frames are their parent's own time: every
/// function's self time is pyinstrument's `Frame.total_self_time`, summed
/// over its frames (`small-pyinstrument.self.json`, written by pyinstrument
/// from the same processed frame tree as the export).
#[test]
fn pyinstrument_self_time_is_pyinstruments() {
    let oracle: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("small-pyinstrument.self.json")).unwrap(),
    )
    .unwrap();
    let profile = load("small-pyinstrument.json.gz");
    assert!(
        profile.functions.iter().all(|f| !f.name.starts_with('[')),
        "a synthetic frame is a function"
    );
    let total = oracle["total"].as_f64().unwrap();
    assert!((profile.total_cost() - total).abs() < 1e-9);
    let expected = oracle["functions"].as_array().unwrap();
    assert_eq!(profile.functions.len(), expected.len());
    for entry in expected {
        let (name, file) = (entry["name"].as_str().unwrap(), entry["file"].as_str());
        let line = entry["line"].as_u64().map(|l| l as u32);
        let f = profile
            .functions
            .iter()
            .find(|f| f.name == name && f.file.as_deref() == file && f.line == line)
            .unwrap_or_else(|| panic!("{name} {file:?}:{line:?} missing"));
        let want = entry["self"].as_f64().unwrap();
        assert!(
            (f.self_cost - want).abs() <= 1e-9,
            "{name}: {} vs pyinstrument's {want}",
            f.self_cost
        );
    }
    // The time of the `[self]` frames is a quarter of the profile: far
    // above the tolerance, so the comparison above could not pass without
    // giving it to the parents.
    let synthetic = oracle["synthetic_frames_time"].as_f64().unwrap();
    assert!(synthetic > 0.2 * total, "{synthetic}");

    // Stacks, edges and inclusive costs agree with the self times.
    let mut leaf_cost = vec![0.0; profile.functions.len()];
    for stack in &profile.stacks {
        leaf_cost[*stack.frames.last().unwrap()] += stack.cost;
    }
    for (f, cost) in profile.functions.iter().zip(&leaf_cost) {
        assert!((f.self_cost - cost).abs() < 1e-12, "{}", f.name);
        assert!(f.inclusive_cost >= f.self_cost - 1e-12, "{}", f.name);
    }
    let main = profile.functions.iter().find(|f| f.name == "main").unwrap();
    assert!((main.inclusive_cost - total).abs() < 1e-9);
    for edge in &profile.edges {
        let inclusive = edge.inclusive_cost().unwrap();
        assert!(inclusive <= profile.functions[edge.callee].inclusive_cost + 1e-12);
    }
}
