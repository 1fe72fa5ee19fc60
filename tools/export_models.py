#!/usr/bin/env python3
"""Export real models (random weights) to ONNX for the graphs test suite and benchmarks.

Models come from torchvision (``weights=None``) and transformers config objects; nothing is
downloaded. Each model is exported twice:

- ``<name>.ts17.onnx``: TorchScript-based exporter (``dynamo=False``), opset 17, dynamic batch
  (and sequence for text models) through ``dynamic_axes``.
- ``<name>.dynamo.onnx``: dynamo exporter (``dynamo=True``) at its default opset, dynamic
  batch/sequence through ``dynamic_shapes``; static shapes where that fails (the manifest says
  so). Weights go to an external-data side file ``<name>.dynamo.onnx.data`` next to the model.

Output directory: ``--out DIR``, else ``${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/models/<key>``,
``key`` = first 12 hex of sha256(this file + torch/transformers/onnx versions). Files already
exported (present on disk and recorded as ok in manifest.json) are skipped. A failure is
recorded in the manifest with its error; the exit status is 1 if anything failed, unless
``--keep-going``.

manifest.json (schema_version 1)::

  {"schema_version": 1, "key": ..., "versions": {...}, "python": ...,
   "models": {NAME: {"source", "task", "image_size", "vocab_size", "params" (PyTorch,
                     shared parameters once), "buffers", "buffer_elements",
                     "batchnorm": {"modules", "channels", "affine_params"},
                     "structure": {"relative_position_bias", "tied_params", "inv_freq_elements"},
                     "macs", "flop_counter_flops", "flops_by_op", "count_s", ...}},
   "files": {FILE: {"model", "exporter", "status": "ok"|"failed", "opset", "file",
                    "data_files", "inputs": [{"name", "dtype", "shape"}], "outputs": [...],
                    "dynamic_dims", "dynamic": bool, "note", "export_s", "error"}}}

MACs are counted by torch.utils.flop_counter.FlopCounterMode at batch 1 (and seq 128) with the
math SDPA backend (so attention products are seen as bmm): MACs = counted FLOPs / 2, where
FlopCounterMode counts only conv, mm, addmm, bmm, baddbmm and attention kernels.

Before counting and export, every parameter gets small seeded noise and every BatchNorm random
running statistics (see randomize_): fresh initial values are full of identical tensors, which
exporters deduplicate or drop, and the files would not show the architecture's parameters.

Run it with the tooling venv (scripts/python_env.sh): .venv-dev/bin/python tools/export_models.py
Threads: 1 by default (--threads), for a 2-core machine shared with a C++ build.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]


def _load_torch_models():
    """python/graphs/torch_models.py (builders shared with the bench worker; pure Python, no
    torch at import), loaded from the source tree by path: never a stale installed copy, and
    without putting the source tree's `graphs` package ahead of the installed one."""
    import importlib.util
    path = REPO / "python" / "graphs" / "torch_models.py"
    spec = importlib.util.spec_from_file_location("graphs_torch_models", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("graphs_torch_models", mod)   # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


torch_models = _load_torch_models()

SCHEMA_VERSION = 1
EXPORTERS = ("ts17", "dynamo")
TS_OPSET = 17
BATCH = 1
SEQ_LEN = 128


# --------------------------------------------------------------------------------------------
# Locations (importable without torch: tests/python/conftest.py uses these)

def cache_root() -> Path:
    env = os.environ.get("GRAPHS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "graphs"


def package_versions() -> dict[str, str]:
    out = {}
    for pkg in ("torch", "torchvision", "transformers", "onnx", "onnxscript"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def export_key() -> str:
    """First 12 hex of sha256(this file + graphs/torch_models.py + torch/transformers/onnx
    versions)."""
    v = package_versions()
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(Path(torch_models.__file__).read_bytes())
    h.update(f"torch={v['torch']};transformers={v['transformers']};onnx={v['onnx']}".encode())
    return h.hexdigest()[:12]


def default_out_dir() -> Path:
    return cache_root() / "models" / export_key()


# --------------------------------------------------------------------------------------------
# Model catalogue

@dataclass
class Spec:
    name: str
    source: str                      # "torchvision" | "transformers"
    task: str                        # "vision" | "text"
    build: Callable[[], Any]         # returns an eval-mode nn.Module taking the inputs below
    input_names: list[str]
    output_names: list[str]
    image_size: int = 224
    vocab_size: int = 0
    extra: dict = field(default_factory=dict)


def _tv(name: str, **kw) -> Callable[[], Any]:
    def build():
        return torch_models.torchvision_model(name, **kw)
    return build


#: Catalogue names of the transformers models → their graphs.torch_models.HF_MODELS names.
HF_NAMES = {"bert-base": "bert-base-uncased", "gpt2": "gpt2", "llama-small": "llama-small",
            "vit-base": "google/vit-base-patch16-224"}


def _hf(kind: str) -> Callable[[], Any]:
    def build():
        # Plain tensors in, a tuple of tensors out (no ModelOutput, no cache); explicit
        # signatures so that torch.export matches dynamic_shapes to named inputs.
        return torch_models.hf_model(HF_NAMES[kind])
    return build


def catalogue() -> list[Spec]:
    img = ["pixel_values"]
    tv = [
        ("resnet18", {}), ("resnet34", {}), ("resnet50", {}), ("mobilenet_v2", {}),
        ("mobilenet_v3_large", {}), ("efficientnet_b0", {}), ("squeezenet1_0", {}),
        ("densenet121", {}), ("convnext_tiny", {}), ("vit_b_16", {}), ("swin_t", {}),
        ("regnet_y_400mf", {}), ("shufflenet_v2_x1_0", {}),
        ("googlenet", {"aux_logits": False, "init_weights": True}),
        ("inception_v3", {"aux_logits": False, "init_weights": True}),
    ]
    specs = [Spec(n, "torchvision", "vision", _tv(n, **kw), img, ["logits"],
                  image_size=299 if n == "inception_v3" else 224, extra={"kwargs": kw})
             for n, kw in tv]
    specs += [
        Spec("bert-base", "transformers", "text", _hf("bert-base"),
             ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"],
             vocab_size=30522, extra={"config": "BertConfig()"}),
        Spec("gpt2", "transformers", "text", _hf("gpt2"), ["input_ids"], ["logits"],
             vocab_size=50257, extra={"config": "GPT2Config(use_cache=False)"}),
        Spec("llama-small", "transformers", "text", _hf("llama-small"),
             ["input_ids", "attention_mask"], ["logits"], vocab_size=32000,
             extra={"config": "LlamaConfig(hidden_size=256, num_hidden_layers=4, "
                              "num_attention_heads=4, num_key_value_heads=2, "
                              "intermediate_size=688, vocab_size=32000, use_cache=False)"}),
        Spec("vit-base", "transformers", "vision", _hf("vit-base"), img,
             ["last_hidden_state", "pooler_output"], extra={"config": "ViTConfig()"}),
    ]
    return specs


def example_inputs(spec: Spec, batch: int, seq: int) -> tuple:
    import torch
    g = torch.Generator().manual_seed(0)
    if spec.task == "vision":
        s = spec.image_size
        return (torch.randn(batch, 3, s, s, generator=g),)
    ids = torch.randint(0, spec.vocab_size, (batch, seq), generator=g, dtype=torch.int64)
    if len(spec.input_names) == 2:
        return ids, torch.ones(batch, seq, dtype=torch.int64)
    return (ids,)


def dynamic_dims_of(spec: Spec) -> dict[str, dict[int, str]]:
    if spec.task == "vision":
        return {n: {0: "batch"} for n in spec.input_names}
    return {n: {0: "batch", 1: "sequence"} for n in spec.input_names}


randomize_ = torch_models.randomize_   # seeded noise on every parameter and BN statistic


# --------------------------------------------------------------------------------------------
# PyTorch-side reference counts

def _tied(model) -> list:
    seen, tied = {}, []
    for _, p in model.named_parameters(remove_duplicate=False):
        seen[id(p)] = seen.get(id(p), 0) + 1
        if seen[id(p)] == 2:
            tied.append(p)
    return tied


def torch_counts(spec: Spec, model) -> dict:
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in model.parameters())          # parameters() is deduplicated
    buffers = list(model.buffers())
    bn = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    bn_channels = sum(m.num_features for m in bn)
    bn_affine = sum(p.numel() for m in bn for p in m.parameters(recurse=False))

    # Grad mode stays on: under no_grad nn.MultiheadAttention takes its fused fast path
    # (aten._native_multi_head_attention), whose products FlopCounterMode does not see. The math
    # SDPA backend decomposes attention into bmm, which it does count.
    counter = FlopCounterMode(display=False)
    with torch.enable_grad(), sdpa_kernel([SDPBackend.MATH]), counter:
        model(*example_inputs(spec, BATCH, SEQ_LEN))
    by_op = {str(k): int(v) for k, v in counter.get_flop_counts().get("Global", {}).items()}
    flops = int(counter.get_total_flops())
    # Tensors whose export changes the parameter count in a way the tests must explain.
    structure = {
        # [heads, window area, table rows] per relative-position-bias table (Swin): exporters
        # fold table[index] into an [area, area, heads] constant.
        "relative_position_bias": [
            [int(m.relative_position_bias_table.shape[1]), int(m.relative_position_index.numel()
                                                               ** 0.5),
             int(m.relative_position_bias_table.shape[0])]
            for m in model.modules() if hasattr(m, "relative_position_bias_table")],
        # Elements of parameters shared by several modules (tied embeddings), counted once above.
        "tied_params": int(sum(p.numel() for p in _tied(model))),
        # Rotary-embedding inverse frequencies: a float buffer, not a parameter.
        "inv_freq_elements": int(sum(b.numel() for n, b in model.named_buffers()
                                     if n.rsplit(".", 1)[-1] == "inv_freq")),
    }
    return {
        "params": int(params),
        "structure": structure,
        "buffers": len(buffers),
        "buffer_elements": int(sum(b.numel() for b in buffers)),
        "batchnorm": {"modules": len(bn), "channels": int(bn_channels),
                      "affine_params": int(bn_affine)},
        "flop_counter_flops": flops,
        "macs": flops / 2,
        "flops_by_op": by_op,
        "mac_batch": BATCH,
        "mac_seq_len": SEQ_LEN if spec.task == "text" else None,
    }


# --------------------------------------------------------------------------------------------
# Export

def _export_ts17(spec: Spec, model, path: Path) -> dict:
    import torch
    args = example_inputs(spec, BATCH, SEQ_LEN)
    dyn = dynamic_dims_of(spec)
    torch.onnx.export(model, args, str(path), dynamo=False, opset_version=TS_OPSET,
                      input_names=spec.input_names, output_names=spec.output_names,
                      dynamic_axes=dyn, do_constant_folding=True)
    return {"dynamic": True, "note": ""}


def _export_dynamo(spec: Spec, model, path: Path) -> dict:
    import torch
    from torch.export import Dim

    batch = Dim("batch", min=1, max=1024)
    seq = Dim("sequence", min=2, max=512)
    shapes = {n: ({0: batch} if spec.task == "vision" else {0: batch, 1: seq})
              for n in spec.input_names}
    # Example batch 2: torch.export specializes dims whose example size is 0 or 1.
    args = example_inputs(spec, 2, SEQ_LEN)
    try:
        prog = torch.onnx.export(model, args, dynamo=True, input_names=spec.input_names,
                                 output_names=spec.output_names,
                                 dynamic_shapes=tuple(shapes[n] for n in spec.input_names),
                                 external_data=True)
        note, dynamic = "", True
    except Exception as e:  # noqa: BLE001 - recorded, then retried static
        note = f"dynamic export failed ({type(e).__name__}: {_first_cause(e)}); " \
               "exported with static shapes"
        dynamic = False
        prog = torch.onnx.export(model, example_inputs(spec, BATCH, SEQ_LEN), dynamo=True,
                                 input_names=spec.input_names, output_names=spec.output_names,
                                 external_data=True)
    prog.save(str(path), external_data=True)
    return {"dynamic": dynamic, "note": note}


def _first_cause(e: BaseException) -> str:
    """The innermost cause's first line (torch.onnx wraps torch.export's error in a banner)."""
    while e.__cause__ is not None:
        e = e.__cause__
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0][:300] if lines else ''}"


