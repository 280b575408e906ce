//! Writing output files: atomically (a temp file in the same directory,
//! then a rename), never over one of the inputs, and with the permissions a
//! user expects of a file they asked for.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` through `render`, replacing it only when rendering
/// succeeded, so readers never see a half-written file. Refuses a path that
/// is one of `inputs` (whatever the spelling: symlinks and hard links count).
/// An existing file keeps its permissions; a new one gets 0644, not the
/// temp file's private 0600.
pub fn replace_file(
    path: &Path,
    inputs: &[&Path],
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if inputs.iter().any(|input| same_file(path, input)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is an input profile of this command; refusing to overwrite it",
        ));
    }
    if path.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, expected an output file name",
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut writer = BufWriter::new(file.as_file());
        render(&mut writer)?;
        writer.flush()?;
    }
    file.as_file().sync_all()?;
    let permissions = match fs::metadata(path) {
        Ok(existing) => existing.permissions(),
        Err(_) => default_permissions(file.as_file())?,
    };
    file.as_file().set_permissions(permissions)?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// [`replace_file`] with errors naming the output in the library's terms
/// (an attempt to overwrite an input is a usage error).
pub fn write_atomically(
    path: &Path,
    inputs: &[&Path],
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    replace_file(path, inputs, render).map_err(|source| {
        let name = path.display().to_string();
        if source.kind() == io::ErrorKind::InvalidInput {
            Error::Usage(format!("{name}: {source}"))
        } else {
            Error::Io { path: name, source }
        }
    })
}

#[cfg(unix)]
fn default_permissions(file: &fs::File) -> io::Result<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = file.metadata()?.permissions();
    permissions.set_mode(0o644);
    Ok(permissions)
}

#[cfg(not(unix))]
fn default_permissions(file: &fs::File) -> io::Result<fs::Permissions> {
    Ok(file.metadata()?.permissions())
}

/// True when both paths name one existing file (symlinks and hard links
/// included). A target that does not exist yet cannot be an input; `-`
/// (stdin) is never a file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if b.as_os_str() == "-" {
        return false;
    }
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
            return true;
        }
    }
    let _ = (ma, mb);
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
