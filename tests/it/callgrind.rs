//! Callgrind fixtures (fixtures/callgrind/, made by make_callgrind_fixtures.sh)
//! read with the library API and checked against an independent source:
//! the `callgrind_annotate` tables committed beside each file (self and
//! `--inclusive=yes`), the files' own `summary:`/`totals:` headers, and the
//! pstats dumps the Python conversions came from. Also the writer's round
//! trip, and malformed input.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use profdiff::error::Position;
use profdiff::formats::callgrind::{self, CallgrindOptions};
use profdiff::input;
use profdiff::model::{Format, FunctionKind, Profile, Unit};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str, metric: Option<&str>) -> Profile {
    let options = CallgrindOptions {
        metric: metric.map(str::to_string),
    };
    let bytes = read(&format!("callgrind/{name}.callgrind"));
    callgrind::parse(&bytes, name, &options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every callgrind fixture, by base name.
const FIXTURES: &[&str] = &[
    "c_default",
    "c_uncompressed",
    "c_events",
    "python_instr",
    "python_parts",
    "p2c_before",
    "p2c_after",
    "p2c_cprofile_py311",
    "yappi_recursive",
    "profdiff_cprofile_py311",
    "profdiff_before",
];

// ------------------------------------------------------------------------
// callgrind_annotate's tables

/// One table printed by `callgrind_annotate --show-percs=no`.
struct Annotate {
    events: Vec<String>,
    /// PROGRAM TOTALS, one per event (`.` is 0).
    totals: Vec<u64>,
    /// `file:function [object]` label and its counts, per row.
    rows: Vec<(String, Vec<u64>)>,
}

/// Splits `n` right-aligned count columns (`1,234` or `.`) off a table line
/// and returns them with the rest, which follows two spaces.
fn split_counts(line: &str, n: usize) -> Option<(Vec<u64>, &str)> {
    let mut rest = line;
    let mut counts = Vec::with_capacity(n);
    for _ in 0..n {
        rest = rest.trim_start_matches(' ');
        let end = rest.find(' ')?;
        let token = &rest[..end];
        counts.push(if token == "." {
            0
        } else {
            token.replace(',', "").parse().ok()?
        });
        rest = &rest[end..];
    }
    Some((counts, rest.strip_prefix("  ")?))
}

fn annotate(name: &str, inclusive: bool) -> Annotate {
    let suffix = if inclusive {
        "annotate-inclusive"
    } else {
        "annotate"
    };
    let file = format!("callgrind/{name}.{suffix}.txt");
    let text = String::from_utf8(read(&file)).unwrap();
    let events: Vec<String> = text
        .lines()
        .find_map(|l| l.strip_prefix("Events shown:"))
        .unwrap_or_else(|| panic!("{file}: no Events shown: line"))
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let n = events.len();
    let mut totals = None;
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.ends_with(" file:function") {
            in_table = true;
            continue;
        }
        if line.starts_with("----") || line.is_empty() {
            continue;
        }
        let Some((counts, rest)) = split_counts(line, n) else {
            continue;
        };
        if rest.starts_with("PROGRAM TOTALS") {
            totals = Some(counts);
        } else if in_table {
            rows.push((rest.to_string(), counts));
        }
    }
    Annotate {
        events,
        totals: totals.unwrap_or_else(|| panic!("{file}: no PROGRAM TOTALS")),
        rows,
    }
}

/// Names a callgrind file defines for the given spec keys (`fl=`, `ob=` …),
/// compressed or not: what callgrind_annotate's labels are made of.
fn defined_names(bytes: &[u8], keys: &[&str]) -> HashSet<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut names = HashSet::new();
    for line in text.lines() {
        for key in keys {
            let Some(value) = line.strip_prefix(key) else {
                continue;
            };
            let value = value.trim();
            let name = match value.strip_prefix('(') {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                    rest.split_once(')').map_or("", |(_, name)| name.trim())
                }
                _ => value,
            };
            if !name.is_empty() {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// `file:function [object]` → (file, function), using the file and object
/// names the callgrind file defines (both may contain `:` or spaces).
fn split_label(
    label: &str,
    files: &HashSet<String>,
    objects: &HashSet<String>,
) -> (String, String) {
    let mut label = label;
    if let Some((head, object)) = label.rsplit_once(" [") {
        if object
            .strip_suffix(']')
            .is_some_and(|o| objects.contains(o))
        {
            label = head;
        }
    }
    let file = label
        .match_indices(':')
        .map(|(i, _)| &label[..i])
        .filter(|f| files.contains(*f))
        .max_by_key(|f| f.len())
        .unwrap_or_else(|| panic!("no known file starts the label {label:?}"));
    (file.to_string(), label[file.len() + 1..].to_string())
}

/// A cost as the file's integer count (ns, µs or the event itself).
fn count(profile: &Profile, value: f64) -> u64 {
    let per_unit = profile.meta.precision.map_or(1.0, |p| 1.0 / p);
    (value * per_unit).round() as u64
}

/// Everything one fixture is checked against.
struct Expectation<'a> {
    /// Which event column of the annotate tables (and which --metric).
    metric: Option<&'a str>,
    /// callgrind_annotate books `calls=0` cost lines (calls still running at
    /// a part's dump) as self cost, and cannot read later parts' headers.
    multi_part: bool,
}

/// The annotate label (file, raw name) of each function, grouped. Python
/// producers put the line into the raw name when a file has the name twice.
fn labels(
    profile: &Profile,
    known: &HashSet<(String, String)>,
) -> HashMap<(String, String), Vec<usize>> {
    let mut groups: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (id, f) in profile.functions.iter().enumerate() {
        let file = f.file.clone().unwrap_or_else(|| "???".to_string());
        let line = f.line.unwrap_or(0);
        let candidates = [
            f.name.clone(),
            format!("{}:{line}", f.name),
            format!("{} {file}:{line}", f.name),
        ];
        let raw = candidates
            .iter()
            .find(|c| known.contains(&(file.clone(), (*c).clone())))
            .unwrap_or_else(|| {
                panic!(
                    "{file}:{} (line {line}) is not in callgrind_annotate's table",
                    f.name
                )
            });
        groups.entry((file, raw.clone())).or_default().push(id);
    }
    groups
}

/// Calls whose cost line callgrind_annotate takes for self cost: Σ of the
/// first cost after each `calls=0` line (positions: line files only).
fn zero_call_costs(bytes: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    let mut total = 0;
    while let Some(line) = lines.next() {
        if line.starts_with("calls=0 ") {
            let cost_line = lines.next().unwrap();
            total += cost_line
                .split_whitespace()
                .nth(1)
                .map_or(0, |c| c.parse::<u64>().unwrap());
        }
    }
    total
}

fn callees(profile: &Profile) -> Vec<Vec<usize>> {
    let mut callees = vec![Vec::new(); profile.functions.len()];
    for e in &profile.edges {
        callees[e.caller].push(e.callee);
    }
    callees
}

/// Is `f` reachable from itself along call edges? With `direct` false, only
/// through another function (mutual recursion).
fn recursive(callees: &[Vec<usize>], f: usize, direct: bool) -> bool {
    let mut seen = HashSet::new();
    let mut todo: Vec<usize> = callees[f]
        .iter()
        .copied()
        .filter(|&g| direct || g != f)
        .collect();
    while let Some(g) = todo.pop() {
        if g == f {
            return true;
        }
        if seen.insert(g) {
            todo.extend(&callees[g]);
        }
    }
    false
}

/// Checks one fixture against callgrind_annotate; returns how many labels
/// had exactly annotate's self and inclusive numbers.
fn check_against_annotate(name: &str, expect: &Expectation<'_>) -> (usize, usize) {
    let bytes = read(&format!("callgrind/{name}.callgrind"));
    let profile = load(name, expect.metric);
    let self_table = annotate(name, false);
    let inclusive_table = annotate(name, true);
    let column = match expect.metric {
        Some(metric) => self_table.events.iter().position(|e| e == metric).unwrap(),
        None => 0,
    };
    let mut files = defined_names(&bytes, &["fl=", "fi=", "fe=", "cfi=", "cfl=", "jfi="]);
    files.insert("???".to_string());
    let objects = defined_names(&bytes, &["ob=", "cob="]);
    let table = |annotate: &Annotate| -> HashMap<(String, String), u64> {
        let mut map = HashMap::new();
        for (label, counts) in &annotate.rows {
            let key = split_label(label, &files, &objects);
            assert!(
                map.insert(key, counts[column]).is_none(),
                "{name}: {label} twice"
            );
        }
        map
    };
    let mut annotate_self = table(&self_table);
    let annotate_inclusive = table(&inclusive_table);
    // profdiff's synthetic caller of roots is dropped by the reader.
    if name.starts_with("profdiff_") {
        let root = ("???".to_string(), "(root)".to_string());
        assert_eq!(annotate_self.remove(&root), Some(0), "{name}");
    }
    let known: HashSet<(String, String)> = annotate_self.keys().cloned().collect();
    let groups = labels(&profile, &known);

    // Self cost: callgrind_annotate lists a function's inlined lines under
    // `inlined-file:function`, so compare the sum per function name, then
    // label by label wherever a name has a single label.
    let mut ours_by_name: HashMap<&str, u64> = HashMap::new();
    let mut labels_by_name: HashMap<&str, usize> = HashMap::new();
    for ((_, raw), ids) in &groups {
        let sum: u64 = ids
            .iter()
            .map(|&id| count(&profile, profile.functions[id].self_cost))
            .sum();
        *ours_by_name.entry(raw).or_default() += sum;
    }
    let mut theirs_by_name: HashMap<&str, u64> = HashMap::new();
    for ((_, raw), value) in &annotate_self {
        *theirs_by_name.entry(raw).or_default() += value;
        *labels_by_name.entry(raw).or_default() += 1;
    }
    if expect.multi_part {
        // The only differences: `calls=0` cost lines annotate took for self.
        let mut extra = 0;
        for (raw, theirs) in &theirs_by_name {
            let ours = ours_by_name.get(raw).copied().unwrap_or(0);
            assert!(
                *theirs >= ours,
                "{name}: {raw}: annotate {theirs} < ours {ours}"
            );
            extra += theirs - ours;
        }
        assert!(extra > 0, "{name}: expected calls=0 lines");
        assert_eq!(extra, zero_call_costs(&bytes), "{name}");
    } else {
        assert_eq!(
            ours_by_name, theirs_by_name,
            "{name}: self cost per function name"
        );
    }
    // Without inlined code every label is one function (or one per object).
    let text = String::from_utf8_lossy(&bytes);
    let has_inlined = text.contains("\nfi=") || text.contains("\nfe=");
    let mut exact_self = 0;
    for (key, ids) in &groups {
        if has_inlined && labels_by_name.get(key.1.as_str()) != Some(&1) {
            continue;
        }
        let ours: u64 = ids
            .iter()
            .map(|&id| count(&profile, profile.functions[id].self_cost))
            .sum();
        if expect.multi_part && ours != annotate_self[key] {
            continue;
        }
        assert_eq!(ours, annotate_self[key], "{name}: self of {key:?}");
        exact_self += 1;
    }

    // Inclusive cost: annotate's wherever there is no recursion; below it
    // for recursive functions (annotate counts every nesting level).
    let mut exact_inclusive = 0;
    let graph = callees(&profile);
    if !expect.multi_part {
        for (key, ids) in &groups {
            let ours: u64 = ids
                .iter()
                .map(|&id| count(&profile, profile.functions[id].inclusive_cost))
                .sum();
            let theirs = annotate_inclusive.get(key).copied().unwrap_or(0);
            if ours == theirs {
                exact_inclusive += 1;
                continue;
            }
            let any_recursive = ids.iter().any(|&id| recursive(&graph, id, true));
            let inline_split_root = has_inlined
                && labels_by_name.get(key.1.as_str()) != Some(&1)
                && ids.iter().all(|&id| profile.functions[id].calls == Some(0));
            assert!(
                (any_recursive && ours < theirs) || inline_split_root,
                "{name}: inclusive of {key:?}: ours {ours}, callgrind_annotate {theirs}"
            );
        }
    }
    (exact_self, exact_inclusive)
}

#[test]
fn every_fixture_matches_callgrind_annotate() {
    for &name in FIXTURES {
        let expect = Expectation {
            metric: None,
            multi_part: name == "python_parts",
        };
        let (exact_self, exact_inclusive) = check_against_annotate(name, &expect);
        let functions = load(name, None).functions.len();
        assert!(
            exact_self * 2 > functions,
            "{name}: only {exact_self} of {functions} exact"
        );
        if !expect.multi_part {
            assert!(
                exact_inclusive * 2 > functions,
                "{name}: {exact_inclusive} of {functions}"
            );
        }
    }
}

#[test]
fn every_event_of_a_multi_event_file_matches() {
    let events = annotate("c_events", false).events;
    assert_eq!(events.len(), 13, "{events:?}");
    for event in &events {
        let metric = event.as_str();
        check_against_annotate(
            "c_events",
            &Expectation {
                metric: Some(metric),
                multi_part: false,
            },
        );
        let profile = load("c_events", Some(metric));
        assert_eq!(profile.meta.unit, Unit::Event(event.clone()));
    }
}

/// Σ of the `totals:` lines (one per part), or the `summary:`, for `column`.
fn header_total(bytes: &[u8], column: usize) -> Option<u64> {
    let text = String::from_utf8_lossy(bytes);
    let pick = |prefix: &str| -> Option<u64> {
        let values: Vec<u64> = text
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|v| v.split_whitespace().nth(column).unwrap().parse().unwrap())
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    pick("totals:").or_else(|| pick("summary:"))
}

#[test]
fn totals_equal_the_file_headers() {
    for &name in FIXTURES {
        let bytes = read(&format!("callgrind/{name}.callgrind"));
        let profile = load(name, None);
        let ours: u64 = profile
            .functions
            .iter()
            .map(|f| count(&profile, f.self_cost))
            .sum();
        if name.starts_with("p2c_") {
            // pyprof2calltree's summary: is the largest cumtime, not a total;
            // annotate's rows still add up to ours.
            assert_eq!(
                ours,
                annotate(name, false)
                    .rows
                    .iter()
                    .map(|r| r.1[0])
                    .sum::<u64>()
            );
        } else if name.starts_with("yappi") {
            // yappi writes no summary; annotate adds up the functions.
            assert_eq!(header_total(&bytes, 0), None);
            assert_eq!(ours, annotate(name, false).totals[0], "{name}");
        } else {
            assert_eq!(Some(ours), header_total(&bytes, 0), "{name}");
            assert!(
                profile.meta.notes.iter().all(|n| !n.contains("totals:")),
                "{name}"
            );
        }
    }
    // Every event column of the multi-event file too.
    let bytes = read("callgrind/c_events.callgrind");
    for (column, event) in annotate("c_events", false).events.iter().enumerate() {
        let profile = load("c_events", Some(event));
        let ours: u64 = profile
            .functions
            .iter()
            .map(|f| count(&profile, f.self_cost))
            .sum();
        assert_eq!(Some(ours), header_total(&bytes, column), "{event}");
    }
}

#[test]
fn metadata_of_each_producer() {
    let c = load("c_default", None);
    assert_eq!(c.meta.format, Format::Callgrind);
    assert_eq!(c.meta.unit, Unit::Event("Ir".to_string()));
    assert_eq!(c.meta.producer.as_deref(), Some("callgrind-3.19.0"));
    assert!(c
        .functions
        .iter()
        .all(|f| f.object.is_some() || f.file.is_none()));
    // No debug info: no file, a builtin-like entry.
    let no_file = c.functions.iter().find(|f| f.file.is_none()).unwrap();
    assert_eq!(no_file.kind, FunctionKind::Builtin);
    let p2c = load("p2c_cprofile_py311", None);
    assert_eq!(p2c.meta.unit, Unit::Seconds);
    assert_eq!(p2c.meta.precision, Some(1e-9));
    assert_eq!(p2c.meta.producer.as_deref(), Some("pyprof2calltree"));
    let yappi = load("yappi_recursive", None);
    assert_eq!(yappi.meta.unit, Unit::Seconds);
    assert_eq!(yappi.meta.precision, Some(1e-6));
    assert_eq!(yappi.meta.producer.as_deref(), Some("yappi"));
    let parts = load("python_parts", None);
    assert!(
        parts.meta.notes.iter().any(|n| n.contains("parts")),
        "{:?}",
        parts.meta.notes
    );
}

fn find<'p>(profile: &'p Profile, name: &str) -> (usize, &'p profdiff::model::Function) {
    let mut found = profile
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name == name);
    let hit = found.next().unwrap_or_else(|| panic!("no {name}"));
    assert!(found.next().is_none(), "several {name}");
    hit
}

