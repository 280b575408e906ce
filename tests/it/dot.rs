//! `profdiff diff A B --format dot`: the call graph of the changed region.
//! Graphviz itself judges the output (`dot -Tsvg` must accept it; these
//! tests fail, not skip, without it), and the numbers in the labels are
//! checked against Python's pstats reading the same files.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::process::{Command, Stdio};

use profdiff::diff::{self, DiffOptions, SortKey};
use profdiff::filter::Filter;
use profdiff::formats::pstats;
use profdiff::input;
use profdiff::model::{Edge, Function, FunctionKind, Profile};
use profdiff::render::{self, DiffReport, OutputFormat, Report, Style};
use profdiff::wire::DiffDocument;

use crate::{assert_snap, profdiff, run_ok, stderr};

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

/// Runs `dot -Tsvg` on `graph` and returns the SVG; fails when Graphviz is
/// missing or rejects the graph.
fn svg(graph: &str) -> String {
    let child = Command::new(crate::system_tool("dot"))
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot run Graphviz's `dot` ({e}): install graphviz \
             (apt-get install graphviz, brew install graphviz) to run these tests"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(graph.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && !errors.contains("Error") && !errors.contains("syntax"),
        "dot -Tsvg rejected the graph ({}):\n{errors}\n{graph}",
        output.status
    );
    let svg = String::from_utf8(output.stdout).unwrap();
    assert!(svg.contains("<svg"), "no SVG from dot:\n{svg}");
    svg
}

/// The value of `attribute="…"` in a DOT statement, still escaped.
fn attribute<'a>(statement: &'a str, attribute: &str) -> Option<&'a str> {
    let start = statement.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let rest = &statement[start..];
    let mut escaped = false;
    for (at, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(&rest[..at]),
            _ => escaped = false,
        }
    }
    None
}

/// A DOT string as Graphviz shows it: `\\`, `\"` and `&amp;` undone, and
/// the lines of a label split at `\n`.
fn lines(escaped: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'l') => lines.push(String::new()),
                Some(other) => lines.last_mut().unwrap().push(other),
                None => {}
            },
            (c, false) => lines.last_mut().unwrap().push(c),
        }
    }
    lines
        .into_iter()
        .map(|line| line.replace("&amp;", "&"))
        .collect()
}

struct Node {
    /// The label's lines: name, calls, inclusive.
    label: Vec<String>,
    statement: String,
}

struct Graph {
    nodes: HashMap<String, Node>,
    /// (caller id, callee id, label).
    edges: Vec<(String, String, String)>,
}

fn parse(graph: &str) -> Graph {
    let mut nodes = HashMap::new();
    let mut edges = Vec::new();
    for statement in graph.lines().map(str::trim) {
        let Some((id, rest)) = statement.split_once(' ') else {
            continue;
        };
        if !id.starts_with('r') || !id[1..].chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let label = attribute(rest, "label").expect("a label").to_string();
        if let Some(rest) = rest.strip_prefix("-> ") {
            let callee = rest.split_once(' ').unwrap().0.to_string();
            edges.push((id.to_string(), callee, lines(&label).join("\n")));
        } else {
            let node = Node {
                label: lines(&label),
                statement: statement.to_string(),
            };
            assert!(nodes.insert(id.to_string(), node).is_none(), "{id} twice");
        }
    }
    Graph { nodes, edges }
}

impl Graph {
    fn node(&self, name: &str) -> (&str, &Node) {
        self.nodes
            .iter()
            .find(|(_, node)| node.label[0] == name)
            .map(|(id, node)| (id.as_str(), node))
            .unwrap_or_else(|| panic!("no node {name}"))
    }

    fn name(&self, id: &str) -> &str {
        &self.nodes[id].label[0]
    }

    /// The ids with an edge into `id`.
    fn callers(&self, id: &str) -> Vec<&str> {
        self.edges
            .iter()
            .filter(|(caller, callee, _)| callee == id && caller != id)
            .map(|(caller, _, _)| caller.as_str())
            .collect()
    }
}

