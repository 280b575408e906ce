//! Reading profiles from files or stdin and dispatching to the right format,
//! through the table of formats ([`FORMATS`](crate::formats::FORMATS)): its
//! detectors, in [`DETECTION_ORDER`], and its readers.
//!
//! The format is decided by content, never by extension: the first bytes are
//! sniffed before the rest is read, so `profdiff show /dev/zero` fails at once
//! instead of filling memory.
//!
//! One exception: `python -m cProfile app.py > out.txt` writes whatever the
//! program printed before the stats, often more than the sniffed bytes.
//! When those bytes are text that no format claims (or that only looks like
//! folded stacks, the loosest format), the input is searched on for a format
//! that can follow other output ([`FormatEntry::below_output`]: the pstats
//! text header). The search holds a megabyte at a time and drops what it
//! has searched, so an endless stream of text costs time up to
//! [`MAX_INPUT_BYTES`] (seconds), not memory, and it stops at the first
//! binary data.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, Remedy, Result};
use crate::formats::{gzip, BelowOutput, Claim, FormatEntry, Knob, DETECTION_ORDER};
use crate::model::{Format, Profile};

/// Inputs above this size are refused: no profile is this large, and reading
/// an endless stream must end.
pub const MAX_INPUT_BYTES: u64 = 4 << 30;

/// How many leading bytes the sniffers look at.
const SNIFF_BYTES: u64 = 64 * 1024;

/// How much more is read at a time while looking for a format (a pstats
/// table) below program output.
const SCAN_CHUNK: u64 = 1 << 20;

/// Options for loading a profile: the format to read (or detect), and the
/// options formats share. Each format reads the fields its entry in
/// [`FORMATS`](crate::formats::FORMATS) lists ([`FormatEntry::knobs`]) and sees the others unset.
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
    /// A log prefix to strip from each line of pstats text or an import-time
    /// log, beyond the CloudWatch and Lambda runtime prefixes stripped
    /// automatically.
    pub strip_log_prefix: Option<regex::Regex>,
}

impl LoadOptions {
    /// These options as `entry`'s reader sees them: the knobs it does not
    /// read are unset.
    fn for_format(&self, entry: &FormatEntry) -> LoadOptions {
        let reads = |knob: Knob| entry.knobs.contains(&knob);
        LoadOptions {
            format: Some(entry.format),
            metric: if reads(Knob::Metric) {
                self.metric.clone()
            } else {
                None
            },
            sample_rate: self.sample_rate.filter(|_| reads(Knob::SampleRate)),
            thread: if reads(Knob::Thread) {
                self.thread.clone()
            } else {
                None
            },
            strip_log_prefix: if reads(Knob::StripLogPrefix) {
                self.strip_log_prefix.clone()
            } else {
                None
            },
        }
    }
}

