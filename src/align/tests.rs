use super::paths::PathRules;
use super::*;
use crate::model::{Format, ProfileMeta, Unit};
use crate::model::{Function, FunctionKind};

fn profile(functions: Vec<Function>) -> Profile {
    let mut profile = Profile::new(ProfileMeta {
        path: "test.prof".into(),
        format: Format::Pstats,
        unit: Unit::Seconds,
        precision: None,
        producer: None,
        notes: Vec::new(),
    });
    profile.functions = functions;
    profile
}

fn src(file: &str, line: u32, name: &str) -> Function {
    let mut function = Function::new(name, FunctionKind::Source);
    function.file = Some(file.into());
    function.line = Some(line);
    function
}

fn builtin(name: &str) -> Function {
    let mut function = Function::new(name, FunctionKind::Builtin);
    function.file = Some("~".into());
    function.line = Some(0);
    function
}

fn opts() -> AlignOptions {
    AlignOptions::default()
}

/// The alignment as (key, base id, new id), checking the invariants every
/// alignment must keep.
fn rows(
    base: &Profile,
    new: &Profile,
    opts: &AlignOptions,
) -> Vec<(String, Option<usize>, Option<usize>)> {
    let aligned = align(base, new, opts);
    assert_every_function_once(&aligned, base, new);
    aligned
        .into_iter()
        .map(|row| (row.key, row.base, row.new))
        .collect()
}

fn assert_every_function_once(aligned: &[Aligned], base: &Profile, new: &Profile) {
    let mut base_seen = vec![0; base.functions.len()];
    let mut new_seen = vec![0; new.functions.len()];
    let mut keys = std::collections::HashSet::new();
    for row in aligned {
        assert!(row.base.is_some() || row.new.is_some(), "empty row {row:?}");
        if let Some(id) = row.base {
            base_seen[id] += 1;
        }
        if let Some(id) = row.new {
            new_seen[id] += 1;
        }
        assert!(keys.insert(row.key.clone()), "duplicate key {}", row.key);
    }
    assert!(
        base_seen.iter().all(|&n| n == 1),
        "base coverage {base_seen:?}"
    );
    assert!(
        new_seen.iter().all(|&n| n == 1),
        "new coverage {new_seen:?}"
    );
}

fn key_of(base: &Profile, new: &Profile, base_id: Option<usize>, new_id: Option<usize>) -> String {
    align(base, new, &opts())
        .into_iter()
        .find(|row| row.base == base_id && row.new == new_id)
        .unwrap_or_else(|| panic!("no row {base_id:?}/{new_id:?}"))
        .key
}

#[test]
fn line_shift_and_machine_root_still_match() {
    let base = profile(vec![src("/Users/me/app/handler.py", 8, "handler")]);
    let new = profile(vec![src("/var/task/handler.py", 10, "handler")]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![("handler.py:handler".into(), Some(0), Some(0))]
    );
}

#[test]
fn venv_lambda_and_layer_paths_match() {
    let base = profile(vec![
        src("/Users/me/app/handler.py", 8, "handler"),
        src(
            "/Users/me/app/.venv/lib/python3.11/site-packages/botocore/session.py",
            1014,
            "create_client",
        ),
    ]);
    let new = profile(vec![
        src("/var/task/handler.py", 10, "handler"),
        src("/var/task/botocore/session.py", 1020, "create_client"),
    ]);
    let layer = profile(vec![
        src("/var/task/handler.py", 10, "handler"),
        src(
            "/opt/python/lib/python3.12/site-packages/botocore/session.py",
            990,
            "create_client",
        ),
    ]);
    let expected = vec![
        (
            "botocore/session.py:create_client".to_string(),
            Some(1),
            Some(1),
        ),
        ("handler.py:handler".to_string(), Some(0), Some(0)),
    ];
    assert_eq!(rows(&base, &new, &opts()), expected);
    assert_eq!(rows(&base, &layer, &opts()), expected);
    assert_eq!(
        normalized_files(&new, &opts()),
        vec![
            Some("handler.py".into()),
            Some("botocore/session.py".into())
        ]
    );
}

