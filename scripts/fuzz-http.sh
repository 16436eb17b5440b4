#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser with libFuzzer + AddressSanitizer.
#
# Builds Fuzz/HTTPParserFuzz/main.swift together with the parser's sources (outside the package build:
# `swift build` never sees it), then runs it on a scratch copy of the committed seed corpus with the
# HTTP dictionary. Not part of the test suite.
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
sources=$root/Sources/ErrandHTTP

mkdir -p "$out/corpus"
echo "Building the fuzz target in $out ..."
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name HTTPParserFuzz \
    "$root/Fuzz/HTTPParserFuzz/main.swift" \
    "$sources/HTTPRequestParser.swift" "$sources/HTTPRequestParser+Head.swift" \
    "$sources/HTTPRequestParser+Body.swift" "$sources/HTTPRequestFraming.swift" "$sources/HTTPRequestHead.swift" \
    "$sources/HTTPGrammar.swift" "$sources/HTTPParseError.swift" "$sources/HTTPHeaders.swift" \
    "$sources/HTTPResponse.swift" "$sources/HTTPServerConfiguration.swift" "$sources/SSEStream.swift" \
    "$sources/SSEEvent.swift" \
    -o "$out/http-parser-fuzz"

cd "$out"
echo "Fuzzing: runs=$runs, corpus=$out/corpus (+ seeds in Fuzz/corpus/http)"
exec "$out/http-parser-fuzz" -dict="$root/Fuzz/http.dict" -runs="$runs" -max_len=2048 \
    -print_final_stats=1 "$@" "$out/corpus" "$root/Fuzz/corpus/http"
