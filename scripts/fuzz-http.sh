#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser with libFuzzer + AddressSanitizer.
#
# Builds the package's HTTPParserFuzz target (on ErrandHTTPCore) with -sanitize=fuzzer,address -DFUZZING in its own
# scratch path, then runs it on a scratch copy of the committed seed corpus with the HTTP dictionary. The ordinary
# build of the same target replays the seed corpus in scripts/test.sh.
#
#   scripts/fuzz-http.sh                 # 1,000,000 runs
#   RUNS=0 scripts/fuzz-http.sh          # run until stopped (or a crash)
#   FUZZ_OUT=/tmp/fuzz scripts/fuzz-http.sh -max_total_time=60   # extra arguments go to libFuzzer
#
# Exit status is libFuzzer's: non-zero if it found a crash (the reproducer is left in $FUZZ_OUT).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/fuzz-out/http}
runs=${RUNS:-1000000}

mkdir -p "$out/corpus"
cd "$root"
echo "Building the fuzz target HTTPParserFuzz with libFuzzer (scratch path $out/build) ..."
swift build -c release --product HTTPParserFuzz --scratch-path "$out/build" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -g </dev/null
cp "$out/build/release/HTTPParserFuzz" "$out/http-parser-fuzz"

cd "$out"
echo "Fuzzing: runs=$runs, corpus=$out/corpus (+ seeds in Fuzz/corpus/http)"
exec "$out/http-parser-fuzz" -dict="$root/Fuzz/http.dict" -runs="$runs" -max_len=2048 \
    -print_final_stats=1 "$@" "$out/corpus" "$root/Fuzz/corpus/http"
