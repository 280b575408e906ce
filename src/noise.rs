//! Call-count changes that are likely noise rather than a change in the code.
//!
//! A deterministic program makes the same calls on every run, but only under
//! a fixed `PYTHONHASHSEED`: Python salts the hashes of `str` and `bytes`
//! with a random seed per process, so the iteration order of sets, and the
//! work done by code that loops over one, changes from run to run. Some
//! functions' call counts follow the seed by nature: `__hash__` methods and
//! the builtin `hash` run whenever an object is hashed, which is how sets
//! and dicts are filled and probed. When such a count changes between two
//! profiles, the likely cause is that the runs had different seeds. black
//! formatting the same input under seeds 1 and 2 (fixtures/realworld) calls
//! `enum.py:__hash__` 3,028 and 2,986 times, and
//! `{built-in method builtins.hash}` 4,056 and 4,014 times.
//!
//! The functions are recognised by their alignment key
//! ([`crate::align`]), so the analysis needs only the diff:
//!
//! * a function named `__hash__` in any file (`enum.py:__hash__`,
//!   `typing.py:__hash__#2`), or a builtin type's `__hash__`
//!   (`{method '__hash__' of 'object' objects}`);
//! * the builtin `hash`, as cProfile (`{built-in method builtins.hash}`,
//!   Python 2's `{hash}` and `{built-in function hash}`) and the `profile`
//!   module (`{hash}`) record it.
//!
//! Only a function present on both sides whose count moved by a small share
//! is flagged: at most [`MAX_SHARE`] (10%) of the larger count. The seed
//! reorders work; it does not change how much data a program hashes, so
//! seed noise in these counts is small (1.6% at most between black's runs
//! under seeds 0, 1 and 2), while a change in the code can move them by any
//! amount (black 23.12.1 → 24.8.0, both under seed 0: `enum.py:__hash__`
//! 806 → 19,228 calls, which is not noise). A function that appears or
//! vanishes is new or removed code, whatever its name.
//! Other counts can follow the seed too (black's `black/mode.py:189(<genexpr>)`
//! iterates a set: 48 calls under seed 1, 27 under seed 2), but nothing in a
//! profile tells them from a real change, so they are not flagged.
//!
//! Flagging does not excuse anything: the regression gate and snapshots still
//! judge these counts (a user who cannot fix the seed states a tolerance),
//! and the reports say why a change is likely noise.

use crate::diff::{FunctionDiff, ProfileDiff};

/// Why a change is likely noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Noise {
    /// The function's call count follows `PYTHONHASHSEED`.
    HashSeed,
}

impl Noise {
    /// Stable name, as in JSON (`"hash_seed"`).
    pub fn name(self) -> &'static str {
        match self {
            Noise::HashSeed => "hash_seed",
        }
    }
}

/// The largest change, as a share of the larger count, that is still called
/// likely hash-seed noise.
pub const MAX_SHARE: f64 = 0.10;

/// True when the function with this alignment key is a `__hash__` method or
/// the builtin `hash`, whose call counts follow `PYTHONHASHSEED`.
pub fn follows_hash_seed(key: &str) -> bool {
    let key = without_ordinals(key);
    if let Some(builtin) = key.strip_prefix('{').and_then(|k| k.strip_suffix('}')) {
        return matches!(
            builtin,
            "hash" | "built-in method builtins.hash" | "built-in function hash"
        ) || (builtin.starts_with("method '__hash__' of '")
            && builtin.ends_with("' objects"));
    }
    key.rsplit_once(':')
        .is_some_and(|(_, name)| name == "__hash__")
}

/// `typing.py:__hash__#2@3` → `typing.py:__hash__`: the numbering alignment
/// adds to repeated names (`#N`) and to clashing keys (`@N`).
fn without_ordinals(key: &str) -> &str {
    let mut key = key;
    for mark in ['@', '#'] {
        if let Some((stem, number)) = key.rsplit_once(mark) {
            if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
                key = stem;
            }
        }
    }
    key
}

