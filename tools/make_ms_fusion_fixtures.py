"""Writes the com.microsoft fixtures of tests/cpp/ms_fusion_test.cc into a cache folder, never into
git (they are exports of transformers architectures): run with the dev venv,
  .venv-dev/bin/python tools/make_ms_fusion_fixtures.py           # writes, prints the folder
  .venv-dev/bin/python tools/make_ms_fusion_fixtures.py --print-dir
The folder is ${GRAPHS_CACHE_DIR:-~/.cache/graphs}/fixtures/ms_fusion/<key>, key = first 12 hex of
sha256(this file + torch/transformers/onnx/onnxruntime versions); a folder holding expected.json
is complete (written last) and is reused. scripts/test.sh runs this before ctest and passes the
folder as GRAPHS_MS_FUSION_DIR. About 7 s on 2 cores.

Real optimizer outputs. Tiny transformers configs (hidden 64, 2 layers, 4 heads, vocab 128,
32 positions, FFN 64) with random weights are exported by torch.onnx.export (TorchScript
exporter, opset 17, dims "batch" and "seq" dynamic), then fused by
onnxruntime.transformers.optimizer.optimize_model; both files are kept, the export as the
reference for MAC counts:
  bert.onnx  -> bert_opt.onnx   model_type bert: EmbedLayerNormalization, Attention,
                                SkipLayerNormalization, BiasGelu
  gpt2.onnx  -> gpt2_opt.onnx   model_type gpt2: EmbedLayerNormalization, Attention
                                (unidirectional), SkipLayerNormalization, FastGelu
  llama.onnx -> llama_opt.onnx  model_type gpt2: SimplifiedLayerNormalization,
                                SkipSimplifiedLayerNormalization, RotaryEmbedding
Hand-built, run by ONNX Runtime for their output shapes (ops the optimizer writes for models
too large for a fixture, or from other tools):
  contrib_ops.onnx              MultiHeadAttention (self, and cross with a past),
                                GroupQueryAttention with a KV cache, QuickGelu, FastGelu with
                                bias, Gelu
  gather_nbits.onnx             MatMulNBitsQuantizer on an embedding Gather + MatMul:
                                GatherBlockQuantized, MatMulNBits

What the script changes to make the optimizer's patterns appear, none of which changes the math:
- Weights are random multiples of 1/64 in [-1/8, 1/8] (few distinct values: the files compress).
- transformers 5 writes attention scores as (q·kᵀ)·scale and views heads as (..., -1, head_dim);
  ONNX Runtime's BERT and GPT-2 fusions match the older (q·kᵀ)/√d and an explicit num_heads. An
  attention function registered with transformers.AttentionInterface computes the older form
  (GPT-2's with its causal mask sliced from a [1, 1, 32, 32] buffer, as transformers 4 did), and
  the exported Reshape targets get num_heads in place of -1 (the same shape).
- BERT takes its mask as the extended additive mask (1 - mask) · -10000, as transformers 4 built it.
- The rotary caches ONNX Runtime's fusion writes (131072 positions) are cut to the 32 the model has.
- Llama gets position ids [batch, seq] (arange expanded): the fused RotaryEmbedding needs one row
  per batch entry, which the default [1, seq] positions do not give.

Written with torch 2.14.1, transformers 5.17.0, onnx 1.23.1 and onnxruntime 1.30.0; other
versions may fuse differently (the test checks the ops listed in expected.json).

expected.json: per optimized or hand-built file, the dims to bind (batch 2, seq 16), the output
shapes ONNX Runtime produced on random inputs, the reference export (for MACs) and the
com.microsoft ops it holds.
"""
import argparse
import hashlib
import importlib.metadata
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.transformers.optimizer import optimize_model
from transformers import AttentionInterface

warnings.filterwarnings("ignore")
OUT = "."  # set by main()
BATCH, SEQ, HIDDEN, HEADS, HEAD = 2, 16, 64, 4, 16
torch.manual_seed(0)
rng = np.random.default_rng(0)


def out(name):
    return os.path.join(OUT, name)


def randomize(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randint(-8, 9, p.shape).float() / 64)


