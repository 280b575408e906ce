"""pytest plugin: profile a block of a test and check what it calls.

::

    def test_one_client(profdiff):
        with profdiff.profile() as p:
            handler(event, None)
        p.assert_calls("botocore/session.py:create_client", max=1)
        p.check_snapshot()
        p.dump("handler.prof")

Every check runs the ``profdiff`` executable installed with this package on a
pstats dump of the block, so the plugin and the command line never disagree
about keys, patterns or snapshot files. Registered through the ``pytest11``
entry point; ``pytest --profdiff-update`` rewrites snapshots.
"""

import cProfile
import json
import marshal
import os
import re
import subprocess
import warnings

import pytest

from profdiff._binary import find_profdiff_bin

#: Where snapshots live, beside the test file.
SNAPSHOT_DIR = "__profdiff__"


def pytest_addoption(parser):
    group = parser.getgroup("profdiff", "performance checks with profdiff")
    group.addoption(
        "--profdiff-update",
        action="store_true",
        default=False,
        help="rewrite profdiff snapshots with the numbers of this run "
        "(bounds that still hold are kept)",
    )


def pytest_configure(config):
    # Snapshot files this session wrote or rewrote, for the summary.
    config._profdiff_written = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    written = getattr(config, "_profdiff_written", [])
    if not written:
        return
    terminalreporter.section("profdiff")
    for verb, path in written:
        terminalreporter.write_line("%s %s" % (verb, path))


@pytest.fixture
def profdiff(request, tmp_path):
    """Profiles blocks of the test: ``with profdiff.profile() as p: ...``."""
    return Profdiff(request, tmp_path)


class Profdiff(object):
    """The ``profdiff`` fixture."""

    def __init__(self, request, tmp_path):
        self._request = request
        self._tmp_path = tmp_path
        self._profiles = 0
        self._unnamed_snapshots = 0

    def profile(self):
        """A context manager that runs cProfile around its block and gives
        the :class:`Profile` to check after the block."""
        self._profiles += 1
        return Profile(self, self._tmp_path / ("profile-%d.prof" % self._profiles))

    def _snapshot_path(self, name):
        node = self._request.node
        test_file = node.path if hasattr(node, "path") else node.fspath
        test_file = str(test_file)
        # `Class::test[param]` from the node id: unique within the file.
        test_name = "::".join(node.nodeid.split("::")[1:]) or node.name
        stem = _file_name(test_name.replace("::", "."))
        if name is None:
            self._unnamed_snapshots += 1
            if self._unnamed_snapshots > 1:
                stem += "-%d" % self._unnamed_snapshots
        else:
            stem += "." + _file_name(name)
        module = os.path.splitext(os.path.basename(test_file))[0]
        return os.path.join(
            os.path.dirname(test_file), SNAPSHOT_DIR, module, stem + ".snapshot"
        )


