#!/usr/bin/env bash
# Create or reuse a separate venv for Alma (PyPI alma-torch 0.3.7), the multi-backend PyTorch
# benchmark that bench/alma_compare.py measures `graphs bench` against. Alma stays out of the
# project's venvs: it is a point of comparison, not a dependency.
#
# alma-torch 0.3.7 declares no dependencies at all; `import alma` needs tqdm, pydantic, optimum,
# optimum-quanto, onnx and onnxruntime (and onnxscript for torch.onnx's dynamo exporter), which
# are installed here by name. torch/torchvision are the releases on the build machines' disk
# (the same as requirements/dev.txt), so both tools run the same PyTorch.
#
# The venv is ${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/venv-alma-<key> (key: sha256 of this file
# + the Python version); prints its path on stdout (last line). PYTHON: interpreter (3.11).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
cache="${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}"
pyver="$("$python" -c 'import platform; print(platform.python_version())')"
key="$({ cat "$here/alma_venv.sh"; echo "$pyver"; } | sha256sum | cut -c1-12)"
venv="$cache/venv-alma-$key"
stamp="$venv/.alma-env-complete"
log() { printf 'alma_venv: %s\n' "$*" >&2; }

if [[ -f "$stamp" && -x "$venv/bin/python" ]]; then
  log "up to date"; echo "$venv"; exit 0
fi
mkdir -p "$cache"
[[ -d "$venv" ]] || "$python" -m venv "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1
log "installing alma-torch 0.3.7 and the dependencies it does not declare"
"$venv/bin/python" -m pip install --no-input --progress-bar off \
  torch==2.14.1 torchvision==0.29.1 alma-torch==0.3.7 \
  tqdm pydantic optimum optimum-quanto onnx onnxruntime onnxscript numpy >&2
"$venv/bin/python" -c "import alma, alma.conversions.select" >&2 || \
  log "note: 'import alma.conversions.select' fails on this torch (see bench/alma_compare.py)"
touch "$stamp"
log "ready: $venv"
echo "$venv"