fn edge_cost(profile: &Profile, caller: usize, callee: usize) -> f64 {
    profile
        .edges
        .iter()
        .filter(|e| e.caller == caller && e.callee == callee)
        .map(|e| e.inclusive_cost().unwrap())
        .sum()
}

fn annotate_inclusive_of(name: &str, function: &str) -> u64 {
    let rows = annotate(name, true).rows;
    let wanted = format!(":{function} [");
    let matching: Vec<u64> = rows
        .iter()
        .filter(|(l, _)| l.contains(&wanted))
        .map(|(_, c)| c[0])
        .collect();
    assert_eq!(matching.len(), 1, "{function} in {name}");
    matching[0]
}

#[test]
fn recursion_is_counted_once() {
    // Default --separate-recs=2: main -> fib -> fib'2 -> fib'2 ...
    let c = load("c_default", None);
    let (main, _) = find(&c, "main");
    let (fib_id, fib) = find(&c, "fib");
    let (fib2_id, fib2) = find(&c, "fib'2");
    assert_eq!(fib.inclusive_cost, edge_cost(&c, main, fib_id));
    assert_eq!(
        fib.inclusive_cost as u64,
        annotate_inclusive_of("c_default", "fib")
    );
    assert_eq!(fib2.inclusive_cost, edge_cost(&c, fib_id, fib2_id));
    assert!((fib2.inclusive_cost as u64) < annotate_inclusive_of("c_default", "fib'2"));
    assert_eq!(fib.calls, Some(1));
    assert!(fib2.calls.unwrap() > 400);

    // --separate-recs=1: fib calls itself directly.
    let c = load("c_events", None);
    let (main, _) = find(&c, "main");
    let (fib_id, fib) = find(&c, "fib");
    assert!(c
        .edges
        .iter()
        .any(|e| e.caller == fib_id && e.callee == fib_id));
    assert_eq!(fib.inclusive_cost, edge_cost(&c, main, fib_id));
    assert_eq!(fib.inclusive_cost, fib.self_cost);
    assert!((fib.inclusive_cost as u64) < annotate_inclusive_of("c_events", "fib"));
    // Mutual recursion entered through is_even: exact there, an upper
    // bound (the whole cycle) for is_odd.
    let (even_id, even) = find(&c, "is_even");
    let (_, odd) = find(&c, "is_odd");
    assert_eq!(even.inclusive_cost, edge_cost(&c, main, even_id));
    assert!(odd.inclusive_cost <= even.inclusive_cost);
    assert!((odd.inclusive_cost as u64) < annotate_inclusive_of("c_events", "is_odd"));
    assert!(c.meta.notes.iter().any(|n| n.contains("mutual recursion")));
}

