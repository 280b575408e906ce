//! Alignment: which function of one profile is "the same function" in the
//! other, and the stable key that names it.
//!
//! Two profiles of the same program differ in ways that have nothing to do
//! with performance: they were recorded on different machines (a laptop venv
//! against an AWS Lambda deployment), code was edited so line numbers moved,
//! a library was upgraded. Alignment looks through those differences, and the
//! key it produces is stable enough to be committed in snapshot files and
//! named in `--include` filters.
//!
//! # Keys
//!
//! Every function gets a key, chosen by what the profile knows about it:
//!
//! | function | key | example |
//! |---|---|---|
//! | has a source file | `<normalised file>:<name>` | `botocore/session.py:create_client` |
//! | no file, has an object (callgrind `ob=`) | `<object basename>:<name>` | `libc.so.6:malloc` |
//! | builtin (pstats' `~` or `""` file) | pstats' braces | `{built-in method builtins.len}` |
//! | synthetic | pstats' string, as is | `profile:0(profiler)` |
//! | none of the above | the name | `main`, `do_syscall_64_[k]` |
//!
//! Builtins are written the way pstats prints them: a cProfile name wrapped in
//! `<…>` becomes `{…}` (`<method 'get' of 'dict' objects>` →
//! `{method 'get' of 'dict' objects}`, Python 2.7's `<len>` → `{len}`). The
//! pure-Python `profile` module records builtins as `("", 0, "len")`, which
//! pstats would print as `:0(len)`; we key (and display) them as `{len}`
//! instead, so that every builtin has the same shape, no key carries a
//! meaningless line `0`, and `profile` and Python 2.7 cProfile agree. A name
//! already in braces is kept. Callgrind files converted from cProfile
//! (pyprof2calltree, `fl=~`) key their builtins the same way, so the two
//! formats align. A builtin recorded without any file (a `_[k]` kernel frame
//! in folded stacks, a C function callgrind has no file or object for) did
//! not come from pstats and keeps its plain name, unless it is a `<…>` name.
//! A file of `""`, `~` (cProfile's builtins) or `???` (valgrind's unknown
//! file) is "no file". Memory addresses, which cProfile prints in some builtin
//! names and differ on every run, are left out of the key:
//! `<built-in method __new__ of type object at 0x7f52…>` and
//! `<function socket.close at 0x7f7a…>` key as
//! `{built-in method __new__ of type object}` and `{function socket.close}`
//! (the display keeps them; two such builtins left identical are numbered
//! like any other repeated name).
//!
//! The line is never part of a key: lines move whenever code above a function
//! is edited (`handler.py:8(handler)` becomes `handler.py:10(handler)`), and
//! that must not turn one function into a removed and an added one.
//!
//! When a name occurs more than once in one file on either side (`__init__`
//! of several classes, `<lambda>`, `<genexpr>`), the rows of that name in that
//! file get `#1`, `#2`, … in line order of the aligned sequence
//! (`shapes.py:__init__#1`, `shapes.py:__init__#2`). Keys are unique across a
//! whole alignment; should two still coincide (only possible with odd names
//! containing `:` or `#`), the later one, in output order, gets `@2`, `@3`, ….
//!
//! # Path normalisation
//!
//! A file path is normalised by these rules, in this order:
//!
//! 1. Backslashes become `/`, so Windows profiles compare with POSIX ones.
//! 2. The user's `--strip-prefix` directories are removed, longest first, and
//!    only on a whole-component boundary (`/build` strips `/build/app.py`, not
//!    `/builder/app.py`).
//! 3. Everything up to and including the last `/site-packages/` or
//!    `/dist-packages/` is removed (and an `*.egg/` directory right after it,
//!    which would carry a version): an installed package is named by its
//!    import path, wherever the venv lives.
//! 4. Otherwise the standard library's directory is removed: up to and
//!    including `lib/pythonX.Y/` (also `lib64/`, free-threaded `pythonX.Yt`,
//!    `lib/pypyX.Y/`, PyPy's `lib-python/N/`, and, for Windows paths only,
//!    `Lib/`), so `/usr/lib/python3.11/json/decoder.py` and
//!    `/var/lang/lib/python3.12/json/decoder.py` are both `json/decoder.py`.
//! 5. The profile's own root: among the profile's absolute paths that no rule
//!    above shortened, the longest common directory prefix (whole components)
//!    is removed; with a single such file, its directory. The application's
//!    code is then named relative to wherever it was deployed:
//!    `/Users/me/app/handler.py` and `/var/task/handler.py` are both
//!    `handler.py`, and `/var/task/botocore/session.py` (a Lambda package that
//!    vendors its libraries without a `site-packages`) is
//!    `botocore/session.py`, like the venv's copy. The root is computed once
//!    per profile, from its distinct files, so it does not depend on order.
//!    Relative paths and markers (`<frozen importlib._bootstrap>`, `<string>`)
//!    are left alone.
//! 6. A leading `./` is removed.
//!
//! The root rule is a heuristic: code from two unrelated trees in one profile
//! (say an editable install outside the venv) shortens the root to their
//! common ancestor. `--strip-prefix` is the remedy then.
//!
//! # Matching
//!
//! Functions are grouped by the part of the key before the name (the
//! normalised file, the object, or nothing). Within a group:
//!
//! * If no name repeats on either side, functions pair by name.
//! * Otherwise each side is sorted by line, and the two sequences of names are
//!   diffed (patience diff from `similar`), so that a function inserted or
//!   deleted in the middle does not shift every later pair. Equal runs pair.
//!   Among the leftovers, a name that occurs exactly once on each side pairs
//!   too: that is a function that moved past another. Everything else is
//!   removed (base only) or added (new only).
//!
//! Where names alone cannot tell which duplicate is which, the diff prefers
//! to keep a duplicate next to the function that *follows* it: the sequences
//! are diffed back to front. The commonest duplicate in a module is
//! `__init__`, which opens its class, so when a class is inserted between two
//! others it is the inserted class's `__init__` that comes out as added, not
//! the next class's. Diff hooks are used directly rather than
//! `capture_diff_slices`, whose compaction step may slide an insertion across
//! equal names and undo that choice.
//!
//! Output rows are ordered by group (the key prefix, as a string; unprefixed
//! keys last); within a group, in aligned line order when a name repeats,
//! otherwise the base's functions in line order followed by the added ones.
//! Everything is deterministic. Work is linear in the number of functions
//! apart from sorting within a group and the diff, which only runs on groups
//! that have a repeated name.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::hash::BuildHasher;
use std::iter;

use similar::algorithms::{diff_slices, DiffHook};
use similar::Algorithm;

use crate::model::{Function, FunctionId, FunctionKind, Profile};

/// Options for path normalisation and alignment.
#[derive(Debug, Clone, Default)]
pub struct AlignOptions {
    /// Directories to strip from the start of file paths (`--strip-prefix`).
    pub strip_prefixes: Vec<String>,
}

/// One row of an alignment: the same function in both profiles, or in one only.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// Normalised, line-free key, unique within the alignment.
    pub key: String,
    /// The function in the base profile, when present there.
    pub base: Option<FunctionId>,
    /// The function in the new profile, when present there.
    pub new: Option<FunctionId>,
}

/// Aligns the functions of two profiles. Every function of both profiles
/// appears in exactly one row.
pub fn align(base: &Profile, new: &Profile, opts: &AlignOptions) -> Vec<Aligned> {
    let rules = PathRules::new(opts);
    let base = Side::new(base, &rules);
    let new = Side::new(new, &rules);
    align_sides(&base, &new)
}

