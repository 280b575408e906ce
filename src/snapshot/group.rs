//! Group lines: bounds on a named sum over the functions a pattern matches,
//!
//! ```text
//! group clients = botocore/session.py:create_client|boto3/__init__.py:(client|resource)  calls <= 3
//! ```
//!
//! Users think in groups ("at most three AWS clients per request"), not one
//! function at a time, and a group keeps holding when the work moves from
//! one member to another. The pattern is a regex matched as `--include`
//! matches: against each function's key and its displayed name. It is
//! matched against every function of the profile, not only those the
//! snapshot's recorded `# include:`/`# exclude:` filters select: a group
//! names its own members, and a filter written for the function lines must
//! not quietly shrink a sum.
//!
//! A group's value is the sum over its members: calls summed, self time
//! summed, inclusive time summed. Summing inclusive time counts twice the
//! time of a member that another member calls (`boto3.resource()` calls
//! `create_client`, so both inclusive times hold the client's creation):
//! an `incl` bound on a group is a bound on that sum, not on wall time.
//! A group that matches nothing sums to 0, so `calls <= 3` holds and
//! `calls >= 1` fails.

use regex::Regex;

use crate::gate::check_group_name;
use crate::model::{FunctionId, Profile};

use super::grammar::{looks_like_bound, parse_clauses, Clause, Field, Values};

/// What starts a group line: `group`, one space, then the name.
pub(super) const GROUP_PREFIX: &str = "group ";

/// A group line's name and pattern.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) name: String,
    pub(super) pattern: String,
    regex: Regex,
}

impl Group {
    /// Whether a function (its key or displayed name) is a member.
    pub(super) fn matches(&self, key: &str, display: &str) -> bool {
        self.regex.is_match(key) || self.regex.is_match(display)
    }
}

/// A function of a group, with its value of the field a failed bound is on
/// (`6` calls, `67.7ms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The function's key.
    pub key: String,
    /// Its value of the bound's field, as a bound writes it.
    pub value: String,
}

/// A bound on a group that does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupViolation {
    /// The snapshot line it is on.
    pub line: usize,
    /// The group's name.
    pub name: String,
    /// The group's pattern.
    pub pattern: String,
    /// The bound as written, normalised (`calls <= 3`).
    pub bound: String,
    /// The group's value: the sum over its members (`11`, `248ms`).
    pub actual: String,
    /// Every member, largest value first (then by key); empty when the
    /// pattern matches no function.
    pub members: Vec<GroupMember>,
}

/// True for a group line: `group`, a single space, then something. A
/// function key of that shape is written quoted, so it never reads as one.
pub(super) fn is_group_line(line: &str) -> bool {
    line.strip_prefix(GROUP_PREFIX)
        .is_some_and(|rest| rest.starts_with(|c: char| !c.is_whitespace()))
}

/// Parses `group NAME = PATTERN  BOUNDS` into the group, the line up to the
/// end of the pattern as written (kept when bounds are rewritten), and the
/// bounds. The pattern ends at the first run of two spaces or a tab, as a
/// key does; one containing those is written as a JSON string.
pub(super) fn parse(
    line: &str,
    time: bool,
) -> std::result::Result<(Group, String, Vec<Clause>), String> {
    let syntax = "expected `group NAME = PATTERN  BOUNDS`, such as \
                  `group clients = create_client  calls <= 3`";
    let rest = &line[GROUP_PREFIX.len()..];
    let name_end = rest
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(rest.len());
    let name = &rest[..name_end];
    check_group_name(name).map_err(|m| format!("{m}; {syntax}"))?;
    let after_name = rest[name_end..].trim_start_matches([' ', '\t']);
    let Some(after_equals) = after_name.strip_prefix('=') else {
        return Err(format!("no `=` after the group name `{name}`; {syntax}"));
    };
    let pattern_text = after_equals.trim_start_matches([' ', '\t']);
    let pattern_start = line.len() - pattern_text.len();
    let (pattern, pattern_end) = split_pattern(pattern_text)?;
    if pattern.is_empty() {
        return Err(format!("group {name} has no pattern; {syntax}"));
    }
    let regex = Regex::new(&pattern)
        .map_err(|error| format!("group {name}: invalid regex {pattern:?}: {error}"))?;
    let head = line[..pattern_start + pattern_end].to_string();
    let clauses = parse_clauses(&pattern_text[pattern_end..], time)
        .map_err(|m| format!("group {name}: {m}"))?;
    if clauses.is_empty() {
        return Err(format!(
            "group {name} has no bound: add one on calls, incl or self, such as `calls <= 3`"
        ));
    }
    Ok((
        Group {
            name: name.to_string(),
            pattern,
            regex,
        },
        head,
        clauses,
    ))
}

