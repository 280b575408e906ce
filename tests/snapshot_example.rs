//! How a project's own test suite uses profdiff snapshots: profile the code
//! under test (here: the committed seed profile), then pin its call
//! structure with an insta snapshot, and check hand-written bounds.
//!
//! This file is deliberately standalone, written as a user would write it,
//! against the public library API only.

use std::path::Path;

use profdiff::input;
use profdiff::snapshot::{self, SnapshotOptions};

const PROFILE: &str = "fixtures/seed/after.prof";

/// The full call-count snapshot of everything boto3 and client creation
/// does, reviewed like any insta snapshot (`cargo insta review`).
#[test]
fn boto3_call_structure_is_pinned() {
    let profile = input::load(Path::new(PROFILE), &Default::default()).expect("load profile");
    let options = SnapshotOptions {
        include: vec!["create_client|boto3".to_string()],
        ..Default::default()
    };
    let text = snapshot::render(&profile, &options).expect("render snapshot");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("example_after_boto3", text);
    });
}

/// Hand-written bounds: one client per cold start.
#[test]
fn clients_are_created_once() {
    let profile = input::load(Path::new(PROFILE), &Default::default()).expect("load profile");
    let outcome = snapshot::check_file(
        &profile,
        Path::new("fixtures/expectations/after.snapshot"),
        &Default::default(),
    )
    .expect("a valid expectation file");
    assert!(outcome.is_ok(), "{outcome}");
}

/// The same expectation catches the regression the fix removed.
#[test]
fn the_old_code_breaks_the_expectation() {
    let before = input::load(Path::new("fixtures/seed/before.prof"), &Default::default()).unwrap();
    let outcome = snapshot::check_file(
        &before,
        Path::new("fixtures/expectations/after.snapshot"),
        &Default::default(),
    )
    .unwrap();
    assert!(!outcome.is_ok());
    let failed: Vec<(&str, &str, &str)> = outcome
        .violations
        .iter()
        .map(|v| (v.key.as_str(), v.bound.as_str(), v.actual.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("boto3/session.py:client", "calls <= 1", "5"),
            ("boto3/session.py:resource", "calls <= 1", "3"),
            ("botocore/session.py:create_client", "calls <= 1", "6"),
        ]
    );
}
