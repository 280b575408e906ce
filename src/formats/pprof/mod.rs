//! pprof `profile.proto` (docs/formats.md §6): Go's runtime/pprof, austin2pprof,
//! pprof-rs, Pyroscope exports and anything `go tool pprof` reads. Gzipped
//! input is unpacked first (see [`super::gzip::maybe_gunzip`]).
//!
//! Choices, and why:
//!
//! - **A hand-written wire decoder, not prost.** The schema needs a dozen
//!   fields, and a ~150-line reader gives what generated code does not: the
//!   byte offset of every error, lenient sniffing of a *prefix* of a file
//!   for [`detect`], zero-copy strings, and no per-message allocation (a
//!   sample is decoded into reused buffers and folded into a merged stack
//!   at once). It also avoids a build script, protoc, or a hand-maintained
//!   `#[derive(prost::Message)]` mirror of the schema.
//! - **Hostile input is safe.** Every length is checked against the bytes
//!   left before it is used, varints longer than 10 bytes are refused, ids
//!   and string indices are range-checked, nothing recurses, and every
//!   allocation is bounded by the input's size. Errors carry byte offsets.
//! - **Two passes over the top level.** Samples may come before the string
//!   table, functions and locations (Go writes them first), and picking the
//!   metric needs `default_sample_type`, which comes last. The first pass
//!   reads everything but samples; the second decodes samples one at a time.
//!   Skipping a length-delimited field costs nothing, so this is cheap.
//! - **Both encodings of repeated scalars** (packed and unpacked) are read;
//!   unknown fields are skipped by wire type, so newer and older revisions of
//!   the schema (`Line.column`, `tick_unit`, `label_set`) all load.
//! - **Stacks.** `Sample.location_id` is leaf first. A location with several
//!   `line`s stands for inlined calls: the *last* line is the caller, earlier
//!   ones were inlined into it. Stacks in the model are root first, so both
//!   lists are reversed. A location without lines (unsymbolised code) becomes
//!   a function named by its address, keyed by its mapping's file.
//! - **Functions** are identified by name, file and `start_line`; pprof ids
//!   that repeat an identity merge. The `line` of a `Line` is where the frame
//!   was executing and is not the function's line.
//! - **Repeated stacks** (austin2pprof writes one sample per Austin line, so
//!   the same stack recurs thousands of times) are recognised by the bytes
//!   of their packed `location_id` field before any expansion or hashing of
//!   function ids.
//! - **Labels are not read**: samples of every thread and process merge, as
//!   speedscope profiles do by default.
//! - **Metric.** `metric` picks a sample type by name; by default
//!   `default_sample_type`, else the last sample type (pprof's convention).
//!   Time units become [`Unit::Seconds`], `count`/`samples` [`Unit::Samples`],
//!   anything else (`bytes`, `objects`) [`Unit::Event`].

use std::borrow::Cow;
use std::collections::HashMap;

use super::stacks::{FastMap, StackBuilder, EMPTY_STACK};
use crate::error::ParseError;
use crate::model::{Format, FunctionId, FunctionKind, Profile, ProfileMeta, Unit};

mod proto;

use proto::{Cursor, I32, I64, LEN, VARINT};

/// Options for reading pprof profiles.
#[derive(Debug, Clone, Default)]
pub struct PprofOptions {
    /// Sample type to read, by its type name (`--metric cpu`, `alloc_space`).
    /// Default: `None`, which takes `default_sample_type` or else the last
    /// sample type.
    pub metric: Option<String>,
}

