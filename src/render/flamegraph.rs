//! Differential flame graphs (`--format flamegraph`): the new profile's
//! stacks drawn as a flame graph, each frame coloured by how its cost moved
//! against the base: red grew, blue shrank, white unchanged. This is Brendan
//! Gregg's differential flame graph, drawn by the `inferno` crate from
//! `stack base new` lines, so the SVG (search, zoom, tooltips) is the one
//! people know from flamegraph.pl.
//!
//! Choices, and why:
//!
//! - **Frame labels are alignment keys** ([`crate::align::align`]): the same
//!   function gets the same label in both profiles even when its file moved
//!   (`/Users/me/app/handler.py` vs `/var/task/handler.py` →
//!   `handler.py:handler`), and a label never carries a line number, so an
//!   edit above a function does not split its frame in two.
//! - **Widths are the new profile's** (flamegraph.pl's convention): a stack
//!   that vanished has no width and is not drawn. Set
//!   [`FlameGraphOptions::base_widths`] to draw the base profile's widths
//!   instead, with the same colours (red still means "grew"), to see what
//!   disappeared.
//! - **Counts must be integers** for inferno, so costs are converted to
//!   whole units first: seconds to microseconds (nanoseconds for profiles
//!   shorter than a millisecond), samples and events stay as they are unless
//!   they are fractional, in which case they are scaled by 1000.
//! - **`normalize`** scales the base so both profiles have the same total,
//!   which compares the *shape* of two runs of different length (what
//!   `difffolded.pl -n` does).
//! - Inputs without stacks (pstats, callgrind) are refused with the reason:
//!   they record caller → callee pairs only, from which the real stacks
//!   cannot be rebuilt.

use std::collections::HashMap;
use std::io::{self, Write};

use inferno::flamegraph::{self, Options};

use crate::align::{self, AlignOptions};
use crate::error::Error;
use crate::model::{Format, Profile, Unit};

/// Options for [`write_diff`].
#[derive(Debug, Clone, Default)]
pub struct FlameGraphOptions {
    /// Title at the top of the graph. Default: "Differential flame graph"
    /// with both paths as the subtitle.
    pub title: Option<String>,
    /// Scale the base so both profiles have the same total (`--normalize`).
    /// Default: `false`.
    pub normalize: bool,
    /// Draw the base profile's widths instead of the new one's. Default:
    /// `false`.
    pub base_widths: bool,
    /// Image width in pixels. Default: `None`, a fluid width.
    pub width: Option<usize>,
    /// Path normalisation for frame labels (`--strip-prefix`).
    pub align: AlignOptions,
}

/// A differential flame graph, checked and folded, ready to draw: the two
/// profiles' stacks as `stack base new` lines in whole units (see the
/// module docs). Building it is where a flame graph can fail; drawing it
/// ([`write()`]) only writes.
#[derive(Debug, Clone)]
pub struct FlameGraphReport {
    /// Sorted `stack before after` lines (`stack after before` with
    /// [`FlameGraphOptions::base_widths`]).
    lines: Vec<String>,
    count_name: String,
    title: String,
    subtitle: String,
    width: Option<usize>,
    base_widths: bool,
}

