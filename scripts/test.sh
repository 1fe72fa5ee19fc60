#!/usr/bin/env bash
# Runs every test: the C++ suite (GoogleTest via ctest) and the Python suite (pytest), the latter
# on real ONNX exports of torchvision and transformers models (built with random weights and
# cached by tools/export_models.py). Idempotent; quick when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}"
# One compiler cache for the three builds below (core venv, ctest build, dev venv), with paths
# relative to the checkout so that their different build directories share hits.
export CCACHE_DIR="${CCACHE_DIR:-$cache/ccache}" CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
bash scripts/setup.sh

echo "== layers (includes point down) =="
bash scripts/check_layers.sh

echo "== Python venv and generated fixtures =="
bash scripts/python_env.sh

echo "== lint (ruff; mypy, strict on python/graphs; settings in pyproject.toml) =="
# The mypy cache (torch's types: ~30 s cold, ~1 s warm) lives with the other caches.
.venv-dev/bin/ruff check python tests/python tools
MYPY_CACHE_DIR="$cache/mypy" .venv-dev/bin/mypy

# onnx 1.20.x's backend conformance models and the ai.onnx.ml fixture tools (a small cached venv).
bash scripts/conformance_env.sh >/dev/null
# ONNX Runtime optimizer outputs of tiny transformers models (cached, never committed).
GRAPHS_MS_FUSION_DIR=$(.venv-dev/bin/python tools/make_ms_fusion_fixtures.py)
export GRAPHS_MS_FUSION_DIR GRAPHS_REQUIRE_MODELS=1

echo "== C++ tests (GoogleTest) =="
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev -j"$(nproc)"

echo "== fuzz (seeded mutations, fixed budget; an hour each: bench/fuzz.sh) =="
./build/dev/graphs_fuzz protocol --seconds 20 --seed "${GRAPHS_FUZZ_SEED:-1}" --crash-dir build/fuzz-crashes
./build/dev/graphs_fuzz importer tests/data/quantized/*.onnx --seconds 20 --seed "${GRAPHS_FUZZ_SEED:-1}" \
  --crash-dir build/fuzz-crashes

echo "== models and Python tests (pytest) =="
bash scripts/install_package.sh .venv-dev
models_dir=$(.venv-dev/bin/python tools/export_models.py --print-dir)
.venv-dev/bin/python tools/export_models.py
export GRAPHS_MODELS_DIR="$models_dir" GRAPHS_REQUIRE_MODELS=1
export GRAPHS_BIN="$root/.venv-dev/bin/graphs"
.venv-dev/bin/python -m pytest tests/python -q -p no:cacheprovider
