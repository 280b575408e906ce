//! profdiff: diff performance profiles.
//!
//! Read two profiles (cProfile/pstats dumps today; more formats plug in under
//! [`formats`]), align their functions by a normalised key ([`align`]), and
//! compute what changed in call counts and time ([`diff`]). [`noise`] marks
//! call-count changes that likely follow the hash seed rather than the
//! code; [`gate`] and [`snapshot`] judge them, [`stats`] compares several
//! runs per side and [`lambda`] prices a change on AWS Lambda. These
//! analyses return values; a [`render::Report`] gathers what a command
//! shows, and [`render::write`] turns it into a terminal table, Markdown,
//! a flame graph or versioned JSON ([`wire`]).
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

pub mod align;
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
pub mod render;
pub mod snapshot;
pub mod stats;
pub mod wire;

pub use error::{Error, ParseError, Position, Result};
pub use model::{
    DeclaredTotals, Edge, Format, Function, FunctionId, FunctionKind, Profile, ProfileMeta, Unit,
};