impl FlameGraphReport {
    /// Folds the stacks of `base` → `new`. Refuses a profile without stacks
    /// (pstats, callgrind), profiles in different units, and stacks with
    /// nothing to draw.
    pub fn new(base: &Profile, new: &Profile, options: &FlameGraphOptions) -> Result<Self, Error> {
        for profile in [base, new] {
            if profile.stacks.is_empty() {
                return Err(no_stacks(profile));
            }
        }
        if base.meta.unit != new.meta.unit {
            let error = Error::Usage(format!(
                "cannot draw one flame graph from {} in {} and {} in {}",
                base.meta.path, base.meta.unit, new.meta.path, new.meta.unit,
            ));
            let sampled = base.meta.unit == Unit::Samples || new.meta.unit == Unit::Samples;
            return Err(if sampled {
                error.with_remedy(crate::error::Remedy::SampleRate)
            } else {
                error
            });
        }

        let [base_labels, new_labels] = labels(base, new, &options.align);
        let mut lines: HashMap<String, [f64; 2]> = HashMap::new();
        let base_total = stack_total(base);
        let new_total = stack_total(new);
        let base_scale = if options.normalize && base_total > 0.0 {
            new_total / base_total
        } else {
            1.0
        };
        for (side, profile, labels, scale) in [
            (0, base, &base_labels, base_scale),
            (1, new, &new_labels, 1.0),
        ] {
            let mut stack = String::new();
            for entry in &profile.stacks {
                stack.clear();
                for (index, &frame) in entry.frames.iter().enumerate() {
                    if index > 0 {
                        stack.push(';');
                    }
                    stack.push_str(labels.get(frame).map_or("?", String::as_str));
                }
                if stack.is_empty() {
                    continue;
                }
                match lines.get_mut(stack.as_str()) {
                    Some(costs) => costs[side] += entry.cost * scale,
                    None => {
                        let mut costs = [0.0; 2];
                        costs[side] = entry.cost * scale;
                        lines.insert(stack.clone(), costs);
                    }
                }
            }
        }

        let (multiplier, count_name) = integer_units(
            &new.meta.unit,
            base_total.max(new_total),
            lines.values().flatten(),
        );
        // The width drawn: the last count of each line, as inferno sums it.
        let mut drawn: u64 = 0;
        let mut folded: Vec<String> = Vec::with_capacity(lines.len());
        for (stack, [before, after]) in lines {
            let before = to_count(before, multiplier);
            let after = to_count(after, multiplier);
            if before == 0 && after == 0 {
                continue;
            }
            folded.push(if options.base_widths {
                drawn = drawn.saturating_add(before);
                format!("{stack} {after} {before}")
            } else {
                drawn = drawn.saturating_add(after);
                format!("{stack} {before} {after}")
            });
        }
        if folded.is_empty() {
            return Err(Error::Usage(format!(
                "{} and {} have no cost to draw",
                base.meta.path, new.meta.path
            )));
        }
        if drawn == 0 {
            // inferno refuses a graph of no width, after writing an error
            // page; refuse it here, before any output, in inferno's words.
            return Err(draw_error(io::Error::new(
                io::ErrorKind::InvalidData,
                "No stack counts found",
            )));
        }
        folded.sort_unstable();

        Ok(FlameGraphReport {
            lines: folded,
            count_name,
            title: options
                .title
                .clone()
                .unwrap_or_else(|| "Differential flame graph".to_string()),
            subtitle: format!(
                "{} \u{2192} {}: red grew, blue shrank; widths from {}{}",
                base.meta.path,
                new.meta.path,
                if options.base_widths { "base" } else { "new" },
                if options.normalize {
                    "; base normalised to the new total"
                } else {
                    ""
                }
            ),
            width: options.width,
            base_widths: options.base_widths,
        })
    }
}

/// Draws the flame graph as SVG.
pub fn write(out: &mut dyn Write, report: &FlameGraphReport) -> io::Result<()> {
    let mut inferno = Options::default();
    inferno.title = report.title.clone();
    inferno.subtitle = Some(report.subtitle.clone());
    inferno.count_name = report.count_name.clone();
    inferno.image_width = report.width;
    // With widths from the base, the lines are `stack new base`; negating
    // keeps red meaning "grew".
    inferno.negate_differentials = report.base_widths;
    // Already sorted.
    inferno.no_sort = true;
    flamegraph::from_lines(&mut inferno, report.lines.iter().map(String::as_str), out)
}

/// Writes a differential flame graph of `base` → `new` as SVG: a
/// [`FlameGraphReport`], drawn.
pub fn write_diff(
    base: &Profile,
    new: &Profile,
    out: &mut dyn Write,
    options: &FlameGraphOptions,
) -> Result<(), Error> {
    let report = FlameGraphReport::new(base, new, options)?;
    write(out, &report).map_err(draw_error)
}

fn draw_error(source: io::Error) -> Error {
    Error::Io {
        path: "flame graph output".to_string(),
        source,
    }
}