def describe_onnx(path: Path) -> dict:
    import onnx
    m = onnx.load(str(path), load_external_data=False)

    def vi(v):
        t = v.type.tensor_type
        shape = [d.dim_param if d.HasField("dim_param") else
                 (d.dim_value if d.HasField("dim_value") else None) for d in t.shape.dim]
        return {"name": v.name,
                "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name,
                "shape": shape}

    inputs = [vi(v) for v in m.graph.input]
    dyn = sorted({d for v in inputs for d in v["shape"] if isinstance(d, str)})
    data_files = sorted({e.value for init in m.graph.initializer for e in init.external_data
                         if e.key == "location"})
    return {
        "opset": next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None),
        "opsets": {o.domain or "": o.version for o in m.opset_import},
        "inputs": inputs,
        "outputs": [vi(v) for v in m.graph.output],
        "dynamic_dims": dyn,
        "nodes": len(m.graph.node),
        "data_files": data_files,
    }


def export_one(spec: Spec, exporter: str, model, out: Path) -> dict:
    fname = f"{spec.name}.{exporter}.onnx"
    tmp = out / f".tmp-{fname}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    try:
        fn = _export_ts17 if exporter == "ts17" else _export_dynamo
        info = fn(spec, model, tmp / fname)
        elapsed = time.perf_counter() - t0
        desc = describe_onnx(tmp / fname)
        # Move the model last so that a present .onnx implies its side files are present too.
        for f in sorted(tmp.iterdir(), key=lambda p: p.name == fname):
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"model": spec.name, "exporter": exporter, "status": "ok", "file": fname,
            "export_s": round(elapsed, 2), **info, **desc}


