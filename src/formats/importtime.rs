//! Import-time logs: what `python -X importtime` (or
//! `PYTHONPROFILEIMPORTTIME=1`) prints on stderr, one line per module
//! imported (docs/formats.md §7), read as a profile of import time.
//!
//! ```text
//! import time: self [us] | cumulative | imported package
//! import time:       213 |        213 |   _io
//! import time:        33 |         33 |   marshal
//! import time:       497 |       1193 | _frozen_importlib_external
//! ```
//!
//! Choices, and why:
//!
//! - **A module is a function named by its dotted name** (`botocore.session`),
//!   with no file and no line. The dotted name is what stays the same across
//!   machines, virtual environments and versions, so it is both the
//!   alignment key and the label, as is; the log says nothing of files.
//! - **Nesting comes from the indentation.** CPython prints a module when its
//!   import ends, so the imports it started itself come before it, indented
//!   two more spaces. Each line adopts the lines still waiting one level
//!   deeper as its children. Parent → child becomes a caller edge: one call
//!   per occurrence, with the child's self and cumulative time.
//! - **One synthetic root, [`ROOT`], calls the outermost imports** and is
//!   called once per run. Its inclusive time is what the log's imports took
//!   (the sum of the outermost cumulative times) and its call count the
//!   number of runs: what the Lambda estimate prices as INIT per cold start,
//!   and what still adds up when logs are merged.
//! - **Times** are whole microseconds in the log and seconds here: self is
//!   self, inclusive is cumulative. The total is the sum of self times, as
//!   for pstats (CPython rounds every number up, so it can exceed the root's
//!   time by up to a microsecond per line).
//! - **Counts**: a module's calls are the lines that name it, normally one
//!   per process.
//! - **Several runs in one log** (the header again: logs appended, or
//!   several processes writing to one stderr) are added up, and a note says
//!   how many there were.
//! - **A log cut short** loads: modules whose parent line never came (the
//!   log or the process ended in the middle of an import) are kept under the
//!   root with a note, and a last line cut off mid-way is skipped with a
//!   note.
//! - **Other lines are skipped**: the program's own output on the same
//!   stderr, Lambda's platform lines. Log prefixes are stripped as for pstats
//!   text (CloudWatch, the Lambda runtime, `--strip-log-prefix`), and a lone
//!   ISO 8601 timestamp too. A line that starts with `import time:` but does
//!   not parse is an error naming its line, and so is input without a
//!   single import line.
//! - **Call stacks**: every line's chain of parents is a stack carrying the
//!   module's self time, so import time can be drawn (and diffed) as a
//!   flame graph.
//! - `-X importtime=2` (Python 3.14) also prints `cached` for imports that
//!   found the module already loaded; those import nothing and are skipped,
//!   with a note.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::ParseError;
use crate::model::{Edge, Format, Function, FunctionKind, Profile, ProfileMeta, Stack, Unit};

use super::pstats_text::Prefixes;

/// The synthetic function that calls the outermost imports, once per run.
/// No module can have this name (it has a space), and it is no `<…>`
/// name, which a callgrind conversion would read back as a builtin.
pub const ROOT: &str = "all imports";

/// What every line of the log starts with, once its log prefix is gone.
const MARKER: &str = "import time:";

/// The header's words after the marker.
const HEADER: &str = "self [us] | cumulative | imported package";

/// A lone timestamp before the message (a raw stderr line exported from
/// CloudWatch with its time): `2024-05-01T12:00:00.000Z<TAB>`, also with a
/// space for the `T`, a comma before the fraction or an offset for the `Z`.
const TIMESTAMP_PREFIX: &str =
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?[ \t]+";

/// At most this many frames over all call stacks. Real imports nest a few
/// dozen deep; a crafted log nesting a line deeper each time would need the
/// square of its length.
const MAX_STACK_FRAMES: usize = 1 << 24;

