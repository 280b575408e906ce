//! Folded ("collapsed") stacks: one line per distinct call stack, frames
//! root first and separated by `;`, then whitespace and a count (docs/formats.md
//! §4). Written by py-spy `--format raw`, Brendan Gregg's `stackcollapse-*`
//! scripts, inferno's `inferno-collapse-*` and Austin.
//!
//! Choices, and why:
//!
//! - **Streaming.** Lines are read one at a time straight from the input
//!   bytes; only distinct frames and distinct stacks are kept, so memory is
//!   bounded by the model, not by the file (a 1 GB folded file of 10,000
//!   distinct stacks costs what those stacks cost).
//! - **The count** is the last whitespace-separated token, digits with an
//!   optional `.fraction` (the grammar of flamegraph.pl; fractions are kept,
//!   not truncated as inferno does). A line whose stack part also ends in a
//!   number is a *differential* line (`stack before after`); it is rejected
//!   with its line number, because a diff tool wants the two profiles.
//! - **Comments.** Lines starting with `#` are skipped. Austin writes
//!   `# key: value` metadata there, which is read: in `wall`/`cpu` mode
//!   Austin's counts are microseconds (→ [`Unit::Seconds`]), in `memory`
//!   mode bytes. flamegraph.pl would read `# a 5` as a stack; nobody writes
//!   that on purpose.
//! - **Empty stacks** (py-spy's ` 4` line: samples with no Python frame) are
//!   kept as one synthetic function `<empty stack>`, so totals still equal
//!   the file's sum of counts and percentages mean what the producer meant.
//! - **py-spy frames** `name (file:line)` become name + file. The line is
//!   where the frame was *executing* (a call site for callers), not where the
//!   function starts, so it is dropped and frames of one function at several
//!   lines merge into one function. `--nolineno` frames `name (file)` are
//!   read too. `--threads` adds a root frame `thread (<tid>)`, or
//!   `thread (<tid>): <name>` once py-spy knows the name (and `process …`
//!   with `--subprocesses`): those are kept as synthetic frames, since the
//!   user asked for the split; their ids change between runs.
//! - **Austin** stacks start `P<pid>;T<iid>:<tid>;` and frames are
//!   `file:function:line`. Austin always writes the process and thread
//!   frames and their ids differ on every run, so they are dropped (with a
//!   note) or no before/after pair would ever share a root.
//! - **Annotations** of `stackcollapse-perf` (`_[k]` kernel, `_[j]` JIT,
//!   `_[i]` inlined, `_[w]` waker) stay in the name, so labels match what
//!   other flame graph tools show; `_[k]` frames are [`FunctionKind::Builtin`]
//!   (no source file).
//! - **Costs.** Self cost goes to the leaf; inclusive cost counts a function
//!   once per stack even when it recurses; caller → callee edges carry
//!   inclusive cost, also once per stack. Counts are samples, or seconds when
//!   a sample rate is given (`cost = samples / rate`).
//!
//! The stack bookkeeping is shared with the speedscope and pprof readers
//! (`stacks.rs`).

use std::borrow::Cow;

use super::stacks::{FastMap, StackBuilder};
use crate::error::ParseError;
use crate::model::{Format, FunctionId, FunctionKind, Profile, ProfileMeta, Unit};

/// The synthetic function that holds samples with no frames (folded,
/// speedscope and pprof profiles put them there).
pub use super::stacks::EMPTY_STACK;

/// Options for reading folded stacks.
#[derive(Debug, Clone, Default)]
pub struct FoldedOptions {
    /// Samples per second the profiler took (`--sample-rate`). When set,
    /// costs are seconds (`count / rate`); otherwise they are samples.
    /// Ignored (with a note) for Austin time profiles, whose counts are
    /// already microseconds. Default: `None`.
    pub sample_rate: Option<f64>,
}

/// How many meaningful lines [`detect`] looks at.
const DETECT_LINES: usize = 20;

