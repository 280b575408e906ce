#!/usr/bin/env bash
# bench_callgrind.sh -- profdiff vs. the tools people use on callgrind files:
# callgrind_annotate (reading) and pyprof2calltree (converting pstats).
#
# Inputs (kept in $PROFDIFF_BENCH_DIR, made when missing):
#   big.prof        benches/gen_large_pstats.py, 100k functions x 14 callers
#                   (~56 MB, 1.43M caller edges; --callers 14 so that
#                   profdiff's conversion is >= 60 MB)
#   big.profdiff    `profdiff convert big.prof` (~65 MB, compressed names)
#   big.p2c         `pyprof2calltree -i big.prof` (~150 MB, no compression)
#   valgrind        valgrind --tool=callgrind --dump-instr=yes on
#                   /usr/bin/python3 -S -E benches/callgrind_workload.py
#                   (~4 MB, `positions: instr line`; skipped without valgrind)
#   fixture         fixtures/callgrind/python_instr.callgrind (1.8 MB, committed)
# Comparisons (each group interleaved, see benches/common.sh):
#   show     profdiff show FILE --top 20 --color never > /dev/null
#       vs.  callgrind_annotate FILE > /dev/null
#       and  callgrind_annotate --inclusive=yes FILE > /dev/null
#            targets: >= 20x faster (wall), peak RSS <= 30% of callgrind_annotate's
#   convert  profdiff convert big.prof -o OUT.callgrind
#       vs.  pyprof2calltree -i big.prof -o OUT2.callgrind   (target >= 20x faster)
# Reported: medians of wall time, CPU time (user+sys) and peak RSS, ratios
# (peer / profdiff for time; profdiff / peer for RSS) and the 1-minute load.
#
# Usage: bash benches/bench_callgrind.sh [--runs N] [--no-build] [--only show|convert]
#   --runs N     runs of every command (default 5; callgrind_annotate takes
#                ~30-60 s per run on the big files, the whole script ~20 min)
#   --no-build   do not run `cargo build --release` first
#   --only WHAT  run only the `show` or the `convert` comparison
# Env:   PROFDIFF_BENCH_DIR      inputs (default ${TMPDIR:-/tmp}/profdiff-bench,
#                                shared with bench.sh; reused when present,
#                                delete a file to regenerate it)
#        PROFDIFF_BIN            benchmark this binary (default: the repo's
#                                target/release/profdiff; setting it skips the build)
#        PYTHON                  interpreter for the generator (default python3)
#        BENCH_FUNCTIONS / BENCH_CALLERS / BENCH_SEED  generator parameters
#                                (default 100000 / 14 / 1)
#        PROFDIFF_FIXTURE_CACHE  where the pyprof2calltree venv lives (default
#                                ~/.cache/profdiff-fixtures; the same venv as
#                                fixtures/callgrind/make_callgrind_fixtures.sh)
#        P2C_BASE_PYTHON         interpreter for that venv (default: pyenv's
#                                newest CPython 3.11 under $PYENV_ROOT, else python3)
# Needs: bash >= 5, GNU time, callgrind_annotate (valgrind), python3; PyPI
#        once to install the pinned pyprof2calltree
#        (fixtures/callgrind/requirements-pyprof2calltree.txt); valgrind for
#        the `valgrind` input. No other network access.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${PROFDIFF_BENCH_DIR:-${TMPDIR:-/tmp}/profdiff-bench}"
FUNCTIONS="${BENCH_FUNCTIONS:-100000}"
CALLERS="${BENCH_CALLERS:-14}"
SEED="${BENCH_SEED:-1}"
CACHE="${PROFDIFF_FIXTURE_CACHE:-$HOME/.cache/profdiff-fixtures}"
PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
RUNS=5
BUILD=1
ONLY=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --only) ONLY="$2"; shift 2 ;;
        -h|--help) sed -n '2,46p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$ONLY" in ""|show|convert) ;; *) echo "--only takes show or convert" >&2; exit 2 ;; esac
