//! All integration tests in one binary (one link, shared helpers).

mod bad_input;
mod callgrind;
mod causes;
mod cli;
mod commands;
mod conventions;
mod dot;
mod formats;
mod gate;
mod groups;
mod hash_seed;
mod hostile_inputs;
mod hostile_names;
mod html;
mod json_stream;
mod lambda;
mod man_and_completions;
mod merge;
mod messages;
mod outputs;
mod parallel;
mod pstats_fixtures;
mod realworld;
mod render;
mod snapshot;
mod stats;
mod suite;

use std::process::{Command, Output};

/// Runs the built `profdiff` from the crate root, so fixture paths in the
/// output are the short relative ones a user would type.
/// An empty profile in seconds, as cProfile records one, for tests that
/// build their own functions.
pub fn cprofile_profile(path: &str) -> profdiff::Profile {
    profdiff::Profile::new(profdiff::model::ProfileMeta {
        path: path.into(),
        format: profdiff::Format::Pstats,
        unit: profdiff::model::Unit::Seconds,
        precision: None,
        producer: Some("cProfile".into()),
        notes: Vec::new(),
    })
}

pub fn profdiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .expect("run profdiff")
}

/// Runs profdiff, asserts it exited with `code` (showing its stderr when it
/// did not), and returns its stdout.
pub fn run_expect(args: &[&str], code: i32) -> String {
    let output = profdiff(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "profdiff {}:\n{}",
        args.join(" "),
        stderr(&output)
    );
    stdout(&output)
}

/// Runs profdiff, asserts it succeeded, and returns its stdout.
pub fn run_ok(args: &[&str]) -> String {
    run_expect(args, 0)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// insta stores this project's snapshots under the top-level `snapshots/`.
#[macro_export]
macro_rules! assert_snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// The path of `program`, a system tool some tests drive (Chromium,
/// Graphviz, man). When it is missing, `.ci/system-packages.sh` installs
/// it (once per test run, as root on Debian), so that `cargo test` works on
/// a fresh machine; elsewhere the test fails saying what to install.
pub fn system_tool(program: &str) -> String {
    static INSTALLED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let found = |program: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if let Some(path) = found(program) {
        return path;
    }
    let mut tried = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if !*tried {
        *tried = true;
        let output = Command::new("bash")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/.ci/system-packages.sh"
            ))
            .output()
            .expect("run .ci/system-packages.sh");
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    found(program).unwrap_or_else(|| {
        panic!(
            "{program} is not installed and .ci/system-packages.sh could not install it: \
             these tests need Chromium, Graphviz and man (Debian: apt-get install chromium graphviz man-db)"
        )
    })
}
