#!/usr/bin/env bash
# CI smoke test: builds every fuzz target, then fuzzes each one in turn for
# a few seconds (default 20, or the first argument), one process at a time.
# Exits non-zero if any target crashes, panics, hangs (-timeout) or runs out
# of memory (-rss_limit_mb). Needs nightly Rust and cargo-fuzz.
#
#   fuzz/smoke.sh        # 20 s per target
#   fuzz/smoke.sh 60     # 60 s per target
set -euo pipefail

seconds=${1:-20}
fuzz=$(cd "$(dirname "$0")" && pwd)
targets=(pstats pstats_text importtime callgrind folded speedscope pprof gzip snapshot detect_and_load roundtrip)

# Seed the corpora if they are missing.
[[ -d $fuzz/corpus/pstats ]] || "$fuzz/seed.sh"

cargo +nightly fuzz build --fuzz-dir "$fuzz"

# With -jobs, libFuzzer writes the run's output to fuzz-0.log in the current
# directory: keep those logs out of the work tree.
logs=$fuzz/artifacts/logs
mkdir -p "$logs"
failed=()
for target in "${targets[@]}"; do
    echo "== $target: ${seconds}s"
    if (cd "$logs" && cargo +nightly fuzz run --fuzz-dir "$fuzz" "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -jobs=1 -workers=1 >"$target.out" 2>&1); then
        grep -h 'DONE\|stat::number_of_executed_units' "$logs/fuzz-0.log" || true
        mv "$logs/fuzz-0.log" "$logs/$target.log"
    else
        failed+=("$target")
        mv "$logs/fuzz-0.log" "$logs/$target.log" 2>/dev/null || true
        tail -n 40 "$logs/$target.log" "$logs/$target.out" 2>/dev/null || true
        echo "!! $target failed; reproducers are in $fuzz/artifacts/$target/"
    fi
done

if ((${#failed[@]})); then
    echo "fuzz smoke test failed: ${failed[*]}"
    exit 1
fi
echo "fuzz smoke test passed: ${#targets[@]} targets, ${seconds}s each"