/// True when the first lines of `bytes` look like folded stacks: every
/// non-comment line is `frames <count>` and at least one has a frame that is
/// not a bare number (which keeps callgrind cost lines like `4 3` out).
/// `bytes` may be a prefix of the file cut anywhere.
pub fn detect(bytes: &[u8]) -> bool {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        // The last line may be cut short by the sniffing prefix; if there is
        // only one line, judge it as it is.
        Some(end) => &bytes[..end],
        None if bytes.len() >= LONG_LINE => return first_line_of_stacks(bytes),
        None => bytes,
    };
    if complete.contains(&0) {
        return false;
    }
    // The reader takes a stray invalid byte (shown as U+FFFD), so
    // detection does too.
    let text = String::from_utf8_lossy(complete);
    let mut seen = 0;
    let mut with_frames = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            if line.starts_with("# callgrind") {
                return false;
            }
            continue;
        }
        let (stack, count) = split_count(line);
        if parse_count(count).is_none() {
            return false;
        }
        if stack.contains(['=', '\t']) && !stack.contains(';') {
            // `fn=main`, `calls=2 0x…`, `key: value\t…`: not a stack.
            return false;
        }
        // Differential lines (`stack 3 4`) are accepted here, so that
        // parsing can explain why they are refused.
        if stack.split(';').any(looks_like_frame) {
            with_frames += 1;
        }
        seen += 1;
        if seen == DETECT_LINES {
            break;
        }
    }
    with_frames > 0
}

/// A line this long has no end within the sniffed bytes: deep stacks of
/// long names make such lines.
const LONG_LINE: usize = 16 * 1024;

/// Judges a first line too long to end within `bytes`: frames separated
/// by `;`, most of them frame-like, and nothing of another format's syntax
/// before the first `;`.
fn first_line_of_stacks(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    let text = String::from_utf8_lossy(bytes);
    let Some((first, _)) = text.split_once(';') else {
        return false;
    };
    if first.starts_with(['#', '{', '[']) {
        return false;
    }
    // The last frame may be cut; judge the ones before it.
    let frames: Vec<&str> = text.split(';').collect();
    let whole = &frames[..frames.len() - 1];
    whole.len() >= 2 && whole.iter().filter(|f| looks_like_frame(f)).count() * 2 > whole.len()
}

/// Parses folded stacks. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &FoldedOptions) -> Result<Profile, ParseError> {
    if let Some(rate) = options.sample_rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ParseError::at_line(
                1,
                format!("sample rate must be a positive number of samples per second, got {rate}"),
            ));
        }
    }
    let mut reader = Reader::default();
    let mut line_no = 0u64;
    for raw in bytes.split(|&b| b == b'\n') {
        line_no += 1;
        reader.line(raw, line_no)?;
    }
    reader.finish(path, options, line_no)
}

/// What a raw frame string turned into.
#[derive(Debug, Clone, Copy)]
enum FrameId {
    Function(FunctionId),
    /// Austin's process/thread root frames, dropped.
    Dropped,
}

#[derive(Default)]
struct Reader {
    builder: StackBuilder,
    /// Raw frame text → function, so each distinct frame is parsed once.
    frames: FastMap<String, FrameId>,
    stack: Vec<FunctionId>,
    /// Austin `# key: value` metadata.
    metadata: Vec<(String, String)>,
    saw_austin: bool,
    saw_pyspy: bool,
    saw_thread_frames: bool,
    saw_fraction: bool,
    empty_stacks: u64,
    lossy_lines: u64,
    lines: u64,
}

