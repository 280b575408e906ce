//! speedscope JSON (docs/formats.md §5): written by py-spy `--format speedscope`,
//! pyinstrument `-r speedscope`, austin2speedscope, rbspy and speedscope's own
//! export.
//!
//! Choices, and why:
//!
//! - **One streaming pass, no document tree.** serde visitors read the
//!   file in key order: a sample stack is interned as soon as it is read
//!   and events are folded into a call tree, so memory is bounded by the
//!   distinct stacks plus 12 bytes per sample, never by a
//!   `serde_json::Value` of the whole file. When `shared.frames` comes first
//!   (pyinstrument, speedscope's own export) every frame index is checked as
//!   it is read; when it comes last (py-spy) the largest index is checked at
//!   the end, and only if that fails is the file read again, frames first,
//!   to point at the offending byte.
//! - **Sampled profiles**: `samples[i]` (root first) costs `weights[i]`; the
//!   two arrays must be equally long, as speedscope requires.
//! - **Evented profiles**: the time between consecutive events is charged to
//!   the stack open at that moment. `at` must not decrease, and a close must
//!   match the frame on top (an error names the event index, like
//!   speedscope's own "Tried to leave frame …"). Frames still open at the end
//!   are closed at `endValue`, with a note. Time outside any frame is not
//!   charged, as in speedscope.
//! - **Units**: `nanoseconds` … `seconds` become [`Unit::Seconds`], `none`
//!   [`Unit::Samples`], `bytes` [`Unit::Event`]. Profiles of different kinds
//!   of unit cannot be merged and are reported.
//! - **Several profiles** (py-spy writes one per thread) are merged, unless
//!   [`SpeedscopeOptions::thread`] names one: an exact profile name, or else
//!   a text found in exactly one name (`MainThread` finds
//!   `Thread 16043 "MainThread"`). An unknown name lists the names there are.
//! - **Frame identity.** A speedscope frame is the producer's own idea of a
//!   function, so frames map one to one onto functions. Except for py-spy and
//!   Austin, whose `line` is where the frame was *executing* (the same
//!   function shows up as one frame per line): their frames merge by name and
//!   file, and the line is dropped. Files without `version` and frames with
//!   `col: null` (py-spy) are fine.
//! - **pyinstrument's synthetic frames are not functions.** `[self]` (a
//!   frame's own time, drawn beside its children), `[await]` and
//!   `[out-of-context]` are leaves whose time pyinstrument counts as the
//!   frame below's own time, and `[root]` is a dummy root. Read as frames,
//!   `[self]` would be one function shared by the whole program (a quarter
//!   of fixtures/realworld's pyinstrument profile); they are left out of
//!   every stack instead, so their time is the parent's self time, as in
//!   pyinstrument, with a note saying so.
//!
//! Errors carry the byte offset serde_json stopped at, plus a JSON path
//! (`profiles[0].events[17]`) for semantic errors. Errors about the document
//! as a whole (an unknown `--thread`, mixed units) are reported at byte 0.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::stacks::{FastMap, SliceIndex, StackBuilder, EMPTY_STACK};
use crate::error::ParseError;
use crate::model::{Format, FunctionId, FunctionKind, Profile, ProfileMeta, Unit};

mod errors;
mod events;
mod pyinstrument;

use errors::json_error;
use events::{EventState, EventsSeed};

/// Options for reading speedscope files.
#[derive(Debug, Clone, Default)]
pub struct SpeedscopeOptions {
    /// Read only the profile (thread) with this name (`--thread`): an exact
    /// name, or a text found in exactly one profile name. Default: `None`,
    /// which merges every profile.
    pub thread: Option<String>,
}

/// The `$schema` URL speedscope files carry.
pub const SCHEMA_URL: &str = "https://www.speedscope.app/file-format-schema.json";