/// Options for reading import-time logs.
#[derive(Debug, Clone, Default)]
pub struct ImporttimeOptions {
    /// Extra log prefix to strip (`--strip-log-prefix REGEX`), tried before
    /// the built-in ones, as for pstats text. Default: `None`.
    pub strip_log_prefix: Option<Regex>,
}

/// True when a line of `bytes` (possibly a prefix of the input; log
/// prefixes allowed) is the `import time: self [us] | …` header.
pub fn detect(bytes: &[u8]) -> bool {
    find_start(bytes).is_some()
}

/// The byte offset where the header line starts, if there is one (log
/// prefixes allowed). Whatever comes before it is other output to
/// [`parse`], so a reader may drop it; a literal search finds the few
/// candidate lines before any line is decoded.
pub fn find_start(bytes: &[u8]) -> Option<usize> {
    static CANDIDATE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
        regex::bytes::Regex::new(r"import time: self \[us\]").expect("literal pattern")
    });
    let prefixes = Prefixes::new(None);
    let mut from = 0;
    while let Some(found) = CANDIDATE.find_at(bytes, from) {
        let start = bytes[..found.start()]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let end = bytes[found.end()..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| found.end() + at);
        let text = String::from_utf8_lossy(&bytes[start..end]);
        if let Some(message) = message(&prefixes, text.trim_end_matches('\r')) {
            if matches!(parse_message(message), Ok(Parsed::Header)) {
                return Some(start);
            }
        }
        from = end;
    }
    None
}

/// Parses an import-time log. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &ImporttimeOptions) -> Result<Profile, ParseError> {
    parse_from_line(bytes, path, options, 1)
}

/// [`parse`] for `bytes` that start at line `first_line` (1-based) of the
/// input, the lines before having been skipped (see [`find_start`]): errors
/// and notes give line numbers in the whole input.
pub fn parse_from_line(
    bytes: &[u8],
    path: &str,
    options: &ImporttimeOptions,
    first_line: u64,
) -> Result<Profile, ParseError> {
    let prefixes = Prefixes::new(options.strip_log_prefix.clone());
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut reader = Reader::default();
    let mut line_no = first_line.saturating_sub(1);
    let mut lines = text.split('\n').peekable();
    while let Some(raw) = lines.next() {
        line_no += 1;
        // The text after the last newline: empty, or a line the log's end
        // cut off.
        let unfinished = lines.peek().is_none();
        let raw = raw.trim_end_matches('\r');
        let Some(rest) = message(&prefixes, raw) else {
            if reader.prefix_hint.is_none() && raw.contains(MARKER) {
                reader.prefix_hint = Some(line_no);
            }
            continue;
        };
        match parse_message(rest) {
            Ok(parsed) => reader.line(parsed, line_no),
            Err(_) if unfinished => reader.cut_last_line = Some(line_no),
            Err(why) => {
                return Err(ParseError::at_line(
                    line_no,
                    format!(
                        "malformed import time line {:?}: {why}",
                        shorten(raw.trim_start())
                    ),
                ))
            }
        }
    }
    reader.finish(path, line_no)
}

/// The line's message after the `import time:` marker, its log prefix
/// stripped; `None` for any other line.
fn message<'l>(prefixes: &Prefixes, line: &'l str) -> Option<&'l str> {
    let (stripped, prefixed) = prefixes.strip(line);
    if let Some(rest) = stripped.strip_prefix(MARKER) {
        return Some(rest);
    }
    if prefixed || !line.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    static TIMESTAMP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(TIMESTAMP_PREFIX).expect("built-in timestamp pattern"));
    let found = TIMESTAMP.find(line)?;
    line[found.end()..].strip_prefix(MARKER)
}

/// The first 80 characters of a line, for an error message.
fn shorten(line: &str) -> Cow<'_, str> {
    match line.char_indices().nth(80) {
        Some((at, _)) => Cow::Owned(format!("{}…", &line[..at])),
        None => Cow::Borrowed(line),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed<'l> {
    Header,
    /// `-X importtime=2`: an import that found the module loaded.
    Cached,
    Import {
        self_us: u64,
        cumulative_us: u64,
        /// Indentation / 2: 0 for an import made outside any other.
        level: usize,
        name: &'l str,
    },
}