impl Reader {
    fn line(&mut self, raw: &[u8], line_no: u64) -> Result<(), ParseError> {
        // Symbol names from native profilers are not always UTF-8; replace
        // bad bytes rather than refuse the file (no copy for valid lines).
        let text = String::from_utf8_lossy(raw);
        if let Cow::Owned(_) = text {
            self.lossy_lines += 1;
        }
        let line = text.trim();
        if line.is_empty() {
            return Ok(());
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some((key, value)) = comment.trim().split_once(':') {
                let key = key.trim();
                if !key.is_empty() && !key.contains(char::is_whitespace) {
                    if key == "austin" {
                        self.saw_austin = true;
                    }
                    self.metadata
                        .push((key.to_string(), value.trim().to_string()));
                }
            }
            return Ok(());
        }
        let (stack, count_text) = split_count(line);
        // Austin's full mode writes `time,idle,memory`; the first is the metric.
        let first_metric = match count_text.split_once(',') {
            Some((first, _)) if self.saw_austin => first,
            _ => count_text,
        };
        let Some(count) = parse_count(first_metric) else {
            return Err(ParseError::at_line(
                line_no,
                format!(
                    "malformed count {count_text:?}: a folded line ends in whitespace and a \
                     non-negative number (`a;b;c 12`)"
                ),
            ));
        };
        if has_trailing_number(stack) {
            return Err(ParseError::at_line(
                line_no,
                "two counts on one line (a differential folded file, `stack before after`); \
                 give profdiff the two profiles instead",
            ));
        }
        if count.fract() != 0.0 {
            self.saw_fraction = true;
        }
        self.lines += 1;
        self.stack.clear();
        if !stack.is_empty() {
            let austin = is_austin_stack(stack);
            for (index, frame) in stack.split(';').enumerate() {
                match self.frame(frame, index, austin, line_no)? {
                    FrameId::Function(id) => self.stack.push(id),
                    FrameId::Dropped => {}
                }
            }
        }
        if self.stack.is_empty() {
            self.empty_stacks += 1;
            let id = self
                .builder
                .function(EMPTY_STACK, None, None, FunctionKind::Synthetic);
            self.stack.push(id);
        }
        self.builder.add_stack(&self.stack, count);
        Ok(())
    }

    fn frame(
        &mut self,
        frame: &str,
        index: usize,
        austin: bool,
        line_no: u64,
    ) -> Result<FrameId, ParseError> {
        if let Some(id) = self.frames.get(frame) {
            return Ok(*id);
        }
        if frame.trim().is_empty() {
            return Err(ParseError::at_line(
                line_no,
                format!("frame {} of the stack is empty", index + 1),
            ));
        }
        let id = if austin && index < 2 && is_austin_root(frame, index) {
            self.saw_austin = true;
            FrameId::Dropped
        } else if austin {
            let (name, file) = split_austin_frame(frame);
            let kind = match file {
                None => FunctionKind::Synthetic,
                Some(_) => FunctionKind::Source,
            };
            FrameId::Function(self.builder.function(name, file, None, kind))
        } else {
            let parsed = parse_frame(frame);
            match parsed.style {
                FrameStyle::PySpy => self.saw_pyspy = true,
                FrameStyle::Thread => self.saw_thread_frames = true,
                FrameStyle::Plain => {}
            }
            FrameId::Function(
                self.builder
                    .function(parsed.name, parsed.file, None, parsed.kind),
            )
        };
        self.frames.insert(frame.to_string(), id);
        Ok(id)
    }

