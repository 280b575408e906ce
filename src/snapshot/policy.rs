//! What to write after a check, like insta: a `.new` file for review
//! locally, nothing in CI, the snapshot itself on `--update`; and the atomic
//! write that never replaces an input profile.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::Profile;

use super::{render, CheckOutcome, SnapshotOptions};

/// Renders and writes a new snapshot atomically; see [`write()`].
pub fn render_to(
    path: &Path,
    profile: &Profile,
    options: &SnapshotOptions,
    inputs: &[&Path],
) -> Result<()> {
    let text = render(profile, options)?;
    write(path, &text, inputs).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// What to do with a checked snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--check FILE`: report; locally write `FILE.new` on a mismatch.
    Check,
    /// `--check FILE --update`: rewrite `FILE` with the actual text.
    Update,
}

/// What [`apply_policy`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Every expectation holds; nothing was written.
    Passed,
    /// `Update`: the file was rewritten.
    Updated,
    /// Mismatch, locally: the actual text was written to this `.new` file.
    WroteNew(PathBuf),
    /// Mismatch with `CI` set: nothing was written.
    Failed,
}

impl Action {
    /// The process exit code: 0 when the snapshot holds or was updated, 1 on
    /// a mismatch that was not accepted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Action::Passed | Action::Updated => 0,
            Action::WroteNew(_) | Action::Failed => 1,
        }
    }

    /// A one-line explanation for the user, or `None` when there is nothing
    /// to say (passed). `update` says how the user asks for
    /// [`Mode::Update`](super::Mode::Update) in the program showing it (a
    /// command line: `--update`).
    pub fn message(&self, path: &Path, update: &str) -> Option<String> {
        let path = path.display();
        match self {
            Action::Passed => None,
            Action::Updated => Some(format!("updated {path}")),
            Action::WroteNew(new) => Some(format!(
                "wrote {} for review: accept it with `mv {} {path}` or rerun with {update}",
                new.display(),
                new.display()
            )),
            Action::Failed => Some(format!(
                "CI is set, so nothing was written; run the check locally to get {path}.new, \
                 or with {update} to accept"
            )),
        }
    }
}

/// The review file beside a snapshot: `FILE.new`.
pub fn new_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// True when the environment says this is CI: `CI` set, non-empty, and not
/// `false` or `0` (the conventions insta follows).
pub fn is_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Applies the snapshot policy to a [`check`](fn@super::check) outcome for the file at `path`:
///
/// | mode | outcome | `ci` false (local) | `ci` true |
/// |---|---|---|---|
/// | Check | ok | nothing written (a stale `FILE.new` is removed) → Passed | nothing written → Passed |
/// | Check | mismatch | `FILE.new` written → WroteNew | nothing written → Failed |
/// | Update | ok | `FILE` rewritten only if its text differs (normalised) → Passed/Updated | nothing written → Passed |
/// | Update | mismatch | `FILE` rewritten, stale `FILE.new` removed → Updated | nothing written → Failed |
///
/// `inputs` are the profiles read; writing over one of them is refused
/// (`InvalidInput`).
pub fn apply_policy(
    path: &Path,
    outcome: &CheckOutcome,
    mode: Mode,
    ci: bool,
    inputs: &[&Path],
) -> io::Result<Action> {
    let ok = outcome.is_ok();
    if ci {
        return Ok(if ok { Action::Passed } else { Action::Failed });
    }
    let review = new_path(path);
    let action = match (mode, ok) {
        (Mode::Check, true) => Action::Passed,
        (Mode::Check, false) => {
            write(&review, &outcome.actual, inputs)?;
            return Ok(Action::WroteNew(review));
        }
        (Mode::Update, _) if outcome.actual == outcome.expected => Action::Passed,
        (Mode::Update, _) => {
            write(path, &outcome.actual, inputs)?;
            Action::Updated
        }
    };
    // The snapshot now holds, so an earlier review file is stale, unless
    // it is what was just checked (a profile named `S.new`).
    if inputs
        .iter()
        .any(|input| crate::output::same_file(&review, input))
    {
        return Ok(action);
    }
    match fs::remove_file(&review) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    Ok(action)
}

/// Writes `text` to `path` atomically: a temporary file in the same
/// directory, renamed over the target, so a reader (or a crash) never sees a
/// half-written snapshot. Refuses (`InvalidInput`) when `path` is one of
/// `inputs`, the profiles being read.
pub fn write(path: &Path, text: &str, inputs: &[&Path]) -> io::Result<()> {
    crate::output::replace_file(path, inputs, |out| out.write_all(text.as_bytes()))
}
