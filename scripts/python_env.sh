#!/usr/bin/env bash
# Create or reuse the venv for the project's Python tooling (ONNX export, model tests, bench)
# and link it as <repo>/.venv-dev (<repo>/.venv belongs to scripts/setup.sh's core venv).
#
# The venv lives at ${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/venv-<key>, where <key> is the
# first 12 hex digits of sha256(requirements/dev.txt + Python version). A stamp file written
# after a successful install makes a second run a no-op. Safe to run unattended (CI) and
# concurrently (an flock serializes installers). Prints the venv path on stdout (last line).
#
# Environment:
#   GRAPHS_CACHE_DIR  cache root (default $HOME/.cache/graphs)
#   PYTHON            interpreter to build the venv from (default python3; must be 3.11 for the
#                     torch/torchvision wheels that lie on the build machines' disk)
#   GRAPHS_DEV_VENV_LINK  link to create, relative to the repo (default .venv-dev)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo/requirements/dev.txt"
python="${PYTHON:-python3}"
cache="${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}"

log() { printf 'python_env: %s\n' "$*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "interpreter '$python' not found; set PYTHON to a Python 3.11 interpreter"
  exit 2
fi
[[ -f "$req" ]] || { log "missing $req"; exit 2; }

pyver="$("$python" -c 'import platform; print(platform.python_version() + "-" + platform.machine())')"
case "$pyver" in
  3.11.*) ;;
  *) log "warning: Python $pyver; the pinned torch/torchvision wheels on disk are for 3.11 (may download)";;
esac

key="$({ cat "$req"; printf '%s\n' "$pyver"; } | sha256sum | cut -c1-12)"
venv="$cache/venv-$key"
stamp="$venv/.graphs-env-complete"

link_venv() {
  local link="$repo/${GRAPHS_DEV_VENV_LINK:-.venv-dev}"
  if [[ -e "$link" && ! -L "$link" ]]; then
    log "warning: $link exists and is not a symlink; left alone (venv is at $venv)"
  else
    ln -sfn "$venv" "$link"
  fi
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -x "$venv/bin/python" ]]; then
  link_venv
  log "up to date"
  echo "$venv"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/venv-$key.lock"
flock 9
# Another run may have finished while we waited for the lock.
if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -x "$venv/bin/python" ]]; then
  link_venv
  log "up to date"
  echo "$venv"
  exit 0
fi

start=$SECONDS
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c 'pass' >/dev/null 2>&1; then
  log "removing broken venv $venv"
  rm -rf "$venv"
fi
if [[ ! -d "$venv" ]]; then
  log "creating $venv (Python $pyver)"
  "$python" -m venv "$venv"
fi

log "installing $req (first time: several GB, a few minutes)"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install --no-input --progress-bar off -r "$req" >&2

# Fail here, not later in a test, if an import is broken (e.g. torchvision ops vs torch).
"$venv/bin/python" - >&2 <<'PY'
import onnx, onnxruntime, onnxscript, onnx_tool, pytest, numpy, torch, torchvision, transformers
import openvino, torchao.quantization.pt2e.quantize_pt2e
print("python_env: torch", torch.__version__, "torchvision", torchvision.__version__,
      "transformers", transformers.__version__, "onnx", onnx.__version__,
      "onnxruntime", onnxruntime.__version__, "onnxscript", onnxscript.__version__,
      "openvino", openvino.__version__)
PY

printf '%s\n' "$key" >"$stamp"
link_venv
log "ready in $((SECONDS - start)) s"
echo "$venv"