/// True when a count of the function with this key that went from `a` to
/// `b` calls is likely hash-seed noise: the function follows the seed
/// ([`follows_hash_seed`]) and the count moved, by at most [`MAX_SHARE`] of
/// the larger count.
pub fn hash_seed_noise(key: &str, a: u64, b: u64) -> bool {
    a != b && (a.abs_diff(b) as f64) <= MAX_SHARE * a.max(b) as f64 && follows_hash_seed(key)
}

/// Whether one function's change is likely noise, and why: present with a
/// count on both sides, and [`hash_seed_noise`].
pub fn of(function: &FunctionDiff) -> Option<Noise> {
    match (function.calls.base, function.calls.new) {
        (Some(base), Some(new)) if hash_seed_noise(&function.key, base.0, new.0) => {
            Some(Noise::HashSeed)
        }
        _ => None,
    }
}

/// The functions of `diff` whose call-count change is likely hash-seed
/// noise ([`of`]), in key order.
pub fn likely_noise(diff: &ProfileDiff) -> Vec<&FunctionDiff> {
    let mut flagged: Vec<&FunctionDiff> =
        diff.functions.iter().filter(|f| of(f).is_some()).collect();
    flagged.sort_by(|a, b| a.key.cmp(&b.key));
    flagged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Change, Count, Status};

    #[test]
    fn hash_functions_by_key() {
        for key in [
            "enum.py:__hash__",
            "typing.py:__hash__#2",
            "typing.py:__hash__#2@3",
            "/abs/app.py:__hash__",
            "{built-in method builtins.hash}",
            "{hash}",
            "{built-in function hash}",
            "{method '__hash__' of 'object' objects}",
        ] {
            assert!(follows_hash_seed(key), "{key}");
        }
        for key in [
            "black/mode.py:<genexpr>",
            "app.py:hash",
            "app.py:__hash__x",
            "hashlib.py:<module>",
            "dataclasses.py:_hash_fn",
            "{built-in method _hashlib.openssl_md5}",
            "{method 'hash' of 'x' objects}",
            "{hashx}",
            "__hash__",
            "app.py:__hash__#",
        ] {
            assert!(!follows_hash_seed(key), "{key}");
        }
    }

    fn row(key: &str, base: Option<u64>, new: Option<u64>) -> FunctionDiff {
        FunctionDiff {
            key: key.to_string(),
            display: key.to_string(),
            base_id: base.map(|_| 0),
            new_id: new.map(|_| 0),
            line: Change::default(),
            status: Status::Changed,
            calls: Change::new(base.map(Count), new.map(Count)),
            primitive_calls: Change::default(),
            self_cost: Change::default(),
            inclusive_cost: Change::default(),
            inclusive_min: Change::default(),
            callers: Vec::new(),
        }
    }

    #[test]
    fn only_small_changes_on_both_sides_are_flagged() {
        assert_eq!(
            of(&row("enum.py:__hash__", Some(2986), Some(3028))),
            Some(Noise::HashSeed)
        );
        assert_eq!(of(&row("enum.py:__hash__", Some(5), Some(5))), None);
        assert_eq!(of(&row("enum.py:__hash__", None, Some(5))), None);
        assert_eq!(of(&row("enum.py:__hash__", Some(5), None)), None);
        assert_eq!(
            of(&row("black/mode.py:<genexpr>", Some(27), Some(48))),
            None
        );
        // Beyond 10% of the larger count the change is too big for the seed.
        assert_eq!(of(&row("enum.py:__hash__", Some(806), Some(19228))), None);
        assert!(hash_seed_noise("{hash}", 90, 100));
        assert!(hash_seed_noise("{hash}", 100, 90));
        assert!(!hash_seed_noise("{hash}", 89, 100));
        assert!(!hash_seed_noise("{hash}", 1, 2));
        assert!(!hash_seed_noise("{hash}", 0, 1));
        assert!(!hash_seed_noise("{hash}", 100, 100));
        assert!(!hash_seed_noise("app.py:hash", 100, 99));
        assert_eq!(Noise::HashSeed.name(), "hash_seed");
    }
}