/// What sniffing the first bytes decided.
enum Sniffed {
    /// This format (detected, or forced with `--from`).
    Format(&'static FormatEntry),
    /// A [`Claim::Loose`] format claimed a whole sniff window: there is more
    /// input, and a format found below other output may be in it.
    Loose(&'static FormatEntry),
    /// Gzip: its content is sniffed once it is unpacked.
    Gzipped,
}

/// Reads and parses the profile at `path` (`-` is stdin). Gzipped input of
/// any format is decompressed first.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Profile> {
    // Errors and the profile's metadata name the path as text.
    let name = path.to_string_lossy();
    let name = &*name;
    let io_error = |source: io::Error| Error::Io {
        path: name.to_string(),
        source,
    };
    let mut reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let metadata = std::fs::metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(Error::Input {
                path: name.to_string(),
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
    let full = bytes.len() as u64 == SNIFF_BYTES;
    // Sniff before reading the rest, so an endless stream of garbage fails
    // at once; gzip has to be read whole before its content can be sniffed.
    let sniffed = match (options.format, gzipped) {
        (Some(format), _) => Sniffed::Format(format.entry()),
        (None, false) => match sniff(&bytes) {
            // Program output can look like folded stacks, and there is more
            // than the sniffed bytes: such inputs are read whole anyway, and
            // a stats header anywhere in them decides (below).
            Some(entry) if entry.claim == Claim::Loose && full => Sniffed::Loose(entry),
            Some(entry) => Sniffed::Format(entry),
            None if full && looks_like_text(&bytes) && below_output().next().is_some() => {
                return load_text_below_output(reader, bytes, name, options);
            }
            None => return Err(unrecognised(&bytes, name)),
        },
        (None, true) => Sniffed::Gzipped,
    };
    // A format with a streaming reader (callgrind) parses uncompressed input
    // as it comes in: memory follows the profile, not the file.
    if let (Sniffed::Format(entry), false) = (&sniffed, gzipped) {
        if let Some(stream) = entry.stream {
            let limit = MAX_INPUT_BYTES - bytes.len() as u64;
            let mut rest = (&mut reader).take(limit + 1);
            let mut input = (&bytes[..]).chain(&mut rest);
            let parsed = stream(&mut input, name, &options.for_format(entry)).map_err(io_error)?;
            if rest.limit() == 0 {
                return Err(Error::Input {
                    path: name.to_string(),
                    message: format!(
                        "larger than {} GiB, refusing to read it",
                        MAX_INPUT_BYTES >> 30
                    ),
                });
            }
            return parsed
                .map_err(|error| Error::Parse {
                    path: name.to_string(),
                    format: entry.name,
                    error,
                })
                .and_then(|profile| sane(profile, name));
        }
    }
    (&mut reader)
        .take(MAX_INPUT_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::Input {
            path: name.to_string(),
            message: format!(
                "larger than {} GiB, refusing to read it",
                MAX_INPUT_BYTES >> 30
            ),
        });
    }
    let content = gzip::maybe_gunzip(&bytes).map_err(|error| Error::Parse {
        path: name.to_string(),
        format: "gzip",
        error,
    })?;
    let format = match sniffed {
        Sniffed::Format(entry) => entry.format,
        // A header line of a format found below other output cannot be a
        // line of the loose format (it does not fit its grammar), so input
        // with one is that format below program output.
        Sniffed::Loose(entry) => below_output()
            .find(|(_, below)| (below.find_start)(&content).is_some())
            .map_or(entry.format, |(found, _)| found.format),
        Sniffed::Gzipped => detect(&content, name)?,
    };
    parse_with(&content, name, format, options)
}

/// The formats that can be found below other output, in detection order.
fn below_output() -> impl Iterator<Item = (&'static FormatEntry, &'static BelowOutput)> {
    DETECTION_ORDER.iter().filter_map(|format| {
        let entry = format.entry();
        entry.below_output.as_ref().map(|below| (entry, below))
    })
}

/// Loads the rest of an input whose first [`SNIFF_BYTES`] (in `buffer`)
/// are text that no format claims: the output of a program, with a format
/// that can follow other output further down (the stats table of a program
/// run under `python -m cProfile`). Reads on to the first line that starts
/// one ([`BelowOutput::find_start`]), keeping only the unfinished last line
/// of what it skips, then parses from there with the line numbers of the
/// whole input.
fn load_text_below_output(
    mut reader: Box<dyn Read>,
    mut buffer: Vec<u8>,
    path: &str,
    options: &LoadOptions,
) -> Result<Profile> {
    let io_error = |source: io::Error| Error::Io {
        path: path.to_string(),
        source,
    };
    let too_large = || Error::Input {
        path: path.to_string(),
        message: format!(
            "larger than {} GiB, refusing to read it",
            MAX_INPUT_BYTES >> 30
        ),
    };
    let mut read = buffer.len() as u64;
    // Lines and bytes dropped from the front of `buffer`.
    let mut skipped_lines = 0u64;
    let mut skipped_bytes = 0u64;
    // The line at the front of `buffer` began before it (it was too long
    // to keep, so it cannot be a header).
    let mut mid_line = false;
    let mut at_end = false;
    loop {
        if mid_line {
            match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => {
                    buffer.drain(..=at);
                    skipped_bytes += at as u64 + 1;
                    skipped_lines += 1;
                    mid_line = false;
                }
                None => {
                    skipped_bytes += buffer.len() as u64;
                    buffer.clear();
                }
            }
        }
        // Judge finished lines only, unless the input has ended.
        let finished = if at_end {
            buffer.len()
        } else {
            buffer
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |at| at + 1)
        };
        let found = below_output()
            .filter(|_| !mid_line)
            .filter_map(|(entry, below)| {
                (below.find_start)(&buffer[..finished]).map(|start| (start, entry, below))
            })
            .min_by_key(|&(start, ..)| start);
        if let Some((start, entry, below)) = found {
            {
                skipped_lines += newlines(&buffer[..start]);
                buffer.drain(..start);
                let rest = (&mut reader)
                    .take(MAX_INPUT_BYTES + 1 - read)
                    .read_to_end(&mut buffer)
                    .map_err(io_error)?;
                if read + rest as u64 > MAX_INPUT_BYTES {
                    return Err(too_large());
                }
                let first_line = skipped_lines + 1;
                let options = options.for_format(entry);
                return (below.parse_from_line)(&buffer, path, &options, first_line).map_err(
                    |error| Error::Parse {
                        path: path.to_string(),
                        format: entry.name,
                        error,
                    },
                );
            }
        }
        if at_end {
            let unfinished = mid_line || buffer.last().is_some_and(|&b| b != b'\n');
            let lines = skipped_lines + newlines(&buffer) + u64::from(unfinished);
            let (looked_for, markers) = looked_for();
            return Err(Error::Input {
                path: path.to_string(),
                message: format!(
                    "unrecognised profile format: {lines} lines of text ({read} bytes) and no \
                     {looked_for} in them (no {markers}); the first {} KiB match no other \
                     format (tried: {}); use --from to force one",
                    SNIFF_BYTES >> 10,
                    tried()
                ),
            });
        }
        skipped_lines += newlines(&buffer[..finished]);
        skipped_bytes += finished as u64;
        buffer.drain(..finished);
        if buffer.len() as u64 > SNIFF_BYTES {
            // No header line is this long: drop the rest of this line.
            skipped_bytes += buffer.len() as u64;
            buffer.clear();
            mid_line = true;
        }
        let before = buffer.len();
        let got = (&mut reader)
            .take(SCAN_CHUNK)
            .read_to_end(&mut buffer)
            .map_err(io_error)?;
        read += got as u64;
        if read > MAX_INPUT_BYTES {
            return Err(too_large());
        }
        at_end = got == 0;
        let chunk = &buffer[before..];
        if !looks_like_text(chunk) {
            let nul = chunk.iter().position(|&b| b == 0).unwrap_or(0);
            let (looked_for, _) = looked_for();
            return Err(Error::Input {
                path: path.to_string(),
                message: format!(
                    "unrecognised profile format: text without a {looked_for}, then binary \
                     data at byte {} (tried: {}); use --from to force one",
                    skipped_bytes + (before + nul) as u64,
                    tried()
                ),
            });
        }
    }
}

