#!/usr/bin/env bash
# The Python side's tests, as a new user meets the package: build the wheel
# (maturin, the build backend of pyproject.toml), install it into a fresh
# virtual environment, check that both entry points run the bundled binary,
# then run python/tests (the pytest plugin through pytester, the GitHub
# Action's steps) against that installation. `cargo test` runs this script
# (tests/python.rs); it can also be run alone:
#
#   bash python/test.sh [PYTEST ARGS...]   (default: python/tests)
#
# Needs python3 (>= 3.8, with venv) and the package index for maturin,
# pytest and PyYAML (pinned below; pip caches them after the first run).
# Everything goes under target/python/: tools/ (maturin, kept between runs),
# cargo/ (the wheel's own Cargo target directory, so that a running
# `cargo test` never waits for its lock), wheels/, venv/ (made afresh).
#
#   PYTHON=python3.8 bash python/test.sh   # another interpreter
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/target/python
python=${PYTHON:-python3}
maturin_version=1.16.0
pytest_version=8.3.5
pyyaml_version=6.0.2

"$python" -c 'import sys; assert sys.version_info >= (3, 8), sys.version' \
    || { echo "python/test.sh: $python is older than 3.8" >&2; exit 2; }

step() { printf '== %s\n' "$*"; }

tools=$work/tools
if ! "$tools/bin/maturin" --version 2>/dev/null | grep -qx "maturin $maturin_version"; then
    step "installing maturin $maturin_version into $tools"
    rm -rf "$tools"
    "$python" -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "maturin==$maturin_version"
fi

step "building the wheel"
rm -rf "$work/wheels"
# The dev profile: the same packaging as a release build (`pip install .`),
# built in a fraction of the time.
CARGO_TARGET_DIR=$work/cargo "$tools/bin/maturin" build --quiet --profile dev \
    --manifest-path "$root/Cargo.toml" --out "$work/wheels"
wheels=("$work"/wheels/profdiff-*.whl)
if [[ ${#wheels[@]} -ne 1 ]]; then
    echo "python/test.sh: expected one wheel, found: ${wheels[*]}" >&2
    exit 1
fi
wheel=${wheels[0]}

step "installing $(basename "$wheel") into a fresh virtual environment"
rm -rf "$work/venv"
"$python" -m venv "$work/venv"
venv_python=$work/venv/bin/python
"$venv_python" -m pip install --quiet --disable-pip-version-check \
    "$wheel" "pytest==$pytest_version" "PyYAML==$pyyaml_version"

step "entry points"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)
expected="profdiff $version"
for command in "$work/venv/bin/profdiff --version" "$venv_python -m profdiff --version"; do
    got=$($command)
    echo "$command -> $got"
    if [[ $got != "$expected" ]]; then
        echo "python/test.sh: '$command' printed '$got', expected '$expected'" >&2
        exit 1
    fi
done

step "python/tests"
# Arguments replace the default selection (e.g. a file, `-k NAME`, `-x`).
(($#)) || set -- "$root/python/tests"
# -p no:cacheprovider: nothing written into the source tree.
PROFDIFF_WHEEL=$wheel "$venv_python" -m pytest -q -p no:cacheprovider "$@"
