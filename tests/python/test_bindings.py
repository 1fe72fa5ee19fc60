"""The Python API (`import graphs`): the same C++ pipeline as the command line, errors as
exceptions at the boundary."""

from __future__ import annotations

import pytest

graphs = pytest.importorskip("graphs", reason="the graphs package is not installed in this venv")


def test_analyze_zoo_model_returns_the_json_report():
    r = graphs.analyze("resnet18", hardware=["h100-sxm5-80gb"], batch=2)
    assert r["schema_version"] == 1
    assert r["totals"]["params"] == 11_689_512  # torchvision resnet18, BatchNorm kept
    assert r["model"]["batch"] == 2
    est = r["estimates"][0]
    assert est["hardware"] == "h100-sxm5-80gb"
    assert est["latency_s"] > 0 and est["energy_j"] > 0
    # Throughput with inferences pipelined: batch / the steady-state period (<= latency).
    assert est["throughput_samples_per_s"] == pytest.approx(2 / est["period_s"])
    assert est["period_s"] <= est["latency_s"] * (1 + 1e-12)


def test_precision_halves_weight_bytes():
    fp32 = graphs.analyze("resnet18", hardware=[])
    fp16 = graphs.analyze("resnet18", hardware=[], precision="fp16")
    assert fp16["totals"]["weight_bytes"] == pytest.approx(fp32["totals"]["weight_bytes"] / 2)
    assert fp16["totals"]["macs"] == fp32["totals"]["macs"]


def test_bad_input_raises_value_error_with_suggestion():
    with pytest.raises(ValueError, match="did you mean .*h100-sxm5-80gb"):
        graphs.analyze("resnet18", hardware=["h100"])
    with pytest.raises(ValueError, match="did you mean resnet50"):
        graphs.analyze("resnet5")
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        graphs.analyze("resnet18", batch=-1)


def test_listings():
    assert "host" in graphs.hardware_ids()
    assert {"resnet50", "bert-base", "gpt2"} <= set(graphs.zoo_names())


def test_conversion_tables_agree(monkeypatch):
    """The C++ registry (src/graphs/bench/conversions_*.cc: families and conversions) and the
    worker (python/graphs/worker/conversions.py) agree on every field both hold: names, family,
    module, function, options, sources, pinned device, test_only; the worker builds the same
    conversion from the request's `worker` field; every function exists."""
    import importlib
    import sys

    from graphs import _graphs
    from graphs.worker import conversions as worker

    from test_worker_driver import TEST_CONVERSIONS_DIR

    monkeypatch.setenv("GRAPHS_TEST_CONVERSIONS", "1")
    monkeypatch.setenv(worker.TEST_DIR_ENV, str(TEST_CONVERSIONS_DIR))
    monkeypatch.setattr(sys, "path", [str(TEST_CONVERSIONS_DIR), *sys.path])
    cpp = {c["name"]: c for c in _graphs.conversion_table()}
    py = worker.table()
    assert set(cpp) == set(py), (sorted(set(cpp) - set(py)), sorted(set(py) - set(cpp)))
    assert {"TEST_SLEEP", "OPENVINO_CPU", "COMPILE_OPENVINO"} <= set(cpp)
    for name, c in cpp.items():
        w = py[name]
        pinned = c["devices"][0] if len(c["devices"]) == 1 else None
        assert c["device"] == pinned, name
        held = {"family": w.family, "module": w.import_name(), "function": w.function,
                "options": w.options, "onnx_source": w.onnx_source,
                "torch_source": w.torch_source, "device": w.device, "test_only": w.test_only}
        assert {k: c[k] for k in held} == held, name
        assert worker.lookup(name, {k: c[k] for k in held}) == worker.Conversion(
            name, w.family, w.function, w.options, w.onnx_source, w.torch_source, w.device,
            w.test_only, w.import_name()), name
        module = importlib.import_module(c["module"])   # lazy: no torch/ORT/OpenVINO import
        assert callable(getattr(module, c["function"], None)), (name, c["module"], c["function"])


def test_backend_families_agree_with_the_worker_and_the_probe(monkeypatch):
    """Every registered family's worker module is the worker's (FAMILY_MODULES), and every module
    a family's conversions import is one `probe` reports, so availability can be decided."""
    from graphs import _graphs
    from graphs.worker import conversions as worker
    from graphs.worker import probe

    monkeypatch.setenv("GRAPHS_TEST_CONVERSIONS", "1")
    families = {f["name"]: f for f in _graphs.backend_families()}
    assert {f: m["worker_module"] for f, m in families.items()} == worker.FAMILY_MODULES
    probed = set(probe._IMPORTED) | set(probe._METADATA_ONLY)
    for name, f in families.items():
        assert set(f["probe_modules"]) <= probed, (name, set(f["probe_modules"]) - probed)
    for c in _graphs.conversion_table():
        assert set(c["requires_modules"]) <= set(families[c["family"]]["probe_modules"]), c["name"]
    from graphs.worker import microbench
    calibrated = {f["calibration_backend"] for f in families.values()} - {""}
    assert calibrated == set(microbench.BACKENDS)    # what `graphs calibrate` asks the worker
    monkeypatch.delenv("GRAPHS_TEST_CONVERSIONS")
    assert "test" not in {f["name"] for f in _graphs.backend_families()}


