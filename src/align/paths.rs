//! Path normalisation (rules 1–4) and the profile's own root (rule 5).

use crate::model::Function;

use super::keys::KeyClass;
use super::{AlignOptions, FxMap};

/// The path rules that do not depend on the rest of the profile (1–4).
pub(super) struct PathRules {
    /// `--strip-prefix` values with `/` separators and no trailing `/`,
    /// longest first so that nested prefixes strip as much as they can.
    strip: Vec<String>,
    /// Keep only the base name of every normalised path (see
    /// [`super::conventions`]).
    pub(super) base_names: bool,
}

impl PathRules {
    pub(super) fn new(opts: &AlignOptions) -> Self {
        let mut strip: Vec<String> = opts
            .strip_prefixes
            .iter()
            .filter(|prefix| !prefix.is_empty())
            // `/` becomes "": it then strips the leading `/` of absolute paths.
            .map(|prefix| prefix.replace('\\', "/").trim_end_matches('/').to_string())
            .collect();
        strip.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        strip.dedup();
        PathRules {
            strip,
            base_names: false,
        }
    }

    /// Rules 1–4. Returns the path and whether a rule shortened it (rule 5
    /// only looks at paths none did).
    pub(super) fn apply(&self, raw: &str) -> (String, bool) {
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
pub(super) struct FileTable {
    /// Normalised file per distinct recorded file.
    pub(super) names: Vec<String>,
    /// Per function, the index into `names` (file-keyed functions only).
    pub(super) of_function: Vec<Option<u32>>,
}

impl FileTable {
    pub(super) fn new(functions: &[Function], classes: &[KeyClass], rules: &PathRules) -> Self {
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
                if rules.base_names && !path.starts_with('<') {
                    path = path.rsplit('/').next().unwrap_or(path);
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
