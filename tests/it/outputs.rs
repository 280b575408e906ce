//! What `-o` does to what it names (issue: outputs that never destroy
//! anything). Device-node cases run in a private temp dir and need the
//! right to `mknod`; without it they say so and skip.

#![cfg(unix)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{profdiff, stderr};

const BEFORE: &str = "fixtures/seed/before.prof";

fn root(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `mknod PATH c 1 3` (a null device) when this process may; else `None`.
fn null_device(path: &Path) -> Option<()> {
    let status = Command::new("mknod")
        .arg(path)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then_some(())
}

#[test]
fn o_device_node_is_written_in_place_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let device = dir.path().join("null");
    if null_device(&device).is_none() {
        eprintln!("skipped: cannot mknod here (needs root or CAP_MKNOD)");
        return;
    }
    let out = device.to_str().unwrap();
    let output = profdiff(&["convert", BEFORE, "-o", out]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let kind = fs::symlink_metadata(&device).unwrap().file_type();
    assert!(
        kind.is_char_device(),
        "the device node was replaced: {kind:?}"
    );

    // And through a symlink: the link and the device both stay.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&device, &link).unwrap();
    let output = profdiff(&["convert", BEFORE, "-o", link.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::metadata(&device).unwrap().file_type().is_char_device());
}

#[test]
fn o_fifo_is_written_in_place_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let output = profdiff(&["convert", BEFORE, "-o", fifo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Checked before waiting for the reader: had the FIFO been replaced,
    // nothing would ever write to it and the reader would wait forever.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let text = reader.join().unwrap();
    assert!(
        text.starts_with("# callgrind format"),
        "{}",
        &text[..40.min(text.len())]
    );
}

#[test]
fn o_symlink_replaces_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.callgrind");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.callgrind");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = profdiff(&["convert", BEFORE, "-o", link.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .starts_with("# callgrind format"));
    let mode = fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o640, "the target keeps its mode");

    // A link to nothing is refused, and nothing is created.
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("missing/file"), &dangling).unwrap();
    let output = profdiff(&["convert", BEFORE, "-o", dangling.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("symbolic link to nothing"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn stdin_input_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.prof");
    fs::copy(root(BEFORE), &input).unwrap();
    let before = fs::read(&input).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["convert", "-", "--to", "pstats", "-o"])
        .arg(&input)
        .stdin(fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is an input profile"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read(&input).unwrap(), before);
}

#[test]
fn snapshot_check_keeps_a_profile_named_s_new() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("s.snapshot");
    let profile = dir.path().join("s.snapshot.new");
    fs::copy(root(BEFORE), &profile).unwrap();
    let (snapshot, profile) = (snapshot.to_str().unwrap(), profile.to_str().unwrap());
    let output = profdiff(&["snapshot", profile, "-o", snapshot]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["snapshot", profile, "--check", snapshot])
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        Path::new(profile).exists(),
        "the checked profile was deleted"
    );
}

/// Runs profdiff under `umask`, writing `out`.
fn convert_under_umask(umask: &str, out: &Path) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask {umask} && exec \"$0\" convert \"$1\" -o \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_profdiff"))
        .arg(root(BEFORE))
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn new_files_follow_the_umask_and_replaced_files_lose_setuid() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.callgrind");
    convert_under_umask("077", &private);
    assert_eq!(
        fs::metadata(&private).unwrap().permissions().mode() & 0o7777,
        0o600
    );
    let shared = dir.path().join("shared.callgrind");
    convert_under_umask("022", &shared);
    assert_eq!(
        fs::metadata(&shared).unwrap().permissions().mode() & 0o7777,
        0o644
    );

    let setuid = dir.path().join("setuid.callgrind");
    fs::write(&setuid, "old").unwrap();
    fs::set_permissions(&setuid, fs::Permissions::from_mode(0o4755)).unwrap();
    convert_under_umask("022", &setuid);
    assert_eq!(
        fs::metadata(&setuid).unwrap().permissions().mode() & 0o7777,
        0o755
    );
}

#[test]
fn snapshot_dash_o_writes_stdout() {
    let output = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(["snapshot", BEFORE, "--include", "create_client", "-o", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("# profdiff snapshot v1"), "{text}");
    assert!(
        text.contains("botocore/session.py:create_client  calls = 6"),
        "{text}"
    );
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
}

#[test]
fn an_empty_output_name_says_so() {
    let output = profdiff(&["convert", BEFORE, "-o", ""]);
    assert_eq!(output.status.code(), Some(2));
    // Said by the argument parser, naming the option (the library refuses
    // an empty name too: "the output file name is empty").
    let message = stderr(&output);
    assert!(message.contains("--output"), "{message}");
    assert!(message.contains("a value is required"), "{message}");
}
