"""The pytest plugin, run the way users run it: pytest's own ``pytester``
runs small test files in a temporary directory, with the plugin loaded
through its ``pytest11`` entry point from the installed wheel.

Expected call counts come from the source of the code under test (a loop
that calls ``make_client`` N times), and are cross-checked with Python's
pstats where a dump is involved.
"""

import os
import pstats
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

APP = """
def make_client(name):
    return {"name": name}


def handler(event, context):
    clients = [make_client("s3") for _ in range(event["clients"])]
    return len(clients)
"""


@pytest.fixture
def project(pytester, monkeypatch):
    """A project with app.py; CI unset, as on a developer's machine."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PROFDIFF_BIN", raising=False)
    pytester.makepyfile(app=APP)
    return pytester


def snapshot_file(pytester, test, name="test_handler"):
    return pytester.path / "__profdiff__" / name / (test + ".snapshot")


def write_test(pytester, clients, body):
    pytester.makepyfile(
        test_handler="""
import app

def test_one_client(profdiff):
    with profdiff.profile() as p:
        app.handler({"clients": %d}, None)
%s
""" % (clients, "\n".join("    " + line for line in body.strip().splitlines()))
    )


def test_plugin_is_registered_by_its_entry_point(project):
    result = project.runpytest("--help")
    result.stdout.fnmatch_lines(["*--profdiff-update*"])


def test_assert_calls_passes_within_bounds(project):
    write_test(
        project,
        1,
        """
p.assert_calls("app.py:make_client", max=1)
p.assert_calls("app.py:make_client", exactly=1)
p.assert_calls("make_client", min=1, max=1)
p.assert_calls("create_client", max=0)
""",
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_assert_calls_fails_listing_each_function(project):
    write_test(project, 6, 'p.assert_calls("make_client|handler", max=1)')
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*profdiff: calls of functions matching 'make_client|handler', expected at most 1:",
            "*app.py:make_client*6 calls*FAILED",
            "*app.py:handler*1 calls*ok",
        ]
    )


def test_assert_calls_says_when_nothing_matched(project):
    # A bound that needs calls fails.
    write_test(project, 1, 'p.assert_calls("create_clinet", min=1)')
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*profdiff: no profiled function matches 'create_clinet' (expected calls at least 1)*"]
    )
    # An upper bound holds for a function never called (the fixed handler
    # creates no client at all), with a warning in case of a typo.
    write_test(project, 1, 'p.assert_calls("create_clinet", max=1)')
    result = project.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*ProfdiffWarning: profdiff: no profiled function matches 'create_clinet'; "
         "assert_calls(max=1) holds as nothing was called"]
    )
    # `max=0` says exactly that: no warning.
    write_test(project, 1, 'p.assert_calls("create_client", max=0)')
    project.runpytest().assert_outcomes(passed=1)
    # Matching functions are checked as usual.
    write_test(project, 2, 'p.assert_calls("make_client", max=0)')
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*app.py:make_client*2 calls*FAILED"])


def test_assert_calls_exactly_and_min(project):
    write_test(
        project,
        3,
        """
p.assert_calls("make_client", exactly=3)
p.assert_calls("make_client", min=4)
""",
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected at least 4:*", "*app.py:make_client*3 calls*FAILED"])


def test_assert_calls_needs_a_bound(project):
    write_test(project, 1, 'p.assert_calls("make_client")')
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TypeError: assert_calls needs max=, exactly= or min=*"])


def test_checks_wait_for_the_end_of_the_block(project):
    project.makepyfile(
        test_early="""
import app

def test_early(profdiff):
    with profdiff.profile() as p:
        app.handler({"clients": 1}, None)
        p.assert_calls("make_client", max=1)
