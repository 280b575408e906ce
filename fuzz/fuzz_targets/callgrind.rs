//! Callgrind: the in-memory reader, and the streaming reader the loader uses
//! for uncompressed files, fed in small chunks. The two are documented to
//! give the same results and errors, so any difference is a finding.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use profdiff::formats::callgrind::{self, CallgrindOptions};
use profdiff::Format;

/// Hands out at most `step` bytes per read, so lines straddle reads.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = callgrind::detect(data);
    // The loader's own checks (numbers no profile measures) come after
    // either reader: it is exercised here, and the two readers are compared
    // with each other below.
    let _ = profdiff::input::parse(data, "fuzz.callgrind", Format::Callgrind);
    let options = CallgrindOptions::default();
    let whole = callgrind::parse(data, "fuzz.callgrind", &options);
    let step = 1 + data.first().map_or(0, |&b| b as usize % 61);
    let mut reader = Trickle { data, step };
    let streamed = callgrind::parse_reader(&mut reader, "fuzz.callgrind", &options)
        .expect("reading from memory cannot fail");
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "parse and parse_reader disagree"
        ),
        (Err(a), Err(b)) => assert_eq!(a, b, "parse and parse_reader fail differently"),
        _ => panic!(
            "parse and parse_reader disagree: {:?} vs {:?}",
            whole.as_ref().map(|p| p.functions.len()),
            streamed.as_ref().map(|p| p.functions.len())
        ),
    }
    // An event name taken from the input: a metric the file lacks is an error.
    if let Some(line) = data.split(|&b| b == b'\n').nth(1) {
        let options = profdiff::input::LoadOptions {
            metric: Some(String::from_utf8_lossy(line).into_owned()),
            ..Default::default()
        };
        let _ = profdiff::input::parse_with(data, "fuzz.callgrind", Format::Callgrind, &options);
    }
});