#[test]
fn stdlib_paths_match_across_interpreters() {
    let base = profile(vec![src(
        "/usr/lib/python3.11/json/decoder.py",
        332,
        "decode",
    )]);
    let new = profile(vec![src(
        "/var/lang/lib/python3.12/json/decoder.py",
        338,
        "decode",
    )]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![("json/decoder.py:decode".into(), Some(0), Some(0))]
    );

    let rules = PathRules::new(&opts());
    for path in [
        "/usr/lib64/python3.11/json/decoder.py",
        "/opt/py/lib/python3.13t/json/decoder.py",
        "/opt/pypy/lib/pypy3.10/json/decoder.py",
        "/opt/pypy/lib-python/3/json/decoder.py",
        r"C:\Python311\Lib\json\decoder.py",
        "/Users/me/.pyenv/versions/3.11.4/lib/python3.11/json/decoder.py",
    ] {
        assert_eq!(
            rules.apply(path),
            ("json/decoder.py".to_string(), true),
            "{path}"
        );
    }
    // `Lib` is only the stdlib on Windows.
    assert_eq!(
        rules.apply("/src/Lib/x.py"),
        ("/src/Lib/x.py".to_string(), false)
    );
}

#[test]
fn site_packages_rules() {
    let rules = PathRules::new(&opts());
    for (path, expected) in [
        (
            r"C:\app\.venv\Lib\site-packages\botocore\session.py",
            "botocore/session.py",
        ),
        (
            "/usr/lib/python3/dist-packages/yaml/__init__.py",
            "yaml/__init__.py",
        ),
        ("/a/site-packages/vendored/site-packages/x/y.py", "x/y.py"),
        (
            "/v/lib/python3.11/site-packages/foo-1.0-py3.11.egg/foo/x.py",
            "foo/x.py",
        ),
        (".venv/lib/python3.11/site-packages/x.py", "x.py"),
    ] {
        assert_eq!(rules.apply(path), (expected.to_string(), true), "{path}");
    }
}

#[test]
fn root_is_the_common_directory_of_unshortened_absolute_paths() {
    let p = profile(vec![
        src("/srv/app/handler.py", 1, "handler"),
        src("/srv/app/pkg/util.py", 1, "helper"),
        src(
            "/srv/app/.venv/lib/python3.11/site-packages/requests/api.py",
            1,
            "get",
        ),
        src("/usr/lib/python3.11/json/decoder.py", 1, "decode"),
        src("<frozen importlib._bootstrap>", 1, "_find_and_load"),
        src("./rel/mod.py", 1, "f"),
        builtin("<built-in method builtins.len>"),
    ]);
    assert_eq!(
        normalized_files(&p, &opts()),
        vec![
            Some("handler.py".into()),
            Some("pkg/util.py".into()),
            Some("requests/api.py".into()),
            Some("json/decoder.py".into()),
            Some("<frozen importlib._bootstrap>".into()),
            Some("rel/mod.py".into()),
            None,
        ]
    );
    // Windows profile: backslashes and a drive.
    let w = profile(vec![src(r"C:\Users\me\app\handler.py", 1, "handler")]);
    assert_eq!(keys(&w, &opts()), vec!["handler.py:handler".to_string()]);
    // Component boundaries, not characters.
    let c = profile(vec![
        src("/srv/abc/x.py", 1, "f"),
        src("/srv/abd/y.py", 1, "g"),
    ]);
    assert_eq!(
        normalized_files(&c, &opts()),
        vec![Some("abc/x.py".into()), Some("abd/y.py".into())]
    );
}

#[test]
fn strip_prefix_on_component_boundary() {
    let strip = AlignOptions {
        strip_prefixes: vec!["/home/ci/build/".into(), r"\\share\src".into()],
    };
    let base = profile(vec![
        src("/home/ci/build/src/app.py", 3, "main"),
        src("/home/ci/builder/other.py", 3, "other"),
        src(r"\\share\src\lib\x.py", 3, "x"),
    ]);
    assert_eq!(
        normalized_files(&base, &strip),
        vec![
            Some("src/app.py".into()),
            // The only unshortened absolute path: its directory is the root.
            Some("other.py".into()),
            Some("lib/x.py".into()),
        ]
    );
    let new = profile(vec![src("src/app.py", 5, "main")]);
    assert_eq!(
        rows(&base, &new, &strip)
            .into_iter()
            .find(|row| row.1 == Some(0)),
        Some(("src/app.py:main".into(), Some(0), Some(0)))
    );
}

