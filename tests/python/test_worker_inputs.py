"""Input generation (graphs.worker.inputs, models): kinds from names and dtypes, symbolic dims,
token-id ranges, determinism within and across processes, flat memory in the number of calls."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from graphs.worker import inputs
from graphs.worker.inputs import InputSpec

from test_worker_driver import TINY_CNN, run_request, run_worker, standard_policy, worker_env


@pytest.mark.parametrize("name,dtype,kind", [
    ("input_ids", "int64", "ids"), ("attention_mask", "int64", "mask"),
    ("attention_mask", "float32", "mask"), ("token_type_ids", "int64", "zeros"),
    ("position_ids", "int64", "positions"), ("pixel_values", "float32", "float"),
    ("x", "float16", "float"), ("flags", "bool", "bool"), ("input_1", "int32", "ids")])
def test_kind_from_name_and_dtype(name, dtype, kind):
    assert inputs.kind_for(name, dtype) == kind


@pytest.mark.parametrize("dim,pos,expected", [
    (7, 0, 7), ("batch", 1, 3), ("batch_size", 0, 3), ("N", 0, 3), ("sequence", 1, 11),
    ("seq_len", 0, 11), (None, 0, 3), (None, 1, 11), ("s0", 0, 3), ("unknown", 2, 11)])
def test_symbolic_dims_bound_by_batch_and_seq_len(dim, pos, expected):
    assert inputs.bind_dim(dim, pos, batch=3, seq_len=11) == expected


def test_generated_arrays_follow_the_signature():
    specs = [InputSpec("pixel_values", (2, 3, 4, 4), "float32", "float"),
             InputSpec("input_ids", (2, 16), "int64", "ids", vocab_size=50),
             InputSpec("big_vocab_ids", (2, 4000), "int32", "ids", vocab_size=50257),
             InputSpec("attention_mask", (2, 16), "int64", "mask"),
             InputSpec("token_type_ids", (2, 16), "int64", "zeros"),
             InputSpec("position_ids", (2, 16), "int64", "positions"),
             InputSpec("half", (3,), "float16", "float"),
             InputSpec("flags", (2,), "bool", "bool")]
    a = inputs.generate(specs, seed=0)
    assert [x.shape for x in a] == [s.shape for s in specs]
    assert [x.dtype.name for x in a] == ["float32", "int64", "int32", "int64", "int64", "int64",
                                         "float16", "bool"]
    assert 0 <= a[0].min() and a[0].max() < 1
    assert a[1].min() >= 0 and a[1].max() < 50 and len(np.unique(a[1])) > 10
    assert a[2].max() < 1000 and a[2].max() > 900               # min(vocab, 1000)
    assert (a[3] == 1).all() and (a[4] == 0).all()
    assert (a[5] == np.arange(16)).all()
    assert a[7].all()
    assert all(x.flags.c_contiguous for x in a)


def test_same_seed_same_arrays_other_seed_other_arrays():
    specs = [InputSpec("x", (8, 8), "float32", "float"), InputSpec("ids", (4,), "int64", "ids")]
    a, b, c = (inputs.generate(specs, s) for s in (0, 0, 1))
    assert all((x == y).all() for x, y in zip(a, b))
    assert not (a[0] == c[0]).all()


_HASH_SCRIPT = """
import hashlib, sys
from graphs.worker.inputs import InputSpec, generate
specs = [InputSpec("x", (2, 3, 8, 8), "float32", "float"),
         InputSpec("input_ids", (2, 16), "int64", "ids", vocab_size=30522),
         InputSpec("attention_mask", (2, 16), "int64", "mask")]
h = hashlib.sha256()
for a in generate(specs, int(sys.argv[1])):
    h.update(a.tobytes())
print(h.hexdigest())
"""


def test_inputs_are_identical_across_processes():
    def digest(seed):
        return subprocess.run([sys.executable, "-c", _HASH_SCRIPT, str(seed)], env=worker_env(),
                              capture_output=True, text=True, check=True).stdout.strip()
    first, second = digest(3), digest(3)
    assert first == second and len(first) == 64
    assert digest(4) != first


def test_factory_specs_from_request():
    specs = inputs.specs_from_request([[-1, 3, 8, 8], [-1, "sequence"]], ["float32", "int64"],
                                      batch=4, seq_len=9)
    assert [(s.shape, s.dtype, s.kind) for s in specs] == [
        ((4, 3, 8, 8), "float32", "float"), ((4, 9), "int64", "ids")]
    with pytest.raises(ValueError, match="1 input_dtypes for 2 input_shapes"):
        inputs.specs_from_request([[1], [2]], ["float32"], 1, 1)
    with pytest.raises(ValueError, match="unknown input dtype 'float33'"):
        inputs.specs_from_request([[1]], ["float33"], 1, 1)
    assert inputs.normalize_dtype("torch.int64") == "int64"
    assert inputs.normalize_dtype("fp16") == "float16"


def test_onnx_signature_is_read_and_bound(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from graphs.worker import models
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    pix = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, 16, 16])
    out = helper.make_tensor_value_info("y", TensorProto.INT64, None)
    g = helper.make_graph([helper.make_node("Mul", ["input_ids", "attention_mask"], ["y"])],
                          "g", [ids, mask, pix], [out])
    onnx.save(helper.make_model(g), str(tmp_path / "m.onnx"))
    m = models.load({"model": {"source": "onnx", "path": str(tmp_path / "m.onnx")},
                     "batch": 2, "seq_len": 7})
    assert [(s.name, s.shape, s.dtype, s.kind) for s in m.input_specs] == [
        ("input_ids", (2, 7), "int64", "ids"), ("attention_mask", (2, 7), "int64", "mask"),
        ("pixels", (2, 3, 16, 16), "float32", "float")]
    assert m.output_names == ["y"] and m.module is None


def test_unknown_hf_name_lists_the_known_ones():
    from graphs.torch_models import UnknownModelError, hf_info
    assert hf_info("bert-base-uncased").config_kwargs == {}        # BertConfig() defaults
    assert hf_info("openai-community/gpt2").name == "gpt2"          # alias
    with pytest.raises(UnknownModelError, match="known: .*bert-base-uncased.*gpt2"):
        hf_info("t5-smal")


def test_hf_seq_len_above_the_position_table_is_refused(tmp_path):
    pytest.importorskip("transformers")
    log = run_worker(run_request("EAGER", {"source": "hf", "name": "bert-base-uncased"},
                                 tmp_path, seq_len=513))
    assert log.returncode == 3
    assert "exceeds bert-base-uncased's max_position_embeddings 512" in log.error["message"]


def test_peak_rss_is_flat_in_the_number_of_calls(tmp_path):
    """64 vs 4096 measured calls of the same model: peak RSS within 10 % (inputs are generated
    once and reused; Alma builds every sample up front)."""
    pytest.importorskip("torch")

    def peak(n_calls):
        log = run_worker(run_request("EAGER", TINY_CNN, tmp_path / str(n_calls),
                                     input_shapes=[[1, 3, 64, 64]]),
                         policy=standard_policy(warmup_chunks=1, measure_calls=n_calls))
        assert log.returncode == 0, log.stderr[-3000:]
        measured = log.of_type("chunk")[-1]["latency_s"]
        assert len(measured) == n_calls
        return log.one("done")["peak_rss_bytes"]

    small, large = peak(64), peak(4096)
    assert abs(large - small) <= 0.10 * small, (small, large)
