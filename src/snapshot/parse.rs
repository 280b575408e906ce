//! Parsing a snapshot file: the header, then one entry per function line
//! with the comments above it.

use std::collections::HashMap;

use crate::model::Profile;

use super::grammar::{parse_band, parse_clauses, split_key, Clause};
use super::group::{self, Group};
use super::render::{band_line, format_line};
use super::{
    Band, CallsTolerance, SnapshotError, BAND_PREFIX, CALLS_TOLERANCE_PREFIX, EXCLUDE_PREFIX,
    FORMAT_PREFIX, INCLUDE_PREFIX, VERSION, VERSION_LINE,
};

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) line: usize,
    pub(super) key: String,
    /// The key as written (quoted or not).
    pub(super) raw_key: String,
    pub(super) clauses: Vec<Clause>,
    /// The whole line as written.
    pub(super) text: String,
    /// Comment and blank lines just above it.
    pub(super) leading: Vec<String>,
    /// Set for a group line; then `key` is the group's name and `raw_key`
    /// the line up to the end of its pattern.
    pub(super) group: Option<Group>,
}

#[derive(Debug, Clone)]
enum HeaderLine {
    Format,
    /// The `# band:` line as written.
    Band(String),
    Other(String),
}

#[derive(Debug, Clone)]
pub(super) struct Parsed {
    pub(super) format: String,
    pub(super) unit: String,
    pub(super) include: Vec<String>,
    pub(super) exclude: Vec<String>,
    pub(super) first_filter_line: Option<usize>,
    pub(super) band: Option<Band>,
    /// The `# calls tolerance:` line's: what new `calls` entries get.
    pub(super) calls_tolerance: Option<CallsTolerance>,
    header: Vec<HeaderLine>,
    pub(super) entries: Vec<Entry>,
    pub(super) trailing: Vec<String>,
}

impl Parsed {
    /// The header as the actual text has it: as written, with the profile's
    /// own format and unit.
    pub(super) fn header_lines(&self, profile: &Profile) -> Vec<String> {
        self.header
            .iter()
            .map(|line| match line {
                HeaderLine::Format => format_line(profile),
                // A noise floor is in the snapshot's unit: for a profile in
                // another unit the band keeps its width and gets that
                // unit's default floor, so the proposed text reads back.
                HeaderLine::Band(text) if profile.meta.unit.name() == self.unit => text.clone(),
                HeaderLine::Band(text) => match &self.band {
                    Some(band) => band_line(
                        &Band {
                            pct: band.pct,
                            floor: crate::gate::default_noise_floor(&profile.meta.unit),
                        },
                        profile.meta.unit.is_time(),
                    ),
                    None => text.clone(),
                },
                HeaderLine::Other(text) => text.clone(),
            })
            .collect()
    }
}

fn is_comment_or_blank(line: &str) -> bool {
    line.trim().is_empty() || line.starts_with('#')
}

