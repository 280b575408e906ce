//! Include and exclude patterns, and kinds of change: which rows a table, a
//! gate or a snapshot looks at.

use regex::Regex;

use crate::diff::{FunctionDiff, RowKind};
use crate::error::{Error, Result};

/// Regexes a row must match (any include, no exclude). They are tried on the
/// normalised key and on the displayed name, so users can paste either. A
/// diff row must also be of one of the kinds asked for, if any
/// ([`Filter::only`]).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    only: Vec<RowKind>,
}

impl Filter {
    /// Compiles the patterns once; an invalid one is an [`Error::Pattern`]
    /// saying which list it was in.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self> {
        let compile = |role: &'static str, patterns: &[String]| -> Result<Vec<Regex>> {
            patterns
                .iter()
                .map(|p| {
                    Regex::new(p).map_err(|e| Error::Pattern {
                        role,
                        pattern: p.clone(),
                        message: e.to_string(),
                    })
                })
                .collect()
        };
        Ok(Filter {
            include: compile("include", include)?,
            exclude: compile("exclude", exclude)?,
            only: Vec::new(),
        })
    }

    /// Keeps only diff rows of these kinds (any of them); an empty list
    /// keeps every kind.
    pub fn only(mut self, kinds: &[RowKind]) -> Self {
        self.only = kinds.to_vec();
        self
    }

    /// True when neither a pattern nor a kind was given.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty() && self.only.is_empty()
    }

    /// Whether a diff row passes: its key or label ([`Filter::matches`]) and
    /// its kind, judged with the diff's change `threshold`.
    pub fn keeps(&self, row: &FunctionDiff, threshold: f64) -> bool {
        self.matches(&row.key, &row.display)
            && (self.only.is_empty() || self.only.iter().any(|&kind| row.is(kind, threshold)))
    }

    /// Indices of the rows of `diff` (as sorted) the filter keeps, the first
    /// `top` of them (`None`: all): the rows a report shows, chosen before
    /// any per-row work is done for them.
    pub fn select(&self, diff: &crate::diff::ProfileDiff, top: Option<usize>) -> Vec<usize> {
        diff.functions
            .iter()
            .enumerate()
            .filter(|(_, row)| self.keeps(row, diff.cost_threshold))
            .map(|(index, _)| index)
            .take(top.unwrap_or(usize::MAX))
            .collect()
    }

    /// True when the function (by key or label) passes the filter: it
    /// matches an include pattern (or none was given) and no exclude pattern.
    pub fn matches(&self, key: &str, display: &str) -> bool {
        let hit = |re: &Regex| re.is_match(key) || re.is_match(display);
        (self.include.is_empty() || self.include.iter().any(hit)) && !self.exclude.iter().any(hit)
    }
}
