"""`graphs` on real exported models, against independent references.

Parametrized over every file in the models manifest (tools/export_models.py): each torchvision
and transformers model through both exporters (TorchScript opset 17, dynamo).

- test_analyze_runs: `graphs analyze FILE --format json --batch 1 --seq-len 128` exits 0 with
  a schema-1 report and no unknown/unsupported op on stderr.
- test_shapes_match_onnxruntime: every activation shape from `graphs inspect` equals the shape
  ONNX Runtime produces when it runs the model (every intermediate made a graph output); values
  ORT cannot output fall back to onnx shape inference with data propagation on fixed dims.
- test_dtypes_match_onnxruntime: the same for element types.
- test_param_rule_explains_onnx_file / test_params_match_pytorch: parameter counts, rule below.
- test_macs_match_flop_counter: totals.macs within 0.5 % of FlopCounterMode's count.

Parameter rule (exact). A parameter is an element of a floating-point initializer with more
than one element that a node reads, each initializer counted once; BatchNormalization's running
mean and variance (inputs 3, 4) are statistics, not parameters (docs/conventions.md,
src/graphs/analysis/characterize.h). Exported in eval mode, a BatchNorm that follows a bias-less
conv (every one in torchvision) is folded into it: its weight and bias (2C, counted by PyTorch)
become the conv's new bias (C), so the file holds C fewer. A BatchNorm that cannot be folded
(DenseNet's BN after a concat) stays a BatchNormalization node whose scale and B are its 2C
PyTorch parameters. With C_bn = channels of all BatchNorm modules (manifest) and C_kept =
channels of BatchNormalization nodes in the file:

    expected = pytorch_params - (C_bn - C_kept) + sum(EXPORT_ARTIFACTS[(model, exporter)])

So a model without BatchNorm has exactly its PyTorch count, and one with BatchNorm has fewer,
by one C per folded BatchNorm (not 2C: the folded bias stays). The only other differences are
the export artifacts listed in EXPORT_ARTIFACTS, each a float tensor the exporter materializes
that PyTorch holds as a buffer, an index, or a shared parameter; each has its reason and its
size computed from the PyTorch model's structure (manifest) or from the op that reads it.
"""

from __future__ import annotations

import functools
import os
import re

import pytest

try:
    import numpy as np
    import onnx
    import onnxruntime  # noqa: F401 - the reference for shapes
    from onnx import helper, shape_inference
except ImportError as e:  # e.g. run from the core venv (.venv) instead of .venv-dev
    if os.environ.get("GRAPHS_REQUIRE_MODELS", "") not in ("", "0"):
        raise
    pytest.skip(f"{e.name} not installed: run with .venv-dev/bin/python "
                "(bash scripts/python_env.sh)", allow_module_level=True)

from conftest import BATCH, SEQ_LEN, ModelFile, cli_dims, run_graphs

MAC_REL_TOL = 0.005


def _rel_pos_bias(mf: ModelFile) -> int:
    return sum(h * (area * area - rows)
               for h, area, rows in mf.model["structure"]["relative_position_bias"])


def _scatter_constants(mf: ModelFile) -> int:
    return onnx_graph_facts(str(mf.path))["scatter_update_elements"]


# Parameter elements a file holds beyond the rule above, keyed by (model, exporter):
# [(reason, elements(ModelFile))]. Each is checked on the file by
# test_param_rule_explains_onnx_file.
EXPORT_ARTIFACTS: dict[tuple[str, str], list[tuple[str, object]]] = {
    ("swin_t", "ts17"): [
        ("relative position bias: table[169, heads] gathered by a constant index is folded into "
         "a [49*49, heads] constant per block", _rel_pos_bias)],
    ("swin_t", "dynamo"): [
        ("relative position bias: table[169, heads] gathered by a constant index is folded into "
         "a [49*49, heads] constant per block", _rel_pos_bias),
        ("shifted-window attention mask built in the graph by ScatterND from float constant "
         "updates", _scatter_constants)],
    ("gpt2", "ts17"): [
        ("tied embedding: constant folding of the LM head's Transpose(wte) stores a second, "
         "transposed copy [768, 50257]", lambda mf: mf.model["structure"]["tied_params"])],
    ("llama-small", "dynamo"): [
        ("rotary embedding inv_freq, a PyTorch buffer, stored as an initializer (the TorchScript "
         "export keeps it in a Constant node, which is not an initializer)",
         lambda mf: mf.model["structure"]["inv_freq_elements"])],
}

# MAC differences with a principled cause, keyed by (model, exporter): (reason, function giving the
# MACs FlopCounterMode does not see or sees differently). Empty unless a model needs one.
MAC_EXCEPTIONS: dict[tuple[str, str], tuple[str, object]] = {}