/// Calls of the functions named `name` at `file_suffix:line` on each side,
/// and of each of their callers, as Python's pstats reads the two dumps.
fn python_calls(file_suffix: &str, line: u32, name: &str) -> Vec<String> {
    let script = format!(
        r#"
import pstats, sys
for side in sys.argv[1:]:
    for (file, line, name), (cc, nc, tt, ct, callers) in pstats.Stats(side).stats.items():
        if file.endswith("/{file_suffix}") and line == {line} and name == "{name}":
            print(nc, *sorted(f"{{f.rsplit('/', 1)[-1]}}:{{l}}({{n}})={{v[1]}}" for (f, l, n), v in callers.items()))
"#
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("python3")
        .args(["-c", &script, BEFORE, AFTER])
        .current_dir(root)
        .output()
        .expect("python3 runs (the Python tests need it too)");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn seed_graph() -> String {
    run_ok(&["diff", BEFORE, AFTER, "--format", "dot"])
}

/// `#rrggbb` as numbers.
fn rgb(color: &str) -> (u8, u8, u8) {
    let hex = color.strip_prefix('#').expect("a #rrggbb colour");
    let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap();
    (channel(0), channel(2), channel(4))
}

#[test]
fn the_seed_graph_shows_create_client_improved_and_its_path_to_the_root() {
    let text = seed_graph();
    let graph = parse(&text);

    // Python's pstats: create_client ran 6 times before and once after,
    // every call from botocore/context.py:118(wrapper).
    let python = python_calls("botocore/session.py", 846, "create_client");
    assert_eq!(
        python,
        ["6 context.py:118(wrapper)=6", "1 context.py:118(wrapper)=1"]
    );
    let (id, node) = graph.node("botocore/session.py:846(create_client)");
    assert_eq!(node.label[1], "calls 6 → 1");
    assert!(
        node.label[2].starts_with("incl 134 ms → 67.7 ms (−"),
        "{:?}",
        node.label
    );
    // An improvement: blue, not red.
    let (r, g, b) = rgb(attribute(&node.statement, "fillcolor").unwrap());
    assert!(
        b > r && b > g,
        "create_client is not blue: {}",
        node.statement
    );
    let (wrapper, _) = graph.node("botocore/context.py:118(wrapper)");
    let edge = graph
        .edges
        .iter()
        .find(|(caller, callee, _)| caller == wrapper && callee == id)
        .expect("wrapper → create_client");
    assert_eq!(edge.2, "6 → 1");

    // Up from create_client along drawn edges to the script's top.
    let mut reached = HashSet::from([id]);
    let mut frontier = vec![id];
    while let Some(current) = frontier.pop() {
        for caller in graph.callers(current) {
            if reached.insert(caller) {
                frontier.push(caller);
            }
        }
    }
    let names: HashSet<&str> = reached.iter().map(|id| graph.name(id)).collect();
    for name in [
        "botocore/context.py:118(wrapper)",
        "boto3/session.py:233(client)",
        "main.py:1(<module>)",
        "{built-in method builtins.exec}",
    ] {
        assert!(names.contains(name), "{name} not above create_client");
    }
    // main.py's only caller in Python's pstats is exec, called from the top.
    let main = python_calls("main.py", 1, "<module>");
    assert!(
        main.iter()
            .all(|line| line.ends_with(" ~:0(<built-in method builtins.exec>)=1")),
        "{main:?}"
    );

    // At most 40 nodes (the default), and Graphviz draws it.
    assert!(graph.nodes.len() <= 40, "{} nodes", graph.nodes.len());
    let svg = svg(&text);
    assert!(svg.contains("botocore/session.py:846(create_client)"));
    assert!(svg.contains("calls 6 → 1"));
}

#[test]
fn the_seed_graph_reads_as_before() {
    assert_snap!("dot_seed", seed_graph());
}

#[test]
fn the_same_diff_gives_the_same_bytes_to_stdout_and_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.dot");
    let path = path.to_str().unwrap();
    for (base, new) in [
        (BEFORE, AFTER),
        (
            "fixtures/callgrind/p2c_before.callgrind",
            "fixtures/callgrind/p2c_after.callgrind",
        ),
    ] {
        let first = run_ok(&["diff", base, new, "--format", "dot"]);
        let second = run_ok(&["diff", base, new, "--format", "dot"]);
        assert_eq!(first, second, "{base} → {new} twice");
        run_ok(&["diff", base, new, "--format", "dot", "-o", path]);
        assert_eq!(std::fs::read_to_string(path).unwrap(), first);
    }
}

/// The library draws the same graph when the report carries no edges (it
/// computes them from the two profiles).
#[test]
fn a_report_without_its_call_graph_draws_the_same() {
    let load = |path: &str| input::load(std::path::Path::new(path), &Default::default()).unwrap();
    let (base, new) = (load(BEFORE), load(AFTER));
    let mut result = diff::diff(&base, &new, &DiffOptions::default()).unwrap();
    diff::sort_functions(&mut result.functions, SortKey::Inclusive);
    let report = DiffReport::new(&base, &new, &result, &Filter::default(), Some(40));
    let report = Report::from(report);
    let mut out = Vec::new();
    render::write(&report, OutputFormat::Dot, &mut out, Style::default()).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), seed_graph());
}