    fn finish(
        self,
        path: &str,
        options: &FoldedOptions,
        lines: u64,
    ) -> Result<Profile, ParseError> {
        if self.lines == 0 {
            return Err(ParseError::at_line(
                lines.max(1),
                "no stack lines found (expected `frame;frame;… count` lines)",
            ));
        }
        let mut notes = Vec::new();
        let metadata = |key: &str| {
            self.metadata
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let austin_mode = if self.saw_austin {
            metadata("mode")
        } else {
            None
        };
        let (unit, scale, precision) = match austin_mode {
            Some("wall" | "cpu" | "full") => {
                if options.sample_rate.is_some() {
                    notes.push(
                        "ignored the sample rate: Austin's time counts are already microseconds"
                            .to_string(),
                    );
                }
                (Unit::Seconds, 1e-6, Some(1e-6))
            }
            Some("memory") => (Unit::Event("bytes".to_string()), 1.0, None),
            _ => match options.sample_rate {
                Some(rate) => (Unit::Seconds, 1.0 / rate, Some(1.0 / rate)),
                None => (Unit::Samples, 1.0, (!self.saw_fraction).then_some(1.0)),
            },
        };
        if self.saw_austin {
            notes.push(
                "dropped Austin's process and thread root frames (P…;T…): their ids change \
                 between runs"
                    .to_string(),
            );
            if austin_mode == Some("full") {
                notes.push("Austin full mode: read the first metric (time) of each line".into());
            }
        }
        if self.saw_pyspy {
            notes.push(
                "frame lines are where each frame was executing, not where its function \
                 starts; functions are identified by name and file"
                    .to_string(),
            );
        }
        if self.saw_thread_frames {
            notes.push(
                "stacks start with thread/process frames (py-spy --threads); their ids \
                 change between runs, so record without --threads to compare runs"
                    .to_string(),
            );
        }
        if self.empty_stacks > 0 {
            notes.push(format!(
                "{} line(s) had an empty stack; their samples are under `{EMPTY_STACK}`",
                self.empty_stacks
            ));
        }
        if self.lossy_lines > 0 {
            notes.push(format!(
                "{} line(s) were not valid UTF-8; bad bytes were replaced with U+FFFD",
                self.lossy_lines
            ));
        }
        let producer = if self.saw_austin {
            Some(match metadata("austin") {
                Some(version) => format!("austin {version}"),
                None => "austin".to_string(),
            })
        } else if self.saw_pyspy {
            Some("py-spy".to_string())
        } else {
            None
        };
        let meta = ProfileMeta {
            path: path.to_string(),
            format: Format::Folded,
            unit,
            precision,
            producer,
            notes,
        };
        Ok(self.builder.finish(meta, scale))
    }
}

/// Splits `line` (already trimmed) at its last space or tab: the stack part
/// (trimmed) and the count token. A line without whitespace is all count.
fn split_count(line: &str) -> (&str, &str) {
    match line.rfind([' ', '\t']) {
        Some(at) => (line[..at].trim_end(), &line[at + 1..]),
        None => ("", line),
    }
}

/// True when `stack` ends in whitespace and a number: the first count of a
/// differential line.
fn has_trailing_number(stack: &str) -> bool {
    match stack.rfind([' ', '\t']) {
        Some(at) => is_number(&stack[at + 1..]),
        None => false,
    }
}

/// A frame has something besides numbers: callgrind's cost lines
/// (`4 3`, `+2 7 0`, `0x1f0a 5`, `* 12`) have nothing else.
fn looks_like_frame(frame: &str) -> bool {
    frame.split_whitespace().any(|token| {
        let token = token.trim_start_matches(['+', '-']);
        let hex = token
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        !(hex || token == "*" || is_number(token))
    })
}

fn is_number(token: &str) -> bool {
    parse_count(token).is_some()
}

/// `123`, `12.5`, `12.`: digits with an optional fraction, as flamegraph.pl
/// accepts. No sign, no exponent.
fn parse_count(token: &str) -> Option<f64> {
    let bytes = token.as_bytes();
    let int_end = bytes
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(bytes.len());
    if int_end == 0 {
        return None;
    }
    if int_end == bytes.len() && int_end <= 15 {
        // Fast path: integers of up to 15 digits are exact in an f64.
        let mut value = 0u64;
        for &digit in bytes {
            value = value * 10 + u64::from(digit - b'0');
        }
        return Some(value as f64);
    }
    let rest = &bytes[int_end..];
    let fraction_ok =
        rest.is_empty() || (rest[0] == b'.' && rest[1..].iter().all(u8::is_ascii_digit));
    if !fraction_ok {
        return None;
    }
    token.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Austin stacks start with `P<pid>;T…`.
fn is_austin_stack(stack: &str) -> bool {
    let first = stack.split(';').next().unwrap_or_default();
    is_austin_root(first, 0)
}

/// `P<pid>` at index 0, `T<tid>` or `T<iid>:<tid>` (decimal or hex) at 1.
fn is_austin_root(frame: &str, index: usize) -> bool {
    match (index, frame.as_bytes()) {
        (0, [b'P', rest @ ..]) => !rest.is_empty() && rest.iter().all(u8::is_ascii_digit),
        (1, [b'T', rest @ ..]) => {
            !rest.is_empty()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'x'))
        }
        _ => false,
    }
}