pub(super) fn parse(text: &str) -> std::result::Result<Parsed, SnapshotError> {
    // Some Windows editors start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.first().copied().unwrap_or_default();
    let version = first.strip_prefix(VERSION_LINE).ok_or_else(|| {
        SnapshotError::new(
            1,
            format!("not a profdiff snapshot: the first line must be `{VERSION_LINE}{VERSION}`"),
        )
    })?;
    match version.trim_end().parse::<u32>() {
        Ok(VERSION) => {}
        Ok(other) if other > VERSION => {
            return Err(SnapshotError::new(
                1,
                format!("snapshot format v{other} is newer than this profdiff reads (v{VERSION})"),
            ))
        }
        _ => {
            return Err(SnapshotError::new(
                1,
                format!("unknown snapshot version {version:?}; expected v{VERSION}"),
            ))
        }
    }
    let header_end = lines
        .iter()
        .position(|l| !is_comment_or_blank(l))
        .unwrap_or(lines.len());

    let mut parsed = Parsed {
        format: String::new(),
        unit: String::new(),
        include: Vec::new(),
        exclude: Vec::new(),
        first_filter_line: None,
        band: None,
        calls_tolerance: None,
        header: vec![HeaderLine::Other(first.to_string())],
        entries: Vec::new(),
        trailing: Vec::new(),
    };
    let mut format_seen = false;
    let mut band_text: Option<(usize, &str)> = None;
    for (index, &line) in lines.iter().enumerate().take(header_end).skip(1) {
        let number = index + 1;
        if let Some(rest) = line.strip_prefix(FORMAT_PREFIX) {
            if format_seen {
                return Err(SnapshotError::new(number, "a second `# format:` line"));
            }
            format_seen = true;
            let (format, unit) = rest.split_once("  unit: ").ok_or_else(|| {
                SnapshotError::new(number, "expected `# format: NAME  unit: UNIT`")
            })?;
            let (format, unit) = (format.trim(), unit.trim());
            if format.is_empty() || unit.is_empty() || format.contains(' ') || unit.contains(' ') {
                return Err(SnapshotError::new(
                    number,
                    "expected `# format: NAME  unit: UNIT`",
                ));
            }
            parsed.format = format.to_string();
            parsed.unit = unit.to_string();
            parsed.header.push(HeaderLine::Format);
            continue;
        }
        if let Some(pattern) = line.strip_prefix(INCLUDE_PREFIX) {
            parsed.include.push(pattern.to_string());
            parsed.first_filter_line.get_or_insert(number);
        } else if let Some(pattern) = line.strip_prefix(EXCLUDE_PREFIX) {
            parsed.exclude.push(pattern.to_string());
            parsed.first_filter_line.get_or_insert(number);
        } else if let Some(rest) = line.strip_prefix(BAND_PREFIX) {
            if band_text.is_some() {
                return Err(SnapshotError::new(number, "a second `# band:` line"));
            }
            band_text = Some((number, rest));
            parsed.header.push(HeaderLine::Band(line.to_string()));
            continue;
        } else if let Some(rest) = line.strip_prefix(CALLS_TOLERANCE_PREFIX) {
            if parsed.calls_tolerance.is_some() {
                return Err(SnapshotError::new(
                    number,
                    "a second `# calls tolerance:` line",
                ));
            }
            let tolerance = CallsTolerance::parse(rest).map_err(|m| {
                SnapshotError::new(number, format!("{m}; expected `# calls tolerance: ±T`"))
            })?;
            parsed.calls_tolerance = Some(tolerance);
        }
        parsed.header.push(HeaderLine::Other(line.to_string()));
    }
    if !format_seen {
        return Err(SnapshotError::new(
            (header_end + 1).min(lines.len()).max(1),
            "no `# format: NAME  unit: UNIT` line before the first function line",
        ));
    }
    // Recorded filters must compile here so the error names their line.
    for (index, &line) in lines.iter().enumerate().take(header_end) {
        let pattern = line
            .strip_prefix(INCLUDE_PREFIX)
            .or_else(|| line.strip_prefix(EXCLUDE_PREFIX));
        if let Some(pattern) = pattern {
            if let Err(error) = regex::Regex::new(pattern) {
                return Err(SnapshotError::new(
                    index + 1,
                    format!("invalid regex {pattern:?}: {error}"),
                ));
            }
        }
    }
    let time = parsed.unit == "seconds";
    if let Some((number, rest)) = band_text {
        parsed.band = Some(parse_band(rest, time).map_err(|m| SnapshotError::new(number, m))?);
    }

    let mut leading = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut groups_seen: HashMap<String, usize> = HashMap::new();
    for (index, &line) in lines.iter().enumerate().skip(header_end) {
        let number = index + 1;
        if is_comment_or_blank(line) {
            if [
                FORMAT_PREFIX,
                INCLUDE_PREFIX,
                EXCLUDE_PREFIX,
                BAND_PREFIX,
                CALLS_TOLERANCE_PREFIX,
            ]
            .iter()
            .any(|p| line.starts_with(p))
            {
                return Err(SnapshotError::new(
                    number,
                    "header lines (`# format:`, `# include:`, `# exclude:`, `# band:`, \
                     `# calls tolerance:`) must come before the first function line",
                ));
            }
            leading.push(line.to_string());
            continue;
        }
        if group::is_group_line(line) {
            let (group, head, clauses) =
                group::parse(line, time).map_err(|m| SnapshotError::new(number, m))?;
            if let Some(previous) = groups_seen.insert(group.name.clone(), number) {
                return Err(SnapshotError::new(
                    number,
                    format!(
                        "group {} is defined twice (also on line {previous})",
                        group.name
                    ),
                ));
            }
            parsed.entries.push(Entry {
                line: number,
                key: group.name.clone(),
                raw_key: head,
                clauses,
                text: line.to_string(),
                leading: std::mem::take(&mut leading),
                group: Some(group),
            });
            continue;
        }
        let (key, raw_key, rest) = split_key(line).map_err(|m| SnapshotError::new(number, m))?;
        if let Some(previous) = seen.insert(key.clone(), number) {
            return Err(SnapshotError::new(
                number,
                format!("{key} is listed twice (also on line {previous})"),
            ));
        }
        let clauses = parse_clauses(rest, time).map_err(|m| SnapshotError::new(number, m))?;
        parsed.entries.push(Entry {
            line: number,
            key,
            raw_key,
            clauses,
            text: line.to_string(),
            leading: std::mem::take(&mut leading),
            group: None,
        });
    }
    parsed.trailing = leading;
    Ok(parsed)
}