/// The key of every function of one profile (index = [`FunctionId`]): the
/// keys [`align`] gives when the other profile is identical.
pub fn keys(profile: &Profile, opts: &AlignOptions) -> Vec<String> {
    let rules = PathRules::new(opts);
    let side = Side::new(profile, &rules);
    let mut keys = vec![String::new(); profile.functions.len()];
    for row in align_sides(&side, &side) {
        if let Some(id) = row.base {
            keys[id] = row.key;
        }
    }
    keys
}

/// Per function, the normalised file its key uses: `None` for builtins and
/// functions without a file (or keyed by object). Synthetic entries keep
/// their file as recorded (`profile`).
pub fn normalized_files(profile: &Profile, opts: &AlignOptions) -> Vec<Option<String>> {
    let rules = PathRules::new(opts);
    let classes: Vec<KeyClass> = profile.functions.iter().map(key_class).collect();
    let table = FileTable::new(&profile.functions, &classes, &rules);
    profile
        .functions
        .iter()
        .zip(&classes)
        .zip(&table.of_function)
        .map(|((function, class), file)| match (class, file) {
            (KeyClass::File, Some(index)) => Some(table.names[*index as usize].clone()),
            (KeyClass::Synthetic, _) => function.file.clone().filter(|f| !f.is_empty()),
            _ => None,
        })
        .collect()
}

/// A pstats-like label: `file:line(name)` with the normalised file
/// (`botocore/session.py:1014(create_client)`), `file(name)` when `line` is
/// unknown, `{built-in method builtins.len}` for builtins, `libc.so.6:malloc`
/// for functions known only by their object, and pstats' own string for
/// synthetic entries (`profile:0(profiler)`).
pub fn display_name(
    function: &Function,
    normalized_file: Option<&str>,
    line: Option<u32>,
) -> String {
    let name = &function.name;
    match key_class(function) {
        KeyClass::File => {
            let file = normalized_file
                .filter(|f| !f.is_empty())
                .or(function.file.as_deref())
                .unwrap_or_default();
            file_line_name(file, line, name)
        }
        KeyClass::Synthetic => {
            match normalized_file
                .or(function.file.as_deref())
                .filter(|f| !f.is_empty())
            {
                Some(file) => file_line_name(file, line, name),
                None => name.clone(),
            }
        }
        KeyClass::Object => format!(
            "{}:{name}",
            object_basename(function.object.as_deref().unwrap_or_default())
        ),
        KeyClass::Builtin => builtin_label(function).into_owned(),
        KeyClass::Bare => name.clone(),
    }
}

fn file_line_name(file: &str, line: Option<u32>, name: &str) -> String {
    match line {
        Some(line) => format!("{file}:{line}({name})"),
        None => format!("{file}({name})"),
    }
}

/// Which kind of key a function gets; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    File,
    Object,
    Builtin,
    Synthetic,
    Bare,
}

fn key_class(function: &Function) -> KeyClass {
    if function.kind == FunctionKind::Synthetic {
        return KeyClass::Synthetic;
    }
    if function.file.as_deref().is_some_and(is_real_file) {
        return KeyClass::File;
    }
    if function.object.as_deref().is_some_and(|o| !o.is_empty()) {
        return KeyClass::Object;
    }
    // `~` is pstats' own test for a builtin; trust it even if a parser did not.
    if function.kind == FunctionKind::Builtin || function.file.as_deref() == Some("~") {
        return KeyClass::Builtin;
    }
    KeyClass::Bare
}

/// `""` (profile module builtins), `~` (cProfile builtins) and `???`
/// (valgrind's unknown file) say "no file"; anything else is one.
fn is_real_file(file: &str) -> bool {
    !matches!(file, "" | "~" | "???")
}

