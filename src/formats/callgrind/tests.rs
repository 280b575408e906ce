//! Tests of the reader's parts; tests/it/callgrind.rs reads the fixtures.

use super::lines::{find_newline, subposition, Tokens};
use super::names::{split_name, unit_of};
use super::*;
use crate::error::ParseError;
use crate::model::{Function, FunctionKind, Profile, Unit};

fn parse_str(text: &str) -> Result<Profile, ParseError> {
    parse(
        text.as_bytes(),
        "test.callgrind",
        &CallgrindOptions::default(),
    )
}

fn parse_ok(text: &str) -> Profile {
    parse_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn function<'p>(profile: &'p Profile, name: &str) -> &'p Function {
    let mut found = profile.functions.iter().filter(|f| f.name == name);
    let function = found.next().unwrap_or_else(|| panic!("no function {name}"));
    assert!(found.next().is_none(), "several functions named {name}");
    function
}

fn error_line(text: &str) -> (u64, String) {
    let error = parse_str(text).expect_err("must fail");
    match error.position {
        crate::error::Position::Line(line) => (line, error.message),
        other => panic!("expected a line, got {other}"),
    }
}

#[test]
fn subpositions_absolute_relative_same_and_hex() {
    assert_eq!(subposition(b"17", 5, 1).unwrap(), 17);
    assert_eq!(subposition(b"+3", 5, 1).unwrap(), 8);
    assert_eq!(subposition(b"-3", 5, 1).unwrap(), 2);
    assert_eq!(subposition(b"*", 5, 1).unwrap(), 5);
    assert_eq!(subposition(b"0x1f", 5, 1).unwrap(), 31);
    assert_eq!(subposition(b"0xffffffffffffffff", 0, 1).unwrap(), u64::MAX);
    for bad in [
        &b"-6"[..],
        b"+x",
        b"**",
        b"0x",
        b"0x1ffffffffffffffff",
        b"1e3",
        b"-",
    ] {
        assert!(
            subposition(bad, 5, 9).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(subposition(b"+1", u64::MAX, 1).is_err());
}

#[test]
fn relative_positions_give_the_function_line() {
    // Lines 10, then +2 = 12, then * = 12, then -5 = 7: the line of the
    // first cost line is the function's.
    let profile = parse_ok("events: Ir\nfl=a.c\nfn=f\n10 1\n+2 2\n* 3\n-5 4\nfn=g\n+1 5\n");
    let f = function(&profile, "f");
    assert_eq!((f.line, f.self_cost), (Some(10), 10.0));
    // The position base carries over into the next function: 7 + 1.
    assert_eq!(function(&profile, "g").line, Some(8));
}

#[test]
fn instr_and_line_positions() {
    let text = "positions: instr line\nevents: Ir Dr\nfl=a.c\nfn=f\n0x400 3 5 1\n+4 +1 7\n\
                    cfn=g\ncalls=2 0x500 20\n* * 9 2\nfn=g\n0x500 20 4\n";
    let profile = parse_ok(text);
    let f = function(&profile, "f");
    assert_eq!(
        (f.line, f.self_cost, f.inclusive_cost),
        (Some(3), 12.0, 21.0)
    );
    let g = function(&profile, "g");
    assert_eq!((g.line, g.calls, g.self_cost), (Some(20), Some(2), 4.0));
}

#[test]
fn compressed_ids_have_one_space_per_kind() {
    // (1) is a file, a function and an object at the same time; cfi= and
    // fl= share the file table, cfn= and fn= the function table.
    let text = "events: Ir\nob=(1) /bin/x\nfl=(1) a.c\nfn=(1) main\n1 5\ncfi=(2) b.c\ncfn=(2) g\n\
                    calls=1 1\n1 7\nfl=(2)\nfn=(2)\n1 7\nfl=(1)\nfn=(1)\n2 1\n";
    let profile = parse_ok(text);
    assert_eq!(profile.functions.len(), 2);
    let main = function(&profile, "main");
    assert_eq!(main.file.as_deref(), Some("a.c"));
    assert_eq!(main.object.as_deref(), Some("/bin/x"));
    assert_eq!(main.self_cost, 6.0);
    let g = function(&profile, "g");
    assert_eq!(g.file.as_deref(), Some("b.c"));
    assert_eq!(g.object.as_deref(), Some("/bin/x"));
    assert_eq!((g.calls, g.self_cost), (Some(1), 7.0));
}

#[test]
fn unknown_compressed_id_is_an_error_at_its_line() {
    let (line, message) = error_line("events: Ir\nfl=(1) a.c\nfn=(42)\n1 1\n");
    assert_eq!(line, 3);
    assert!(message.contains("(42)"), "{message}");
    // An id defined as a file is not a function.
    let (line, _) = error_line("events: Ir\nfl=(1) a.c\nfn=(1)\n");
    assert_eq!(line, 3);
}

#[test]
fn call_target_does_not_move_the_position_base() {
    // docs/formats.md §3: after line 5, `calls=1 -3` targets line 2 and the
    // next `* 2827` is still line 5.
    let text = "events: Ir\nfl=t.c\nfn=main\n5 3\ncfn=callee\ncalls=1 -3\n* 2827\n* 1\nfn=callee\n2 2827\n";
    let profile = parse_ok(text);
    let main = function(&profile, "main");
    assert_eq!((main.self_cost, main.inclusive_cost), (4.0, 2831.0));
    let callee = function(&profile, "callee");
    assert_eq!((callee.line, callee.calls), (Some(2), Some(1)));
    let edge = &profile.edges[0];
    assert_eq!(
        (edge.calls(), edge.inclusive_cost()),
        (Some(1), Some(2827.0))
    );
}

#[test]
fn cfn_cfi_cob_apply_to_the_next_call_only() {
    let text = "events: Ir\nob=main.bin\nfl=a.c\nfn=f\n1 1\n\
                    cob=libc.so\ncfi=b.c\ncfn=g\ncalls=1 0\n1 10\n\
                    cfn=h\ncalls=1 0\n1 20\n";
    let profile = parse_ok(text);
    let g = function(&profile, "g");
    assert_eq!(
        (g.object.as_deref(), g.file.as_deref()),
        (Some("libc.so"), Some("b.c"))
    );
    // h: back to the caller's object and the current file.
    let h = function(&profile, "h");
    assert_eq!(
        (h.object.as_deref(), h.file.as_deref()),
        (Some("main.bin"), Some("a.c"))
    );
    // A calls= needs its own cfn=.
    let (line, message) = error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n1 1\ncalls=1 0\n1 1\n");
    assert_eq!(line, 6);
    assert!(message.contains("cfn="), "{message}");
}

#[test]
fn a_cfn_without_calls_is_superseded() {
    // callgrind writes cfn= for zero-cost calls and no calls= after it.
    let text = "events: Ir\nfl=a.c\nfn=f\ncfi=x.h\ncfn=zero\n1 1\ncfn=g\ncalls=1 0\n1 5\n";
    let profile = parse_ok(text);
    assert!(profile.functions.iter().all(|f| f.name != "zero"));
    assert_eq!(function(&profile, "g").file.as_deref(), Some("a.c"));
}

#[test]
fn calls_without_a_cost_line() {
    let (line, message) = error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\nfn=h\n1 1\n");
    assert_eq!(line, 5);
    assert!(message.contains("line 4"), "{message}");
    // Comments and blank lines may sit in between.
    parse_ok("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n\n# hm\n1 1\n");
    // At the end of the file the calls= line is named.
    assert_eq!(error_line("events: Ir\nfn=f\ncfn=g\ncalls=1 0\n").0, 4);
}

#[test]
fn missing_trailing_costs_are_zero_and_extra_costs_an_error() {
    let text = "events: Ir Dr Dw\nfn=f\n1 5\n2 1 2 3\n3\n";
    let by_event = |metric: &str| {
        let options = CallgrindOptions {
            metric: Some(metric.to_string()),
        };
        parse(text.as_bytes(), "x", &options).unwrap().functions[0].self_cost
    };
    assert_eq!(
        (by_event("Ir"), by_event("Dr"), by_event("Dw")),
        (6.0, 2.0, 3.0)
    );
    let (line, message) = error_line("events: Ir Dr\nfn=f\n1 1 2 3\n");
    assert_eq!(line, 3);
    assert!(message.contains("3 costs"), "{message}");
}

#[test]
fn unknown_metric_lists_the_events() {
    let options = CallgrindOptions {
        metric: Some("Bc".to_string()),
    };
    let error = parse(b"events: Ir Dr\nfn=f\n1 1\n", "x", &options).unwrap_err();
    assert_eq!(error.position, crate::error::Position::Line(1));
    assert!(error.message.contains("Ir, Dr"), "{}", error.message);
}

#[test]
fn parts_are_summed_and_may_redefine_ids() {
    let text = "events: Ir\npart: 1\nfl=(1) a.c\nfn=(1) f\n1 5\ncfn=(2) g\ncalls=1 1\n1 3\nfn=(2)\n1 3\ntotals: 11\n\
                    part: 2\nevents: Ir\nfl=(1) a.c\nfn=(2) f\n1 7\nfn=(1) g\n1 2\ntotals: 9\n";
    let profile = parse_ok(text);
    assert_eq!(profile.functions.len(), 2);
    assert_eq!(function(&profile, "f").self_cost, 12.0);
    assert_eq!(function(&profile, "g").self_cost, 5.0);
    assert_eq!(profile.total_cost(), 17.0);
    assert!(profile.meta.notes.iter().any(|n| n.contains("2 parts")));
    // The totals (11 + 9 = 20) disagree with the functions (17): noted.
    assert!(profile.meta.notes.iter().any(|n| n.contains("20")));
}

#[test]
fn a_part_starts_without_a_current_function() {
    let (line, message) = error_line("events: Ir\nfn=f\n1 1\npart: 2\n1 1\n");
    assert_eq!(line, 5);
    assert!(message.contains("fn="), "{message}");
}

#[test]
fn uncompressed_names() {
    let text = "events: Ir\nob=/bin/x\nfl=/src/a b.c\nfn=(below main)\n0 1\ncfl=/src/a b.c\ncfn=main\ncalls=1 3\n0 4\nfn=main\n3 4\n";
    let profile = parse_ok(text);
    let below = function(&profile, "(below main)");
    assert_eq!(below.file.as_deref(), Some("/src/a b.c"));
    assert_eq!(below.inclusive_cost, 5.0);
    assert_eq!(function(&profile, "main").calls, Some(1));
}

#[test]
fn unknown_file_and_object_are_none() {
    let profile = parse_ok("events: Ir\nob=???\nfl=???\nfn=0x1130\n0 12\n");
    let f = &profile.functions[0];
    assert_eq!(
        (f.file.as_ref(), f.object.as_ref(), f.line),
        (None, None, None)
    );
    assert_eq!(f.kind, FunctionKind::Builtin);
}

#[test]
fn inlined_lines_stay_with_their_function() {
    // Costs after fi= belong to f; the line comes from f's own file; a
    // call without cfi= from inside the inlined code targets that file.
    let text = "events: Ir\nfl=(1) a.c\nfn=(1) f\nfi=(2) a.h\n40 5\ncfn=(2) g\ncalls=1 7\n41 2\nfe=(1)\n10 1\n";
    let profile = parse_ok(text);
    let f = function(&profile, "f");
    assert_eq!(
        (f.self_cost, f.line, f.file.as_deref()),
        (6.0, Some(10), Some("a.c"))
    );
    assert_eq!(function(&profile, "g").file.as_deref(), Some("a.h"));
}

#[test]
fn context_suffixes_are_kept_apart() {
    let text = "events: Ir\nfl=f.c\nfn=main\n1 1\ncfn=fib\ncalls=1 2\n1 30\nfn=fib\n2 5\ncfn=fib'2\ncalls=2 2\n2 25\n\
                    fn=fib'2\n2 25\ncfn=fib'2\ncalls=4 2\n2 12\n";
    let profile = parse_ok(text);
    let fib = function(&profile, "fib");
    let fib2 = function(&profile, "fib'2");
    assert_eq!((fib.calls, fib.inclusive_cost), (Some(1), 30.0));
    // fib'2 calls itself: true inclusive is what fib's calls brought in,
    // not callgrind_annotate's 25 + 12.
    assert_eq!(
        (fib2.calls, fib2.self_cost, fib2.inclusive_cost),
        (Some(6), 25.0, 25.0)
    );
}

#[test]
fn inclusive_rule_for_mutual_recursion() {
    // main -> even -> odd -> even -> odd; edges carry callgrind's
    // per-call inclusive costs (nested calls counted again).
    let text = "events: Ir\nfl=p.c\nfn=main\n1 1\ncfn=even\ncalls=1 2\n1 10\n\
                    fn=even\n2 3\ncfn=odd\ncalls=2 3\n2 11\n\
                    fn=odd\n3 4\ncfn=even\ncalls=1 2\n3 5\n";
    let profile = parse_ok(text);
    assert_eq!(function(&profile, "main").inclusive_cost, 11.0);
    // Entered through even: exact.
    assert_eq!(function(&profile, "even").inclusive_cost, 10.0);
    // odd: min(11 from even, 10 for the whole cycle).
    assert_eq!(function(&profile, "odd").inclusive_cost, 10.0);
    assert!(profile
        .meta
        .notes
        .iter()
        .any(|n| n.contains("mutual recursion")));
}

#[test]
fn python_names_carry_their_line() {
    // pyprof2calltree: `name:LINE` only when it is also the position.
    let text = "event: ns : Nanoseconds\nevents: ns\nsummary: 9\nfl=a.py\nfn=__init__:33\n33 1000\n\
                    fl=a.py\nfn=__init__:42\n42 2000\nfl=a.py\nfn=odd:7\n3 1\nfl=~\nfn=<built-in method builtins.len>\n0 5\n";
    let profile = parse_ok(text);
    let lines: Vec<(&str, Option<u32>)> = profile
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.line))
        .collect();
    assert_eq!(
        lines,
        [
            ("__init__", Some(33)),
            ("__init__", Some(42)),
            ("odd:7", Some(3)),
            ("<built-in method builtins.len>", Some(0))
        ]
    );
    assert_eq!(profile.functions[3].kind, FunctionKind::Builtin);
    assert_eq!(profile.meta.unit, Unit::Seconds);
    assert_eq!(profile.meta.precision, Some(1e-9));
    assert_eq!(profile.meta.producer.as_deref(), Some("pyprof2calltree"));
    assert_eq!(profile.functions[0].self_cost, 1e-6);
    // yappi: `name FILE:LINE`, Ticks are microseconds.
    let yappi =
        "version: 1\ncreator: yappi\nevents: Ticks\nfl=(1) /r.py\nfn=(1) Point.__init__ /r.py:33\n\
                     fl=(1)\nfn=(1)\n33 7\n";
    let profile = parse_ok(yappi);
    let f = &profile.functions[0];
    assert_eq!(
        (f.name.as_str(), f.line, f.self_cost),
        ("Point.__init__", Some(33), 7e-6)
    );
    assert_eq!(profile.meta.unit, Unit::Seconds);
}

