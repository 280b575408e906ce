#!/usr/bin/env bash
# bench_scale.sh -- profdiff at scale: JSON for CI on a 100k-function pair,
# merge of many profiles, many runs per side; each against what a Python
# user would otherwise run on the same files, in the same run.
#
# Cases (all commands of a case interleaved, see benches/common.sh):
#   json    two generated 34 MB pstats dumps (100k functions x 8 callers,
#           benches/gen_large_pstats.py, the same files as bench.sh):
#             python    pstats.Stats(A); pstats.Stats(B)   (only loading them)
#             text      profdiff diff A B --top 20
#             json20    profdiff diff A B --format json --top 20
#             json      profdiff diff A B --format json --top 0   (every row)
#   merge   40 and 400 copies of the five real cProfile runs in
#           fixtures/runs/before (390 KB, 2,881 functions each):
#             python    pstats.Stats(*files)
#             profdiff  profdiff merge DIR -o OUT
#   runs    --base/--new with 20+20 and 200+200 runs (fixtures/runs/before
#           and after, cycled): profdiff only, for its peak memory.
#   tree    (with --tree) merge of a directory tree of 10,000 profiles
#           (100 folders x 100 files, hard links to the five runs), once.
#
# Usage: bash benches/bench_scale.sh [--runs N] [--no-build] [--tree]
#   --runs N    runs per command (default 3)
#   --no-build  do not run `cargo build --release` first
#   --tree      also merge the 10,000-profile tree (about 15 s)
# Env:   PROFDIFF_BENCH_DIR  where inputs are kept (default
#                            ${TMPDIR:-/tmp}/profdiff-bench, shared with the
#                            other scripts; reused when present)
#        PROFDIFF_BIN        benchmark this binary (skips the build)
#        PYTHON              interpreter for pstats and the generator
#                            (default python3)
# Needs: bash >= 5, GNU time (/usr/bin/time), python3 (stdlib only). No network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${PROFDIFF_BENCH_DIR:-${TMPDIR:-/tmp}/profdiff-bench}"
RUNS=3
BUILD=1
TREE=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --tree) TREE=1; shift ;;
        -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/profdiff-bench-run.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# ------------------------------------------------------------------ inputs
mkdir -p "$BENCH_DIR"
LARGE_A="$BENCH_DIR/large_before_f100000_c8_s1.prof"
LARGE_B="$BENCH_DIR/large_after_f100000_c8_s1.prof"
for pair in "$LARGE_A:" "$LARGE_B:--variant"; do
    file="${pair%%:*}" flag="${pair#*:}"
    if [[ ! -s "$file" ]]; then
        log "generating $file"
        # shellcheck disable=SC2086
        "$PYTHON" "$ROOT/benches/gen_large_pstats.py" "$file.tmp" \
            --functions 100000 --callers 8 --seed 1 $flag
        mv "$file.tmp" "$file"
    fi
done
RUNS_DIR="$ROOT/fixtures/runs"
[[ -s "$RUNS_DIR/before/run1.prof" ]] || die "missing $RUNS_DIR (bash fixtures/runs/make_runs.sh)"
# copies DIR N SIDE: N files cycling through fixtures/runs/SIDE/run1..5.prof
copies() {
    local dir="$1" n="$2" side="$3" i
    [[ -d "$dir" && "$(find "$dir" -type f | wc -l)" == "$n" ]] && return
    rm -rf "$dir"; mkdir -p "$dir"
    for ((i = 1; i <= n; i++)); do
        cp "$RUNS_DIR/$side/run$(((i - 1) % 5 + 1)).prof" "$dir/run$i.prof"
    done
}
SCALE="$BENCH_DIR/scale"
copies "$SCALE/merge40" 40 before
copies "$SCALE/merge400" 400 before
copies "$SCALE/runs20/base" 20 before
copies "$SCALE/runs20/new" 20 after
copies "$SCALE/runs200/base" 200 before
copies "$SCALE/runs200/new" 200 after
if [[ "$TREE" == 1 && ! -d "$SCALE/tree/day100" ]]; then
    log "making a tree of 10,000 profiles in $SCALE/tree"
    for ((d = 1; d <= 100; d++)); do
        mkdir -p "$SCALE/tree/day$d/host"
        for ((i = 1; i <= 100; i++)); do
            ln -f "$RUNS_DIR/before/run$(((d * 100 + i) % 5 + 1)).prof" \
                "$SCALE/tree/day$d/host/invocation$i.prof" 2>/dev/null \
                || cp "$RUNS_DIR/before/run$(((d * 100 + i) % 5 + 1)).prof" \
                    "$SCALE/tree/day$d/host/invocation$i.prof"
        done
    done
fi

resolve_profdiff

