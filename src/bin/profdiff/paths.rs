//! Run arguments (`diff --base/--new`, `merge`): a directory stands for the
//! profiles in its tree, in natural order.

use std::io;
use std::path::{Path, PathBuf};

use profdiff::{Error, Result};

/// Expands `--base`/`--new` (and `merge`) arguments: a directory stands for the files in
/// its tree (hidden files and directories skipped, symbolic links to
/// directories not followed), in natural order of their paths so `run2`
/// comes before `run10`; anything else is kept as given (`-` included).
pub fn expand_run_paths(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" || !arg.is_dir() {
            paths.push(arg.clone());
            continue;
        }
        let mut files = Vec::new();
        collect_files(arg, &mut files)?;
        if files.is_empty() {
            return Err(Error::Input {
                path: arg.display().to_string(),
                message: "directory holds no profiles".to_string(),
            });
        }
        // Sorted by the names as shown; the paths themselves are kept as
        // the system gave them (a name need not be UTF-8).
        files.sort_by_cached_key(|path| NaturalKey(path.to_string_lossy().into_owned()));
        paths.extend(files);
    }
    Ok(paths)
}

/// One path of a suite (`diff BASE_DIR NEW_DIR`): below both directories,
/// or below one.
#[derive(Debug, Clone, PartialEq)]
pub enum SuiteEntry {
    /// The same relative path in both.
    Both {
        relative: String,
        base: PathBuf,
        new: PathBuf,
    },
    /// Only below the base directory.
    OnlyBase { relative: String },
    /// Only below the new directory.
    OnlyNew { relative: String },
}

/// Files of a test run's output that are never profiles (pytest-profiling
/// writes `combined.svg` beside its dumps; reports and pictures end up in
/// the same folders): left out of a suite rather than failing it.
const NOT_PROFILES: [&str; 12] = [
    "svg", "png", "jpg", "jpeg", "gif", "html", "htm", "css", "js", "md", "rst", "dot",
];

/// Pairs the files below `base` and `new` by their path relative to each
/// (hidden entries skipped, linked directories not followed, pictures and
/// pages left out), in natural order of those paths. A directory with no
/// file at all is an error: a suite that ran no test is more likely a
/// wrong path than a result.
pub fn suite_entries(base: &Path, new: &Path) -> Result<Vec<SuiteEntry>> {
    let relative_files = |dir: &Path| -> Result<Vec<(String, PathBuf)>> {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        files.retain(|path| {
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            !extension.is_some_and(|e| NOT_PROFILES.contains(&e.as_str()))
        });
        if files.is_empty() {
            return Err(Error::Input {
                path: dir.display().to_string(),
                message: "directory holds no profiles".to_string(),
            });
        }
        Ok(files
            .into_iter()
            .map(|path| {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                (relative, path)
            })
            .collect())
    };
    let base_files = relative_files(base)?;
    let new_files: std::collections::HashMap<String, PathBuf> =
        relative_files(new)?.into_iter().collect();
    let mut entries = Vec::new();
    let mut matched = std::collections::HashSet::new();
    for (relative, base_path) in base_files {
        match new_files.get(&relative) {
            Some(new_path) => {
                matched.insert(relative.clone());
                entries.push(SuiteEntry::Both {
                    relative,
                    base: base_path,
                    new: new_path.clone(),
                });
            }
            None => entries.push(SuiteEntry::OnlyBase { relative }),
        }
    }
    for relative in new_files.into_keys() {
        if !matched.contains(&relative) {
            entries.push(SuiteEntry::OnlyNew { relative });
        }
    }
    entries.sort_by_cached_key(|entry| {
        let (SuiteEntry::Both { relative, .. }
        | SuiteEntry::OnlyBase { relative }
        | SuiteEntry::OnlyNew { relative }) = entry;
        NaturalKey(relative.clone())
    });
    Ok(entries)
}

/// A name ordered by [`natural_cmp`].
#[derive(PartialEq, Eq)]
struct NaturalKey(String);

impl PartialOrd for NaturalKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NaturalKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        natural_cmp(&self.0, &other.0)
    }
}

/// Every file under `dir`, depth first. Directories are walked with an
/// explicit stack, so a deep tree cannot overflow ours.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let io_error = |source: io::Error| Error::Io {
            path: dir.to_string_lossy().into_owned(),
            source,
        };
        for entry in std::fs::read_dir(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            // `file_type` does not follow links: a linked directory is
            // skipped (no cycles), a linked file is read.
            let kind = entry.file_type().map_err(io_error)?;
            if kind.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    Ok(())
}

/// Compares runs of digits by value: `run2` < `run10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(text: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = text.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &text[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let order = match (x, y) {
            ((true, dx), (true, dy)) => {
                let (tx, ty) = (dx.trim_start_matches('0'), dy.trim_start_matches('0'));
                tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
            }
            _ => x.1.cmp(y.1),
        };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_stands_for_its_runs_in_natural_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["run10.prof", "run2.prof", "run1.prof", ".hidden"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        // A tree: nested folders count, hidden ones and linked ones do not.
        for sub in ["day2/a", "day10", ".git"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("day2/a/run3.prof"), b"x").unwrap();
        std::fs::write(dir.path().join("day10/run1.prof"), b"x").unwrap();
        std::fs::write(dir.path().join(".git/config"), b"x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("day10"), dir.path().join("link")).unwrap();
        let arg = dir.path().to_string_lossy().into_owned();
        let paths = expand_run_paths(&[dir.path().into(), "other.prof".into()]).unwrap();
        let shown: Vec<String> = paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let names: Vec<&str> = shown
            .iter()
            .map(|p| p.strip_prefix(arg.as_str()).unwrap_or(p))
            .collect();
        assert_eq!(
            names,
            [
                "/day2/a/run3.prof",
                "/day10/run1.prof",
                "/run1.prof",
                "/run2.prof",
                "/run10.prof",
                "other.prof"
            ]
        );
        let empty = tempfile::tempdir().unwrap();
        let error = expand_run_paths(&[empty.path().into()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("directory holds no profiles"), "{error}");
    }

    #[test]
    fn natural_order_of_run_files() {
        let mut names = vec![
            "run10.prof",
            "run2.prof",
            "run1.prof",
            "run02b.prof",
            "a.prof",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "a.prof",
                "run1.prof",
                "run2.prof",
                "run02b.prof",
                "run10.prof"
            ]
        );
    }
}