#[test]
fn definitions_without_costs_make_no_functions() {
    // yappi defines every id up front, each fn= after the last fl=.
    let text = "events: Ticks\nfl=(1) a.py\nfl=(2) b.py\nfn=(1) f a.py:1\nfn=(2) g b.py:2\n\nfl=(1)\nfn=(1)\n1 4\n";
    let profile = parse_ok(text);
    assert_eq!(profile.functions.len(), 1);
    assert_eq!(profile.functions[0].file.as_deref(), Some("a.py"));
    assert_eq!(profile.meta.unit, Unit::Event("Ticks".to_string()));
}

#[test]
fn units() {
    for (event, per_second) in [
        ("ns", 1e9),
        ("Nanoseconds", 1e9),
        ("us", 1e6),
        ("ms", 1e3),
        ("s", 1.0),
    ] {
        assert_eq!(
            unit_of(event, None),
            (Unit::Seconds, Some(per_second)),
            "{event}"
        );
    }
    assert_eq!(unit_of("Ir", None), (Unit::Event("Ir".to_string()), None));
    assert_eq!(unit_of("samples", None), (Unit::Samples, None));
    assert_eq!(
        unit_of("Ticks", None),
        (Unit::Event("Ticks".to_string()), None)
    );
    assert_eq!(unit_of("Ticks", Some("yappi")), (Unit::Seconds, Some(1e6)));
}