#[test]
fn duplicate_names_pair_in_line_order() {
    let base = profile(vec![
        src("/app/shapes.py", 12, "__init__"), // Square
        src("/app/shapes.py", 3, "__init__"),  // Circle
        src("/app/shapes.py", 5, "area"),
        src("/app/shapes.py", 14, "diagonal"),
    ]);
    let new = profile(vec![
        src("/app/shapes.py", 4, "__init__"),
        src("/app/shapes.py", 6, "area"),
        src("/app/shapes.py", 13, "__init__"),
        src("/app/shapes.py", 15, "diagonal"),
    ]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("shapes.py:__init__#1".into(), Some(1), Some(0)),
            ("shapes.py:area".into(), Some(2), Some(1)),
            ("shapes.py:__init__#2".into(), Some(0), Some(2)),
            ("shapes.py:diagonal".into(), Some(3), Some(3)),
        ]
    );
}

fn with_calls(mut function: Function, calls: u64) -> Function {
    function.calls = Some(calls);
    function.primitive_calls = Some(calls);
    function
}

#[test]
fn inserted_class_with_no_evidence_is_not_guessed() {
    // Circle, Square → Circle, Triangle, Square. From lines alone the base's
    // second `__init__` could be either new one: the anchor before it
    // (circumference) says line 9, the anchor after it (diagonal) says 16.
    let base = profile(vec![
        src("/app/shapes.py", 2, "__init__"),
        src("/app/shapes.py", 5, "circumference"),
        src("/app/shapes.py", 9, "__init__"),
        src("/app/shapes.py", 12, "diagonal"),
    ]);
    let new = profile(vec![
        src("/app/shapes.py", 2, "__init__"),
        src("/app/shapes.py", 5, "circumference"),
        src("/app/shapes.py", 9, "__init__"),
        src("/app/shapes.py", 12, "hypotenuse"),
        src("/app/shapes.py", 16, "__init__"),
        src("/app/shapes.py", 19, "diagonal"),
    ]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("shapes.py:__init__#1".into(), Some(0), Some(0)),
            ("shapes.py:circumference".into(), Some(1), Some(1)),
            ("shapes.py:__init__#2".into(), None, Some(2)),
            ("shapes.py:__init__#3".into(), Some(2), None),
            ("shapes.py:hypotenuse".into(), None, Some(3)),
            ("shapes.py:__init__#4".into(), None, Some(4)),
            ("shapes.py:diagonal".into(), Some(3), Some(5)),
        ]
    );
}

#[test]
fn inserted_class_pairs_by_call_counts() {
    // As above, but Square is built 4 times on both sides and Triangle once:
    // the call counts single out the partner.
    let base = profile(vec![
        with_calls(src("/app/shapes.py", 2, "__init__"), 7),
        with_calls(src("/app/shapes.py", 5, "circumference"), 7),
        with_calls(src("/app/shapes.py", 9, "__init__"), 4),
        with_calls(src("/app/shapes.py", 12, "diagonal"), 4),
    ]);
    let new = profile(vec![
        with_calls(src("/app/shapes.py", 2, "__init__"), 7),
        with_calls(src("/app/shapes.py", 5, "circumference"), 7),
        with_calls(src("/app/shapes.py", 9, "__init__"), 1),
        with_calls(src("/app/shapes.py", 12, "hypotenuse"), 1),
        with_calls(src("/app/shapes.py", 16, "__init__"), 4),
        with_calls(src("/app/shapes.py", 19, "diagonal"), 4),
    ]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("shapes.py:__init__#1".into(), Some(0), Some(0)),
            ("shapes.py:circumference".into(), Some(1), Some(1)),
            ("shapes.py:__init__#2".into(), None, Some(2)),
            ("shapes.py:hypotenuse".into(), None, Some(3)),
            ("shapes.py:__init__#3".into(), Some(2), Some(4)),
            ("shapes.py:diagonal".into(), Some(3), Some(5)),
        ]
    );
}

