"""Run a composite GitHub Action's steps locally, as the runner would.

Only what action.yml uses is understood: `run:` steps with `shell: bash`,
`env:` and `if:`, and the expressions over `inputs`, `github` (token,
event_name, event, repository), `steps.ID.outputs`/`outcome` and `env`, with
`==`, `!=`, `&&`, `||`, `!`, parentheses and success()/failure()/always().
Anything else raises :class:`UnsupportedExpression` (or :class:`ActionError`),
so a test fails as soon as the action grows something this runner would
otherwise get wrong silently.

Emulated files: $GITHUB_OUTPUT (one per step, parsed into the step's
outputs), $GITHUB_ENV and $GITHUB_PATH (applied to the later steps), and one
$GITHUB_STEP_SUMMARY for the job.
"""

import json
import math
import os
import re
import subprocess
from dataclasses import dataclass, field

import yaml

__all__ = ["ActionError", "UnsupportedExpression", "run_action", "evaluate", "interpolate"]


class ActionError(Exception):
    """The action uses something this runner does not support, or is malformed."""


class UnsupportedExpression(ActionError):
    """An expression outside the small language this runner evaluates."""


# --- expressions -------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|&&|\|\||!|\(|\)|\.|,)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)

_CONTEXTS = ("inputs", "github", "steps", "env")
_GITHUB_KEYS = ("token", "event_name", "event", "repository")
_FUNCTIONS = ("success", "failure", "always")


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise UnsupportedExpression("cannot read %r at %r" % (text, text[pos:]))
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent: or → and → not → comparison → primary."""

    def __init__(self, text, ctx):
        self.text, self.ctx = text, ctx
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            raise UnsupportedExpression("expected %r in %r" % (value, self.text))
        self.i += 1
        return tok

    def parse(self):
        value = self.or_()
        if self.i != len(self.tokens):
            raise UnsupportedExpression("unexpected %r in %r" % (self.peek()[1], self.text))
        return value

    # GitHub's && and || return an operand, not a boolean, like JavaScript.
    def or_(self):
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            left = left if _truthy(left) else right
        return left

    def and_(self):
        left = self.not_()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.not_()
            left = right if _truthy(left) else left
        return left

    def not_(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not _truthy(self.not_())
        return self.comparison()

    def comparison(self):
        left = self.primary()
        if self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            right = self.primary()
            equal = _equal(left, right)
            return equal if op == "==" else not equal
        return left

    def primary(self):
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if (kind, value) == ("op", "("):
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "ident":
            raise UnsupportedExpression("unexpected %r in %r" % (value, self.text))
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == ("op", "("):
            if value not in _FUNCTIONS:
                raise UnsupportedExpression("function %s() in %r" % (value, self.text))
            self.take("(")
            self.take(")")
            return self.ctx.status(value)
        path = [value]
        while self.peek() == ("op", "."):
            self.take()
            kind, name = self.take()
            if kind != "ident":
                raise UnsupportedExpression("property %r in %r" % (name, self.text))
            path.append(name)
        return self.ctx.lookup(path, self.text)


def _truthy(value):
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value):
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(value.strip() or 0)
    except ValueError:
        return math.nan


def _equal(a, b):
    # GitHub compares strings case-insensitively and otherwise coerces
    # mismatched types to numbers.
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b):
        return a == b
    return _number(a) == _number(b)


def _to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class _Context:
    def __init__(self, inputs, github, steps, env, step_ids, declared_inputs, job_failed):
        self.inputs, self.github, self.steps, self.env = inputs, github, steps, env
        self.step_ids, self.declared_inputs = step_ids, declared_inputs
        self.job_failed = job_failed

    def status(self, name):
        if name == "always":
            return True
        return self.job_failed if name == "failure" else not self.job_failed

    def lookup(self, path, text):
        head = path[0]
        if head not in _CONTEXTS:
            raise UnsupportedExpression("context %r in %r" % (head, text))
        if len(path) < 2:
            raise UnsupportedExpression("a whole context in %r" % text)
        if head == "inputs":
            if len(path) != 2 or path[1] not in self.declared_inputs:
                raise UnsupportedExpression("undeclared input in %r" % text)
            return self.inputs[path[1]]
        if head == "env":
            if len(path) != 2:
                raise UnsupportedExpression("env property in %r" % text)
            return self.env.get(path[1])
        if head == "github":
            if path[1] not in _GITHUB_KEYS or (path[1] != "event" and len(path) != 2):
                raise UnsupportedExpression("github property in %r" % text)
            value = self.github[path[1]]
            for name in path[2:]:
                value = value.get(name) if isinstance(value, dict) else None
            return value
        # steps.ID.outputs.NAME or steps.ID.outcome/conclusion
        if path[1] not in self.step_ids:
            raise UnsupportedExpression("no step with id %r in %r" % (path[1], text))
        step = self.steps.get(path[1])
        if len(path) == 4 and path[2] == "outputs":
            return None if step is None else step.outputs.get(path[3])
        if len(path) == 3 and path[2] in ("outcome", "conclusion"):
            return None if step is None else step.outcome
        raise UnsupportedExpression("steps property in %r" % text)


def evaluate(expression, ctx):
    """The value of one expression (without its ${{ }})."""
    return _Parser(expression, ctx).parse()


_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text, ctx):
    """A string with each ${{ expr }} replaced by its value."""
    if not isinstance(text, str):
        return _to_string(text)
    if "${{" in _EMBEDDED.sub("", text):
        raise UnsupportedExpression("unterminated ${{ in %r" % text)
    return _EMBEDDED.sub(lambda m: _to_string(evaluate(m.group(1), ctx)), text)


def _condition(text, ctx):
    text = text.strip() if isinstance(text, str) else _to_string(text)
    m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.DOTALL)
    if m:
        text = m.group(1)
    # Like GitHub: a condition without a status function means success() && (it).
    if not re.search(r"\b(success|failure|always|cancelled)\s*\(", text):
        return not ctx.job_failed and _truthy(evaluate(text, ctx))
    return _truthy(evaluate(text, ctx))


# --- files the runner hands to steps -----------------------------------------


def parse_command_file(path):
    """NAME=VALUE lines and NAME<<DELIM … DELIM blocks ($GITHUB_OUTPUT, $GITHUB_ENV)."""
    values = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i].rstrip("\r") != delim:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ActionError("%s: no closing %r for %r" % (path, delim, name))
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise ActionError("%s: cannot read line %r" % (path, line))
    return values


# --- running -----------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    id: str
    ran: bool = False
    exit_code: int = 0
    outcome: str = "skipped"
    outputs: dict = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionResult:
    ok: bool
    exit_code: int  # of the first failing step, 0 when the job passes
    outputs: dict
    steps: list
    summary: str

    def step(self, key):
        for s in self.steps:
            if key in (s.id, s.name):
                return s
        raise KeyError(key)

    @property
    def log(self):
        return "\n".join(
            "--- %s (%s, exit %s)\n%s%s" % (s.name, s.outcome, s.exit_code, s.stdout, s.stderr)
            for s in self.steps
        )


_STEP_KEYS = {"name", "id", "if", "shell", "env", "run"}
# Variables of the machine that runs the tests that must not leak into the
# emulated job (a real runner sets its own).
_DROP = re.compile(r"^(GITHUB_|RUNNER_|INPUT_|GH_|PROFDIFF_BIN$|ACTIONS_)")


def load_action(path):
    with open(path, encoding="utf-8") as f:
        action = yaml.safe_load(f)
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        raise ActionError("not a composite action")
    return action


def run_action(
    action_path,
    inputs,
    *,
    workdir,
    temp,
    event_name="push",
    event=None,
    env=None,
    token="fake-token",
    repository="owner/repo",
    timeout=60,
):
    """Run the action's steps in `workdir`, with `temp` as $RUNNER_TEMP.

    `env` is added to the job's environment (PATH in it replaces the
    process's). Returns an :class:`ActionResult`.
    """
    action = load_action(action_path)
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ActionError("inputs the action does not declare: %s" % sorted(unknown))
    steps_spec = action["runs"]["steps"]
    step_ids = {s["id"] for s in steps_spec if "id" in s}

    os.makedirs(temp, exist_ok=True)
    event = event or {}
    event_path = os.path.join(temp, "event.json")
    with open(event_path, "w", encoding="utf-8") as f:
        json.dump(event, f)
    summary_path = os.path.join(temp, "step_summary.md")
    open(summary_path, "w").close()

    job_env = {k: v for k, v in os.environ.items() if not _DROP.match(k)}
    job_env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": os.path.dirname(os.path.abspath(action_path)),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": event_path,
            "GITHUB_REPOSITORY": repository,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_WORKSPACE": str(workdir),
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": summary_path,
        }
    )
    job_env.update(env or {})
    github = {"token": token, "event_name": event_name, "event": event, "repository": repository}

    # Input values: given ones, else defaults (which may use `github`).
    ctx = _Context({}, github, {}, job_env, step_ids, declared, False)
    values = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in inputs:
            values[name] = str(inputs[name])
        elif spec.get("required"):
            raise ActionError("required input %r not given" % name)
        else:
            values[name] = interpolate(spec.get("default", ""), ctx)
    ctx.inputs = values

    # Checked before any step runs, so nothing half-runs.
    for n, spec in enumerate(steps_spec):
        extra = set(spec) - _STEP_KEYS
        if extra:
            raise ActionError("step %d uses %s" % (n, sorted(extra)))
        if "run" not in spec or spec.get("shell") != "bash":
            raise ActionError("step %d is not a bash run: step" % n)
        if "${{" in spec["run"]:
            raise ActionError("step %d interpolates an expression into its script" % n)

    results, added_path, failed_code = [], [], None
    for n, spec in enumerate(steps_spec):
        result = StepResult(name=spec.get("name", "step %d" % n), id=spec.get("id", ""))
        results.append(result)
        ctx.job_failed = failed_code is not None
        if not _condition(spec.get("if", "success()"), ctx):
            continue
        step_env = dict(job_env)
        if added_path:
            step_env["PATH"] = os.pathsep.join(added_path[::-1] + [job_env.get("PATH", "")])
        for key, value in (spec.get("env") or {}).items():
            step_env[key] = interpolate(value, ctx)
        files = {}
        for var in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"):
            files[var] = os.path.join(temp, "%s_%d" % (var.lower(), n))
            open(files[var], "w").close()
            step_env[var] = files[var]
        script = os.path.join(temp, "step_%d.sh" % n)
        with open(script, "w", encoding="utf-8") as f:
            f.write(spec["run"])
        # The shell GitHub runs for `shell: bash`.
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
            cwd=str(workdir),
            env=step_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result.ran = True
        result.exit_code = proc.returncode
        result.stdout, result.stderr = proc.stdout, proc.stderr
        result.outcome = "success" if proc.returncode == 0 else "failure"
        result.outputs = parse_command_file(files["GITHUB_OUTPUT"])
        job_env.update(parse_command_file(files["GITHUB_ENV"]))
        with open(files["GITHUB_PATH"], encoding="utf-8") as f:
            added_path += [line for line in f.read().splitlines() if line]
        if result.id:
            ctx.steps[result.id] = result
        if proc.returncode != 0 and failed_code is None:
            failed_code = proc.returncode

    outputs = {
        name: interpolate((spec or {}).get("value", ""), ctx)
        for name, spec in (action.get("outputs") or {}).items()
    }
    with open(summary_path, encoding="utf-8") as f:
        summary = f.read()
    return ActionResult(
        ok=failed_code is None,
        exit_code=failed_code or 0,
        outputs=outputs,
        steps=results,
        summary=summary,
    )
