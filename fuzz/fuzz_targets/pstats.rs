//! Binary pstats dumps (Python marshal): `profdiff::input::parse` with
//! `Format::Pstats`. Any input may be refused with an error; none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = profdiff::formats::pstats::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.prof", Format::Pstats);
});
