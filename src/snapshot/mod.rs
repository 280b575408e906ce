//! Snapshot files: a profile's call structure as a small text file committed
//! next to the code, and checked on every CI run.
//!
//! A diff needs two profiles; a test suite has one (the profile of the code
//! under test) and an expectation. Call counts are exact, and deterministic
//! for a deterministic program under a fixed `PYTHONHASHSEED`, so
//! "`create_client` runs once per invocation" is a perfect regression test,
//! and a file of such facts reviews well in a pull request. Under other seeds
//! the iteration order of sets changes and some counts with it (black's
//! `enum.py:__hash__`: 3,028 calls under seed 1, 2,986 under seed 2), so a
//! count can carry a tolerance. Times are noisy, so they are optional and
//! written as bands.
//!
//! # The file
//!
//! ```text
//! # profdiff snapshot v1
//! # format: pstats  unit: seconds
//! # include: create_client|boto3
//! # band: ±50%  noise floor: 1ms
//! boto3/session.py:client  calls = 1  incl ≈ 67.8ms ±50%
//! botocore/session.py:create_client  calls = 1  incl ≈ 67.7ms ±50%
//! ```
//!
//! or, made with a calls tolerance:
//!
//! ```text
//! # profdiff snapshot v1
//! # format: pstats  unit: seconds
//! # include: __hash__
//! # calls tolerance: ±2%
//! enum.py:__hash__  calls ≈ 3028 ±2%
//! ```
//!
//! * The **header** is the lines before the first function line. The first
//!   line names the format version. `# format: NAME  unit: UNIT` records the
//!   profile's format and cost unit. `# include: REGEX` / `# exclude: REGEX`
//!   (repeatable) record which functions the snapshot covers: checking selects
//!   functions by these recorded filters, never by command-line flags, so a
//!   function that appears or vanishes within them is reported. `# band:`
//!   (present when the snapshot was made with time) records the band new time
//!   entries get and the noise floor of every `≈` bound. `# calls tolerance:
//!   ±T` (present when the snapshot was made with one) records the tolerance
//!   new `calls` entries get. Any other `#` line, and any blank line, is a
//!   comment and is kept.
//! * One **function line** per selected function, sorted by key: the
//!   normalised alignment key ([`crate::align`]), which survives line shifts
//!   and machine paths, then two spaces, then bounds separated by whitespace.
//!   A key that contains two spaces, a tab or a control character, starts
//!   with `#` or `"`, or has leading or trailing space, is written as a JSON
//!   string (`"{weird  key}"`).
//! * Sampled profiles have no call counts, so no `calls` bound is written;
//!   a function line with no bound at all still asserts that the function
//!   exists.
//! * **Group lines**, written by hand anywhere after the header, bound a
//!   named sum over the functions a regex matches:
//!   `group clients = botocore/session.py:create_client|boto3/__init__.py:(client|resource)  calls <= 3`.
//!   `group`, one space, a name (letters, digits, `_`, `-`, `.`), `=`, the
//!   pattern (up to two spaces or a tab; a JSON string when it holds
//!   those), two spaces, then at least one bound as on a function line. The
//!   pattern matches keys and displayed names as `--include` does, across
//!   every function of the profile (the recorded filters do not apply: a
//!   group names its own members). The value is the sum over the members:
//!   calls, self and incl summed (so `incl` counts twice the time of a
//!   member another member calls); a group matching nothing is 0. A failed
//!   bound names the group and its members with their values; a group line
//!   is kept through `--update`, its failed bounds rewritten as on function
//!   lines. A function key that starts with `group ` is written quoted.
//!
//! # Bounds
//!
//! A bound is `FIELD OP VALUE`, whitespace between tokens optional
//! (`calls<=2` reads like `calls <= 2`):
//!
//! | field | meaning | operators | value |
//! |---|---|---|---|
//! | `calls` | total calls (pstats `ncalls`) | `=` `<` `<=` `>` `>=` `≈` | a non-negative integer |
//! | `incl` | inclusive time | `<` `<=` `>` `>=` `≈` | a cost |
//! | `self` | self time | `<` `<=` `>` `>=` `≈` | a cost |
//!
//! A cost is a duration for time profiles (`200ms`, `250us`/`250µs`, `1s`,
//! `100ns`; a bare number is seconds) and a plain number for other units
//! (callgrind `Ir`, samples). `≈` takes a band, `incl ≈ 134ms ±50%` (ASCII:
//! `~` and `+-`). On calls it takes a tolerance, in percent of the recorded
//! count or in calls: `calls ≈ 3028 ±2%`, `calls ≈ 3028 ±50`. Exact equality
//! of times is refused, and so is a tolerance after `=` (`calls = 3028 ±50`:
//! `=` is exact). Anything else is an error that names the line.
//!
//! **Band semantics.** `X ≈ V ±P%` holds when |actual − V| ≤ max(V × P / 100,
//! floor): the band is symmetric around the recorded value (±50% of 134 ms
//! is 67 ms to 201 ms), and a difference at or below the noise floor (the
//! `# band:` line's, else 1 ms for time and 0 for other units, as the
//! regression gate's) always holds, so microsecond functions do not flake.
//! Getting much *faster* also breaks the band: a snapshot records what is, and
//! a big change either way deserves a look (edit the line into `incl < 200ms`
//! to accept any speed-up).
//!
//! **Calls tolerance semantics.** `calls ≈ N ±T` holds when |actual − N| ≤ T;
//! `±P%` is T = ⌊N × P / 100⌋ (counts are whole, so this is the same as
//! |actual − N| ≤ N × P / 100), the regression gate's rounding. There is no
//! noise floor on calls: `±0` and `±0%` are exact. A range written by hand
//! (`calls >= 2900  calls <= 3100`) says the same thing without a centre.
//!
//! # Checking
//!
//! [`check`](fn@check) compares a profile with a snapshot's text and returns a
//! [`CheckOutcome`]: the bounds that failed, the functions that appeared or
//! vanished, and the expected and actual text for a unified diff. The actual
//! text **keeps the user's own lines where they still hold**: an untouched
//! line is copied as written (a hand-edited `calls <= 2` stays, an `≈` band
//! keeps its recorded value), a failed bound is replaced by the actual value
//! (`calls = 6`, or `calls ≈ 6 ±T` with the failed `≈`'s own tolerance, else
//! the `# calls tolerance:` header's; a time becomes `≈ V ±P%` with the `≈`'s
//! own band, else the header's, else 50%), a vanished function's line (and
//! the comments just above it) goes, and an appeared function gets a fresh
//! line in key order (with the header's calls tolerance, if any).
//! So the diff shows only the real problems, and accepting it (`--update`)
//! keeps every hand-written bound that is still true.
//!
//! [`apply_policy`] then decides what to write, like insta: locally a
//! mismatch writes `FILE.new` beside the snapshot for review; with `CI` set
//! nothing is ever written; `Update` rewrites the file. Writes are atomic (a
//! temporary file in the same directory, then a rename) and never replace an
//! input profile.
//!
//! # In a test suite
//!
//! ```
//! use std::path::Path;
//!
//! use profdiff::{input, snapshot};
//!
//! let profile = input::load(Path::new("fixtures/seed/after.prof"), &Default::default())?;
//! let options = snapshot::SnapshotOptions {
//!     include: vec!["session.py:create_client".into()],
//!     ..Default::default()
//! };
//! let text = snapshot::render(&profile, &options)?;
//! assert!(text.contains("botocore/session.py:create_client  calls = 1\n"), "{text}");
//!
//! // An expectation a user wrote by hand: the client is created at most once.
//! let expected = concat!(
//!     "# profdiff snapshot v1\n",
//!     "# format: pstats  unit: seconds\n",
//!     "# include: session.py:create_client\n",
//!     "botocore/session.py:create_client  calls <= 1  incl < 1s\n",
//! );
//! let outcome = snapshot::check(&profile, expected, &Default::default())?;
//! assert!(outcome.is_ok(), "{outcome}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::align::AlignOptions;

