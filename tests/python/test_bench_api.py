"""`graphs.benchmark`: settings JSON, typed report, nn.Module through torch.export (never a
pickled module), and end to end through the C++ orchestrator when the extension has bench()."""

from __future__ import annotations

import json
import os
import sys

import pytest

import graphs
from graphs.benchmark import BenchmarkReport, build_config, parse_report

from test_worker_driver import REPO

FAKE_DOC = {
    "schema_version": 1,
    "header": {"type": "header", "model": "torchvision:resnet18"},
    "results": [
        {"type": "result", "conversion": "EAGER", "status": "ok", "reason": None,
         "device": "cpu", "precision": "fp32", "batch": 1, "reference_only": False,
         "latency": {"count": 50, "min_s": 0.009, "mean_s": 0.0105, "median_s": 0.01,
                     "p90_s": 0.012, "p95_s": 0.013, "p99_s": 0.015, "max_s": 0.02,
                     "stddev_s": 0.001, "q1_s": 0.0095, "q3_s": 0.0108, "iqr_s": 0.0013,
                     "iqr_over_median": 0.13, "median_ci_low_s": 0.0098,
                     "median_ci_high_s": 0.0102, "median_ci_rel": 0.02, "confidence": 0.95},
         "throughput_samples_per_s": 100.0,
         "cold_start": {"load_s": 1.0, "convert_s": 0.0, "first_call_s": 0.05, "total_s": 1.2},
         "memory": {"peak_rss_bytes": 500_000_000, "peak_gpu_memory_bytes": None},
         "threads": 2, "output_check": {"status": "reference", "note": None},
         "warnings": []},
        {"type": "result", "conversion": "ONNX_GPU", "status": "unavailable",
         "reason": "no CUDA device", "device": "cuda", "precision": "fp32", "batch": 1,
         "reference_only": False, "latency": None, "throughput_samples_per_s": None,
         "cold_start": {}, "memory": {}, "threads": None, "output_check": {"status": "skipped"},
         "warnings": []}],
    "summary": {"exit_status": 1, "ok": 1, "not_ok": 1, "jsonl_path": "/tmp/r.jsonl"}}


def test_report_is_typed_and_round_trips_to_a_dict():
    rep = parse_report(FAKE_DOC)
    assert isinstance(rep, BenchmarkReport) and rep.model == "torchvision:resnet18"
    eager = rep["EAGER"]
    assert eager.ok and eager.median_s == 0.01 and eager.latency.p99_s == 0.015
    assert eager.cold_start.total_s == 1.2 and eager.peak_rss_bytes == 500_000_000
    assert eager.output_check.status == "reference"
    gpu = rep["ONNX_GPU"]
    assert gpu.status == "unavailable" and gpu.reason == "no CUDA device" and gpu.latency is None
    assert not rep.ok and rep.exit_status == 1
    assert json.loads(json.dumps(rep.to_dict())) == FAKE_DOC
    with pytest.raises(KeyError, match="no result for 'EAGERR'"):
        rep["EAGERR"]


def test_to_dataframe_needs_pandas_or_says_so():
    rep = parse_report(FAKE_DOC)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            rep.to_dataframe()
    else:
        df = rep.to_dataframe()
        assert list(df["conversion"]) == ["EAGER", "ONNX_GPU"]


def test_config_passes_settings_and_rejects_unknown_ones():
    cfg = build_config("torchvision:resnet18", "EAGER,ONNX_CPU",
                       {"max_time_s": 2, "threads": 1, "input_shapes": [(1, 3, 8, 8)],
                        "jsonl_path": None})
    assert cfg == {"model": "torchvision:resnet18", "conversions": ["EAGER,ONNX_CPU"],
                   "max_time_s": 2, "threads": 1, "input_shapes": [[1, 3, 8, 8]]}
    assert build_config("m.onnx", None, {})["conversions"] == ["EAGER", "COMPILE_INDUCTOR_DEFAULT"]
    with pytest.raises(TypeError, match="'max_time' \\(did you mean 'max_time_s'\\?\\)"):
        build_config("x", ["EAGER"], {"max_time": 2})


def test_string_model_is_passed_through():
    seen = []

    def fake_bench(config_json):
        seen.append(json.loads(config_json))
        return json.dumps(FAKE_DOC)
    rep = graphs.benchmark("torchvision:resnet18", conversions=["EAGER"], max_time_s=1,
                           _bench=fake_bench)
    assert seen == [{"model": "torchvision:resnet18", "conversions": ["EAGER"], "max_time_s": 1}]
    assert rep["EAGER"].ok


def test_module_reaches_the_workers_as_a_saved_export_not_a_pickle():
    torch = pytest.importorskip("torch")
    seen = {}

    def fake_bench(config_json):
        cfg = json.loads(config_json)
        seen["cfg"] = cfg
        ep = torch.export.load(cfg["model"])             # a torch.export program file
        seen["out"] = ep.module()(torch.ones(2, 4))
        return json.dumps(FAKE_DOC)

    model = torch.nn.Linear(4, 3)
    graphs.benchmark(model, (torch.rand(2, 4),), conversions=["EAGER"], _bench=fake_bench)
    assert seen["cfg"]["model"].endswith(".pt2")
    assert not os.path.exists(seen["cfg"]["model"])        # temporary, removed afterwards
    assert torch.allclose(seen["out"], model(torch.ones(2, 4)))


