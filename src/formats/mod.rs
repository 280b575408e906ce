//! Every input format profdiff reads, and the one table that lists them.
//!
//! Each format is a module of its own (a folder once it has several parts)
//! with the same surface: `detect(bytes) -> bool`, `parse(bytes, path,
//! &Options) -> Result<Profile, ParseError>` and an options struct of its
//! own where it has options. [`FORMATS`] is what the rest of profdiff knows
//! about them: each format's name and one-line description (`--from` and its
//! help), its detector and how much a match is worth (which decides the
//! detection order), its readers, which shared loading options it reads, and
//! its writer where there is one. [`crate::input`] loads through the table
//! only, and the binary builds `--from` from it.
//!
//! Adding a format touches this file and the format's own module: the
//! module, a variant of [`Format`], and the variant's entry in [`FORMATS`]
//! (at the variant's position, which the build checks). A format that needs
//! an option no other format reads also adds a field to [`LoadOptions`], a
//! [`Knob`] and a command-line flag. `docs/formats.md` describes every
//! format and its pitfalls.

use std::fmt;
use std::io::{self, Read, Write};

use crate::error::ParseError;
use crate::input::LoadOptions;
use crate::model::Profile;

pub mod callgrind;
pub mod folded;
pub mod gzip;
pub mod importtime;
pub(crate) mod marshal;
pub mod pprof;
pub mod pstats;
pub mod pstats_text;
pub mod speedscope;
mod stacks;

/// Which input format a profile was read from. Each variant has its entry
/// in [`FORMATS`] ([`Format::entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Binary pstats dump (cProfile, profile, yappi `save(type="pstat")`).
    Pstats,
    /// Callgrind (valgrind, pyprof2calltree, yappi).
    Callgrind,
    /// Text printed by `pstats.Stats.print_stats()`.
    PstatsText,
    /// Folded / collapsed stacks.
    Folded,
    /// speedscope JSON.
    Speedscope,
    /// pprof `profile.proto`.
    Pprof,
    /// What `python -X importtime` prints: import times per module.
    Importtime,
}

impl Format {
    /// Stable lower-case name used in JSON and on the command line.
    pub const fn name(self) -> &'static str {
        self.entry().name
    }

    /// This format's entry in [`FORMATS`].
    pub const fn entry(self) -> &'static FormatEntry {
        &FORMATS[self as usize]
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// True when bytes (the start of an input, cut anywhere) look like the format.
pub type DetectFn = fn(&[u8]) -> bool;

/// Parses a whole input held in memory; the path is only recorded in the
/// metadata. The options are the shared ones, with the knobs the format
/// does not read unset.
pub type ParseFn = fn(&[u8], &str, &LoadOptions) -> Result<Profile, ParseError>;

/// Parses an input as it is read, with the same results and errors as the
/// format's [`ParseFn`]. The outer error is the reader's; the caller bounds
/// the input's length.
pub type StreamFn =
    fn(&mut dyn Read, &str, &LoadOptions) -> io::Result<Result<Profile, ParseError>>;

/// Parses an input whose first lines were skipped: the bytes start at line
/// `first_line` (1-based) of the input, so errors and notes name lines of
/// the whole input.
pub type ParseFromLineFn = fn(&[u8], &str, &LoadOptions, u64) -> Result<Profile, ParseError>;

/// Writes a profile in the format.
pub type WriteFn = fn(&Profile, &mut dyn Write) -> io::Result<()>;

/// One input format: what loading, detection and the command line need.
#[derive(Debug)]
pub struct FormatEntry {
    /// The variant this entry describes.
    pub format: Format,
    /// Stable lower-case name, used in JSON, in errors and by `--from`.
    pub name: &'static str,
    /// One line for `--from`'s help: the format and who writes it.
    pub about: &'static str,
    /// The detector.
    pub detect: DetectFn,
    /// How much the detector's match is worth; decides [`DETECTION_ORDER`].
    pub claim: Claim,
    /// The shared loading options the format reads.
    pub knobs: &'static [Knob],
    /// The reader of a whole input in memory (also what gzipped input and
    /// [`crate::input::parse`] use).
    pub parse: ParseFn,
    /// A reader that parses as the input streams in, for formats whose
    /// inputs are large and whose memory should follow the profile, not the
    /// file. [`crate::input::load`] prefers it for uncompressed input.
    pub stream: Option<StreamFn>,
    /// Set when the format can be found below other text (a program's
    /// output before its stats), and how.
    pub below_output: Option<BelowOutput>,
    /// The writer, for formats profdiff can write.
    pub write: Option<WriteFn>,
}

