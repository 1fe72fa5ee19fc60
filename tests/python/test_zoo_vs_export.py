"""Differential test of the built-in zoo: each C++ builder against the ONNX export of the same
torchvision / transformers architecture (tools/export_models.py, random weights).

- Parameters: equal, except that eval-mode ONNX exports fold BatchNorm into the preceding Conv:
  the BatchNorm's weight and bias (2 × C) disappear and the Conv, which had no bias in
  torchvision, gains one (C), so the file holds exactly C fewer per BatchNorm. The zoo keeps
  BatchNorm nodes, whose parameter counts in `--per-node` output are those 2 × C (the running
  statistics are buffers, never parameters).
- MACs: within 0.5 % (the issue's bound); in practice they are equal.
"""

from __future__ import annotations

import pytest

from conftest import _unavailable, cli_dims, manifest, models_dir, run_graphs

# zoo name -> exported model name (manifest "model")
ZOO_TO_EXPORT = {
    "resnet18": "resnet18",
    "resnet34": "resnet34",
    "resnet50": "resnet50",
    "mobilenet_v2": "mobilenet_v2",
    "vit_b_16": "vit_b_16",
    "bert-base": "bert-base",
    "gpt2": "gpt2",
}
MACS_RTOL = 0.005
# Tied weights that an exporter may store twice: GPT-2's lm_head shares wte ([vocab, hidden]);
# the TorchScript-based exporter writes the transposed copy as an initializer of its own.
UNTIED_COPY = {"gpt2": 50257 * 768}


def _exports_of(model: str) -> list[str]:
    m = manifest()
    if m is None:
        _unavailable(f"no exported models in {models_dir()}")
    return sorted(f for f, e in m["files"].items()
                  if e["model"] == model and e.get("status") == "ok")


@pytest.mark.parametrize("zoo_name", sorted(ZOO_TO_EXPORT))
def test_zoo_builder_matches_export(graphs, zoo_name):
    files = _exports_of(ZOO_TO_EXPORT[zoo_name])
    assert files, f"no successful export of {ZOO_TO_EXPORT[zoo_name]} to compare {zoo_name} with"
    zoo = run_graphs(graphs, "analyze", zoo_name, "--format", "json", "--per-node",
                     *cli_dims()).json()
    bn_params = sum(n["params"] for n in zoo["nodes"] if n["op_type"] == "BatchNormalization")
    folded = zoo["totals"]["params"] - bn_params // 2
    for f in files:
        onnx = run_graphs(graphs, "analyze", str(models_dir() / f), "--format", "json",
                          *cli_dims()).json()
        allowed = {zoo["totals"]["params"], folded}
        if zoo_name in UNTIED_COPY:
            allowed.add(zoo["totals"]["params"] + UNTIED_COPY[zoo_name])
        assert onnx["totals"]["params"] in allowed, (
            f"{f}: {onnx['totals']['params']} parameters; zoo {zoo_name} has "
            f"{zoo['totals']['params']} ({bn_params} in BatchNorm weight and bias)")
        if bn_params:
            # A file with BatchNorm folded holds no BatchNormalization node.
            assert onnx["totals"]["params"] == folded, f
        zoo_macs, onnx_macs = zoo["totals"]["macs"], onnx["totals"]["macs"]
        assert abs(zoo_macs - onnx_macs) <= MACS_RTOL * onnx_macs, (
            f"{f}: {onnx_macs:.6g} MACs, zoo {zoo_name} {zoo_macs:.6g}")