/// What [`load_text_below_output`] looked for, and the lines that would
/// have started it, for its errors.
fn looked_for() -> (String, String) {
    let (looked_for, markers): (Vec<&str>, Vec<&str>) = below_output()
        .map(|(_, below)| (below.looked_for, below.markers))
        .unzip();
    (looked_for.join(" or "), markers.join("; "))
}

fn newlines(bytes: &[u8]) -> u64 {
    // Summed per block in a `u8`-sized counter the compiler vectorises.
    bytes
        .chunks(255)
        .map(|block| block.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>() as u64)
        .sum()
}

/// Text as programs print it: no NUL bytes, and at most 1% of the bytes
/// outside valid UTF-8 (a stray Latin-1 byte, a character cut at the edge
/// of `bytes`).
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return true; // the common case, and much faster than counting
    }
    let invalid: usize = bytes.utf8_chunks().map(|chunk| chunk.invalid().len()).sum();
    invalid <= bytes.len() / 100 + 3
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
    let entry = format.entry();
    (entry.parse)(bytes, path, &options.for_format(entry))
        .map_err(|error| Error::Parse {
            path: path.to_string(),
            format: entry.name,
            error,
        })
        .and_then(|profile| sane(profile, path))
}

/// The largest cost a function may have: 10⁹ seconds (32 years) of time,
/// or 2⁶³ of a count. Anything above is not a measurement, and sums of such
/// values overflow to infinity or saturate.
fn largest_cost(profile: &Profile) -> f64 {
    if profile.meta.unit.is_time() {
        1e9
    } else {
        9.2e18
    }
}