/// True when `bytes` (already gunzipped; possibly a prefix of the file) is a
/// well-formed `Profile` message: known top-level fields with the right wire
/// types, a strictly valid first field, and — when the string table is in
/// view — an empty first string. Text never qualifies: real profiles always
/// hold small varints (bytes below 0x09) that text files do not.
pub fn detect(bytes: &[u8]) -> bool {
    if bytes.is_empty() || !bytes.iter().any(|&b| b < 0x09) {
        return false;
    }
    let mut cursor = Cursor::new(bytes, 0);
    let mut fields = 0usize;
    let mut first_ok = false;
    let mut strings_seen = false;
    while !cursor.is_empty() {
        let Ok((field, wire)) = cursor.tag() else {
            return false;
        };
        let expected_ok = match field {
            1..=6 | 11 => wire == LEN,
            7..=10 | 12 | 14 => wire == VARINT,
            13 => wire == VARINT || wire == LEN,
            15 | 16 => matches!(wire, VARINT | I64 | LEN | I32),
            _ => false,
        };
        if !expected_ok {
            return false;
        }
        let body = match wire {
            LEN => match cursor.bytes() {
                Ok(body) => Some(body),
                // Cut off by the end of the sniffed prefix.
                Err(_) => break,
            },
            _ => {
                if cursor.skip(wire).is_err() {
                    break;
                }
                None
            }
        };
        if fields == 0 {
            first_ok = match (field, &body) {
                (1, Some(body)) => value_type_is_strict(body),
                (6, Some(body)) => body.is_empty(),
                (2..=5, Some(body)) => message_is_well_formed(body),
                _ => false,
            };
            if !first_ok {
                return false;
            }
        }
        if field == 6 && !strings_seen {
            strings_seen = true;
            if body.is_some_and(|b| !b.is_empty()) {
                return false;
            }
        }
        fields += 1;
    }
    fields > 0 && first_ok
}

/// A `ValueType` with only its two string indices.
fn value_type_is_strict(body: &[u8]) -> bool {
    let mut cursor = Cursor::new(body, 0);
    while !cursor.is_empty() {
        match cursor.tag() {
            Ok((1 | 2, VARINT)) if cursor.varint().is_ok() => {}
            _ => return false,
        }
    }
    true
}

fn message_is_well_formed(body: &[u8]) -> bool {
    let mut cursor = Cursor::new(body, 0);
    while !cursor.is_empty() {
        match cursor.tag() {
            Ok((_, wire)) if cursor.skip(wire).is_ok() => {}
            _ => return false,
        }
    }
    true
}

/// Parses a pprof profile (raw protobuf; gunzip first). `path` is only
/// recorded in the metadata.
pub fn parse(bytes: &[u8], path: &str, options: &PprofOptions) -> Result<Profile, ParseError> {
    let header = Header::read(bytes)?;
    let (metric, mut notes) = header.pick_metric(options.metric.as_deref())?;
    let sample_type = header.sample_types[metric];
    let type_name = header.string(sample_type.kind, sample_type.offset)?;
    let unit_name = header.string(sample_type.unit, sample_type.offset)?;
    let (unit, scale) = unit_of(unit_name);

    let mut reader = SampleReader::new(&header);
    let mut cursor = Cursor::new(bytes, 0);
    let mut samples = 0u64;
    while !cursor.is_empty() {
        let (field, wire) = cursor.tag()?;
        if field == 2 && wire == LEN {
            let offset = cursor.offset();
            let body = cursor.message()?;
            reader.sample(body, offset, metric)?;
            samples += 1;
        } else {
            cursor.skip(wire)?;
        }
    }
    if samples == 0 {
        notes.push("the profile has no samples".to_string());
    }
    if reader.empty_stacks > 0 {
        notes.push(format!(
            "{} sample(s) had no locations; their cost is under `{EMPTY_STACK}`",
            reader.empty_stacks
        ));
    }
    if header.sample_types.len() > 1 {
        let names: Vec<String> = header
            .sample_types
            .iter()
            .filter_map(|t| header.string(t.kind, t.offset).ok())
            .map(str::to_string)
            .collect();
        notes.push(format!(
            "read sample type {type_name:?} ({unit_name}) of {}; choose with --metric",
            names.join(", ")
        ));
    }
    let precision = match unit {
        Unit::Seconds => header.period_seconds(),
        Unit::Samples => Some(1.0),
        Unit::Event(_) => None,
    };
    let meta = ProfileMeta {
        path: path.to_string(),
        format: Format::Pprof,
        unit,
        precision,
        producer: None,
        notes,
    };
    Ok(reader.builder.finish(meta, scale))
}

/// What a pprof unit becomes: the model unit and the factor to it.
fn unit_of(unit: &str) -> (Unit, f64) {
    match unit {
        "nanoseconds" | "nanosecond" | "ns" => (Unit::Seconds, 1e-9),
        // Austin writes the Greek mu (U+03BC); the micro sign is U+00B5.
        "microseconds" | "microsecond" | "us" | "\u{3bc}s" | "\u{b5}s" => (Unit::Seconds, 1e-6),
        "milliseconds" | "millisecond" | "ms" => (Unit::Seconds, 1e-3),
        "seconds" | "second" | "s" => (Unit::Seconds, 1.0),
        "count" | "samples" | "" => (Unit::Samples, 1.0),
        other => (Unit::Event(other.to_string()), 1.0),
    }
}
// ---------------------------------------------------------------- header