class Profile(object):
    """One profiled block. Checks fail the test with profdiff's message."""

    def __init__(self, owner, dump_path):
        self._owner = owner
        self._dump_path = str(dump_path)
        self._profiler = cProfile.Profile()
        self._state = "new"

    def __enter__(self):
        if self._state != "new":
            raise RuntimeError("a profdiff profile runs once; call profdiff.profile() again")
        self._state = "running"
        self._profiler.enable()
        return self

    def __exit__(self, *exc):
        self._profiler.disable()
        self._state = "done"
        self._profiler.create_stats()
        self._stats = _without_profiler_calls(self._profiler.stats)
        self._write(self._dump_path)
        return False

    def _write(self, path):
        # What cProfile.Profile.dump_stats writes, minus the profiler's own
        # calls.
        with open(str(path), "wb") as f:
            marshal.dump(self._stats, f)

    @property
    def path(self):
        """The pstats dump of the block (in the test's temporary directory)."""
        self._require_done()
        return self._dump_path

    def dump(self, path):
        """Writes the block's profile as a pstats dump (``python -m cProfile
        -o`` format) to ``path``, for the command line or KCachegrind."""
        self._require_done()
        self._write(path)
        return path

    def calls(self, pattern):
        """``{key: calls}`` of the functions whose key or name matches the
        regex ``pattern`` (profdiff's ``--include``)."""
        self._require_done()
        document = json.loads(
            self._run(
                ["show", self._dump_path, "--include", pattern, "--format", "json"]
                + self._key_options()
            ).stdout
        )
        return dict((f["key"], f["calls"]) for f in document["functions"])

    def assert_calls(self, pattern, max=None, exactly=None, min=None):
        """Each function whose key matches ``pattern`` was called at most
        ``max``, exactly ``exactly`` and/or at least ``min`` times. Fails
        listing every matching function and its count, or saying that
        nothing matched."""
        bounds = [("at most", max), ("exactly", exactly), ("at least", min)]
        bounds = [(word, n) for word, n in bounds if n is not None]
        if not bounds:
            raise TypeError("assert_calls needs max=, exactly= or min=")
        for word, n in bounds:
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise TypeError("assert_calls: %s must be a count, got %r" % (word, n))
        counts = self.calls(pattern)
        expected = " and ".join("%s %d" % (word, n) for word, n in bounds)
        if not counts:
            # A function never called is not in the profile. Bounds that
            # allow no calls (`max=`, `exactly=0`) hold; as a pattern with a
            # typo matches nothing too, say so in a warning.
            if (exactly in (None, 0)) and not min:
                if exactly != 0 and max != 0:
                    warnings.warn(
                        ProfdiffWarning(
                            "profdiff: no profiled function matches %r; "
                            "assert_calls(%s) holds as nothing was called"
                            % (pattern, ", ".join("%s=%d" % kv for kv in _given(
                                max=max, exactly=exactly, min=min)))
                        ),
                        stacklevel=2,
                    )
                return
            pytest.fail(
                "profdiff: no profiled function matches %r (expected calls %s)"
                % (pattern, expected),
                pytrace=False,
            )

        def holds(calls):
            calls = calls or 0
            return (
                (max is None or calls <= max)
                and (exactly is None or calls == exactly)
                and (min is None or calls >= min)
            )

        if all(holds(calls) for calls in counts.values()):
            return
        width = _longest(counts)
        lines = [
            "profdiff: calls of functions matching %r, expected %s:" % (pattern, expected)
        ]
        for key, calls in sorted(counts.items(), key=lambda kv: (-(kv[1] or 0), kv[0])):
            mark = "ok" if holds(calls) else "FAILED"
            lines.append("  %-*s  %6s calls  %s" % (width, key, calls, mark))
        pytest.fail("\n".join(lines), pytrace=False)

    def check_snapshot(self, name=None, include=None, exclude=None, calls_tolerance=None,
                       with_time=False):
        """Checks the block against its snapshot file,
        ``__profdiff__/<test module>/<test name>[.<name>].snapshot`` beside
        the test file, with ``profdiff snapshot --check``'s rules: the first
        local run writes the file and passes; a mismatch fails with
        profdiff's explanation and writes ``FILE.new`` (not in CI); with
        ``CI`` set nothing is written and a missing file fails;
        ``pytest --profdiff-update`` rewrites the file. ``include`` /
        ``exclude`` (regexes or lists of them), ``calls_tolerance`` (``2``
        or ``"2%"``) and ``with_time`` shape a new file and are recorded
        in it."""
        self._require_done()
        path = _shown(self._owner._snapshot_path(name))
        config = self._owner._request.config
        update = config.getoption("profdiff_update")
        if not os.path.exists(path):
            if _is_ci():
                pytest.fail(
                    "profdiff: no snapshot %s, and CI is set, so none is written: run the "
                    "test locally (or with --profdiff-update) and commit the file" % path,
                    pytrace=False,
                )
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory)
            args = ["snapshot", self._dump_path, "-o", path] + self._key_options()
            for option, values in (("--include", include), ("--exclude", exclude)):
                for value in _as_list(values):
                    args += [option, value]
            if calls_tolerance is not None:
                args += ["--calls-tolerance", str(calls_tolerance)]
            if with_time:
                args.append("--with-time")
            self._run(args)
            config._profdiff_written.append(("wrote new snapshot", path))
            return path
        args = ["snapshot", self._dump_path, "--check", path] + self._key_options()
        if update:
            args.append("--update")
        with open(path, "rb") as f:
            before = f.read()
        result = self._run(args, ok=(0, 1))
        if result.returncode == 1:
            hint = "" if update else (
                "accept the new numbers with: pytest --profdiff-update %s\n"
                % self._owner._request.node.nodeid
            )
            pytest.fail(
                "profdiff: the profile no longer matches %s\n%s%s%s"
                % (path, result.stdout, result.stderr, hint),
                pytrace=False,
            )
        with open(path, "rb") as f:
            if f.read() != before:
                config._profdiff_written.append(("updated snapshot", path))
        return path

    def _key_options(self):
        # Keys relative to the project, so that snapshots hold on every
        # machine and checkout path.
        config = self._owner._request.config
        root = getattr(config, "rootpath", None) or config.rootdir
        return ["--strip-prefix", str(root)]

    def _require_done(self):
        if self._state != "done":
            raise RuntimeError(
                "the profile is not finished: check it after the `with profdiff.profile()` block"
            )

    def _run(self, args, ok=(0,)):
        binary = find_profdiff_bin()
        result = subprocess.run(
            [binary] + args + ["--color", "never"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        if result.returncode not in ok:
            pytest.fail(
                "profdiff %s failed (exit %d):\n%s%s"
                % (" ".join(args), result.returncode, result.stdout, result.stderr),
                pytrace=False,
            )
        return result


class ProfdiffWarning(UserWarning):
    """A check that holds but may not check what was meant."""


def _given(**bounds):
    return [(name, value) for name, value in sorted(bounds.items()) if value is not None]


def _without_profiler_calls(stats):
    """cProfile records the end of the block itself: this module's
    ``__exit__`` and the ``disable`` call in it. Dropped, so that a profile
    holds the block's work only."""
    here = os.path.splitext(os.path.abspath(__file__))[0]

    def ours(key):
        filename, _, name = key
        if name == "__exit__":
            return os.path.splitext(os.path.abspath(filename))[0] == here
        return filename == "~" and name == "<method 'disable' of '_lsprof.Profiler' objects>"

    kept = {}
    for key, (cc, nc, tt, ct, callers) in stats.items():
        if ours(key):
            continue
        callers = dict((k, v) for k, v in callers.items() if not ours(k))
        kept[key] = (cc, nc, tt, ct, callers)
    return kept


def _longest(counts):
    # (`max` is a parameter name in assert_calls.)
    return max(len(key) for key in counts)


def _shown(path):
    """``path`` relative to the working directory when it is below it:
    profdiff's messages quote it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return path
    return path if relative.startswith(os.pardir) else relative


def _as_list(values):
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return list(values)


def _file_name(text):
    """A test id as a file name: brackets of parameters kept, anything a
    file system may refuse replaced."""
    return re.sub(r"[^A-Za-z0-9_.\[\]=+,-]", "_", text)


def _is_ci():
    """``CI`` set, non-empty, and not ``false`` or ``0``: profdiff's rule."""
    value = os.environ.get("CI", "")
    return value not in ("", "false", "0")