/// How much a detector's match is worth. Detection tries the formats by
/// claim, [`Claim::Certain`] first, and within one claim in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A binary structure, a magic number or a marker its producers always
    /// write.
    Certain,
    /// A header line, which may follow other output.
    Header,
    /// Lines that merely fit a loose grammar (anything ending in a number).
    /// Tried last; when such a format claims a whole sniff window, the whole
    /// input is searched for a format that can follow other output
    /// ([`FormatEntry::below_output`]) before this one is taken.
    Loose,
}

/// A loading option several formats may read: one field of
/// [`LoadOptions`], one command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Knob {
    /// [`LoadOptions::metric`] (`--metric`): the event or sample type read
    /// as cost.
    Metric,
    /// [`LoadOptions::sample_rate`] (`--sample-rate`): samples per second.
    SampleRate,
    /// [`LoadOptions::thread`] (`--thread`): one thread's profile only.
    Thread,
    /// [`LoadOptions::strip_log_prefix`] (`--strip-log-prefix`): a log
    /// prefix to strip from each line.
    StripLogPrefix,
}

/// How a format that can follow other text is found in it.
#[derive(Debug)]
pub struct BelowOutput {
    /// Given whole lines of input, the byte offset of the first line that
    /// starts the format's content, if one does. It runs over large inputs,
    /// so it should search without decoding every line.
    pub find_start: fn(&[u8]) -> Option<usize>,
    /// The reader for input that starts there.
    pub parse_from_line: ParseFromLineFn,
    /// What was looked for, for "… and no {looked_for} in them".
    pub looked_for: &'static str,
    /// The lines that would have started it, for "(no {markers})".
    pub markers: &'static str,
}

/// Every format, in [`Format`]'s order: the order `--from` lists them in.
pub static FORMATS: &[FormatEntry] = &[
    FormatEntry {
        format: Format::Pstats,
        name: "pstats",
        about: "Binary pstats dump (cProfile, profile, yappi)",
        detect: pstats::detect,
        claim: Claim::Certain,
        knobs: &[],
        parse: |bytes, path, _| pstats::parse(bytes, path),
        stream: None,
        below_output: None,
        write: Some(pstats::write),
    },
    FormatEntry {
        format: Format::Callgrind,
        name: "callgrind",
        about: "Callgrind (valgrind, pyprof2calltree, yappi)",
        detect: callgrind::detect,
        claim: Claim::Certain,
        knobs: &[Knob::Metric],
        parse: |bytes, path, options| callgrind::parse(bytes, path, &callgrind_options(options)),
        // Callgrind files are line-oriented and can be large: parse them as
        // they stream in instead of holding the whole file (valgrind users
        // compare peak memory with callgrind_annotate's).
        stream: Some(|reader, path, options| {
            callgrind::parse_reader(reader, path, &callgrind_options(options))
        }),
        below_output: None,
        write: Some(callgrind::write),
    },
    FormatEntry {
        format: Format::PstatsText,
        name: "pstats-text",
        about: "Text printed by pstats / `python -m cProfile`",
        detect: pstats_text::detect,
        claim: Claim::Header,
        knobs: &[Knob::StripLogPrefix],
        parse: |bytes, path, options| pstats_text::parse(bytes, path, &text_options(options)),
        stream: None,
        // `python -m cProfile app.py > out.txt`: the program's output, then
        // the stats.
        below_output: Some(BelowOutput {
            find_start: pstats_text::find_table_start,
            parse_from_line: |bytes, path, options, first_line| {
                pstats_text::parse_from_line(bytes, path, &text_options(options), first_line)
            },
            looked_for: "pstats table",
            markers: "`N function calls … in T seconds` or \
                      `ncalls  tottime  percall  cumtime  percall` line",
        }),
        write: None,
    },
    FormatEntry {
        format: Format::Folded,
        name: "folded",
        about: "Folded stacks (py-spy raw, stackcollapse, inferno, Austin)",
        detect: folded::detect,
        claim: Claim::Loose,
        knobs: &[Knob::SampleRate],
        parse: |bytes, path, options| {
            let options = folded::FoldedOptions {
                sample_rate: options.sample_rate,
            };
            folded::parse(bytes, path, &options)
        },
        stream: None,
        below_output: None,
        write: None,
    },
    FormatEntry {
        format: Format::Speedscope,
        name: "speedscope",
        about: "speedscope JSON (py-spy, pyinstrument, austin)",
        detect: speedscope::detect,
        claim: Claim::Certain,
        knobs: &[Knob::Thread],
        parse: |bytes, path, options| {
            let options = speedscope::SpeedscopeOptions {
                thread: options.thread.clone(),
            };
            speedscope::parse(bytes, path, &options)
        },
        stream: None,
        below_output: None,
        write: None,
    },
    FormatEntry {
        format: Format::Pprof,
        name: "pprof",
        about: "pprof profile.proto, gzipped or raw",
        detect: pprof::detect,
        claim: Claim::Certain,
        knobs: &[Knob::Metric],
        parse: |bytes, path, options| {
            let options = pprof::PprofOptions {
                metric: options.metric.clone(),
            };
            pprof::parse(bytes, path, &options)
        },
        stream: None,
        below_output: None,
        write: None,
    },
    FormatEntry {
        format: Format::Importtime,
        name: "importtime",
        about: "Import times printed by `python -X importtime`",
        detect: importtime::detect,
        claim: Claim::Header,
        knobs: &[Knob::StripLogPrefix],
        parse: |bytes, path, options| importtime::parse(bytes, path, &importtime_options(options)),
        stream: None,
        // `python -X importtime app.py 2>&1`, or a Lambda log: other lines
        // may come before the header.
        below_output: Some(BelowOutput {
            find_start: importtime::find_start,
            parse_from_line: |bytes, path, options, first_line| {
                importtime::parse_from_line(bytes, path, &importtime_options(options), first_line)
            },
            looked_for: "import time log",
            markers: "`import time: self [us] | cumulative | imported package` line",
        }),
        write: None,
    },
];