def bert_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kw):
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(module.attention_head_size)
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1)
    return torch.matmul(probs, value).transpose(1, 2), probs


def gpt2_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kw):
    w = torch.matmul(query, key.transpose(-1, -2)) / (float(value.size(-1)) ** 0.5)
    nd, ns = w.size(-2), w.size(-1)
    w = torch.where(module.legacy_bias[:, :, ns - nd:ns, :ns], w, module.legacy_masked_bias)
    w = torch.softmax(w, dim=-1)
    return torch.matmul(w, value).transpose(1, 2), w


AttentionInterface.register("bert_legacy", bert_attention)
AttentionInterface.register("gpt2_legacy", gpt2_attention)


class Wrapper(torch.nn.Module):
    def __init__(self, model, names, extended_mask=False, batch_positions=False):
        super().__init__()
        self.model, self.names = model, names
        self.extended_mask, self.batch_positions = extended_mask, batch_positions

    def forward(self, *args):
        kwargs = dict(zip(self.names, args))
        if self.extended_mask:
            mask = kwargs["attention_mask"]
            kwargs["attention_mask"] = (1.0 - mask[:, None, None, :].to(torch.float32)) * -10000.0
        if self.batch_positions:
            ids = kwargs["input_ids"]
            kwargs["position_ids"] = \
                torch.arange(ids.shape[1]).unsqueeze(0).expand(ids.shape[0], -1)
        return self.model(**kwargs)[0]


def export(model, names, path, extended_mask=False, batch_positions=False):
    args = tuple(torch.randint(0, 128, (BATCH, SEQ)) if n == "input_ids" else
                 torch.ones(BATCH, SEQ, dtype=torch.int64) if n == "attention_mask" else
                 torch.zeros(BATCH, SEQ, dtype=torch.int64) for n in names)
    torch.onnx.export(Wrapper(model, names, extended_mask, batch_positions), args, path,
                      input_names=names,
                      output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "seq"} for n in names},
                      opset_version=17, dynamo=False)


def explicit_heads(path):
    """Reshape targets (.., -1, HEAD) of the export get HEADS for -1 (the same shape)."""
    m = onnx.load(path)
    producer = {o: n for n in m.graph.node for o in n.output}

    def const(name):
        n = producer.get(name)
        if n is None or n.op_type != "Constant":
            return None
        return numpy_helper.to_array(n.attribute[0].t).reshape(-1).tolist()

    for n in m.graph.node:
        if n.op_type == "Concat" and len(n.input) == 4 and const(n.input[2]) == [-1] \
                and const(n.input[3]) == [HEAD]:
            n.input[2] = "num_heads"
    m.graph.node.insert(0, helper.make_node("Constant", [], ["num_heads"],
                                            value=numpy_helper.from_array(np.array([HEADS]))))
    onnx.save(m, path)


def cut_rotary_caches(path, positions):
    m = onnx.load(path)
    for i, t in enumerate(m.graph.initializer):
        if t.name in ("cos_cache", "sin_cache") and t.dims[0] > positions:
            a = numpy_helper.to_array(t)[:positions]
            m.graph.initializer[i].CopyFrom(
                numpy_helper.from_array(np.ascontiguousarray(a), t.name))
    onnx.save(m, path)


def optimize(src, dst, model_type):
    o = optimize_model(out(src), model_type=model_type, num_heads=HEADS, hidden_size=HIDDEN,
                       opt_level=0)
    o.save_model_to_file(out(dst))


def bert():
    cfg = transformers.BertConfig(vocab_size=128, hidden_size=HIDDEN, num_hidden_layers=2,
                                  num_attention_heads=HEADS, intermediate_size=64,
                                  max_position_embeddings=32, attn_implementation="bert_legacy")
    m = transformers.BertModel(cfg, add_pooling_layer=False).eval()
    randomize(m)
    export(m, ["input_ids", "attention_mask", "token_type_ids"], out("bert.onnx"), True)
    explicit_heads(out("bert.onnx"))
    optimize("bert.onnx", "bert_opt.onnx", "bert")