# shellcheck source=benches/common.sh
source "$ROOT/benches/common.sh"

command -v callgrind_annotate >/dev/null 2>&1 || die "callgrind_annotate not found (apt-get install -y valgrind)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/profdiff-bench-run.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$BENCH_DIR"
resolve_profdiff

# ------------------------------------------------------ pyprof2calltree venv
# Same venv, stamp and pinned requirements as make_callgrind_fixtures.sh, so
# an existing fixture venv is reused as is.
P2C_REQ="$ROOT/fixtures/callgrind/requirements-pyprof2calltree.txt"
p2c_base_python() {
    if [[ -n "${P2C_BASE_PYTHON:-}" ]]; then printf '%s\n' "$P2C_BASE_PYTHON"; return; fi
    local best
    best="$(ls -d "$PYENV_ROOT/versions/3.11".* 2>/dev/null | grep -E '/3\.11\.[0-9]+$' | sort -V | tail -n 1 || true)"
    if [[ -n "$best" && -x "$best/bin/python" ]]; then printf '%s\n' "$best/bin/python"; else command -v python3; fi
}
make_p2c_venv() {
    local base dir="$CACHE/venvs/pyprof2calltree-py311" want have=""
    base="$(p2c_base_python)"
    want="$("$base" -c 'import sys; print(sys.version)' | head -n 1) $(sha256sum "$P2C_REQ" | cut -d' ' -f1)"
    [[ -f "$dir/.profdiff-stamp" ]] && have="$(cat "$dir/.profdiff-stamp")"
    if [[ "$have" != "$want" ]]; then
        log "creating virtualenv $dir ($base)"
        rm -rf "$dir"
        mkdir -p "$CACHE/venvs"
        "$base" -m venv "$dir"
        "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$P2C_REQ"
        "$dir/bin/python" -m pip check >/dev/null
        printf '%s\n' "$want" > "$dir/.profdiff-stamp"
    fi
    printf '%s\n' "$dir/bin/python"
}
P2C_PY="$(make_p2c_venv)"
P2C_VERSION="$("$P2C_PY" -m pip freeze 2>/dev/null | grep -i '^pyprof2calltree==' || echo pyprof2calltree)"

# ------------------------------------------------------------------ inputs
BIG="$BENCH_DIR/large_before_f${FUNCTIONS}_c${CALLERS}_s${SEED}"   # same naming as bench.sh
if [[ ! -s "$BIG.prof" ]]; then
    log "generating $BIG.prof"
    "$PYTHON" "$ROOT/benches/gen_large_pstats.py" "$BIG.prof.tmp" \
        --functions "$FUNCTIONS" --callers "$CALLERS" --seed "$SEED"
    mv "$BIG.prof.tmp" "$BIG.prof"
fi
if [[ ! -s "$BIG.profdiff.callgrind" ]]; then
    log "profdiff convert -> $BIG.profdiff.callgrind"
    "$PROFDIFF" convert "$BIG.prof" -o "$BIG.profdiff.callgrind.tmp"
    mv "$BIG.profdiff.callgrind.tmp" "$BIG.profdiff.callgrind"
fi
if [[ ! -s "$BIG.p2c.callgrind" ]]; then
    log "pyprof2calltree -> $BIG.p2c.callgrind"
    "$P2C_PY" -m pyprof2calltree -i "$BIG.prof" -o "$BIG.p2c.callgrind.tmp" > /dev/null
    mv "$BIG.p2c.callgrind.tmp" "$BIG.p2c.callgrind"
