"""Every CPU conversion of the worker on tiny models, checked against EAGER's outputs
(differential: each backend against the reference), plus multi-input token models, weight
determinism across processes, a transformers model built offline, and the honest
`unavailable` answers of GPU conversions on a machine without CUDA."""

from __future__ import annotations

import numpy as np
import pytest

from test_worker_driver import TINY_CNN, TINY_CNN_SHAPES, TINY_TEXT, run_request, run_worker

torch = pytest.importorskip("torch")

# max |out − ref| allowed, relative to max |ref| (int8 and bf16 change the numbers on purpose).
TOLERANCE = {"fp32": 1e-4, "bf16": 5e-2, "int8": 0.15}

# COMPILE_INDUCTOR_DEFAULT (and EAGER, ONNX_CPU, OPENVINO_CPU again) run end to end through
# `graphs bench` in test_bench_e2e.py; compiling twice would only cost CI time.
CPU_CONVERSIONS = [
    ("BF16+EAGER", "bf16"), ("JIT_TRACE", "fp32"), ("TORCH_SCRIPT", "fp32"),
    ("EXPORT+EAGER", "fp32"), ("EXPORT+AOT_INDUCTOR", "fp32"), ("ONNX_CPU", "fp32"),
    ("ONNX_CPU_INT8_DYNAMIC", "int8"),
    ("OPENVINO_CPU", "fp32"), ("COMPILE_OPENVINO", "fp32"), ("PT2E_INT8_X86", "int8"),
]


def _run(conversion, model, out_dir, **kw):
    log = run_worker(run_request(conversion, model, out_dir, **kw))
    assert log.returncode == 0, (f"{conversion}: exit {log.returncode}, error {log.error}\n"
                                 f"{log.stderr[-4000:]}")
    outs = log.one("outputs")
    arrays = [np.load(out_dir / f) for f in outs["files"]]
    assert [list(a.shape) for a in arrays] == outs["shapes"]
    assert [a.dtype.name for a in arrays] == outs["dtypes"]
    return log, arrays


@pytest.fixture(scope="module")
def cnn_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("eager")
    log, arrays = _run("EAGER", TINY_CNN, out, input_shapes=TINY_CNN_SHAPES)
    assert log.one("outputs")["shapes"] == [[1, 10]]
    assert np.abs(arrays[0]).max() > 1e-3
    return arrays


@pytest.mark.parametrize("conversion,precision", CPU_CONVERSIONS,
                         ids=[c for c, _ in CPU_CONVERSIONS])
def test_cpu_conversion_matches_eager(tmp_path, cnn_reference, conversion, precision):
    log, arrays = _run(conversion, TINY_CNN, tmp_path, input_shapes=TINY_CNN_SHAPES)
    (ref,), (out,) = cnn_reference, arrays
    err = np.abs(out - ref).max() / np.abs(ref).max()
    assert err <= TOLERANCE[precision], f"{conversion}: relative error {err:.3g}"
    cold = log.one("cold_start")
    assert cold["convert_s"] >= 0 and cold["first_call_s"] > 0
    done = log.one("done")
    assert done["threads"] == 1 and done["peak_rss_bytes"] > 50_000_000
    measured = log.of_type("chunk")[-1]
    assert measured["phase"] == "measure" and len(measured["latency_s"]) == 3
    assert all(x > 0 for x in measured["latency_s"])


@pytest.mark.parametrize("conversion", ["EAGER", "ONNX_CPU", "OPENVINO_CPU"])
def test_token_model_with_two_integer_inputs(tmp_path, conversion):
    log, arrays = _run(conversion, TINY_TEXT, tmp_path, batch=2, seq_len=6,
                       input_shapes=[[-1, -1], [-1, -1]], input_dtypes=["int64", "int64"])
    assert log.one("outputs")["shapes"] == [[2, 6, 16], [2, 16]]
    assert np.isfinite(arrays[0]).all()
    np.save(tmp_path.parent / f"text-{conversion}.npy", arrays[1])


def test_token_model_outputs_agree_across_backends(tmp_path):
    """Runs after the three above (same module, file order): their pooled outputs match."""
    files = sorted(tmp_path.parent.glob("text-*.npy"))
    if len(files) < 2:
        pytest.skip("run together with test_token_model_with_two_integer_inputs")
    arrays = [np.load(f) for f in files]
    for a in arrays[1:]:
        assert np.abs(a - arrays[0]).max() <= 1e-4 * np.abs(arrays[0]).max()


def test_random_weights_are_the_same_in_every_worker(tmp_path):
    model = {"source": "factory", "spec": "test_bench_models:unseeded"}
    _, (a,) = _run("EAGER", model, tmp_path / "a", input_shapes=[[2, 4]])
    _, (b,) = _run("EAGER", model, tmp_path / "b", input_shapes=[[2, 4]])
    _, (c,) = _run("EAGER", model, tmp_path / "c", input_shapes=[[2, 4]], seed=1)
    assert (a == b).all()
    assert not np.allclose(a, c)


def test_hf_model_is_built_offline_from_its_config(tmp_path):
    pytest.importorskip("transformers")
    log, arrays = _run("EAGER", {"source": "hf", "name": "llama-small"}, tmp_path, batch=1,
                       seq_len=8)
    assert log.one("outputs")["shapes"] == [[1, 8, 32000]]
    assert np.isfinite(arrays[0]).all() and np.abs(arrays[0]).max() > 1e-3


def test_unknown_torchvision_model_suggests_a_name(tmp_path):
    log = run_worker(run_request("EAGER", {"source": "torchvision", "name": "resnet19"}, tmp_path))
    assert log.returncode == 3
    assert "did you mean resnet18" in log.error["message"]


def test_factory_without_input_shapes_is_refused(tmp_path):
    log = run_worker(run_request("EAGER", TINY_CNN, tmp_path))
    assert log.returncode == 3 and "needs input_shapes" in log.error["message"]


def test_torch_script_rejection_is_unsupported(tmp_path):
    """torch.jit.script cannot compile a forward with *args: the backend rejects the model."""
    log = run_worker(run_request("TORCH_SCRIPT", {"source": "factory",
                                                  "spec": "test_bench_models:varargs"},
                                 tmp_path, input_shapes=[[1, 4]]))
    assert log.returncode == 3
    assert log.error["kind"] == "unsupported" and log.error["phase"] == "convert"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("conversion", ["FP16+EAGER", "COMPILE_CUDAGRAPHS", "ONNX_GPU",
                                        "ONNX_TENSORRT", "TORCH_TENSORRT"])
def test_gpu_conversions_are_unavailable_without_cuda(tmp_path, conversion):
    log = run_worker(run_request(conversion, TINY_CNN, tmp_path, input_shapes=TINY_CNN_SHAPES))
    assert log.returncode == 3
    assert log.error["kind"] == "unavailable", log.error
    assert any(w in log.error["message"] for w in ("CUDA", "Provider", "pip install"))


def test_device_cuda_without_cuda_is_unavailable(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    log = run_worker(run_request("EAGER", TINY_CNN, tmp_path, input_shapes=TINY_CNN_SHAPES,
                                 device="cuda"))
    assert log.error["kind"] == "unavailable" and "no CUDA device" in log.error["message"]
