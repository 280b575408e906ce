//! Evented speedscope profiles (pyinstrument's export): open and close
//! events folded into a call tree as they are read, so that memory holds
//! the distinct stacks, not the events.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Context, Interner};
use crate::formats::stacks::FastMap;

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: EventKind,
    at: f64,
    frame: u32,
}

#[derive(Deserialize)]
enum EventKind {
    O,
    C,
}

/// The call tree an evented profile builds: node 0 is the root, every other
/// node is (parent, frame) and stands for the stack leading to it.
pub(super) struct EventState {
    parents: Vec<(u32, u32)>,
    children: FastMap<(u32, u32), u32>,
    cost: Vec<f64>,
    /// Open nodes, root first; never empty (the root stays).
    open: Vec<u32>,
    last_at: Option<f64>,
}

impl EventState {
    fn new() -> Self {
        EventState {
            parents: vec![(u32::MAX, u32::MAX)],
            children: FastMap::default(),
            cost: vec![0.0],
            open: vec![0],
            last_at: None,
        }
    }

    fn top(&self) -> u32 {
        self.open.last().copied().unwrap_or(0)
    }

    fn charge(&mut self, until: f64) {
        if let Some(from) = self.last_at {
            let top = self.top() as usize;
            if top != 0 {
                if let Some(cost) = self.cost.get_mut(top) {
                    *cost += until - from;
                }
            }
        }
    }

    fn open_frame(&mut self, frame: u32) {
        let parent = self.top();
        let next = self.parents.len() as u32;
        let node = *self.children.entry((parent, frame)).or_insert(next);
        if node == next {
            self.parents.push((parent, frame));
            self.cost.push(0.0);
        }
        self.open.push(node);
    }

    /// Charges frames left open up to `end_value`, then turns every node with
    /// a cost into an interned stack.
    pub(super) fn finish(
        mut self,
        end_value: Option<f64>,
        interner: &mut Interner,
    ) -> (Vec<(u32, f64)>, usize) {
        let left_open = self.open.len() - 1;
        if left_open > 0 {
            if let (Some(end), Some(last)) = (end_value, self.last_at) {
                if end > last {
                    self.charge(end);
                }
            }
        }
        let mut costs = Vec::new();
        let mut frames = Vec::new();
        for (node, &cost) in self.cost.iter().enumerate() {
            if node == 0 || cost == 0.0 {
                continue;
            }
            frames.clear();
            let mut at = node as u32;
            while at != 0 {
                let Some(&(parent, frame)) = self.parents.get(at as usize) else {
                    break;
                };
                frames.push(frame);
                at = parent;
            }
            frames.reverse();
            costs.push((interner.intern(&frames), cost));
        }
        (costs, left_open)
    }
}

pub(super) struct EventsSeed<'c, 'f> {
    pub(super) ctx: &'c Context<'f>,
    pub(super) profile: usize,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_> {
    type Value = EventState;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_> {
    type Value = EventState;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let p = self.profile;
        let mut state = EventState::new();
        let mut index = 0usize;
        while let Some(event) = seq.next_element::<Event>()? {
            let j = index;
            index += 1;
            self.ctx
                .check_frame(event.frame, format_args!("profiles[{p}].events[{j}]"))?;
            if !event.at.is_finite() {
                return Err(de::Error::custom(format!(
                    "profiles[{p}].events[{j}]: `at` is not a finite number"
                )));
            }
            if let Some(last) = state.last_at {
                if event.at < last {
                    return Err(de::Error::custom(format!(
                        "profiles[{p}].events[{j}]: `at` goes back in time ({} after {last})",
                        event.at
                    )));
                }
            }
            state.charge(event.at);
            state.last_at = Some(event.at);
            match event.kind {
                EventKind::O => state.open_frame(event.frame),
                EventKind::C => {
                    let top = state.top();
                    if top == 0 {
                        return Err(de::Error::custom(format!(
                            "profiles[{p}].events[{j}]: closes frame {} but no frame is open",
                            self.ctx.frame_label(event.frame)
                        )));
                    }
                    let top_frame = state.parents.get(top as usize).map_or(u32::MAX, |n| n.1);
                    if top_frame != event.frame {
                        return Err(de::Error::custom(format!(
                            "profiles[{p}].events[{j}]: closes frame {} while frame {} is on top",
                            self.ctx.frame_label(event.frame),
                            self.ctx.frame_label(top_frame)
                        )));
                    }
                    state.open.pop();
                }
            }
        }
        Ok(state)
    }
}