/// Parses what follows `import time:`:
/// `"       213 |        213 |   _io"`, or the header.
fn parse_message(rest: &str) -> Result<Parsed<'_>, String> {
    if rest.split_whitespace().eq(HEADER.split_whitespace()) {
        return Ok(Parsed::Header);
    }
    let mut fields = rest.splitn(3, '|');
    let (Some(own), Some(cumulative), Some(module)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err("expected `import time: SELF | CUMULATIVE | MODULE`".to_string());
    };
    let (own, cumulative) = (own.trim(), cumulative.trim());
    if own == "cached" && cumulative == "cached" {
        return Ok(Parsed::Cached);
    }
    let microseconds = |token: &str, what: &str| {
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(value) = token.parse::<u64>() {
                return Ok(value);
            }
        }
        Err(format!(
            "the {what} time {token:?} is not a whole number of microseconds"
        ))
    };
    let self_us = microseconds(own, "self")?;
    let cumulative_us = microseconds(cumulative, "cumulative")?;
    // `| ` ends the column; two spaces per level of nesting follow.
    let module = module
        .strip_prefix(' ')
        .ok_or("expected a space after the second `|`")?
        .trim_end();
    let name = module.trim_start_matches(' ');
    let indent = module.len() - name.len();
    if name.is_empty() {
        return Err("no module name after the second `|`".to_string());
    }
    if name.contains(char::is_whitespace) {
        return Err(format!("{name:?} is not a module name"));
    }
    if indent % 2 != 0 {
        return Err(format!(
            "an indentation of {indent} spaces is not a whole number of levels (two spaces each)"
        ));
    }
    Ok(Parsed::Import {
        self_us,
        cumulative_us,
        level: indent / 2,
        name,
    })
}

/// One line of the log: one import.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// Index into [`Reader::names`].
    module: usize,
    self_us: u64,
    cumulative_us: u64,
    level: usize,
    /// The node of the import that made this one, printed after it.
    parent: Option<usize>,
    line: u64,
}

#[derive(Default)]
struct Reader<'t> {
    /// Module names in order of first appearance, and their indices.
    names: Vec<&'t str>,
    ids: HashMap<&'t str, usize>,
    nodes: Vec<Node>,
    /// Nodes still waiting for their parent line, in log order.
    waiting: Vec<usize>,
    headers: Vec<u64>,
    runs: u64,
    /// Whether the current run has started (a header, or an import line
    /// when the log begins without one).
    in_run: bool,
    /// Import lines before the first header.
    before_header: bool,
    cached: u64,
    cut_last_line: Option<u64>,
    /// The first line that holds `import time:` after other text.
    prefix_hint: Option<u64>,
}

impl<'t> Reader<'t> {
    fn line(&mut self, parsed: Parsed<'t>, line_no: u64) {
        let (self_us, cumulative_us, level, name) = match parsed {
            Parsed::Header => {
                // A new process: what the last one left waiting has no
                // parent line any more.
                self.headers.push(line_no);
                self.runs += 1;
                self.in_run = true;
                self.waiting.clear();
                return;
            }
            Parsed::Cached => {
                self.cached += 1;
                return;
            }
            Parsed::Import {
                self_us,
                cumulative_us,
                level,
                name,
            } => (self_us, cumulative_us, level, name),
        };
        if !self.in_run {
            self.runs += 1;
            self.in_run = true;
            self.before_header = true;
        }
        let module = *self.ids.entry(name).or_insert_with(|| {
            self.names.push(name);
            self.names.len() - 1
        });
        let node = self.nodes.len();
        while let Some(&child) = self.waiting.last() {
            if self.nodes[child].level <= level {
                break;
            }
            self.waiting.pop();
            // A line two or more levels deeper lost its own parent's line.
            if self.nodes[child].level == level + 1 {
                self.nodes[child].parent = Some(node);
            }
        }
        self.waiting.push(node);
        self.nodes.push(Node {
            module,
            self_us,
            cumulative_us,
            level,
            parent: None,
            line: line_no,
        });
    }

