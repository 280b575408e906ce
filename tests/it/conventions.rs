//! One program, two producers: the `profile` module against cProfile, and
//! pstats text printed with `strip_dirs()` against the dump of the same run.
//! Expectations come from Python's pstats views of the inputs
//! (`*.expected.json[.gz]`) and from how CPython names builtins.

use std::collections::HashMap;
use std::path::Path;

use profdiff::align::{self, AlignOptions};
use profdiff::input::{self, LoadOptions};
use profdiff::Profile;
use serde_json::Value;

use crate::realworld::{fixture, load};

fn expected(path: &std::path::Path) -> Value {
    let file = std::fs::File::open(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
    } else {
        serde_json::from_reader(file).unwrap()
    }
}

/// (file, line, name) → function id, as the profile recorded them.
fn by_identity(profile: &Profile) -> HashMap<(String, u32, String), usize> {
    profile
        .functions
        .iter()
        .enumerate()
        .map(|(id, f)| {
            let file = f.file.clone().unwrap_or_default();
            ((file, f.line.unwrap_or(0), f.name.clone()), id)
        })
        .collect()
}

/// The row of each side's functions.
fn rows(aligned: &[align::Aligned], base: &Profile, new: &Profile) -> (Vec<usize>, Vec<usize>) {
    let mut of_base = vec![usize::MAX; base.functions.len()];
    let mut of_new = vec![usize::MAX; new.functions.len()];
    for (row, a) in aligned.iter().enumerate() {
        if let Some(id) = a.base {
            of_base[id] = row;
        }
        if let Some(id) = a.new {
            of_new[id] = row;
        }
    }
    (of_base, of_new)
}

/// How CPython names a builtin for cProfile (Modules/_lsprof.c,
/// `normalizeUserObj`: `<built-in method MODULE.NAME>`, `<method 'NAME' of
/// 'TYPE' objects>`, or the callable's repr, `<function QUALNAME at 0x…>`)
/// reduced to what the `profile` module records (Lib/profile.py:
/// `fn.__name__`).
fn cprofile_builtin_name(label: &str) -> Option<&str> {
    let inner = label.strip_prefix('<')?.strip_suffix('>')?;
    if let Some(rest) = inner.strip_prefix("method '") {
        return rest.split('\'').next();
    }
    if let Some(rest) = inner.strip_prefix("function ") {
        return rest.split(" at 0x").next()?.rsplit('.').next();
    }
    let rest = inner.strip_prefix("built-in method ")?;
    let rest = rest.split(" of ").next()?;
    rest.rsplit('.').next()
}

#[test]
fn profile_module_and_cprofile_of_one_run_align() {
    let cprofile = load("small-cprofile.prof");
    let profile = load("small-profile.prof");
    let aligned = align::align(&cprofile, &profile, &AlignOptions::default());
    let (row_c, row_p) = rows(&aligned, &cprofile, &profile);
    let (ids_c, ids_p) = (by_identity(&cprofile), by_identity(&profile));
    let expected_c = expected(&fixture("small-cprofile.expected.json.gz"));
    let expected_p = expected(&fixture("small-profile.expected.json.gz"));

    // Python functions carry the same (file, line, name) in both dumps.
    let mut python = 0;
    let profile_keys: HashMap<(String, u32, String), ()> = expected_p["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"].is_string())
        .map(|f| {
            let file = f["file"].as_str().unwrap().to_string();
            let line = f["line"].as_u64().unwrap() as u32;
            ((file, line, f["name"].as_str().unwrap().to_string()), ())
        })
        .collect();
    for f in expected_c["functions"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        if file == "~" {
            continue;
        }
        let key = (
            file.to_string(),
            f["line"].as_u64().unwrap() as u32,
            f["name"].as_str().unwrap().to_string(),
        );
        if profile_keys.contains_key(&key) {
            python += 1;
            assert_eq!(row_c[ids_c[&key]], row_p[ids_p[&key]], "{key:?}");
        }
    }
    assert!(python > 1400, "{python} Python functions in both");

    // A builtin the profile module records by a __name__ that exactly one
    // cProfile builtin has pairs with it.
    let mut names: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in expected_c["functions"].as_array().unwrap() {
        if f["file"] == "~" {
            let label = f["name"].as_str().unwrap();
            let name = cprofile_builtin_name(label).unwrap_or_else(|| panic!("{label}"));
            names.entry(name).or_default().push(label);
        }
    }
    let mut unique = 0;
    for f in expected_p["functions"].as_array().unwrap() {
        if f["file"] != "" {
            continue;
        }
        let name = f["name"].as_str().unwrap();
        let Some([label]) = names.get(name).map(Vec::as_slice) else {
            continue;
        };
        unique += 1;
        let c = ids_c[&("~".to_string(), 0, label.to_string())];
        let p = ids_p[&(String::new(), 0, name.to_string())];
        assert_eq!(row_c[c], row_p[p], "{name} = {label}");
    }
    assert!(unique > 140, "{unique} builtins with one cProfile name");

    // And the diff says how it matched them.
    let output = crate::profdiff(&[
        "diff",
        "fixtures/realworld/small-cprofile.prof",
        "fixtures/realworld/small-profile.prof",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&crate::stdout(&output)).unwrap();
    let notes = doc["summary"]["notes"].to_string();
    assert!(
        notes.contains("builtins are matched by name alone"),
        "{notes}"
    );
}

#[test]
fn strip_dirs_text_aligns_with_the_dump_of_its_run() {
    // fixtures/text: the seed app's text and binary dump of ONE run.
    let load_fixture = |name: &str| {
        let path = format!("{}/fixtures/text/{name}", env!("CARGO_MANIFEST_DIR"));
        input::load(Path::new(&path), &LoadOptions::default()).unwrap()
    };
    let dump = load_fixture("seed_after_paired.prof");
    let text = load_fixture("seed_after_paired.txt");
    let aligned = align::align(&dump, &text, &AlignOptions::default());
    let (row_d, row_t) = rows(&aligned, &dump, &text);

    // pstats' own view of the dump, reduced the way strip_dirs() reduces
    // it: (base name, line, name). A reduced key that one entry has pairs
    // with the text's row of that key.
    let view = expected(std::path::Path::new(&format!(
        "{}/fixtures/text/seed_after_paired.expected.json.gz",
        env!("CARGO_MANIFEST_DIR")
    )));
    type Identity = (String, u32, String);
    let mut reduced: HashMap<Identity, Vec<Identity>> = HashMap::new();
    for f in view["functions"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        let line = f["line"].as_u64().unwrap() as u32;
        let name = f["name"].as_str().unwrap().to_string();
        let base = file.rsplit('/').next().unwrap().to_string();
        reduced
            .entry((base, line, name.clone()))
            .or_default()
            .push((file.to_string(), line, name));
    }
    let (ids_d, ids_t) = (by_identity(&dump), by_identity(&text));
    let mut checked = 0;
    let mut merged = 0;
    for (short, full) in &reduced {
        let Some(&t) = ids_t.get(short) else {
            continue;
        };
        match full.as_slice() {
            [one] => {
                checked += 1;
                let d = ids_d[one];
                assert_eq!(row_d[d], row_t[t], "{one:?}");
                assert_eq!(dump.functions[d].calls, text.functions[t].calls, "{one:?}");
            }
            _ => merged += 1,
        }
    }
    assert!(
        checked > 2500,
        "{checked} rows checked, {merged} merged by strip_dirs"
    );
}
