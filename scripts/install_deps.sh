#!/usr/bin/env bash
# Installs the C++ build dependencies from Debian's packages (idempotent: quick when present).
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config
      libonnx-dev libprotobuf-dev protobuf-compiler libyaml-cpp-dev nlohmann-json3-dev
      libcli11-dev libfmt-dev libgtest-dev libgmock-dev libsqlite3-dev
      chromium)  # chromium: tests/python/test_html_report.py renders the HTML reports headless
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "graphs: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