/// True when `bytes` (possibly a prefix of the file) is a JSON object that
/// names the speedscope schema, or has `shared`, `frames` and `profiles`.
pub fn detect(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let text = bytes.get(start..).unwrap_or_default();
    // A UTF-8 byte order mark is legal before JSON in the wild.
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    if text.first() != Some(&b'{') {
        return false;
    }
    contains(text, b"speedscope.app/file-format-schema")
        || (contains(text, b"\"profiles\"")
            && contains(text, b"\"shared\"")
            && contains(text, b"\"frames\""))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Parses a speedscope file. `path` is only recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &SpeedscopeOptions) -> Result<Profile, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let document = (&mut deserializer)
        .deserialize_map(DocumentVisitor)
        .and_then(|document| deserializer.end().map(|()| document))
        .map_err(|e| json_error(bytes, 0, &e))?;
    let shared = document
        .shared
        .ok_or_else(|| ParseError::at_byte(0, "no `shared.frames`: not a speedscope file"))?;
    let profiles = document
        .profiles
        .ok_or_else(|| ParseError::at_byte(0, "no `profiles` array: not a speedscope file"))?;
    if profiles
        .unchecked_max_frame
        .is_some_and(|max| max as usize >= shared.frames.len())
    {
        // `profiles` came before `shared`, so frame indices could not be
        // checked while reading. Read again, frames first, for the position.
        return Err(locate_frame_error(bytes));
    }
    build(
        &shared.frames,
        profiles,
        document.exporter.as_deref(),
        path,
        options,
    )
}

/// The error a frame index out of range gives when `shared.frames` is known
/// before the profiles are read: the top level is read with `profiles` kept
/// as raw text, then the profiles are read on their own. Only used on that
/// error path, since it reads the profiles twice.
fn locate_frame_error(bytes: &[u8]) -> ParseError {
    #[derive(Deserialize)]
    struct TopLevel<'a> {
        #[serde(borrow)]
        profiles: &'a RawValue,
        shared: Shared,
    }
    let top: TopLevel<'_> = match serde_json::from_slice(bytes) {
        Ok(top) => top,
        Err(e) => return json_error(bytes, 0, &e),
    };
    let text = top.profiles.get();
    // The raw value borrows from `bytes`, so its offset is pointer arithmetic.
    let base = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
    let mut ctx = Context::new(Some(&top.shared.frames));
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match (ProfilesSeed { ctx: &mut ctx }).deserialize(&mut deserializer) {
        Err(e) => json_error(text.as_bytes(), base, &e),
        Ok(()) => ParseError::at_byte(base as u64, "a frame index is outside shared.frames"),
    }
}

// ---------------------------------------------------------------- top level

/// The top level, read in whatever order its keys come.
struct Document {
    shared: Option<Shared>,
    exporter: Option<String>,
    profiles: Option<ReadProfiles>,
}