fi
VG="$BENCH_DIR/valgrind_python_instr.callgrind"
VG_NOTE=""
if [[ ! -s "$VG" ]]; then
    SYS_PY="$(readlink -f /usr/bin/python3 2>/dev/null || true)"
    if command -v valgrind >/dev/null 2>&1 && [[ -x "$SYS_PY" ]]; then
        log "valgrind --tool=callgrind --dump-instr=yes $SYS_PY -S -E callgrind_workload.py (~10-30 s)"
        (cd "$TMP" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" LANG=C.UTF-8 \
            PYTHONHASHSEED=0 valgrind -q --tool=callgrind --dump-instr=yes \
            --callgrind-out-file="$VG.tmp" "$SYS_PY" -S -E "$ROOT/benches/callgrind_workload.py" > /dev/null)
        mv "$VG.tmp" "$VG"
    else
        VG_NOTE="valgrind or /usr/bin/python3 missing: the valgrind input was skipped"
        log "$VG_NOTE"
    fi
fi
FIXTURE="$ROOT/fixtures/callgrind/python_instr.callgrind"

SHOW_CASES=()
declare -A SHOW_FILE=([big.profdiff]="$BIG.profdiff.callgrind" [big.p2c]="$BIG.p2c.callgrind"
                      [valgrind]="$VG" [fixture]="$FIXTURE")
for c in big.profdiff big.p2c valgrind fixture; do
    [[ -s "${SHOW_FILE[$c]}" ]] && SHOW_CASES+=("$c")
done
for c in big.profdiff big.p2c; do
    mb="$(file_mb "${SHOW_FILE[$c]}")"
    awk -v m="$mb" 'BEGIN {exit !(m < 60)}' && log "warning: ${SHOW_FILE[$c]} is only $mb MB (< 60 MB)"
done

START_LOAD="$(machine_line)"
log "$START_LOAD"
init_results bench_callgrind

# ------------------------------------------------------------------ measure
# ratio A B -> "A/Bx" ("n/a" when B is 0: GNU time's CPU times have 10 ms resolution)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "n/a"}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f", 100 * a / b; else print "n/a"}'; }
meets() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "yes" : "**no**"}'; }

SHOW_ROWS=(); CONVERT_ROWS=()
if [[ "$ONLY" != convert ]]; then
    for c in "${SHOW_CASES[@]}"; do
        f="${SHOW_FILE[$c]}"
        log "show: $c ($(file_mb "$f") MB), $RUNS interleaved runs of 3 commands"
        "$PROFDIFF" show "$f" --top 20 --color never > /dev/null   # warm-up, fails early
        cat "$f" > /dev/null                                        # page cache for the peers
        group_reset
        group_add "pd_$c" "$PROFDIFF" show "$f" --top 20 --color never
        group_add "ca_$c" callgrind_annotate "$f"
        group_add "cai_$c" callgrind_annotate --inclusive=yes "$f"
        (cd "$TMP" && group_run)
        SHOW_ROWS+=("$c")
    done
fi
if [[ "$ONLY" != show ]]; then
    log "convert: $(file_mb "$BIG.prof") MB pstats, $RUNS interleaved runs of 2 commands"
    group_reset
    group_add pd_convert "$PROFDIFF" convert "$BIG.prof" -o "$TMP/out.callgrind"
    group_add p2c_convert "$P2C_PY" -m pyprof2calltree -i "$BIG.prof" -o "$TMP/out2.callgrind"
    group_run
    CONVERT_ROWS+=(convert)
fi
END_LOAD="$(uptime | sed 's/.*load average: //')"

