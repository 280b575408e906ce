//! pstats text, folded, speedscope, pprof and import-time readers against
//! fixtures made by the real tools (fixtures/make_sampled_fixtures.sh,
//! fixtures/importtime/make_importtime_fixtures.sh). Every number is checked
//! against a computation that does not use profdiff's parsers: sums over the
//! raw folded lines, Python's own pstats view of the binary dump of the same
//! run, speedscope weights and events read here with serde_json, pprof
//! values decoded by the protobuf classes austin-python ships, and
//! `python -X importtime` logs split at their `|` by a few lines of test
//! code. One file per format; the shared helpers and detection are here.

mod flame_graph;
mod folded_reader;
mod importtime;
mod pprof_reader;
mod speedscope_reader;
mod text_reader;

use std::path::PathBuf;

use profdiff::formats::folded::{self, FoldedOptions};
use profdiff::formats::gzip::maybe_gunzip;
use profdiff::formats::pprof::{self, PprofOptions};
use profdiff::formats::pstats_text::{self, TextOptions};
use profdiff::formats::speedscope::{self, SpeedscopeOptions};
use profdiff::input;
use profdiff::model::{Format, Profile};

pub(super) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's bytes, gunzipped when it is gzipped.
pub(super) fn fixture(path: &str) -> Vec<u8> {
    let raw = std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    maybe_gunzip(&raw).unwrap().into_owned()
}

pub(super) fn fixture_text(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

pub(super) fn files_in(dir: &str) -> Vec<String> {
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

pub(super) fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

pub(super) fn parse_folded(path: &str) -> Profile {
    folded::parse(&fixture(path), path, &FoldedOptions::default()).unwrap()
}

pub(super) fn parse_text(path: &str) -> Profile {
    pstats_text::parse(&fixture(path), path, &TextOptions::default()).unwrap()
}

pub(super) fn parse_speedscope(path: &str) -> Profile {
    speedscope::parse(&fixture(path), path, &SpeedscopeOptions::default()).unwrap()
}

pub(super) fn parse_pprof(path: &str) -> Profile {
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
