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
//! (and so do tables; two such builtins left identical are numbered like any
//! other repeated name).
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
//! * Otherwise names that occur once on each side still pair by name, and
//!   those whose line order agrees serve as anchors; same-name functions
//!   pair by the evidence a profile holds, gap by gap between anchors: equal
//!   numbers pair in line order, then a function pairs with the one at its
//!   line moved exactly as the anchor before or after moved, then the one
//!   left over with the same call count and callers. Ambiguity leaves them
//!   removed and added. `align/repeated.rs` has the details; on black 23.12.1 →
//!   24.8.0 it pairs 200 of the 202 same-name functions whose source is
//!   identical in both releases and no two different ones.
//!
//! Output rows are ordered by group (the key prefix, as a string; unprefixed
//! keys last); within a group, in the new profile's line order when a name
//! repeats (a removed function where its line maps to), otherwise the base's
//! functions in line order followed by the added ones. Everything is
//! deterministic. Work is linear in the number of functions apart from
//! sorting within a group (and, for groups with a repeated name, one pass
//! over the edges to know callers).

use crate::model::{FunctionId, Profile};

mod conventions;
mod display;
mod keys;
mod pairing;
mod paths;
mod repeated;
mod side;

#[cfg(test)]
mod tests;

pub use display::display_name;

use conventions::Bridge;
use keys::{key_class, KeyClass};
use pairing::align_sides;
use paths::{FileTable, PathRules};
use side::Side;

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
    let bridge = Bridge::between(base, new);
    let mut rules = PathRules::new(opts);
    rules.base_names = bridge.base_names;
    // The two sides index their profiles at once.
    let (base, new) = crate::parallel::join(
        || Side::new(base, &rules, bridge.base_builtins_by_name),
        || Side::new(new, &rules, bridge.new_builtins_by_name),
    );
    align_sides(&base, &new)
}

/// What [`align`] had to bridge between the two profiles' naming
/// conventions (builtins named by `__name__` alone, files by base name),
/// as sentences for the reader; empty when nothing.
pub fn notes(base: &Profile, new: &Profile) -> Vec<String> {
    Bridge::between(base, new).notes(base, new)
}

/// The key of every function of one profile (index = [`FunctionId`]): the
/// keys [`align`] gives when the other profile is identical.
pub fn keys(profile: &Profile, opts: &AlignOptions) -> Vec<String> {
    let rules = PathRules::new(opts);
    let side = Side::new(profile, &rules, false);
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

/// rustc's "Fx" hash: alignment hashes every function's file and name, and
/// SipHash's resistance to crafted collisions buys nothing for a profile the
/// user chose to read while costing most of the time on 100k functions.
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;
type FxSet<K> = rustc_hash::FxHashSet<K>;