#[test]
fn uncompressed_file_reads_like_the_compressed_one() {
    let compressed = load("c_default", None);
    let plain = load("c_uncompressed", None);
    let key = |p: &Profile| {
        let mut rows: Vec<String> = p
            .functions
            .iter()
            .map(|f| {
                format!(
                    "{:?} {:?} {} {:?} {} {}",
                    f.object, f.file, f.name, f.calls, f.self_cost, f.inclusive_cost
                )
            })
            .collect();
        rows.sort();
        rows
    };
    // Two runs of the same binary: the same functions and call counts; the
    // costs may differ by a few instructions of the loader.
    let names = |p: &Profile| {
        let mut names: Vec<String> = p
            .functions
            .iter()
            .map(|f| format!("{:?} {}", f.file, f.name))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&compressed), names(&plain));
    let prog = |p: &Profile| -> Vec<String> {
        key(p)
            .into_iter()
            .filter(|r| r.contains("prog.c"))
            .collect()
    };
    assert_eq!(prog(&compressed), prog(&plain));
}

#[test]
fn parts_add_up_to_the_whole_file() {
    // Split python_parts at its `part:` lines; each part is a complete file
    // (callgrind 3.19 re-defines every id per part).
    let bytes = read("callgrind/python_parts.callgrind");
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut parts: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("part:") || parts.is_empty() {
            parts.push(String::new());
        }
        parts.last_mut().unwrap().push_str(line);
    }
    let parts: Vec<&String> = parts.iter().filter(|p| p.contains("events:")).collect();
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let whole = load("python_parts", None);
    let key = |f: &profdiff::model::Function| format!("{:?} {:?} {}", f.object, f.file, f.name);
    let mut self_sum: HashMap<String, f64> = HashMap::new();
    let mut calls_sum: HashMap<String, u64> = HashMap::new();
    for part in &parts {
        let profile =
            callgrind::parse(part.as_bytes(), "part", &CallgrindOptions::default()).unwrap();
        for f in &profile.functions {
            *self_sum.entry(key(f)).or_default() += f.self_cost;
            // A function no part records a call into has no count.
            *calls_sum.entry(key(f)).or_default() += f.calls.unwrap_or(0);
        }
    }
    assert_eq!(self_sum.len(), whole.functions.len());
    for f in &whole.functions {
        assert_eq!(self_sum[&key(f)], f.self_cost, "{}", key(f));
        assert_eq!(calls_sum[&key(f)], f.calls.unwrap_or(0), "{}", key(f));
    }
}

