//! profdiff: diff performance profiles.
//!
//! Read two profiles of any supported format ([`formats::FORMATS`]: pstats
//! dumps, pstats text, callgrind, folded stacks, speedscope, pprof) with
//! [`input::load`], align their functions by a normalised key ([`align`]),
//! and compute what changed in call counts and time ([`diff`]). The
//! analyses return values: [`causes`] finds the call-count changes that
//! happened at their origin (with [`hints`] for known waste), [`noise`]
//! marks those that likely follow the hash seed, [`gate`] and [`snapshot`]
//! judge a diff, [`stats`] compares several runs per side, [`lambda`]
//! prices a change on AWS Lambda and [`merge`] sums profiles. A
//! [`render::Report`] gathers what a command shows, and [`render::write`]
//! turns it into a terminal table, Markdown, a flame graph or versioned
//! JSON ([`wire`]). Writers for callgrind and pstats dumps are in
//! [`formats::callgrind`] and [`formats::pstats`].
//!
//! The command-line program is behind the default `cli` feature; a library
//! user can turn it off (`default-features = false`) and compile neither
//! clap nor terminal_size.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use profdiff::{diff, input, render};
//!
//! let base = input::load(Path::new("before.prof"), &Default::default())?;
//! let new = input::load(Path::new("after.prof"), &Default::default())?;
//! let mut result = diff::diff(&base, &new, &Default::default())?;
//! diff::sort_functions(&mut result.functions, diff::SortKey::Inclusive);
//! let top = &result.functions[0];
//! println!("{}: calls {:?} → {:?}", top.key, top.calls.base, top.calls.new);
//! # Ok::<(), profdiff::Error>(())
//! ```

#![warn(missing_docs)]

pub mod align;
pub mod callgraph;
pub mod causes;
pub mod diff;
pub mod error;
pub mod filter;
pub mod formats;
pub mod gate;
pub(crate) mod graph;
pub mod hints;
pub mod input;
pub mod lambda;
pub mod merge;
pub mod model;
pub mod noise;
pub mod output;
pub mod parallel;
pub mod render;
pub mod snapshot;
pub mod stats;
pub mod suite;
pub mod wire;

pub use error::{Error, ParseError, Position, Remedy, Result};
pub use model::{
    DeclaredTotals, Edge, Format, Function, FunctionId, FunctionKind, Profile, ProfileMeta, Unit,
};
