//! Naming conventions that differ between producers of one program's
//! profile, and how alignment bridges them.
//!
//! * **Builtins.** cProfile names a builtin by what it is
//!   (`<built-in method builtins.exec>`, `<method 'get' of 'dict' objects>`);
//!   the pure-Python `profile` module only by its `__name__` (`("", 0,
//!   "exec")`, pstats prints `:0(exec)`). When one side names builtins the
//!   `profile` way and the other does not, the other side's builtins are
//!   keyed by their `__name__` too (`{exec}`, `{get}`), the only part both
//!   share. Several builtins with one `__name__` (`dict.get`, `Queue.get`)
//!   then repeat a name, which `profile` sums into one entry: alignment pairs
//!   them only on the evidence it has, else leaves them unmatched.
//! * **Base names.** pstats text printed after `strip_dirs()` (which
//!   `python -m cProfile script.py` does) names files by their base name
//!   (`session.py`) where a dump holds the path (`botocore/session.py`).
//!   When one side has base names only and the other has paths, files are
//!   compared by base name. `strip_dirs()` merges functions with the same
//!   base name, line and name (every package's `__init__.py:1(<module>)`):
//!   those pair only where the evidence allows.
//!
//! Either way the diff says so in a note.

use std::borrow::Cow;

use crate::model::{FunctionKind, Profile};

use super::keys::{key_class, KeyClass};

/// How one alignment bridges two profiles' conventions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Bridge {
    /// Key the base's builtins by `__name__`.
    pub base_builtins_by_name: bool,
    /// Key the new's builtins by `__name__`.
    pub new_builtins_by_name: bool,
    /// Compare files by base name.
    pub base_names: bool,
}

impl Bridge {
    pub(super) fn between(base: &Profile, new: &Profile) -> Self {
        let (base_bare, new_bare) = (names_builtins_bare(base), names_builtins_bare(new));
        let (base_short, new_short) = (base_names_only(base), base_names_only(new));
        Bridge {
            base_builtins_by_name: new_bare && !base_bare,
            new_builtins_by_name: base_bare && !new_bare,
            base_names: base_short != new_short && (has_paths(base) || has_paths(new)),
        }
    }

    /// Sentences for the diff's notes.
    pub(super) fn notes(&self, base: &Profile, new: &Profile) -> Vec<String> {
        let mut notes = Vec::new();
        if self.base_builtins_by_name || self.new_builtins_by_name {
            let bare = if self.new_builtins_by_name { base } else { new };
            notes.push(format!(
                "builtins are matched by name alone ({{exec}}, {{get}}): {} names them as the \
                 profile module does, without their type or module",
                bare.meta.path
            ));
        }
        if self.base_names {
            let short = if base_names_only(base) { base } else { new };
            notes.push(format!(
                "files are matched by base name: {} names files without their directory \
                 (pstats' strip_dirs(), as `python -m cProfile script.py` prints)",
                short.meta.path
            ));
        }
        notes
    }
}

/// True when the profile names its builtins the `profile` module's way
/// (an empty file and the bare `__name__`), and only that way: a profile
/// that mixes conventions (a merge of both producers' dumps) has nothing
/// to bridge.
fn names_builtins_bare(profile: &Profile) -> bool {
    let mut builtins = profile
        .functions
        .iter()
        .filter(|f| f.kind == FunctionKind::Builtin && matches!(f.file.as_deref(), Some("" | "~")))
        .peekable();
    builtins.peek().is_some()
        && builtins.all(|f| {
            f.file.as_deref() == Some("") && !f.name.starts_with('<') && !f.name.starts_with('{')
        })
}

/// Files that are markers, not paths (`<frozen importlib._bootstrap>`,
/// `<string>`), say nothing about directories.
fn is_marker(file: &str) -> bool {
    file.starts_with('<')
}

/// True when the profile names at least one file, and every file by its base
/// name alone.
fn base_names_only(profile: &Profile) -> bool {
    let mut files = profile
        .functions
        .iter()
        .filter(|f| key_class(f) == KeyClass::File)
        .filter_map(|f| f.file.as_deref())
        .filter(|file| !is_marker(file))
        .peekable();
    files.peek().is_some() && files.all(|file| !file.contains(['/', '\\']))
}

fn has_paths(profile: &Profile) -> bool {
    profile
        .functions
        .iter()
        .filter_map(|f| f.file.as_deref())
        .any(|file| !is_marker(file) && file.contains(['/', '\\']))
}

/// A builtin's `__name__`, as the `profile` module records it, from any
/// producer's label: `{built-in method builtins.exec}` → `exec`,
/// `{method 'get' of 'dict' objects}` → `get`, `{built-in method __new__ of
/// type object}` → `__new__`, `{function socket.close}` → `close`, Python
/// 2.7's `{len}` → `len`. Braces or angle brackets around it are optional.
pub(super) fn builtin_name(label: &str) -> &str {
    let inner = label
        .strip_prefix(['{', '<'])
        .and_then(|l| l.strip_suffix(['}', '>']))
        .unwrap_or(label);
    if let Some(rest) = inner.strip_prefix("method '") {
        return rest.split('\'').next().unwrap_or(rest);
    }
    let rest = ["built-in method ", "built-in function ", "function "]
        .iter()
        .find_map(|prefix| inner.strip_prefix(prefix))
        .unwrap_or(inner);
    let rest = rest.split(" of ").next().unwrap_or(rest);
    let rest = rest.split(" at 0x").next().unwrap_or(rest);
    rest.rsplit('.').next().unwrap_or(rest)
}

/// `{name}` for a builtin keyed by `__name__`.
pub(super) fn by_name(label: Cow<'_, str>) -> Cow<'_, str> {
    Cow::Owned(format!("{{{}}}", builtin_name(&label)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_from_every_producer() {
        for (label, name) in [
            ("{built-in method builtins.exec}", "exec"),
            ("<built-in method builtins.len>", "len"),
            ("{method 'get' of 'dict' objects}", "get"),
            (
                "{method 'disable' of '_lsprof.Profiler' objects}",
                "disable",
            ),
            ("{built-in method __new__ of type object}", "__new__"),
            (
                "<built-in method __new__ of type object at 0x7f52aa>",
                "__new__",
            ),
            ("{built-in method _io.open}", "open"),
            ("{function socket.close}", "close"),
            ("{len}", "len"),
            ("<_sre.compile>", "compile"),
            ("{exec}", "exec"),
            ("exec", "exec"),
        ] {
            assert_eq!(builtin_name(label), name, "{label}");
        }
    }
}
