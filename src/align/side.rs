//! One profile prepared for alignment: each function's key prefix, label
//! and line, and the interning of groups shared by both sides.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use crate::model::{Edge, Function, FunctionId, Profile};

use super::conventions;
use super::display_name;
use super::keys::{builtin_label, key_class, object_basename, strip_addresses, KeyClass};
use super::paths::{FileTable, PathRules};
use super::FxMap;

/// The part of a key before the name.
#[derive(Debug, Clone, Copy)]
enum Prefix<'a> {
    None,
    File(u32),
    Object(&'a str),
}

/// One profile prepared for alignment.
pub(super) struct Side<'a> {
    pub(super) functions: &'a [Function],
    edges: &'a [Edge],
    /// The callers of every function, built on first use: only groups
    /// with repeated names need them.
    callers: OnceLock<CallerIndex>,
    files: FileTable,
    prefixes: Vec<Prefix<'a>>,
    /// The key's part after the prefix: the name, or the whole key for
    /// builtins, synthetic and bare functions.
    labels: Vec<Cow<'a, str>>,
    /// Hash of each label, so that groups pair by sorting integers rather
    /// than strings.
    pub(super) hashes: Vec<u64>,
    /// Functions whose label contains `#`, or `:` without a prefix.
    pub(super) risky: Vec<FunctionId>,
    /// Per function, its line + 1, or 0 when unknown: a compact copy, since
    /// groups visit functions in scattered order and a `Function` is large.
    lines: Vec<u32>,
}

impl<'a> Side<'a> {
    /// `builtins_by_name` keys builtins by their `__name__` alone (see
    /// [`super::conventions`]).
    pub(super) fn new(profile: &'a Profile, rules: &PathRules, builtins_by_name: bool) -> Self {
        let functions = profile.functions.as_slice();
        let classes: Vec<KeyClass> = functions.iter().map(key_class).collect();
        let files = FileTable::new(functions, &classes, rules);
        // One pass, so each function and its name are visited once.
        let count = functions.len();
        let mut prefixes = Vec::with_capacity(count);
        let mut labels = Vec::with_capacity(count);
        let mut hashes = Vec::with_capacity(count);
        let mut lines = Vec::with_capacity(count);
        let mut risky = Vec::new();
        for (id, ((function, class), file)) in functions
            .iter()
            .zip(&classes)
            .zip(&files.of_function)
            .enumerate()
        {
            let name = function.name.as_str();
            let (prefix, label) = match class {
                KeyClass::File => (file.map_or(Prefix::None, Prefix::File), Cow::Borrowed(name)),
                KeyClass::Object => (
                    Prefix::Object(object_basename(
                        function.object.as_deref().unwrap_or_default(),
                    )),
                    Cow::Borrowed(name),
                ),
                KeyClass::Builtin => {
                    let label = strip_addresses(builtin_label(function));
                    let label = if builtins_by_name {
                        conventions::by_name(label)
                    } else {
                        label
                    };
                    (Prefix::None, label)
                }
                KeyClass::Synthetic => (
                    Prefix::None,
                    Cow::Owned(display_name(function, None, function.line)),
                ),
                KeyClass::Bare => (Prefix::None, Cow::Borrowed(name)),
            };
            // A label that could spell another row's key (see
            // `collisions_possible`); almost never.
            if label.contains('#') || (matches!(prefix, Prefix::None) && label.contains(':')) {
                risky.push(id);
            }
            hashes.push(hash_str(&label));
            lines.push(function.line.map_or(0, |line| line.saturating_add(1)));
            prefixes.push(prefix);
            labels.push(label);
        }
        Side {
            functions,
            edges: &profile.edges,
            callers: OnceLock::new(),
            files,
            prefixes,
            labels,
            hashes,
            risky,
            lines,
        }
    }

    pub(super) fn label(&self, id: FunctionId) -> &str {
        &self.labels[id]
    }

    /// A hash of the set of the function's callers, each by prefix and
    /// label (no line, no ordinal), comparable across profiles: evidence for
    /// pairing same-name functions. Only a few functions ever need it, so
    /// the callers are indexed (without hashing) on first use and each
    /// signature is made when asked for.
    pub(super) fn caller_signature(&self, id: FunctionId) -> u64 {
        let index = self.callers.get_or_init(|| self.index_callers());
        let mut hashes: Vec<u64> = index.callers[index.start[id]..index.start[id + 1]]
            .iter()
            .map(|&caller| self.identity(caller as usize))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        rustc_hash::FxBuildHasher.hash_one(&hashes)
    }

    fn index_callers(&self) -> CallerIndex {
        let n = self.functions.len();
        let mut start = vec![0usize; n + 1];
        let valid = |e: &Edge| e.caller < n && e.callee < n;
        for edge in self.edges.iter().filter(|e| valid(e)) {
            start[edge.callee + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut callers = vec![0u32; start[n]];
        let mut fill = start[..n].to_vec();
        for edge in self.edges.iter().filter(|e| valid(e)) {
            callers[fill[edge.callee]] = edge.caller as u32;
            fill[edge.callee] += 1;
        }
        CallerIndex { start, callers }
    }

    /// A function's identity across profiles: its prefix and label, as text
    /// (the group ids are this alignment's, not the other side's).
    fn identity(&self, id: FunctionId) -> u64 {
        let prefix = match self.prefixes[id] {
            Prefix::None => "",
            Prefix::File(file) => &self.files.names[file as usize],
            Prefix::Object(object) => object,
        };
        rustc_hash::FxBuildHasher.hash_one((prefix, &*self.labels[id]))
    }

    /// Sort key for "line order": unknown lines first, like `Option`'s order.
    pub(super) fn line(&self, id: FunctionId) -> u32 {
        self.lines[id]
    }

    /// The group of every function, interning prefixes shared with the other
    /// side. Files are interned once per distinct file, not per function.
    pub(super) fn groups<'s>(&'s self, interner: &mut Interner<'s>) -> Vec<u32> {
        let mut file_groups: Vec<Option<u32>> = vec![None; self.files.names.len()];
        self.prefixes
            .iter()
            .map(|prefix| match *prefix {
                Prefix::None => interner.intern(""),
                Prefix::File(file) => *file_groups[file as usize]
                    .get_or_insert_with(|| interner.intern(&self.files.names[file as usize])),
                Prefix::Object(object) => interner.intern(object),
            })
            .collect()
    }
}

/// The callers of each function (compressed rows: function `f`'s are
/// `callers[start[f]..start[f + 1]]`).
struct CallerIndex {
    start: Vec<usize>,
    callers: Vec<u32>,
}

#[derive(Default)]
pub(super) struct Interner<'s> {
    ids: FxMap<&'s str, u32>,
    pub(super) names: Vec<&'s str>,
}

impl<'s> Interner<'s> {
    fn intern(&mut self, name: &'s str) -> u32 {
        *self.ids.entry(name).or_insert_with(|| {
            self.names.push(name);
            (self.names.len() - 1) as u32
        })
    }
}

fn hash_str(s: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(s)
}