# --------------------------------------------------------------------------------------------
# Manifest

def load_manifest(out: Path) -> dict:
    p = out / "manifest.json"
    if p.exists():
        try:
            m = json.loads(p.read_text())
            if m.get("schema_version") == SCHEMA_VERSION:
                return m
        except json.JSONDecodeError:
            pass
    return {"schema_version": SCHEMA_VERSION, "models": {}, "files": {}}


def save_manifest(out: Path, manifest: dict) -> None:
    p = out / "manifest.json"
    tmp = p.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, p)


def _is_done(manifest: dict, out: Path, fname: str) -> bool:
    e = manifest["files"].get(fname)
    return bool(e and e.get("status") == "ok" and (out / fname).exists()
                and all((out / d).exists() for d in e.get("data_files", [])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="output directory (default: the keyed cache dir)")
    ap.add_argument("--only", help="comma-separated model names (default: all)")
    ap.add_argument("--exporters", default=",".join(EXPORTERS),
                    help="comma-separated subset of: " + ",".join(EXPORTERS))
    ap.add_argument("--keep-going", action="store_true",
                    help="exit 0 even if some exports failed (failures stay in the manifest)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    ap.add_argument("--list", action="store_true", help="print model names and exit")
    ap.add_argument("--print-dir", action="store_true",
                    help="print the default output directory and exit")
    a = ap.parse_args(argv)

    specs = catalogue()
    if a.list:
        print("\n".join(s.name for s in specs))
        return 0
    out = (a.out or default_out_dir()).resolve()
    if a.print_dir:
        print(out)
        return 0

    names = {s.name for s in specs}
    only = [n.strip() for n in a.only.split(",")] if a.only else sorted(names)
    unknown = [n for n in only if n not in names]
    exporters = [e.strip() for e in a.exporters.split(",") if e.strip()]
    bad_exp = [e for e in exporters if e not in EXPORTERS]
    if unknown or bad_exp:
        print(f"export_models: unknown model(s) {unknown} / exporter(s) {bad_exp}; "
              f"models: {sorted(names)}; exporters: {list(EXPORTERS)}", file=sys.stderr)
        return 2
    specs = [s for s in specs if s.name in only]

    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(out)
    manifest["key"] = export_key()
    manifest["versions"] = package_versions()
    manifest["python"] = sys.version.split()[0]

    todo = [(s, e) for s in specs for e in exporters
            if not _is_done(manifest, out, f"{s.name}.{e}.onnx")]
    print(f"export_models: {out}: {len(todo)} to export, "
          f"{len(specs) * len(exporters) - len(todo)} already done", file=sys.stderr)
    if not todo:
        return _finish(manifest, specs, exporters, a.keep_going)

    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    import warnings

    import torch
    torch.set_num_threads(a.threads)
    warnings.filterwarnings("ignore")
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.set_verbosity_error()
    except Exception:  # noqa: BLE001
        pass

    total0 = time.perf_counter()
    for spec in specs:
        mine = [e for (s, e) in todo if s is spec]
        if not mine:
            continue
        try:
            torch.manual_seed(0)
            model = spec.build().eval()
            randomize_(model)
            if spec.name not in manifest["models"] or "macs" not in manifest["models"][spec.name]:
                t0 = time.perf_counter()
                counts = torch_counts(spec, model)
                manifest["models"][spec.name] = {
                    "source": spec.source, "task": spec.task,
                    "image_size": spec.image_size if spec.task == "vision" else None,
                    "vocab_size": spec.vocab_size or None, **spec.extra, **counts,
                    "count_s": round(time.perf_counter() - t0, 2)}
                save_manifest(out, manifest)
        except Exception as e:  # noqa: BLE001 - recorded per model
            err = f"{type(e).__name__}: {e}"
            for exp in mine:
                manifest["files"][f"{spec.name}.{exp}.onnx"] = {
                    "model": spec.name, "exporter": exp, "status": "failed",
                    "stage": "build", "error": err[:2000],
                    "traceback": traceback.format_exc()[-4000:]}
            print(f"export_models: {spec.name}: build FAILED: {err[:300]}", file=sys.stderr)
            save_manifest(out, manifest)
            continue
        for exp in mine:
            fname = f"{spec.name}.{exp}.onnx"
            t0 = time.perf_counter()
            try:
                entry = export_one(spec, exp, model, out)
                print(f"export_models: {fname}: ok in {entry['export_s']:.1f} s"
                      + (f" ({entry['note']})" if entry.get("note") else ""), file=sys.stderr)
            except Exception as e:  # noqa: BLE001 - recorded per file
                err = f"{type(e).__name__}: {e}"
                entry = {"model": spec.name, "exporter": exp, "status": "failed",
                         "stage": "export", "error": err[:2000],
                         "traceback": traceback.format_exc()[-4000:],
                         "export_s": round(time.perf_counter() - t0, 2)}
                print(f"export_models: {fname}: FAILED: {err[:300]}", file=sys.stderr)
            manifest["files"][fname] = entry
            save_manifest(out, manifest)
        del model
    print(f"export_models: exported in {time.perf_counter() - total0:.0f} s", file=sys.stderr)
    return _finish(manifest, specs, exporters, a.keep_going)


def _finish(manifest: dict, specs: list[Spec], exporters: list[str], keep_going: bool) -> int:
    wanted = {f"{s.name}.{e}.onnx" for s in specs for e in exporters}
    failed = sorted(f for f in wanted if manifest["files"].get(f, {}).get("status") != "ok")
    static = sorted(f for f in wanted if manifest["files"].get(f, {}).get("dynamic") is False)
    if static:
        print(f"export_models: static shapes (dynamic export failed): {', '.join(static)}",
              file=sys.stderr)
    if failed:
        print(f"export_models: {len(failed)} FAILED: {', '.join(failed)} "
              "(errors in manifest.json)", file=sys.stderr)
        return 0 if keep_going else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
