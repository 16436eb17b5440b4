#!/usr/bin/env bash
# Fuzzes the JSON-RPC/MCP decoding path (JSONParser.parse, JSONRPCMessage(json:) and (bytes:), with JSONWriter
# round trips) with libFuzzer + AddressSanitizer.
#
# Builds the package's JSONRPCFuzz target (on ErrandProtocol) with -sanitize=fuzzer,address -DFUZZING in its own
# scratch path, then runs it on a scratch copy of the committed seed corpus with the JSON-RPC dictionary. The
# ordinary build of the same target replays the seed corpus in scripts/test.sh.
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

mkdir -p "$out/corpus"
cd "$root"
echo "Building the fuzz target JSONRPCFuzz with libFuzzer (scratch path $out/build) ..."
swift build -c release --product JSONRPCFuzz --scratch-path "$out/build" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -g </dev/null
cp "$out/build/release/JSONRPCFuzz" "$out/jsonrpc-fuzz"

cd "$out"
echo "Fuzzing: runs=$runs, corpus=$out/corpus (+ seeds in Fuzz/corpus/jsonrpc)"
exec "$out/jsonrpc-fuzz" -dict="$root/Fuzz/jsonrpc.dict" -runs="$runs" -max_len=4096 \
    -print_final_stats=1 "$@" "$out/corpus" "$root/Fuzz/corpus/jsonrpc"