// ------------------------------------------------------------------------
// Python producers against the pstats dumps they came from

fn pstats(name: &str) -> Profile {
    let bytes = read(name);
    input::parse(&bytes, name, Format::Pstats).unwrap()
}

type Key = (Option<String>, Option<u32>, String);

fn by_key(profile: &Profile) -> HashMap<Key, usize> {
    let mut map = HashMap::new();
    for (id, f) in profile.functions.iter().enumerate() {
        let key = (f.file.clone(), f.line, f.name.clone());
        assert!(map.insert(key.clone(), id).is_none(), "{key:?} twice");
    }
    map
}

#[test]
fn seed_scenario_through_pyprof2calltree() {
    for (variant, expected) in [("before", 6), ("after", 1)] {
        let profile = load(&format!("p2c_{variant}"), None);
        let (_, create_client) = profile
            .functions
            .iter()
            .enumerate()
            .find(|(_, f)| {
                f.name == "create_client"
                    && f.file
                        .as_deref()
                        .is_some_and(|p| p.ends_with("botocore/session.py"))
            })
            .unwrap();
        assert_eq!(create_client.calls, Some(expected), "{variant}");
        let original = pstats(&format!("seed/{variant}.prof"));
        let keys = by_key(&original);
        let id = keys[&(
            create_client.file.clone(),
            create_client.line,
            "create_client".to_string(),
        )];
        assert_eq!(original.functions[id].calls, Some(expected));
    }
}

