#!/usr/bin/env bash
# bench.sh -- wall time and peak RSS of `profdiff diff` vs. Python's pstats.
#
# Cases:
#   large  two synthetic ~35 MB pstats dumps (100k functions x 8 callers),
#          made by benches/gen_large_pstats.py (the "after" one with --variant)
#   seed   fixtures/seed/before.prof vs fixtures/seed/after.prof (real cProfile)
# Commands compared on each case:
#   profdiff  target/release/profdiff diff A B --top 20 --color never > /dev/null
#             (and, to show what the causes section costs, the same with
#             --no-causes)
#   python    python3 -c "import pstats; pstats.Stats(A); pstats.Stats(B)"
#             (only loading both files: the least any pstats-based diff must do)
#
# Wall time: hyperfine (median) when installed -- `apt-get install -y hyperfine`
# -- otherwise the median of N runs timed by GNU time. Peak RSS: GNU time's
# %M (median of the runs), needs /usr/bin/time (`apt-get install -y time`).
#
# Usage: bash benches/bench.sh [--runs N] [--python-only] [--no-build]
# Env:   PROFDIFF_BENCH_DIR  where the large dumps are kept
#                            (default ${TMPDIR:-/tmp}/profdiff-bench; reused
#                            when present, delete it to regenerate)
#        PYTHON              interpreter for generation and the pstats baseline
#                            (default python3)
#        BENCH_FUNCTIONS / BENCH_CALLERS / BENCH_SEED  generator parameters
#        PROFDIFF_BIN        benchmark this binary instead (skips cargo build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${PROFDIFF_BENCH_DIR:-${TMPDIR:-/tmp}/profdiff-bench}"
FUNCTIONS="${BENCH_FUNCTIONS:-100000}"
CALLERS="${BENCH_CALLERS:-8}"
SEED="${BENCH_SEED:-1}"
RUNS=5
PYTHON_ONLY=0
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --python-only) PYTHON_ONLY=1; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*" >&2; }

GNU_TIME=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%e %M' true 2>/dev/null; then
    GNU_TIME=/usr/bin/time
else
    log "GNU time not found: peak RSS will be n/a (hint: apt-get install -y time)"
fi
HYPERFINE=""
if command -v hyperfine >/dev/null 2>&1; then
    HYPERFINE="$(command -v hyperfine)"
else
    log "hyperfine not found: using the median of $RUNS timed runs (hint: apt-get install -y hyperfine)"
fi
[[ -n "$GNU_TIME" || -n "$HYPERFINE" ]] || { echo "need GNU time or hyperfine" >&2; exit 1; }

# ------------------------------------------------------------------ inputs
mkdir -p "$BENCH_DIR"
LARGE_A="$BENCH_DIR/large_before_f${FUNCTIONS}_c${CALLERS}_s${SEED}.prof"
LARGE_B="$BENCH_DIR/large_after_f${FUNCTIONS}_c${CALLERS}_s${SEED}.prof"
if [[ ! -s "$LARGE_A" ]]; then
    log "generating $LARGE_A"
    "$PYTHON" "$ROOT/benches/gen_large_pstats.py" "$LARGE_A.tmp" \
        --functions "$FUNCTIONS" --callers "$CALLERS" --seed "$SEED"
    mv "$LARGE_A.tmp" "$LARGE_A"
fi
if [[ ! -s "$LARGE_B" ]]; then
    log "generating $LARGE_B"
    "$PYTHON" "$ROOT/benches/gen_large_pstats.py" "$LARGE_B.tmp" \
        --functions "$FUNCTIONS" --callers "$CALLERS" --seed "$SEED" --variant
    mv "$LARGE_B.tmp" "$LARGE_B"
fi
SEED_A="$ROOT/fixtures/seed/before.prof"
SEED_B="$ROOT/fixtures/seed/after.prof"
[[ -s "$SEED_A" && -s "$SEED_B" ]] || { echo "missing seed fixtures: run bash fixtures/make_fixtures.sh" >&2; exit 1; }

# ------------------------------------------------------------------ build
# cargo builds into CARGO_TARGET_DIR when it is set (relative to the root).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
PROFDIFF="${PROFDIFF_BIN:-$TARGET_DIR/release/profdiff}"
[[ -n "${PROFDIFF_BIN:-}" ]] && BUILD=0
if [[ "$PYTHON_ONLY" == 0 ]]; then
    if [[ "$BUILD" == 1 ]]; then
        log "cargo build --release"
        if ! (cd "$ROOT" && cargo build --release >&2); then
            log "cargo build failed: profdiff rows will be n/a"
            PYTHON_ONLY=1
        fi
    fi
    if [[ ! -x "$PROFDIFF" ]]; then
        log "$PROFDIFF not found: profdiff rows will be n/a"
        PYTHON_ONLY=1
    fi
fi

# ------------------------------------------------------------------ measuring
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "n/a"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