/// Austin frame `file:function:line` → (function, file). The file may contain
/// `:` (`C:\…`), the function name and line do not, so split from the
/// right. Austin writes `:INVALID:` for a sample it could not read: no file,
/// no line.
fn split_austin_frame(frame: &str) -> (&str, Option<&str>) {
    let without_line = match frame.rsplit_once(':') {
        Some((rest, line)) if line.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => frame,
    };
    match without_line.rsplit_once(':') {
        Some((file, name)) if !name.is_empty() => (name, (!file.is_empty()).then_some(file)),
        _ => (without_line, None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameStyle {
    PySpy,
    Thread,
    Plain,
}

#[derive(Debug)]
struct ParsedFrame<'a> {
    name: &'a str,
    file: Option<&'a str>,
    kind: FunctionKind,
    style: FrameStyle,
}

/// Reads one non-Austin frame: py-spy's `name (file:line)` / `name (file)`,
/// py-spy's `thread (0x…)` / `process …` roots, or a plain name.
fn parse_frame(frame: &str) -> ParsedFrame<'_> {
    let plain = |kind| ParsedFrame {
        name: frame,
        file: None,
        kind,
        style: FrameStyle::Plain,
    };
    if is_thread_frame(frame) {
        return ParsedFrame {
            name: frame,
            file: None,
            kind: FunctionKind::Synthetic,
            style: FrameStyle::Thread,
        };
    }
    if let Some(inner_start) = frame.rfind(" (").filter(|_| frame.ends_with(')')) {
        let name = &frame[..inner_start];
        let inner = &frame[inner_start + 2..frame.len() - 1];
        if !name.is_empty() {
            if let Some((file, line)) = inner.rsplit_once(':') {
                if !file.is_empty() && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit())
                {
                    return ParsedFrame {
                        name,
                        file: Some(file),
                        kind: FunctionKind::Source,
                        style: FrameStyle::PySpy,
                    };
                }
            }
            // `--nolineno`: `name (file)`; only when it looks like a path, so
            // `foo (inlined)` stays a name.
            let looks_like_path = !inner.is_empty()
                && !inner.contains(' ')
                && (inner.contains(['/', '\\'])
                    || inner.ends_with(".py")
                    || inner.starts_with('<'));
            if looks_like_path {
                return ParsedFrame {
                    name,
                    file: Some(inner),
                    kind: FunctionKind::Source,
                    style: FrameStyle::PySpy,
                };
            }
        }
    }
    if frame.starts_with("process ")
        && frame["process ".len()..].starts_with(|c: char| c.is_ascii_digit())
    {
        return ParsedFrame {
            name: frame,
            file: None,
            kind: FunctionKind::Synthetic,
            style: FrameStyle::Thread,
        };
    }
    if frame.ends_with("_[k]") {
        return plain(FunctionKind::Builtin);
    }
    plain(FunctionKind::Source)
}

/// py-spy `--threads` roots: `thread (28045)`, `thread (0x7f01)`, or with
/// the thread's name once py-spy knows it, `thread (28045): MainThread`.
fn is_thread_frame(frame: &str) -> bool {
    let Some((id, rest)) = frame
        .strip_prefix("thread (")
        .and_then(|rest| rest.split_once(')'))
    else {
        return false;
    };
    is_thread_id(id) && (rest.is_empty() || rest.starts_with(": "))
}

