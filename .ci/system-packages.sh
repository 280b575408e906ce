#!/usr/bin/env bash
# Installs the Debian packages the tests use, when missing: Chromium (the
# HTML report is opened in a real browser), Graphviz (`dot -Tsvg` checks
# the DOT output) and man (the man page is formatted). Run by .ci/run, and
# by the tests themselves when a tool is missing, so that `cargo test` works
# on a fresh machine. Needs root and apt-get; does nothing when all are there.
set -euo pipefail
missing=()
command -v chromium > /dev/null || missing+=(chromium)
command -v dot > /dev/null || missing+=(graphviz)
command -v man > /dev/null || missing+=(man-db)
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get > /dev/null; then
    echo "system-packages.sh: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
fi
# Tests run in parallel: one apt-get at a time.
exec 9> /tmp/profdiff-system-packages.lock
flock 9
missing=()
command -v chromium > /dev/null || missing+=(chromium)
command -v dot > /dev/null || missing+=(graphviz)
command -v man > /dev/null || missing+=(man-db)
((${#missing[@]})) || exit 0
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
