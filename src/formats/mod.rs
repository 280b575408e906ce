//! One module per input format, each with the same surface:
//! `parse(bytes, path) -> Result<Profile, ParseError>` and `detect(bytes) -> bool`.

pub mod callgrind;
pub mod folded;
pub mod gzip;
pub mod marshal;
pub mod pprof;
pub mod pstats;
pub mod pstats_text;
pub mod speedscope;
mod stacks;
