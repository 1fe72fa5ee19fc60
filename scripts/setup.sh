#!/usr/bin/env bash
# One-step set-up: C++ dependencies (Debian), a Python venv for the core, and the `graphs`
# package (C++ core, extension, and the `graphs` program) built and installed into it.
# Idempotent and quick when nothing changed: the venv is cached by the hash of pyproject.toml,
# the C++ build directory is kept (build/py) and ccache covers fresh clones.
# Result: .venv/bin/graphs (and `import graphs` in .venv/bin/python).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install_deps.sh

cache="${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}"
py="${PYTHON:-python3}"
key=$( { cat pyproject.toml; "$py" --version; } | sha256sum | cut -c1-12)
venv="$cache/venv-core-$key"
if [[ ! -f "$venv/.complete" ]]; then
  echo "graphs: creating $venv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "scikit-build-core>=0.10" "pybind11>=2.10" ninja pytest numpy
  touch "$venv/.complete"
fi
ln -sfn "$venv" .venv
export CCACHE_DIR="${CCACHE_DIR:-$cache/ccache}"
bash scripts/install_package.sh .venv