/// What reading `profiles` produced.
struct ReadProfiles {
    interner: Interner,
    profiles: Vec<ParsedProfile>,
    /// The largest frame index seen, when `shared.frames` was not known yet.
    unchecked_max_frame: Option<u32>,
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum TopField {
    #[serde(rename = "shared")]
    Shared,
    #[serde(rename = "profiles")]
    Profiles,
    #[serde(rename = "exporter")]
    Exporter,
    #[serde(other)]
    Other,
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a speedscope JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut document = Document {
            shared: None,
            exporter: None,
            profiles: None,
        };
        while let Some(field) = map.next_key::<TopField>()? {
            match field {
                TopField::Shared if document.shared.is_none() => {
                    document.shared = Some(map.next_value()?)
                }
                TopField::Profiles if document.profiles.is_none() => {
                    // Frames read already are checked as indices come in.
                    let mut ctx = Context::new(document.shared.as_ref().map(|s| &s.frames[..]));
                    map.next_value_seed(ProfilesSeed { ctx: &mut ctx })?;
                    let Context {
                        interner,
                        profiles,
                        max_frame,
                        ..
                    } = ctx;
                    document.profiles = Some(ReadProfiles {
                        interner,
                        profiles,
                        unchecked_max_frame: max_frame.get(),
                    });
                }
                TopField::Shared | TopField::Profiles => {
                    return Err(de::Error::custom("duplicate `shared` or `profiles` key"))
                }
                TopField::Exporter => document.exporter = map.next_value()?,
                TopField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(document)
    }
}

#[derive(Deserialize)]
struct Shared {
    frames: Vec<RawFrame>,
}

#[derive(Deserialize)]
struct RawFrame {
    name: String,
    #[serde(default)]
    file: Option<String>,
    /// speedscope types it as a number; accept `12.0` and `null` too.
    #[serde(default)]
    line: Option<f64>,
}

impl RawFrame {
    fn line(&self) -> Option<u32> {
        let line = self.line?;
        (line.fract() == 0.0 && line >= 0.0 && line <= f64::from(u32::MAX)).then_some(line as u32)
    }
}

// ---------------------------------------------------------------- profiles

/// Distinct stacks of frame indices, root first.
///
/// All stacks live in one arena, each stored once (see [`SliceIndex`]).
#[derive(Default)]
struct Interner {
    arena: Vec<u32>,
    spans: Vec<(usize, usize)>,
    index: SliceIndex,
}

impl Interner {
    fn intern(&mut self, frames: &[u32]) -> u32 {
        let hash = SliceIndex::hash(frames);
        let (arena, spans) = (&self.arena, &self.spans);
        let stored = |i: usize| {
            let (start, end) = spans[i];
            &arena[start..end]
        };
        if let Some(id) = self.index.find(hash, frames, stored) {
            return id as u32;
        }
        let id = self.spans.len() as u32;
        let start = self.arena.len();
        self.arena.extend_from_slice(frames);
        self.spans.push((start, self.arena.len()));
        self.index.push(hash);
        id
    }

    fn get(&self, id: u32) -> &[u32] {
        match self.spans.get(id as usize) {
            Some(&(start, end)) => self.arena.get(start..end).unwrap_or_default(),
            None => &[],
        }
    }
}

struct Context<'f> {
    /// `shared.frames`, when it came before `profiles`.
    frames: Option<&'f [RawFrame]>,
    interner: Interner,
    profiles: Vec<ParsedProfile>,
    /// Largest frame index seen while `frames` is unknown, checked later.
    max_frame: Cell<Option<u32>>,
}

impl<'f> Context<'f> {
    fn new(frames: Option<&'f [RawFrame]>) -> Self {
        Context {
            frames,
            interner: Interner::default(),
            profiles: Vec::new(),
            max_frame: Cell::new(None),
        }
    }

    fn frame_label(&self, index: u32) -> String {
        match self.frames.and_then(|frames| frames.get(index as usize)) {
            Some(frame) => format!("{index} ({:?})", frame.name),
            None => index.to_string(),
        }
    }

