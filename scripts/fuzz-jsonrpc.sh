#!/usr/bin/env bash
# Fuzzes the JSON-RPC/MCP decoding path (JSONParser.parse, JSONRPCMessage(json:) and (bytes:), with JSONWriter
# round trips) with libFuzzer + AddressSanitizer.
#
# Builds Fuzz/JSONRPCFuzz/main.swift together with the ErrandProtocol sources (outside the package build:
# `swift build` never sees it), then runs it on a scratch copy of the committed seed corpus with the
# JSON-RPC dictionary. Not part of the test suite.
#
#   scripts/fuzz-jsonrpc.sh                 # 1,000,000 runs
#   RUNS=0 scripts/fuzz-jsonrpc.sh          # run until stopped (or a crash)
#   FUZZ_OUT=/tmp/fuzz scripts/fuzz-jsonrpc.sh -max_total_time=60   # extra arguments go to libFuzzer
#
# Exit status is libFuzzer's: non-zero if it found a crash (the reproducer is left in $FUZZ_OUT).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$root/fuzz-out/jsonrpc}
runs=${RUNS:-1000000}
sources=$root/Sources/ErrandProtocol

mkdir -p "$out/corpus"
echo "Building the fuzz target in $out ..."
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name JSONRPCFuzz \
    "$root/Fuzz/JSONRPCFuzz/main.swift" \
    "$sources/JSONParser.swift" "$sources/JSONValue.swift" "$sources/JSONWriter.swift" \
    "$sources/JSONRPCMessage.swift" "$sources/JSONRPCError.swift" "$sources/JSONRPCID.swift" \
    -o "$out/jsonrpc-fuzz"

cd "$out"
echo "Fuzzing: runs=$runs, corpus=$out/corpus (+ seeds in Fuzz/corpus/jsonrpc)"
exec "$out/jsonrpc-fuzz" -dict="$root/Fuzz/jsonrpc.dict" -runs="$runs" -max_len=4096 \
    -print_final_stats=1 "$@" "$out/corpus" "$root/Fuzz/corpus/jsonrpc"
