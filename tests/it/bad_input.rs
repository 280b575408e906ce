//! Malformed, truncated, hostile and mismatched inputs: a clear message that
//! names the file, exit code 2, no panic, no hang.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::{profdiff, stderr};
use profdiff::input;
use profdiff::model::Format;

const GOOD: &str = "fixtures/seed/after.prof";

fn temp_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs `show` and `diff` on the bad file and checks the contract.
fn assert_rejected(path: &str, expect_in_message: &str) {
    for args in [vec!["show", path], vec!["diff", GOOD, path]] {
        let started = Instant::now();
        let output = profdiff(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(
            message.contains(path),
            "message must name the file: {message}"
        );
        assert!(
            message.contains(expect_in_message),
            "expected {expect_in_message:?} in: {message}"
        );
        assert!(!message.contains("panicked"), "{message}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{args:?} was slow"
        );
    }
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(dir.path(), "empty.prof", b"");
    assert_rejected(&path, "empty file");
}

#[test]
fn json_file_is_not_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(dir.path(), "x.prof", br#"{"not": "a profile"}"#);
    assert_rejected(&path, "unrecognised profile format");
}

#[test]
fn random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = vec![0u8; 4096];
    for byte in &mut bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    bytes[0] = b'{'; // past the sniffer, into the marshal reader
    let path = temp_file(dir.path(), "random.prof", &bytes);
    assert_rejected(&path, "byte ");
}

#[test]
fn directory_and_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    assert_rejected(&path, "is a directory");
    let missing = dir.path().join("nope.prof");
    assert_rejected(missing.to_str().unwrap(), "No such file");
}

/// The program output of `fixtures/realworld/black-24.8.0.stdout.txt`
/// (black's formatted argparse.py) without the stats table: ~98 KB of text,
/// more than detection sniffs, so the input is searched to its end.
fn program_output_without_table() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/realworld/black-24.8.0.stdout.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let end = text.find(" function calls ").unwrap();
    let end = text[..end].rfind('\n').unwrap() + 1;
    let output = text.as_bytes()[..end].to_vec();
    assert!(output.len() > 64 * 1024, "{}", output.len());
    output
}

#[test]
fn long_text_without_a_stats_table() {
    let dir = tempfile::tempdir().unwrap();
    let output = program_output_without_table();
    let lines = output.iter().filter(|&&b| b == b'\n').count();
    let path = temp_file(dir.path(), "out.txt", &output);
    assert_rejected(&path, "unrecognised profile format");
    assert_rejected(
        &path,
        &format!(
            "{lines} lines of text ({} bytes) and no pstats table",
            output.len()
        ),
    );
    // Text, then binary data: refused where the binary data starts.
    let mut mixed = output.clone();
    mixed.extend_from_slice(b"\x00\x01\x02");
    let path = temp_file(dir.path(), "mixed.txt", &mixed);
    assert_rejected(&path, &format!("binary data at byte {}", output.len()));
}

#[test]
fn deeply_nested_marshal() {
    let dir = tempfile::tempdir().unwrap();
    // A dict whose first key is 100 000 nested 1-tuples.
    let mut bytes = vec![b'{'];
    for _ in 0..100_000 {
        bytes.extend_from_slice(&[b'(', 1, 0, 0, 0]);
    }
    bytes.push(b'N');
    let path = temp_file(dir.path(), "nested.prof", &bytes);
    assert_rejected(&path, "nest");
}

#[test]
fn huge_length_claims() {
    let dir = tempfile::tempdir().unwrap();
    // A key tuple claiming 2^31-1 elements, and a key string claiming 2 GiB.
    let tuple = temp_file(
        dir.path(),
        "tuple.prof",
        &[b'{', b'(', 0xff, 0xff, 0xff, 0x7f, b'N'],
    );
    assert_rejected(&tuple, "byte 1");
    let string = temp_file(
        dir.path(),
        "string.prof",
        &[b'{', b')', 3, b'u', 0xff, 0xff, 0xff, 0x7f, b'a'],
    );
    assert_rejected(&string, "byte 3");
}