    #[inline]
    fn check_frame<E: de::Error>(&self, frame: u32, path: fmt::Arguments<'_>) -> Result<(), E> {
        match self.frames {
            Some(frames) if (frame as usize) < frames.len() => Ok(()),
            Some(frames) => Err(E::custom(format!(
                "{path}: frame {frame} is not in shared.frames ({} frames)",
                frames.len()
            ))),
            None => {
                if self.max_frame.get().is_none_or(|max| frame > max) {
                    self.max_frame.set(Some(frame));
                }
                Ok(())
            }
        }
    }
}

/// One profile after reading: costs per interned stack, in its own unit.
struct ParsedProfile {
    name: Option<String>,
    unit: Option<String>,
    costs: Vec<(u32, f64)>,
    /// Smallest positive sample weight (sampled profiles).
    min_weight: Option<f64>,
    /// Frames still open after the last event (evented profiles).
    left_open: usize,
}

struct ProfilesSeed<'c, 'f> {
    ctx: &'c mut Context<'f>,
}

impl<'de> DeserializeSeed<'de> for ProfilesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ProfilesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of profiles")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(profile) = seq.next_element_seed(ProfileSeed {
            ctx: &mut *self.ctx,
            index,
        })? {
            self.ctx.profiles.push(profile);
            index += 1;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ProfileField {
    Type,
    Name,
    Unit,
    EndValue,
    Samples,
    Weights,
    Events,
    #[serde(other)]
    Other,
}

struct ProfileSeed<'c, 'f> {
    ctx: &'c mut Context<'f>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for ProfileSeed<'_, '_> {
    type Value = ParsedProfile;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProfileSeed<'_, '_> {
    type Value = ParsedProfile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a profile object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let p = self.index;
        let mut kind: Option<String> = None;
        let mut name = None;
        let mut unit = None;
        let mut end_value: Option<f64> = None;
        let mut samples: Option<Vec<u32>> = None;
        let mut weights: Option<Vec<f64>> = None;
        let mut events: Option<EventState> = None;
        while let Some(field) = map.next_key::<ProfileField>()? {
            match field {
                ProfileField::Type => kind = Some(map.next_value()?),
                ProfileField::Name => name = map.next_value()?,
                ProfileField::Unit => unit = Some(map.next_value()?),
                ProfileField::EndValue => end_value = map.next_value()?,
                ProfileField::Samples => {
                    samples = Some(map.next_value_seed(SamplesSeed {
                        ctx: &mut *self.ctx,
                        profile: p,
                    })?)
                }
                ProfileField::Weights => weights = Some(map.next_value()?),
                ProfileField::Events => {
                    events = Some(map.next_value_seed(EventsSeed {
                        ctx: &*self.ctx,
                        profile: p,
                    })?)
                }
                ProfileField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let mut parsed = ParsedProfile {
            name,
            unit,
            costs: Vec::new(),
            min_weight: None,
            left_open: 0,
        };
        match kind.as_deref() {
            Some("sampled") => {
                let samples = samples.ok_or_else(|| {
                    de::Error::custom(format!("profiles[{p}]: sampled profile without `samples`"))
                })?;
                let weights = weights.ok_or_else(|| {
                    de::Error::custom(format!("profiles[{p}]: sampled profile without `weights`"))
                })?;
                if samples.len() != weights.len() {
                    let plural = |n: usize, word: &str| {
                        format!("{n} {word}{}", if n == 1 { "" } else { "s" })
                    };
                    return Err(de::Error::custom(format!(
                        "profiles[{p}]: {} but {} (they must pair up)",
                        plural(samples.len(), "sample"),
                        plural(weights.len(), "weight")
                    )));
                }
                let mut totals: FastMap<u32, f64> = FastMap::default();
                let mut order = Vec::new();
                for (j, (&stack, &weight)) in samples.iter().zip(&weights).enumerate() {
                    if !(weight.is_finite() && weight >= 0.0) {
                        return Err(de::Error::custom(format!(
                            "profiles[{p}].weights[{j}] is {weight}, expected a non-negative number"
                        )));
                    }
                    if weight > 0.0 && parsed.min_weight.is_none_or(|m| weight < m) {
                        parsed.min_weight = Some(weight);
                    }
                    totals
                        .entry(stack)
                        .and_modify(|total| *total += weight)
                        .or_insert_with(|| {
                            order.push(stack);
                            weight
                        });
                }
                parsed.costs = order.into_iter().map(|s| (s, totals[&s])).collect();
            }
            Some("evented") => {
                let events = events.ok_or_else(|| {
                    de::Error::custom(format!("profiles[{p}]: evented profile without `events`"))
                })?;
                let (costs, left_open) = events.finish(end_value, &mut self.ctx.interner);
                parsed.costs = costs;
                parsed.left_open = left_open;
            }
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "profiles[{p}]: unknown profile type {other:?} (expected \"sampled\" or \"evented\")"
                )))
            }
            None => return Err(de::Error::custom(format!("profiles[{p}]: no `type`"))),
        }
        Ok(parsed)
    }
}

/// `samples`: an array of stacks, each interned as it is read.
struct SamplesSeed<'c, 'f> {
    ctx: &'c mut Context<'f>,
    profile: usize,
}

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_, '_> {
    type Value = Vec<u32>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_, '_> {
    type Value = Vec<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of sample stacks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        let mut buffer = Vec::new();
        let mut index = 0;
        loop {
            buffer.clear();
            let seed = StackSeed {
                ctx: &*self.ctx,
                buffer: &mut buffer,
                profile: self.profile,
                sample: index,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            ids.push(self.ctx.interner.intern(&buffer));
            index += 1;
        }
        Ok(ids)
    }
}

