//! pyinstrument's synthetic frames, which its speedscope export writes
//! like functions but which are not.

use super::RawFrame;

/// The synthetic frames of pyinstrument (`SYNTHETIC_FRAME_IDENTIFIERS` in
/// its `frame.py`), which its speedscope export writes with `"file": null`.
/// `[self]` is a frame's own time, drawn beside its children; `[await]` and
/// `[out-of-context]` are time the frame spent awaiting, or outside the
/// profiled context. All three are leaves, and pyinstrument counts them as
/// the frame below's own time (`Frame.total_self_time`). `[root]` is a dummy
/// root above several top-level frames.
const SYNTHETIC: [&str; 4] = ["[self]", "[await]", "[out-of-context]", "[root]"];

/// True for a frame that is one of pyinstrument's synthetic frames: it is
/// left out of every stack, so a leaf's time becomes its parent's self time
/// and stacks, edges and inclusive costs stay consistent.
///
/// Recognised by exact name and the absence of a file rather than by
/// `exporter`: a pyinstrument profile opened and saved again in speedscope
/// says `speedscope@…`, and every real frame pyinstrument writes has a file
/// (`<built-in>` for builtins), while no Python function can be named
/// `[self]`.
pub(super) fn is_synthetic(frame: &RawFrame) -> bool {
    frame.file.as_deref().is_none_or(str::is_empty) && SYNTHETIC.contains(&frame.name.as_str())
}

#[cfg(test)]
mod tests {
    use crate::formats::speedscope::{parse, SpeedscopeOptions};

    #[test]
    fn pyinstrument_synthetic_frames_are_their_parents_time() {
        // [root] above a and c; a runs b for 2 s and itself for 1 + 3 s,
        // 3 s of it in a `[self]` child; c awaits for 1 s.
        let text = r#"{"exporter":"pyinstrument","shared":{"frames":[
          {"name":"[root]","file":null,"line":null},{"name":"a","file":"m.py","line":1},
          {"name":"b","file":"m.py","line":5},{"name":"[self]","file":null,"line":null},
          {"name":"c","file":"m.py","line":9},{"name":"[await]","file":null,"line":null}]},
          "profiles":[{"type":"evented","name":"x","unit":"seconds","startValue":0,
          "endValue":8,"events":[{"type":"O","at":0,"frame":0},{"type":"O","at":0,"frame":1},
          {"type":"O","at":1,"frame":2},{"type":"C","at":3,"frame":2},
          {"type":"O","at":3,"frame":3},{"type":"C","at":6,"frame":3},
          {"type":"C","at":6,"frame":1},{"type":"O","at":6,"frame":4},
          {"type":"O","at":6,"frame":5},{"type":"C","at":7,"frame":5},
          {"type":"C","at":7,"frame":4},{"type":"C","at":7,"frame":0}]}]}"#;
        let p = parse(text.as_bytes(), "t", &SpeedscopeOptions::default()).unwrap();
        let names: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let costs: Vec<(f64, f64)> = p
            .functions
            .iter()
            .map(|f| (f.self_cost, f.inclusive_cost))
            .collect();
        assert_eq!(costs, [(4.0, 6.0), (2.0, 2.0), (1.0, 1.0)]);
        assert_eq!(p.total_cost(), 7.0);
        let edges: Vec<(usize, usize)> = p.edges.iter().map(|e| (e.caller, e.callee)).collect();
        assert_eq!(edges, [(0, 1)]);
        let stacks: Vec<(Vec<usize>, f64)> = p
            .stacks
            .iter()
            .map(|s| (s.frames.clone(), s.cost))
            .collect();
        assert_eq!(stacks, [(vec![0], 4.0), (vec![0, 1], 2.0), (vec![2], 1.0)]);
        let notes = p.meta.notes.join("\n");
        assert!(notes.contains("([await], [root], [self])"), "{notes}");
        assert!(notes.contains("(57.1% of the total)"), "{notes}");
        // A frame of that name with a file is some other producer's function.
        let text = text.replace(
            r#"{"name":"[self]","file":null"#,
            r#"{"name":"[self]","file":"m.py""#,
        );
        let p = parse(text.as_bytes(), "t", &SpeedscopeOptions::default()).unwrap();
        assert!(p.functions.iter().any(|f| f.name == "[self]"));
    }
}
