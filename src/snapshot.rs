//! Snapshot files: a profile's call structure as a small text file committed
//! next to the code, and checked on every CI run.
//!
//! A diff needs two profiles; a test suite has one (the profile of the code
//! under test) and an expectation. Call counts are exact and deterministic,
//! so "`create_client` runs once per invocation" is a perfect regression
//! test, and a file of such facts reviews well in a pull request. Times are
//! noisy, so they are optional and written as bands.
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
//! * The **header** is the lines before the first function line. The first
//!   line names the format version. `# format: NAME  unit: UNIT` records the
//!   profile's format and cost unit. `# include: REGEX` / `# exclude: REGEX`
//!   (repeatable) record which functions the snapshot covers: checking selects
//!   functions by these recorded filters, never by command-line flags, so a
//!   function that appears or vanishes within them is reported. `# band:`
//!   (present when the snapshot was made with time) records the band new time
//!   entries get and the noise floor of every `≈` bound. Any other `#` line,
//!   and any blank line, is a comment and is kept.
//! * One **function line** per selected function, sorted by key: the
//!   normalised alignment key ([`crate::align`]), which survives line shifts
//!   and machine paths, then two spaces, then bounds separated by whitespace.
//!   A key that contains two spaces, a tab or a control character, starts
//!   with `#` or `"`, or has leading or trailing space, is written as a JSON
//!   string (`"{weird  key}"`).
//! * Sampled profiles have no call counts, so no `calls` bound is written;
//!   a function line with no bound at all still asserts that the function
//!   exists.
//!
//! # Bounds
//!
//! A bound is `FIELD OP VALUE`, whitespace between tokens optional
//! (`calls<=2` reads like `calls <= 2`):
//!
//! | field | meaning | operators | value |
//! |---|---|---|---|
//! | `calls` | total calls (pstats `ncalls`) | `=` `<` `<=` `>` `>=` | a non-negative integer |
//! | `incl` | inclusive time | `<` `<=` `>` `>=` `≈` | a cost |
//! | `self` | self time | `<` `<=` `>` `>=` `≈` | a cost |
//!
//! A cost is a duration for time profiles (`200ms`, `250us`/`250µs`, `1s`,
//! `100ns`; a bare number is seconds) and a plain number for other units
//! (callgrind `Ir`, samples). `≈` takes a band, `incl ≈ 134ms ±50%` (ASCII:
//! `~` and `+-`). Exact equality of times is refused, as are bands on calls
//! (calls are exact: use `calls >= 4  calls <= 8` for a range). Anything else
//! is an error that names the line.
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
//! # Checking
//!
//! [`check`] compares a profile with a snapshot's text and returns a
//! [`CheckOutcome`]: the bounds that failed, the functions that appeared or
//! vanished, and the expected and actual text for a unified diff. The actual
//! text **keeps the user's own lines where they still hold**: an untouched
//! line is copied as written (a hand-edited `calls <= 2` stays, an `≈` band
//! keeps its recorded value), a failed bound is replaced by the actual value
//! (`calls = 6`; a time becomes `≈ V ±P%` with the `≈`'s own band, else the
//! header's, else 50%), a vanished function's line (and the comments just
//! above it) goes, and an appeared function gets a fresh line in key order.
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
//! use profdiff::{input, snapshot};
//!
//! let profile = input::load("fixtures/seed/after.prof", &Default::default())?;
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

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::align::{self, AlignOptions};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::gate;
use crate::model::{FunctionId, Profile};
use crate::render::table::{paint, Style, Tone};

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The band `--with-time` writes: ±50%.
pub const DEFAULT_BAND_PCT: f64 = 50.0;

const VERSION_LINE: &str = "# profdiff snapshot v";
const FORMAT_PREFIX: &str = "# format: ";
const INCLUDE_PREFIX: &str = "# include: ";
const EXCLUDE_PREFIX: &str = "# exclude: ";
const BAND_PREFIX: &str = "# band: ";

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
            align: AlignOptions::default(),
        }
    }
}

/// A snapshot that cannot be read, with the 1-based line at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    pub line: usize,
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

/// Renders a new snapshot of `profile`. Fails only on an invalid regex or a
/// pattern that cannot be written on one header line.
pub fn render(profile: &Profile, options: &SnapshotOptions) -> Result<String> {
    for pattern in options.include.iter().chain(&options.exclude) {
        if pattern.contains(['\n', '\r']) {
            return Err(Error::Usage(format!(
                "filter {pattern:?} contains a line break and cannot be recorded in a snapshot"
            )));
        }
    }
    if !(options.band_pct >= 0.0 && options.band_pct.is_finite()) {
        return Err(Error::Usage(format!(
            "snapshot band must be a non-negative percentage, got {}",
            options.band_pct
        )));
    }
    let filter = Filter::new(&options.include, &options.exclude)?;
    let unit_is_time = profile.meta.unit.is_time();
    let band = options.with_time.then(|| Band {
        pct: options.band_pct,
        floor: options
            .noise_floor
            .unwrap_or_else(|| gate::default_noise_floor(&profile.meta.unit)),
    });
    let mut out = format!("{VERSION_LINE}{VERSION}\n{}\n", format_line(profile));
    for pattern in &options.include {
        out.push_str(&format!("{INCLUDE_PREFIX}{pattern}\n"));
    }
    for pattern in &options.exclude {
        out.push_str(&format!("{EXCLUDE_PREFIX}{pattern}\n"));
    }
    if let Some(band) = &band {
        out.push_str(&band_line(band, unit_is_time));
        out.push('\n');
    }
    for (key, id) in select(profile, &options.align, &filter) {
        out.push_str(&fresh_line(profile, &key, id, band.as_ref()));
        out.push('\n');
    }
    Ok(out)
}

