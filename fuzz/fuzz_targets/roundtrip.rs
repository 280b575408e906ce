//! Writers: any input profdiff reads (format detected) is written as a
//! pstats dump and as a callgrind file and read back. What profdiff writes
//! must read back, and writing what was read back must keep its function
//! count (the first trip may merge what the format cannot tell apart).
//! A snapshot rendered from the profile must check clean against it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::formats::{callgrind, pstats};
use profdiff::{snapshot, Format, Profile};

type Write = fn(&Profile, &mut dyn std::io::Write) -> std::io::Result<()>;

fn trip(profile: &Profile, write: Write, format: Format) -> Option<Profile> {
    let mut out = Vec::new();
    // A writer may refuse a profile (pstats holds seconds only).
    write(profile, &mut out).ok()?;
    match profdiff::input::parse(&out, "written", format) {
        Ok(back) => Some(back),
        Err(error) => panic!(
            "{format} written by profdiff does not read back: {error}\n{}",
            String::from_utf8_lossy(&out)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(format) = profdiff::input::detect(data, "fuzz") else {
        return;
    };
    let Ok(profile) = profdiff::input::parse(data, "fuzz", format) else {
        return;
    };
    for (write, format) in [
        (pstats::write as Write, Format::Pstats),
        (callgrind::write as Write, Format::Callgrind),
    ] {
        let Some(once) = trip(&profile, write, format) else {
            continue;
        };
        let twice = trip(&once, write, format).expect("a profile read back is written again");
        assert_eq!(
            once.functions.len(),
            twice.functions.len(),
            "{format}: function count changes on the second round trip"
        );
    }
    if let Ok(text) = snapshot::render(&profile, &Default::default()) {
        match snapshot::check(&profile, &text, &Default::default()) {
            Ok(outcome) => assert!(
                outcome.is_ok(),
                "a fresh snapshot does not hold for its own profile:\n{outcome}\n{text}"
            ),
            Err(error) => panic!("a rendered snapshot does not read back: {error}\n{text}"),
        }
    }
});