fn no_stacks(profile: &Profile) -> Error {
    let why = match profile.meta.format {
        Format::Pstats | Format::PstatsText => {
            "pstats dumps record only caller\u{2192}callee pairs"
        }
        Format::Callgrind => "callgrind files record only caller\u{2192}callee pairs",
        _ => "the file holds no samples",
    };
    Error::Input {
        path: profile.meta.path.clone(),
        message: format!(
            "{} profile has no call stacks ({why}); flame graphs need folded, speedscope or \
             pprof input",
            profile.meta.format
        ),
    }
}

/// Labels per function of each profile: the alignment key, made safe for a
/// folded line (no `;`, no line breaks).
fn labels(base: &Profile, new: &Profile, options: &AlignOptions) -> [Vec<String>; 2] {
    let mut base_labels = vec![String::new(); base.functions.len()];
    let mut new_labels = vec![String::new(); new.functions.len()];
    for row in align::align(base, new, options) {
        let label = sanitize(&row.key);
        if let Some(slot) = row.base.and_then(|id| base_labels.get_mut(id)) {
            slot.clone_from(&label);
        }
        if let Some(slot) = row.new.and_then(|id| new_labels.get_mut(id)) {
            *slot = label;
        }
    }
    [base_labels, new_labels]
}

fn sanitize(label: &str) -> String {
    // Control characters are not allowed in the SVG's XML at all.
    let label: String = super::escape::escape(label)
        .chars()
        .map(|c| if c == ';' { ',' } else { c })
        .collect();
    if label.trim().is_empty() {
        "?".to_string()
    } else {
        label
    }
}

fn stack_total(profile: &Profile) -> f64 {
    profile.stacks.iter().map(|s| s.cost).sum()
}

/// The factor that turns costs into whole counts, and the name of a count.
fn integer_units<'c>(
    unit: &Unit,
    total: f64,
    mut costs: impl Iterator<Item = &'c f64>,
) -> (f64, String) {
    match unit {
        Unit::Seconds if total < 1e-3 => (1e9, "ns".to_string()),
        Unit::Seconds => (1e6, "\u{b5}s".to_string()),
        other => {
            let name = if *other == Unit::Samples {
                "samples".to_string()
            } else {
                other.name().to_string()
            };
            if costs.all(|c| c.fract() == 0.0) {
                (1.0, name)
            } else {
                (1000.0, format!("1/1000 {name}"))
            }
        }
    }
}

fn to_count(cost: f64, multiplier: f64) -> u64 {
    let scaled = (cost * multiplier).round();
    // Negative costs (pprof diff profiles) cannot be drawn; NaN saturates to 0.
    if scaled > 0.0 {
        scaled as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::folded::{self, FoldedOptions};

    fn folded(text: &str, path: &str) -> Profile {
        folded::parse(text.as_bytes(), path, &FoldedOptions::default()).unwrap()
    }

    #[test]
    fn differential_svg_names_changed_frames() {
        let base = folded(
            "main (/a/app.py:1);slow (/a/app.py:9) 10\nmain (/a/app.py:1);gone (/a/app.py:20) 5\n",
            "before.txt",
        );
        let new = folded(
            "main (/b/app.py:1);slow (/b/app.py:9) 30\nmain (/b/app.py:1);fresh (/b/app.py:30) 5\n",
            "after.txt",
        );
        let mut svg = Vec::new();
        write_diff(&base, &new, &mut svg, &FlameGraphOptions::default()).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        // Paths differ by machine root; the labels still match.
        assert!(svg.contains("app.py:slow"), "{svg}");
        assert!(svg.contains("app.py:fresh"), "{svg}");
        assert!(!svg.contains("/a/app.py"), "{svg}");
        assert!(
            svg.contains("rgb(255,"),
            "a frame grew, so something is red"
        );
    }

    #[test]
    fn stackless_profiles_are_refused() {
        let base = folded("main 1\n", "a");
        let mut empty = base.clone();
        empty.stacks.clear();
        empty.meta.format = Format::Pstats;
        let error = write_diff(
            &empty,
            &base,
            &mut Vec::new(),
            &FlameGraphOptions::default(),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("pstats dumps record only caller"),
            "{error}"
        );
    }
}
