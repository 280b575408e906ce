//! The Python side: the wheel, the `python -m profdiff` entry point, the
//! pytest plugin and the GitHub Action's steps, tested by python/test.sh
//! (it builds the wheel, installs it into a fresh virtual environment and
//! runs python/tests there). Part of `cargo test` so that the README's one
//! test command runs every test. Needs python3 >= 3.8 and the package index
//! on the first run (maturin, pytest and PyYAML are installed by the
//! script).

use std::process::Command;

#[test]
fn python_package_plugin_and_action() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("bash")
        .arg(format!("{root}/python/test.sh"))
        .current_dir(root)
        // The plugin's tests decide CI themselves (they set and unset it).
        .env_remove("PROFDIFF_BIN")
        .output()
        .expect("run bash python/test.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python/test.sh failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // The run must have reached pytest and run tests, not stopped early.
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        summary.contains(" passed") && !summary.contains("failed"),
        "{stdout}"
    );
    println!("{stdout}");
}
