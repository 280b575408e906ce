//! Differential flame graphs of stack-bearing profiles.

use std::io::Read;

use profdiff::formats::pstats;
use profdiff::render::flamegraph::{self, FlameGraphOptions};

use super::*;

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