def test_test_conversions_are_not_in_the_package():
    """The test-only conversions' code lives under tests/, outside the wheel's package folder
    (pyproject.toml wheel.packages), and the worker refuses to import it without its folder."""
    import re
    from pathlib import Path

    from graphs.worker import conversions as worker

    repo = Path(__file__).resolve().parents[2]
    found = re.search(r'^wheel\.packages = \[(.*)\]$', (repo / "pyproject.toml").read_text(),
                      re.MULTILINE)
    assert found, "pyproject.toml has no wheel.packages line"
    packages = re.findall(r'"([^"]+)"', found.group(1))
    shipped = [p for pkg in packages for p in (repo / pkg).rglob("*.py")]
    assert shipped
    for path in shipped:
        text = path.read_text()
        assert "def test_segfault" not in text and "def test_hang" not in text, path
    sleep = worker.Conversion("TEST_SLEEP", "test", "test_sleep", test_only=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(worker.TEST_DIR_ENV, raising=False)
        with pytest.raises(ImportError, match="GRAPHS_TEST_CONVERSIONS_DIR"):
            worker.load(sleep)



# --- graphs.analyze: typed results, plain-string hardware, nn.Modules, the LLM arguments ------

def test_analyze_returns_a_typed_result_that_round_trips_to_json():
    import json
    r = graphs.analyze("resnet18", hardware="h100-sxm5-80gb", batch=4)
    assert isinstance(r, graphs.AnalysisResult)
    assert r.model == "resnet18" and r.batch == 4 and r.precision == "fp32"
    assert r.params == 11_689_512 and r.macs == r["totals"]["macs"] > 0
    est = r.estimate("h100-sxm5-80gb")
    assert isinstance(est, graphs.Estimate)
    assert est.latency_s == r["estimates"][0]["latency_s"] > 0
    assert est.peak_memory_bytes == r["estimates"][0]["memory"]["peak_bytes"]
    assert json.loads(r.to_json()) == r.to_dict() == r.raw
    with pytest.raises(KeyError, match="no estimate for 'host'"):
        r.estimate("host")


def test_hardware_as_one_string_or_comma_separated():
    one = graphs.analyze("resnet18", hardware="h100-sxm5-80gb")
    two = graphs.analyze("resnet18", hardware="h100-sxm5-80gb,a100-sxm4-80gb")
    assert [e.hardware for e in one.estimates] == ["h100-sxm5-80gb"]
    assert [e.hardware for e in two.estimates] == ["h100-sxm5-80gb", "a100-sxm4-80gb"]
    assert two.estimates[0].latency_s == one.estimates[0].latency_s


def test_backend_phase_and_precisions_reach_the_pipeline():
    fused = graphs.analyze("resnet18", hardware="h100-sxm5-80gb")
    eager = graphs.analyze("resnet18", hardware="h100-sxm5-80gb", backend="eager")
    assert eager.fused_kernels > fused.fused_kernels          # one kernel per op, unfused
    assert eager.estimates[0].backend == "eager"
    gen = graphs.analyze("gpt2", hardware="h100-sxm5-80gb", phase="generate", seq_len=64,
                         output_tokens=32, weight_precision="int8", kv_precision="fp16")
    phase = gen.llm["phases"][0]
    assert phase["phase"] == "generate" and phase["output_tokens"] == 32
    assert phase["kv_precision"] == "fp16"
    assert gen["model"]["weight_precision"] == "int8"
    with pytest.raises(ValueError, match="phase"):
        graphs.analyze("gpt2", hardware="h100-sxm5-80gb", phase="training-ish")


def test_an_nn_module_is_exported_and_matches_its_own_onnx_file(tmp_path):
    """The module's analysis is the analysis of the ONNX file torch.onnx.export writes for it:
    same MACs, and the batch of the example inputs unless one is given."""
    torch = pytest.importorskip("torch")
    from test_bench_models import tiny_cnn
    model = tiny_cnn()
    x = torch.rand(2, 3, 32, 32)
    r = graphs.analyze(model, (x,), hardware=[])
    assert r.batch == 2
    # Hand count: conv1 3→8 3×3 at 32×32, conv2 8→16 3×3 stride 2 at 16×16, linear 16→10.
    per_sample = 8 * 3 * 9 * 32 * 32 + 16 * 8 * 9 * 16 * 16 + 16 * 10
    assert r.macs == pytest.approx(2 * per_sample)
    at8 = graphs.analyze(model, x, hardware="h100-sxm5-80gb", batch=8)
    assert at8.batch == 8 and at8.macs == pytest.approx(8 * per_sample)
    with pytest.raises(ValueError, match="needs example_inputs"):
        graphs.analyze(model)
    with pytest.raises(TypeError, match="example_inputs is for nn.Module"):
        graphs.analyze("resnet18", ["h100-sxm5-80gb"])
    with pytest.raises(TypeError, match="must be a zoo name"):
        graphs.analyze(42)


def test_onnx_path_and_missing_file():
    import pathlib
    with pytest.raises(ValueError, match="nope.onnx"):
        graphs.analyze(pathlib.Path("/nonexistent/nope.onnx"))


# --- graphs.validate ---------------------------------------------------------------------------

VALIDATION_DOC = {
    "schema_version": 1, "header": {"hardware_id": "host"}, "exit_status": 0,
    "rows": [{"model": "resnet18", "conversion": "EAGER", "backend": "eager",
              "precision": "fp32", "batch": 1, "seq_len": 128, "status": "ok", "reason": "",
              "predicted_latency_s": 0.012, "measured_latency_s": 0.010,
              "measured_median_ci_rel": 0.01, "error_rel": 0.2,
              "predicted_speedup_vs_eager": 1.0, "measured_speedup_vs_eager": 1.0,
              "roofline_bound_s": 0.004, "headroom": 2.5, "predicted_kernels": 60,
              "measured_kernels": None, "measured_energy_j_per_call": None,
              "predicted_energy_j": 0.5, "energy_unavailable": "no RAPL", "op_classes": [],
              "notes": []}],
    "summary": [{"conversion": "EAGER", "cases": 1, "mape": 0.2, "batch": None}]}


def test_validate_builds_the_config_and_types_the_report():
    import json
    seen = []

    def fake(config_json):
        seen.append(json.loads(config_json))
        return json.dumps(VALIDATION_DOC)

    v = graphs.validate("resnet18,mobilenet_v2", "EAGER,ONNX_CPU", batch=[1, 8],
                        max_time_s=2, record_history=False, _validate=fake)
    assert seen == [{"models": ["resnet18", "mobilenet_v2"], "conversions": ["EAGER", "ONNX_CPU"],
                     "batches": [1, 8], "max_time_s": 2, "record_history": False}]
    assert isinstance(v, graphs.ValidationResult) and v.ok
    row = v.rows[0]
    assert row.ok and row.error_rel == 0.2 and row.measured_latency_s == 0.010
    assert json.loads(v.to_json()) == VALIDATION_DOC
    with pytest.raises(TypeError, match="'max_time' \\(did you mean 'max_time_s'\\?\\)"):
        graphs.validate("resnet18", max_time=2, _validate=fake)


def test_validate_bad_input_is_a_value_error_from_the_core():
    with pytest.raises(ValueError, match="did you mean"):
        graphs.validate(["resnet18"], ["EAGERR"], record_history=False)
    with pytest.raises(ValueError, match="did you mean .*h100-sxm5-80gb"):
        graphs.validate(["resnet18"], ["EAGER"], hardware="h100", record_history=False)


def test_validate_measures_and_predicts_end_to_end(tmp_path, monkeypatch):
    pytest.importorskip("torchvision")
    from test_worker_driver import worker_env
    for k, v in worker_env(test_conversions=False).items():
        monkeypatch.setenv(k, v)
    events = []
    v = graphs.validate("resnet18", ["EAGER"], n_samples=3, threads=1, record_history=False,
                        progress=events.append)
    assert v.exit_status == 0, [(r.conversion, r.status, r.reason) for r in v.rows]
    (row,) = v.rows
    assert row.model == "resnet18" and row.conversion == "EAGER" and row.batch == 1
    assert row.predicted_latency_s > 0 and row.measured_latency_s > 0
    assert row.error_rel == pytest.approx(row.predicted_latency_s / row.measured_latency_s - 1)
    assert events and events[-1]["phase"] == "done" and events[-1]["status"] == "ok"
    assert {e["model"] for e in events} == {"resnet18"}


def test_input_shapes_bind_a_dynamic_input(tmp_path):
    """input_shapes= is --input-shape: a graph input's full shape; a name that is no input is a
    ValueError naming it."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "c"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "c"])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    r = graphs.analyze(path, hardware=[], input_shapes={"x": [3, 5]})
    assert r["totals"]["flops"] == 15  # one max per element of the bound [3, 5] input
    with pytest.raises(ValueError, match="'z'"):
        graphs.analyze(path, hardware=[], input_shapes={"z": [3, 5]})
