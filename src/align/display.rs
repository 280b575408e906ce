//! Display names: pstats-like labels for rows.

use crate::model::Function;

use super::keys::{builtin_label, key_class, object_basename, strip_addresses, KeyClass};

/// A pstats-like label: `file:line(name)` with the normalised file
/// (`botocore/session.py:1014(create_client)`), `file(name)` when `line` is
/// unknown, `{built-in method builtins.len}` for builtins, `libc.so.6:malloc`
/// for functions known only by their object, and pstats' own string for
/// synthetic entries (`profile:0(profiler)`).
pub fn display_name(
    function: &Function,
    normalized_file: Option<&str>,
    line: Option<u32>,
) -> String {
    let name = &function.name;
    match key_class(function) {
        KeyClass::File => {
            let file = normalized_file
                .filter(|f| !f.is_empty())
                .or(function.file.as_deref())
                .unwrap_or_default();
            file_line_name(file, line, name)
        }
        KeyClass::Synthetic => {
            match normalized_file
                .or(function.file.as_deref())
                .filter(|f| !f.is_empty())
            {
                Some(file) => file_line_name(file, line, name),
                None => name.clone(),
            }
        }
        KeyClass::Object => format!(
            "{}:{name}",
            object_basename(function.object.as_deref().unwrap_or_default())
        ),
        // Addresses differ on every run and say nothing to a reader.
        KeyClass::Builtin => strip_addresses(builtin_label(function)).into_owned(),
        KeyClass::Bare => name.clone(),
    }
}

fn file_line_name(file: &str, line: Option<u32>, name: &str) -> String {
    match line {
        Some(line) => format!("{file}:{line}({name})"),
        None => format!("{file}({name})"),
    }
}