def gpt2():
    cfg = transformers.GPT2Config(vocab_size=128, n_embd=HIDDEN, n_layer=2, n_head=HEADS,
                                  n_positions=32, n_inner=64, use_cache=False,
                                  attn_implementation="gpt2_legacy")
    m = transformers.GPT2Model(cfg).eval()
    randomize(m)
    for block in m.h:
        causal = torch.tril(torch.ones(32, 32, dtype=torch.bool)).view(1, 1, 32, 32)
        block.attn.register_buffer("legacy_bias", causal, persistent=False)
        block.attn.register_buffer("legacy_masked_bias", torch.tensor(-1e4), persistent=False)
    export(m, ["input_ids"], out("gpt2.onnx"))
    explicit_heads(out("gpt2.onnx"))
    optimize("gpt2.onnx", "gpt2_opt.onnx", "gpt2")


def llama():
    cfg = transformers.LlamaConfig(vocab_size=128, hidden_size=HIDDEN, num_hidden_layers=2,
                                   num_attention_heads=HEADS, num_key_value_heads=2,
                                   intermediate_size=64, max_position_embeddings=32,
                                   use_cache=False, attn_implementation="eager")
    m = transformers.LlamaModel(cfg).eval()
    randomize(m)
    export(m, ["input_ids", "attention_mask"], out("llama.onnx"), batch_positions=True)
    optimize("llama.onnx", "llama_opt.onnx", "gpt2")
    cut_rotary_caches(out("llama_opt.onnx"), 32)


def weight(name, shape):
    return numpy_helper.from_array((rng.integers(-8, 9, shape) / 64).astype(np.float32), name)


def contrib_ops():
    f = TensorProto.FLOAT
    ms = "com.microsoft"
    inputs = [helper.make_tensor_value_info("x", f, ["batch", "seq", HIDDEN]),
              helper.make_tensor_value_info("past_key", f, ["batch", HEADS, 8, HEAD]),
              helper.make_tensor_value_info("past_value", f, ["batch", HEADS, 8, HEAD]),
              helper.make_tensor_value_info("gqa_past_key", f, ["batch", 2, 8, HEAD]),
              helper.make_tensor_value_info("gqa_past_value", f, ["batch", 2, 8, HEAD]),
              helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch"])]
    inits = [weight("wq", [HIDDEN, HIDDEN]), weight("wk", [HIDDEN, HIDDEN]),
             weight("wv", [HIDDEN, HIDDEN]), weight("wk2", [HIDDEN, 32]),
             weight("wv2", [HIDDEN, 32]), weight("bias", [HIDDEN]),
             numpy_helper.from_array(np.array(SEQ + 8, dtype=np.int32), "total_len")]
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"]),
        helper.make_node("MatMul", ["x", "wk"], ["k"]),
        helper.make_node("MatMul", ["x", "wv"], ["v"]),
        helper.make_node("MatMul", ["x", "wk2"], ["k2"]),
        helper.make_node("MatMul", ["x", "wv2"], ["v2"]),
        helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["mha"], domain=ms,
                         num_heads=HEADS, name="mha_self"),
        helper.make_node("MultiHeadAttention",
                         ["q", "k", "v", "", "", "", "past_key", "past_value"],
                         ["mha_past", "present_key", "present_value"], domain=ms,
                         num_heads=HEADS, name="mha_past"),
        helper.make_node("GroupQueryAttention",
                         ["q", "k2", "v2", "gqa_past_key", "gqa_past_value", "seqlens_k",
                          "total_len"],
                         ["gqa", "gqa_present_key", "gqa_present_value"], domain=ms,
                         num_heads=HEADS, kv_num_heads=2, name="gqa"),
        helper.make_node("QuickGelu", ["mha"], ["quick"], domain=ms, alpha=1.702),
        helper.make_node("FastGelu", ["gqa", "bias"], ["fast"], domain=ms),
        helper.make_node("Gelu", ["mha_past"], ["gelu"], domain=ms),
    ]
    outputs = [helper.make_tensor_value_info(n, f, None) for n in
               ["quick", "fast", "gelu", "present_key", "present_value", "gqa_present_key",
                "gqa_present_value"]]
    g = helper.make_graph(nodes, "contrib_ops", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid(ms, 1)])
    m.ir_version = 8
    onnx.save(m, out("contrib_ops.onnx"))