#[test]
fn truncated_dump_at_every_offset_fails_cleanly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pstats/cprofile_py311.prof");
    let bytes = std::fs::read(path).unwrap();
    for len in 1..bytes.len() {
        let error = input::parse(&bytes[..len], "cut.prof", Format::Pstats)
            .expect_err("a truncated dump must not parse");
        let message = error.to_string();
        assert!(message.starts_with("cut.prof: "), "{message}");
        assert!(message.contains("byte "), "{message}");
    }
    // And a few through the binary, including the seed dump.
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(GOOD)).unwrap();
    for len in [1, 2, 7, seed.len() / 3, seed.len() / 2, seed.len() - 1] {
        let path = temp_file(dir.path(), &format!("cut{len}.prof"), &seed[..len]);
        assert_rejected(&path, "truncated");
    }
}

#[test]
fn the_python_2_dumps_also_fail_cleanly_when_cut() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pstats/profile_py27.prof");
    let bytes = std::fs::read(path).unwrap();
    for len in 1..bytes.len() {
        assert!(input::parse(&bytes[..len], "cut.prof", Format::Pstats).is_err());
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["diff", GOOD],
        vec!["diff", GOOD, GOOD, "--sort", "sideways"],
        vec!["diff", GOOD, GOOD, "--include", "("],
        vec!["diff", "-", "-"],
        vec!["frobnicate"],
    ] {
        let output = profdiff(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty());
    }
}

/// Times of 1e308 used to be accepted and their totals printed as `inf`
/// and `NaN%`; NaN and infinity likewise. They are refused, naming the
/// function; a callgrind count near 2⁶⁴ (whose sums saturate) too.
#[test]
fn non_finite_and_absurd_numbers_are_refused() {
    use profdiff::model::{Function, FunctionKind};
    let dir = tempfile::tempdir().unwrap();
    for (value, shown) in [(1e308, "1e308"), (f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let mut profile = crate::cprofile_profile("x");
        let mut f = Function::new("huge", FunctionKind::Source);
        f.file = Some("a.py".into());
        f.line = Some(1);
        f.calls = Some(1);
        f.self_cost = value;
        f.inclusive_cost = value;
        profile.functions.push(f);
        let mut bytes = Vec::new();
        profdiff::formats::pstats::write(&profile, &mut bytes).unwrap();
        let path = dir.path().join("huge.prof");
        std::fs::write(&path, bytes).unwrap();
        let output = crate::profdiff(&["show", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{shown}");
        let message = crate::stderr(&output);
        assert!(message.contains("huge.prof"), "{message}");
        // The pstats reader itself refuses NaN and infinity at their byte;
        // the check after parsing catches the finite but absurd.
        let named =
            message.contains("self cost of huge") || message.contains(&format!("tt is {shown}"));
        assert!(named, "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    let path = dir.path().join("huge.callgrind");
    std::fs::write(&path, "events: Ir\nfl=a.c\nfn=f\n1 18446744073709551615\n").unwrap();
    let output = crate::profdiff(&["show", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        crate::stderr(&output).contains("self cost of f"),
        "{}",
        crate::stderr(&output)
    );
}

/// Found by fuzzing after the check on absurd numbers was added: the
/// loader's streaming path (an uncompressed callgrind file) and the
/// in-memory path must both refuse such a file, with the same message.
#[test]
fn both_callgrind_paths_refuse_absurd_numbers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/callgrind-sanity-check-only-in-loader.bin");
    let bytes = std::fs::read(&path).unwrap();
    let streamed = profdiff::input::load(&path, &Default::default()).unwrap_err();
    let name = path.display().to_string();
    let in_memory = profdiff::input::parse(&bytes, &name, profdiff::Format::Callgrind).unwrap_err();
    assert_eq!(streamed.to_string(), in_memory.to_string());
    assert!(
        streamed.to_string().contains("which no profile measures"),
        "{streamed}"
    );
}