/// Renders and writes a new snapshot atomically; see [`write()`].
pub fn render_to(
    path: &Path,
    profile: &Profile,
    options: &SnapshotOptions,
    inputs: &[&Path],
) -> Result<()> {
    let text = render(profile, options)?;
    write(path, &text, inputs).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// One bound that does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundViolation {
    /// The snapshot line it is on.
    pub line: usize,
    pub key: String,
    /// The bound as written, normalised (`calls <= 1`).
    pub bound: String,
    /// The actual value (`6`, `250ms`, or `unknown`).
    pub actual: String,
}

/// A function the snapshot lists that the profile no longer has (within the
/// snapshot's filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vanished {
    pub line: usize,
    pub key: String,
}

/// The result of [`check`]: whether every expectation holds, what does not,
/// and the text to diff or write.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Bounds that failed, in file order.
    pub violations: Vec<BoundViolation>,
    /// Keys selected by the snapshot's filters that it does not list, sorted.
    pub appeared: Vec<String>,
    /// Listed functions the profile does not have.
    pub vanished: Vec<Vanished>,
    /// Header facts that differ (`unit: snapshot has seconds, profile has Ir`).
    pub header: Vec<String>,
    /// The snapshot's text as given.
    pub expected: String,
    /// What the snapshot would say now, keeping every line that still holds.
    pub actual: String,
}

impl CheckOutcome {
    /// True when every expectation holds.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
            && self.appeared.is_empty()
            && self.vanished.is_empty()
            && self.header.is_empty()
    }

    /// A unified diff from the expected to the actual text, `-` lines red and
    /// `+` lines green when `color` is on. Empty when the texts are equal.
    pub fn unified_diff(&self, expected_name: &str, actual_name: &str, color: bool) -> String {
        let diff = TextDiff::from_lines(&self.expected, &self.actual);
        let plain = diff
            .unified_diff()
            .header(expected_name, actual_name)
            .to_string();
        if !color {
            return plain;
        }
        let mut out = String::with_capacity(plain.len() + 64);
        for line in plain.split_inclusive('\n') {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            let tone = if body.starts_with("+++") || body.starts_with("---") {
                Tone::Header
            } else if body.starts_with('+') {
                Tone::Better
            } else if body.starts_with('-') {
                Tone::Worse
            } else if body.starts_with("@@") {
                Tone::Dim
            } else {
                Tone::Plain
            };
            out.push_str(&paint(body, tone, true));
            out.push_str(newline);
        }
        out
    }

    /// Writes what failed and the diff, for a terminal (`path` names the
    /// snapshot). Writes nothing when the outcome is ok.
    pub fn write_report(&self, out: &mut dyn Write, path: &str, style: Style) -> io::Result<()> {
        if self.is_ok() {
            return Ok(());
        }
        writeln!(
            out,
            "{} {path} does not match the profile",
            paint("snapshot mismatch:", Tone::Worse, style.color)
        )?;
        for problem in &self.header {
            writeln!(out, "  {path}: header: {problem}")?;
        }
        for v in &self.violations {
            writeln!(
                out,
                "  {path}:{}: {}: expected {}, actual {}",
                v.line, v.key, v.bound, v.actual
            )?;
        }
        for v in &self.vanished {
            writeln!(
                out,
                "  {path}:{}: {}: not in the profile any more",
                v.line, v.key
            )?;
        }
        for key in &self.appeared {
            writeln!(out, "  {key}: new function, not in the snapshot")?;
        }
        writeln!(out)?;
        let diff = self.unified_diff(path, &format!("{path} (actual)"), style.color);
        out.write_all(diff.as_bytes())
    }
}

impl fmt::Display for CheckOutcome {
    /// The plain report (see [`CheckOutcome::write_report`]), or `ok`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return f.write_str("snapshot ok");
        }
        let mut buffer = Vec::new();
        self.write_report(&mut buffer, "snapshot", Style::default())
            .map_err(|_| fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&buffer))
    }
}

