#!/usr/bin/env bash
# Usage: check_layers.sh [ROOT] (default: this checkout).
# Fails when a source file under src/graphs/<layer>/ includes a header of a layer that is not
# below its own. The order (lowest first; folders on one line are peers and may not include each
# other) is the one docs/architecture.md states:
#   common < backends < ir < ops < onnx, zoo < analysis < hardware < estimate < parallel < pipeline
#     < report < sweep < bench < calibrate < history < validate < cli, bindings
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
declare -A rank=(
  [common]=0 [backends]=1 [ir]=2 [ops]=3 [onnx]=4 [zoo]=4 [analysis]=5 [hardware]=6
  [estimate]=7 [parallel]=8 [pipeline]=9 [report]=10 [sweep]=11 [bench]=12 [calibrate]=13
  [history]=14 [validate]=15 [cli]=16 [bindings]=16)
bad=0
for dir in "$root"/src/graphs/*/; do
  layer=$(basename "$dir")
  if [[ -z "${rank[$layer]+x}" ]]; then
    echo "check_layers: src/graphs/$layer has no place in the layer order (add it here and in docs/architecture.md)"
    bad=1
    continue
  fi
  while IFS=: read -r file line target; do
    [[ -z "$file" ]] && continue
    if [[ -z "${rank[$target]+x}" ]]; then
      echo "check_layers: ${file#"$root"/}:$line includes graphs/$target/, a folder with no place in the order"
      bad=1
    elif [[ "$target" != "$layer" && ${rank[$target]} -ge ${rank[$layer]} ]]; then
      echo "check_layers: ${file#"$root"/}:$line: $layer includes $target, which is not below it"
      bad=1
    fi
  done < <(grep -Hno '#include "graphs/[a-z_]*/' "$dir"*.h "$dir"*.cc 2>/dev/null |
           sed -E 's|^([^:]*):([0-9]*):#include "graphs/([a-z_]*)/|\1:\2:\3|')
done
if ((bad)); then
  echo "check_layers: includes must point down the layer order (docs/architecture.md)"
  exit 1
fi
echo "check_layers: every include points down the layer order"