    fn finish(self, path: &str, lines: u64) -> Result<Profile, ParseError> {
        if self.nodes.is_empty() {
            let mut message = match self.headers.first() {
                Some(at) => format!("found the import time header on line {at} but no import line"),
                None => "no import time lines (`import time: SELF | CUMULATIVE | MODULE`, what \
                         `python -X importtime` prints on stderr)"
                    .to_string(),
            };
            if let Some(at) = self.prefix_hint {
                message.push_str(&format!(
                    "; line {at} has `import time:` after other text: a log prefix? (strip it \
                     with --strip-log-prefix REGEX)"
                ));
            }
            return Err(ParseError::at_line(lines.max(1), message));
        }
        let mut profile = Profile::new(ProfileMeta {
            path: path.to_string(),
            format: Format::Importtime,
            unit: Unit::Seconds,
            precision: Some(1e-6),
            producer: None,
            notes: Vec::new(),
        });
        // Function 0 is the root; module m is function m + 1.
        let count = self.names.len() + 1;
        let mut calls = vec![0u64; count];
        let mut self_us = vec![0u64; count];
        let mut cumulative_us = vec![0u64; count];
        calls[0] = self.runs;
        // (caller, callee) → (calls, self µs, cumulative µs), in order of
        // first appearance.
        let mut edge_ids: HashMap<(usize, usize), usize> = HashMap::new();
        let mut edges: Vec<((usize, usize), [u64; 3])> = Vec::new();
        let mut orphans: Vec<&Node> = Vec::new();
        for node in &self.nodes {
            let id = node.module + 1;
            calls[id] += 1;
            self_us[id] = self_us[id].saturating_add(node.self_us);
            cumulative_us[id] = cumulative_us[id].saturating_add(node.cumulative_us);
            let caller = match node.parent {
                Some(parent) => self.nodes[parent].module + 1,
                None => {
                    cumulative_us[0] = cumulative_us[0].saturating_add(node.cumulative_us);
                    if node.level > 0 {
                        orphans.push(node);
                    }
                    0
                }
            };
            let slot = *edge_ids.entry((caller, id)).or_insert_with(|| {
                edges.push(((caller, id), [0; 3]));
                edges.len() - 1
            });
            let numbers = &mut edges[slot].1;
            numbers[0] += 1;
            numbers[1] = numbers[1].saturating_add(node.self_us);
            numbers[2] = numbers[2].saturating_add(node.cumulative_us);
        }
        let seconds = |us: u64| us as f64 / 1e6;
        for id in 0..count {
            let (name, kind) = match id {
                0 => (ROOT, FunctionKind::Synthetic),
                _ => (self.names[id - 1], FunctionKind::Source),
            };
            let mut function = Function::new(name, kind);
            function.calls = Some(calls[id]);
            function.primitive_calls = Some(calls[id]);
            function.self_cost = seconds(self_us[id]);
            function.inclusive_cost = seconds(cumulative_us[id]);
            profile.functions.push(function);
        }
        profile.edges = edges
            .into_iter()
            .map(|((caller, callee), [n, own, cumulative])| {
                Edge::new(caller, callee)
                    .with_calls(Some(n))
                    .with_primitive_calls(Some(n))
                    .with_self_cost(Some(seconds(own)))
                    .with_inclusive_cost(Some(seconds(cumulative)))
            })
            .collect();
        let stacks = stacks(&self.nodes);
        let notes = &mut profile.meta.notes;
        match stacks {
            Some(stacks) => profile.stacks = stacks,
            None => notes.push(
                "imports nest too deeply to keep their call stacks: no flame graph".to_string(),
            ),
        }
        if self.runs > 1 {
            let first = if self.before_header {
                ", the first without its header"
            } else {
                ""
            };
            notes.push(format!(
                "the log holds {} runs (one `import time:` header each{first}): their times \
                 and counts are added up, and `{ROOT}` counts the runs",
                self.runs
            ));
        }
        if let Some(first) = orphans.first() {
            notes.push(format!(
                "{} imports have no parent line (the first: {} on line {}): the log, or a \
                 process, ended in the middle of an import; they are counted under `{ROOT}`",
                orphans.len(),
                self.names[first.module],
                first.line
            ));
        }
        if self.cached > 0 {
            notes.push(format!(
                "{} `cached` lines (-X importtime=2: the module was already imported) were \
                 skipped",
                self.cached
            ));
        }
        if let Some(at) = self.cut_last_line {
            notes.push(format!(
                "the last line (line {at}) is cut short and was skipped"
            ));
        }
        Ok(profile)
    }
}

