//! Names from an untrusted profile cannot drive the terminal: control and
//! bidi characters are shown escaped in text and Markdown, kept exact in
//! JSON.

use profdiff::formats::pstats;
use profdiff::model::{Edge, Function, FunctionKind, Profile};

use crate::{profdiff, stderr};

const EVIL: [&str; 5] = [
    "title\x1b]0;pwned\x07",
    "clear\x1b[2J\x1b[H",
    "forged\n  99  1.00 s  fake_row",
    "back\rspace\x08\x7f",
    "c1\u{9b}31m bidi\u{202e}txt.exe",
];

fn profile(variant: bool) -> Profile {
    let mut p = crate::cprofile_profile("hostile");
    let mut main = Function::new("main", FunctionKind::Source);
    main.file = Some("app.py".into());
    main.line = Some(1);
    main.calls = Some(1);
    main.primitive_calls = Some(1);
    main.self_cost = 0.001;
    main.inclusive_cost = 1.0;
    p.functions.push(main);
    for (index, name) in EVIL.iter().enumerate() {
        let calls = if variant { 7 } else { 2 };
        let mut f = Function::new(*name, FunctionKind::Source);
        f.file = Some(format!("evil\x1b[31m{index}.py"));
        f.line = Some(10);
        f.calls = Some(calls);
        f.primitive_calls = Some(calls);
        f.self_cost = 0.1 * calls as f64;
        f.inclusive_cost = 0.1 * calls as f64;
        p.functions.push(f);
        p.edges.push(
            Edge::new(0, index + 1)
                .with_calls(Some(calls))
                .with_primitive_calls(Some(calls))
                .with_self_cost(Some(0.1 * calls as f64))
                .with_inclusive_cost(Some(0.1 * calls as f64)),
        );
    }
    p
}

/// No control character but newline, no C1 control, no bidi control.
fn assert_inert(what: &str, text: &str) {
    for (at, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            !bad,
            "{what}: raw {c:?} at byte {at}: {:?}",
            &text[at.saturating_sub(40)..]
        );
    }
}

#[test]
fn control_characters_in_names_are_escaped_in_text_and_markdown_exact_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let (base, new) = (dir.path().join("base.prof"), dir.path().join("new.prof"));
    for (path, variant) in [(&base, false), (&new, true)] {
        let mut bytes = Vec::new();
        pstats::write(&profile(variant), &mut bytes).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let (base, new) = (base.to_str().unwrap(), new.to_str().unwrap());
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "text",
            vec!["diff", base, new, "--color", "never", "--callers"],
        ),
        ("markdown", vec!["diff", base, new, "--format", "markdown"]),
        ("show", vec!["show", new, "--color", "never"]),
        (
            "gate",
            vec![
                "diff",
                base,
                new,
                "--color",
                "never",
                "--fail-on-regression",
            ],
        ),
        (
            "runs",
            vec![
                "diff", "--base", base, base, "--new", new, new, "--color", "never",
            ],
        ),
    ];
    for (what, args) in cases {
        let output = profdiff(&args);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{what}: {}",
            stderr(&output)
        );
        let text = String::from_utf8(output.stdout.clone()).unwrap();
        assert_inert(what, &text);
        assert_inert(what, &stderr(&output));
        assert!(text.contains("title\\x1b]0;pwned\\x07"), "{what}: {text}");
        if what != "markdown" {
            assert!(text.contains("forged\\n  99"), "{what}: {text}");
        }
    }
    // With colour, the only escape sequences are profdiff's own colours.
    let output = profdiff(&["diff", base, new, "--color", "always"]);
    let text = String::from_utf8(output.stdout).unwrap();
    for (at, _) in text.match_indices('\x1b') {
        let rest = &text[at + 1..];
        let sgr = rest.starts_with('[')
            && rest[1..].find('m').is_some_and(|end| {
                rest[1..1 + end]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ';')
            });
        assert!(
            sgr,
            "a non-colour escape at byte {at}: {:?}",
            &rest[..20.min(rest.len())]
        );
    }
    // JSON keeps every name exactly.
    let output = profdiff(&["diff", base, new, "--format", "json"]);
    let document: profdiff::wire::DiffDocument = serde_json::from_slice(&output.stdout).unwrap();
    for name in EVIL {
        assert!(
            document.functions.iter().any(|f| f.name == name),
            "{name:?} not kept exactly in JSON"
        );
    }
}