fn is_thread_id(text: &str) -> bool {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Function;

    fn parse_str(text: &str) -> Profile {
        parse(text.as_bytes(), "t.folded", &FoldedOptions::default()).unwrap()
    }

    fn by_name<'a>(profile: &'a Profile, name: &str) -> &'a Function {
        profile
            .functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no function {name}"))
    }

    #[test]
    fn recursion_counts_once_for_inclusive() {
        let p = parse_str("main;fib;fib;fib 3\nmain;fib 2\nmain;other 1\n");
        assert_eq!(by_name(&p, "main").inclusive_cost, 6.0);
        assert_eq!(by_name(&p, "fib").inclusive_cost, 5.0);
        assert_eq!(by_name(&p, "fib").self_cost, 5.0);
        assert_eq!(p.total_cost(), 6.0);
        let fib = p.functions.iter().position(|f| f.name == "fib").unwrap();
        let recursive = p
            .edges
            .iter()
            .find(|e| e.caller == fib && e.callee == fib)
            .unwrap();
        assert_eq!(recursive.inclusive_cost(), Some(3.0));
        assert_eq!(p.meta.unit, Unit::Samples);
    }

    #[test]
    fn pyspy_frames_merge_lines_and_keep_files() {
        let p = parse_str(
            "<module> (w.py:73);fib (w.py:21);fib (w.py:19) 2\n<module> (w.py:73);fib (w.py:20) 1\n 4\n",
        );
        let fib = by_name(&p, "fib");
        assert_eq!(fib.file.as_deref(), Some("w.py"));
        assert_eq!(fib.line, None);
        assert_eq!(fib.inclusive_cost, 3.0);
        assert_eq!(by_name(&p, EMPTY_STACK).self_cost, 4.0);
        assert_eq!(p.meta.producer.as_deref(), Some("py-spy"));
        assert_eq!(p.stacks.len(), 3);
    }

    #[test]
    fn austin_roots_are_dropped_and_time_is_microseconds() {
        let text = "# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;w.py:main:3;C:\\x\\y.py:f:9 1500\nP1;T0:1 500\nP1;T0:1;:INVALID: 7\n";
        let p = parse_str(text);
        assert_eq!(p.meta.unit, Unit::Seconds);
        let f = by_name(&p, "f");
        assert_eq!(f.file.as_deref(), Some("C:\\x\\y.py"));
        assert!((f.self_cost - 0.0015).abs() < 1e-12);
        assert!((p.total_cost() - 0.002007).abs() < 1e-12);
        assert_eq!(by_name(&p, "INVALID").kind, FunctionKind::Synthetic);
        assert!(p.functions.iter().all(|f| !f.name.starts_with('P')));
    }

    #[test]
    fn sample_rate_gives_seconds() {
        let p = parse(
            b"a;b 50\n",
            "x",
            &FoldedOptions {
                sample_rate: Some(100.0),
            },
        )
        .unwrap();
        assert_eq!(p.meta.unit, Unit::Seconds);
        assert_eq!(by_name(&p, "b").self_cost, 0.5);
    }

    #[test]
    fn fractions_annotations_and_threads() {
        let p = parse_str(
            "thread (0x7f01);main 1.5\nthread (42): MainThread;main 1\nperl;do_syscall_64_[k] 2\n",
        );
        assert_eq!(
            by_name(&p, "thread (42): MainThread").kind,
            FunctionKind::Synthetic
        );
        assert_eq!(by_name(&p, "main").self_cost, 2.5);
        assert_eq!(by_name(&p, "thread (0x7f01)").kind, FunctionKind::Synthetic);
        assert_eq!(by_name(&p, "do_syscall_64_[k]").kind, FunctionKind::Builtin);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_noted() {
        let p = parse(b"main;f\xff 2\n", "x", &FoldedOptions::default()).unwrap();
        assert_eq!(by_name(&p, "f\u{fffd}").self_cost, 2.0);
        assert!(p.meta.notes.iter().any(|n| n.contains("not valid UTF-8")));
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse(b"a;b 1\na;b x1\n", "x", &FoldedOptions::default()).unwrap_err();
        assert_eq!(error.position, crate::error::Position::Line(2));
        let error = parse(b"a;b 1 2\n", "x", &FoldedOptions::default()).unwrap_err();
        assert!(error.message.contains("differential"), "{error}");
        let error = parse(b"a;;b 1\n", "x", &FoldedOptions::default()).unwrap_err();
        assert!(error.message.contains("empty"), "{error}");
        assert!(parse(b"\n\n", "x", &FoldedOptions::default()).is_err());
    }

    #[test]
    fn detection() {
        assert!(detect(b"a;b;c 12\na;b 3\n"));
        assert!(detect(b"<module> (w.py:1);f (w.py:2) 1\n 4\n"));
        assert!(detect(
            b"# austin: 3.7.0\n# mode: wall\n\nP1;T0:1;w.py:main:3 10\n"
        ));
        assert!(detect(b"main 12\nmain;f 3\nmain;g 4"));
        assert!(!detect(b"# callgrind format\nevents: Ir\nfn=main\n4 3\n"));
        assert!(!detect(b"4 3\n5 6\n+1 2 0\n0x1f0a 5\n* 12\n"));
        assert!(
            detect(b"a;b 3 4\n"),
            "differential: detected, refused by parse"
        );
        assert!(!detect(b"         149 function calls in 0.000 seconds\n"));
        assert!(!detect(b"\x0a\x04\x08\x01\x10\x02"));
        assert!(!detect(b"{\"a\": 1}\n"));
    }
}