/// The pattern at the start of `text` and where it ends: a JSON string, or
/// everything up to the first run of two spaces or a tab.
fn split_pattern(text: &str) -> std::result::Result<(String, usize), String> {
    if text.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<String>();
        let Some(Ok(pattern)) = stream.next() else {
            return Err("a quoted pattern must be a JSON string, like \"a  b\"".to_string());
        };
        let end = stream.byte_offset();
        if !text[end..].is_empty() && !text[end..].starts_with(char::is_whitespace) {
            return Err("expected whitespace after the quoted pattern".to_string());
        }
        return Ok((pattern, end));
    }
    let end = [text.find("  "), text.find('\t')]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
    let pattern = &text[..end];
    if looks_like_bound(pattern) {
        return Err(format!(
            "`{pattern}` looks like a pattern and a bound: separate bounds from the pattern \
             with two spaces"
        ));
    }
    Ok((pattern.to_string(), end))
}

/// A group's members among `functions` (key, displayed name, id) and the
/// sums over them. With no members every sum is 0; when a member has no
/// call count (a sampled profile) the calls are unknown.
pub(super) fn evaluate<'f>(
    group: &Group,
    profile: &Profile,
    functions: &'f [(String, String, FunctionId)],
) -> (Vec<&'f (String, String, FunctionId)>, Values) {
    let members: Vec<_> = functions
        .iter()
        .filter(|(key, display, _)| group.matches(key, display))
        .collect();
    let mut sum = Values {
        calls: Some(0),
        self_cost: 0.0,
        inclusive: 0.0,
    };
    for (_, _, id) in &members {
        let function = &profile.functions[*id];
        sum.calls = match (sum.calls, function.calls) {
            (Some(total), Some(calls)) => Some(total.saturating_add(calls)),
            _ => None,
        };
        sum.self_cost += function.self_cost;
        sum.inclusive += function.inclusive_cost;
    }
    (members, sum)
}

/// The members as a violation lists them: each with its value of `field`,
/// largest first, then by key.
pub(super) fn listed(
    profile: &Profile,
    members: &[&(String, String, FunctionId)],
    field: Field,
) -> Vec<GroupMember> {
    let time = profile.meta.unit.is_time();
    let mut valued: Vec<(f64, &str, Values)> = members
        .iter()
        .map(|(key, _, id)| {
            let values = Values::of(&profile.functions[*id]);
            (values.get(field).unwrap_or(0.0), key.as_str(), values)
        })
        .collect();
    valued.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    valued
        .into_iter()
        .map(|(_, key, values)| GroupMember {
            key: key.to_string(),
            value: values.format(field, time),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_lines() {
        let line = "group clients = botocore/session.py:create_client|boto3/__init__.py:(client|resource)  calls <= 3";
        assert!(is_group_line(line));
        let (group, head, clauses) = parse(line, true).unwrap();
        assert_eq!(group.name, "clients");
        assert_eq!(
            group.pattern,
            "botocore/session.py:create_client|boto3/__init__.py:(client|resource)"
        );
        assert_eq!(head, line.split("  ").next().unwrap());
        assert_eq!(clauses.len(), 1);
        assert_eq!(clauses[0].canonical(), "calls <= 3");
        assert!(group.matches("boto3/__init__.py:resource", "x"));
        assert!(!group.matches("boto3/session.py:resource", "x"));

        // `=` needs no spaces around it; quoted patterns keep their spaces.
        let (group, head, clauses) =
            parse("group a-b.c_1=\"x  y\"\tcalls>=1  incl < 2ms", true).unwrap();
        assert_eq!(
            (group.name.as_str(), group.pattern.as_str()),
            ("a-b.c_1", "x  y")
        );
        assert_eq!(head, "group a-b.c_1=\"x  y\"");
        assert_eq!(clauses.len(), 2);

        // A function key that happens to start with `group` is not a group line.
        assert!(!is_group_line("group  calls = 1"));
        assert!(!is_group_line("groups.py:f  calls = 1"));
        assert!(is_group_line("group x"));

        for (bad, says) in [
            ("group clients", "no `=`"),
            ("group clients = a.py:f", "no bound"),
            ("group clients = a.py:f  ", "no bound"),
            ("group clients =   calls <= 3", "no bound"),
            ("group clients = (  calls <= 3", "invalid regex"),
            ("group clients = a.py:f calls <= 3", "separate bounds"),
            ("group clients = a.py:f  calls <= 3.5", "whole number"),
            ("group clients = a.py:f  time < 1ms", "unknown field"),
            ("group cli:ents = a.py:f  calls <= 3", "group name"),
            ("group =a  calls <= 3", "needs a name"),
            ("group clients = \"a  calls <= 3", "quoted pattern"),
        ] {
            let error = parse(bad, true).unwrap_err();
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }
}