mod check;
mod grammar;
mod group;
mod parse;
mod policy;
mod render;

pub use check::{check, check_file, BoundViolation, CheckOutcome, Vanished};
pub use group::{GroupMember, GroupViolation};
pub use policy::{apply_policy, is_ci, new_path, render_to, write, Action, Mode};
pub use render::render;

use crate::gate;

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The band `--with-time` writes: ±50%.
pub const DEFAULT_BAND_PCT: f64 = 50.0;

const VERSION_LINE: &str = "# profdiff snapshot v";
const FORMAT_PREFIX: &str = "# format: ";
const INCLUDE_PREFIX: &str = "# include: ";
const EXCLUDE_PREFIX: &str = "# exclude: ";
const BAND_PREFIX: &str = "# band: ";
const CALLS_TOLERANCE_PREFIX: &str = "# calls tolerance: ";

/// How far a call count may stray from the recorded one: `calls ≈ N ±T`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CallsTolerance {
    /// At most this many calls either way (`±50`).
    Calls(u64),
    /// At most this percent of the recorded count either way (`±2%`),
    /// rounded down to whole calls.
    Percent(f64),
}

impl CallsTolerance {
    /// Reads `2%`, `5`, `±2%`, `+-5` (the sign is optional). A percentage is
    /// a non-negative finite number; an absolute tolerance is a whole number
    /// of calls.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let expected = "expected a whole number of calls (50) or a percentage of the \
                        recorded count (2%)";
        let mut scanner = grammar::Scanner::new(text.trim());
        scanner.eat_plus_minus();
        let tolerance = scanner
            .calls_tolerance_value()
            .map_err(|m| format!("invalid calls tolerance {text:?}: {m}; {expected}"))?;
        if !scanner.at_end() {
            return Err(format!("invalid calls tolerance {text:?}: {expected}"));
        }
        Ok(tolerance)
    }

    /// How many calls either way `recorded` may move.
    pub fn allowance(self, recorded: u64) -> u64 {
        match self {
            CallsTolerance::Calls(calls) => calls,
            CallsTolerance::Percent(pct) => gate::percent_of_count(recorded, pct),
        }
    }
}

