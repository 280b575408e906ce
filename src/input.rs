//! Reading profiles from files or stdin and dispatching to the right format.
//!
//! The format is decided by content, never by extension: the first bytes are
//! sniffed before the rest is read, so `profdiff show /dev/zero` fails at once
//! instead of filling memory.

use std::fs::File;
use std::io::{self, Read};

use crate::error::{Error, Result};
use crate::formats::{callgrind, folded, gzip, pprof, pstats, pstats_text, speedscope};
use crate::model::{Format, Profile};

/// Inputs above this size are refused: no profile is this large, and reading
/// an endless stream must end.
pub const MAX_INPUT_BYTES: u64 = 4 << 30;

/// How many leading bytes the sniffers look at.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Options for loading a profile. Each format reads the fields that concern it.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Force a format instead of detecting it (`--from`).
    pub format: Option<Format>,
    /// The event (callgrind) or sample type (pprof) to read as cost
    /// (`--metric`); default: the format's own default.
    pub metric: Option<String>,
    /// Samples per second, turning folded-stack samples into seconds.
    pub sample_rate: Option<f64>,
    /// Only this thread's profile of a speedscope file.
    pub thread: Option<String>,
    /// A log prefix to strip from each pstats text line, beyond the
    /// CloudWatch and Lambda runtime prefixes stripped automatically.
    pub strip_log_prefix: Option<regex::Regex>,
}

/// Every format this build can read, in the order detection tries them:
/// binary and strongly marked formats first, the loosest (folded) last.
pub const DETECTION_ORDER: &[Format] = &[
    Format::Pstats,
    Format::Callgrind,
    Format::Speedscope,
    Format::Pprof,
    Format::PstatsText,
    Format::Folded,
];

/// Reads and parses the profile at `path` (`-` is stdin). Gzipped input of
/// any format is decompressed first.
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
    let gzipped = gzip::is_gzip(&bytes);
    // Sniff before reading the rest, so an endless stream of garbage fails
    // at once; gzip has to be read whole before its content can be sniffed.
    let format = match (options.format, gzipped) {
        (Some(format), _) => Some(format),
        (None, false) => Some(detect(&bytes, path)?),
        (None, true) => None,
    };
    // Callgrind files are line-oriented and can be large: parse them as they
    // stream in instead of holding the whole file (valgrind users compare
    // peak memory with callgrind_annotate's).
    if !gzipped && format == Some(Format::Callgrind) {
        let limit = MAX_INPUT_BYTES - bytes.len() as u64;
        let mut rest = (&mut reader).take(limit + 1);
        let mut stream = (&bytes[..]).chain(&mut rest);
        let parsed = callgrind::parse_reader(
            &mut stream,
            path,
            &callgrind::CallgrindOptions {
                metric: options.metric.clone(),
            },
        )
        .map_err(io_error)?;
        if rest.limit() == 0 {
            return Err(Error::Input {
                path: path.to_string(),
                message: format!(
                    "larger than {} GiB, refusing to read it",
                    MAX_INPUT_BYTES >> 30
                ),
            });
        }
        return parsed.map_err(|error| Error::Parse {
            path: path.to_string(),
            format: Format::Callgrind.name(),
            error,
        });
    }
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
    let content = gzip::maybe_gunzip(&bytes).map_err(|error| Error::Parse {
        path: path.to_string(),
        format: "gzip",
        error,
    })?;
    let format = match format {
        Some(format) => format,
        None => detect(&content, path)?,
    };
    parse_with(&content, path, format, options)
}

/// Parses bytes already in memory as `format` with default options.
pub fn parse(bytes: &[u8], path: &str, format: Format) -> Result<Profile> {
    parse_with(bytes, path, format, &LoadOptions::default())
}

/// Parses bytes already in memory as `format`.
pub fn parse_with(
    bytes: &[u8],
    path: &str,
    format: Format,
    options: &LoadOptions,
) -> Result<Profile> {
    let parsed = match format {
        Format::Pstats => pstats::parse(bytes, path),
        Format::Callgrind => callgrind::parse(
            bytes,
            path,
            &callgrind::CallgrindOptions {
                metric: options.metric.clone(),
            },
        ),
        Format::PstatsText => pstats_text::parse(
            bytes,
            path,
            &pstats_text::TextOptions {
                strip_log_prefix: options.strip_log_prefix.clone(),
            },
        ),
        Format::Folded => folded::parse(
            bytes,
            path,
            &folded::FoldedOptions {
                sample_rate: options.sample_rate,
            },
        ),
        Format::Speedscope => speedscope::parse(
            bytes,
            path,
            &speedscope::SpeedscopeOptions {
                thread: options.thread.clone(),
            },
        ),
        Format::Pprof => pprof::parse(
            bytes,
            path,
            &pprof::PprofOptions {
                metric: options.metric.clone(),
            },
        ),
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
    let detected = DETECTION_ORDER.iter().copied().find(|format| match format {
        Format::Pstats => pstats::detect(bytes),
        Format::Callgrind => callgrind::detect(bytes),
        Format::Speedscope => speedscope::detect(bytes),
        Format::Pprof => pprof::detect(bytes),
        Format::PstatsText => pstats_text::detect(bytes),
        Format::Folded => folded::detect(bytes),
    });
    detected.ok_or_else(|| {
        let tried: Vec<&str> = DETECTION_ORDER.iter().map(|f| f.name()).collect();
        Error::Input {
            path: path.to_string(),
            message: format!(
                "unrecognised profile format (first byte 0x{:02x}; tried: {}); use --from to force one",
                bytes[0],
                tried.join(", ")
            ),
        }
    })
}