/// Checks `profile` against a snapshot's text. Functions are selected by the
/// snapshot's own recorded filters; `align` normalises keys as when the
/// snapshot was made (`--strip-prefix`). Fails only when the text is not a
/// valid snapshot.
pub fn check(
    profile: &Profile,
    expected: &str,
    align: &AlignOptions,
) -> std::result::Result<CheckOutcome, SnapshotError> {
    let parsed = parse(expected)?;
    let filter = Filter::new(&parsed.include, &parsed.exclude).map_err(|error| {
        let line = parsed.first_filter_line.unwrap_or(1);
        SnapshotError::new(line, format!("recorded filter: {error}"))
    })?;
    let unit = &profile.meta.unit;
    let mut header = Vec::new();
    if parsed.unit != unit.name() {
        header.push(format!(
            "unit: snapshot has {}, profile has {}",
            parsed.unit, unit
        ));
    }
    if parsed.format != profile.meta.format.name() {
        header.push(format!(
            "format: snapshot has {}, profile has {}",
            parsed.format, profile.meta.format
        ));
    }
    // Bounds on times only mean something in the unit they were written in.
    let same_unit = parsed.unit == unit.name();
    let floor = parsed
        .band
        .as_ref()
        .map_or_else(|| gate::default_noise_floor(unit), |b| b.floor);

    let selected = select(profile, align, &filter);
    let by_key: HashMap<&str, FunctionId> =
        selected.iter().map(|(k, id)| (k.as_str(), *id)).collect();
    let listed: HashSet<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    let appeared: Vec<&(String, FunctionId)> = selected
        .iter()
        .filter(|(key, _)| !listed.contains(key.as_str()))
        .collect();

    let mut violations = Vec::new();
    let mut vanished = Vec::new();
    let mut actual_lines: Vec<String> = parsed.header_lines(profile);
    let mut pending = appeared.iter().peekable();
    for entry in &parsed.entries {
        let Some(&id) = by_key.get(entry.key.as_str()) else {
            vanished.push(Vanished {
                line: entry.line,
                key: entry.key.clone(),
            });
            continue;
        };
        // Appeared functions go in key order before the first listed key
        // that sorts after them, so a sorted file stays sorted.
        while let Some((key, new_id)) =
            pending.next_if(|(key, _)| key.as_str() < entry.key.as_str())
        {
            actual_lines.push(fresh_line(profile, key, *new_id, parsed.band.as_ref()));
        }
        actual_lines.extend(entry.leading.iter().cloned());
        if !same_unit {
            actual_lines.push(fresh_line(profile, &entry.key, id, parsed.band.as_ref()));
            continue;
        }
        let mut kept = Vec::with_capacity(entry.clauses.len());
        let mut failed = false;
        for clause in &entry.clauses {
            match clause.holds(profile, id, floor) {
                Ok(()) => kept.push(clause.text.clone()),
                Err(actual) => {
                    failed = true;
                    violations.push(BoundViolation {
                        line: entry.line,
                        key: entry.key.clone(),
                        bound: clause.canonical(),
                        actual,
                    });
                    let band = match clause.op {
                        Op::Approx(pct) => pct,
                        _ => parsed.band.as_ref().map_or(DEFAULT_BAND_PCT, |b| b.pct),
                    };
                    if let Some(replacement) = clause.replacement(profile, id, band) {
                        if !kept.contains(&replacement) {
                            kept.push(replacement);
                        }
                    }
                }
            }
        }
        if failed {
            let mut line = entry.raw_key.clone();
            for clause in kept {
                line.push_str("  ");
                line.push_str(&clause);
            }
            actual_lines.push(line);
        } else {
            actual_lines.push(entry.text.clone());
        }
    }
    for (key, id) in pending {
        actual_lines.push(fresh_line(profile, key, *id, parsed.band.as_ref()));
    }
    actual_lines.extend(parsed.trailing.iter().cloned());
    let mut actual = actual_lines.join("\n");
    actual.push('\n');

    Ok(CheckOutcome {
        violations,
        appeared: appeared.into_iter().map(|(k, _)| k.clone()).collect(),
        vanished,
        header,
        expected: expected.to_string(),
        actual,
    })
}

/// Reads the snapshot at `path` and [`check`]s `profile` against it. The
/// error names the file (and the line, for a malformed snapshot).
pub fn check_file(profile: &Profile, path: &Path, align: &AlignOptions) -> Result<CheckOutcome> {
    let name = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Input {
        path: name.clone(),
        message: "not a profdiff snapshot: not UTF-8 text".to_string(),
    })?;
    check(profile, &text, align).map_err(|error| Error::Input {
        path: name,
        message: format!("invalid snapshot: {error}"),
    })
}

/// What to do with a checked snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--check FILE`: report; locally write `FILE.new` on a mismatch.
    Check,
    /// `--check FILE --update`: rewrite `FILE` with the actual text.
    Update,
}

/// What [`apply_policy`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Every expectation holds; nothing was written.
    Passed,
    /// `Update`: the file was rewritten.
    Updated,
    /// Mismatch, locally: the actual text was written to this `.new` file.
    WroteNew(PathBuf),
    /// Mismatch with `CI` set: nothing was written.
    Failed,
}

impl Action {
    /// The process exit code: 0 when the snapshot holds or was updated, 1 on
    /// a mismatch that was not accepted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Action::Passed | Action::Updated => 0,
            Action::WroteNew(_) | Action::Failed => 1,
        }
    }

    /// A one-line explanation for the user, or `None` when there is nothing
    /// to say (passed).
    pub fn message(&self, path: &Path) -> Option<String> {
        let path = path.display();
        match self {
            Action::Passed => None,
            Action::Updated => Some(format!("updated {path}")),
            Action::WroteNew(new) => Some(format!(
                "wrote {} for review: accept it with `mv {} {path}` or rerun with --update",
                new.display(),
                new.display()
            )),
            Action::Failed => Some(format!(
                "CI is set, so nothing was written; run the check locally to get {path}.new, \
                 or with --update to accept"
            )),
        }
    }
}

