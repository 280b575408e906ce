//! `profdiff completions SHELL` and `profdiff man`: generated from the
//! argument parser, checked by the tools that read them (bash's own
//! completion machinery, man's formatter).

use std::process::{Command, Stdio};

use crate::{profdiff, run_ok, stderr};

const COMMANDS: [&str; 7] = [
    "diff",
    "show",
    "snapshot",
    "merge",
    "convert",
    "completions",
    "man",
];

/// Asks bash's completion function what it offers after `words`.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = run_ok(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profdiff.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let probe = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_profdiff profdiff '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("run bash");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_and_options() {
    assert_eq!(bash_completes(&["profdiff", "di"]), ["diff"]);
    assert_eq!(bash_completes(&["profdiff", "sn"]), ["snapshot"]);
    let options = bash_completes(&["profdiff", "diff", "--fail-on"]);
    assert_eq!(options, ["--fail-on-regression"]);
    let shells = bash_completes(&["profdiff", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.iter().any(|s| s == shell), "{shells:?}");
    }
}

#[test]
fn every_shell_gets_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run_ok(&["completions", shell]);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no {command}");
        }
        assert!(script.contains("fail-on-regression"), "{shell}");
    }
    let output = profdiff(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("tcsh"), "{}", stderr(&output));
}

/// Formats a roff page with man, as a user reads it.
fn rendered(page: &str) -> String {
    let mut child = Command::new(crate::system_tool("man"))
        .args(["-l", "-"])
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("man is installed");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // Strip overstrike (bold `x\bx`, underline `_\bx`) if man kept it.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&output.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    text
}

#[test]
fn man_pages_render_and_list_the_options() {
    let top = rendered(&run_ok(&["man"]));
    assert!(
        top.contains("profdiff - Diff performance profiles"),
        "{top}"
    );
    for command in COMMANDS {
        assert!(top.contains(&format!("profdiff-{command}(1)")), "{top}");
    }
    let diff = rendered(&run_ok(&["man", "diff"]));
    assert!(
        diff.contains("profdiff-diff - Compare two profiles"),
        "{diff}"
    );
    assert!(diff.contains("--fail-on-regression"), "{diff}");
    assert!(diff.contains("--max-calls-increase-pct"), "{diff}");
    let snapshot = rendered(&run_ok(&["man", "snapshot"]));
    assert!(snapshot.contains("--calls-tolerance"), "{snapshot}");
    let output = profdiff(&["man", "nope"]);
    assert_eq!(output.status.code(), Some(2));
}