#[test]
fn callgrind_and_stack_diffs_draw() {
    for (base, new, edge_label) in [
        // The seed converted by pyprof2calltree.
        (
            "fixtures/callgrind/p2c_before.callgrind",
            "fixtures/callgrind/p2c_after.callgrind",
            "6 → 1",
        ),
        // Stack formats count no calls: edges carry their cost.
        (
            "fixtures/folded/pyspy_before.txt",
            "fixtures/folded/pyspy_after.txt",
            " → ",
        ),
        (
            "fixtures/pprof/austin_before.pprof",
            "fixtures/pprof/austin_after.pprof",
            " → ",
        ),
    ] {
        let text = run_ok(&["diff", base, new, "--format", "dot"]);
        let graph = parse(&text);
        assert!(!graph.nodes.is_empty(), "{base}: no nodes\n{text}");
        assert!(
            graph
                .edges
                .iter()
                .any(|(_, _, label)| label.contains(edge_label)),
            "{base}: no edge labelled {edge_label:?}\n{text}"
        );
        svg(&text);
    }
    // The calls Python counted in the dumps the callgrind files came from.
    let text = run_ok(&[
        "diff",
        "fixtures/callgrind/p2c_before.callgrind",
        "fixtures/callgrind/p2c_after.callgrind",
        "--format",
        "dot",
    ]);
    let graph = parse(&text);
    let (_, node) = graph.node("botocore/session.py:846(create_client)");
    assert_eq!(node.label[1], "calls 6 → 1");

    // Two runs of one program: the rows the sort puts first moved within
    // the threshold, and the few changed ones are further down. An empty
    // graph, which says so.
    let text = run_ok(&[
        "diff",
        "fixtures/callgrind/python_instr.callgrind",
        "fixtures/callgrind/python_parts.callgrind",
        "--format",
        "dot",
    ]);
    assert!(parse(&text).nodes.is_empty());
    assert!(
        text.contains("// none of the first 40 rows changed beyond the threshold; 4 changed functions left out (cap: 40 nodes)"),
        "{text}"
    );
    svg(&text);
}

#[test]
fn top_caps_the_nodes_and_says_how_many_changed_functions_were_left_out() {
    let text = run_ok(&["diff", BEFORE, AFTER, "--format", "dot", "--top", "5"]);
    let graph = parse(&text);
    assert!(
        (1..=5).contains(&graph.nodes.len()),
        "{} nodes",
        graph.nodes.len()
    );
    svg(&text);

    // Which functions changed, from the JSON report of the same diff.
    let json = run_ok(&["diff", BEFORE, AFTER, "--format", "json", "--top", "0"]);
    let document: DiffDocument = serde_json::from_str(&json).unwrap();
    let summary = &document.summary;
    let changed_total = summary.added + summary.removed + summary.changed;
    let status: HashMap<&str, &str> = document
        .functions
        .iter()
        .map(|f| (f.display.as_str(), f.status.as_str()))
        .collect();
    let drawn_changed = graph
        .nodes
        .values()
        .filter(|node| status[node.label[0].as_str()] != "unchanged")
        .count();
    let left_out = changed_total - drawn_changed;
    let said = format!("{left_out} changed functions left out (cap: 5 nodes)");
    let comment = text.lines().nth(3).unwrap();
    assert!(
        comment.ends_with(&said),
        "{comment:?} does not say {said:?}"
    );
    let title = attribute(
        text.lines().find(|l| l.contains("graph [")).unwrap(),
        "label",
    )
    .unwrap();
    assert!(
        lines(title).iter().any(|line| line.ends_with(&said)),
        "{title}"
    );
}

/// Names meant to break out of a DOT string or to drive a terminal.
const HOSTILE: [&str; 9] = [
    "quote\"]; injected [label=\"x",
    "back\\slash\\",
    "brace{ }|<port>",
    "<lambda> & &lt;entity&gt;",
    "new\nline\r",
    "title\x1b]0;pwned\x07",
    "bidi\u{202e}txt",
    "esc\\N\\G\\l",
    "semicolon; -> edge",
];

fn hostile_profile(calls: u64) -> Profile {
    let mut p = crate::cprofile_profile("hostile\"\n.prof");
    let mut main = Function::new("main", FunctionKind::Source);
    main.file = Some("app.py".into());
    main.line = Some(1);
    main.calls = Some(1);
    main.primitive_calls = Some(1);
    main.inclusive_cost = 1.0;
    main.self_cost = 0.01;
    p.functions.push(main);
    for (index, name) in HOSTILE.iter().enumerate() {
        let mut f = Function::new(*name, FunctionKind::Source);
        f.file = Some(format!("dir\"{index}\\x.py"));
        f.line = Some(10);
        f.calls = Some(calls);
        f.primitive_calls = Some(calls);
        f.self_cost = 0.05 * calls as f64;
        f.inclusive_cost = 0.05 * calls as f64;
        p.functions.push(f);
        p.edges.push(
            Edge::new(0, index + 1)
                .with_calls(Some(calls))
                .with_primitive_calls(Some(calls))
                .with_self_cost(Some(0.05 * calls as f64))
                .with_inclusive_cost(Some(0.05 * calls as f64)),
        );
    }
    p
}

