#!/usr/bin/env bash
# Makes docs/seed-report.png, the README's picture of the HTML report: the
# seed diff (fixtures/seed, the boto3 client fix) opened in headless
# Chromium with create_client selected, as tests/it/html.rs opens it.
#
#   bash docs/make_screenshot.sh
#
# Needs Chromium (Debian: apt-get install chromium) and cargo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
    echo "make_screenshot.sh: no Chromium; apt-get install chromium" >&2
    exit 2
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet --release -- diff fixtures/seed/before.prof fixtures/seed/after.prof \
    --format html -o "$work/seed.html"
sandbox=()
# Chromium's sandbox refuses to run as root (CI containers).
[[ $(id -u) -eq 0 ]] && sandbox=(--no-sandbox)
# The view as a reader would leave it: rows filtered to the client
# functions, create_client's callers and callees open (the fragment holds
# that state).
"$browser" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
    --window-size=1400,1800 --virtual-time-budget=3000 \
    --screenshot="$work/shot.png" \
    "file://$work/seed.html#q=create_client&fn=botocore/session.py:create_client" \
    2> "$work/chromium.log" || { cat "$work/chromium.log" >&2; exit 1; }
mv "$work/shot.png" docs/seed-report.png
echo "wrote docs/seed-report.png"
