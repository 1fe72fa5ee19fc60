#!/usr/bin/env bash
# Create or reuse the small venv that holds ONNX's backend conformance data (onnx 1.20.x) and the
# ai.onnx.ml fixture tools (scikit-learn, skl2onnx, ONNX Runtime): requirements/conformance.txt.
#
# The venv lives at ${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/venv-conformance-<key>, where <key>
# is the first 12 hex digits of sha256(requirements/conformance.txt + Python version). A stamp
# written after a successful install makes a second run a no-op; an flock serializes installers.
#
# Usage:
#   bash scripts/conformance_env.sh            install if needed; print the venv path (last line)
#   bash scripts/conformance_env.sh --data-dir install if needed; print the directory of the
#                                              backend test data (onnx/backend/test/data)
#   bash scripts/conformance_env.sh --check    install nothing: print the venv path when it is
#                                              ready, else exit 1 (what the tests use to find it)
#
# Environment: GRAPHS_CACHE_DIR (cache root), PYTHON (interpreter, default python3).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo/requirements/conformance.txt"
python="${PYTHON:-python3}"
cache="${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}"
mode="${1:-}"

log() { printf 'conformance_env: %s\n' "$*" >&2; }

case "$mode" in
  ""|--data-dir|--check) ;;
  *) log "unknown option '$mode'; use --data-dir or --check"; exit 2 ;;
esac
if ! command -v "$python" >/dev/null 2>&1; then
  log "interpreter '$python' not found; set PYTHON"
  exit 2
fi
[[ -f "$req" ]] || { log "missing $req"; exit 2; }

pyver="$("$python" -c 'import platform; print(platform.python_version() + "-" + platform.machine())')"
key="$({ cat "$req"; printf '%s\n' "$pyver"; } | sha256sum | cut -c1-12)"
venv="$cache/venv-conformance-$key"
stamp="$venv/.graphs-env-complete"

ready() { [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -x "$venv/bin/python" ]]; }

answer() {
  if [[ "$mode" == "--data-dir" ]]; then
    "$venv/bin/python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data"))'
  else
    echo "$venv"
  fi
}

if [[ "$mode" == "--check" ]]; then
  ready || { log "not installed: run bash scripts/conformance_env.sh"; exit 1; }
  answer
  exit 0
fi
if ready; then
  answer
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/venv-conformance-$key.lock"
flock 9
if ready; then
  answer
  exit 0
fi

start=$SECONDS
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c 'pass' >/dev/null 2>&1; then
  log "removing broken venv $venv"
  rm -rf "$venv"
fi
[[ -d "$venv" ]] || "$python" -m venv "$venv"
log "installing $req"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install --no-input --progress-bar off -r "$req" >&2
"$venv/bin/python" - >&2 <<'PY'
import os, onnx, onnxruntime, sklearn, skl2onnx
data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
n = sum(1 for root, _, files in os.walk(data) if "model.onnx" in files)
print("conformance_env: onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__,
      "scikit-learn", sklearn.__version__, "skl2onnx", skl2onnx.__version__, "models", n)
PY
printf '%s\n' "$key" >"$stamp"
log "ready in $((SECONDS - start)) s"
answer