#[test]
fn profdiff_root_is_dropped_only_for_profdiff_files() {
    let body =
        "events: ns\nfl=(1) ???\nfn=(1) (root)\n0 0\ncfi=(2) ~\ncfn=(2) exec\ncalls=1 0\n0 50\n\
                    fl=(2)\nfn=(2)\n0 50\n";
    let ours = parse_ok(&format!("creator: profdiff 0.1.0\n{body}"));
    assert_eq!(ours.functions.len(), 1);
    assert!(ours.edges.is_empty());
    let exec = &ours.functions[0];
    assert_eq!((exec.calls, exec.inclusive_cost), (Some(1), 50e-9));
    let theirs = parse_ok(&format!("creator: someone\n{body}"));
    assert_eq!(theirs.functions.len(), 2);
    assert_eq!(theirs.edges.len(), 1);
    // A (root) that is called is an ordinary function.
    let called = parse_ok(&format!(
        "creator: profdiff 0.1.0\n{body}cfi=(1)\ncfn=(1)\ncalls=1 0\n0 1\n"
    ));
    assert_eq!(called.functions.len(), 2);
    assert_eq!(called.edges.len(), 2);
}

#[test]
fn malformed_lines_name_their_line() {
    let cases: &[(&str, u64, &str)] = &[
        ("events: Ir\nfn=f\n3 12x\n", 3, "bad cost"),
        ("events: Ir\nfn=f\n3 -1\n", 3, "bad cost"),
        ("events: Ir\nfn=f\n1 99999999999999999999\n", 3, "bad cost"),
        ("events: Ir\nfn=f\ncfn=g\ncalls=x 1\n", 4, "bad call count"),
        ("events: Ir\n1 1\n", 2, "fn="),
        ("fn=f\n1 1\n", 2, "events:"),
        (
            "events: Ir\nfn=f\n\u{1}\u{2}garbage\n",
            3,
            "not a callgrind line",
        ),
        ("events: Ir\nfn=f\nfl=a\0b\n", 3, "NUL"),
        ("events: Ir\nfn=f\n1 2\0\n", 3, "NUL"),
        ("version: 2\nevents: Ir\n", 1, "version 2"),
        ("events:\n", 1, "no events"),
        ("positions: line column\nevents: Ir\n", 1, "column"),
        ("events: Ir\nfn=(12\n", 2, "unterminated"),
        (
            "events: Ir\nfn=f\ncfn=g\ncalls=1 1 2\n1 1\n",
            4,
            "target positions",
        ),
        ("# callgrind format\n# only comments\n", 2, "no events"),
    ];
    for (text, line, needle) in cases {
        let (got_line, message) = error_line(text);
        assert_eq!(
            (got_line, message.contains(needle)),
            (*line, true),
            "{text:?}: {message}"
        );
    }
    assert_eq!(error_line("").0, 1);
}