/// The review file beside a snapshot: `FILE.new`.
pub fn new_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// True when the environment says this is CI: `CI` set, non-empty, and not
/// `false` or `0` (the conventions insta follows).
pub fn is_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Applies the snapshot policy to a [`check`] outcome for the file at `path`:
///
/// | mode | outcome | `ci` false (local) | `ci` true |
/// |---|---|---|---|
/// | Check | ok | nothing written (a stale `FILE.new` is removed) → Passed | nothing written → Passed |
/// | Check | mismatch | `FILE.new` written → WroteNew | nothing written → Failed |
/// | Update | ok | `FILE` rewritten only if its text differs (normalised) → Passed/Updated | nothing written → Passed |
/// | Update | mismatch | `FILE` rewritten, stale `FILE.new` removed → Updated | nothing written → Failed |
///
/// `inputs` are the profiles read; writing over one of them is refused
/// (`InvalidInput`).
pub fn apply_policy(
    path: &Path,
    outcome: &CheckOutcome,
    mode: Mode,
    ci: bool,
    inputs: &[&Path],
) -> io::Result<Action> {
    let ok = outcome.is_ok();
    if ci {
        return Ok(if ok { Action::Passed } else { Action::Failed });
    }
    let review = new_path(path);
    let action = match (mode, ok) {
        (Mode::Check, true) => Action::Passed,
        (Mode::Check, false) => {
            write(&review, &outcome.actual, inputs)?;
            return Ok(Action::WroteNew(review));
        }
        (Mode::Update, _) if outcome.actual == outcome.expected => Action::Passed,
        (Mode::Update, _) => {
            write(path, &outcome.actual, inputs)?;
            Action::Updated
        }
    };
    // The snapshot now holds, so an earlier review file is stale.
    match fs::remove_file(&review) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    Ok(action)
}

/// Writes `text` to `path` atomically: a temporary file in the same
/// directory, renamed over the target, so a reader (or a crash) never sees a
/// half-written snapshot. Refuses (`InvalidInput`) when `path` is one of
/// `inputs`, the profiles being read.
pub fn write(path: &Path, text: &str, inputs: &[&Path]) -> io::Result<()> {
    crate::output::replace_file(path, inputs, |out| out.write_all(text.as_bytes()))
}

// ---------------------------------------------------------------------------
// Selection and rendering of lines.

/// The functions the filter selects, with their keys, sorted by key.
fn select(profile: &Profile, align: &AlignOptions, filter: &Filter) -> Vec<(String, FunctionId)> {
    let keys = align::keys(profile, align);
    let files = align::normalized_files(profile, align);
    let mut selected: Vec<(String, FunctionId)> = keys
        .into_iter()
        .enumerate()
        .filter(|(id, key)| {
            filter.is_empty() || {
                let function = &profile.functions[*id];
                let display = align::display_name(function, files[*id].as_deref(), function.line);
                filter.matches(key, &display)
            }
        })
        .map(|(id, key)| (key, id))
        .collect();
    selected.sort();
    selected
}

fn format_line(profile: &Profile) -> String {
    format!(
        "{FORMAT_PREFIX}{}  unit: {}",
        profile.meta.format.name(),
        profile.meta.unit.name()
    )
}

#[derive(Debug, Clone, PartialEq)]
struct Band {
    pct: f64,
    floor: f64,
}

fn band_line(band: &Band, unit_is_time: bool) -> String {
    format!(
        "{BAND_PREFIX}±{}%  noise floor: {}",
        band.pct,
        format_cost(band.floor, unit_is_time)
    )
}

/// A function's line as [`render`] writes it.
fn fresh_line(profile: &Profile, key: &str, id: FunctionId, band: Option<&Band>) -> String {
    let function = &profile.functions[id];
    let mut line = quote_key(key);
    if let Some(calls) = function.calls {
        line.push_str(&format!("  calls = {calls}"));
    }
    if let Some(band) = band {
        line.push_str(&format!(
            "  incl ≈ {} ±{}%",
            format_cost(function.inclusive_cost, profile.meta.unit.is_time()),
            band.pct
        ));
    }
    line
}

fn quote_key(key: &str) -> String {
    let needs_quotes = key.is_empty()
        || key.starts_with(['#', '"'])
        || key.starts_with(char::is_whitespace)
        || key.ends_with(char::is_whitespace)
        || key.contains("  ")
        || key.contains('\t')
        || key.chars().any(|c| c.is_control())
        || looks_like_bound(key);
    if needs_quotes {
        serde_json::to_string(key).unwrap_or_else(|_| key.to_string())
    } else {
        key.to_string()
    }
}

