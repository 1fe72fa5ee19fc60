#!/usr/bin/env bash
# Builds and installs the graphs package into the venv given as $1 (incremental: the CMake build
# directory build/py-<venv hash> persists, so an unchanged tree rebuilds nothing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$1"
cd "$root"
"$venv/bin/python" -c "import scikit_build_core, pybind11" 2>/dev/null ||
  "$venv/bin/pip" install -q "scikit-build-core>=0.10" "pybind11>=2.10" ninja
tag=$(readlink -f "$venv" | sha256sum | cut -c1-8)
export CCACHE_DIR="${CCACHE_DIR:-${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/ccache}"
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  "$venv/bin/pip" install -q --no-build-isolation --no-deps \
  --config-settings=build-dir="build/py-$tag" . 
