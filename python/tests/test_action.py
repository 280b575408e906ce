"""The composite action (action.yml at the repository root), run locally.

Each test runs the action's steps with bash through _action_runner, which
evaluates the few expressions the action uses and refuses any other. The
install step runs for real: pip installs the wheel named by PROFDIFF_WHEEL
into a fresh venv (no network: the wheel has no dependencies). `gh` is a fake
that logs its calls and serves canned comment pages; a decoy `profdiff` on
PATH proves the action runs the executable it installed, not whatever PATH
offers.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _action_runner import (  # noqa: E402
    ActionError,
    UnsupportedExpression,
    _Context,
    evaluate,
    interpolate,
    run_action,
)

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
SEED = ROOT / "fixtures" / "seed"
MARKER = "<!-- profdiff-report -->"


# --- fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def wheel():
    path = os.environ.get("PROFDIFF_WHEEL")
    if not path:
        pytest.fail(
            "PROFDIFF_WHEEL is not set: set it to the path of the built profdiff wheel "
            "(target/wheels/profdiff-*.whl); these tests install it for real"
        )
    if not os.path.isfile(path):
        pytest.fail("PROFDIFF_WHEEL=%s: no such file" % path)
    return os.path.abspath(path)


def _make_venv(where):
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return str(Path(where) / "bin" / "python")


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory, wheel):
    """A venv made for this module; most tests share it (one venv takes seconds)."""
    return _make_venv(tmp_path_factory.mktemp("venv") / "venv")


FAKE_GH = r'''#!{python}
# Fake gh: logs each call and answers the few `gh api` requests the action makes.
import json, os, re, sys

args = sys.argv[1:]
entry = {{"args": args, "token": os.environ.get("GH_TOKEN"), "host": os.environ.get("GH_HOST")}}
method, paginate, input_file, path = "GET", False, None, None
if not args or args[0] != "api":
    sys.exit("fake gh: only `gh api` is faked: %r" % args)
i = 1
while i < len(args):
    a = args[i]
    if a in ("-X", "--method"):
        method, i = args[i + 1].upper(), i + 2
    elif a == "--paginate":
        paginate, i = True, i + 1
    elif a == "--input":
        input_file, i = args[i + 1], i + 2
    elif a.startswith("-") or path is not None:
        sys.exit("fake gh: unexpected argument %r" % a)
    else:
        path, i = a, i + 1
entry.update(method=method, path=path, paginate=paginate)
if input_file is not None:
    entry["input"] = sys.stdin.read() if input_file == "-" else open(input_file).read()
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\n")
if os.environ.get("FAKE_GH_FAIL"):
    sys.exit("HTTP 403: Resource not accessible by integration")
listing = re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path or "")
one = re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path or "")
if method == "GET" and listing:
    with open(os.environ["FAKE_GH_PAGES"]) as f:
        pages = json.load(f)
    # Like gh before 2.47: one JSON array per page, printed back to back.
    sys.stdout.write("".join(json.dumps(p) for p in (pages if paginate else pages[:1])))
elif method == "POST" and listing:
    print(json.dumps({{"id": 1001}}))
elif method == "PATCH" and one:
    print(json.dumps({{"id": int(one.group(1))}}))
else:
    sys.exit("fake gh: unexpected request %s %s" % (method, path))
'''


class Job:
    """Runs the action in one test's sandbox and reads what the fakes saw."""

    def __init__(self, tmp_path, python, wheel):
        self.tmp = tmp_path
        self.python = python
        self.wheel = wheel
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        for name in ("before.prof", "after.prof"):
            shutil.copy(SEED / name, self.ws / name)
        self.bin = tmp_path / "fakebin"
        self.bin.mkdir()
        self.gh_log = tmp_path / "gh.log"
        self.gh_pages = tmp_path / "gh_pages.json"
        self.set_comments([[]])
        self.decoy_ran = tmp_path / "decoy-ran"
        self._script("gh", FAKE_GH.format(python=sys.executable))
        self._script(
            "profdiff",
            '#!/bin/sh\necho "decoy profdiff from PATH" >&2\ntouch "%s"\nexit 97\n' % self.decoy_ran,
        )
        self.env = {
            "PATH": os.pathsep.join([str(self.bin), os.environ.get("PATH", "/usr/bin:/bin")]),
            "FAKE_GH_LOG": str(self.gh_log),
            "FAKE_GH_PAGES": str(self.gh_pages),
        }

    def _script(self, name, text):
        path = self.bin / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def set_comments(self, pages):
        self.gh_pages.write_text(json.dumps(pages))

    def gh_calls(self):
        if not self.gh_log.exists():
            return []
        return [json.loads(line) for line in self.gh_log.read_text().splitlines()]

    def run(self, inputs, **kw):
        full = {"package": self.wheel, "python": self.python}
        full.update(inputs)
        env = dict(self.env)
        env.update(kw.pop("env", {}))
        result = run_action(
            ACTION, full, workdir=self.ws, temp=self.tmp / "runner_temp", env=env, **kw
        )
        assert not self.decoy_ran.exists(), "the action ran the profdiff on PATH\n" + result.log
        return result

    def profdiff(self, *args):
        """profdiff run directly, from the same venv, in the workspace."""
        exe = Path(self.python).parent / "profdiff"
        return subprocess.run(
            [str(exe), *args], cwd=self.ws, capture_output=True, text=True, timeout=60
        )