/// pyprof2calltree truncates to whole ns: a p2c file holds the dump's
/// numbers floored, and keys split back to (file, line, name).
#[test]
fn pyprof2calltree_keeps_pstats_keys_and_counts() {
    for (name, source) in [
        ("p2c_cprofile_py311", "pstats/cprofile_py311.prof"),
        ("p2c_before", "seed/before.prof"),
    ] {
        let converted = load(name, None);
        let original = pstats(source);
        let keys = by_key(&original);
        assert_eq!(
            converted.functions.len(),
            original.functions.len(),
            "{name}"
        );
        // Only calls along an edge survive: a pstats root's own call (from
        // the profiler, no caller) has nowhere to go in this format, and a
        // function with no caller at all has no count.
        let mut edge_calls = vec![0u64; original.functions.len()];
        let mut has_caller = vec![false; original.functions.len()];
        for e in &original.edges {
            edge_calls[e.callee] += e.calls().unwrap();
            has_caller[e.callee] = true;
        }
        let mut lost = 0;
        for f in &converted.functions {
            let key = (f.file.clone(), f.line, f.name.clone());
            let id = *keys
                .get(&key)
                .unwrap_or_else(|| panic!("{name}: {key:?} not in {source}"));
            let o = &original.functions[id];
            assert_eq!(f.kind, o.kind, "{key:?}");
            assert_eq!(f.self_cost, (o.self_cost * 1e9).floor() / 1e9, "{key:?}");
            assert_eq!(f.calls, has_caller[id].then_some(edge_calls[id]), "{key:?}");
            lost += o.calls.unwrap() - edge_calls[id];
        }
        // cProfile's roots: exec and the profiler's disable, once each.
        assert_eq!(lost, 2, "{name}");
    }
}

