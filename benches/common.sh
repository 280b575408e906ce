# common.sh -- helpers sourced by benches/bench_callgrind.sh and
# benches/bench_formats.sh (not run on its own).
#
# Timing model: every command runs under GNU time (`/usr/bin/time -f
# '%M %U %S'`, peak RSS and CPU seconds) and the wall clock is taken around
# it with bash's $EPOCHREALTIME (microseconds; GNU time's %e has only 10 ms
# resolution). The commands of one comparison are *interleaved*: run i
# executes every command once, starting with a different command each run,
# so a burst of load from other jobs hits all of them alike. Reported
# figures are medians over the runs. The 1-minute load average is sampled
# before every run; its min/max over a case is printed beside the numbers
# (this machine may be shared: read CPU seconds when wall times look noisy).
#
# Every run is also appended to $RESULTS (tab-separated: command name, run,
# wall s, peak RSS KiB, CPU s, 1-min load, argv), by default
# $BENCH_DIR/results/<script>-<date>.tsv, so the medians can be checked.
#
# Callers set: RUNS, TMP (scratch dir), BENCH_DIR, and may set PYTHON.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ -n "${EPOCHREALTIME:-}" ]] || die "bash >= 5 needed (\$EPOCHREALTIME)"
[[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' true 2>/dev/null \
    || die "GNU time needed at /usr/bin/time (apt-get install -y time)"

# median: one number per line on stdin -> the median ("n/a" when empty).
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
minmax() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {if (NR==0) print "n/a"; else print lo "-" hi}'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# run_once NAME CMD... : one timed run; appends "wall rss_kib cpu_s load1"
# to $TMP/NAME.runs. stdout goes to /dev/null; a failure prints stderr and exits.
run_once() {
    local name="$1"; shift
    local l t0 t1 rss usr sys
    l="$(load1)"
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f '%M %U %S' -o "$TMP/$name.time" "$@" > /dev/null 2> "$TMP/$name.err"; then
        cat "$TMP/$name.err" >&2
        die "failed: $*"
    fi
    t1=$EPOCHREALTIME
    read -r rss usr sys < <(tail -n 1 "$TMP/$name.time")
    awk -v a="$t0" -v b="$t1" -v r="$rss" -v u="$usr" -v s="$sys" -v l="$l" \
        'BEGIN {printf "%.6f %d %.2f %s\n", b - a, r, u + s, l}' >> "$TMP/$name.runs"
    if [[ -n "${RESULTS:-}" ]]; then
        printf '%s\t%s\t%s\t%s\n' "$name" "$(wc -l < "$TMP/$name.runs")" \
            "$(tail -n 1 "$TMP/$name.runs" | tr ' ' '\t')" "$*" >> "$RESULTS"
    fi
}

# Commands of a group are registered, then run interleaved:
#   group_reset; group_add NAME CMD...; ...; group_run
# A registered command is stored as a NUL-separated argv in $TMP/NAME.argv.
GROUP=()
group_reset() { GROUP=(); }
group_add() {
    local name="$1"; shift
    printf '%s\0' "$@" > "$TMP/$name.argv"
    : > "$TMP/$name.runs"
    GROUP+=("$name")
}
group_run() {
    local n=${#GROUP[@]} i k name
    local -a argv
    for ((i = 0; i < RUNS; i++)); do
        for ((k = 0; k < n; k++)); do
            name="${GROUP[$(((i + k) % n))]}"
            mapfile -d '' argv < "$TMP/$name.argv"
            run_once "$name" "${argv[@]}"
        done
        log "  run $((i + 1))/$RUNS done (load $(load1))"
    done
}

# med NAME FIELD -> median of a column (1 wall s, 2 rss KiB, 3 cpu s) of NAME's runs.
med() { awk -v f="$2" '{print $f}' "$TMP/$1.runs" | median; }
# loads NAME... -> "min-max" of the 1-minute load over those commands' runs.
loads() { local n; for n in "$@"; do awk '{print $4}' "$TMP/$n.runs"; done | minmax; }

# release_binary: where `cargo build --release` puts profdiff, honouring
# CARGO_TARGET_DIR (relative values are relative to the repository root,
# where cargo runs).
release_binary() {
    local target="${CARGO_TARGET_DIR:-$ROOT/target}"
    [[ "$target" == /* ]] || target="$ROOT/$target"
    printf '%s\n' "$target/release/profdiff"
}

# resolve_profdiff: sets PROFDIFF (PROFDIFF_BIN, else the repo's release
# build, in CARGO_TARGET_DIR if set, built unless --no-build).
resolve_profdiff() {
    if [[ -n "${PROFDIFF_BIN:-}" ]]; then
        PROFDIFF="$PROFDIFF_BIN"
    else
        PROFDIFF="$(release_binary)"
        if [[ "${BUILD:-1}" == 1 ]]; then
            log "cargo build --release (in $ROOT)"
            (cd "$ROOT" && cargo build --release >&2) || die "cargo build failed"
        fi
    fi
    [[ -x "$PROFDIFF" ]] || die "$PROFDIFF not found (build it or set PROFDIFF_BIN)"
    log "profdiff: $PROFDIFF ($("$PROFDIFF" --version))"
}

# file_mb FILE -> size in MB (10^6 bytes), one decimal.
file_mb() { awk -v b="$(wc -c < "$1")" 'BEGIN {printf "%.1f", b / 1e6}'; }

# init_results SCRIPT_NAME: sets RESULTS (unless set) and writes its header.
init_results() {
    if [[ -z "${RESULTS:-}" ]]; then
        mkdir -p "$BENCH_DIR/results"
        RESULTS="$BENCH_DIR/results/$1-$(date +%Y%m%d-%H%M%S).tsv"
    fi
    printf '# %s %s\n' "$1" "$(machine_line)" >> "$RESULTS"
    printf 'name\trun\twall_s\trss_kib\tcpu_s\tload1\targv\n' >> "$RESULTS"
    log "raw runs: $RESULTS"
}

machine_line() {
    printf 'machine: %s cores, %s; load at start: %s\n' "$(nproc)" \
        "$(uname -sr)" "$(uptime | sed 's/.*load average: //')"
}