#[test]
fn line_shift_of_the_anchor_before_pairs_a_genexpr() {
    // black 23.12.1 → 24.8.0, linegen.py: a genexpr inside
    // `_maybe_split_omitting_optional_parens` moved 921 → 960 with its
    // function (878 → 917); a new genexpr appeared at 1045 in a function
    // that is not in the base. The shift of the function before it (+39)
    // points at 960; call counts differ, so only the shift can tell.
    let base = profile(vec![
        with_calls(
            src("/v/site-packages/black/linegen.py", 100, "<genexpr>"),
            5,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 878, "_maybe_split"),
            153,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 921, "<genexpr>"),
            153,
        ),
        with_calls(src("/v/site-packages/black/linegen.py", 1500, "tail"), 1),
    ]);
    let new = profile(vec![
        with_calls(
            src("/v/site-packages/black/linegen.py", 100, "<genexpr>"),
            5,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 917, "_maybe_split"),
            153,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 960, "<genexpr>"),
            140,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 1040, "_prefer_rhs"),
            24,
        ),
        with_calls(
            src("/v/site-packages/black/linegen.py", 1045, "<genexpr>"),
            24,
        ),
        with_calls(src("/v/site-packages/black/linegen.py", 1600, "tail"), 1),
    ]);
    let aligned = rows(&base, &new, &opts());
    assert!(
        aligned.contains(&("black/linegen.py:<genexpr>#2".into(), Some(2), Some(2))),
        "{aligned:?}"
    );
    assert!(aligned.contains(&("black/linegen.py:<genexpr>#3".into(), None, Some(4))));
}

#[test]
fn deleted_lambda_is_removed_not_shifted() {
    let base = profile(vec![
        src("/app/m.py", 1, "f"),
        src("/app/m.py", 2, "<lambda>"),
        src("/app/m.py", 5, "g"),
        src("/app/m.py", 6, "<lambda>"),
        src("/app/m.py", 9, "h"),
    ]);
    let new = profile(vec![
        src("/app/m.py", 1, "f"),
        src("/app/m.py", 4, "g"),
        src("/app/m.py", 5, "<lambda>"),
        src("/app/m.py", 8, "h"),
    ]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("m.py:f".into(), Some(0), Some(0)),
            ("m.py:<lambda>#1".into(), Some(1), None),
            ("m.py:g".into(), Some(2), Some(1)),
            ("m.py:<lambda>#2".into(), Some(3), Some(2)),
            ("m.py:h".into(), Some(4), Some(3)),
        ]
    );
}

#[test]
fn moved_function_still_matched() {
    // All names unique: pairs by name whatever the order.
    let base = profile(vec![src("/app/m.py", 1, "a"), src("/app/m.py", 10, "b")]);
    let new = profile(vec![src("/app/m.py", 1, "b"), src("/app/m.py", 10, "a")]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("m.py:a".into(), Some(0), Some(1)),
            ("m.py:b".into(), Some(1), Some(0))
        ]
    );

    // With duplicates around, the diff leaves the moved function over and
    // the unique-leftover pass pairs it.
    let base = profile(vec![
        src("/app/m.py", 1, "<genexpr>"),
        src("/app/m.py", 2, "a"),
        src("/app/m.py", 3, "<genexpr>"),
        src("/app/m.py", 4, "b"),
        src("/app/m.py", 5, "c"),
    ]);
    let new = profile(vec![
        src("/app/m.py", 1, "<genexpr>"),
        src("/app/m.py", 2, "c"),
        src("/app/m.py", 3, "a"),
        src("/app/m.py", 4, "<genexpr>"),
        src("/app/m.py", 5, "b"),
    ]);
    let aligned = rows(&base, &new, &opts());
    for (name, b, n) in [("a", 1, 2), ("b", 3, 4), ("c", 4, 1)] {
        assert!(
            aligned.contains(&(format!("m.py:{name}"), Some(b), Some(n))),
            "{name}: {aligned:?}"
        );
    }
    assert!(aligned.contains(&("m.py:<genexpr>#1".into(), Some(0), Some(0))));
    assert!(aligned.contains(&("m.py:<genexpr>#2".into(), Some(2), Some(3))));
}

#[test]
fn added_and_removed() {
    let base = profile(vec![
        src("/app/m.py", 1, "old"),
        src("/app/m.py", 5, "kept"),
    ]);
    let new = profile(vec![
        src("/app/m.py", 1, "kept"),
        src("/app/other.py", 1, "fresh"),
    ]);
    // Root of new is /app too (two files), of base /app (its directory).
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("m.py:old".into(), Some(0), None),
            ("m.py:kept".into(), Some(1), Some(0)),
            ("other.py:fresh".into(), None, Some(1)),
        ]
    );
}