/// `<built-in method builtins.len>` → `{built-in method builtins.len}`,
/// `{len}` stays, and the profile module's `("", 0, "len")` → `{len}`. A
/// builtin with no file at all is not from pstats (a kernel frame in folded
/// stacks, a C function without debug info): its name is kept as is.
fn builtin_label(function: &Function) -> Cow<'_, str> {
    let name = function.name.as_str();
    if name.len() >= 2 && name.starts_with('{') && name.ends_with('}') {
        Cow::Borrowed(name)
    } else if name.len() >= 2 && name.starts_with('<') && name.ends_with('>') {
        Cow::Owned(format!("{{{}}}", &name[1..name.len() - 1]))
    } else if function.file.is_some() {
        Cow::Owned(format!("{{{name}}}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Removes memory addresses, which change from run to run:
/// `{built-in method __new__ of type object at 0x7f52…}` →
/// `{built-in method __new__ of type object}`,
/// `{function socket.close at 0x7f52…}` → `{function socket.close}`.
fn strip_addresses(label: Cow<'_, str>) -> Cow<'_, str> {
    const AT: &str = " at 0x";
    if !label.contains(AT) {
        return label;
    }
    let mut out = String::with_capacity(label.len());
    let mut rest = &*label;
    while let Some(at) = rest.find(AT) {
        let after = &rest[at + AT.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 0 {
            // Not an address after all: keep the text and look further.
            out.push_str(&rest[..at + AT.len()]);
        } else {
            out.push_str(&rest[..at]);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The file name of a shared object: `/usr/lib/libc.so.6` → `libc.so.6`.
fn object_basename(object: &str) -> &str {
    object
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty())
        .unwrap_or(object)
}

/// The path rules that do not depend on the rest of the profile (1–4).
struct PathRules {
    /// `--strip-prefix` values with `/` separators and no trailing `/`,
    /// longest first so that nested prefixes strip as much as they can.
    strip: Vec<String>,
}

impl PathRules {
    fn new(opts: &AlignOptions) -> Self {
        let mut strip: Vec<String> = opts
            .strip_prefixes
            .iter()
            .filter(|prefix| !prefix.is_empty())
            // `/` becomes "": it then strips the leading `/` of absolute paths.
            .map(|prefix| prefix.replace('\\', "/").trim_end_matches('/').to_string())
            .collect();
        strip.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        strip.dedup();
        PathRules { strip }
    }

    /// Rules 1–4. Returns the path and whether a rule shortened it (rule 5
    /// only looks at paths none did).
    fn apply(&self, raw: &str) -> (String, bool) {
        let windows = raw.contains('\\') || has_drive(raw);
        let path = raw.replace('\\', "/");
        let mut rest = path.as_str();
        let mut shortened = false;
        if let Some(stripped) = self
            .strip
            .iter()
            .find_map(|prefix| strip_dir_prefix(rest, prefix))
        {
            rest = stripped;
            shortened = true;
        }
        if let Some(stripped) = after_packages_dir(rest).or_else(|| after_stdlib_dir(rest, windows))
        {
            rest = stripped;
            shortened = true;
        }
        (rest.to_string(), shortened)
    }
}

/// `path` without `prefix/`, when `prefix` is a whole-component prefix and
/// something remains.
fn strip_dir_prefix<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?.strip_prefix('/')?;
    (!rest.is_empty()).then_some(rest)
}

/// Rule 3: the import path of an installed package.
fn after_packages_dir(path: &str) -> Option<&str> {
    let rest = after_last_component(path, |_, dir| {
        dir == "site-packages" || dir == "dist-packages"
    })?;
    // `site-packages/foo-1.0-py3.11.egg/foo/x.py`: the egg directory carries a
    // version, which must not end up in the key.
    Some(match rest.split_once('/') {
        Some((egg, inner)) if egg.ends_with(".egg") && !inner.is_empty() => inner,
        _ => rest,
    })
}

/// Rule 4: a path inside the standard library.
fn after_stdlib_dir(path: &str, windows: bool) -> Option<&str> {
    after_last_component(path, |parent, dir| {
        let unix = match parent {
            Some("lib" | "lib64") => is_python_version_dir(dir),
            Some("lib-python") => is_digits(dir),
            _ => false,
        };
        // `C:\Python311\Lib\json\decoder.py`; only for Windows paths, where
        // the capitalised name is the interpreter's own.
        unix || (windows && dir == "Lib")
    })
}

/// The part of `path` after the last directory component for which
/// `is_marker(parent component, component)` holds; `None` if there is none or
/// nothing follows it.
fn after_last_component(
    path: &str,
    is_marker: impl Fn(Option<&str>, &str) -> bool,
) -> Option<&str> {
    let mut cut = None;
    let mut parent = None;
    let mut start = 0;
    for component in path.split('/') {
        let end = start + component.len();
        // Only directories: the component must be followed by a `/`.
        if end < path.len() && is_marker(parent, component) {
            cut = Some(end + 1);
        }
        parent = Some(component);
        start = end + 1;
    }
    cut.map(|cut| &path[cut..]).filter(|rest| !rest.is_empty())
}

/// `python3.11`, `python3.13t`, `python2.7`, `pypy3.10`.
fn is_python_version_dir(dir: &str) -> bool {
    let Some(version) = dir
        .strip_prefix("python")
        .or_else(|| dir.strip_prefix("pypy"))
    else {
        return false;
    };
    let version = version.strip_suffix('t').unwrap_or(version);
    version
        .split_once('.')
        .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `C:` followed by a separator (or nothing).
fn has_drive(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes.get(2).is_none_or(|&b| b == b'/' || b == b'\\')
}

/// Absolute after rule 1: POSIX root, UNC (`//server`), or a drive.
fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || has_drive(path)
}

/// Length of the longest common directory prefix (ending in `/`) of `paths`;
/// 0 for none.
fn common_root_len<'p>(paths: impl Iterator<Item = &'p str>) -> usize {
    let mut root: Option<&str> = None;
    for path in paths {
        let dir = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
        let common = match root {
            None => dir,
            Some(root) => {
                let same = root
                    .bytes()
                    .zip(dir.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                // Back to a component boundary; `/` is ASCII, so this is a
                // char boundary too.
                let cut = root.as_bytes()[..same]
                    .iter()
                    .rposition(|&b| b == b'/')
                    .map_or(0, |slash| slash + 1);
                &root[..cut]
            }
        };
        if common.is_empty() {
            return 0;
        }
        root = Some(common);
    }
    root.map_or(0, str::len)
}

/// The normalised files of one profile: each distinct recorded file is
/// normalised once, and the profile's root is computed once.
struct FileTable {
    /// Normalised file per distinct recorded file.
    names: Vec<String>,
    /// Per function, the index into `names` (file-keyed functions only).
    of_function: Vec<Option<u32>>,
}

impl FileTable {
    fn new(functions: &[Function], classes: &[KeyClass], rules: &PathRules) -> Self {
        let mut index: FxMap<&str, u32> = FxMap::default();
        let mut raw: Vec<&str> = Vec::new();
        let mut last: Option<(&str, u32)> = None;
        let of_function = functions
            .iter()
            .zip(classes)
            .map(|(function, class)| {
                if *class != KeyClass::File {
                    return None;
                }
                let file = function.file.as_deref()?;
                // Parsers tend to emit a file's functions together; comparing
                // with the previous file is cheaper than hashing the path.
                if let Some((last, id)) = last {
                    if last == file {
                        return Some(id);
                    }
                }
                let id = *index.entry(file).or_insert_with(|| {
                    raw.push(file);
                    (raw.len() - 1) as u32
                });
                last = Some((file, id));
                Some(id)
            })
            .collect();

        let staged: Vec<(String, bool)> = raw.iter().map(|file| rules.apply(file)).collect();
        let is_rooted = |(path, shortened): &(String, bool)| !*shortened && is_absolute(path);
        let root_len = common_root_len(
            staged
                .iter()
                .filter(|s| is_rooted(s))
                .map(|(path, _)| path.as_str()),
        );
        let names = staged
            .iter()
            .zip(&raw)
            .map(|(staged, raw)| {
                let mut path = staged.0.as_str();
                if is_rooted(staged) {
                    path = &path[root_len..];
                }
                while let Some(rest) = path.strip_prefix("./") {
                    path = rest;
                }
                // A degenerate path (`./`) keeps its recorded form rather
                // than an empty file.
                if path.is_empty() {
                    raw.replace('\\', "/")
                } else {
                    path.to_string()
                }
            })
            .collect();
        FileTable { names, of_function }
    }
}

/// The part of a key before the name.
#[derive(Debug, Clone, Copy)]
enum Prefix<'a> {
    None,
    File(u32),
    Object(&'a str),
}

/// One profile prepared for alignment.
struct Side<'a> {
    functions: &'a [Function],
    files: FileTable,
    prefixes: Vec<Prefix<'a>>,
    /// The key's part after the prefix: the name, or the whole key for
    /// builtins, synthetic and bare functions.
    labels: Vec<Cow<'a, str>>,
    /// Hash of each label, so that groups pair by sorting integers rather
    /// than strings.
    hashes: Vec<u64>,
    /// Functions whose label contains `#`, or `:` without a prefix.
    risky: Vec<FunctionId>,
    /// Per function, its line + 1, or 0 when unknown: a compact copy, since
    /// groups visit functions in scattered order and a `Function` is large.
    lines: Vec<u32>,
}

impl<'a> Side<'a> {
    fn new(profile: &'a Profile, rules: &PathRules) -> Self {
        let functions = profile.functions.as_slice();
        let classes: Vec<KeyClass> = functions.iter().map(key_class).collect();
        let files = FileTable::new(functions, &classes, rules);
        // One pass, so each function and its name are visited once.
        let count = functions.len();
        let mut prefixes = Vec::with_capacity(count);
        let mut labels = Vec::with_capacity(count);
        let mut hashes = Vec::with_capacity(count);
        let mut lines = Vec::with_capacity(count);
        let mut risky = Vec::new();
        for (id, ((function, class), file)) in functions
            .iter()
            .zip(&classes)
            .zip(&files.of_function)
            .enumerate()
        {
            let name = function.name.as_str();
            let (prefix, label) = match class {
                KeyClass::File => (file.map_or(Prefix::None, Prefix::File), Cow::Borrowed(name)),
                KeyClass::Object => (
                    Prefix::Object(object_basename(
                        function.object.as_deref().unwrap_or_default(),
                    )),
                    Cow::Borrowed(name),
                ),
                KeyClass::Builtin => (Prefix::None, strip_addresses(builtin_label(function))),
                KeyClass::Synthetic => (
                    Prefix::None,
                    Cow::Owned(display_name(function, None, function.line)),
                ),
                KeyClass::Bare => (Prefix::None, Cow::Borrowed(name)),
            };
            // A label that could spell another row's key (see
            // `collisions_possible`); almost never.
            if label.contains('#') || (matches!(prefix, Prefix::None) && label.contains(':')) {
                risky.push(id);
            }
            hashes.push(hash_str(&label));
            lines.push(function.line.map_or(0, |line| line.saturating_add(1)));
            prefixes.push(prefix);
            labels.push(label);
        }
        Side {
            functions,
            files,
            prefixes,
            labels,
            hashes,
            risky,
            lines,
        }
    }

    fn label(&self, id: FunctionId) -> &str {
        &self.labels[id]
    }

    /// Sort key for "line order": unknown lines first, like `Option`'s order.
    fn line(&self, id: FunctionId) -> u32 {
        self.lines[id]
    }

    /// The group of every function, interning prefixes shared with the other
    /// side. Files are interned once per distinct file, not per function.
    fn groups<'s>(&'s self, interner: &mut Interner<'s>) -> Vec<u32> {
        let mut file_groups: Vec<Option<u32>> = vec![None; self.files.names.len()];
        self.prefixes
            .iter()
            .map(|prefix| match *prefix {
                Prefix::None => interner.intern(""),
                Prefix::File(file) => *file_groups[file as usize]
                    .get_or_insert_with(|| interner.intern(&self.files.names[file as usize])),
                Prefix::Object(object) => interner.intern(object),
            })
            .collect()
    }
}

#[derive(Default)]
struct Interner<'s> {
    ids: FxMap<&'s str, u32>,
    names: Vec<&'s str>,
}

impl<'s> Interner<'s> {
    fn intern(&mut self, name: &'s str) -> u32 {
        *self.ids.entry(name).or_insert_with(|| {
            self.names.push(name);
            (self.names.len() - 1) as u32
        })
    }
}

/// Function ids bucketed by group (a counting sort, so ids stay in order).
struct Buckets {
    starts: Vec<usize>,
    ids: Vec<FunctionId>,
}

impl Buckets {
    fn new(groups: &[u32], group_count: usize) -> Self {
        let mut starts = vec![0; group_count + 1];
        for &group in groups {
            starts[group as usize + 1] += 1;
        }
        for g in 0..group_count {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut ids = vec![0; groups.len()];
        for (id, &group) in groups.iter().enumerate() {
            ids[next[group as usize]] = id;
            next[group as usize] += 1;
        }
        Buckets { starts, ids }
    }

    fn get(&self, group: usize) -> &[FunctionId] {
        &self.ids[self.starts[group]..self.starts[group + 1]]
    }
}

/// A row before it has a key: base id, new id.
type Row = (Option<FunctionId>, Option<FunctionId>);

fn align_sides(base: &Side<'_>, new: &Side<'_>) -> Vec<Aligned> {
    let mut interner = Interner::default();
    let base_groups = base.groups(&mut interner);
    let new_groups = new.groups(&mut interner);
    let group_count = interner.names.len();
    let base_buckets = Buckets::new(&base_groups, group_count);
    let new_buckets = Buckets::new(&new_groups, group_count);

    let mut order: Vec<usize> = (0..group_count).collect();
    // Unprefixed keys (builtins, synthetic, bare names) last: they are the
    // odd ones out, so on a clash the file-keyed row keeps the plain key.
    order.sort_unstable_by_key(|&group| (interner.names[group].is_empty(), interner.names[group]));

    let mut out = Vec::with_capacity(base.functions.len().max(new.functions.len()));
    let mut scratch = Scratch::default();
    for group in order {
        let prefix = interner.names[group];
        let (b, n) = (base_buckets.get(group), new_buckets.get(group));
        if pair_by_name(b, n, base, new, &mut scratch) {
            for &(_, x, y) in &scratch.rows {
                let label = if x != NONE {
                    base.label(x)
                } else {
                    new.label(y)
                };
                out.push(Aligned {
                    key: build_key(prefix, label, None),
                    base: (x != NONE).then_some(x),
                    new: (y != NONE).then_some(y),
                });
            }
        } else {
            let rows = align_sequences(b, n, base, new);
            push_numbered(prefix, &rows, base, new, &mut out);
        }
    }
    if collisions_possible(&interner.names, base, new) {
        make_unique(&mut out);
    }
    out
}

/// "No function" in [`Scratch::rows`].
const NONE: FunctionId = FunctionId::MAX;

/// Buffers reused from group to group.
#[derive(Default)]
struct Scratch {
    /// (label hash, line key, id) of each side's functions in the group.
    base: Vec<(u64, u32, FunctionId)>,
    new: Vec<(u64, u32, FunctionId)>,
    /// (base, new) with [`NONE`] for a missing side, after a sort key.
    rows: Vec<((bool, u32, FunctionId), FunctionId, FunctionId)>,
}

/// Pairs a group by name into `scratch.rows` when no name repeats on either
/// side (the common case, which needs no diff); false when one does. Rows
/// come in base line order, then the added functions in new line order.
fn pair_by_name(
    b: &[FunctionId],
    n: &[FunctionId],
    base: &Side<'_>,
    new: &Side<'_>,
    scratch: &mut Scratch,
) -> bool {
    scratch.rows.clear();
    let same = |x: FunctionId, y: FunctionId| {
        base.hashes[x] == new.hashes[y] && base.label(x) == new.label(y)
    };
    if b.len() <= 1 && n.len() <= 1 {
        match (b.first(), n.first()) {
            (Some(&x), Some(&y)) if same(x, y) => scratch.rows.push(((false, 0, x), x, y)),
            (x, y) => {
                scratch.rows.extend(x.map(|&x| ((false, 0, x), x, NONE)));
                scratch.rows.extend(y.map(|&y| ((true, 0, y), NONE, y)));
            }
        }
        return true;
    }
    // Sort each side by (label hash, label): integer compares, and a string
    // compare only on an equal hash. Everything needed later is copied into
    // the scratch rows, so the sorts do not chase pointers.
    type Item = (u64, u32, FunctionId);
    let sort = |ids: &[FunctionId], side: &Side<'_>, into: &mut Vec<Item>| {
        into.clear();
        into.extend(ids.iter().map(|&id| (side.hashes[id], side.line(id), id)));
        into.sort_unstable_by(|p, q| {
            p.0.cmp(&q.0)
                .then_with(|| side.label(p.2).cmp(side.label(q.2)))
        });
        !into
            .windows(2)
            .any(|w| w[0].0 == w[1].0 && side.label(w[0].2) == side.label(w[1].2))
    };
    if !sort(b, base, &mut scratch.base) || !sort(n, new, &mut scratch.new) {
        return false;
    }
    // Merge join.
    let (bs, ns) = (&scratch.base, &scratch.new);
    let (mut i, mut j) = (0, 0);
    while i < bs.len() || j < ns.len() {
        let order = match (bs.get(i), ns.get(j)) {
            (Some(p), Some(q)) => {
                p.0.cmp(&q.0)
                    .then_with(|| base.label(p.2).cmp(new.label(q.2)))
            }
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                let (_, line, x) = bs[i];
                scratch.rows.push(((false, line, x), x, NONE));
                i += 1;
            }
            Ordering::Greater => {
                let (_, line, y) = ns[j];
                scratch.rows.push(((true, line, y), NONE, y));
                j += 1;
            }
            Ordering::Equal => {
                let ((_, line, x), (_, _, y)) = (bs[i], ns[j]);
                scratch.rows.push(((false, line, x), x, y));
                i += 1;
                j += 1;
            }
        }
    }
    scratch.rows.sort_unstable_by_key(|row| row.0);
    true
}

/// Collects the equal runs a diff reports.
#[derive(Default)]
struct EqualRuns(Vec<(usize, usize, usize)>);

impl DiffHook for EqualRuns {
    type Error = Infallible;

    fn equal(&mut self, old_index: usize, new_index: usize, len: usize) -> Result<(), Infallible> {
        self.0.push((old_index, new_index, len));
        Ok(())
    }
}

/// Aligns a group with repeated names: the sequences of names in line order
/// are diffed, then unique leftovers pair. Rows come in aligned line order.
fn align_sequences(
    b: &[FunctionId],
    n: &[FunctionId],
    base: &Side<'_>,
    new: &Side<'_>,
) -> Vec<Row> {
    let mut b = b.to_vec();
    let mut n = n.to_vec();
    // Functions without a line keep their recorded order (ids break ties).
    b.sort_unstable_by_key(|&id| (base.line(id), id));
    n.sort_unstable_by_key(|&id| (new.line(id), id));

    // Back to front, so an ambiguous duplicate stays with the function after
    // it (see the module docs).
    let old_names: Vec<&str> = b.iter().rev().map(|&id| base.label(id)).collect();
    let new_names: Vec<&str> = n.iter().rev().map(|&id| new.label(id)).collect();
    let mut runs = EqualRuns::default();
    diff_slices(Algorithm::Patience, &mut runs, &old_names, &new_names)
        .unwrap_or_else(|never| match never {});

    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (old_index, new_index, len) in runs.0 {
        for k in 0..len {
            pairs.push((b.len() - 1 - (old_index + k), n.len() - 1 - (new_index + k)));
        }
    }
    pairs.sort_unstable();

    // Interleave: between two pairs, the base-only functions, then the
    // new-only ones.
    let mut rows: Vec<Row> = Vec::with_capacity(b.len() + n.len() - pairs.len());
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in pairs.iter().copied().chain(iter::once((b.len(), n.len()))) {
        rows.extend(b[i..pi].iter().map(|&x| (Some(x), None)));
        rows.extend(n[j..pj].iter().map(|&y| (None, Some(y))));
        if pi < b.len() {
            rows.push((Some(b[pi]), Some(n[pj])));
        }
        i = pi + 1;
        j = pj + 1;
    }

    pair_unique_leftovers(&mut rows, base, new);
    rows
}

/// A name left over exactly once on each side is one function that moved
/// past another; pair it, at its new position.
fn pair_unique_leftovers(rows: &mut Vec<Row>, base: &Side<'_>, new: &Side<'_>) {
    #[derive(Default)]
    struct Leftover {
        base_count: usize,
        base_row: usize,
        new_count: usize,
        new_row: usize,
    }
    let mut leftovers: FxMap<&str, Leftover> = FxMap::default();
    for (index, row) in rows.iter().enumerate() {
        match *row {
            (Some(x), None) => {
                let entry = leftovers.entry(base.label(x)).or_default();
                entry.base_count += 1;
                entry.base_row = index;
            }
            (None, Some(y)) => {
                let entry = leftovers.entry(new.label(y)).or_default();
                entry.new_count += 1;
                entry.new_row = index;
            }
            _ => {}
        }
    }
    let mut paired = false;
    // Each pairing touches its own two rows, so iteration order is irrelevant.
    for entry in leftovers.values() {
        if entry.base_count == 1 && entry.new_count == 1 {
            rows[entry.new_row].0 = rows[entry.base_row].0.take();
            paired = true;
        }
    }
    if paired {
        rows.retain(|row| row.0.is_some() || row.1.is_some());
    }
}

fn row_label<'s>(row: Row, base: &'s Side<'_>, new: &'s Side<'_>) -> &'s str {
    match row {
        (Some(x), _) => base.label(x),
        (None, Some(y)) => new.label(y),
        (None, None) => unreachable!("a row has at least one side"),
    }
}

/// Pushes the rows of a group with repeated names, numbering each repeated
/// name `#1`, `#2`, … in row order.
fn push_numbered(
    prefix: &str,
    rows: &[Row],
    base: &Side<'_>,
    new: &Side<'_>,
    out: &mut Vec<Aligned>,
) {
    let mut totals: FxMap<&str, usize> = FxMap::default();
    for &row in rows {
        *totals.entry(row_label(row, base, new)).or_default() += 1;
    }
    let mut seen: FxMap<&str, usize> = FxMap::default();
    for &row in rows {
        let label = row_label(row, base, new);
        let ordinal = (totals[label] > 1).then(|| {
            let count = seen.entry(label).or_default();
            *count += 1;
            *count
        });
        out.push(Aligned {
            key: build_key(prefix, label, ordinal),
            base: row.0,
            new: row.1,
        });
    }
}

fn build_key(prefix: &str, label: &str, ordinal: Option<usize>) -> String {
    let mut key = String::with_capacity(prefix.len() + label.len() + 4);
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push(':');
    }
    key.push_str(label);
    if let Some(ordinal) = ordinal {
        let _ = write!(key, "#{ordinal}");
    }
    key
}

/// Whether two rows can have the same key; checking every key would cost a
/// hash-set insert per row, which on large profiles is mostly cache misses.
///
/// Within a group, keys differ because (name, ordinal) does, unless a name
/// contains `#` and so can spell another's ordinal. Across groups,
/// `prefix:name` can only equal `other:name2` if the longer prefix contains a
/// `:`, and an unprefixed key (builtin, synthetic, bare) can only equal
/// `prefix:name` if it contains `:` where `prefix` ends.
fn collisions_possible(prefixes: &[&str], base: &Side<'_>, new: &Side<'_>) -> bool {
    if prefixes.iter().any(|prefix| prefix.contains(':')) {
        return true;
    }
    if base.risky.is_empty() && new.risky.is_empty() {
        return false;
    }
    let prefixes: FxSet<&str> = prefixes.iter().copied().collect();
    let risky = |side: &Side<'_>| {
        side.risky.iter().any(|&id| {
            let label = side.label(id);
            label.contains('#')
                || label
                    .match_indices(':')
                    .any(|(at, _)| prefixes.contains(&label[..at]))
        })
    };
    risky(base) || risky(new)
}

