//! Work spread over cores changes nothing: every output of a diff big
//! enough to be split (rows, alignment groups, JSON batches, runs, merge
//! inputs) is byte for byte the one a single thread writes
//! (`PROFDIFF_THREADS=1`).

use std::path::{Path, PathBuf};
use std::process::Command;

use profdiff::formats::pstats;
use profdiff::model::{Edge, Function, FunctionKind, Profile};

/// A pseudo-random number below `below` for (`index`, `salt`) (splitmix64):
/// no dependency, the same profile on every machine, and the base and the
/// variant draw the same numbers for the same function.
fn pick(index: u64, salt: u64, below: u64) -> u64 {
    let mut z =
        index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % below
}

/// 12,000 functions in 1,500 files, names repeating inside a file (several
/// classes' `__init__`, lambdas), each called from three earlier
/// functions. `variant` changes counts, times and lines, and drops and adds
/// some functions, as a new version of a program would.
fn synthetic(variant: bool) -> Profile {
    let names = [
        "__init__", "<lambda>", "run", "get", "update", "_call", "emit",
    ];
    let mut profile = crate::cprofile_profile("synthetic");
    for index in 0..12_000u64 {
        let file = index / 8;
        let name = names[pick(index, 1, names.len() as u64) as usize];
        let mut line = 10 + (index % 8) as u32 * 20 + pick(index, 2, 5) as u32;
        let mut calls = 1 + pick(index, 3, 50);
        let mut cost = (1 + pick(index, 4, 1000)) as f64 * 1e-6;
        let dropped = variant && index % 97 == 5;
        if variant && index % 13 == 0 {
            calls += 1 + pick(index, 5, 3);
            cost *= 1.5;
            line += 2;
        }
        if dropped {
            continue;
        }
        let mut f = Function::new(name, FunctionKind::Source);
        f.file = Some(format!("/srv/app/pkg{}/mod{file}.py", file % 40));
        f.line = Some(line);
        f.calls = Some(calls);
        f.primitive_calls = Some(calls);
        f.self_cost = cost;
        f.inclusive_cost = cost * (1.0 + pick(index, 6, 4) as f64);
        profile.functions.push(f);
    }
    if variant {
        for index in 0..300u64 {
            let mut f = Function::new("added", FunctionKind::Source);
            f.file = Some(format!("/srv/app/new/mod{index}.py"));
            f.line = Some(1);
            f.calls = Some(index + 1);
            f.primitive_calls = Some(index + 1);
            f.self_cost = 1e-4;
            f.inclusive_cost = 2e-4;
            profile.functions.push(f);
        }
    }
    let n = profile.functions.len();
    for callee in 1..n {
        let mut callers: Vec<usize> = (0..3)
            .map(|salt| pick(callee as u64, 10 + salt, callee as u64) as usize)
            .collect();
        callers.sort_unstable();
        callers.dedup();
        let calls = profile.functions[callee].calls.unwrap();
        for caller in callers {
            profile.edges.push(
                Edge::new(caller, callee)
                    .with_calls(Some(calls))
                    .with_primitive_calls(Some(calls))
                    .with_self_cost(Some(profile.functions[callee].self_cost))
                    .with_inclusive_cost(Some(profile.functions[callee].inclusive_cost)),
            );
        }
    }
    profile
}

pub(crate) fn write_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let paths = (dir.join("base.prof"), dir.join("new.prof"));
    for (path, variant) in [(&paths.0, false), (&paths.1, true)] {
        let mut bytes = Vec::new();
        pstats::write(&synthetic(variant), &mut bytes).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    paths
}

fn run(threads: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_profdiff"))
        .args(args)
        .env("PROFDIFF_THREADS", threads)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        output.status.code() == Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn one_thread_and_several_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (base, new) = write_pair(dir.path());
    let (base, new) = (base.to_str().unwrap(), new.to_str().unwrap());
    let cases: Vec<Vec<&str>> = vec![
        vec!["diff", base, new, "--format", "json", "--top", "0"],
        vec!["diff", base, new, "--top", "40", "--color", "never"],
        vec![
            "diff",
            base,
            new,
            "--format",
            "json",
            "--callers",
            "--top",
            "200",
        ],
        vec!["diff", base, new, "--format", "markdown", "--top", "30"],
        vec!["show", new, "--format", "json", "--top", "0"],
        vec!["merge", base, new, base, "-o", "-"],
        vec![
            "diff", "--base", base, base, base, "--new", new, new, new, "--format", "json",
        ],
    ];
    for args in cases {
        let one = run("1", &args);
        let three = run("3", &args);
        assert!(one.len() > 1000, "{args:?}: {} bytes", one.len());
        assert!(one == three, "{args:?} differs with more threads");
    }
}

/// The JSON rows are serialised in batches on several threads; the
/// document must still be the one serde writes whole, and hold every row.
#[test]
fn big_json_is_every_row_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (base, new) = write_pair(dir.path());
    let args = [
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
        "--top",
        "0",
    ];
    let compact = run("2", &args);
    let document: profdiff::wire::DiffDocument = serde_json::from_slice(&compact).unwrap();
    let summary = &document.summary;
    // The variant drops every 97th function and adds 300; names repeat
    // within files, so a few same-name functions may pair differently, but
    // nearly all pair.
    assert!(summary.added >= 300 && summary.added < 400, "{summary:?}");
    assert!(
        summary.removed >= 124 && summary.removed < 224,
        "{summary:?}"
    );
    assert!(summary.changed > 500, "{summary:?}");
    assert_eq!(
        summary.removed + summary.changed + summary.unchanged + summary.added,
        document.functions.len()
    );
    let mut again = serde_json::to_vec(&document).unwrap();
    again.push(b'\n');
    assert!(again == compact, "the streamed document is serde's own");
}