# measure NAME CMD... -> prints "wall_seconds peak_rss_kib" (median of runs)
measure() {
    local name="$1"; shift
    local wall="n/a" rss="n/a" i
    : > "$TMP/$name.wall"; : > "$TMP/$name.rss"
    "$@" > /dev/null   # warm-up (page cache), also fails early on errors
    if [[ -n "$GNU_TIME" ]]; then
        local n="$RUNS"
        # With hyperfine timing the wall clock, GNU time only samples RSS.
        if [[ -n "$HYPERFINE" && "$n" -gt 3 ]]; then n=3; fi
        for ((i = 0; i < n; i++)); do
            "$GNU_TIME" -f '%e %M' -o "$TMP/$name.one" "$@" > /dev/null
            tail -n 1 "$TMP/$name.one" | awk '{print $1}' >> "$TMP/$name.wall"
            tail -n 1 "$TMP/$name.one" | awk '{print $2}' >> "$TMP/$name.rss"
        done
        wall="$(median < "$TMP/$name.wall")"
        rss="$(median < "$TMP/$name.rss")"
    fi
    if [[ -n "$HYPERFINE" ]]; then
        "$HYPERFINE" -N --style none --warmup 1 --runs "$RUNS" \
            --export-json "$TMP/$name.json" --output=null -- "$(quote_cmd "$@")" >&2
        wall="$("$PYTHON" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$TMP/$name.json")"
    fi
    printf '%s %s\n' "$wall" "$rss"
}

# hyperfine -N takes one string and splits it like a shell would.
quote_cmd() { local out="" a; for a in "$@"; do out+="$(printf '%q' "$a") "; done; printf '%s' "${out% }"; }

PY_CODE='import pstats, sys; pstats.Stats(sys.argv[1]); pstats.Stats(sys.argv[2])'
ROWS=()
CAUSES=()
for case in large seed; do
    if [[ "$case" == large ]]; then A="$LARGE_A"; B="$LARGE_B"; else A="$SEED_A"; B="$SEED_B"; fi
    log "case $case: $(du -h "$A" | cut -f1) + $(du -h "$B" | cut -f1)"
    read -r py_wall py_rss < <(measure "py_$case" "$PYTHON" -c "$PY_CODE" "$A" "$B")
    if [[ "$PYTHON_ONLY" == 0 ]]; then
        read -r pd_wall pd_rss < <(measure "pd_$case" "$PROFDIFF" diff "$A" "$B" --top 20 --color never)
        read -r nc_wall _ < <(measure "nc_$case" "$PROFDIFF" diff "$A" "$B" --top 20 --color never --no-causes)
    else
        pd_wall="n/a"; pd_rss="n/a"; nc_wall="n/a"
    fi
    ROWS+=("$case $py_wall $py_rss $pd_wall $pd_rss")
    CAUSES+=("$case $pd_wall $nc_wall")
done

# ------------------------------------------------------------------ report
echo
if [[ -n "$HYPERFINE" ]]; then WALL_BY="hyperfine"; else WALL_BY="GNU time"; fi
echo "profdiff vs. python pstats (median of $RUNS runs; wall time by $WALL_BY, peak RSS by GNU time)"
"$PYTHON" - "${ROWS[@]}" <<'EOF'
import sys

def num(s):
    try:
        return float(s)
    except ValueError:
        return None

def ratio(py, pd):
    if py is None or pd is None or pd <= 0:
        return "n/a"
    return "%.1fx" % (py / pd)

print("%-6s %12s %12s %14s %14s %9s %9s" % (
    "case", "python s", "profdiff s", "python RSS MB", "profdiff RSS", "speedup", "RSS /"))
for row in sys.argv[1:]:
    case, py_wall, py_rss, pd_wall, pd_rss = row.split()
    pw, pr, dw, dr = num(py_wall), num(py_rss), num(pd_wall), num(pd_rss)
    mb = lambda k: "n/a" if k is None else "%.1f" % (k / 1024.0)
    sec = lambda s: "n/a" if s is None else "%.3f" % s
    print("%-6s %12s %12s %14s %14s %9s %9s" % (
        case, sec(pw), sec(dw), mb(pr), mb(dr), ratio(pw, dw), ratio(pr, dr)))
print("speedup = python wall / profdiff wall; RSS / = python peak RSS / profdiff peak RSS")
EOF
echo
echo "the causes section: profdiff diff with it (the default) and with --no-causes"
"$PYTHON" - "${CAUSES[@]}" <<'EOF'
import sys
for row in sys.argv[1:]:
    case, with_causes, without = row.split()
    try:
        w, n = float(with_causes), float(without)
        print("%-6s %8.3f s with, %8.3f s without: %+.0f%%" % (case, w, n, (w / n - 1) * 100))
    except ValueError:
        print("%-6s n/a" % case)
EOF