fn hash_str(s: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// Makes keys unique: a key seen before (in output order) gets `@2`, `@3`, …
fn make_unique(rows: &mut [Aligned]) {
    let clashes: Vec<usize> = {
        let mut seen: FxSet<&str> = FxSet::default();
        seen.reserve(rows.len());
        rows.iter()
            .enumerate()
            .filter(|(_, row)| !seen.insert(row.key.as_str()))
            .map(|(index, _)| index)
            .collect()
    };
    if clashes.is_empty() {
        return;
    }
    let mut taken: FxSet<String> = rows.iter().map(|row| row.key.clone()).collect();
    for index in clashes {
        let key = &rows[index].key;
        let unique = (2..)
            .map(|n| format!("{key}@{n}"))
            .find(|candidate| !taken.contains(candidate))
            .expect("some suffix is free");
        taken.insert(unique.clone());
        rows[index].key = unique;
    }
}

/// rustc's "Fx" hash: alignment hashes every function's file and name, and
/// SipHash's resistance to crafted collisions buys nothing for a profile the
/// user chose to read while costing most of the time on 100k functions.
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;
type FxSet<K> = rustc_hash::FxHashSet<K>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Format, ProfileMeta, Unit};

    fn profile(functions: Vec<Function>) -> Profile {
        let mut profile = Profile::new(ProfileMeta {
            path: "test.prof".into(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: None,
            notes: Vec::new(),
        });
        profile.functions = functions;
        profile
    }

    fn src(file: &str, line: u32, name: &str) -> Function {
        let mut function = Function::new(name, FunctionKind::Source);
        function.file = Some(file.into());
        function.line = Some(line);
        function
    }

    fn builtin(name: &str) -> Function {
        let mut function = Function::new(name, FunctionKind::Builtin);
        function.file = Some("~".into());
        function.line = Some(0);
        function
    }

    fn opts() -> AlignOptions {
        AlignOptions::default()
    }

    /// The alignment as (key, base id, new id), checking the invariants every
    /// alignment must keep.
    fn rows(
        base: &Profile,
        new: &Profile,
        opts: &AlignOptions,
    ) -> Vec<(String, Option<usize>, Option<usize>)> {
        let aligned = align(base, new, opts);
        assert_every_function_once(&aligned, base, new);
        aligned
            .into_iter()
            .map(|row| (row.key, row.base, row.new))
            .collect()
    }

    fn assert_every_function_once(aligned: &[Aligned], base: &Profile, new: &Profile) {
        let mut base_seen = vec![0; base.functions.len()];
        let mut new_seen = vec![0; new.functions.len()];
        let mut keys = std::collections::HashSet::new();
        for row in aligned {
            assert!(row.base.is_some() || row.new.is_some(), "empty row {row:?}");
            if let Some(id) = row.base {
                base_seen[id] += 1;
            }
            if let Some(id) = row.new {
                new_seen[id] += 1;
            }
            assert!(keys.insert(row.key.clone()), "duplicate key {}", row.key);
        }
        assert!(
            base_seen.iter().all(|&n| n == 1),
            "base coverage {base_seen:?}"
        );
        assert!(
            new_seen.iter().all(|&n| n == 1),
            "new coverage {new_seen:?}"
        );
    }

    fn key_of(
        base: &Profile,
        new: &Profile,
        base_id: Option<usize>,
        new_id: Option<usize>,
    ) -> String {
        align(base, new, &opts())
            .into_iter()
            .find(|row| row.base == base_id && row.new == new_id)
            .unwrap_or_else(|| panic!("no row {base_id:?}/{new_id:?}"))
            .key
    }

    #[test]
    fn line_shift_and_machine_root_still_match() {
        let base = profile(vec![src("/Users/me/app/handler.py", 8, "handler")]);
        let new = profile(vec![src("/var/task/handler.py", 10, "handler")]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![("handler.py:handler".into(), Some(0), Some(0))]
        );
    }

    #[test]
    fn venv_lambda_and_layer_paths_match() {
        let base = profile(vec![
            src("/Users/me/app/handler.py", 8, "handler"),
            src(
                "/Users/me/app/.venv/lib/python3.11/site-packages/botocore/session.py",
                1014,
                "create_client",
            ),
        ]);
        let new = profile(vec![
            src("/var/task/handler.py", 10, "handler"),
            src("/var/task/botocore/session.py", 1020, "create_client"),
        ]);
        let layer = profile(vec![
            src("/var/task/handler.py", 10, "handler"),
            src(
                "/opt/python/lib/python3.12/site-packages/botocore/session.py",
                990,
                "create_client",
            ),
        ]);
        let expected = vec![
            (
                "botocore/session.py:create_client".to_string(),
                Some(1),
                Some(1),
            ),
            ("handler.py:handler".to_string(), Some(0), Some(0)),
        ];
        assert_eq!(rows(&base, &new, &opts()), expected);
        assert_eq!(rows(&base, &layer, &opts()), expected);
        assert_eq!(
            normalized_files(&new, &opts()),
            vec![
                Some("handler.py".into()),
                Some("botocore/session.py".into())
            ]
        );
    }

    #[test]
    fn stdlib_paths_match_across_interpreters() {
        let base = profile(vec![src(
            "/usr/lib/python3.11/json/decoder.py",
            332,
            "decode",
        )]);
        let new = profile(vec![src(
            "/var/lang/lib/python3.12/json/decoder.py",
            338,
            "decode",
        )]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![("json/decoder.py:decode".into(), Some(0), Some(0))]
        );

        let rules = PathRules::new(&opts());
        for path in [
            "/usr/lib64/python3.11/json/decoder.py",
            "/opt/py/lib/python3.13t/json/decoder.py",
            "/opt/pypy/lib/pypy3.10/json/decoder.py",
            "/opt/pypy/lib-python/3/json/decoder.py",
            r"C:\Python311\Lib\json\decoder.py",
            "/Users/me/.pyenv/versions/3.11.4/lib/python3.11/json/decoder.py",
        ] {
            assert_eq!(
                rules.apply(path),
                ("json/decoder.py".to_string(), true),
                "{path}"
            );
        }
        // `Lib` is only the stdlib on Windows.
        assert_eq!(
            rules.apply("/src/Lib/x.py"),
            ("/src/Lib/x.py".to_string(), false)
        );
    }

    #[test]
    fn site_packages_rules() {
        let rules = PathRules::new(&opts());
        for (path, expected) in [
            (
                r"C:\app\.venv\Lib\site-packages\botocore\session.py",
                "botocore/session.py",
            ),
            (
                "/usr/lib/python3/dist-packages/yaml/__init__.py",
                "yaml/__init__.py",
            ),
            ("/a/site-packages/vendored/site-packages/x/y.py", "x/y.py"),
            (
                "/v/lib/python3.11/site-packages/foo-1.0-py3.11.egg/foo/x.py",
                "foo/x.py",
            ),
            (".venv/lib/python3.11/site-packages/x.py", "x.py"),
        ] {
            assert_eq!(rules.apply(path), (expected.to_string(), true), "{path}");
        }
    }

    #[test]
    fn root_is_the_common_directory_of_unshortened_absolute_paths() {
        let p = profile(vec![
            src("/srv/app/handler.py", 1, "handler"),
            src("/srv/app/pkg/util.py", 1, "helper"),
            src(
                "/srv/app/.venv/lib/python3.11/site-packages/requests/api.py",
                1,
                "get",
            ),
            src("/usr/lib/python3.11/json/decoder.py", 1, "decode"),
            src("<frozen importlib._bootstrap>", 1, "_find_and_load"),
            src("./rel/mod.py", 1, "f"),
            builtin("<built-in method builtins.len>"),
        ]);
        assert_eq!(
            normalized_files(&p, &opts()),
            vec![
                Some("handler.py".into()),
                Some("pkg/util.py".into()),
                Some("requests/api.py".into()),
                Some("json/decoder.py".into()),
                Some("<frozen importlib._bootstrap>".into()),
                Some("rel/mod.py".into()),
                None,
            ]
        );
        // Windows profile: backslashes and a drive.
        let w = profile(vec![src(r"C:\Users\me\app\handler.py", 1, "handler")]);
        assert_eq!(keys(&w, &opts()), vec!["handler.py:handler".to_string()]);
        // Component boundaries, not characters.
        let c = profile(vec![
            src("/srv/abc/x.py", 1, "f"),
            src("/srv/abd/y.py", 1, "g"),
        ]);
        assert_eq!(
            normalized_files(&c, &opts()),
            vec![Some("abc/x.py".into()), Some("abd/y.py".into())]
        );
    }

    #[test]
    fn strip_prefix_on_component_boundary() {
        let strip = AlignOptions {
            strip_prefixes: vec!["/home/ci/build/".into(), r"\\share\src".into()],
        };
        let base = profile(vec![
            src("/home/ci/build/src/app.py", 3, "main"),
            src("/home/ci/builder/other.py", 3, "other"),
            src(r"\\share\src\lib\x.py", 3, "x"),
        ]);
        assert_eq!(
            normalized_files(&base, &strip),
            vec![
                Some("src/app.py".into()),
                // The only unshortened absolute path: its directory is the root.
                Some("other.py".into()),
                Some("lib/x.py".into()),
            ]
        );
        let new = profile(vec![src("src/app.py", 5, "main")]);
        assert_eq!(
            rows(&base, &new, &strip)
                .into_iter()
                .find(|row| row.1 == Some(0)),
            Some(("src/app.py:main".into(), Some(0), Some(0)))
        );
    }

    #[test]
    fn duplicate_names_pair_in_line_order() {
        let base = profile(vec![
            src("/app/shapes.py", 12, "__init__"), // Square
            src("/app/shapes.py", 3, "__init__"),  // Circle
            src("/app/shapes.py", 5, "area"),
            src("/app/shapes.py", 14, "diagonal"),
        ]);
        let new = profile(vec![
            src("/app/shapes.py", 4, "__init__"),
            src("/app/shapes.py", 6, "area"),
            src("/app/shapes.py", 13, "__init__"),
            src("/app/shapes.py", 15, "diagonal"),
        ]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("shapes.py:__init__#1".into(), Some(1), Some(0)),
                ("shapes.py:area".into(), Some(2), Some(1)),
                ("shapes.py:__init__#2".into(), Some(0), Some(2)),
                ("shapes.py:diagonal".into(), Some(3), Some(3)),
            ]
        );
    }

    #[test]
    fn inserted_class_does_not_shift_later_duplicates() {
        // Circle, Square → Circle, Triangle, Square.
        let base = profile(vec![
            src("/app/shapes.py", 2, "__init__"),
            src("/app/shapes.py", 5, "circumference"),
            src("/app/shapes.py", 9, "__init__"),
            src("/app/shapes.py", 12, "diagonal"),
        ]);
        let new = profile(vec![
            src("/app/shapes.py", 2, "__init__"),
            src("/app/shapes.py", 5, "circumference"),
            src("/app/shapes.py", 9, "__init__"),
            src("/app/shapes.py", 12, "hypotenuse"),
            src("/app/shapes.py", 16, "__init__"),
            src("/app/shapes.py", 19, "diagonal"),
        ]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("shapes.py:__init__#1".into(), Some(0), Some(0)),
                ("shapes.py:circumference".into(), Some(1), Some(1)),
                ("shapes.py:__init__#2".into(), None, Some(2)),
                ("shapes.py:hypotenuse".into(), None, Some(3)),
                ("shapes.py:__init__#3".into(), Some(2), Some(4)),
                ("shapes.py:diagonal".into(), Some(3), Some(5)),
            ]
        );
    }

    #[test]
    fn deleted_lambda_is_removed_not_shifted() {
        let base = profile(vec![
            src("/app/m.py", 1, "f"),
            src("/app/m.py", 2, "<lambda>"),
            src("/app/m.py", 5, "g"),
            src("/app/m.py", 6, "<lambda>"),
            src("/app/m.py", 9, "h"),
        ]);
        let new = profile(vec![
            src("/app/m.py", 1, "f"),
            src("/app/m.py", 4, "g"),
            src("/app/m.py", 5, "<lambda>"),
            src("/app/m.py", 8, "h"),
        ]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("m.py:f".into(), Some(0), Some(0)),
                ("m.py:<lambda>#1".into(), Some(1), None),
                ("m.py:g".into(), Some(2), Some(1)),
                ("m.py:<lambda>#2".into(), Some(3), Some(2)),
                ("m.py:h".into(), Some(4), Some(3)),
            ]
        );
    }

    #[test]
    fn moved_function_still_matched() {
        // All names unique: pairs by name whatever the order.
        let base = profile(vec![src("/app/m.py", 1, "a"), src("/app/m.py", 10, "b")]);
        let new = profile(vec![src("/app/m.py", 1, "b"), src("/app/m.py", 10, "a")]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("m.py:a".into(), Some(0), Some(1)),
                ("m.py:b".into(), Some(1), Some(0))
            ]
        );

        // With duplicates around, the diff leaves the moved function over and
        // the unique-leftover pass pairs it.
        let base = profile(vec![
            src("/app/m.py", 1, "<genexpr>"),
            src("/app/m.py", 2, "a"),
            src("/app/m.py", 3, "<genexpr>"),
            src("/app/m.py", 4, "b"),
            src("/app/m.py", 5, "c"),
        ]);
        let new = profile(vec![
            src("/app/m.py", 1, "<genexpr>"),
            src("/app/m.py", 2, "c"),
            src("/app/m.py", 3, "a"),
            src("/app/m.py", 4, "<genexpr>"),
            src("/app/m.py", 5, "b"),
        ]);
        let aligned = rows(&base, &new, &opts());
        for (name, b, n) in [("a", 1, 2), ("b", 3, 4), ("c", 4, 1)] {
            assert!(
                aligned.contains(&(format!("m.py:{name}"), Some(b), Some(n))),
                "{name}: {aligned:?}"
            );
        }
        assert!(aligned.contains(&("m.py:<genexpr>#1".into(), Some(0), Some(0))));
        assert!(aligned.contains(&("m.py:<genexpr>#2".into(), Some(2), Some(3))));
    }

    #[test]
    fn added_and_removed() {
        let base = profile(vec![
            src("/app/m.py", 1, "old"),
            src("/app/m.py", 5, "kept"),
        ]);
        let new = profile(vec![
            src("/app/m.py", 1, "kept"),
            src("/app/other.py", 1, "fresh"),
        ]);
        // Root of new is /app too (two files), of base /app (its directory).
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("m.py:old".into(), Some(0), None),
                ("m.py:kept".into(), Some(1), Some(0)),
                ("other.py:fresh".into(), None, Some(1)),
            ]
        );
    }

    #[test]
    fn builtins_match_and_key_like_pstats() {
        let mut profile_len = Function::new("len", FunctionKind::Builtin);
        profile_len.file = Some(String::new());
        profile_len.line = Some(0);
        let mut profiler = Function::new("profiler", FunctionKind::Synthetic);
        profiler.file = Some("profile".into());
        profiler.line = Some(0);
        let base = profile(vec![
            builtin("<built-in method builtins.len>"),
            builtin("<method 'get' of 'dict' objects>"),
            builtin("<len>"),
            profile_len.clone(),
            profiler.clone(),
        ]);
        let new = profile(vec![
            profiler,
            builtin("<method 'get' of 'dict' objects>"),
            builtin("<built-in method builtins.len>"),
        ]);
        let aligned = align(&base, &new, &opts());
        assert_every_function_once(&aligned, &base, &new);
        let find = |key: &str| {
            aligned
                .iter()
                .find(|row| row.key == key)
                .map(|row| (row.base, row.new))
        };
        assert_eq!(
            find("{built-in method builtins.len}"),
            Some((Some(0), Some(2)))
        );
        assert_eq!(
            find("{method 'get' of 'dict' objects}"),
            Some((Some(1), Some(1)))
        );
        assert_eq!(find("profile:0(profiler)"), Some((Some(4), Some(0))));
        // Python 2.7's `<len>` and the profile module's `len` share a key
        // shape; in one profile they collide and are numbered.
        assert_eq!(find("{len}#1"), Some((Some(2), None)));
        assert_eq!(find("{len}#2"), Some((Some(3), None)));
        assert_eq!(display_name(&profile_len, None, Some(0)), "{len}");

        // Addresses differ between runs.
        let old_run = profile(vec![
            builtin("<built-in method __new__ of type object at 0x7f5294e5ea00>"),
            builtin("<function socket.close at 0x7f5294225940>"),
            builtin("<function odd at 0xg>"),
        ]);
        let new_run = profile(vec![
            builtin("<function socket.close at 0x7f7ae16118a0>"),
            builtin("<built-in method __new__ of type object at 0x7f7ae225ea00>"),
            builtin("<function odd at 0xg>"),
        ]);
        assert_eq!(
            rows(&old_run, &new_run, &opts()),
            vec![
                (
                    "{built-in method __new__ of type object}".into(),
                    Some(0),
                    Some(1)
                ),
                ("{function socket.close}".into(), Some(1), Some(0)),
                ("{function odd at 0xg}".into(), Some(2), Some(2)),
            ]
        );
        assert_eq!(
            display_name(&old_run.functions[1], None, Some(0)),
            "{function socket.close at 0x7f5294225940}"
        );
        assert_eq!(normalized_files(&base, &opts())[4], Some("profile".into()));
    }

    #[test]
    fn object_and_bare_functions() {
        // As the callgrind reader records them: no file means Builtin.
        let mut malloc = Function::new("malloc", FunctionKind::Builtin);
        malloc.object = Some("/usr/lib/x86_64-linux-gnu/libc.so.6".into());
        let mut main = Function::new("main", FunctionKind::Source);
        main.object = Some("/home/me/build/prog".into());
        main.file = Some("/home/me/src/prog.c".into());
        main.line = Some(10);
        let mut unknown = Function::new("memcpy", FunctionKind::Source);
        unknown.object = Some("/lib/libc.so.6".into());
        unknown.file = Some("???".into());
        let kernel = Function::new("do_syscall_64_[k]", FunctionKind::Builtin);
        let bare = Function::new("fold_frame", FunctionKind::Source);
        let p = profile(vec![
            malloc.clone(),
            main.clone(),
            unknown,
            kernel.clone(),
            bare.clone(),
        ]);
        assert_eq!(
            keys(&p, &opts()),
            vec![
                "libc.so.6:malloc".to_string(),
                "prog.c:main".into(),
                "libc.so.6:memcpy".into(),
                "do_syscall_64_[k]".into(),
                "fold_frame".into(),
            ]
        );
        assert_eq!(display_name(&malloc, None, None), "libc.so.6:malloc");
        assert_eq!(
            display_name(&main, Some("prog.c"), Some(10)),
            "prog.c:10(main)"
        );
        assert_eq!(display_name(&kernel, None, None), "do_syscall_64_[k]");
        assert_eq!(display_name(&bare, None, None), "fold_frame");

        // The same library at another path on another machine.
        let mut other = malloc.clone();
        other.object = Some("/usr/lib64/libc.so.6".into());
        let new = profile(vec![other]);
        assert_eq!(
            rows(&profile(vec![malloc]), &new, &opts()),
            vec![("libc.so.6:malloc".into(), Some(0), Some(0))]
        );
    }

    #[test]
    fn display_names() {
        let f = src("/x/botocore/session.py", 1014, "create_client");
        assert_eq!(
            display_name(&f, Some("botocore/session.py"), Some(1014)),
            "botocore/session.py:1014(create_client)"
        );
        assert_eq!(
            display_name(&f, Some("botocore/session.py"), None),
            "botocore/session.py(create_client)"
        );
        assert_eq!(
            display_name(&builtin("<built-in method builtins.len>"), None, Some(0)),
            "{built-in method builtins.len}"
        );
    }

    #[test]
    fn keys_are_unique_even_when_strings_collide() {
        // File `a` with name `b:c` and file `a:b` with name `c` both spell
        // `a:b:c`.
        let p = profile(vec![
            src("a", 1, "b:c"),
            src("a:b", 1, "c"),
            src("a", 2, "b:c@2"),
        ]);
        let k = keys(&p, &opts());
        assert_eq!(
            k,
            vec!["a:b:c".to_string(), "a:b:c@3".into(), "a:b:c@2".into()]
        );
        assert_eq!(align(&p, &p, &opts()).len(), 3);

        // A bare name spelling a file-keyed key.
        let p = profile(vec![
            src("/app/m.py", 1, "f"),
            Function::new("m.py:f", FunctionKind::Source),
        ]);
        assert_eq!(
            keys(&p, &opts()),
            vec!["m.py:f".to_string(), "m.py:f@2".into()]
        );

        // A name spelling another's ordinal.
        let p = profile(vec![
            src("/app/m.py", 1, "f"),
            src("/app/m.py", 2, "f"),
            src("/app/m.py", 3, "f#1"),
        ]);
        assert_eq!(
            keys(&p, &opts()),
            vec![
                "m.py:f#1".to_string(),
                "m.py:f#2".into(),
                "m.py:f#1@2".into()
            ]
        );

        // Colons in C++ names are harmless.
        let mut cpp = Function::new("std::vector<int>::push_back", FunctionKind::Source);
        cpp.object = Some("/usr/lib/libstdc++.so.6".into());
        let p = profile(vec![cpp, Function::new("std::abort", FunctionKind::Source)]);
        assert_eq!(
            keys(&p, &opts()),
            vec![
                "libstdc++.so.6:std::vector<int>::push_back".to_string(),
                "std::abort".into()
            ]
        );
    }

    #[test]
    fn keys_consistent_with_self_alignment() {
        let p = profile(vec![
            src("/app/shapes.py", 12, "__init__"),
            src("/app/shapes.py", 3, "__init__"),
            src("/app/shapes.py", 5, "area"),
            src("/app/lib/python3.11/site-packages/pkg/m.py", 1, "<lambda>"),
            src("/app/lib/python3.11/site-packages/pkg/m.py", 1, "<lambda>"),
            builtin("<built-in method builtins.len>"),
        ]);
        let k = keys(&p, &opts());
        assert_eq!(
            k,
            vec![
                "shapes.py:__init__#2".to_string(),
                "shapes.py:__init__#1".into(),
                "shapes.py:area".into(),
                "pkg/m.py:<lambda>#1".into(),
                "pkg/m.py:<lambda>#2".into(),
                "{built-in method builtins.len}".into(),
            ]
        );
        let aligned = align(&p, &p, &opts());
        assert_every_function_once(&aligned, &p, &p);
        for row in aligned {
            assert_eq!(row.base, row.new);
            assert_eq!(k[row.base.unwrap()], row.key);
        }
        assert_eq!(key_of(&p, &p, Some(1), Some(1)), "shapes.py:__init__#1");
    }

    #[test]
    fn sampled_profiles_without_lines() {
        let mut a = Function::new("work", FunctionKind::Source);
        a.file = Some("/home/u/app/jobs.py".into());
        let mut b = a.clone();
        b.name = "<lambda>".into();
        let mut c = b.clone();
        c.name = "<lambda>".into();
        let base = profile(vec![a.clone(), b.clone(), c.clone()]);
        let mut a2 = a;
        a2.file = Some("/srv/app/jobs.py".into());
        let new = profile(vec![a2]);
        assert_eq!(
            rows(&base, &new, &opts()),
            vec![
                ("jobs.py:work".into(), Some(0), Some(0)),
                ("jobs.py:<lambda>#1".into(), Some(1), None),
                ("jobs.py:<lambda>#2".into(), Some(2), None),
            ]
        );
    }

    #[test]
    fn empty_profiles() {
        let empty = profile(Vec::new());
        assert!(align(&empty, &empty, &opts()).is_empty());
        assert!(keys(&empty, &opts()).is_empty());
    }
}