#[test]
fn overlong_line_is_refused() {
    let mut text = b"events: Ir\nfn=".to_vec();
    text.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
    let error = parse(&text, "x", &CallgrindOptions::default()).unwrap_err();
    assert_eq!(error.position, crate::error::Position::Line(2));
}

#[test]
fn crlf_and_non_utf8_names() {
    let profile = parse_ok("events: Ir\r\nfl=caf\u{e9}.c\r\nfn=f\r\n1 2\r\n");
    assert_eq!(profile.functions[0].file.as_deref(), Some("café.c"));
    let bytes = b"events: Ir\nfn=caf\xe9\n1 2\n";
    let profile = parse(bytes, "x", &CallgrindOptions::default()).unwrap();
    assert_eq!(profile.functions[0].name, "caf\u{fffd}");
}

#[test]
fn detection() {
    assert!(detect(b"# callgrind format\nversion: 1\n"));
    assert!(detect(
        b"event: ns : Nanoseconds\nevents: ns\nsummary: 5\nfl=a.py\nfn=f\n1 5\n"
    ));
    assert!(detect(
        b"version: 1\ncreator: yappi\npid: 1\ncmd:  x\npart: 1\n\nevents: Ticks\n\nfl=(0) a.py\n"
    ));
    assert!(!detect(b""));
    assert!(!detect(b"{\"events\": 1}\n"));
    assert!(!detect(b"\xfb)\x03\xfa\x07prog.py\xe9\x11\x00\x00\x00"));
    assert!(!detect(b"main;f;g 10\nmain;h 5\n"));
    // events: alone, or spec lines before it, is not enough.
    assert!(!detect(b"events: Ir\n"));
    assert!(!detect(b"fn=f\nevents: Ir\nfl=a\n"));
    assert!(!detect(b"events: Ir\nfn=f\n\0"));
}

