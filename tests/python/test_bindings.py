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


def test_conversion_tables_agree():
    """The worker's conversion table (python/graphs/worker/conversions.py) and the C++ registry
    (src/graphs/bench/conversions_*.cc) name the same conversions with the same sources and
    pinned devices."""
    from graphs.worker import conversions as worker

    cpp = {c["name"]: c for c in graphs._graphs.conversion_table()}
    py = worker.table()
    assert set(cpp) == set(py), (sorted(set(cpp) - set(py)), sorted(set(py) - set(cpp)))
    for name, c in cpp.items():
        w = py[name]
        assert w.onnx_source == c["onnx_source"], name
        assert w.torch_source == c["torch_source"], name
        pinned = c["devices"][0] if len(c["devices"]) == 1 else None
        assert w.device == pinned, name