/// One sample stack, read into a reused buffer.
struct StackSeed<'c, 'f, 'b> {
    ctx: &'c Context<'f>,
    buffer: &'b mut Vec<u32>,
    profile: usize,
    sample: usize,
}

impl<'de> DeserializeSeed<'de> for StackSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for StackSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of frame indices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(frame) = seq.next_element::<u32>()? {
            self.ctx.check_frame(
                frame,
                format_args!("profiles[{}].samples[{}]", self.profile, self.sample),
            )?;
            self.buffer.push(frame);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- model

/// What a speedscope unit becomes: the model unit and the factor to it.
fn unit_of(unit: &str) -> Option<(Unit, f64)> {
    Some(match unit {
        "none" => (Unit::Samples, 1.0),
        "nanoseconds" => (Unit::Seconds, 1e-9),
        "microseconds" => (Unit::Seconds, 1e-6),
        "milliseconds" => (Unit::Seconds, 1e-3),
        "seconds" => (Unit::Seconds, 1.0),
        "bytes" => (Unit::Event("bytes".to_string()), 1.0),
        _ => return None,
    })
}

fn profile_name(profile: &ParsedProfile, index: usize) -> Cow<'_, str> {
    match &profile.name {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("#{index}")),
    }
}

/// Picks the profiles to read: all, or the one `thread` names.
fn select<'p>(
    profiles: &'p [ParsedProfile],
    thread: Option<&str>,
) -> Result<Vec<(usize, &'p ParsedProfile)>, ParseError> {
    let all: Vec<(usize, &ParsedProfile)> = profiles.iter().enumerate().collect();
    let Some(wanted) = thread else {
        return Ok(all);
    };
    let exact: Vec<_> = all
        .iter()
        .filter(|(i, p)| profile_name(p, *i) == wanted)
        .copied()
        .collect();
    if exact.len() == 1 {
        return Ok(exact);
    }
    let partial: Vec<_> = all
        .iter()
        .filter(|(i, p)| profile_name(p, *i).contains(wanted))
        .copied()
        .collect();
    if partial.len() == 1 {
        return Ok(partial);
    }
    let names: Vec<String> = all
        .iter()
        .map(|(i, p)| format!("{:?}", profile_name(p, *i)))
        .collect();
    let problem = if exact.len() + partial.len() == 0 {
        "no profile (thread) is named"
    } else {
        "more than one profile (thread) matches"
    };
    Err(ParseError::at_byte(
        0,
        format!(
            "{problem} {wanted:?}; the profiles are: {}",
            names.join(", ")
        ),
    ))
}