@pytest.fixture
def job(tmp_path, venv_python, wheel):
    return Job(tmp_path, venv_python, wheel)


def pr_event(number=7):
    return {"pull_request": {"number": number}}


def report_of(result):
    return Path(result.outputs["report"]).read_text(encoding="utf-8")


# --- the action's shape --------------------------------------------------------


def test_inputs_outputs_and_no_expression_in_scripts():
    action = yaml.safe_load(ACTION.read_text())
    assert list(action["inputs"]) == [
        "base", "new", "args", "version", "package",
        "fail-on-regression", "comment", "github-token", "python",
    ]
    assert action["inputs"]["base"]["required"] and action["inputs"]["new"]["required"]
    defaults = {k: v.get("default") for k, v in action["inputs"].items()}
    assert defaults["version"] == "0.1.0"
    assert defaults["fail-on-regression"] == "true"
    assert defaults["comment"] == "false"
    assert defaults["python"] == "python3"
    assert defaults["github-token"] == "${{ github.token }}"
    assert list(action["outputs"]) == ["exit-code", "regressed", "report"]

    # Expressions only where they cannot become script text: env values,
    # output values, if: conditions (and the token's default).
    allowed = {("inputs", "github-token", "default")}
    allowed |= {("outputs", name, "value") for name in action["outputs"]}
    for n, step in enumerate(action["runs"]["steps"]):
        assert step["shell"] == "bash"
        allowed |= {("runs", "steps", n, "env", key) for key in step.get("env", {})}
        allowed.add(("runs", "steps", n, "if"))

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, where + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, where + (i,))
        elif isinstance(node, str) and "${{" in node:
            yield where

    misplaced = [w for w in walk(action, ()) if w not in allowed]
    assert misplaced == []


# --- 1. an improvement -----------------------------------------------------------


def test_improvement_passes_with_the_report_in_the_summary(tmp_path, wheel):
    # The spec's fresh venv: install from scratch, then diff with it.
    job = Job(tmp_path, _make_venv(tmp_path / "venv"), wheel)
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": "--include create_client"}
    )
    assert result.ok, result.log
    install = result.step("install")
    assert "Successfully installed profdiff-" in install.stdout, result.log
    assert install.outputs["bin"] == str(tmp_path / "venv" / "bin" / "profdiff")
    assert result.outputs["exit-code"] == "0"
    assert result.outputs["regressed"] == "false"
    assert result.outputs["report"] == str(tmp_path / "runner_temp" / "profdiff-report.md")

    direct = job.profdiff(
        "diff", "before.prof", "after.prof", "--include", "create_client",
        "--fail-on-regression", "--format", "markdown",
    )
    assert direct.returncode == 0, direct.stderr
    report = report_of(result)
    assert report == direct.stdout
    assert "**✅ No regression** (checked 3 functions" in report
    assert report in result.summary
    assert "create_client" in result.summary
    assert "could not compare" not in result.summary
    assert job.gh_calls() == []  # comment defaults to 'false'


