"""Calibrate and validate end to end on this machine, with real workers and no fake: `graphs
calibrate --quick` through PyTorch and ONNX Runtime into a temporary calibration directory, then
`graphs validate resnet18` (EAGER and ONNX_CPU, torchvision's resnet18 with random weights) with
that profile applied, JSON out and the history in a temporary database. No accuracy is asserted:
timings on a shared CI machine are noisy; the study is bench/accuracy (docs/accuracy.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from test_worker_driver import worker_env


@pytest.fixture(scope="module")
def calibrated(graphs, tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    tmp = tmp_path_factory.mktemp("calibrate")
    env = worker_env(test_conversions=False, GRAPHS_PYTHON=sys.executable,
                     GRAPHS_CALIBRATION_DIR=str(tmp / "calibration"),
                     GRAPHS_HISTORY_PATH=str(tmp / "history.sqlite"))
    p = subprocess.run([str(graphs), "calibrate", "--quick", "--threads", "1",
                        "--backends", "torch,onnxruntime", "--format", "json"],
                       capture_output=True, text=True, timeout=900, env=env)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}"
    return json.loads(p.stdout), env, tmp


def test_calibration_profile_has_every_class_per_backend(calibrated):
    profile, _, tmp = calibrated
    assert profile["schema_version"] == 2 and profile["kind"] == "graphs-calibration"
    assert profile["threads"] == 1 and profile["quick"] is True
    files = list((tmp / "calibration").glob("*.json"))
    assert [f.stem for f in files] == [profile["hardware_fingerprint"]]
    fitted = {(c["backend"], c["op_class"]) for c in profile["op_classes"]}
    for backend in ("torch_eager", "onnxruntime"):
        for cls in ("matmul", "conv", "pointwise_conv", "grouped_conv", "depthwise_conv",
                    "elementwise", "data_movement", "pooling", "reduction"):
            assert (backend, cls) in fitted, (backend, cls, profile["notes"])
    for c in profile["op_classes"]:
        assert c["fit"]["rate"] > 0 and c["samples"], c["op_class"]
        for s in c["samples"]:
            assert 0 < s["best_s"] <= s["median_s"]
        if c["work_unit"] == "flops":
            assert c["compute_memory_fit"] is not None
    assert profile["dispatch_overhead_s"]["torch_eager"] > 0
    assert profile["call_overhead_s"]["onnxruntime"] > 0
    assert {t["level"] for t in profile["memory_tiers"]} >= {"DRAM"}


def test_validate_predicts_and_measures_with_the_profile(graphs, calibrated):
    _, env, tmp = calibrated
    out = tmp / "validate.json"
    p = subprocess.run([str(graphs), "validate", "resnet18", "--conversions", "EAGER,ONNX_CPU",
                        "--threads", "1", "--min-time", "0.2", "--max-time", "1",
                        "--format", "json", "-o", str(out), "-q"],
                       capture_output=True, text=True, timeout=1800, env=env)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stderr[-4000:]}"
    doc = json.loads(out.read_text())
    assert any("calibration profile applied" in n for n in doc["header"]["hardware_notes"]), \
        doc["header"]["hardware_notes"]
    rows = {r["conversion"]: r for r in doc["rows"]}
    assert sorted(rows) == ["EAGER", "ONNX_CPU"]
    for name, r in rows.items():
        assert r["status"] == "ok", (name, r["reason"])
        assert r["predicted_latency_s"] > 0 and r["measured_latency_s"] > 0
        assert r["error_rel"] == pytest.approx(
            (r["predicted_latency_s"] - r["measured_latency_s"]) / r["measured_latency_s"])
        assert r["headroom"] > 0
    assert rows["EAGER"]["backend"] == "eager" and rows["ONNX_CPU"]["backend"] == "onnxruntime"
    # Eager runs one kernel per op; ONNX Runtime's fused kernels are fewer.
    assert rows["EAGER"]["predicted_kernels"] > rows["ONNX_CPU"]["predicted_kernels"]
    assert [s["conversion"] for s in doc["summary"]] == ["EAGER", "ONNX_CPU", "all"]
    # Appended to the history, which `graphs history` reads back.
    h = subprocess.run([str(graphs), "history", "--model", "resnet18"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert h.returncode in (0, 1), h.stderr
    assert "resnet18" in h.stdout and "ONNX_CPU" in h.stdout
