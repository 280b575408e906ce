//! The notes reports print about likely noise: which changed counts follow
//! the hash seed ([`crate::noise`]), worded once for every format. A
//! `name` function writes each key (as is, or as a Markdown code span).
//! Also the capped list of a group's members under a violated group rule.

use crate::diff::FunctionDiff;

use super::Hints;

/// How many function names a note lists before it says "and N more".
const LISTED: usize = 5;

/// The note a diff report prints under its summary when the counts of
/// `flagged` functions ([`crate::noise::likely_noise`]) changed; `None` when
/// there are none. The text has no Markdown metacharacters besides what
/// `name` writes and what [`Hints::several_runs`] says.
pub(crate) fn likely_noise(
    flagged: &[&FunctionDiff],
    hints: &Hints,
    name: &dyn Fn(&str) -> String,
) -> Option<String> {
    if flagged.is_empty() {
        return None;
    }
    let count = flagged.len();
    let keys: Vec<String> = flagged.iter().map(|f| name(&f.key)).collect();
    let (counts, functions, follow) = if count == 1 {
        ("call count", "function", "follows")
    } else {
        ("call counts", "functions", "follow")
    };
    let how = hints
        .several_runs
        .map(|hint| format!(" ({hint})"))
        .unwrap_or_default();
    Some(format!(
        "{counts} of {count} {functions} that {follow} PYTHONHASHSEED changed ({}); \
         likely noise: profile with PYTHONHASHSEED=0 or compare several runs{how}",
        comma_list(&keys)
    ))
}

/// The note under a list of violated call bounds (the gate's, a snapshot
/// check's) naming the `flagged` ones, those whose change is likely
/// hash-seed noise ([`crate::noise::hash_seed_noise`]); `None` when there
/// are none. `remedy` says how to state a tolerance there.
pub(crate) fn violations(
    flagged: &[&str],
    remedy: &str,
    name: &dyn Fn(&str) -> String,
) -> Option<String> {
    let mut flagged: Vec<String> = flagged.iter().map(|key| name(key)).collect();
    flagged.dedup();
    if flagged.is_empty() {
        return None;
    }
    let (verb, pronoun) = if flagged.len() == 1 {
        ("follows", "its count")
    } else {
        ("follow", "their counts")
    };
    Some(format!(
        "{} {verb} PYTHONHASHSEED: {pronoun} likely changed with the hash seed, not the code; \
         profile with PYTHONHASHSEED=0, or {remedy}",
        prose_list(&flagged)
    ))
}

/// How many members of a group a violation lists before it says `… N more`.
pub(crate) const MEMBERS_LISTED: usize = 10;

/// A group's members (each already written with its value) for a
/// violation: `a 6, b 3, c 2`, beyond [`MEMBERS_LISTED`] `a 6, …, j 1, … 4 more`.
pub(crate) fn members(members: &[String]) -> String {
    let shown = &members[..members.len().min(MEMBERS_LISTED)];
    let mut text = shown.join(", ");
    if members.len() > shown.len() {
        text.push_str(&format!(", … {} more", members.len() - shown.len()));
    }
    text
}

/// `a, b, c` (for a list in parentheses): at most [`LISTED`] names, then
/// `and N more`.
fn comma_list(names: &[String]) -> String {
    let shown = &names[..names.len().min(LISTED)];
    let mut text = shown.join(", ");
    if names.len() > shown.len() {
        text.push_str(&format!(" and {} more", names.len() - shown.len()));
    }
    text
}

/// `a`, `a and b`, `a, b and c`; beyond [`LISTED`] names, `a, …, e and N more`.
fn prose_list(names: &[String]) -> String {
    if names.len() > LISTED {
        return comma_list(names);
    }
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, init)) => format!("{} and {last}", init.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Change, Count, Status};

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

    /// The hints the command line gives.
    fn cli() -> Hints {
        Hints {
            several_runs: Some("--base/--new"),
            ..Hints::default()
        }
    }

    fn plain_note(flagged: &[&FunctionDiff]) -> Option<String> {
        likely_noise(flagged, &cli(), &|key| key.to_string())
    }

    fn plain_violations(flagged: &[&str], remedy: &str) -> Option<String> {
        violations(flagged, remedy, &|key| key.to_string())
    }

    #[test]
    fn notes_name_the_functions() {
        let rows = [
            row("{built-in method builtins.hash}", Some(4014), Some(4056)),
            row("enum.py:__hash__", Some(2986), Some(3028)),
        ];
        assert_eq!(plain_note(&[]), None);
        assert_eq!(
            plain_note(&[&rows[1], &rows[0]]).unwrap(),
            "call counts of 2 functions that follow PYTHONHASHSEED changed \
             (enum.py:__hash__, {built-in method builtins.hash}); likely noise: \
             profile with PYTHONHASHSEED=0 or compare several runs (--base/--new)"
        );
        // Without hints the note names no option.
        assert!(
            likely_noise(&[&rows[1]], &Hints::default(), &|key| key.to_string())
                .unwrap()
                .ends_with("profile with PYTHONHASHSEED=0 or compare several runs")
        );
        assert!(plain_note(&[&rows[1]])
            .unwrap()
            .starts_with("call count of 1 function that follows PYTHONHASHSEED changed"));
        assert_eq!(
            likely_noise(&[&rows[1]], &cli(), &|key| format!("`{key}`"))
                .unwrap()
                .split_once(';')
                .unwrap()
                .0,
            "call count of 1 function that follows PYTHONHASHSEED changed (`enum.py:__hash__`)"
        );
        let many: Vec<FunctionDiff> = (1..=7)
            .map(|n| row(&format!("t.py:__hash__#{n}"), Some(10), Some(11)))
            .collect();
        let refs: Vec<&FunctionDiff> = many.iter().collect();
        assert!(plain_note(&refs).unwrap().contains(
            "(t.py:__hash__#1, t.py:__hash__#2, t.py:__hash__#3, t.py:__hash__#4, \
             t.py:__hash__#5 and 2 more)"
        ));

        let listed: Vec<String> = (1..=12).map(|n| format!("f{n} {n}")).collect();
        assert_eq!(members(&listed[..2]), "f1 1, f2 2");
        assert_eq!(
            members(&listed),
            "f1 1, f2 2, f3 3, f4 4, f5 5, f6 6, f7 7, f8 8, f9 9, f10 10, … 2 more"
        );
        assert_eq!(members(&listed[..10]).matches(", ").count(), 9);

        assert_eq!(plain_violations(&[], "x"), None);
        assert_eq!(
            plain_violations(&["enum.py:__hash__"], "state a tolerance").unwrap(),
            "enum.py:__hash__ follows PYTHONHASHSEED: its count likely changed with the hash \
             seed, not the code; profile with PYTHONHASHSEED=0, or state a tolerance"
        );
        assert!(
            plain_violations(&["a.py:__hash__", "{hash}", "b.py:__hash__"], "x")
                .unwrap()
                .starts_with(
                    "a.py:__hash__, {hash} and b.py:__hash__ follow PYTHONHASHSEED: their counts"
                )
        );
    }
}