fn build(
    frames: &[RawFrame],
    read: ReadProfiles,
    exporter: Option<&str>,
    path: &str,
    options: &SpeedscopeOptions,
) -> Result<Profile, ParseError> {
    let ReadProfiles {
        interner, profiles, ..
    } = read;
    if profiles.is_empty() {
        return Err(ParseError::at_byte(0, "`profiles` is empty"));
    }
    let selected = select(&profiles, options.thread.as_deref())?;
    let mut unit: Option<(Unit, usize)> = None;
    let mut scales = Vec::with_capacity(selected.len());
    for &(index, profile) in &selected {
        let name = profile
            .unit
            .as_deref()
            .ok_or_else(|| ParseError::at_byte(0, format!("profiles[{index}] has no `unit`")))?;
        let (this, scale) = unit_of(name).ok_or_else(|| {
            ParseError::at_byte(
                0,
                format!(
                    "profiles[{index}]: unknown unit {name:?} (expected none, nanoseconds, \
                     microseconds, milliseconds, seconds or bytes)"
                ),
            )
        })?;
        match &unit {
            Some((first, first_index)) if *first != this => {
                return Err(ParseError::at_byte(
                    0,
                    format!(
                        "profiles[{first_index}] counts {first} but profiles[{index}] counts \
                         {this}; they cannot be merged (pick one with --thread)"
                    ),
                ))
            }
            Some(_) => {}
            None => unit = Some((this, index)),
        }
        scales.push(scale);
    }
    let Some((unit, _)) = unit else {
        return Err(ParseError::at_byte(0, "no profile selected"));
    };

    // py-spy's and Austin's `line` is the executing line: merge by name+file.
    let executing_lines = exporter.is_some_and(|e| {
        let e = e.to_ascii_lowercase();
        e.starts_with("py-spy") || e.contains("austin")
    });
    let synthetic: Vec<bool> = frames.iter().map(pyinstrument::is_synthetic).collect();
    let mut builder = StackBuilder::default();
    let mut functions: Vec<Option<FunctionId>> = vec![None; frames.len()];
    let mut stack = Vec::new();
    let mut empty_stacks = 0usize;
    let mut min_weight: Option<f64> = None;
    let mut left_open = 0usize;
    let mut total = 0.0;
    // Cost of stacks that ended in a synthetic frame, and its names.
    let mut folded_into_parent = 0.0;
    let mut synthetic_names: Vec<&str> = Vec::new();
    for (&(_, profile), &scale) in selected.iter().zip(&scales) {
        if let Some(weight) = profile.min_weight.map(|w| w * scale) {
            min_weight = Some(min_weight.map_or(weight, |m: f64| m.min(weight)));
        }
        left_open += profile.left_open;
        for &(stack_id, cost) in &profile.costs {
            stack.clear();
            let raw_stack = interner.get(stack_id);
            total += cost * scale;
            if let Some(&leaf) = raw_stack.last() {
                if synthetic.get(leaf as usize) == Some(&true) {
                    folded_into_parent += cost * scale;
                }
            }
            for &frame in raw_stack {
                let Some(raw) = frames.get(frame as usize) else {
                    continue; // checked while reading; unreachable
                };
                if synthetic[frame as usize] {
                    // Not a function: a leaf's time stays with the stack
                    // below it, the frame it belongs to.
                    if !synthetic_names.contains(&raw.name.as_str()) {
                        synthetic_names.push(&raw.name);
                    }
                    continue;
                }
                let slot = &mut functions[frame as usize];
                let id = *slot.get_or_insert_with(|| {
                    let file = raw.file.as_deref().filter(|f| !f.is_empty());
                    let line = if executing_lines { None } else { raw.line() };
                    builder.function(&raw.name, file, line, FunctionKind::Source)
                });
                stack.push(id);
            }
            if stack.is_empty() {
                empty_stacks += 1;
                stack.push(builder.function(EMPTY_STACK, None, None, FunctionKind::Synthetic));
            }
            builder.add_stack(&stack, cost * scale);
        }
    }

    let mut notes = Vec::new();
    if selected.len() > 1 {
        notes.push(format!(
            "merged {} profiles (threads); pick one with --thread",
            selected.len()
        ));
    } else if profiles.len() > 1 {
        let (index, profile) = selected[0];
        notes.push(format!(
            "read profile {:?} only, of {}",
            profile_name(profile, index),
            profiles.len()
        ));
    }
    if executing_lines {
        notes.push(
            "frame lines are where each frame was executing, not where its function \
             starts; functions are identified by name and file"
                .to_string(),
        );
    }
    if !synthetic_names.is_empty() {
        synthetic_names.sort_unstable();
        let share = if total > 0.0 {
            format!(" ({:.1}% of the total)", 100.0 * folded_into_parent / total)
        } else {
            String::new()
        };
        notes.push(format!(
            "pyinstrument's synthetic frames ({}) are not functions: their time{share} is \
             counted as the self time of the frame they are in, as pyinstrument does",
            synthetic_names.join(", ")
        ));
    }
    if empty_stacks > 0 {
        notes.push(format!(
            "{empty_stacks} stack(s) were empty; their cost is under `{EMPTY_STACK}`"
        ));
    }
    if left_open > 0 {
        notes.push(format!(
            "{left_open} frame(s) were still open after the last event; closed at endValue"
        ));
    }
    let meta = ProfileMeta {
        path: path.to_string(),
        format: Format::Speedscope,
        unit,
        precision: min_weight,
        producer: exporter.map(str::to_string),
        notes,
    };
    Ok(builder.finish(meta, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Position;

    fn parse_str(text: &str) -> Result<Profile, ParseError> {
        parse(text.as_bytes(), "t.json", &SpeedscopeOptions::default())
    }

    const SAMPLED: &str = r#"{"$schema":"https://www.speedscope.app/file-format-schema.json",
      "profiles":[{"type":"sampled","name":"Thread 1 \"MainThread\"","unit":"milliseconds",
        "startValue":0,"endValue":4,"samples":[[0,1],[0,1],[0],[]],"weights":[1,2,3,4]},
        {"type":"sampled","name":"Thread 2 \"worker\"","unit":"seconds",
        "startValue":0,"endValue":4,"samples":[[0,2]],"weights":[0.5]}],
      "shared":{"frames":[{"name":"main","file":"a.py","line":1,"col":null},
        {"name":"f","file":"a.py","line":5},{"name":"g"}]}}"#;

    #[test]
    fn sampled_profiles_merge_and_convert_units() {
        let p = parse_str(SAMPLED).unwrap();
        assert_eq!(p.meta.unit, Unit::Seconds);
        let total: f64 = p.total_cost();
        assert!((total - 0.510).abs() < 1e-12, "{total}");
        let main = p.functions.iter().find(|f| f.name == "main").unwrap();
        assert!((main.inclusive_cost - 0.506).abs() < 1e-12);
        assert_eq!(main.line, Some(1));
    }

    #[test]
    fn thread_selection() {
        let options = SpeedscopeOptions {
            thread: Some("worker".into()),
        };
        let p = parse(SAMPLED.as_bytes(), "t", &options).unwrap();
        assert!((p.total_cost() - 0.5).abs() < 1e-12);
        let options = SpeedscopeOptions {
            thread: Some("nope".into()),
        };
        let error = parse(SAMPLED.as_bytes(), "t", &options).unwrap_err();
        assert!(error.message.contains("MainThread"), "{error}");
    }

    #[test]
    fn evented_nesting() {
        let text = r#"{"shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[
          {"type":"evented","name":"x","unit":"seconds","startValue":0,"endValue":10,
           "events":[{"type":"O","at":0,"frame":0},{"type":"O","at":1,"frame":1},
                     {"type":"C","at":4,"frame":1},{"type":"C","at":6,"frame":0}]}]}"#;
        let p = parse_str(text).unwrap();
        let a = p.functions.iter().find(|f| f.name == "a").unwrap();
        assert_eq!((a.self_cost, a.inclusive_cost), (3.0, 6.0));
        let bad = text.replace(
            r#"{"type":"C","at":4,"frame":1}"#,
            r#"{"type":"C","at":4,"frame":0}"#,
        );
        let error = parse_str(&bad).unwrap_err();
        assert!(error.message.contains("events[2]"), "{error}");
        assert!(
            error.message.contains("while frame 1 (\"b\") is on top"),
            "{error}"
        );
        let Position::Byte(offset) = error.position else {
            panic!("byte position expected")
        };
        assert!(bad[..offset as usize].contains(r#""at":4"#), "{error}");
    }

    #[test]
    fn errors_have_positions() {
        let error = parse_str(&SAMPLED.replace("[0,2]", "[0,7]")).unwrap_err();
        assert!(
            error.message.contains("profiles[1].samples[0]: frame 7"),
            "{error}"
        );
        let error = parse_str(&SAMPLED.replace("[0.5]", "[0.5,1]")).unwrap_err();
        assert!(error.message.contains("1 sample but 2 weights"), "{error}");
        let error = parse_str(&SAMPLED[..200]).unwrap_err();
        assert!(error.message.contains("truncated"), "{error}");
        let error = parse_str(&SAMPLED.replace("milliseconds", "fortnights")).unwrap_err();
        assert!(error.message.contains("fortnights"), "{error}");
    }

    #[test]
    fn detection() {
        assert!(detect(SAMPLED.as_bytes()));
        assert!(detect(&SAMPLED.as_bytes()[..80]));
        assert!(detect(br#"{"shared":{"frames":[]},"profiles":[]}"#));
        assert!(!detect(br#"{"traceEvents":[]}"#));
        assert!(!detect(b"a;b 1\n"));
    }
}
