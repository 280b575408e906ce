//! pprof `profile.proto`, raw (the seeds are unpacked by seed.sh) or gzipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::input::LoadOptions;
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = profdiff::formats::pprof::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.pprof", Format::Pprof);
    // A sample type the profile may or may not have.
    let options = LoadOptions {
        metric: Some("cpu".to_string()),
        ..Default::default()
    };
    let _ = profdiff::input::parse_with(data, "fuzz.pprof", Format::Pprof, &options);
});