# --- 2. a regression -------------------------------------------------------------


def test_regression_fails_the_job(job):
    result = job.run({"base": "after.prof", "new": "before.prof", "args": "--include create_client"})
    assert not result.ok
    assert result.exit_code == 1
    failed = [s for s in result.steps if s.outcome == "failure"]
    assert [s.name for s in failed] == ["Gate"], result.log
    assert result.outputs["exit-code"] == "1"
    assert result.outputs["regressed"] == "true"
    assert "**❌ Regression**: 3 rules violated" in result.summary
    assert "#### Violations" in result.summary
    # The violations also reach the log (profdiff's stderr).
    assert "regression: 3 rules violated" in result.step("diff").stderr


def test_regression_with_fail_on_regression_false_passes_but_tells(job):
    # Decision: the gate is always checked (the report has its verdict, and
    # --max-calls-increase in args stays valid); 'false' only keeps the job
    # green, with a warning, and exit-code/regressed still say 1/true.
    result = job.run(
        {
            "base": "after.prof",
            "new": "before.prof",
            "args": "--include create_client --max-calls-increase 4",
            "fail-on-regression": "false",
        }
    )
    assert result.ok, result.log
    assert result.outputs["exit-code"] == "1"
    assert result.outputs["regressed"] == "true"
    assert "::warning title=profdiff::regression" in result.step("Gate").stdout
    assert "**❌ Regression**: 3 rules violated" in report_of(result)
    # The tolerance in args reached the gate: the limit is 1 + 4 = 5 calls.
    assert "| `calls` | 1 | 6 | 5 | +1 |" in report_of(result)


def test_tolerance_in_args_lets_the_regression_pass(job):
    result = job.run(
        {"base": "after.prof", "new": "before.prof",
         "args": "--include create_client --max-calls-increase 5"}
    )
    assert result.ok, result.log
    assert result.outputs["regressed"] == "false"


# --- 3. input errors -------------------------------------------------------------


@pytest.mark.parametrize(
    "base, message",
    [
        ("missing.prof", "missing.prof: No such file or directory"),
        ("garbage.prof", "garbage.prof: unrecognised profile format"),
    ],
)
def test_input_error_fails_with_2_even_without_the_gate(job, base, message):
    (job.ws / "garbage.prof").write_bytes(b"this is not a profile\n")
    result = job.run({"base": base, "new": "after.prof", "fail-on-regression": "false"})
    assert not result.ok
    assert result.exit_code == 2
    assert [s.name for s in result.steps if s.outcome == "failure"] == ["Gate"]
    assert result.outputs["exit-code"] == "2"
    assert result.outputs["regressed"] == "false"
    assert "### profdiff: could not compare the profiles" in result.summary
    assert "profdiff exited with status 2" in result.summary
    assert message in result.summary
    # The report output holds the note, for a comment to show.
    assert message in report_of(result)


def test_args_that_cannot_be_split_are_an_input_error(job):
    result = job.run({"base": "before.prof", "new": "after.prof", "args": "--include 'create_client"})
    assert result.exit_code == 2
    assert "cannot split the args input into words: No closing quotation" in result.summary


def test_a_misspelt_flag_stops_before_installing(job, tmp_path):
    result = job.run({"base": "before.prof", "new": "after.prof", "fail-on-regression": "flase"})
    assert result.exit_code == 2
    assert "input fail-on-regression must be 'true' or 'false'" in result.step("install").stdout
    assert not result.step("diff").ran


# --- 4. the pull-request comment -------------------------------------------------


def test_comment_posts_a_new_one_with_marker_and_report(job):
    job.set_comments(
        [
            [{"id": 1, "body": "LGTM"}],
            # A reply quoting the report is not the report.
            [{"id": 5, "body": "> " + MARKER + "\n> quoted"}],
        ]
    )
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": "--include create_client",
         "comment": "true", "github-token": "tok-123"},
        event_name="pull_request",
        event=pr_event(7),
    )
    assert result.ok, result.log
    calls = job.gh_calls()
    assert [(c["method"], c["path"]) for c in calls] == [
        ("GET", "repos/owner/repo/issues/7/comments"),
        ("POST", "repos/owner/repo/issues/7/comments"),
    ]
    assert calls[0]["paginate"]
    assert all(c["token"] == "tok-123" for c in calls)
    assert json.loads(calls[1]["input"]) == {"body": MARKER + "\n" + report_of(result)}


