//! Writing output files: atomically (a temp file in the same directory,
//! then a rename), and never over one of the inputs.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` through `render`, replacing it only when rendering
/// succeeded, so readers never see a half-written file. Refuses a path that
/// is one of `inputs` (the same file, whatever the spelling).
pub fn write_atomically(
    path: &str,
    inputs: &[&str],
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let target = Path::new(path);
    let io_error = |source: io::Error| Error::Io {
        path: path.to_string(),
        source,
    };
    if let Ok(target_id) = fs::canonicalize(target) {
        for input in inputs.iter().filter(|i| **i != "-") {
            if fs::canonicalize(input).is_ok_and(|input_id| input_id == target_id) {
                return Err(Error::Usage(format!(
                    "refusing to write {path}: it is an input of this command"
                )));
            }
        }
        if target_id.is_dir() {
            return Err(Error::Input {
                path: path.to_string(),
                message: "is a directory, expected an output file name".to_string(),
            });
        }
    }
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::NamedTempFile::new_in(directory).map_err(io_error)?;
    {
        let mut writer = BufWriter::new(temp.as_file());
        render(&mut writer).map_err(io_error)?;
        writer.flush().map_err(io_error)?;
    }
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(target).map_err(|e| io_error(e.error))?;
    Ok(())
}