// ------------------------------------------------------------------------
// The writer: pstats → callgrind → parse

fn all_pstats_fixtures() -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["seed", "pstats"] {
        for entry in std::fs::read_dir(fixture_path(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "prof") {
                names.push(format!(
                    "{dir}/{}",
                    path.file_name().unwrap().to_str().unwrap()
                ));
            }
        }
    }
    names.sort();
    names
}

fn round_trip(profile: &Profile) -> (Vec<u8>, Profile) {
    let mut out = Vec::new();
    callgrind::write(profile, &mut out).unwrap();
    let back = callgrind::parse(&out, "converted", &CallgrindOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    (out, back)
}

#[test]
fn converted_pstats_keep_calls_and_times() {
    let names = all_pstats_fixtures();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let original = pstats(name);
        let (bytes, back) = round_trip(&original);
        assert!(callgrind::detect(&bytes), "{name}");
        assert_eq!(back.meta.unit, Unit::Seconds);
        assert!(back
            .meta
            .producer
            .as_deref()
            .unwrap()
            .starts_with("profdiff "));
        assert_eq!(back.functions.len(), original.functions.len(), "{name}");
        assert_eq!(back.edges.len(), original.edges.len(), "{name}");
        let degree = |p: &Profile, id: usize| {
            p.edges
                .iter()
                .filter(|e| e.caller == id || e.callee == id)
                .count()
        };
        let graph = callees(&original);
        for (o, b) in original.functions.iter().zip(&back.functions) {
            let what = format!("{name}: {:?}:{:?}({})", o.file, o.line, o.name);
            assert_eq!(
                (&b.name, &b.file, b.line, b.kind),
                (&o.name, &o.file, o.line, o.kind),
                "{what}"
            );
            // profdiff's own file carries every number exactly.
            assert_eq!(b.calls, o.calls, "{what}");
            assert_eq!(b.primitive_calls, o.primitive_calls, "{what}");
            assert_eq!(b.self_cost, o.self_cost, "{what}");
            assert_eq!(b.inclusive_cost, o.inclusive_cost, "{what}");
            assert_eq!(b.inclusive_min, None, "{what}");
        }
        // Without its comment lines (what any other reader sees) the file
        // still gives the numbers back as callgrind can hold them: self cost
        // within half a nanosecond; inclusive cost from rounded edge costs,
        // within half a nanosecond per edge that adds up to it, except in
        // mutual recursion, where per-edge totals give a range that holds
        // the true value (exact for the cycle's entry).
        let plain = without(&bytes, "# profdiff-");
        let plain = callgrind::parse(plain.as_bytes(), "plain", &CallgrindOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut bounded = 0;
        for (id, (o, b)) in original.functions.iter().zip(&plain.functions).enumerate() {
            let what = format!("{name}: {:?}:{:?}({})", o.file, o.line, o.name);
            assert_eq!(b.primitive_calls, None, "{what}");
            assert!(
                (b.self_cost - o.self_cost).abs() <= 0.5e-9 + 1e-15,
                "{what}: self {} vs {}",
                b.self_cost,
                o.self_cost
            );
            if o.kind == FunctionKind::Synthetic {
                // profile's fake `profiler` entry: ct 0, yet it calls the
                // program; it comes back as self + its calls.
                continue;
            }
            let tolerance = 0.5e-9 * (1 + degree(&original, id)) as f64 + 1e-15;
            let (least, most) = b.inclusive_range();
            if b.inclusive_min.is_some() {
                assert!(
                    recursive(&graph, id, false),
                    "{what}: a range outside recursion"
                );
                assert!(
                    least - tolerance <= o.inclusive_cost && o.inclusive_cost <= most + tolerance,
                    "{what}: inclusive {} outside [{least}, {most}]",
                    o.inclusive_cost
                );
                bounded += 1;
                continue;
            }
            assert!(
                (most - o.inclusive_cost).abs() <= tolerance,
                "{what}: inclusive {most} vs {}",
                o.inclusive_cost
            );
        }
        let cyclic = (0..original.functions.len())
            .filter(|&id| recursive(&graph, id, false))
            .count();
        assert!(bounded <= cyclic, "{name}");
        // Edges come back grouped by caller; the same set, every number.
        type EdgeNumbers = (Option<u64>, Option<u64>, Option<f64>, Option<f64>);
        let edges = |p: &Profile| -> HashMap<(usize, usize), EdgeNumbers> {
            p.edges
                .iter()
                .map(|e| {
                    let numbers = (
                        e.calls(),
                        e.primitive_calls(),
                        e.self_cost(),
                        e.inclusive_cost(),
                    );
                    ((e.caller, e.callee), numbers)
                })
                .collect()
        };
        assert_eq!(edges(&back), edges(&original), "{name}");
    }
}

/// Asserts two texts are equal, showing the first differing line.
fn assert_same_lines(a: &str, b: &str, what: &str) {
    for (number, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "{what}: line {}", number + 1);
    }
    assert_eq!(a.lines().count(), b.lines().count(), "{what}: line count");
}