/// A cost as written in snapshots: three significant digits and a unit
/// suffix for time (`134ms`, `58.5µs`, `1.23s`, `0s`); the plain number for
/// other units. Kept apart from the display formatting, which may change,
/// because this is a file format.
fn format_cost(value: f64, unit_is_time: bool) -> String {
    if !unit_is_time {
        return format!("{value}");
    }
    if value == 0.0 || !value.is_finite() {
        return "0s".to_string();
    }
    const SCALES: [(f64, &str); 4] = [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")];
    let magnitude = value.abs();
    let mut index = SCALES
        .iter()
        .rposition(|(scale, _)| magnitude >= *scale)
        .unwrap_or(0);
    // 999.7 µs would print as "1000µs"; step up to "1.00ms" instead.
    if index + 1 < SCALES.len() && (magnitude / SCALES[index].0) >= 999.5 {
        index += 1;
    }
    let (scale, suffix) = SCALES[index];
    let scaled = value / scale;
    let digits = if scaled.abs() >= 99.95 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 9.995 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    format!("{digits}{suffix}")
}

// ---------------------------------------------------------------------------
// Parsing.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Calls,
    Incl,
    SelfCost,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Calls => "calls",
            Field::Incl => "incl",
            Field::SelfCost => "self",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `≈ V ±P%`, with P.
    Approx(f64),
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    field: Field,
    op: Op,
    value: f64,
    /// Whether the snapshot's unit is time (for formatting).
    time: bool,
    /// The clause as written, kept verbatim when it still holds.
    text: String,
}

impl Clause {
    fn canonical(&self) -> String {
        let value = match self.field {
            Field::Calls => format!("{}", self.value),
            _ => format_cost(self.value, self.time),
        };
        match self.op {
            Op::Approx(pct) => format!("{} ≈ {value} ±{pct}%", self.field.name()),
            op => format!("{} {} {value}", self.field.name(), op_symbol(op)),
        }
    }

    /// `Ok` when the bound holds, else the actual value for the message.
    fn holds(
        &self,
        profile: &Profile,
        id: FunctionId,
        floor: f64,
    ) -> std::result::Result<(), String> {
        let function = &profile.functions[id];
        let actual = match self.field {
            Field::Calls => match function.calls {
                Some(calls) => calls as f64,
                None => return Err("unknown (the profile has no call counts)".to_string()),
            },
            Field::Incl => function.inclusive_cost,
            Field::SelfCost => function.self_cost,
        };
        let ok = match self.op {
            Op::Eq => actual == self.value,
            Op::Lt => actual < self.value,
            Op::Le => actual <= self.value,
            Op::Gt => actual > self.value,
            Op::Ge => actual >= self.value,
            Op::Approx(pct) => {
                (actual - self.value).abs() <= (self.value.abs() * pct / 100.0).max(floor)
            }
        };
        if ok {
            Ok(())
        } else if self.field == Field::Calls {
            Err(format!("{actual}"))
        } else {
            Err(format_cost(actual, profile.meta.unit.is_time()))
        }
    }

    /// What replaces a failed bound in the actual text: the actual value.
    fn replacement(&self, profile: &Profile, id: FunctionId, band: f64) -> Option<String> {
        let function = &profile.functions[id];
        let time = profile.meta.unit.is_time();
        match self.field {
            Field::Calls => function.calls.map(|calls| format!("calls = {calls}")),
            Field::Incl => Some(format!(
                "incl ≈ {} ±{band}%",
                format_cost(function.inclusive_cost, time)
            )),
            Field::SelfCost => Some(format!(
                "self ≈ {} ±{band}%",
                format_cost(function.self_cost, time)
            )),
        }
    }
}

fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Approx(_) => "≈",
    }
}

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    key: String,
    /// The key as written (quoted or not).
    raw_key: String,
    clauses: Vec<Clause>,
    /// The whole line as written.
    text: String,
    /// Comment and blank lines just above it.
    leading: Vec<String>,
}

#[derive(Debug, Clone)]
enum HeaderLine {
    Format,
    Other(String),
}

#[derive(Debug, Clone)]
struct Parsed {
    format: String,
    unit: String,
    include: Vec<String>,
    exclude: Vec<String>,
    first_filter_line: Option<usize>,
    band: Option<Band>,
    header: Vec<HeaderLine>,
    entries: Vec<Entry>,
    trailing: Vec<String>,
}

impl Parsed {
    /// The header as the actual text has it: as written, with the profile's
    /// own format and unit.
    fn header_lines(&self, profile: &Profile) -> Vec<String> {
        self.header
            .iter()
            .map(|line| match line {
                HeaderLine::Format => format_line(profile),
                HeaderLine::Other(text) => text.clone(),
            })
            .collect()
    }
}

fn is_comment_or_blank(line: &str) -> bool {
    line.trim().is_empty() || line.starts_with('#')
}

