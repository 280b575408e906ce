//! pprof against the values protobuf's own classes decode.

use profdiff::formats::pprof::{self, PprofOptions};
use profdiff::model::Unit;
use profdiff::Position;
use serde_json::Value;

use super::*;

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