def test_module_without_example_inputs_is_a_clear_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="needs example_inputs"):
        graphs.benchmark(torch.nn.Linear(2, 2), conversions=["EAGER"], _bench=lambda c: "{}")
    with pytest.raises(TypeError, match="must be an nn.Module"):
        graphs.benchmark(42, _bench=lambda c: "{}")


def test_import_graphs_needs_no_backend():
    """`import graphs` (and the worker package) import neither torch nor the backends."""
    import subprocess
    code = ("import sys, graphs, graphs.worker, graphs.worker.conversions, graphs.torch_models;"
            "print(sorted(m for m in ('torch', 'onnxruntime', 'openvino', 'triton', 'numpy')"
            " if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.strip()
    assert out == "[]"


def _has_bench_binding() -> bool:
    try:
        from graphs import _graphs
    except ImportError:
        return False
    return hasattr(_graphs, "bench")


@pytest.mark.skipif(not _has_bench_binding(), reason="graphs._graphs has no bench() (extension "
                    "not rebuilt: bash scripts/install_package.sh .venv-dev)")
def test_benchmark_an_nn_module_end_to_end(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from test_worker_driver import worker_env
    for k, v in worker_env(test_conversions=False, GRAPHS_PYTHON=sys.executable).items():
        monkeypatch.setenv(k, v)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    rep = graphs.benchmark(model, (torch.rand(2, 16),), conversions=["EAGER", "ONNX_CPU"],
                           max_time_s=1, threads=1, work_dir=str(tmp_path))
    assert rep.exit_status == 0, [(r.conversion, r.status, r.reason) for r in rep.results]
    assert rep["EAGER"].ok and rep["EAGER"].latency.count >= 10
    onnx_cpu = rep["ONNX_CPU"]
    assert onnx_cpu.ok and onnx_cpu.output_check.status == "passed"
    assert rep.to_dict()["results"][0]["conversion"] in ("EAGER", "ONNX_CPU")


def test_progress_is_not_sent_to_the_orchestrator_as_a_setting():
    seen = []
    graphs.benchmark("torchvision:resnet18", conversions=["EAGER"], progress=True,
                     _bench=lambda c: seen.append(json.loads(c)) or json.dumps(FAKE_DOC))
    assert seen == [{"model": "torchvision:resnet18", "conversions": ["EAGER"]}]


def test_a_module_cannot_go_to_a_remote_worker():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="workers on a remote host cannot open"):
        graphs.benchmark(torch.nn.Linear(2, 2), (torch.rand(1, 2),), conversions=["EAGER"],
                         remote="me@jetson", _bench=lambda c: "{}")


@pytest.mark.skipif(not _has_bench_binding(), reason="graphs._graphs has no bench()")
def test_progress_reaches_a_callable_and_stderr(tmp_path, monkeypatch, capfd):
    pytest.importorskip("torch")
    from test_worker_driver import worker_env
    for k, v in worker_env(test_conversions=False, GRAPHS_PYTHON=sys.executable).items():
        monkeypatch.setenv(k, v)
    events = []
    rep = graphs.benchmark("test_bench_models:tiny_cnn", conversions=["EAGER"],
                           input_shapes=[(1, 3, 32, 32)], n_samples=3, threads=1,
                           work_dir=str(tmp_path / "a"), progress=events.append)
    assert rep.exit_status == 0, [(r.conversion, r.status, r.reason) for r in rep.results]
    phases = [e["phase"] for e in events]
    assert phases[0] == "start" and phases[-1] == "done" and "measure" in phases
    assert events[-1]["conversion"] == "EAGER" and events[-1]["status"] == "ok"
    assert all(e["index"] == 1 and e["total"] == 1 for e in events)
    rep = graphs.benchmark("test_bench_models:tiny_cnn", conversions=["EAGER"],
                           input_shapes=[(1, 3, 32, 32)], n_samples=3, threads=1,
                           work_dir=str(tmp_path / "b"), progress=True)
    assert rep.ok
    assert "graphs: [1/1] EAGER done: ok" in capfd.readouterr().err

    def boom(event):
        raise KeyError("from the callback")
    with pytest.raises(KeyError, match="from the callback"):
        graphs.benchmark("test_bench_models:tiny_cnn", conversions=["EAGER"],
                         input_shapes=[(1, 3, 32, 32)], n_samples=3, threads=1,
                         work_dir=str(tmp_path / "c"), progress=boom)
    with pytest.raises(TypeError, match="progress must be"):
        graphs.benchmark("test_bench_models:tiny_cnn", conversions=["EAGER"],
                         input_shapes=[(1, 3, 32, 32)], progress="yes")