fn parse(text: &str) -> std::result::Result<Parsed, SnapshotError> {
    // Some Windows editors start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.first().copied().unwrap_or_default();
    let version = first.strip_prefix(VERSION_LINE).ok_or_else(|| {
        SnapshotError::new(
            1,
            format!("not a profdiff snapshot: the first line must be `{VERSION_LINE}{VERSION}`"),
        )
    })?;
    match version.trim_end().parse::<u32>() {
        Ok(VERSION) => {}
        Ok(other) if other > VERSION => {
            return Err(SnapshotError::new(
                1,
                format!("snapshot format v{other} is newer than this profdiff reads (v{VERSION})"),
            ))
        }
        _ => {
            return Err(SnapshotError::new(
                1,
                format!("unknown snapshot version {version:?}; expected v{VERSION}"),
            ))
        }
    }
    let header_end = lines
        .iter()
        .position(|l| !is_comment_or_blank(l))
        .unwrap_or(lines.len());

    let mut parsed = Parsed {
        format: String::new(),
        unit: String::new(),
        include: Vec::new(),
        exclude: Vec::new(),
        first_filter_line: None,
        band: None,
        header: vec![HeaderLine::Other(first.to_string())],
        entries: Vec::new(),
        trailing: Vec::new(),
    };
    let mut format_seen = false;
    let mut band_text: Option<(usize, &str)> = None;
    for (index, &line) in lines.iter().enumerate().take(header_end).skip(1) {
        let number = index + 1;
        if let Some(rest) = line.strip_prefix(FORMAT_PREFIX) {
            if format_seen {
                return Err(SnapshotError::new(number, "a second `# format:` line"));
            }
            format_seen = true;
            let (format, unit) = rest.split_once("  unit: ").ok_or_else(|| {
                SnapshotError::new(number, "expected `# format: NAME  unit: UNIT`")
            })?;
            let (format, unit) = (format.trim(), unit.trim());
            if format.is_empty() || unit.is_empty() || format.contains(' ') || unit.contains(' ') {
                return Err(SnapshotError::new(
                    number,
                    "expected `# format: NAME  unit: UNIT`",
                ));
            }
            parsed.format = format.to_string();
            parsed.unit = unit.to_string();
            parsed.header.push(HeaderLine::Format);
            continue;
        }
        if let Some(pattern) = line.strip_prefix(INCLUDE_PREFIX) {
            parsed.include.push(pattern.to_string());
            parsed.first_filter_line.get_or_insert(number);
        } else if let Some(pattern) = line.strip_prefix(EXCLUDE_PREFIX) {
            parsed.exclude.push(pattern.to_string());
            parsed.first_filter_line.get_or_insert(number);
        } else if let Some(rest) = line.strip_prefix(BAND_PREFIX) {
            if band_text.is_some() {
                return Err(SnapshotError::new(number, "a second `# band:` line"));
            }
            band_text = Some((number, rest));
        }
        parsed.header.push(HeaderLine::Other(line.to_string()));
    }
    if !format_seen {
        return Err(SnapshotError::new(
            (header_end + 1).min(lines.len()).max(1),
            "no `# format: NAME  unit: UNIT` line before the first function line",
        ));
    }
    // Recorded filters must compile here so the error names their line.
    for (index, &line) in lines.iter().enumerate().take(header_end) {
        let pattern = line
            .strip_prefix(INCLUDE_PREFIX)
            .or_else(|| line.strip_prefix(EXCLUDE_PREFIX));
        if let Some(pattern) = pattern {
            if let Err(error) = regex::Regex::new(pattern) {
                return Err(SnapshotError::new(
                    index + 1,
                    format!("invalid regex {pattern:?}: {error}"),
                ));
            }
        }
    }
    let time = parsed.unit == "seconds";
    if let Some((number, rest)) = band_text {
        parsed.band = Some(parse_band(rest, time).map_err(|m| SnapshotError::new(number, m))?);
    }

    let mut leading = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, &line) in lines.iter().enumerate().skip(header_end) {
        let number = index + 1;
        if is_comment_or_blank(line) {
            if [FORMAT_PREFIX, INCLUDE_PREFIX, EXCLUDE_PREFIX, BAND_PREFIX]
                .iter()
                .any(|p| line.starts_with(p))
            {
                return Err(SnapshotError::new(
                    number,
                    "header lines (`# format:`, `# include:`, `# exclude:`, `# band:`) \
                     must come before the first function line",
                ));
            }
            leading.push(line.to_string());
            continue;
        }
        let (key, raw_key, rest) = split_key(line).map_err(|m| SnapshotError::new(number, m))?;
        if let Some(previous) = seen.insert(key.clone(), number) {
            return Err(SnapshotError::new(
                number,
                format!("{key} is listed twice (also on line {previous})"),
            ));
        }
        let clauses = parse_clauses(rest, time).map_err(|m| SnapshotError::new(number, m))?;
        parsed.entries.push(Entry {
            line: number,
            key,
            raw_key,
            clauses,
            text: line.to_string(),
            leading: std::mem::take(&mut leading),
        });
    }
    parsed.trailing = leading;
    Ok(parsed)
}

/// `±50%  noise floor: 1ms`.
fn parse_band(text: &str, time: bool) -> std::result::Result<Band, String> {
    let expected = "expected `# band: ±P%  noise floor: VALUE`";
    let (pct, floor) = match text.split_once("noise floor:") {
        Some((pct, floor)) => (pct.trim(), Some(floor.trim())),
        None => (text.trim(), None),
    };
    let mut scanner = Scanner::new(pct);
    let pct = scanner.band().map_err(|m| format!("{m}; {expected}"))?;
    if !scanner.at_end() {
        return Err(expected.to_string());
    }
    let floor = match floor {
        None => 0.0,
        Some(floor) => {
            let mut scanner = Scanner::new(floor);
            let value = scanner.cost(time).map_err(|m| format!("{m}; {expected}"))?;
            if !scanner.at_end() {
                return Err(expected.to_string());
            }
            value
        }
    };
    Ok(Band { pct, floor })
}