/// A reader that hands out at most `step` bytes per read.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn reading_in_chunks_gives_what_parsing_bytes_gives() {
    let mut long_line = b"events: Ir\nfn=f\n1 1\nfn=".to_vec();
    long_line.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 1));
    long_line.extend_from_slice(b"\n1 1\n");
    let mut longest_allowed = b"events: Ir\nfn=".to_vec();
    longest_allowed.extend(std::iter::repeat_n(b'b', MAX_LINE_BYTES - 3));
    longest_allowed.extend_from_slice(b"\n1 1");
    let texts: Vec<Vec<u8>> = [
        "",
        "events: Ir\nfl=a.c\nfn=f\n10 1\n+2 2\ncfn=g\ncalls=1 3\n* 4\nfn=g\n3 4",
        "events: Ir\r\nfl=(1) a.c\r\nfn=(1) f\r\n1 2\r\n\r\n",
        "events: Ir\nfn=f\n3 12x\n",
        "events: Ir\nfn=f\ncfn=g\ncalls=1 0\n",
        "events: Ir\nfn=f\n1 2\0\n",
        "version: 1\ncreator: profdiff 0.1.0\nevents: ns\nfl=(1) ???\nfn=(1) (root)\n0 0\n\
             cfi=(2) ~\ncfn=(2) exec\ncalls=1 0\n0 50\nfl=(2)\nfn=(2)\n0 50\n",
    ]
    .iter()
    .map(|t| t.as_bytes().to_vec())
    .chain([long_line, longest_allowed])
    .collect();
    let options = CallgrindOptions::default();
    for text in &texts {
        let expected = format!("{:?}", parse(text, "x", &options));
        for step in [1, 2, 7, 4096, usize::MAX] {
            let mut reader = Trickle { bytes: text, step };
            let got = parse_reader(&mut reader, "x", &options).unwrap();
            assert_eq!(format!("{got:?}"), expected, "step {step}");
        }
    }
    // The reader's own errors come out as they are.
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    assert!(parse_reader(&mut Broken, "x", &options).is_err());
}