fn callgrind_options(options: &LoadOptions) -> callgrind::CallgrindOptions {
    callgrind::CallgrindOptions {
        metric: options.metric.clone(),
    }
}

fn text_options(options: &LoadOptions) -> pstats_text::TextOptions {
    pstats_text::TextOptions {
        strip_log_prefix: options.strip_log_prefix.clone(),
    }
}

fn importtime_options(options: &LoadOptions) -> importtime::ImporttimeOptions {
    importtime::ImporttimeOptions {
        strip_log_prefix: options.strip_log_prefix.clone(),
    }
}

// `Format::entry` indexes the table by variant.
const _: () = {
    let mut index = 0;
    while index < FORMATS.len() {
        assert!(
            FORMATS[index].format as usize == index,
            "FORMATS lists the formats in the order of Format's variants"
        );
        index += 1;
    }
};

/// Every format, in the order detection tries them: by [`Claim`] (binary
/// and strongly marked formats first, the loosest, folded, last), and in
/// table order within one claim.
pub const DETECTION_ORDER: &[Format] = &detection_order();

const fn detection_order() -> [Format; FORMATS.len()] {
    const CLAIMS: [Claim; 3] = [Claim::Certain, Claim::Header, Claim::Loose];
    let mut order = [Format::Pstats; FORMATS.len()];
    let mut next = 0;
    let mut claim = 0;
    while claim < CLAIMS.len() {
        let mut index = 0;
        while index < FORMATS.len() {
            if FORMATS[index].claim as u8 == CLAIMS[claim] as u8 {
                order[next] = FORMATS[index].format;
                next += 1;
            }
            index += 1;
        }
        claim += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_order_puts_binary_and_marked_formats_first() {
        assert_eq!(
            DETECTION_ORDER,
            [
                Format::Pstats,
                Format::Callgrind,
                Format::Speedscope,
                Format::Pprof,
                Format::PstatsText,
                Format::Importtime,
                Format::Folded,
            ]
        );
    }

    #[test]
    fn entries_match_their_variants() {
        for entry in FORMATS {
            assert!(std::ptr::eq(entry.format.entry(), entry));
            assert_eq!(entry.format.name(), entry.name);
            assert_eq!(entry.format.to_string(), entry.name);
        }
        let names: Vec<&str> = FORMATS.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "pstats",
                "callgrind",
                "pstats-text",
                "folded",
                "speedscope",
                "pprof",
                "importtime"
            ]
        );
    }
}