/// Splits a function line into its key, the key as written, and the bounds.
fn split_key(line: &str) -> std::result::Result<(String, String, &str), String> {
    if line.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(line).into_iter::<String>();
        let key = match stream.next() {
            Some(Ok(key)) => key,
            _ => return Err("a quoted key must be a JSON string, like \"my  key\"".to_string()),
        };
        let end = stream.byte_offset();
        let rest = &line[end..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return Err("expected whitespace after the quoted key".to_string());
        }
        return Ok((key, line[..end].to_string(), rest));
    }
    if line.starts_with(char::is_whitespace) {
        return Err(
            "a function line starts with its key; quote a key with leading space as a JSON string"
                .to_string(),
        );
    }
    // The key ends at the first run of two spaces or a tab.
    let end = [line.find("  "), line.find('\t')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    let key = &line[..end];
    if looks_like_bound(key) {
        return Err(format!(
            "`{key}` looks like a key and a bound: separate bounds from the key with two spaces"
        ));
    }
    Ok((key.to_string(), key.to_string(), &line[end..]))
}

/// True when a key has a bound after a single space (`f calls <= 2`), the
/// commonest hand-editing slip. [`render`] quotes the (improbable) real key
/// that looks like this, so it still reads back.
fn looks_like_bound(key: &str) -> bool {
    const OPERATORS: [char; 5] = ['<', '>', '=', '≈', '~'];
    let tokens: Vec<&str> = key.split(' ').collect();
    tokens.iter().enumerate().skip(1).any(|(index, token)| {
        ["calls", "incl", "self"]
            .iter()
            .any(|field| match token.strip_prefix(field) {
                // `f calls <= 2`: the operator is the next token.
                Some("") => tokens
                    .get(index + 1)
                    .is_some_and(|next| next.starts_with(OPERATORS)),
                Some(rest) => rest.starts_with(OPERATORS),
                None => false,
            })
    })
}

fn parse_clauses(text: &str, time: bool) -> std::result::Result<Vec<Clause>, String> {
    let mut scanner = Scanner::new(text);
    let mut clauses = Vec::new();
    loop {
        scanner.skip_space();
        if scanner.at_end() {
            return Ok(clauses);
        }
        let start = scanner.position;
        let word = scanner.word();
        let field = match word {
            "calls" => Field::Calls,
            "incl" => Field::Incl,
            "self" => Field::SelfCost,
            "" => {
                return Err(format!(
                    "expected a bound (calls, incl or self), found `{}`",
                    scanner.rest_token()
                ))
            }
            other => {
                return Err(format!(
                    "unknown field `{other}`; bounds are on calls, incl or self"
                ))
            }
        };
        scanner.skip_space();
        let op = scanner.op().ok_or_else(|| {
            format!(
                "expected an operator after `{}` (=, <, <=, >, >= or ≈), found `{}`",
                field.name(),
                scanner.rest_token()
            )
        })?;
        scanner.skip_space();
        let value = match field {
            Field::Calls => scanner.count()?,
            _ => scanner.cost(time)?,
        };
        let op = match op {
            Op::Approx(_) => {
                if field == Field::Calls {
                    return Err(
                        "calls are exact, `≈` does not apply; use a range: calls >= 4  calls <= 8"
                            .to_string(),
                    );
                }
                scanner.skip_space();
                Op::Approx(scanner.band()?)
            }
            Op::Eq if field != Field::Calls => {
                return Err(format!(
                "times are never exactly equal: use `{} ≈ VALUE ±P%` or a bound like `{} < VALUE`",
                field.name(),
                field.name()
            ))
            }
            op => op,
        };
        let end = scanner.position;
        if !scanner.at_end() && !scanner.at_space() {
            return Err(format!(
                "unexpected `{}` after `{}`",
                scanner.rest_token(),
                &text[start..end]
            ));
        }
        clauses.push(Clause {
            field,
            op,
            value,
            time,
            text: text[start..end].to_string(),
        });
    }
}