#[test]
fn calls_spread_over_several_blocks_make_one_edge() {
    // f's calls to g come in three stretches, between which h calls g
    // and f calls k: one f→g edge with the sums, in order of first
    // appearance. Many stretches also make the edge list compact while
    // parsing (COMPACT_EDGES is small in tests).
    let mut text = String::from("events: Ir\nfl=a.c\n");
    for round in 0..40 {
        text.push_str("fn=f\n1 1\ncfn=g\ncalls=2 5\n1 10\ncfn=k\ncalls=1 6\n1 1\n");
        text.push_str("cfn=g\ncalls=1 5\n1 3\n");
        if round % 2 == 0 {
            text.push_str("fn=h\n2 1\ncfn=g\ncalls=1 5\n2 7\n");
        }
    }
    text.push_str("fn=g\n5 13\n");
    let profile = parse_ok(&text);
    let name = |id: usize| profile.functions[id].name.as_str();
    let edges: Vec<(&str, &str, Option<u64>, Option<f64>)> = profile
        .edges
        .iter()
        .map(|e| {
            (
                name(e.caller),
                name(e.callee),
                e.calls(),
                e.inclusive_cost(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            ("f", "g", Some(120), Some(520.0)),
            ("f", "k", Some(40), Some(40.0)),
            ("h", "g", Some(20), Some(140.0)),
        ]
    );
    assert_eq!(function(&profile, "g").calls, Some(140));
    assert_eq!(function(&profile, "f").self_cost, 40.0);
}

#[test]
fn many_uncompressed_names_and_odd_bytes() {
    // More names than the name cache starts with (it grows), each
    // written out in full many times, as pyprof2calltree does.
    let mut text = String::from("events: ns\n");
    for caller in 0..300 {
        text.push_str(&format!(
            "fl=/src/m{}.py\nfn=f{caller}\n{caller} 1\n",
            caller % 7
        ));
        for callee in [(caller + 1) % 300, (caller * 7) % 300] {
            text.push_str(&format!(
                "cfl=/src/m{}.py\ncfn=f{callee}\ncalls=1 {callee}\n{caller} 2\n",
                callee % 7
            ));
        }
    }
    let profile = parse_ok(&text);
    assert_eq!(profile.functions.len(), 300);
    assert_eq!(profile.edges.len(), 600);
    for (id, f) in profile.functions.iter().enumerate() {
        assert_eq!(f.name, format!("f{id}"));
        assert_eq!(f.file, Some(format!("/src/m{}.py", id % 7)));
        assert_eq!(f.line, Some(id as u32));
    }
    // Two spellings that are not UTF-8 and decode alike are one name,
    // as they read the same (and each is looked up again later).
    let bytes = b"events: Ir\nfn=caf\xe9\n1 2\nfn=caf\xff\n1 3\nfn=caf\xe9\n1 4\n";
    let profile = parse(bytes, "x", &CallgrindOptions::default()).unwrap();
    assert_eq!(profile.functions.len(), 1);
    assert_eq!(profile.functions[0].self_cost, 9.0);
}

#[test]
fn newline_search_agrees_with_a_plain_scan() {
    let text = b"ab\ncdefghijklmnop\nq\x8a\n\n0123456789abcdef0123\n\xff\xfe\x0a";
    for start in 0..text.len() {
        let slice = &text[start..];
        assert_eq!(
            find_newline(slice),
            slice.iter().position(|&b| b == b'\n'),
            "{start}"
        );
    }
    assert_eq!(find_newline(b"no newline at all here"), None);
}

#[test]
fn tokens_split_on_any_whitespace() {
    let tokens: Vec<&[u8]> = Tokens(b"  1\t+2  * ").collect();
    assert_eq!(tokens, [&b"1"[..], b"+2", b"*"]);
}

#[test]
fn name_splitting() {
    assert_eq!(
        split_name("f:12", Some("a.py"), Some(12), true),
        ("f", Some(12))
    );
    assert_eq!(
        split_name("f:12", Some("a.py"), Some(13), true),
        ("f:12", Some(13))
    );
    assert_eq!(split_name("f:12", None, Some(12), true), ("f:12", Some(12)));
    assert_eq!(
        split_name("f /a.py:7", Some("/a.py"), Some(0), true),
        ("f", Some(7))
    );
    assert_eq!(
        split_name("std::f", Some("a.cc"), Some(3), true),
        ("std::f", Some(3))
    );
    assert_eq!(
        split_name(":12", Some("a.py"), Some(12), true),
        (":12", Some(12))
    );
    // profdiff never writes yappi's form: such a name is a real name.
    assert_eq!(
        split_name("f /a.py:7", Some("/a.py"), Some(0), false),
        ("f /a.py:7", Some(0))
    );
}