#[test]
fn hostile_names_stay_inside_their_strings() {
    let dir = tempfile::tempdir().unwrap();
    // File names are the user's, and can be as odd as names.
    let (base, new) = (
        dir.path().join("ba\"se\\\n.prof"),
        dir.path().join("new.prof"),
    );
    for (path, calls) in [(&base, 2), (&new, 3)] {
        let mut bytes = Vec::new();
        pstats::write(&hostile_profile(calls), &mut bytes).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let (base, new) = (base.to_str().unwrap(), new.to_str().unwrap());
    let output = profdiff(&["diff", base, new, "--format", "dot"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();

    // No control character but the line ends, no bidi control.
    for (at, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "raw {c:?} at byte {at}");
    }
    // Every function is one node and every call one edge: nothing injected.
    let graph = parse(&text);
    assert_eq!(graph.nodes.len(), HOSTILE.len() + 1, "{text}");
    assert_eq!(graph.edges.len(), HOSTILE.len(), "{text}");
    let names: HashSet<&str> = graph.nodes.values().map(|n| n.label[0].as_str()).collect();
    for expected in [
        // A backslash in a file name is a Windows separator to profdiff.
        "dir\"1/x.py:10(back\\slash\\)",
        "dir\"0/x.py:10(quote\"]; injected [label=\"x)",
        "dir\"2/x.py:10(brace{ }|<port>)",
        "dir\"3/x.py:10(<lambda> & &lt;entity&gt;)",
        "dir\"4/x.py:10(new\\nline\\r)",
        "dir\"5/x.py:10(title\\x1b]0;pwned\\x07)",
        "dir\"6/x.py:10(bidi\\u{202e}txt)",
        "dir\"7/x.py:10(esc\\N\\G\\l)",
        "dir\"8/x.py:10(semicolon; -> edge)",
    ] {
        assert!(names.contains(expected), "{expected:?} not in {names:#?}");
    }

    // The file name as written, in the comment and in the title.
    assert!(text.contains("/ba\"se\\\\n.prof\n// new: "), "{text}");
    let title = text.lines().find(|l| l.contains("graph [")).unwrap();
    let title = lines(attribute(title, "label").unwrap());
    assert!(title[0].contains("/ba\"se\\\\n.prof → "), "{title:?}");

    // Graphviz draws each name as written (SVG escapes &, <, >, ").
    let svg = svg(&text);
    assert_eq!(svg.matches("class=\"node\"").count(), HOSTILE.len() + 1);
    assert_eq!(svg.matches("class=\"edge\"").count(), HOSTILE.len());
    for shown in [
        "quote&quot;]; injected [label=&quot;x)",
        "back\\slash\\)",
        "brace{ }|&lt;port&gt;)",
        "&lt;lambda&gt; &amp; &amp;lt;entity&amp;gt;)",
        "(new\\nline\\r)",
        "title\\x1b]0;pwned\\x07",
        "esc\\N\\G\\l)",
        "/ba&quot;se\\\\n.prof → ",
    ] {
        assert!(svg.contains(shown), "{shown:?} not shown in\n{svg}");
    }
}

#[test]
fn without_call_edges_the_changed_functions_stand_alone() {
    // pstats' printed text has no callers.
    let text = run_ok(&[
        "diff",
        "fixtures/text/seed_before.txt",
        "fixtures/text/seed_after.txt.gz",
        "--format",
        "dot",
    ]);
    let graph = parse(&text);
    assert!(graph.edges.is_empty());
    assert!(!graph.nodes.is_empty());
    assert!(text.contains(
        "neither profile records calls between functions: changed functions only, without edges"
    ));
    svg(&text);
}

#[test]
fn dot_is_for_a_diff_of_two_profiles() {
    let runs = [
        "diff", "--base", BEFORE, BEFORE, "--new", AFTER, AFTER, "--format", "dot",
    ];
    for args in [&["show", BEFORE, "--format", "dot"][..], &runs[..]] {
        let output = profdiff(args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(output.stdout.is_empty());
        assert!(stderr(&output).contains("--format"), "{}", stderr(&output));
    }
}