/// Every distinct chain of imports (outermost first, the root left out)
/// with the self time of its last module; `None` when they would take more
/// than [`MAX_STACK_FRAMES`] frames.
fn stacks(nodes: &[Node]) -> Option<Vec<Stack>> {
    // A trie of chains, built from the last line backwards: a parent is
    // printed after its children, so it is met first.
    let mut chain_ids: HashMap<(usize, usize), usize> = HashMap::new();
    // Per chain: its parent chain, its module's function, its depth.
    let mut chains: Vec<(Option<usize>, usize, usize)> = Vec::new();
    let mut chain_of = vec![0usize; nodes.len()];
    for index in (0..nodes.len()).rev() {
        let node = &nodes[index];
        let parent = node.parent.map(|p| chain_of[p]);
        let function = node.module + 1;
        let key = (parent.unwrap_or(usize::MAX), function);
        chain_of[index] = *chain_ids.entry(key).or_insert_with(|| {
            let depth = parent.map_or(1, |p| chains[p].2 + 1);
            chains.push((parent, function, depth));
            chains.len() - 1
        });
    }
    // One stack per chain, in the order the log first shows them.
    let mut stack_of: Vec<Option<usize>> = vec![None; chains.len()];
    let mut stacks: Vec<Stack> = Vec::new();
    let mut frames_left = MAX_STACK_FRAMES;
    for (index, node) in nodes.iter().enumerate() {
        let chain = chain_of[index];
        let cost = node.self_us as f64 / 1e6;
        if let Some(stack) = stack_of[chain] {
            stacks[stack].cost += cost;
            continue;
        }
        let depth = chains[chain].2;
        frames_left = frames_left.checked_sub(depth)?;
        let mut frames = Vec::with_capacity(depth);
        let mut at = Some(chain);
        while let Some(link) = at {
            frames.push(chains[link].1);
            at = chains[link].0;
        }
        frames.reverse();
        stack_of[chain] = Some(stacks.len());
        stacks.push(Stack { frames, cost });
    }
    Some(stacks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
import time: self [us] | cumulative | imported package
import time:       213 |        213 |   _io
import time:        33 |         33 |   marshal
import time:       497 |        743 | _frozen_importlib_external
import time:        41 |         41 |       _stat
import time:        57 |         98 |     stat
import time:        31 |         31 |       genericpath
import time:        63 |         94 |     posixpath
import time:       353 |        545 |   os
import time:       100 |        645 | site
";

    fn read(text: &str) -> Profile {
        parse(text.as_bytes(), "t.log", &ImporttimeOptions::default()).unwrap()
    }

    fn function<'p>(profile: &'p Profile, name: &str) -> &'p Function {
        profile.functions.iter().find(|f| f.name == name).unwrap()
    }

    fn callers(profile: &Profile, name: &str) -> Vec<(String, Option<u64>)> {
        let id = profile
            .functions
            .iter()
            .position(|f| f.name == name)
            .unwrap();
        profile
            .edges
            .iter()
            .filter(|e| e.callee == id)
            .map(|e| (profile.functions[e.caller].name.clone(), e.calls()))
            .collect()
    }

    #[test]
    fn nesting_becomes_caller_edges() {
        let p = read(LOG);
        assert_eq!(p.functions.len(), 10);
        assert_eq!(p.functions[0].name, ROOT);
        assert_eq!(p.functions[0].kind, FunctionKind::Synthetic);
        let os = function(&p, "os");
        assert_eq!(
            (os.calls, os.self_cost, os.inclusive_cost),
            (Some(1), 353e-6, 545e-6)
        );
        assert_eq!((os.file.as_deref(), os.line), (None, None));
        assert_eq!(
            callers(&p, "_io"),
            [("_frozen_importlib_external".into(), Some(1))]
        );
        assert_eq!(callers(&p, "_stat"), [("stat".into(), Some(1))]);
        assert_eq!(callers(&p, "posixpath"), [("os".into(), Some(1))]);
        assert_eq!(callers(&p, "os"), [("site".into(), Some(1))]);
        assert_eq!(callers(&p, "site"), [(ROOT.into(), Some(1))]);
        let root = &p.functions[0];
        assert_eq!((root.calls, root.inclusive_cost), (Some(1), 1388e-6));
        let total: u64 = [213, 33, 497, 41, 57, 31, 63, 353, 100].iter().sum();
        assert!((p.total_cost() - total as f64 / 1e6).abs() < 1e-12);
        assert!(p.meta.notes.is_empty(), "{:?}", p.meta.notes);
        // The edge carries the child's times.
        let stat = p.functions.iter().position(|f| f.name == "stat").unwrap();
        let edge = p.edges.iter().find(|e| e.callee == stat).unwrap();
        assert_eq!(
            (edge.self_cost(), edge.inclusive_cost()),
            (Some(57e-6), Some(98e-6))
        );
    }

    #[test]
    fn stacks_follow_the_nesting() {
        let p = read(LOG);
        let names = |stack: &Stack| -> Vec<&str> {
            stack
                .frames
                .iter()
                .map(|&f| p.functions[f].name.as_str())
                .collect()
        };
        let stat = p
            .stacks
            .iter()
            .find(|s| names(s).last() == Some(&"_stat"))
            .unwrap();
        assert_eq!(names(stat), ["site", "os", "stat", "_stat"]);
        assert_eq!(stat.cost, 41e-6);
        assert_eq!(p.stacks.len(), 9);
    }

    #[test]
    fn runs_are_added_up() {
        let p = read(&format!("{LOG}some output\n{LOG}"));
        assert_eq!(p.functions.len(), 10);
        assert_eq!(function(&p, "os").calls, Some(2));
        assert_eq!(function(&p, "os").inclusive_cost, 2.0 * 545e-6);
        assert_eq!(p.functions[0].calls, Some(2));
        assert_eq!(callers(&p, "_stat"), [("stat".into(), Some(2))]);
        assert!(p.meta.notes[0].contains("2 runs"), "{:?}", p.meta.notes);
        // Without the first header: still two runs.
        let p = read(&format!("{}{LOG}", &LOG[LOG.find('\n').unwrap() + 1..]));
        assert_eq!(p.functions[0].calls, Some(2));
        assert!(p.meta.notes[0].contains("without its header"));
    }

    #[test]
    fn a_log_cut_short_loads_with_a_note() {
        let cut = &LOG[..LOG.find("import time:       353").unwrap()];
        let p = read(cut);
        assert_eq!(callers(&p, "stat"), [(ROOT.into(), Some(1))]);
        assert!(
            p.meta.notes.iter().any(
                |n| n.contains("2 imports have no parent line") && n.contains("stat on line 6")
            ),
            "{:?}",
            p.meta.notes
        );
        // A last line cut in the middle is skipped.
        let p = read(&LOG[..LOG.len() - 8]);
        assert!(p
            .meta
            .notes
            .iter()
            .any(|n| n.contains("line 10) is cut short")));
        assert!(p.functions.iter().all(|f| f.name != "site"));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let text = LOG.replace("    57 |", "   5x7 |");
        let error = parse(text.as_bytes(), "t", &ImporttimeOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(6));
        assert!(error.message.contains("\"5x7\""), "{error}");
        let text = LOG.replace("|     stat", "|    stat");
        let error = parse(text.as_bytes(), "t", &ImporttimeOptions::default()).unwrap_err();
        assert!(error.message.contains("3 spaces"), "{error}");
        let error = parse(b"hello\nworld\n", "t", &ImporttimeOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(3));
        assert!(error.message.contains("no import time lines"), "{error}");
        let text = "app: import time:     1 |      1 | os\n";
        let error = parse(text.as_bytes(), "t", &ImporttimeOptions::default()).unwrap_err();
        assert!(
            error.message.contains("line 1 has `import time:`"),
            "{error}"
        );
    }

    #[test]
    fn log_prefixes_are_stripped() {
        let prefixed =
            |prefix: &str| -> String { LOG.lines().map(|l| format!("{prefix}{l}\n")).collect() };
        for prefix in [
            "2024-05-01T12:00:00.000Z\tc0ffee00-0000-4000-8000-000000000001\tINFO\t",
            "[INFO]\t2024-05-01T12:00:00.000Z\tc0ffee00\t",
            "2024-05-01T12:00:00.000Z\t",
            "2024-05-01 12:00:00,123 ",
            "2024-05-01T12:00:00.123456+00:00 ",
        ] {
            let text = prefixed(prefix);
            assert_eq!(find_start(text.as_bytes()), Some(0), "{prefix:?}");
            assert_eq!(read(&text).functions.len(), 10, "{prefix:?}");
        }
        let text = prefixed("app | ");
        assert!(!detect(text.as_bytes()));
        let options = ImporttimeOptions {
            strip_log_prefix: Some(Regex::new(r"^app \| ").unwrap()),
        };
        let p = parse(text.as_bytes(), "t", &options).unwrap();
        assert_eq!(p.functions.len(), 10);
    }

    #[test]
    fn detection_and_other_output() {
        assert!(detect(LOG.as_bytes()));
        let output = "starting\nimport time: is a phrase\n";
        let text = format!("{output}{LOG}");
        assert_eq!(find_start(text.as_bytes()), Some(output.len()));
        assert!(!detect(output.as_bytes()));
        assert!(!detect(
            b"   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"
        ));
        // Program output between the lines is skipped; line numbers count
        // the lines skipped before the input.
        let p = read(&LOG.replace("|   os\n", "|   os\nhello | 1 | 2\n"));
        assert_eq!(p.functions.len(), 10);
        let broken = LOG.replace("    57 |", "   5x7 |");
        let error =
            parse_from_line(broken.as_bytes(), "t", &ImporttimeOptions::default(), 3).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(8));
    }

    #[test]
    fn cached_lines_crlf_and_deep_nesting() {
        let text = LOG.replace(
            "| site\n",
            "| site\nimport time:    cached |     cached |   os\n",
        );
        let p = read(&text);
        assert_eq!(function(&p, "os").calls, Some(1));
        assert!(p.meta.notes.iter().any(|n| n.contains("1 `cached` lines")));
        let p = read(&LOG.replace('\n', "\r\n"));
        assert_eq!(p.functions.len(), 10);
        // A chain 2,000 imports deep keeps its stacks.
        let mut text = String::new();
        for level in (0..2000).rev() {
            text.push_str(&format!(
                "import time: 1 | {} | {}m{level}\n",
                2000 - level,
                " ".repeat(level * 2)
            ));
        }
        let p = read(&text);
        assert_eq!(p.stacks.len(), 2000);
        assert_eq!(p.stacks[0].frames.len(), 2000);
        assert!((p.functions[0].inclusive_cost - 2000e-6).abs() < 1e-12);
    }
}
