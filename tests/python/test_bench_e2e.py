"""`graphs bench` end to end: the C++ orchestrator spawning real workers on a small real model
(torchvision squeezenet1_1, random weights) through EAGER, COMPILE_INDUCTOR_DEFAULT, ONNX_CPU and
OPENVINO_CPU, each output checked against EAGER; results in JSON and JSONL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from test_worker_driver import worker_env

CONVERSIONS = ["EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU", "OPENVINO_CPU"]


def _bench(graphs, tmp_path, *args, timeout=1800):
    env = worker_env(test_conversions=False, GRAPHS_PYTHON=sys.executable)
    return subprocess.run([str(graphs), "bench", *args, "--work-dir", str(tmp_path / "work"),
                           "--threads", "1"],
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def squeezenet_run(graphs, tmp_path_factory):
    pytest.importorskip("torch")
    tmp = tmp_path_factory.mktemp("bench")
    p = _bench(graphs, tmp, "torchvision:squeezenet1_1", "--conversions", ",".join(CONVERSIONS),
               "--max-time", "2", "-o", str(tmp / "results.json"), "--jsonl",
               str(tmp / "results.jsonl"))
    return p, tmp


def test_four_conversions_run_and_pass_the_output_check(squeezenet_run):
    p, tmp = squeezenet_run
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr[-4000:]}"
    doc = json.loads((tmp / "results.json").read_text())
    results = {r["conversion"]: r for r in doc["results"] if not r["reference_only"]}
    assert sorted(results) == sorted(CONVERSIONS)
    for name, r in results.items():
        assert r["status"] == "ok", (name, r["reason"], r.get("stderr_tail"))
        # At --max-time 2 a slow conversion on a busy machine may stop with few samples.
        assert r["latency"]["count"] >= 1 and r["latency"]["median_s"] > 0
        assert r["cold_start"]["convert_s"] is not None
        assert r["memory"]["peak_rss_bytes"] > 0 and r["threads"] == 1
        check = r["output_check"]
        if name == "EAGER":
            assert check["status"] == "reference"
        else:
            assert check["status"] == "passed", (name, check)
            assert check["max_rel_error"] < 1e-2
    # The table on stdout names every conversion.
    for name in CONVERSIONS:
        assert name in p.stdout


def test_jsonl_holds_one_result_line_per_conversion(squeezenet_run):
    p, tmp = squeezenet_run
    lines = [json.loads(x) for x in (tmp / "results.jsonl").read_text().splitlines() if x]
    got = [x["conversion"] for x in lines if x.get("type") == "result"]
    assert sorted(got) == sorted(CONVERSIONS)


def test_onnx_source_refuses_torch_conversions_by_name(graphs, tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "relu.onnx"))
    p = _bench(graphs, tmp_path, str(tmp_path / "relu.onnx"), "--conversions",
               "ONNX_CPU,OPENVINO_CPU,EAGER", "--min-time", "0.2", "--max-time", "0.5", "-o",
               str(tmp_path / "r.json"))
    doc = json.loads((tmp_path / "r.json").read_text())
    by = {r["conversion"]: r for r in doc["results"]}
    assert by["ONNX_CPU"]["status"] == "ok"         # the reference for an ONNX source
    assert by["OPENVINO_CPU"]["status"] == "ok"
    assert by["OPENVINO_CPU"]["output_check"]["status"] == "passed"
    assert by["EAGER"]["status"] == "not_applicable"
    assert "not applicable to an ONNX source" in by["EAGER"]["reason"]
    assert p.returncode == 1                           # a requested conversion did not run