/// Refuses a profile whose numbers cannot be a measurement: not finite
/// (NaN, infinity) or absurdly large; reports
/// would otherwise print `inf` and `NaN%`. Names the function.
fn sane(profile: Profile, path: &str) -> Result<Profile> {
    let largest = largest_cost(&profile);
    let bad = |value: f64| !value.is_finite() || value.abs() > largest;
    let refuse = |what: String, value: f64| {
        Error::Input {
        path: path.to_string(),
        message: format!(
            "{what} is {value}, which no profile measures (the largest accepted is {largest:e} {}); \
             refusing the file",
            profile.meta.unit
        ),
    }
    };
    for function in &profile.functions {
        for (metric, value) in [
            ("self cost", function.self_cost),
            ("inclusive cost", function.inclusive_cost),
            (
                "inclusive lower bound",
                function.inclusive_min.unwrap_or(0.0),
            ),
        ] {
            if bad(value) {
                let name = crate::render::escape::escape(&function.name).into_owned();
                return Err(refuse(format!("the {metric} of {name}"), value));
            }
        }
    }
    for edge in &profile.edges {
        for value in [edge.self_cost(), edge.inclusive_cost()]
            .into_iter()
            .flatten()
        {
            if bad(value) {
                return Err(refuse("a call edge's cost".to_string(), value));
            }
        }
    }
    for stack in &profile.stacks {
        if bad(stack.cost) {
            return Err(refuse("a stack's cost".to_string(), stack.cost));
        }
    }
    let total = profile.total_cost();
    if bad(total) {
        return Err(refuse("the total cost".to_string(), total));
    }
    Ok(profile)
}

/// Names the format of `bytes`, or explains what was tried.
pub fn detect(bytes: &[u8], path: &str) -> Result<Format> {
    match sniff(bytes) {
        Some(entry) if !bytes.is_empty() => Ok(entry.format),
        _ => Err(unrecognised(bytes, path)),
    }
}

/// The first format in [`DETECTION_ORDER`] that claims `bytes`.
fn sniff(bytes: &[u8]) -> Option<&'static FormatEntry> {
    DETECTION_ORDER
        .iter()
        .map(|format| format.entry())
        .find(|entry| (entry.detect)(bytes))
}

fn unrecognised(bytes: &[u8], path: &str) -> Error {
    if bytes.is_empty() {
        return Error::Input {
            path: path.to_string(),
            message: "empty file, expected a profile".to_string(),
        };
    }
    Error::Input {
        path: path.to_string(),
        message: format!(
            "unrecognised profile format (first byte 0x{:02x}; tried: {})",
            bytes[0],
            tried()
        ),
    }
    .with_remedy(Remedy::ForceFormat)
}

fn tried() -> String {
    let names: Vec<&str> = DETECTION_ORDER.iter().map(|f| f.name()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::FORMATS;

    #[test]
    fn a_format_sees_only_the_knobs_its_entry_lists() {
        let all = LoadOptions {
            format: None,
            metric: Some("Ir".to_string()),
            sample_rate: Some(100.0),
            thread: Some("MainThread".to_string()),
            strip_log_prefix: Some(regex::Regex::new("^x").unwrap()),
        };
        for entry in FORMATS {
            let seen = all.for_format(entry);
            let reads = |knob| entry.knobs.contains(&knob);
            assert_eq!(seen.format, Some(entry.format));
            assert_eq!(seen.metric.is_some(), reads(Knob::Metric), "{}", entry.name);
            assert_eq!(
                seen.sample_rate.is_some(),
                reads(Knob::SampleRate),
                "{}",
                entry.name
            );
            assert_eq!(seen.thread.is_some(), reads(Knob::Thread), "{}", entry.name);
            let strip = seen.strip_log_prefix.is_some();
            assert_eq!(strip, reads(Knob::StripLogPrefix), "{}", entry.name);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_path_need_not_be_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9.prof"));
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seed/before.prof");
        std::fs::copy(fixture, &path).unwrap();
        let profile = load(&path, &LoadOptions::default()).unwrap();
        assert_eq!(profile.meta.format, Format::Pstats);
        assert!(
            profile.meta.path.ends_with("caf\u{fffd}.prof"),
            "{}",
            profile.meta.path
        );
    }
}
