//! `python -X importtime` logs: detection, and the reader through the
//! loader's entry point (log prefixes, nesting, several runs, cut lines).
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::formats::importtime;
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = importtime::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.log", Format::Importtime);
});
