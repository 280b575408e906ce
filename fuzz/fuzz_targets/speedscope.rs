//! speedscope JSON, all threads and (with a name from the input) one thread.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::input::LoadOptions;
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = profdiff::formats::speedscope::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.speedscope.json", Format::Speedscope);
    // A thread name: the first quoted string after `"name"`, if any.
    let text = String::from_utf8_lossy(data);
    if let Some(name) = text
        .split("\"name\"")
        .nth(2)
        .and_then(|rest| rest.split('"').nth(1))
    {
        let options = LoadOptions {
            thread: Some(name.to_string()),
            ..Default::default()
        };
        let _ =
            profdiff::input::parse_with(data, "fuzz.speedscope.json", Format::Speedscope, &options);
    }
});
