#!/usr/bin/env bash
# Builds the seed corpora, fuzz/corpus/<target>/, from the project's fixtures
# (files under 128 KiB, or SEED_MAX_BYTES: large seeds make every execution
# slow; gzipped fixtures are also unpacked for the targets that read plain
# text) plus a few hand-written snapshot files. Saved
# reproducers in fuzz/regressions/<target>-*.bin are added to their
# target's corpus. The corpus is not committed: run this again to rebuild it.
#
#   fuzz/seed.sh           # add seeds to existing corpora
#   fuzz/seed.sh --clean   # start the corpora afresh
#   SEED_MAX_BYTES=1048576 fuzz/seed.sh   # larger seeds too (slower fuzzing)
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
fixtures=$fuzz/../fixtures
corpus=$fuzz/corpus
max_bytes=${SEED_MAX_BYTES:-$((128 * 1024))}

if [[ ${1:-} == --clean ]]; then
    rm -rf "$corpus"
fi

targets=(pstats pstats_text importtime callgrind folded speedscope pprof gzip snapshot detect_and_load roundtrip)
for target in "${targets[@]}"; do
    mkdir -p "$corpus/$target"
done

# add TARGET FILE...: copy each existing file under the size limit, named
# after its path below fixtures/ so that files never collide.
add() {
    local target=$1 file name
    shift
    for file in "$@"; do
        [[ -f $file ]] || continue
        (($(stat -c %s "$file") < max_bytes)) || continue
        name=${file#"$fixtures"/}
        cp "$file" "$corpus/$target/${name//\//_}"
    done
}

# add_gunzipped TARGET FILE.gz...: the unpacked content, if under the limit.
add_gunzipped() {
    local target=$1 file name tmp
    shift
    for file in "$@"; do
        [[ -f $file ]] || continue
        name=${file#"$fixtures"/}
        name=${name%.gz}
        tmp=$corpus/$target/${name//\//_}
        gzip -dc "$file" >"$tmp"
        (($(stat -c %s "$tmp") < max_bytes)) || rm -f "$tmp"
    done
}

shopt -s nullglob

add pstats "$fixtures"/pstats/*.prof "$fixtures"/hints/*.prof "$fixtures"/seed/after.prof
add_gunzipped pstats "$fixtures"/realworld/small-seed1.prof.gz

add pstats_text "$fixtures"/text/*.txt "$fixtures"/seed/*.pstats.txt \
    "$fixtures"/realworld/black-24.8.0.top20.txt
add_gunzipped pstats_text "$fixtures"/text/seed_after_paired_cloudwatch.txt.gz \
    "$fixtures"/text/seed_after_paired_lambda.txt.gz

add importtime "$fixtures"/importtime/*.log

add callgrind "$fixtures"/callgrind/*.callgrind
add_gunzipped callgrind "$fixtures"/realworld/black-24.8.0.p2c.callgrind.gz

add folded "$fixtures"/folded/*.txt
add_gunzipped folded "$fixtures"/folded/*.txt.gz

add speedscope "$fixtures"/speedscope/*.json
add_gunzipped speedscope "$fixtures"/realworld/small-pyinstrument.json.gz

add pprof "$fixtures"/pprof/*.pprof "$fixtures"/pprof/*.pprof.gz

# The gzip target loads input that starts with the gzip magic as it is, and
# gzips anything else first: both kinds make useful seeds.
add gzip "$fixtures"/folded/*.gz "$fixtures"/pprof/*.gz "$fixtures"/text/seed_after.txt.gz \
    "$fixtures"/realworld/small-pyinstrument.json.gz "$fixtures"/realworld/black-24.8.0.p2c.callgrind.gz \
    "$fixtures"/pstats/cprofile_py311.prof "$fixtures"/text/recursive_cprofile_py311.txt \
    "$fixtures"/speedscope/pyspy_after.json "$fixtures"/callgrind/yappi_recursive.callgrind

# One or two small files of every format, for the detecting loader and the
# writers' round trip.
small=(
    "$fixtures"/pstats/cprofile_py311.prof "$fixtures"/pstats/profile_py27.prof
    "$fixtures"/pstats/yappi_py311.prof
    "$fixtures"/text/recursive_cprofile_py311.txt "$fixtures"/text/recursive_profile_py311.txt
    "$fixtures"/callgrind/yappi_recursive.callgrind "$fixtures"/callgrind/p2c_cprofile_py311.callgrind
    "$fixtures"/callgrind/profdiff_cprofile_py311.callgrind
    "$fixtures"/folded/pyspy_before.txt "$fixtures"/folded/pyspy_threads_after.txt
    "$fixtures"/speedscope/pyspy_before.json "$fixtures"/speedscope/pyinstrument_before.json
    "$fixtures"/pprof/austin_before.pprof "$fixtures"/pprof/austin_before.pprof.gz
)
add detect_and_load "${small[@]}" "$fixtures"/folded/pyspy_before.txt.gz
add roundtrip "${small[@]}"

add snapshot "$fixtures"/expectations/*.snapshot
s=$corpus/snapshot
printf '%s\n' '# profdiff snapshot v1' '# format: pstats  unit: seconds' \
    '# include: create_client|boto3' '# band: ±50%  noise floor: 1ms' \
    'boto3/session.py:client  calls = 1  incl ≈ 67.8ms ±50%' \
    'botocore/session.py:create_client  calls = 1  incl ≈ 67.7ms ±50%' >"$s/hand_band"
printf '%s\n' '# profdiff snapshot v1' '# format: pstats  unit: seconds' '# include: __hash__' \
    '# calls tolerance: ±2%' 'enum.py:__hash__  calls ≈ 3028 ±2%' \
    'enum.py:__eq__  calls ~ 10 +-5  self<=250us  incl >= 1s' >"$s/hand_tolerance"
printf '%s\n' '# profdiff snapshot v1' '# format: folded  unit: samples' '# exclude: ^main$' \
    '# band: ±25%  noise floor: 0' '"odd  name"  incl ≈ 7 ±10%' \
    '# a comment above a function' 'app.py:f  self < 5  incl>=1' 'app.py:g' >"$s/hand_samples"
printf '%s\n' '# profdiff snapshot v1' '# format: callgrind  unit: Ir' \
    'fib  calls >= 2  calls <= 100  self > 0' '"\u0007weird\tkey"  calls=1' >"$s/hand_event"

for target in "${targets[@]}"; do
    for file in "$fuzz"/regressions/"$target"-*.bin; do
        cp "$file" "$corpus/$target/"
    done
    echo "$target: $(find "$corpus/$target" -type f | wc -l) files"
done