impl fmt::Display for CallsTolerance {
    /// As written in a snapshot: `±50`, `±2%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallsTolerance::Calls(calls) => write!(f, "±{calls}"),
            CallsTolerance::Percent(pct) => write!(f, "±{pct}%"),
        }
    }
}

/// What a new snapshot covers and records.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Regexes a function's key or display name must match (any); recorded in
    /// the header.
    pub include: Vec<String>,
    /// Regexes that drop a function; recorded in the header.
    pub exclude: Vec<String>,
    /// Write an `incl ≈ V ±P%` band per function (`--with-time`).
    pub with_time: bool,
    /// The band's half-width in percent (default [`DEFAULT_BAND_PCT`]).
    pub band_pct: f64,
    /// Differences at or below this always satisfy `≈`, in the profile's unit;
    /// `None` (default): 1 ms for time, 0 otherwise.
    pub noise_floor: Option<f64>,
    /// Write each count as `calls ≈ N ±T` with this tolerance, and record it
    /// in the header; `None` (default) writes exact counts, `calls = N`.
    pub calls_tolerance: Option<CallsTolerance>,
    /// Path normalisation for keys (`--strip-prefix`); not recorded, since
    /// such prefixes are usually machine-specific.
    pub align: AlignOptions,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        SnapshotOptions {
            include: Vec::new(),
            exclude: Vec::new(),
            with_time: false,
            band_pct: DEFAULT_BAND_PCT,
            noise_floor: None,
            calls_tolerance: None,
            align: AlignOptions::default(),
        }
    }
}

/// A snapshot that cannot be read, with the 1-based line at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// The 1-based line at fault.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl SnapshotError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        SnapshotError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SnapshotError {}

#[derive(Debug, Clone, PartialEq)]
struct Band {
    pct: f64,
    floor: f64,
}