def test_comment_updates_the_marked_one(job):
    job.set_comments(
        [
            [{"id": 1, "body": "LGTM"}],
            [{"id": 42, "body": MARKER + "\nold report"}, {"id": 43, "body": MARKER + "\nlater"}],
        ]
    )
    result = job.run(
        {"base": "after.prof", "new": "before.prof", "args": "--include create_client",
         "comment": "true"},
        event_name="pull_request_target",
        event=pr_event(9),
    )
    # The regression still fails the job, after the comment was written.
    assert result.exit_code == 1
    calls = job.gh_calls()
    assert [(c["method"], c["path"]) for c in calls] == [
        ("GET", "repos/owner/repo/issues/9/comments"),
        ("PATCH", "repos/owner/repo/issues/comments/42"),
    ]
    assert calls[0]["token"] == "fake-token"  # github.token, the default
    body = json.loads(calls[1]["input"])["body"]
    assert body.startswith(MARKER + "\n### profdiff:")
    assert "**❌ Regression**" in body


@pytest.mark.parametrize(
    "event_name, comment", [("push", "true"), ("pull_request", "false")]
)
def test_no_comment_outside_pull_requests_or_when_off(job, event_name, comment):
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": "--include create_client",
         "comment": comment},
        event_name=event_name,
        event=pr_event() if event_name == "pull_request" else {},
    )
    assert result.ok, result.log
    assert not result.step("Comment on the pull request").ran
    assert job.gh_calls() == []


def test_a_comment_that_cannot_be_written_only_warns(job):
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": "--include create_client",
         "comment": "true"},
        event_name="pull_request",
        event=pr_event(),
        env={"FAKE_GH_FAIL": "1"},
    )
    assert result.ok, result.log
    assert "::warning title=profdiff::could not comment" in result.step(
        "Comment on the pull request"
    ).stdout
    assert len(job.gh_calls()) == 1


def test_a_huge_report_is_cut_for_the_comment_and_the_summary(job):
    # --top 0 puts every row in the report: 2 MB on the seed profiles, over
    # GitHub's limits for a comment (65,536 characters) and a summary (1 MiB).
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": "--top 0",
         "fail-on-regression": "false", "comment": "true"},
        event_name="pull_request",
        event=pr_event(),
    )
    assert result.ok, result.log
    assert len(report_of(result).encode()) > 1_048_576
    assert len(result.summary.encode()) < 1_048_576
    assert result.summary.rstrip().endswith("is the whole file.*")
    assert report_of(result).startswith(result.summary[:500_000])
    body = json.loads(job.gh_calls()[-1]["input"])["body"]
    assert len(body) < 65_536
    assert body.count("<details") == body.count("</details>")
    assert body.rstrip().endswith("the job summary has all of it.*")


def test_an_input_error_is_commented_too(job):
    result = job.run(
        {"base": "missing.prof", "new": "after.prof", "comment": "true"},
        event_name="pull_request",
        event=pr_event(),
    )
    assert result.exit_code == 2
    body = json.loads(job.gh_calls()[-1]["input"])["body"]
    assert "could not compare the profiles" in body and "missing.prof" in body


# --- 5. args with quotes ---------------------------------------------------------


def test_quoted_args_reach_profdiff_as_one_word_each(job):
    args = """--include 'create_client|boto3'
              --include "method 'read' of '_io"
              --fail-on-regression"""
    result = job.run(
        {"base": "before.prof", "new": "after.prof", "args": args, "fail-on-regression": "false"}
    )
    assert result.ok, result.log
    direct = job.profdiff(
        "diff", "before.prof", "after.prof",
        "--include", "create_client|boto3", "--include", "method 'read' of '_io",
        "--fail-on-regression", "--format", "markdown",
    )
    assert direct.returncode == 1, direct.stderr
    assert report_of(result) == direct.stdout
    assert "checked 206 functions matching the filters" in result.summary
    assert "`{method 'read' of '_io.BufferedReader' objects}`" in result.summary


