//! Folded / collapsed stacks, with and without a sample rate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::input::LoadOptions;
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = profdiff::formats::folded::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.folded", Format::Folded);
    let options = LoadOptions {
        sample_rate: Some(97.0),
        ..Default::default()
    };
    let _ = profdiff::input::parse_with(data, "fuzz.folded", Format::Folded, &options);
});