# ------------------------------------------------------------------ measure
START_LOAD="$(machine_line)"
log "$START_LOAD"
init_results bench_scale
OUT="$TMP/merged.prof"
PY_LOAD='import pstats, sys; pstats.Stats(sys.argv[1]); pstats.Stats(sys.argv[2])'
PY_MERGE='import glob, pstats, sys; pstats.Stats(*sorted(glob.glob(sys.argv[1] + "/*.prof")))'

log "json: 100k-function pair"
group_reset
group_add json_python "$PYTHON" -c "$PY_LOAD" "$LARGE_A" "$LARGE_B"
group_add json_text "$PROFDIFF" diff "$LARGE_A" "$LARGE_B" --top 20 --color never
group_add json_top20 "$PROFDIFF" diff "$LARGE_A" "$LARGE_B" --format json --top 20
group_add json_all "$PROFDIFF" diff "$LARGE_A" "$LARGE_B" --format json --top 0
group_run
JSON_BYTES="$("$PROFDIFF" diff "$LARGE_A" "$LARGE_B" --format json --top 0 | wc -c)"

log "merge: 40 and 400 profiles"
group_reset
group_add merge40_python "$PYTHON" -c "$PY_MERGE" "$SCALE/merge40"
group_add merge40 "$PROFDIFF" merge "$SCALE/merge40" -o "$OUT"
group_add merge400_python "$PYTHON" -c "$PY_MERGE" "$SCALE/merge400"
group_add merge400 "$PROFDIFF" merge "$SCALE/merge400" -o "$OUT"
group_run

log "runs: 20+20 and 200+200"
group_reset
group_add runs20 "$PROFDIFF" diff --base "$SCALE/runs20/base" --new "$SCALE/runs20/new" --color never
group_add runs200 "$PROFDIFF" diff --base "$SCALE/runs200/base" --new "$SCALE/runs200/new" --color never
group_run

if [[ "$TREE" == 1 ]]; then
    log "tree: 10,000 profiles, once"
    SAVED_RUNS="$RUNS"; RUNS=1
    group_reset
    group_add tree "$PROFDIFF" merge "$SCALE/tree" -o "$OUT"
    group_run
    RUNS="$SAVED_RUNS"
fi
END_LOAD="$(uptime | sed 's/.*load average: //')"

# ------------------------------------------------------------------ report
row() {  # row LABEL NAME [PEER]: wall, RSS, and the peer's ratio
    local wall rss
    wall="$(med "$2" 1)"; rss="$(med "$2" 2)"
    if [[ -n "${3:-}" ]]; then
        awk -v l="$1" -v w="$wall" -v r="$rss" -v pw="$(med "$3" 1)" -v pr="$(med "$3" 2)" \
            -v lo="$(loads "$2" "$3")" 'BEGIN {
            printf "| %s | %.3f | %.1f | %.3f | %.1f | %.1fx | %s |\n", l, w, r / 1024, pw, pr / 1024, pw / w, lo }'
    else
        awk -v l="$1" -v w="$wall" -v r="$rss" -v lo="$(loads "$2")" 'BEGIN {
            printf "| %s | %.3f | %.1f | | | | %s |\n", l, w, r / 1024, lo }'
    fi
}
ratio() { awk -v a="$(med "$1" "$3")" -v b="$(med "$2" "$3")" 'BEGIN {printf "%.2f", a / b}'; }

echo
echo "### profdiff at scale (median of $RUNS interleaved runs)"
echo
echo "$START_LOAD; at end: $END_LOAD"
echo "binary: $PROFDIFF ($("$PROFDIFF" --version)); $("$PYTHON" --version 2>&1)"
echo
echo "| command | profdiff s | profdiff MB | Python s | Python MB | faster | load 1-min |"
echo "|---|---:|---:|---:|---:|---:|---|"
row "diff 100k pair, text --top 20" json_text json_python
row "diff 100k pair, --format json --top 20" json_top20 json_python
row "diff 100k pair, --format json (every row)" json_all json_python
row "merge 40 profiles" merge40 merge40_python
row "merge 400 profiles" merge400 merge400_python
row "--base/--new 20+20 runs" runs20
row "--base/--new 200+200 runs" runs200
[[ "$TREE" == 1 ]] && row "merge a tree of 10,000 profiles (1 run)" tree
echo
echo "Python: loading both dumps with pstats.Stats (json rows); pstats.Stats(*files) (merge rows)."
awk -v b="$JSON_BYTES" 'BEGIN {printf "full JSON output: %.1f MB\n", b / 1e6}'
echo "json --top 20 / text time: $(ratio json_top20 json_text 1)"
echo "merge 400 / merge 40 peak RSS: $(ratio merge400 merge40 2)"
echo "runs 200+200 / 20+20 peak RSS: $(ratio runs200 runs20 2)"
echo "MB = 2^20 bytes of RSS; output MB = 10^6 bytes. raw runs: $RESULTS"