def gather_nbits():
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )
    f = TensorProto.FLOAT
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["emb"], name="embed"),
             helper.make_node("MatMul", ["emb", "w"], ["y"], name="proj")]
    g = helper.make_graph(
        nodes, "gather_nbits",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", f, ["batch", "seq", HIDDEN])],
        [weight("table", [128, HIDDEN]), weight("w", [HIDDEN, HIDDEN])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True,
                                          op_types_to_quantize=("MatMul", "Gather"),
                                          quant_axes=(("MatMul", 0), ("Gather", 1)))
    q = MatMulNBitsQuantizer(m, algo_config=config)
    q.process()
    onnx.save(q.model.model, out("gather_nbits.onnx"))


def feeds(sess, batch):
    data = {}
    for i in sess.get_inputs():
        shape = [batch if d == "batch" else SEQ if d == "seq" else d for d in i.shape]
        if i.name == "input_ids":
            data[i.name] = rng.integers(0, 128, shape).astype(np.int64)
        elif i.name == "seqlens_k":
            data[i.name] = np.full(shape, SEQ + 8 - 1, dtype=np.int32)
        elif "int" in i.type:
            dtype = np.int32 if "int32" in i.type else np.int64
            data[i.name] = (np.ones if "mask" in i.name else np.zeros)(shape, dtype=dtype)
        else:
            data[i.name] = rng.standard_normal(shape).astype(np.float32)
    return data


def expected(name, reference=None, batch=BATCH):
    sess = ort.InferenceSession(out(name), providers=["CPUExecutionProvider"])
    results = sess.run(None, feeds(sess, batch))
    ops = sorted({n.op_type for n in onnx.load(out(name)).graph.node if n.domain == "com.microsoft"
                  or n.op_type == "SimplifiedLayerNormalization"})
    entry = {"dims": {"batch": batch, "seq": SEQ},
             "outputs": {o.name: list(r.shape) for o, r in zip(sess.get_outputs(), results)},
             "ops": ops}
    if reference:
        entry["reference"] = reference
    return entry


def fixtures_key() -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    for pkg in ("torch", "transformers", "onnx", "onnxruntime"):
        h.update(f"{pkg}={importlib.metadata.version(pkg)};".encode())
    return h.hexdigest()[:12]


def default_dir() -> Path:
    env = os.environ.get("GRAPHS_CACHE_DIR")
    root = Path(env) if env else Path.home() / ".cache" / "graphs"
    return root / "fixtures" / "ms_fusion" / fixtures_key()


def generate() -> None:
    bert()
    gpt2()
    llama()
    contrib_ops()
    gather_nbits()
    table = {"bert_opt.onnx": expected("bert_opt.onnx", "bert.onnx"),
             "gpt2_opt.onnx": expected("gpt2_opt.onnx", "gpt2.onnx"),
             "llama_opt.onnx": expected("llama_opt.onnx", "llama.onnx"),
             # ONNX Runtime's GroupQueryAttention takes a prompt with a past at batch 1 only.
             "contrib_ops.onnx": expected("contrib_ops.onnx", batch=1),
             "gather_nbits.onnx": expected("gather_nbits.onnx")}
    with open(out("expected.json"), "w") as fp:
        json.dump(table, fp, indent=1, sort_keys=True)
        fp.write("\n")
    for f in sorted(os.listdir(OUT)):
        if f.endswith(".onnx"):
            print(f, os.path.getsize(out(f)), table.get(f, {}).get("ops", ""), file=sys.stderr)


def main(argv=None) -> int:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="output folder (default: the keyed cache folder)")
    ap.add_argument("--print-dir", action="store_true", help="print the folder and exit")
    a = ap.parse_args(argv)
    folder = (a.out or default_dir()).resolve()
    if a.print_dir:
        print(folder)
        return 0
    if (folder / "expected.json").is_file():
        print(folder)
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    OUT = str(folder)
    generate()
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
