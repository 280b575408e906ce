//! Writing output files: atomically (a temp file in the same directory,
//! then a rename), never over one of the inputs, and with the permissions a
//! user expects of a file they asked for.
//!
//! Atomic replacement is for regular files. What `-o` names decides what
//! happens:
//!
//! * a regular file, or nothing yet: a temp file beside it, renamed over it
//!   when complete. A new file gets 0666 less the umask, as any program's
//!   would; a replaced file keeps its read/write/execute bits (never its
//!   setuid, setgid or sticky bit);
//! * a symbolic link: the file it points to is what gets replaced; the link
//!   stays. A link to nothing is refused;
//! * a device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe):
//!   written in place, never replaced;
//! * a directory, or one of the inputs (by identity, so any spelling, a
//!   link, or the file that stdin was redirected from): refused.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `path` through `render`; see the module docs for what happens
/// with each kind of `path`. Readers of a regular file never see it
/// half-written.
pub fn replace_file(
    path: &Path,
    inputs: &[&Path],
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if path.as_os_str().is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the output file name is empty",
        ));
    }
    if inputs.iter().any(|input| same_file(path, input)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is an input profile of this command; refusing to overwrite it",
        ));
    }
    let target = resolve_link(path)?;
    match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, expected an output file name",
        )),
        Ok(meta) if !meta.is_file() => write_in_place(&target, render),
        Ok(meta) => write_replacing(&target, Some(meta), render),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            write_replacing(&target, None, render)
        }
        Err(error) => Err(error),
    }
}

/// The file a symbolic link points to (links to links followed); `path`
/// itself when it is not a link.
fn resolve_link(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link to nothing; refusing to write through it",
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// A device, FIFO or socket: opened and written, as a shell's `>` would.
fn write_in_place(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let file = fs::OpenOptions::new().write(true).open(path)?;
    let mut writer = BufWriter::new(file);
    render(&mut writer)?;
    writer.flush()
}

fn write_replacing(
    path: &Path,
    existing: Option<fs::Metadata>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Errors from here on would name the temp file, which the user never
    // asked for: they are reported as the output's.
    let hide_temp = |error: io::Error| io::Error::new(error.kind(), plain(&error));
    let file = new_temp_file(dir).map_err(hide_temp)?;
    {
        let mut writer = BufWriter::new(file.as_file());
        render(&mut writer)?;
        writer.flush()?;
    }
    file.as_file().sync_all().map_err(hide_temp)?;
    if let Some(existing) = existing {
        file.as_file()
            .set_permissions(kept_permissions(existing))
            .map_err(hide_temp)?;
    }
    file.persist(path).map_err(|error| hide_temp(error.error))?;
    Ok(())
}

/// An error's message without the path tempfile attaches to some errors.
fn plain(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" at path ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(unix)]
fn new_temp_file(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    // Created 0666 less the umask, like any new file; tempfile's default
    // 0600 would make every output private.
    tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

#[cfg(not(unix))]
fn new_temp_file(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::NamedTempFile::new_in(dir)
}

#[cfg(unix)]
fn kept_permissions(existing: fs::Metadata) -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    // The read/write/execute bits, not setuid/setgid/sticky: a report is
    // not a program.
    fs::Permissions::from_mode(existing.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn kept_permissions(existing: fs::Metadata) -> fs::Permissions {
    existing.permissions()
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

/// True when both paths name one existing file (symlinks and hard links
/// included). A target that does not exist yet cannot be an input; `-` as
/// `b` is standard input, which is that file when it was redirected from
/// it (`< a.prof`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let Ok(ma) = fs::metadata(a) else {
        return false;
    };
    if b.as_os_str() == "-" {
        return is_stdin(&ma);
    }
    let Ok(mb) = fs::metadata(b) else {
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

/// Whether standard input is the file `meta` describes (device + inode).
#[cfg(unix)]
fn is_stdin(meta: &fs::Metadata) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(stdin) = io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    match fs::File::from(stdin).metadata() {
        Ok(stdin) => stdin.dev() == meta.dev() && stdin.ino() == meta.ino(),
        Err(_) => false,
    }
}

#[cfg(not(unix))]
fn is_stdin(_: &fs::Metadata) -> bool {
    false
}
