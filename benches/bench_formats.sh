#!/usr/bin/env bash
# bench_formats.sh -- parse throughput of `profdiff show` on large sampled
# profiles and pstats text.
#
# Inputs (made by benches/gen_large_sampled.py, deterministic, ~64 MB each;
# see its docstring for their shape):
#   folded       py-spy raw style, 6,000 distinct stacks x threads
#   speedscope   py-spy speedscope style, ~400k samples in 8 profiles
#   pprof        raw profile.proto, ~830k samples (austin2pprof style)
#   pprof.gz     the same pprof gzipped (~17 MB on disk; MB/s is computed on
#                the uncompressed bytes, i.e. what was parsed)
#   pstats-text  print_stats() table, ~500k rows
# Command:  profdiff show FILE --top 5 --color never > /dev/null
# Reported: median wall time and MB/s = size / wall (MB = 10^6 bytes), the
#           same on CPU time (user+sys; less sensitive to other jobs), median
#           peak RSS; the targets (folded, speedscope, pprof >= 100 MB/s;
#           pstats text >= 50 MB/s) are judged on wall time.
# Peers: none is installed for these formats (inferno-flamegraph, speedscope,
#        go tool pprof), so there are no ratios here; see bench_callgrind.sh
#        and bench.sh for comparisons with other tools.
#
# All formats are run interleaved (run i runs every file once, in rotated
# order); see benches/common.sh for how time, RSS and load are measured.
#
# Usage: bash benches/bench_formats.sh [--runs N] [--mb MB] [--no-build]
#   --runs N    runs per file (default 7)
#   --mb MB     size of the generated inputs in 10^6 bytes (default 64)
#   --no-build  do not run `cargo build --release` first
# Env:   PROFDIFF_BENCH_DIR  where the inputs are kept (default
#                            ${TMPDIR:-/tmp}/profdiff-bench, shared with the
#                            other bench scripts; reused when present,
#                            delete a file to regenerate it)
#        PROFDIFF_BIN        benchmark this binary (default: the repo's
#                            target/release/profdiff; setting it skips the build)
#        PYTHON              interpreter for the generator (default python3)
#        BENCH_SEED          generator seed (default 1)
# Needs: bash >= 5, GNU time (/usr/bin/time), python3 (stdlib only). No network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${PROFDIFF_BENCH_DIR:-${TMPDIR:-/tmp}/profdiff-bench}"
SEED="${BENCH_SEED:-1}"
RUNS=7
MB=64
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --mb) MB="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,37p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/profdiff-bench-run.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# ------------------------------------------------------------------ inputs
mkdir -p "$BENCH_DIR"
gen() {  # gen FORMAT FILE [--gzip]
    local fmt="$1" out="$2"; shift 2
    if [[ ! -s "$out" ]]; then
        log "generating $out"
        "$PYTHON" "$ROOT/benches/gen_large_sampled.py" "$fmt" "$out.tmp" --mb "$MB" --seed "$SEED" "$@"
        mv "$out.tmp" "$out"
    fi
}
BASE="$BENCH_DIR/sampled_${MB}mb_s${SEED}"
CASES=(folded speedscope pprof pprof.gz pstats-text)
declare -A FILE=(
    [folded]="$BASE.folded" [speedscope]="$BASE.speedscope.json" [pprof]="$BASE.pprof"
    [pprof.gz]="$BASE.pprof.gz" [pstats-text]="$BASE.pstats.txt")
declare -A TARGET=([folded]=100 [speedscope]=100 [pprof]=100 [pprof.gz]="" [pstats-text]=50)
gen folded "${FILE[folded]}"
gen speedscope "${FILE[speedscope]}"
gen pprof "${FILE[pprof]}"
gen pprof "${FILE[pprof.gz]}" --gzip
gen text "${FILE[pstats-text]}"

resolve_profdiff

# ------------------------------------------------------------------ measure
START_LOAD="$(machine_line)"
log "$START_LOAD"
init_results bench_formats
group_reset
for c in "${CASES[@]}"; do
    "$PROFDIFF" show "${FILE[$c]}" --top 5 --color never > /dev/null  # warm-up: page cache, errors
    group_add "$c" "$PROFDIFF" show "${FILE[$c]}" --top 5 --color never
done
log "measuring ${#CASES[@]} files x $RUNS runs, interleaved"
group_run
END_LOAD="$(uptime | sed 's/.*load average: //')"

# ------------------------------------------------------------------ report
echo
echo "### profdiff show: parse throughput (median of $RUNS interleaved runs)"
echo
echo "$START_LOAD; at end: $END_LOAD"
echo "binary: $PROFDIFF ($("$PROFDIFF" --version))"
echo
echo "| input | MB parsed | on disk | wall s | MB/s (wall) | CPU s | MB/s (CPU) | peak RSS MB | target | met | load 1-min |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
for c in "${CASES[@]}"; do
    f="${FILE[$c]}"
    disk="$(file_mb "$f")"
    if [[ "$c" == pprof.gz ]]; then parsed="$(file_mb "${FILE[pprof]}")"; else parsed="$disk"; fi
    wall="$(med "$c" 1)"; rss="$(med "$c" 2)"; cpu="$(med "$c" 3)"
    awk -v c="$c" -v p="$parsed" -v d="$disk" -v w="$wall" -v u="$cpu" -v r="$rss" \
        -v t="${TARGET[$c]}" -v l="$(loads "$c")" 'BEGIN {
        mbw = p / w; mbc = (u > 0) ? sprintf("%.0f", p / u) : "n/a"
        tgt = (t == "") ? "-" : ">= " t; met = (t == "") ? "-" : ((mbw >= t) ? "yes" : "**no**")
        printf "| %s | %.1f | %.1f | %.3f | %.0f | %.2f | %s | %.1f | %s | %s | %s |\n",
            c, p, d, w, mbw, u, mbc, r / 1024, tgt, met, l }'
done
echo
echo "MB = 10^6 bytes; pprof.gz: MB parsed = uncompressed size. No peer tool is installed for these formats."
echo "raw runs: $RESULTS"
