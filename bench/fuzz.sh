#!/usr/bin/env bash
# The long fuzz runs of issue 16: an hour (or $1 seconds) each of the worker-protocol and the
# importer fuzzers (tests/fuzz/fuzz_main.cc), one line of figures each; a failure leaves its input
# in build/fuzz-crashes and exits 1. Usage: bench/fuzz.sh [SECONDS] [SEED]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-3600}"
seed="${2:-$(date +%s)}"
cmake --preset dev >/dev/null
cmake --build --preset dev --target graphs_fuzz >/dev/null
./build/dev/graphs_fuzz protocol --seconds "$seconds" --seed "$seed" --crash-dir build/fuzz-crashes
./build/dev/graphs_fuzz importer tests/data/quantized/*.onnx --seconds "$seconds" --seed "$seed" \
  --crash-dir build/fuzz-crashes
