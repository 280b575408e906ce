//! The gzip front, through the loader (`profdiff::input::load`), which
//! unpacks gzip before detecting the format of what is inside.
//!
//! Input that starts with the gzip magic is loaded as it is (damaged headers,
//! CRCs, members); anything else is gzipped first, so the content behind a
//! valid gzip wrapper is fuzzed too.
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use flate2::write::GzEncoder;
use flate2::Compression;
use libfuzzer_sys::fuzz_target;
use profdiff::formats::gzip;

/// One file per fuzzing process, rewritten for every input.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("profdiff-fuzz-gzip-{}.gz", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let bytes = if gzip::is_gzip(data) {
        data.to_vec()
    } else {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    };
    let _ = gzip::maybe_gunzip(&bytes);
    std::fs::write(scratch(), &bytes).expect("writing the scratch file");
    let _ = profdiff::input::load(scratch(), &Default::default());
});