"""
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: the profile is not finished*"])


def test_first_run_writes_the_snapshot_and_passes(project):
    write_test(project, 2, "p.check_snapshot()")
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    path = snapshot_file(project, "test_one_client")
    result.stdout.fnmatch_lines(["*wrote new snapshot __profdiff__/test_handler/test_one_client.snapshot"])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# profdiff snapshot v1"
    # Keys relative to the project; the block's own code and nothing of the
    # profiler's (its __exit__ and disable call are dropped).
    assert "app.py:make_client  calls = 2" in lines
    assert "app.py:handler  calls = 1" in lines
    assert "app.py:<listcomp>  calls = 1" in lines or sys.version_info >= (3, 12)
    assert not any("__exit__" in line or "_lsprof" in line for line in lines), lines
    # The second run checks it, and writes nothing.
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert "wrote new snapshot" not in result.stdout.str()


def test_mismatch_fails_with_profdiffs_explanation_and_writes_new(project):
    write_test(project, 1, "p.check_snapshot()")
    project.runpytest().assert_outcomes(passed=1)
    path = snapshot_file(project, "test_one_client")
    original = path.read_text(encoding="utf-8")
    write_test(project, 6, "p.check_snapshot()")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*profdiff: the profile no longer matches __profdiff__/test_handler/test_one_client.snapshot",
            "*app.py:make_client: expected calls = 1, actual 6",
            "*-app.py:make_client  calls = 1",
            "*+app.py:make_client  calls = 6",
            "*accept the new numbers with: pytest --profdiff-update test_handler.py::test_one_client",
        ]
    )
    assert path.read_text(encoding="utf-8") == original
    review = path.with_name(path.name + ".new")
    assert "app.py:make_client  calls = 6" in review.read_text(encoding="utf-8")


def test_hand_written_bound_holds(project):
    write_test(project, 1, 'p.check_snapshot(include="make_client")')
    project.runpytest().assert_outcomes(passed=1)
    path = snapshot_file(project, "test_one_client")
    text = path.read_text(encoding="utf-8")
    assert "app.py:make_client  calls = 1" in text
    path.write_text(text.replace("calls = 1", "calls <= 3"), encoding="utf-8")
    write_test(project, 3, 'p.check_snapshot(include="make_client")')
    project.runpytest().assert_outcomes(passed=1)
    write_test(project, 4, 'p.check_snapshot(include="make_client")')
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*app.py:make_client: expected calls <= 3, actual 4*"])


def test_ci_never_writes(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    write_test(project, 1, "p.check_snapshot()")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*profdiff: no snapshot __profdiff__/test_handler/test_one_client.snapshot, and CI is set*"]
    )
    assert not (project.path / "__profdiff__").exists()
    # With a snapshot in place, a mismatch fails and writes no .new.
    monkeypatch.delenv("CI")
    project.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("CI", "1")
    write_test(project, 4, "p.check_snapshot()")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CI is set, so nothing was written*"])
    path = snapshot_file(project, "test_one_client")
    assert not path.with_name(path.name + ".new").exists()
    assert "app.py:make_client  calls = 1" in path.read_text(encoding="utf-8")


def test_profdiff_update_rewrites_snapshots(project):
    write_test(project, 1, "p.check_snapshot()")
    project.runpytest().assert_outcomes(passed=1)
    write_test(project, 5, "p.check_snapshot()")
    project.runpytest().assert_outcomes(failed=1)
    result = project.runpytest("--profdiff-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*updated snapshot __profdiff__/test_handler/test_one_client.snapshot"])
    path = snapshot_file(project, "test_one_client")
    assert "app.py:make_client  calls = 5" in path.read_text(encoding="utf-8")
    assert not path.with_name(path.name + ".new").exists()
    project.runpytest().assert_outcomes(passed=1)


def test_snapshot_names_and_options(project):
    project.makepyfile(
        test_names="""
import pytest
import app

@pytest.mark.parametrize("n", [1, 2])
def test_param(profdiff, n):
    with profdiff.profile() as p:
        app.handler({"clients": n}, None)
    p.check_snapshot()
    p.check_snapshot()
    p.check_snapshot(name="clients", include="make_client", calls_tolerance="50%")

class TestGroup:
    def test_method(self, profdiff):
        with profdiff.profile() as p:
            app.handler({"clients": 1}, None)
        p.check_snapshot()
"""
    )
    project.runpytest().assert_outcomes(passed=3)
    directory = project.path / "__profdiff__" / "test_names"
    assert sorted(os.listdir(str(directory))) == [
        "TestGroup.test_method.snapshot",
        "test_param[1]-2.snapshot",
        "test_param[1].clients.snapshot",
        "test_param[1].snapshot",
        "test_param[2]-2.snapshot",
        "test_param[2].clients.snapshot",
        "test_param[2].snapshot",
    ]
    clients = (directory / "test_param[2].clients.snapshot").read_text(encoding="utf-8")
    assert "# include: make_client" in clients
    assert "app.py:make_client  calls ≈ 2 ±50%" in clients
    assert "handler" not in clients


def test_dump_is_a_pstats_file(project):
    write_test(project, 4, 'p.dump("handler.prof")')
    project.runpytest().assert_outcomes(passed=1)
    stats = pstats.Stats(str(project.path / "handler.prof"))
    calls = dict(
        (name, nc) for (_, _, name), (_, nc, _, _, _) in stats.stats.items()
    )
    assert calls["make_client"] == 4
    assert calls["handler"] == 1
    assert "__exit__" not in calls
    # The command line reads it too.
    from profdiff import find_profdiff_bin

    out = subprocess.check_output(
        [find_profdiff_bin(), "show", str(project.path / "handler.prof"), "--include",
         "make_client", "--color", "never"],
        universal_newlines=True,
    )
    assert "app.py:1(make_client)" in out
