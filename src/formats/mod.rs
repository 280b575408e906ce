//! One module per input format, each with the same surface:
//! `parse(bytes, path) -> Result<Profile, ParseError>` and `detect(bytes) -> bool`.

pub mod marshal;
pub mod pstats;