/// A cursor over one line's bounds.
struct Scanner<'t> {
    text: &'t str,
    position: usize,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Self {
        Scanner { text, position: 0 }
    }

    fn rest(&self) -> &'t str {
        &self.text[self.position..]
    }

    fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    fn at_space(&self) -> bool {
        self.rest().starts_with(char::is_whitespace)
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.position += rest.len() - rest.trim_start().len();
    }

    /// The next whitespace-delimited token, for messages.
    fn rest_token(&self) -> &'t str {
        self.rest().split(char::is_whitespace).next().unwrap_or("")
    }

    fn take_while(&mut self, predicate: impl Fn(char) -> bool) -> &'t str {
        let rest = self.rest();
        let length = rest.find(|c| !predicate(c)).unwrap_or(rest.len());
        self.position += length;
        &rest[..length]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.position += token.len();
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> &'t str {
        self.take_while(|c| c.is_ascii_alphabetic())
    }

    fn op(&mut self) -> Option<Op> {
        // Longest first, so `<=` is not read as `<` followed by `=`.
        for (token, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("≈", Op::Approx(0.0)),
            ("~", Op::Approx(0.0)),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(token) {
                return Some(op);
            }
        }
        None
    }

    /// Digits with an optional fraction: `12`, `0.5`.
    fn number(&mut self) -> std::result::Result<f64, String> {
        let start = self.position;
        let whole = self.take_while(|c| c.is_ascii_digit());
        let mut end = self.position;
        if self.rest().starts_with('.') {
            self.position += 1;
            let fraction = self.take_while(|c| c.is_ascii_digit());
            if fraction.is_empty() {
                return Err(format!(
                    "invalid number `{}`",
                    &self.text[start..self.position]
                ));
            }
            end = self.position;
        } else if whole.is_empty() {
            return Err(format!("expected a number, found `{}`", self.rest_token()));
        }
        self.text[start..end]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("invalid number `{}`", &self.text[start..end]))
    }

    fn count(&mut self) -> std::result::Result<f64, String> {
        let token = self.rest_token();
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() || !(self.at_end() || self.at_space()) {
            return Err(format!(
                "calls must be a whole number, found `{}`",
                if token.is_empty() { "nothing" } else { token }
            ));
        }
        digits
            .parse::<u64>()
            .map(|n| n as f64)
            .map_err(|_| format!("calls value `{digits}` is too large"))
    }

    /// A duration (time units) or a plain number (other units).
    fn cost(&mut self, time: bool) -> std::result::Result<f64, String> {
        let value = self.number()?;
        // The unit may follow the number directly or after spaces (`200 ms`).
        let before_unit = self.position;
        self.skip_space();
        let suffix_start = self.position;
        let suffix = self.take_while(|c| c.is_alphabetic() || c == 'µ' || c == 'μ');
        let scale = match suffix {
            "s" => Some(1.0),
            "ms" => Some(1e-3),
            "us" | "µs" | "μs" => Some(1e-6),
            "ns" => Some(1e-9),
            _ => None,
        };
        match (scale, time) {
            (Some(scale), true) => Ok(value * scale),
            (Some(_), false) => Err(format!(
                "`{suffix}` is a time unit, but this snapshot's unit is not time: write a plain number"
            )),
            (None, _) if suffix_start == before_unit && !suffix.is_empty() => Err(format!(
                "unknown unit `{suffix}`; use ns, us (µs), ms or s"
            )),
            (None, _) => {
                // Not a unit (the next field's name, say): give it back.
                self.position = before_unit;
                Ok(value)
            }
        }
    }

    /// `±50%` (or `+-50%`).
    fn band(&mut self) -> std::result::Result<f64, String> {
        if !(self.eat("±") || self.eat("+-") || self.eat("+/-")) {
            return Err(format!(
                "expected a band like ±50% after the value, found `{}`",
                self.rest_token()
            ));
        }
        let pct = self.number()?;
        if !self.eat("%") {
            return Err(format!(
                "the band needs a `%`, found `{}`",
                self.rest_token()
            ));
        }
        Ok(pct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_format_with_three_digits() {
        assert_eq!(format_cost(0.134, true), "134ms");
        assert_eq!(format_cost(0.0677, true), "67.7ms");
        assert_eq!(format_cost(0.000_058_5, true), "58.5µs");
        assert_eq!(format_cost(1.234, true), "1.23s");
        assert_eq!(format_cost(0.0, true), "0s");
        assert_eq!(format_cost(0.000_999_7, true), "1.00ms");
        assert_eq!(format_cost(3.5e-7, true), "350ns");
        assert_eq!(format_cost(1234.0, false), "1234");
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(quote_key("a.py:f"), "a.py:f");
        assert_eq!(
            quote_key("{method 'get' of 'dict' objects}"),
            "{method 'get' of 'dict' objects}"
        );
        assert_eq!(quote_key("a  b"), "\"a  b\"");
        assert_eq!(quote_key("#x"), "\"#x\"");
        let (key, raw, rest) = split_key("\"a  b\"  calls = 1").unwrap();
        assert_eq!(
            (key.as_str(), raw.as_str(), rest),
            ("a  b", "\"a  b\"", "  calls = 1")
        );
    }

    #[test]
    fn clause_grammar() {
        let clauses = parse_clauses("  calls<=2  incl < 200 ms  self ~ 5us +-10%", true).unwrap();
        assert_eq!(clauses.len(), 3);
        assert_eq!(clauses[0].op, Op::Le);
        assert_eq!(clauses[0].text, "calls<=2");
        assert!((clauses[1].value - 0.2).abs() < 1e-12);
        assert_eq!(clauses[2].op, Op::Approx(10.0));
        assert_eq!(clauses[2].canonical(), "self ≈ 5.00µs ±10%");
        for bad in [
            "calls",
            "calls 2",
            "calls <= 2.5",
            "calls <= -1",
            "calls ≈ 2 ±1%",
            "incl = 1ms",
            "incl ≈ 1ms",
            "incl < 1h",
            "incl < 1msx",
            "time < 1ms",
            "calls = 1 extra",
            "incl ≈ 1ms ±50",
        ] {
            assert!(parse_clauses(bad, true).is_err(), "{bad:?} accepted");
        }
        assert!(parse_clauses("incl < 1ms", false).is_err());
        assert_eq!(
            parse_clauses("incl < 1000", false).unwrap()[0].value,
            1000.0
        );
    }
}