# ------------------------------------------------------------------ report
echo
echo "### callgrind: profdiff vs. callgrind_annotate and pyprof2calltree (median of $RUNS interleaved runs)"
echo
echo "$START_LOAD; at end: $END_LOAD"
echo "binary: $PROFDIFF ($("$PROFDIFF" --version)); $(callgrind_annotate --version 2>&1 | head -n 1); $P2C_VERSION"
[[ -n "$VG_NOTE" ]] && echo "$VG_NOTE"
if [[ ${#SHOW_ROWS[@]} -gt 0 ]]; then
    echo
    echo "\`profdiff show FILE --top 20\` vs \`callgrind_annotate FILE\` (self) and \`--inclusive=yes\` (incl); times in s, RSS in MB"
    echo
    echo "| input | MB | profdiff wall | annotate wall (self / incl) | speedup wall (self / incl) | speedup CPU (self / incl) | profdiff RSS | annotate RSS (self / incl) | RSS % of annotate | >= 20x | <= 30% RSS | load 1-min |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    for c in "${SHOW_ROWS[@]}"; do
        pw="$(med "pd_$c" 1)"; pr="$(med "pd_$c" 2)"; pc="$(med "pd_$c" 3)"
        aw="$(med "ca_$c" 1)"; ar="$(med "ca_$c" 2)"; ac="$(med "ca_$c" 3)"
        iw="$(med "cai_$c" 1)"; ir="$(med "cai_$c" 2)"; ic="$(med "cai_$c" 3)"
        sw="$(ratio "$aw" "$pw")"; swi="$(ratio "$iw" "$pw")"
        sc="$(ratio "$ac" "$pc")"; sci="$(ratio "$ic" "$pc")"
        rp="$(pct "$pr" "$ar")"; rpi="$(pct "$pr" "$ir")"
        minspeed="$(awk -v a="$sw" -v b="$swi" 'BEGIN {print (a < b) ? a : b}')"
        maxrss="$(awk -v a="$rp" -v b="$rpi" 'BEGIN {print (a > b) ? a : b}')"
        printf '| %s | %s | %.3f | %.2f / %.2f | %s / %s | %s / %s | %.1f | %.0f / %.0f | %s%% / %s%% | %s | %s | %s |\n' \
            "$c" "$(file_mb "${SHOW_FILE[$c]}")" "$pw" "$aw" "$iw" "$sw" "$swi" "$sc" "$sci" \
            "$(awk -v k="$pr" 'BEGIN {print k / 1024}')" \
            "$(awk -v k="$ar" 'BEGIN {print k / 1024}')" "$(awk -v k="$ir" 'BEGIN {print k / 1024}')" \
            "$rp" "$rpi" "$(meets "$minspeed" ">=" 20)" "$(meets "$maxrss" "<=" 30)" \
            "$(loads "pd_$c" "ca_$c" "cai_$c")"
    done
fi
if [[ ${#CONVERT_ROWS[@]} -gt 0 ]]; then
    echo
    echo "\`profdiff convert big.prof -o OUT\` vs \`pyprof2calltree -i big.prof -o OUT2\` ($(file_mb "$BIG.prof") MB pstats, ${FUNCTIONS} functions; times in s, RSS in MB)"
    echo
    echo "| | profdiff | pyprof2calltree | ratio | target | met |"
    echo "|---|---:|---:|---:|---|---|"
    pw="$(med pd_convert 1)"; pr="$(med pd_convert 2)"; pc="$(med pd_convert 3)"
    qw="$(med p2c_convert 1)"; qr="$(med p2c_convert 2)"; qc="$(med p2c_convert 3)"
    sw="$(ratio "$qw" "$pw")"
    printf '| wall | %.3f | %.2f | %s faster | >= 20x | %s |\n' "$pw" "$qw" "$sw" "$(meets "$sw" ">=" 20)"
    printf '| CPU | %.2f | %.2f | %s faster | | |\n' "$pc" "$qc" "$(ratio "$qc" "$pc")"
    printf '| peak RSS | %.1f | %.1f | %s%% | | |\n' "$(awk -v k="$pr" 'BEGIN {print k / 1024}')" \
        "$(awk -v k="$qr" 'BEGIN {print k / 1024}')" "$(pct "$pr" "$qr")"
    printf '| output MB | %s | %s | | | |\n' "$(file_mb "$TMP/out.callgrind")" "$(file_mb "$TMP/out2.callgrind")"
    echo
    echo "load 1-min during the convert runs: $(loads pd_convert p2c_convert)"
fi
echo
echo "raw runs: $RESULTS"
