//! Reading profiles from files or stdin and dispatching to the right format.
//!
//! The format is decided by content, never by extension: the first bytes are
//! sniffed before the rest is read, so `profdiff show /dev/zero` fails at once
//! instead of filling memory.

use std::fs::File;
use std::io::{self, Read};

use crate::error::{Error, Result};
use crate::formats::pstats;
use crate::model::{Format, Profile};

/// Inputs above this size are refused: no profile is this large, and reading
/// an endless stream must end.
pub const MAX_INPUT_BYTES: u64 = 4 << 30;

/// How many leading bytes the sniffers look at.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Options for loading a profile.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Force a format instead of detecting it (`--from`).
    pub format: Option<Format>,
}

/// Every format this build can read, in detection order.
pub const SUPPORTED: &[Format] = &[Format::Pstats];

/// Reads and parses the profile at `path` (`-` is stdin).
pub fn load(path: &str, options: &LoadOptions) -> Result<Profile> {
    let io_error = |source: io::Error| Error::Io {
        path: path.to_string(),
        source,
    };
    let mut reader: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        let metadata = std::fs::metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(Error::Input {
                path: path.to_string(),
                message: "is a directory, expected a profile file".to_string(),
            });
        }
        Box::new(File::open(path).map_err(io_error)?)
    };
    let mut bytes = Vec::new();
    (&mut reader)
        .take(SNIFF_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    let format = match options.format {
        Some(format) => format,
        None => detect(&bytes, path)?,
    };
    (&mut reader)
        .take(MAX_INPUT_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::Input {
            path: path.to_string(),
            message: format!(
                "larger than {} GiB, refusing to read it",
                MAX_INPUT_BYTES >> 30
            ),
        });
    }
    parse(&bytes, path, format)
}

/// Parses bytes already in memory as `format`.
pub fn parse(bytes: &[u8], path: &str, format: Format) -> Result<Profile> {
    let parsed = match format {
        Format::Pstats => pstats::parse(bytes, path),
        other => {
            return Err(Error::Usage(format!(
                "reading {other} profiles is not supported yet"
            )))
        }
    };
    parsed.map_err(|error| Error::Parse {
        path: path.to_string(),
        format: format.name(),
        error,
    })
}

/// Names the format of `bytes`, or explains what was tried.
pub fn detect(bytes: &[u8], path: &str) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::Input {
            path: path.to_string(),
            message: "empty file, expected a profile".to_string(),
        });
    }
    if pstats::detect(bytes) {
        return Ok(Format::Pstats);
    }
    let tried: Vec<&str> = SUPPORTED.iter().map(|f| f.name()).collect();
    Err(Error::Input {
        path: path.to_string(),
        message: format!(
            "unrecognised profile format (first byte 0x{:02x}; tried: {}); use --from to force one",
            bytes[0],
            tried.join(", ")
        ),
    })
}
