//! The auto-detecting loader: `input::detect` then `input::parse` on the
//! bytes in memory, and `input::load` on the same bytes as a file (sniffing,
//! the streaming callgrind reader, gzip). For small uncompressed input the
//! two paths must agree on success and on the number of functions.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

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
        dir.join(format!("profdiff-fuzz-load-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let in_memory = profdiff::input::detect(data, "fuzz")
        .and_then(|format| profdiff::input::parse(data, "fuzz", format));
    std::fs::write(scratch(), data).expect("writing the scratch file");
    let loaded = profdiff::input::load(scratch(), &Default::default());
    // Below the sniff window (64 KiB) the loader decides by the same
    // detectors, so the two must agree.
    if !gzip::is_gzip(data) && data.len() < 32 * 1024 {
        let count = |r: &profdiff::Result<profdiff::Profile>| {
            r.as_ref().map(|p| p.functions.len()).map_err(|_| ())
        };
        assert_eq!(
            count(&in_memory),
            count(&loaded),
            "detect+parse and load disagree: {:?} vs {:?}",
            in_memory
                .as_ref()
                .map(|p| p.meta.format)
                .map_err(|e| e.to_string()),
            loaded
                .as_ref()
                .map(|p| p.meta.format)
                .map_err(|e| e.to_string()),
        );
    }
});