_UNKNOWN_OP = re.compile(r"unknown op|unsupported op|no op rule|not supported", re.IGNORECASE)


# ------------------------------------------------------------------------------------------
# Reference side: ONNX Runtime and onnx shape inference

def _np_dtype_name(elem_type: int) -> str:
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name


def _feeds(model: onnx.ModelProto, vocab: int) -> dict:
    """Random inputs at batch 1, sequence 128: token ids below the vocabulary size, mask of ones."""
    rng = np.random.default_rng(0)
    dims = {"batch": BATCH, "sequence": SEQ_LEN}
    feeds = {}
    init_names = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in init_names:
            continue
        t = inp.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else dims[d.dim_param]
                 for d in t.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
        if inp.name == "input_ids":
            feeds[inp.name] = rng.integers(0, vocab, size=shape).astype(dtype)
        elif inp.name == "attention_mask":
            feeds[inp.name] = np.ones(shape, dtype=dtype)
        else:
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def _fixed_dims(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    dims = {"batch": BATCH, "sequence": SEQ_LEN}
    for inp in m.graph.input:
        for d in inp.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param in dims:
                d.dim_value = dims[d.dim_param]
    return m


@functools.cache
def reference_values(path: str, vocab: int) -> dict[str, tuple[str, tuple, str]]:
    """name -> (dtype, shape, source) for every node output of the main graph."""
    import onnxruntime as ort

    model = onnx.load(path)
    fixed = _fixed_dims(model)
    try:
        inferred = shape_inference.infer_shapes(fixed, data_prop=True)
    except Exception:  # noqa: BLE001 - onnx inference is only the fallback reference
        inferred = fixed
    types = {vi.name: vi.type
             for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}

    produced = [o for n in model.graph.node for o in n.output if o]
    outputs = {o.name for o in model.graph.output}
    run = onnx.ModelProto()
    run.CopyFrom(model)
    for name in produced:
        if name in outputs:
            continue
        t = types.get(name)
        if t is not None and t.HasField("tensor_type"):
            run.graph.output.append(
                helper.make_tensor_value_info(name, t.tensor_type.elem_type, None))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(run.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    results = sess.run(names, _feeds(model, vocab))
    ref = {}
    for name, arr in zip(names, results):
        arr = np.asarray(arr)
        ref[name] = (arr.dtype.name, tuple(int(d) for d in arr.shape), "onnxruntime")
    for name in produced:
        if name in ref or name not in types:
            continue
        tt = types[name].tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            ref[name] = (_np_dtype_name(tt.elem_type),
                         tuple(d.dim_value for d in tt.shape.dim), "onnx-shape-inference")
    return ref


def _ref(mf: ModelFile) -> dict:
    return reference_values(str(mf.path), int(mf.model.get("vocab_size") or 1000))


@functools.cache
def onnx_graph_facts(path: str) -> dict:
    """Facts read straight off the file (weights not loaded)."""
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    floating = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
                onnx.TensorProto.DOUBLE}
    floating_params = {name for name, i in inits.items()
                       if i.data_type in floating and int(np.prod(i.dims)) > 1}
    # Read at a position other than BatchNormalization's running mean/var (inputs 3, 4).
    read_as_param = {x for n in g.node for k, x in enumerate(n.input)
                     if x in floating_params
                     and not (n.op_type == "BatchNormalization" and n.domain in ("", "ai.onnx")
                              and k >= 3)}
    params = sum(int(np.prod(inits[name].dims)) for name in read_as_param)
    readers: dict[str, set] = {}
    for n in g.node:
        for x in n.input:
            readers.setdefault(x, set()).add(n.op_type)
    scatter = sum(int(np.prod(inits[name].dims)) for name in read_as_param
                  if readers.get(name) == {"ScatterND"})
    kept_bn = sum(int(inits[n.input[1]].dims[0]) if n.input[1] in inits else 0
                  for n in g.node if n.op_type == "BatchNormalization")
    return {"params": params, "bn_kept_channels": kept_bn, "scatter_update_elements": scatter,
            "produced": [o for n in g.node for o in n.output if o],
            "initializers": {name: tuple(int(d) for d in i.dims) for name, i in inits.items()},
            "input_names": [i.name for i in g.input if i.name not in inits]}


def expected_params(mf: ModelFile) -> tuple[int, str]:
    facts = onnx_graph_facts(str(mf.path))
    c_bn = mf.model["batchnorm"]["channels"]
    c_kept = facts["bn_kept_channels"]
    exp = mf.model["params"] - (c_bn - c_kept)
    why = f"pytorch {mf.model['params']} - folded BN channels {c_bn - c_kept}"
    for reason, amount in EXPORT_ARTIFACTS.get((mf.name, mf.exporter), []):
        extra = int(amount(mf))
        exp += extra
        why += f" + {extra} ({reason})"
    return exp, why


# ------------------------------------------------------------------------------------------
# Tool side

def analyze(graphs, mf: ModelFile):
    return run_graphs(graphs, "analyze", str(mf.path), "--format", "json", *cli_dims())


def inspect(graphs, mf: ModelFile):
    return run_graphs(graphs, "inspect", str(mf.path), "--format", "json", *cli_dims())


# ------------------------------------------------------------------------------------------
# Tests

def test_analyze_runs(graphs, model_file):
    run = analyze(graphs, model_file)
    report = run.json()
    assert not _UNKNOWN_OP.search(run.stderr), run.stderr[:2000]
    assert report["schema_version"] == 1
    assert report["model"]["batch"] == BATCH
    t = report["totals"]
    assert t["nodes"] > 0 and t["macs"] > 0 and t["params"] > 0, t


def test_shapes_match_onnxruntime(graphs, model_file):
    ours = inspect(graphs, model_file).json()
    assert ours["schema_version"] == 1
    values = {v["name"]: v for v in ours["graph"]["values"]}
    ref = _ref(model_file)
    facts = onnx_graph_facts(str(model_file.path))

    missing = [n for n in facts["produced"] if n not in values]
    assert not missing, f"{len(missing)} node outputs absent from `graphs inspect`: {missing[:10]}"
    no_ref = [n for n in facts["produced"] if n not in ref]
    assert not no_ref, f"no reference shape for {len(no_ref)} values: {no_ref[:10]}"

    produced = set(facts["produced"])
    extra = [n for n, v in values.items() if v.get("kind") == "activation" and n not in produced]
    assert not extra, f"`graphs inspect` lists activations the file does not have: {extra[:10]}"

    bad = []
    for name in facts["produced"]:
        got, want = values[name].get("shape"), list(ref[name][1])
        if got != want:
            bad.append(f"{name}: ours {got} vs {ref[name][2]} {want}")
    assert not bad, f"{len(bad)} of {len(facts['produced'])} shapes differ:\n" + "\n".join(bad[:25])

    bad_io = []
    for name in facts["input_names"]:
        want = list(_feed_shape(model_file, name))
        if values.get(name, {}).get("shape") != want:
            bad_io.append(f"input {name}: ours {values.get(name, {}).get('shape')} vs {want}")
    for name, dims in facts["initializers"].items():
        if name in values and values[name].get("shape") != list(dims):
            bad_io.append(f"initializer {name}: ours {values[name].get('shape')} vs {list(dims)}")
    assert not bad_io, "\n".join(bad_io[:25])


def _feed_shape(mf: ModelFile, name: str) -> tuple:
    for inp in mf.entry["inputs"]:
        if inp["name"] == name:
            return tuple({"batch": BATCH, "sequence": SEQ_LEN}.get(d, d) for d in inp["shape"])
    raise KeyError(name)


def test_dtypes_match_onnxruntime(graphs, model_file):
    values = {v["name"]: v for v in inspect(graphs, model_file).json()["graph"]["values"]}
    ref = _ref(model_file)
    bad = [f"{n}: ours {values[n].get('dtype')} vs {r[2]} {r[0]}"
           for n, r in ref.items() if n in values and values[n].get("dtype") != r[0]]
    assert not bad, f"{len(bad)} dtypes differ:\n" + "\n".join(bad[:25])


def test_param_rule_explains_onnx_file(model_file):
    """The rule, checked on the file itself (no binary needed): guards the reference."""
    exp, why = expected_params(model_file)
    got = onnx_graph_facts(str(model_file.path))["params"]
    assert got == exp, f"file holds {got} parameter elements, rule gives {exp} = {why}"


def test_params_match_pytorch(graphs, model_file):
    ours = analyze(graphs, model_file).json()["totals"]["params"]
    exp, why = expected_params(model_file)
    assert ours == exp, f"ours {ours}, expected {exp} = {why}"
    if (model_file.name, model_file.exporter) not in EXPORT_ARTIFACTS:
        if model_file.model["batchnorm"]["modules"] == 0:
            assert ours == model_file.model["params"]
        else:
            assert ours <= model_file.model["params"]


def test_macs_match_flop_counter(graphs, model_file):
    ours = float(analyze(graphs, model_file).json()["totals"]["macs"])
    ref = float(model_file.model["macs"])
    exc = MAC_EXCEPTIONS.get((model_file.name, model_file.exporter))
    if exc:
        reason, extra = exc
        ref += extra(model_file)
    rel = abs(ours - ref) / ref
    assert rel <= MAC_REL_TOL, (
        f"ours {ours:.6g} vs FlopCounterMode {ref:.6g} MACs ({rel:.3%}; "
        f"by op: {model_file.model['flops_by_op']})" + (f"; exception: {exc[0]}" if exc else ""))