#[test]
fn builtins_match_and_key_like_pstats() {
    let mut profile_len = Function::new("len", FunctionKind::Builtin);
    profile_len.file = Some(String::new());
    profile_len.line = Some(0);
    let mut profiler = Function::new("profiler", FunctionKind::Synthetic);
    profiler.file = Some("profile".into());
    profiler.line = Some(0);
    let base = profile(vec![
        builtin("<built-in method builtins.len>"),
        builtin("<method 'get' of 'dict' objects>"),
        builtin("<len>"),
        profile_len.clone(),
        profiler.clone(),
    ]);
    let new = profile(vec![
        profiler,
        builtin("<method 'get' of 'dict' objects>"),
        builtin("<built-in method builtins.len>"),
    ]);
    let aligned = align(&base, &new, &opts());
    assert_every_function_once(&aligned, &base, &new);
    let find = |key: &str| {
        aligned
            .iter()
            .find(|row| row.key == key)
            .map(|row| (row.base, row.new))
    };
    assert_eq!(
        find("{built-in method builtins.len}"),
        Some((Some(0), Some(2)))
    );
    assert_eq!(
        find("{method 'get' of 'dict' objects}"),
        Some((Some(1), Some(1)))
    );
    assert_eq!(find("profile:0(profiler)"), Some((Some(4), Some(0))));
    // Python 2.7's `<len>` and the profile module's `len` share a key
    // shape; in one profile they collide and are numbered.
    assert_eq!(find("{len}#1"), Some((Some(2), None)));
    assert_eq!(find("{len}#2"), Some((Some(3), None)));
    assert_eq!(display_name(&profile_len, None, Some(0)), "{len}");

    // Addresses differ between runs.
    let old_run = profile(vec![
        builtin("<built-in method __new__ of type object at 0x7f5294e5ea00>"),
        builtin("<function socket.close at 0x7f5294225940>"),
        builtin("<function odd at 0xg>"),
    ]);
    let new_run = profile(vec![
        builtin("<function socket.close at 0x7f7ae16118a0>"),
        builtin("<built-in method __new__ of type object at 0x7f7ae225ea00>"),
        builtin("<function odd at 0xg>"),
    ]);
    assert_eq!(
        rows(&old_run, &new_run, &opts()),
        vec![
            (
                "{built-in method __new__ of type object}".into(),
                Some(0),
                Some(1)
            ),
            ("{function socket.close}".into(), Some(1), Some(0)),
            ("{function odd at 0xg}".into(), Some(2), Some(2)),
        ]
    );
    // Tables leave them out too: they differ on every run.
    assert_eq!(
        display_name(&old_run.functions[1], None, Some(0)),
        "{function socket.close}"
    );
    assert_eq!(normalized_files(&base, &opts())[4], Some("profile".into()));
}

#[test]
fn object_and_bare_functions() {
    // As the callgrind reader records them: no file means Builtin.
    let mut malloc = Function::new("malloc", FunctionKind::Builtin);
    malloc.object = Some("/usr/lib/x86_64-linux-gnu/libc.so.6".into());
    let mut main = Function::new("main", FunctionKind::Source);
    main.object = Some("/home/me/build/prog".into());
    main.file = Some("/home/me/src/prog.c".into());
    main.line = Some(10);
    let mut unknown = Function::new("memcpy", FunctionKind::Source);
    unknown.object = Some("/lib/libc.so.6".into());
    unknown.file = Some("???".into());
    let kernel = Function::new("do_syscall_64_[k]", FunctionKind::Builtin);
    let bare = Function::new("fold_frame", FunctionKind::Source);
    let p = profile(vec![
        malloc.clone(),
        main.clone(),
        unknown,
        kernel.clone(),
        bare.clone(),
    ]);
    assert_eq!(
        keys(&p, &opts()),
        vec![
            "libc.so.6:malloc".to_string(),
            "prog.c:main".into(),
            "libc.so.6:memcpy".into(),
            "do_syscall_64_[k]".into(),
            "fold_frame".into(),
        ]
    );
    assert_eq!(display_name(&malloc, None, None), "libc.so.6:malloc");
    assert_eq!(
        display_name(&main, Some("prog.c"), Some(10)),
        "prog.c:10(main)"
    );
    assert_eq!(display_name(&kernel, None, None), "do_syscall_64_[k]");
    assert_eq!(display_name(&bare, None, None), "fold_frame");

    // The same library at another path on another machine.
    let mut other = malloc.clone();
    other.object = Some("/usr/lib64/libc.so.6".into());
    let new = profile(vec![other]);
    assert_eq!(
        rows(&profile(vec![malloc]), &new, &opts()),
        vec![("libc.so.6:malloc".into(), Some(0), Some(0))]
    );
}

