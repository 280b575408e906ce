//! Hints: known kinds of waste, recognised in a cause.
//!
//! A cause says *where* a call count changed at its origin; for some causes
//! the remedy is well known. Each rule below names the functions it looks
//! at and what else must hold, and gives one line of advice. The rules are
//! deliberately few and specific: a hint that fires on the wrong thing
//! teaches users to skip hints.
//!
//! | rule | fires on a cause that is | says |
//! |---|---|---|
//! | `aws-client-per-invocation` | boto3's `client`/`resource` or botocore's `create_client`, reached from a function named `handler` or `lambda_handler` on the side that calls it more | create clients at module scope |
//! | `regex-compile-per-call` | `re.compile` | compile patterns once |
//! | `json-parse-per-call` | `json.load`/`json.loads` | parse once, keep the result |
//! | `logger-per-call` | `logging.getLogger` | get loggers at module scope |
//!
//! Each rule has a fixture that triggers it (`fixtures/hints/`, and the seed
//! app for the first) and a test.

use crate::causes::Cause;
use crate::model::{FunctionId, Profile};

/// One piece of advice for a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The rule's stable name (`aws-client-per-invocation`).
    pub rule: &'static str,
    /// The advice, one line.
    pub text: &'static str,
}

/// How far up the callers a rule looks for a Lambda handler.
const HANDLER_DEPTH: usize = 8;

struct Rule {
    name: &'static str,
    /// Keys (alignment keys) of the functions the rule is about.
    keys: &'static [&'static str],
    /// Whether a handler must be among the callers.
    in_handler: bool,
    text: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        name: "aws-client-per-invocation",
        keys: &[
            "boto3/__init__.py:client",
            "boto3/__init__.py:resource",
            "boto3/session.py:client",
            "boto3/session.py:resource",
            "botocore/session.py:create_client",
        ],
        in_handler: true,
        text: "a boto3 client or resource created inside the handler is created again on \
               every invocation: create it once at module scope, where Lambda reuses it \
               (the cost moves to the cold start)",
    },
    Rule {
        name: "regex-compile-per-call",
        keys: &["re/__init__.py:compile", "re.py:compile"],
        in_handler: false,
        text: "re.compile called per call: compile the pattern once at module scope and \
               reuse it",
    },
    Rule {
        name: "json-parse-per-call",
        keys: &["json/__init__.py:load", "json/__init__.py:loads"],
        in_handler: false,
        text: "the same JSON (a schema, a model, a config) parsed per call: parse it once \
               and keep the result",
    },
    Rule {
        name: "logger-per-call",
        keys: &["logging/__init__.py:getLogger"],
        in_handler: false,
        text: "logging.getLogger called per call: get the logger once at module scope \
               (logger = logging.getLogger(__name__))",
    },
];

/// The hints for one cause of a diff of `base` and `new`.
pub fn for_cause(cause: &Cause, base: &Profile, new: &Profile) -> Vec<Hint> {
    RULES
        .iter()
        .filter(|rule| rule.keys.iter().any(|key| same_key(&cause.key, key)))
        .filter(|rule| !rule.in_handler || in_handler(cause, base, new))
        .map(|rule| Hint {
            rule: rule.name,
            text: rule.text,
        })
        .collect()
}

/// `key` is `want`, or `want` numbered (`#2`) because its name repeats.
fn same_key(key: &str, want: &str) -> bool {
    key.strip_prefix(want)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
}

/// Whether, on the side that calls the cause's function more, a function
/// named `handler` or `lambda_handler` is among its callers (up to
/// [`HANDLER_DEPTH`] levels up).
fn in_handler(cause: &Cause, base: &Profile, new: &Profile) -> bool {
    let calls = |c: Option<crate::diff::Count>| c.map_or(0, |c| c.0);
    let (profile, id) = if calls(cause.calls.base) >= calls(cause.calls.new) {
        (base, cause.base_id)
    } else {
        (new, cause.new_id)
    };
    let Some(id) = id else {
        return false;
    };
    let mut callers_of: Vec<Vec<FunctionId>> = vec![Vec::new(); profile.functions.len()];
    for edge in &profile.edges {
        if let Some(list) = callers_of.get_mut(edge.callee) {
            list.push(edge.caller);
        }
    }
    let mut seen = vec![false; profile.functions.len()];
    let mut level = vec![id];
    seen[id] = true;
    for _ in 0..HANDLER_DEPTH {
        let mut next = Vec::new();
        for &f in &level {
            for &caller in &callers_of[f] {
                if caller >= seen.len() || seen[caller] {
                    continue;
                }
                seen[caller] = true;
                if matches!(
                    profile.functions[caller].name.as_str(),
                    "handler" | "lambda_handler"
                ) {
                    return true;
                }
                next.push(caller);
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_whole_or_numbered() {
        assert!(same_key("re/__init__.py:compile", "re/__init__.py:compile"));
        assert!(same_key(
            "re/__init__.py:compile#2",
            "re/__init__.py:compile"
        ));
        assert!(!same_key(
            "re/__init__.py:compile_all",
            "re/__init__.py:compile"
        ));
        assert!(!same_key(
            "xre/__init__.py:compile",
            "re/__init__.py:compile"
        ));
    }
}
