//! Tests on hand-made profiles, written with a tiny protobuf writer;
//! tests/it/formats.rs reads the fixtures.

use super::*;

/// A tiny protobuf writer for hand-made test profiles.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut value: u64) -> &mut Self {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.0.push(byte);
                return self;
            }
            self.0.push(byte | 0x80);
        }
    }
    fn field(&mut self, field: u64, value: u64) -> &mut Self {
        self.varint(field << 3).varint(value)
    }
    fn message(&mut self, field: u64, body: &[u8]) -> &mut Self {
        self.varint((field << 3) | 2).varint(body.len() as u64);
        self.0.extend_from_slice(body);
        self
    }
    fn string(&mut self, text: &str) -> &mut Self {
        self.message(6, text.as_bytes())
    }
}

fn msg(build: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    build(&mut w);
    w.0
}

/// Two sample types; main → f where location 2 inlines g into f.
fn profile(packed: bool) -> Vec<u8> {
    let mut w = Writer::default();
    w.message(
        1,
        &msg(|m| {
            m.field(1, 1).field(2, 2);
        }),
    );
    w.message(
        1,
        &msg(|m| {
            m.field(1, 3).field(2, 4);
        }),
    );
    let sample = |locations: &[u64], values: &[u64]| {
        msg(|m| {
            if packed {
                m.message(
                    1,
                    &msg(|p| {
                        for &l in locations {
                            p.varint(l);
                        }
                    }),
                );
                m.message(
                    2,
                    &msg(|p| {
                        for &v in values {
                            p.varint(v);
                        }
                    }),
                );
            } else {
                for &l in locations {
                    m.field(1, l);
                }
                for &v in values {
                    m.field(2, v);
                }
            }
        })
    };
    w.message(2, &sample(&[2, 1], &[3, 3000]));
    w.message(2, &sample(&[1], &[1, 1000]));
    w.message(
        4,
        &msg(|m| {
            m.field(1, 1).message(
                4,
                &msg(|l| {
                    l.field(1, 1).field(2, 10);
                }),
            );
        }),
    );
    w.message(
        4,
        &msg(|m| {
            m.field(1, 2)
                .message(
                    4,
                    &msg(|l| {
                        l.field(1, 3).field(2, 30);
                    }),
                )
                .message(
                    4,
                    &msg(|l| {
                        l.field(1, 2).field(2, 20);
                    }),
                );
        }),
    );
    for (id, name) in [(1, 7), (2, 8), (3, 9)] {
        w.message(
            5,
            &msg(|m| {
                m.field(1, id).field(2, name).field(4, 6).field(5, id * 10);
            }),
        );
    }
    for s in [
        "",
        "samples",
        "count",
        "cpu",
        "nanoseconds",
        "unused",
        "a.go",
        "main",
        "f",
        "g",
    ] {
        w.string(s);
    }
    w.0
}

fn by_name<'p>(p: &'p Profile, name: &str) -> &'p crate::model::Function {
    p.functions.iter().find(|f| f.name == name).unwrap()
}

#[test]
fn inlined_lines_and_both_encodings() {
    for packed in [false, true] {
        let p = parse(&profile(packed), "x", &PprofOptions::default()).unwrap();
        assert_eq!(p.meta.unit, Unit::Seconds);
        assert!((p.total_cost() - 4e-6).abs() < 1e-15);
        // g was inlined into f: main → f → g, g is the leaf.
        assert!((by_name(&p, "g").self_cost - 3e-6).abs() < 1e-15);
        assert!((by_name(&p, "f").inclusive_cost - 3e-6).abs() < 1e-15);
        assert!((by_name(&p, "main").self_cost - 1e-6).abs() < 1e-15);
        assert_eq!(by_name(&p, "f").line, Some(20));
        let names: Vec<&str> = p.stacks[0]
            .frames
            .iter()
            .map(|&f| p.functions[f].name.as_str())
            .collect();
        assert_eq!(names, ["main", "f", "g"]);
    }
}

#[test]
fn metric_selection() {
    let options = PprofOptions {
        metric: Some("samples".into()),
    };
    let p = parse(&profile(true), "x", &options).unwrap();
    assert_eq!(p.meta.unit, Unit::Samples);
    assert_eq!(p.total_cost(), 4.0);
    let options = PprofOptions {
        metric: Some("wall".into()),
    };
    let error = parse(&profile(true), "x", &options).unwrap_err();
    assert!(
        error.message.contains("samples (count), cpu (nanoseconds)"),
        "{error}"
    );
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    let good = profile(true);
    for cut in 0..good.len() {
        let _ = parse(&good[..cut], "x", &PprofOptions::default());
        let _ = detect(&good[..cut]);
    }
    for index in 0..good.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[index] ^= flip;
            let _ = parse(&bad, "x", &PprofOptions::default());
        }
    }
    let error = parse(&[0x0a, 0x7f, 0x08], "x", &PprofOptions::default()).unwrap_err();
    assert!(error.message.contains("runs past the end"), "{error}");
}

#[test]
fn detection() {
    let good = profile(true);
    assert!(detect(&good));
    assert!(detect(&good[..20]));
    assert!(!detect(b"a;b 1\n"));
    assert!(!detect(b"\n         149 function calls in 0.000 seconds\n"));
    assert!(!detect(b"{\"profiles\": []}"));
    let mut w = Writer::default();
    w.message(
        1,
        &msg(|m| {
            m.field(1, 1).field(2, 1);
        }),
    )
    .string("x");
    assert!(!detect(&w.0), "a string table must start with \"\"");
    let error = parse(&w.0, "x", &PprofOptions::default()).unwrap_err();
    assert!(
        error.message.contains("first entry must be empty"),
        "{error}"
    );
}