fn without(bytes: &[u8], prefix: &str) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.starts_with(prefix))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn writing_is_deterministic_and_a_fixed_point() {
    let original = pstats("seed/before.prof");
    let (first, back) = round_trip(&original);
    let (again, _) = round_trip(&original);
    assert_eq!(first, again);
    // What was read back writes the same file (only the source path in the
    // cmd: line differs): functions come back in the same order.
    let (second, _) = round_trip(&back);
    assert_same_lines(
        &without(&first, "cmd:"),
        &without(&second, "cmd:"),
        "rewrite",
    );
}

#[test]
fn committed_conversions_match_the_writer_and_callgrind_annotate() {
    for (name, source) in [
        ("profdiff_cprofile_py311", "pstats/cprofile_py311.prof"),
        ("profdiff_before", "seed/before.prof"),
    ] {
        let original = pstats(source);
        let mut written = Vec::new();
        let mut relabelled = original.clone();
        relabelled.meta.path = source.to_string();
        callgrind::write(&relabelled, &mut written).unwrap();
        let committed = read(&format!("callgrind/{name}.callgrind"));
        // The writer's version is in the creator line; all else is equal.
        assert_same_lines(
            &without(&written, "creator:"),
            &without(&committed, "creator:"),
            &format!("{name} (rerun make_callgrind_fixtures.sh?)"),
        );
        // callgrind_annotate's total is Σ round(tt · 1e9) of the dump.
        let total: u64 = original
            .functions
            .iter()
            .map(|f| (f.self_cost * 1e9).round() as u64)
            .sum();
        assert_eq!(annotate(name, false).totals, [total], "{name}");
    }
}

// ------------------------------------------------------------------------
// Detection and malformed input

#[test]
fn detection_of_fixtures_and_other_formats() {
    for &name in FIXTURES {
        assert!(
            callgrind::detect(&read(&format!("callgrind/{name}.callgrind"))),
            "{name}"
        );
    }
    for name in all_pstats_fixtures() {
        assert!(!callgrind::detect(&read(&name)), "{name}");
    }
    for name in [
        "pstats/cprofile_py311.expected.json",
        "seed/before.pstats.txt",
        "callgrind/c_default.annotate.txt",
    ] {
        assert!(!callgrind::detect(&read(name)), "{name}");
    }
}

fn line_of(error: &profdiff::ParseError) -> u64 {
    match error.position {
        Position::Line(line) => line,
        other => panic!("expected a line number, got {other}"),
    }
}

#[test]
fn truncated_files_fail_cleanly_or_parse() {
    for name in [
        "c_default",
        "yappi_recursive",
        "p2c_cprofile_py311",
        "c_events",
    ] {
        let bytes = read(&format!("callgrind/{name}.callgrind"));
        let step = (bytes.len() / 150).max(1);
        for end in (0..bytes.len()).step_by(step).chain(1..64.min(bytes.len())) {
            let cut = &bytes[..end];
            let lines = cut.split(|b| *b == b'\n').count() as u64;
            match callgrind::parse(cut, name, &CallgrindOptions::default()) {
                Ok(_) => {}
                Err(error) => {
                    let line = line_of(&error);
                    assert!(
                        (1..=lines.max(1)).contains(&line),
                        "{name}[..{end}]: {error} ({lines} lines)"
                    );
                }
            }
        }
    }
    // Cut right after a calls= line: its cost line is missing.
    let bytes = read("callgrind/c_default.callgrind");
    let text = String::from_utf8_lossy(&bytes);
    let (index, _) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("calls="))
        .unwrap();
    let cut: String = text
        .lines()
        .take(index + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    let error = callgrind::parse(cut.as_bytes(), "cut", &CallgrindOptions::default()).unwrap_err();
    assert_eq!(line_of(&error), index as u64 + 1, "{error}");
}