def test_inputs_are_never_run_as_shell(job):
    args = "$(touch pwned-args) `touch pwned-tick` ${HOME} *.prof"
    base = 'x"; touch pwned-base; echo "'
    result = job.run({"base": base, "new": "after.prof", "args": args})
    assert result.exit_code == 2
    assert sorted(p.name for p in job.ws.iterdir()) == ["after.prof", "before.prof"]
    # The words arrived literally: profdiff took `$(touch` and `pwned-args)`
    # for the two profiles and names the next word, which it cannot place.
    assert "unexpected argument '`touch' found" in result.summary


# --- what gets installed ---------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, spec",
    [
        ({}, "profdiff==0.1.0"),
        ({"version": "0.2.0"}, "profdiff==0.2.0"),
        ({"version": "0.2.0", "package": "profdiff @ git+https://github.com/OWNER/profdiff"},
         "profdiff @ git+https://github.com/OWNER/profdiff"),
    ],
)
def test_install_spec(tmp_path, inputs, spec):
    # A stand-in interpreter that records how pip was asked, and fails.
    log = tmp_path / "python.log"
    fake = tmp_path / "fake-python"
    fake.write_text('#!/bin/sh\nprintf "%%s\\n" "$@" > "%s"\nexit 3\n' % log)
    fake.chmod(0o755)
    ws = tmp_path / "ws"
    ws.mkdir()
    full = {"base": "a", "new": "b", "python": str(fake)}
    full.update(inputs)
    result = run_action(ACTION, full, workdir=ws, temp=tmp_path / "t")
    assert result.exit_code == 3
    assert log.read_text().splitlines() == ["-m", "pip", "install", "--disable-pip-version-check", spec]
    assert not result.step("diff").ran


# --- the runner refuses what it does not know ----------------------------------


def _ctx():
    return _Context(
        {"comment": "true"}, {"token": "t", "event_name": "push", "event": {},
                              "repository": "o/r"},
        {}, {"HOME": "/h"}, {"diff"}, {"comment": {}}, False,
    )


@pytest.mark.parametrize(
    "expression",
    [
        "contains(github.event_name, 'pull')",
        "secrets.TOKEN",
        "inputs.nope",
        "github.sha",
        "steps.nope.outputs.x",
        "matrix.os",
        "github.event_name > 'a'",
        "fromJSON('[1]')[0]",
    ],
)
def test_runner_refuses_unknown_expressions(expression):
    with pytest.raises(UnsupportedExpression):
        evaluate(expression, _ctx())


def test_runner_evaluates_what_the_action_uses():
    ctx = _ctx()
    assert evaluate("inputs.comment == 'TRUE' && github.event_name == 'push'", ctx) is True
    assert evaluate("!(github.event_name == 'pull_request' || false)", ctx) is True
    assert evaluate("github.event.pull_request.number", ctx) is None
    assert interpolate("${{ steps.diff.outputs.exit-code }}|${{ env.HOME }}", ctx) == "|/h"
    with pytest.raises(UnsupportedExpression):
        interpolate("${{ inputs.comment", ctx)


def test_runner_refuses_an_action_with_an_unsupported_expression(tmp_path):
    action = yaml.safe_load(ACTION.read_text())
    action["runs"]["steps"][0]["env"]["EXTRA"] = "${{ hashFiles('**/*.prof') }}"
    path = tmp_path / "action.yml"
    path.write_text(yaml.safe_dump(action))
    (tmp_path / "ws").mkdir()
    with pytest.raises(UnsupportedExpression):
        run_action(path, {"base": "a", "new": "b"}, workdir=tmp_path / "ws", temp=tmp_path / "t")
    action = yaml.safe_load(ACTION.read_text())
    action["runs"]["steps"][1]["run"] += "\necho ${{ inputs.base }}\n"
    path.write_text(yaml.safe_dump(action))
    with pytest.raises(ActionError):
        run_action(path, {"base": "a", "new": "b"}, workdir=tmp_path / "ws", temp=tmp_path / "t")