#[derive(Debug, Clone, Copy)]
struct ValueType {
    kind: i64,
    unit: i64,
    offset: usize,
}

#[derive(Debug, Clone, Copy)]
struct FunctionEntry {
    name: i64,
    system_name: i64,
    filename: i64,
    start_line: i64,
    offset: usize,
}

#[derive(Debug, Clone)]
struct LocationEntry {
    mapping_id: u64,
    address: u64,
    /// The function id of each line, in file order: the last is the caller.
    functions: Vec<u64>,
    offset: usize,
}

/// Maps pprof ids (nonzero, unique, usually dense from 1) to indices. Every
/// frame of every sample is looked up here, so dense ids (what Go and
/// austin2pprof write) get a plain vector once the header is read.
#[derive(Debug, Default)]
struct IdMap {
    index: FastMap<u64, usize>,
    dense: Vec<u32>,
}

impl IdMap {
    fn insert(
        &mut self,
        id: u64,
        index: usize,
        what: &str,
        offset: usize,
    ) -> Result<(), ParseError> {
        if id == 0 {
            return Err(ParseError::at_byte(
                offset as u64,
                format!("{what} has id 0"),
            ));
        }
        if self.index.insert(id, index).is_some() {
            return Err(ParseError::at_byte(
                offset as u64,
                format!("{what} id {id} is used twice"),
            ));
        }
        Ok(())
    }

    /// Builds the vector when ids are dense enough for it to be small.
    fn densify(&mut self) {
        let Some(&max) = self.index.keys().max() else {
            return;
        };
        let limit = 4 * self.index.len() as u64 + 1024;
        if max > limit || self.index.len() >= u32::MAX as usize {
            return;
        }
        let mut dense = vec![u32::MAX; max as usize + 1];
        for (&id, &index) in &self.index {
            dense[id as usize] = index as u32;
        }
        self.dense = dense;
    }

    #[inline]
    fn get(&self, id: u64) -> Option<usize> {
        if !self.dense.is_empty() {
            return match self.dense.get(usize::try_from(id).ok()?) {
                Some(&index) if index != u32::MAX => Some(index as usize),
                _ => None,
            };
        }
        self.index.get(&id).copied()
    }
}

/// Everything except the samples.
struct Header<'a> {
    strings: Vec<Cow<'a, str>>,
    strings_offset: usize,
    sample_types: Vec<ValueType>,
    functions: Vec<FunctionEntry>,
    function_ids: IdMap,
    locations: Vec<LocationEntry>,
    location_ids: IdMap,
    /// mapping id → filename string index.
    mappings: HashMap<u64, i64>,
    default_sample_type: i64,
    period_type: Option<ValueType>,
    period: i64,
}