#[test]
fn display_names() {
    let f = src("/x/botocore/session.py", 1014, "create_client");
    assert_eq!(
        display_name(&f, Some("botocore/session.py"), Some(1014)),
        "botocore/session.py:1014(create_client)"
    );
    assert_eq!(
        display_name(&f, Some("botocore/session.py"), None),
        "botocore/session.py(create_client)"
    );
    assert_eq!(
        display_name(&builtin("<built-in method builtins.len>"), None, Some(0)),
        "{built-in method builtins.len}"
    );
}

#[test]
fn keys_are_unique_even_when_strings_collide() {
    // File `a` with name `b:c` and file `a:b` with name `c` both spell
    // `a:b:c`.
    let p = profile(vec![
        src("a", 1, "b:c"),
        src("a:b", 1, "c"),
        src("a", 2, "b:c@2"),
    ]);
    let k = keys(&p, &opts());
    assert_eq!(
        k,
        vec!["a:b:c".to_string(), "a:b:c@3".into(), "a:b:c@2".into()]
    );
    assert_eq!(align(&p, &p, &opts()).len(), 3);

    // A bare name spelling a file-keyed key.
    let p = profile(vec![
        src("/app/m.py", 1, "f"),
        Function::new("m.py:f", FunctionKind::Source),
    ]);
    assert_eq!(
        keys(&p, &opts()),
        vec!["m.py:f".to_string(), "m.py:f@2".into()]
    );

    // A name spelling another's ordinal.
    let p = profile(vec![
        src("/app/m.py", 1, "f"),
        src("/app/m.py", 2, "f"),
        src("/app/m.py", 3, "f#1"),
    ]);
    assert_eq!(
        keys(&p, &opts()),
        vec![
            "m.py:f#1".to_string(),
            "m.py:f#2".into(),
            "m.py:f#1@2".into()
        ]
    );

    // Colons in C++ names are harmless.
    let mut cpp = Function::new("std::vector<int>::push_back", FunctionKind::Source);
    cpp.object = Some("/usr/lib/libstdc++.so.6".into());
    let p = profile(vec![cpp, Function::new("std::abort", FunctionKind::Source)]);
    assert_eq!(
        keys(&p, &opts()),
        vec![
            "libstdc++.so.6:std::vector<int>::push_back".to_string(),
            "std::abort".into()
        ]
    );
}

#[test]
fn keys_consistent_with_self_alignment() {
    let p = profile(vec![
        src("/app/shapes.py", 12, "__init__"),
        src("/app/shapes.py", 3, "__init__"),
        src("/app/shapes.py", 5, "area"),
        src("/app/lib/python3.11/site-packages/pkg/m.py", 1, "<lambda>"),
        src("/app/lib/python3.11/site-packages/pkg/m.py", 1, "<lambda>"),
        builtin("<built-in method builtins.len>"),
    ]);
    let k = keys(&p, &opts());
    assert_eq!(
        k,
        vec![
            "shapes.py:__init__#2".to_string(),
            "shapes.py:__init__#1".into(),
            "shapes.py:area".into(),
            "pkg/m.py:<lambda>#1".into(),
            "pkg/m.py:<lambda>#2".into(),
            "{built-in method builtins.len}".into(),
        ]
    );
    let aligned = align(&p, &p, &opts());
    assert_every_function_once(&aligned, &p, &p);
    for row in aligned {
        assert_eq!(row.base, row.new);
        assert_eq!(k[row.base.unwrap()], row.key);
    }
    assert_eq!(key_of(&p, &p, Some(1), Some(1)), "shapes.py:__init__#1");
}

#[test]
fn sampled_profiles_without_lines() {
    let mut a = Function::new("work", FunctionKind::Source);
    a.file = Some("/home/u/app/jobs.py".into());
    let mut b = a.clone();
    b.name = "<lambda>".into();
    let mut c = b.clone();
    c.name = "<lambda>".into();
    let base = profile(vec![a.clone(), b.clone(), c.clone()]);
    let mut a2 = a;
    a2.file = Some("/srv/app/jobs.py".into());
    let new = profile(vec![a2]);
    assert_eq!(
        rows(&base, &new, &opts()),
        vec![
            ("jobs.py:work".into(), Some(0), Some(0)),
            ("jobs.py:<lambda>#1".into(), Some(1), None),
            ("jobs.py:<lambda>#2".into(), Some(2), None),
        ]
    );
}

#[test]
fn empty_profiles() {
    let empty = profile(Vec::new());
    assert!(align(&empty, &empty, &opts()).is_empty());
    assert!(keys(&empty, &opts()).is_empty());
}
