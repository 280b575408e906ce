//! Text printed by `pstats.Stats.print_stats()`: the whole input, then (as
//! the loader does for program output followed by a stats table) the input
//! from the table start that `find_table_start` reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profdiff::formats::pstats_text::{self, TextOptions};
use profdiff::Format;

fuzz_target!(|data: &[u8]| {
    let _ = pstats_text::detect(data);
    let _ = profdiff::input::parse(data, "fuzz.txt", Format::PstatsText);
    if let Some(start) = pstats_text::find_table_start(data) {
        assert!(start <= data.len(), "table start {start} past the input");
        let _ =
            pstats_text::parse_from_line(&data[start..], "fuzz.txt", &TextOptions::default(), 7);
    }
});
