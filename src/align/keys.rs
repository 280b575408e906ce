//! Keys: the kind of key a function gets (builtins included), and the
//! numbering and uniqueness of keys within an alignment.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::model::{Function, FunctionKind};

use super::pairing::Row;
use super::side::Side;
use super::{Aligned, FxMap, FxSet};

/// Which kind of key a function gets; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyClass {
    File,
    Object,
    Builtin,
    Synthetic,
    Bare,
}

pub(super) fn key_class(function: &Function) -> KeyClass {
    if function.kind == FunctionKind::Synthetic {
        return KeyClass::Synthetic;
    }
    if function.file.as_deref().is_some_and(is_real_file) {
        return KeyClass::File;
    }
    if function.object.as_deref().is_some_and(|o| !o.is_empty()) {
        return KeyClass::Object;
    }
    // `~` is pstats' own test for a builtin; trust it even if a parser did not.
    if function.kind == FunctionKind::Builtin || function.file.as_deref() == Some("~") {
        return KeyClass::Builtin;
    }
    KeyClass::Bare
}

/// `""` (profile module builtins), `~` (cProfile builtins) and `???`
/// (valgrind's unknown file) say "no file"; anything else is one.
fn is_real_file(file: &str) -> bool {
    !matches!(file, "" | "~" | "???")
}

/// `<built-in method builtins.len>` → `{built-in method builtins.len}`,
/// `{len}` stays, and the profile module's `("", 0, "len")` → `{len}`. Any
/// other name is kept as is: pstats prints `("~", 0, "main")` as `main` (a
/// function without a file that profdiff wrote into a dump), and a builtin
/// with no file at all is not from pstats (a kernel frame in folded stacks,
/// a C function without debug info).
pub(super) fn builtin_label(function: &Function) -> Cow<'_, str> {
    let name = function.name.as_str();
    if name.len() >= 2 && name.starts_with('{') && name.ends_with('}') {
        Cow::Borrowed(name)
    } else if name.len() >= 2 && name.starts_with('<') && name.ends_with('>') {
        Cow::Owned(format!("{{{}}}", &name[1..name.len() - 1]))
    } else if function.file.as_deref() == Some("") {
        Cow::Owned(format!("{{{name}}}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Removes memory addresses, which change from run to run:
/// `{built-in method __new__ of type object at 0x7f52…}` →
/// `{built-in method __new__ of type object}`,
/// `{function socket.close at 0x7f52…}` → `{function socket.close}`.
pub(super) fn strip_addresses(label: Cow<'_, str>) -> Cow<'_, str> {
    const AT: &str = " at 0x";
    if !label.contains(AT) {
        return label;
    }
    let mut out = String::with_capacity(label.len());
    let mut rest = &*label;
    while let Some(at) = rest.find(AT) {
        let after = &rest[at + AT.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 0 {
            // Not an address after all: keep the text and look further.
            out.push_str(&rest[..at + AT.len()]);
        } else {
            out.push_str(&rest[..at]);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The file name of a shared object: `/usr/lib/libc.so.6` → `libc.so.6`.
pub(super) fn object_basename(object: &str) -> &str {
    object
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty())
        .unwrap_or(object)
}

fn row_label<'s>(row: Row, base: &'s Side<'_>, new: &'s Side<'_>) -> &'s str {
    match row {
        (Some(x), _) => base.label(x),
        (None, Some(y)) => new.label(y),
        (None, None) => unreachable!("a row has at least one side"),
    }
}

/// Pushes the rows of a group with repeated names, numbering each repeated
/// name `#1`, `#2`, … in row order.
pub(super) fn push_numbered(
    prefix: &str,
    rows: &[Row],
    base: &Side<'_>,
    new: &Side<'_>,
    out: &mut Vec<Aligned>,
) {
    let mut totals: FxMap<&str, usize> = FxMap::default();
    for &row in rows {
        *totals.entry(row_label(row, base, new)).or_default() += 1;
    }
    let mut seen: FxMap<&str, usize> = FxMap::default();
    for &row in rows {
        let label = row_label(row, base, new);
        let ordinal = (totals[label] > 1).then(|| {
            let count = seen.entry(label).or_default();
            *count += 1;
            *count
        });
        out.push(Aligned {
            key: build_key(prefix, label, ordinal),
            base: row.0,
            new: row.1,
        });
    }
}

pub(super) fn build_key(prefix: &str, label: &str, ordinal: Option<usize>) -> String {
    let mut key = String::with_capacity(prefix.len() + label.len() + 4);
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push(':');
    }
    key.push_str(label);
    if let Some(ordinal) = ordinal {
        let _ = write!(key, "#{ordinal}");
    }
    key
}

/// Whether two rows can have the same key; checking every key would cost a
/// hash-set insert per row, which on large profiles is mostly cache misses.
///
/// Within a group, keys differ because (name, ordinal) does, unless a name
/// contains `#` and so can spell another's ordinal. Across groups,
/// `prefix:name` can only equal `other:name2` if the longer prefix contains a
/// `:`, and an unprefixed key (builtin, synthetic, bare) can only equal
/// `prefix:name` if it contains `:` where `prefix` ends.
pub(super) fn collisions_possible(prefixes: &[&str], base: &Side<'_>, new: &Side<'_>) -> bool {
    if prefixes.iter().any(|prefix| prefix.contains(':')) {
        return true;
    }
    if base.risky.is_empty() && new.risky.is_empty() {
        return false;
    }
    let prefixes: FxSet<&str> = prefixes.iter().copied().collect();
    let risky = |side: &Side<'_>| {
        side.risky.iter().any(|&id| {
            let label = side.label(id);
            label.contains('#')
                || label
                    .match_indices(':')
                    .any(|(at, _)| prefixes.contains(&label[..at]))
        })
    };
    risky(base) || risky(new)
}

/// Makes keys unique: a key seen before (in output order) gets `@2`, `@3`, …
pub(super) fn make_unique(rows: &mut [Aligned]) {
    let clashes: Vec<usize> = {
        let mut seen: FxSet<&str> = FxSet::default();
        seen.reserve(rows.len());
        rows.iter()
            .enumerate()
            .filter(|(_, row)| !seen.insert(row.key.as_str()))
            .map(|(index, _)| index)
            .collect()
    };
    if clashes.is_empty() {
        return;
    }
    let mut taken: FxSet<String> = rows.iter().map(|row| row.key.clone()).collect();
    for index in clashes {
        let key = &rows[index].key;
        let unique = (2..)
            .map(|n| format!("{key}@{n}"))
            .find(|candidate| !taken.contains(candidate))
            .expect("some suffix is free");
        taken.insert(unique.clone());
        rows[index].key = unique;
    }
}
