//! The snapshot grammar, through `profdiff::snapshot::check` (the parser
//! itself is private): the input is a snapshot's text, checked against
//! three fixed profiles, one per kind of unit (seconds, samples, an event).
//! Text that is not a valid snapshot is an error; the text a check proposes
//! (what `--update` would write) must itself read back, also when the
//! profile's unit differs from the snapshot's
//! (regressions/snapshot-band-floor-unit-change.bin, fixed).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use profdiff::snapshot::{self, CallsTolerance};
use profdiff::{Format, Profile};

fn profiles() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        let parse = |bytes: &[u8], format| profdiff::input::parse(bytes, "fixed", format).unwrap();
        vec![
            parse(
                include_bytes!("../../fixtures/pstats/cprofile_py311.prof"),
                Format::Pstats,
            ),
            parse(
                b"main;app.py:f;app.py:g 5\nmain;app.py:f 2\nmain;odd  name 1\n",
                Format::Folded,
            ),
            parse(
                include_bytes!("../../fixtures/callgrind/yappi_recursive.callgrind"),
                Format::Callgrind,
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(line) = text.lines().next() {
        let _ = CallsTolerance::parse(line);
    }
    for profile in profiles() {
        if let Ok(outcome) = snapshot::check(profile, &text, &Default::default()) {
            if let Err(error) = snapshot::check(profile, &outcome.actual, &Default::default()) {
                panic!(
                    "the proposed snapshot does not read back: {error}\n{}",
                    outcome.actual
                );
            }
        }
    }
});