#[test]
fn malformed_real_file_names_the_line() {
    let bytes = read("callgrind/c_default.callgrind");
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let with_line = |index: usize, replacement: &str| -> String {
        let mut copy: Vec<&str> = lines.clone();
        copy[index] = replacement;
        copy.join("\n")
    };
    let first = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    // (text, 1-based line the error must name, message fragment)
    let cost = lines
        .iter()
        .position(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap();
    let calls = first("calls=");
    let cases = [
        (
            with_line(first("fn=(") + 1, "fn=(99999)"),
            first("fn=(") + 2,
            "(99999)",
        ),
        (with_line(cost, "12 3,4"), cost + 1, "bad cost"),
        (with_line(calls + 1, "fl=(1)"), calls + 2, "calls="),
        (with_line(cost, "\u{0}\u{1}\u{2}\u{3}"), cost + 1, "NUL"),
        (with_line(cost, "1 2 3"), cost + 1, "costs"),
    ];
    for (text, line, needle) in cases {
        let error =
            callgrind::parse(text.as_bytes(), "bad", &CallgrindOptions::default()).unwrap_err();
        assert_eq!(line_of(&error), line as u64, "{error}");
        assert!(error.message.contains(needle), "{error}");
    }
    // Binary garbage in place of a callgrind file.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let error = callgrind::parse(&garbage, "garbage", &CallgrindOptions::default()).unwrap_err();
    assert!(line_of(&error) >= 1);
    let mut prefixed = b"# callgrind format\nevents: Ir\nfn=main\n".to_vec();
    prefixed.extend_from_slice(&garbage);
    let error = callgrind::parse(&prefixed, "garbage", &CallgrindOptions::default()).unwrap_err();
    assert_eq!(line_of(&error), 4, "{error}");
}

#[test]
fn unknown_metric_names_the_available_events() {
    let bytes = read("callgrind/c_events.callgrind");
    let options = CallgrindOptions {
        metric: Some("cycles".to_string()),
    };
    let error = callgrind::parse(&bytes, "c_events", &options).unwrap_err();
    assert!(error.message.contains("Ir, Dr, Dw, I1mr"), "{error}");
}

#[test]
fn mutated_files_never_panic() {
    // Deterministic byte mutations of real files, biased to the bytes the
    // format gives meaning to: parse must return, Ok or Err with a line.
    let interesting = b"()=:+-*0123456789x \n\0\xff#";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "c_default",
        "c_events",
        "yappi_recursive",
        "profdiff_cprofile_py311",
    ] {
        let original = read(&format!("callgrind/{name}.callgrind"));
        for _ in 0..100 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = interesting[(next() % interesting.len() as u64) as usize];
            }
            let lines = bytes.split(|b| *b == b'\n').count() as u64;
            if let Err(error) = callgrind::parse(&bytes, name, &CallgrindOptions::default()) {
                assert!((1..=lines).contains(&line_of(&error)), "{name}: {error}");
            }
        }
    }
}

/// A valgrind file cut at a line boundary parses, so the missing `totals:`
/// line is the only sign: it is noted (as a pstats text missing its
/// totals is). The whole file has no such note.
#[test]
fn truncated_valgrind_file_is_noted() {
    let path = "fixtures/callgrind/c_default.callgrind";
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() / 2].join("\n") + "\n";
    let note = "no `totals:` line";
    let whole = profdiff::input::parse(text.as_bytes(), path, profdiff::Format::Callgrind).unwrap();
    assert!(
        !whole.meta.notes.iter().any(|n| n.contains(note)),
        "{:?}",
        whole.meta.notes
    );
    let half = profdiff::input::parse(cut.as_bytes(), "cut", profdiff::Format::Callgrind).unwrap();
    assert!(
        half.meta.notes.iter().any(|n| n.contains(note)),
        "{:?}",
        half.meta.notes
    );
}

/// Found by fuzzing the round trip (fuzz/regressions/roundtrip-callgrind-
/// same-name-same-line.bin): `<genexpr>` at line 59 of recursive.py next to
/// a `<genexpr>` followed by form feeds, also at line 59, which a reader
/// trims to the same name. Written as they were, the two read back as one
/// function only on the second trip (32, then 31); the writer now sums
/// them on the first, and the total cost stays.
#[test]
fn roundtrip_callgrind_same_name_same_line() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/roundtrip-callgrind-same-name-same-line.bin");
    let original = input::load(&path, &Default::default()).unwrap();
    assert_eq!(original.functions.len(), 32);
    let trip = |profile: &Profile| {
        let mut out = Vec::new();
        callgrind::write(profile, &mut out).unwrap();
        callgrind::parse(&out, "written", &CallgrindOptions::default()).unwrap()
    };
    let once = trip(&original);
    let twice = trip(&once);
    assert_eq!(once.functions.len(), 31);
    assert_eq!(twice.functions.len(), 31);
    let genexpr_59: Vec<_> = once
        .functions
        .iter()
        .filter(|f| f.name == "<genexpr>" && f.line == Some(59))
        .collect();
    assert_eq!(genexpr_59.len(), 1);
    let total = |p: &Profile| p.functions.iter().map(|f| f.self_cost).sum::<f64>();
    assert!((total(&original) - total(&once)).abs() < 1e-12);
    assert!((total(&once) - total(&twice)).abs() < 1e-12);
}
