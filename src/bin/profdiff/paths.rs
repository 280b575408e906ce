//! Run arguments (`diff --base/--new`, `merge`): a directory stands for the
//! profiles in it, in natural order.

use std::io;

use profdiff::{Error, Result};

/// Expands `--base`/`--new` (and `merge`) arguments: a directory stands for the files in it
/// (not hidden ones, not subdirectories), in natural order so `run2` comes
/// before `run10`; anything else is kept as given (`-` included).
pub fn expand_run_paths(args: &[String]) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for arg in args {
        let path = std::path::Path::new(arg);
        if arg == "-" || !path.is_dir() {
            paths.push(arg.clone());
            continue;
        }
        let io_error = |source: io::Error| Error::Io {
            path: arg.clone(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_file() {
                files.push(entry.path().to_string_lossy().into_owned());
            }
        }
        if files.is_empty() {
            return Err(Error::Input {
                path: arg.clone(),
                message: "directory holds no profiles".to_string(),
            });
        }
        files.sort_by(|a, b| natural_cmp(a, b));
        paths.extend(files);
    }
    Ok(paths)
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
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let arg = dir.path().to_string_lossy().into_owned();
        let paths = expand_run_paths(&[arg.clone(), "other.prof".into()]).unwrap();
        let names: Vec<&str> = paths
            .iter()
            .map(|p| p.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            names,
            ["run1.prof", "run2.prof", "run10.prof", "other.prof"]
        );
        let empty = tempfile::tempdir().unwrap();
        let error = expand_run_paths(&[empty.path().to_string_lossy().into_owned()])
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
