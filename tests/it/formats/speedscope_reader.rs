//! speedscope (py-spy, pyinstrument) against the JSON read here with serde_json.

use std::collections::HashMap;

use profdiff::formats::folded::{self};
use profdiff::formats::speedscope::{self, SpeedscopeOptions};
use profdiff::model::{Function, Unit};
use profdiff::Position;
use serde_json::Value;

use super::*;

/// Per (name, file): self cost in seconds, computed from the raw JSON.
fn speedscope_oracle(json: &Value) -> (f64, HashMap<(String, String), f64>) {
    let frames = json["shared"]["frames"].as_array().unwrap();
    let key = |index: &Value| {
        let frame = &frames[index.as_u64().unwrap() as usize];
        (
            frame["name"].as_str().unwrap().to_string(),
            frame["file"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut total = 0.0;
    let mut selfs: HashMap<(String, String), f64> = HashMap::new();
    for profile in json["profiles"].as_array().unwrap() {
        let scale = match profile["unit"].as_str().unwrap() {
            "seconds" => 1.0,
            "milliseconds" => 1e-3,
            "microseconds" => 1e-6,
            "nanoseconds" => 1e-9,
            other => panic!("unit {other}"),
        };
        if profile["type"] == "sampled" {
            let samples = profile["samples"].as_array().unwrap();
            let weights = profile["weights"].as_array().unwrap();
            for (sample, weight) in samples.iter().zip(weights) {
                let weight = weight.as_f64().unwrap() * scale;
                total += weight;
                let leaf = match sample.as_array().unwrap().last() {
                    Some(leaf) => key(leaf),
                    None => (folded::EMPTY_STACK.to_string(), String::new()),
                };
                *selfs.entry(leaf).or_default() += weight;
            }
        } else {
            let mut open: Vec<&Value> = Vec::new();
            let mut last = 0.0;
            for event in profile["events"].as_array().unwrap() {
                let at = event["at"].as_f64().unwrap();
                if let Some(top) = open.last() {
                    let duration = (at - last) * scale;
                    total += duration;
                    *selfs.entry(key(top)).or_default() += duration;
                }
                last = at;
                if event["type"] == "O" {
                    open.push(&event["frame"]);
                } else {
                    open.pop();
                }
            }
        }
    }
    (total, selfs)
}

#[test]
fn speedscope_numbers_match_the_json() {
    for path in files_in("fixtures/speedscope") {
        if !path.ends_with(".json") {
            continue;
        }
        let json: Value = serde_json::from_slice(&fixture(&path)).unwrap();
        let (total, selfs) = speedscope_oracle(&json);
        let profile = parse_speedscope(&path);
        assert_eq!(profile.meta.unit, Unit::Seconds);
        assert!(
            close(profile.total_cost(), total, 1e-9),
            "{path}: {} vs {total}",
            profile.total_cost()
        );
        let mut ours: HashMap<(String, String), f64> = HashMap::new();
        for f in &profile.functions {
            *ours
                .entry((f.name.clone(), f.file.clone().unwrap_or_default()))
                .or_default() += f.self_cost;
        }
        for (key, expected) in &selfs {
            let got = ours.get(key).copied().unwrap_or(0.0);
            assert!(
                close(got, *expected, 1e-9),
                "{path}: {key:?} {got} vs {expected}"
            );
        }
        assert!(total > 0.5, "{path}: the workload runs ~1.5 s; got {total}");
    }
}

#[test]
fn pyspy_speedscope_merges_lines_and_pyinstrument_keeps_them() {
    let pyspy = parse_speedscope("fixtures/speedscope/pyspy_before.json");
    let fibs: Vec<&Function> = pyspy.functions.iter().filter(|f| f.name == "fib").collect();
    assert_eq!(
        fibs.len(),
        1,
        "py-spy's fib at several executing lines is one function"
    );
    assert_eq!(fibs[0].line, None);
    let pyinstrument = parse_speedscope("fixtures/speedscope/pyinstrument_before.json");
    let fib = pyinstrument
        .functions
        .iter()
        .find(|f| f.name == "fib")
        .unwrap();
    assert_eq!(fib.line, Some(18), "pyinstrument records the def line");
}

#[test]
fn speedscope_thread_selection_lists_names() {
    let path = "fixtures/speedscope/pyspy_after.json";
    let options = SpeedscopeOptions {
        thread: Some("no such thread".into()),
    };
    let error = speedscope::parse(&fixture(path), path, &options).unwrap_err();
    assert!(error.message.contains("Thread "), "{error}");
    let json: Value = serde_json::from_slice(&fixture(path)).unwrap();
    let name = json["profiles"][0]["name"].as_str().unwrap().to_string();
    let options = SpeedscopeOptions { thread: Some(name) };
    let one = speedscope::parse(&fixture(path), path, &options).unwrap();
    assert!(one.total_cost() > 0.0);
}

#[test]
fn malformed_speedscope_has_positions() {
    let text = fixture_text("fixtures/speedscope/pyinstrument_after.json");
    // Truncated: the error is at (or just before) the end.
    let cut = &text[..text.len() / 2];
    let error = speedscope::parse(cut.as_bytes(), "x", &SpeedscopeOptions::default()).unwrap_err();
    let Position::Byte(offset) = error.position else {
        panic!("{error}")
    };
    assert!(offset as usize >= cut.len() - 2, "{error}");
    // A close of the wrong frame: change the first close event's frame.
    let at = text.find("\"type\": \"C\"").unwrap();
    let frame_at = at + text[at..].find("\"frame\": ").unwrap() + "\"frame\": ".len();
    let end = frame_at + text[frame_at..].find('}').unwrap();
    let broken = format!("{}0{}", &text[..frame_at], &text[end..]);
    let error =
        speedscope::parse(broken.as_bytes(), "x", &SpeedscopeOptions::default()).unwrap_err();
    assert!(error.message.contains("events["), "{error}");
    assert!(error.message.contains("while frame"), "{error}");
    let Position::Byte(offset) = error.position else {
        panic!("{error}")
    };
    assert!(
        offset as usize > frame_at && (offset as usize) < frame_at + 200,
        "{error} (close at {frame_at})"
    );
}