impl<'a> Header<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut header = Header {
            strings: Vec::new(),
            strings_offset: 0,
            sample_types: Vec::new(),
            functions: Vec::new(),
            function_ids: IdMap::default(),
            locations: Vec::new(),
            location_ids: IdMap::default(),
            mappings: HashMap::new(),
            default_sample_type: 0,
            period_type: None,
            period: 0,
        };
        let mut cursor = Cursor::new(bytes, 0);
        while !cursor.is_empty() {
            let field_offset = cursor.offset();
            let (field, wire) = cursor.tag()?;
            let need_len = |cursor: &Cursor<'_>, what: &str| {
                if wire == LEN {
                    Ok(())
                } else {
                    Err(cursor.error(format!("{what} has wire type {wire}, expected a message")))
                }
            };
            match field {
                1 => {
                    need_len(&cursor, "sample_type")?;
                    let value_type = read_value_type(&mut cursor.message()?, field_offset)?;
                    header.sample_types.push(value_type);
                }
                3 => {
                    need_len(&cursor, "mapping")?;
                    let (id, filename) = read_mapping(&mut cursor.message()?)?;
                    header.mappings.insert(id, filename);
                }
                4 => {
                    need_len(&cursor, "location")?;
                    let (id, location) = read_location(&mut cursor.message()?, field_offset)?;
                    header.location_ids.insert(
                        id,
                        header.locations.len(),
                        "location",
                        field_offset,
                    )?;
                    header.locations.push(location);
                }
                5 => {
                    need_len(&cursor, "function")?;
                    let (id, function) = read_function(&mut cursor.message()?, field_offset)?;
                    header.function_ids.insert(
                        id,
                        header.functions.len(),
                        "function",
                        field_offset,
                    )?;
                    header.functions.push(function);
                }
                6 => {
                    need_len(&cursor, "string_table")?;
                    if header.strings.is_empty() {
                        header.strings_offset = field_offset;
                    }
                    let body = cursor.bytes()?;
                    header.strings.push(String::from_utf8_lossy(body));
                }
                11 => {
                    need_len(&cursor, "period_type")?;
                    header.period_type =
                        Some(read_value_type(&mut cursor.message()?, field_offset)?);
                }
                12 => header.period = cursor.expect_varint(wire, "period")? as i64,
                14 => {
                    header.default_sample_type =
                        cursor.expect_varint(wire, "default_sample_type")? as i64
                }
                _ => cursor.skip(wire)?,
            }
        }
        match header.strings.first() {
            None => {
                return Err(ParseError::at_byte(
                    0,
                    "no string table: not a pprof profile",
                ))
            }
            Some(first) if !first.is_empty() => {
                return Err(ParseError::at_byte(
                    header.strings_offset as u64,
                    "the string table's first entry must be empty",
                ))
            }
            Some(_) => {}
        }
        if header.sample_types.is_empty() {
            return Err(ParseError::at_byte(
                0,
                "no sample_type: the profile measures nothing",
            ));
        }
        // Check every reference now, so the sample pass cannot meet a bad one.
        for function in &header.functions {
            for index in [function.name, function.system_name, function.filename] {
                header.string(index, function.offset)?;
            }
        }
        for location in &header.locations {
            for &id in &location.functions {
                if header.function_ids.get(id).is_none() {
                    return Err(ParseError::at_byte(
                        location.offset as u64,
                        format!("location refers to function {id}, which does not exist"),
                    ));
                }
            }
        }
        header.location_ids.densify();
        header.function_ids.densify();
        for &filename in header.mappings.values() {
            header.string(filename, 0)?;
        }
        for value_type in header.sample_types.iter().chain(&header.period_type) {
            header.string(value_type.kind, value_type.offset)?;
            header.string(value_type.unit, value_type.offset)?;
        }
        Ok(header)
    }

    fn string(&self, index: i64, offset: usize) -> Result<&str, ParseError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.strings.get(i))
            .map(|s| s.as_ref())
            .ok_or_else(|| {
                ParseError::at_byte(
                    offset as u64,
                    format!(
                        "string index {index} is outside the string table ({} entries)",
                        self.strings.len()
                    ),
                )
            })
    }

    fn type_names(&self) -> String {
        self.sample_types
            .iter()
            .map(|t| {
                let kind = self.string(t.kind, t.offset).unwrap_or("?");
                let unit = self.string(t.unit, t.offset).unwrap_or("?");
                format!("{kind} ({unit})")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Index of the sample type to read, and notes about the choice.
    fn pick_metric(&self, wanted: Option<&str>) -> Result<(usize, Vec<String>), ParseError> {
        let position = |name: &str| {
            self.sample_types
                .iter()
                .position(|t| self.string(t.kind, t.offset).is_ok_and(|k| k == name))
        };
        let mut notes = Vec::new();
        if let Some(wanted) = wanted {
            return match position(wanted) {
                Some(index) => Ok((index, notes)),
                None => Err(ParseError::at_byte(
                    0,
                    format!(
                        "no sample type {wanted:?}; the profile has: {}",
                        self.type_names()
                    ),
                )),
            };
        }
        let last = self.sample_types.len() - 1;
        if self.default_sample_type != 0 {
            let name = self.string(self.default_sample_type, 0)?;
            match position(name) {
                Some(index) => return Ok((index, notes)),
                None => notes.push(format!(
                    "default_sample_type {name:?} is not a sample type; read the last one"
                )),
            }
        }
        Ok((last, notes))
    }

    /// One sampling period in seconds, when the period is a time.
    fn period_seconds(&self) -> Option<f64> {
        let period_type = self.period_type?;
        let unit = self.string(period_type.unit, period_type.offset).ok()?;
        match unit_of(unit) {
            (Unit::Seconds, scale) if self.period > 0 => Some(self.period as f64 * scale),
            _ => None,
        }
    }
}

fn read_value_type(cursor: &mut Cursor<'_>, offset: usize) -> Result<ValueType, ParseError> {
    let mut value_type = ValueType {
        kind: 0,
        unit: 0,
        offset,
    };
    while !cursor.is_empty() {
        let (field, wire) = cursor.tag()?;
        match field {
            1 => value_type.kind = cursor.expect_varint(wire, "ValueType.type")? as i64,
            2 => value_type.unit = cursor.expect_varint(wire, "ValueType.unit")? as i64,
            _ => cursor.skip(wire)?,
        }
    }
    Ok(value_type)
}

fn read_mapping(cursor: &mut Cursor<'_>) -> Result<(u64, i64), ParseError> {
    let (mut id, mut filename) = (0, 0);
    while !cursor.is_empty() {
        let (field, wire) = cursor.tag()?;
        match field {
            1 => id = cursor.expect_varint(wire, "Mapping.id")?,
            5 => filename = cursor.expect_varint(wire, "Mapping.filename")? as i64,
            _ => cursor.skip(wire)?,
        }
    }
    Ok((id, filename))
}

fn read_location(
    cursor: &mut Cursor<'_>,
    offset: usize,
) -> Result<(u64, LocationEntry), ParseError> {
    let mut id = 0;
    let mut location = LocationEntry {
        mapping_id: 0,
        address: 0,
        functions: Vec::new(),
        offset,
    };
    while !cursor.is_empty() {
        let (field, wire) = cursor.tag()?;
        match field {
            1 => id = cursor.expect_varint(wire, "Location.id")?,
            2 => location.mapping_id = cursor.expect_varint(wire, "Location.mapping_id")?,
            3 => location.address = cursor.expect_varint(wire, "Location.address")?,
            4 => {
                if wire != LEN {
                    return Err(cursor.error("Location.line is not a message"));
                }
                let mut line = cursor.message()?;
                let mut function_id = 0;
                while !line.is_empty() {
                    let (field, wire) = line.tag()?;
                    match field {
                        1 => function_id = line.expect_varint(wire, "Line.function_id")?,
                        _ => line.skip(wire)?,
                    }
                }
                location.functions.push(function_id);
            }
            _ => cursor.skip(wire)?,
        }
    }
    Ok((id, location))
}

fn read_function(
    cursor: &mut Cursor<'_>,
    offset: usize,
) -> Result<(u64, FunctionEntry), ParseError> {
    let mut id = 0;
    let mut function = FunctionEntry {
        name: 0,
        system_name: 0,
        filename: 0,
        start_line: 0,
        offset,
    };
    while !cursor.is_empty() {
        let (field, wire) = cursor.tag()?;
        match field {
            1 => id = cursor.expect_varint(wire, "Function.id")?,
            2 => function.name = cursor.expect_varint(wire, "Function.name")? as i64,
            3 => function.system_name = cursor.expect_varint(wire, "Function.system_name")? as i64,
            4 => function.filename = cursor.expect_varint(wire, "Function.filename")? as i64,
            5 => function.start_line = cursor.expect_varint(wire, "Function.start_line")? as i64,
            _ => cursor.skip(wire)?,
        }
    }
    Ok((id, function))
}

// ---------------------------------------------------------------- samples

struct SampleReader<'h, 'a> {
    header: &'h Header<'a>,
    builder: StackBuilder,
    /// Packed `location_id` bytes → stack index. Producers that do not
    /// merge samples (austin2pprof writes one per Austin line) repeat the
    /// same few stacks; this skips expanding and hashing them again. The
    /// keys are copies: compact in memory, they compare faster than slices
    /// scattered over the whole input.
    seen: FastMap<Box<[u8]>, usize>,
    /// Per pprof function: the model function, made on first use.
    functions: Vec<Option<FunctionId>>,
    /// Per location: its frames root first, made on first use.
    locations: Vec<Option<Vec<FunctionId>>>,
    location_ids: Vec<u64>,
    values: Vec<u64>,
    stack: Vec<FunctionId>,
    empty_stacks: u64,
}

impl<'h, 'a> SampleReader<'h, 'a> {
    fn new(header: &'h Header<'a>) -> Self {
        SampleReader {
            header,
            builder: StackBuilder::default(),
            seen: FastMap::default(),
            functions: vec![None; header.functions.len()],
            locations: vec![None; header.locations.len()],
            location_ids: Vec::new(),
            values: Vec::new(),
            stack: Vec::new(),
            empty_stacks: 0,
        }
    }

    /// Reads one `Sample` (`cursor` over its body; `offset` is where the
    /// sample field starts, for errors about the sample as a whole).
    fn sample(
        &mut self,
        mut cursor: Cursor<'a>,
        offset: usize,
        metric: usize,
    ) -> Result<(), ParseError> {
        self.location_ids.clear();
        self.values.clear();
        // The stack's packed bytes, when it is one packed field.
        let mut packed_key: Option<&'a [u8]> = None;
        let mut location_fields = 0;
        while !cursor.is_empty() {
            let (field, wire) = cursor.tag()?;
            match field {
                1 => {
                    location_fields += 1;
                    if wire == LEN {
                        let mut packed = cursor.message()?;
                        packed_key = Some(packed.data);
                        while !packed.is_empty() {
                            self.location_ids.push(packed.varint()?);
                        }
                    } else {
                        cursor.repeated_varint(
                            wire,
                            &mut self.location_ids,
                            "Sample.location_id",
                        )?
                    }
                }
                2 => cursor.repeated_varint(wire, &mut self.values, "Sample.value")?,
                _ => cursor.skip(wire)?,
            }
        }
        if location_fields != 1 {
            packed_key = None;
        }
        if self.values.len() != self.header.sample_types.len() {
            return Err(ParseError::at_byte(
                offset as u64,
                format!(
                    "sample has {} values but the profile has {} sample types",
                    self.values.len(),
                    self.header.sample_types.len()
                ),
            ));
        }
        // int64 on the wire: a negative value (a diff profile) is two's complement.
        let value = self.values[metric] as i64;
        if value == 0 {
            return Ok(());
        }
        if let Some(&index) = packed_key.and_then(|key| self.seen.get(key)) {
            self.builder.add_to_stack(index, value as f64);
            return Ok(());
        }
        self.stack.clear();
        for index in (0..self.location_ids.len()).rev() {
            let id = self.location_ids[index];
            let location = self.header.location_ids.get(id).ok_or_else(|| {
                ParseError::at_byte(
                    offset as u64,
                    format!("sample refers to location {id}, which does not exist"),
                )
            })?;
            if self.locations[location].is_none() {
                let frames = self.expand(location)?;
                self.locations[location] = Some(frames);
            }
            if let Some(frames) = &self.locations[location] {
                self.stack.extend_from_slice(frames);
            }
        }
        if self.stack.is_empty() {
            self.empty_stacks += 1;
            let id = self
                .builder
                .function(EMPTY_STACK, None, None, FunctionKind::Synthetic);
            self.stack.push(id);
        }
        let index = self.builder.add_stack(&self.stack, value as f64);
        if let Some(key) = packed_key {
            self.seen.insert(key.into(), index);
        }
        Ok(())
    }

    /// A location's frames, root first: its lines reversed (the last line is
    /// the caller), or one address frame when it has no lines.
    fn expand(&mut self, location: usize) -> Result<Vec<FunctionId>, ParseError> {
        let header = self.header;
        let entry = &header.locations[location];
        if entry.functions.is_empty() {
            let object = header
                .mappings
                .get(&entry.mapping_id)
                .and_then(|&f| header.string(f, entry.offset).ok())
                .filter(|f| !f.is_empty());
            let name = format!("0x{:x}", entry.address);
            return Ok(vec![self.builder.function_in(
                &name,
                None,
                None,
                object,
                FunctionKind::Source,
            )]);
        }
        let mut frames = Vec::with_capacity(entry.functions.len());
        for &function_id in entry.functions.iter().rev() {
            let Some(index) = header.function_ids.get(function_id) else {
                continue; // checked in Header::read
            };
            if let Some(id) = self.functions[index] {
                frames.push(id);
                continue;
            }
            let function = &header.functions[index];
            let mut name = header.string(function.name, function.offset)?;
            if name.is_empty() {
                name = header.string(function.system_name, function.offset)?;
            }
            let name = if name.is_empty() { "<unknown>" } else { name };
            let file = header.string(function.filename, function.offset)?;
            let file = (!file.is_empty()).then_some(file);
            let line = u32::try_from(function.start_line).ok().filter(|&l| l > 0);
            let id = self
                .builder
                .function(name, file, line, FunctionKind::Source);
            self.functions[index] = Some(id);
            frames.push(id);
        }
        Ok(frames)
    }
}

#[cfg(test)]
mod tests;
