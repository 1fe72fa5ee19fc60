"""Differential check of the TP converter: sharded model vs the unsharded one.

    python -m graphs.tp.verify --model NAME[,NAME...] --world-size N[,N...] [--timeout S]

Every plan comes from the C++ planner (`graphs tp ... --format json`; binary from $GRAPHS_BIN,
beside the interpreter or on PATH), never from Python:
- gpt2-small-test (GPT2Model), gpt2-lm-test (GPT2LMHeadModel, tied LM head), llama-test
  (LlamaForCausalLM, grouped-query attention), bert-test (BertModel with pooler), mlp, cnn
  (Conv-BN-ReLU, depthwise Conv-BN-ReLU, 1×1 Conv-BN-ReLU, pool, Linear): small models with
  random weights, exported to ONNX by the TorchScript exporter (the module path in every node's
  scope, BatchNorm kept: training=PRESERVE, no constant folding) and planned from that file;
  transformers models through a wrapper whose module `m` holds the model, so plan names start
  with "m.";
- gpt2, bert-base (the real configs) and resnet18 (torchvision, input 2×3×64×64): the zoo model
  of the same architecture and module names (`graphs tp ZOO`).
Parameters get small seeded noise and BatchNorm random statistics first, so that no two tensors
are equal (the exporter would merge them) and BatchNorm does something.

Spawns N gloo processes on CPU. Every rank builds the model with the same seed, converts a copy
with the plan, runs forward on the same input, one backward and one SGD step, and compares:
outputs, the gradient of every original parameter and the parameters and outputs after the step
(shards all-gathered back to the original layout), max abs error against 1e-5 × max(1, the
reference's largest magnitude) (fp32; sums over ranks run in another order). Per-rank parameter
bytes: their sum = total + (N − 1) × replicated bytes, and each rank's bytes equal the planner's
`analysis.parameters.per_rank` × 4 exactly. One JSON line per check (plan, forward, grad,
sgd_step, param_bytes); exit status 1 when a check fails or a rank fails or hangs, 2 on bad
usage.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn

# name → the C++ zoo model with the same architecture and module names; None: the model's own
# TorchScript ONNX export is planned.
ZOO = {"gpt2-small-test": None, "gpt2-lm-test": None, "llama-test": None, "bert-test": None,
       "mlp": None, "cnn": None, "gpt2": "gpt2", "bert-base": "bert-base",
       "resnet18": "resnet18"}
MODELS = tuple(ZOO)
TOLERANCE = 1e-5
SEQ = 16
BATCH = 2
IMAGE = 64  # resnet18's input side: small and fast; the plan does not depend on it


def _hf_wrapper(model: nn.Module) -> nn.Module:
    """transformers model → a module with one tensor in (token ids) and one tensor out, which
    the TorchScript exporter can trace: an all-ones attention mask made in the graph (without
    one, transformers looks for packed sequences with torch.diff, which opset 17 cannot
    express), no cache; BertModel's pooled output appended to its hidden states."""
    import torch
    from torch import nn

    class HfPlain(nn.Module):
        def __init__(self, m: nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            out = self.m(ids, attention_mask=torch.ones_like(ids), use_cache=False,
                         return_dict=False)
            return torch.cat([t.flatten() for t in out[:2] if isinstance(t, torch.Tensor)
                              and t.dim() >= 2]) if len(out) > 1 else out[0]
    return HfPlain(model)


def _perturb(model: nn.Module) -> None:
    """Seeded noise on every parameter, random BatchNorm statistics."""
    import torch
    from torch import nn
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=g))
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None \
                    and m.running_var is not None:
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))


def _hf_model(name: str) -> tuple[nn.Module, torch.Tensor]:
    import torch
    from transformers import PreTrainedConfig, PreTrainedModel
    cfg: PreTrainedConfig
    model: PreTrainedModel
    drop: dict[str, Any] = dict(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    if name in ("gpt2-small-test", "gpt2-lm-test", "gpt2"):
        from transformers import GPT2Config, GPT2LMHeadModel, GPT2Model
        cfg = (GPT2Config(**drop) if name == "gpt2" else
               GPT2Config(n_layer=2, n_embd=128, n_head=4, vocab_size=1000, n_positions=64,
                          bos_token_id=0, eos_token_id=0, **drop))
        cfg._attn_implementation = "eager"
        model = GPT2Model(cfg) if name == "gpt2-small-test" else GPT2LMHeadModel(cfg)
    elif name == "llama-test":
        from transformers import LlamaConfig, LlamaForCausalLM
        cfg = LlamaConfig(hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                          num_attention_heads=8, num_key_value_heads=4, vocab_size=512,
                          max_position_embeddings=64, tie_word_embeddings=False,
                          bos_token_id=0, eos_token_id=0, pad_token_id=0)
        cfg._attn_implementation = "eager"
        model = LlamaForCausalLM(cfg)
    else:
        from transformers import BertConfig, BertModel
        bdrop: dict[str, Any] = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        cfg = (BertConfig(**bdrop) if name == "bert-base" else
               BertConfig(hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=256, vocab_size=512, max_position_embeddings=64,
                          pad_token_id=0, **bdrop))
        cfg._attn_implementation = "eager"
        model = BertModel(cfg)
    return model, torch.randint(0, cfg.vocab_size, (BATCH, SEQ))


def build_model(name: str) -> tuple[nn.Module, torch.Tensor]:
    """The model whose module names the plan uses, and one input batch, identical on every
    process (fixed seeds)."""
    import torch
    from torch import nn
    if name not in MODELS:
        raise ValueError(f"unknown model '{name}' (one of {', '.join(MODELS)})")
    torch.manual_seed(0)
    if name == "mlp":
        model: nn.Module = nn.Sequential(nn.Linear(32, 128), nn.GELU(), nn.Linear(128, 32),
                                         nn.LayerNorm(32), nn.Linear(32, 64), nn.ReLU(),
                                         nn.Linear(64, 16))
        x = torch.randn(4, 8, 32)
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16),
                              nn.ReLU6(), nn.Conv2d(16, 8, 1, bias=False), nn.BatchNorm2d(8),
                              nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
        x = torch.randn(BATCH, 3, 16, 16)
    elif name == "resnet18":
        import torchvision
        model = torchvision.models.resnet18(weights=None)
        x = torch.randn(BATCH, 3, IMAGE, IMAGE)
    else:
        model, x = _hf_model(name)
        if ZOO[name] is None:
            model = _hf_wrapper(model)
    _perturb(model)
    return model.eval(), x


def graphs_binary() -> str | None:
    """$GRAPHS_BIN, else `graphs` next to this interpreter, else `graphs` on PATH."""
    env = os.environ.get("GRAPHS_BIN")
    if env:
        return env
    beside = Path(sys.executable).parent / "graphs"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("graphs")


def export_onnx(model: nn.Module, x: torch.Tensor, path: str) -> None:
    """The TorchScript export the planner reads module names from (tp_modules.h): node scopes
    name the modules, BatchNorm stays a node (no eval-mode folding), weights keep their
    state_dict names (no constant folding)."""
    import torch
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


def planner_plan(name: str, world_size: int, work_dir: str) -> dict[str, Any]:
    """The C++ planner's plan + analysis for `name` at fp32: its zoo counterpart, or its ONNX
    export written to `work_dir`."""
    binary = graphs_binary()
    if binary is None:
        raise RuntimeError("graphs binary not found: set GRAPHS_BIN or install the graphs package "
                           "(the plans come from its planner)")
    zoo = ZOO[name]
    if zoo is not None:
        source = [zoo, "--batch", str(BATCH), "--seq-len", str(SEQ)]
    else:
        path = os.path.join(work_dir, f"{name}.onnx")
        if not os.path.exists(path):
            export_onnx(*build_model(name), path)
        source = [path]
    cmd = [binary, "tp", *source, "--world-size", str(world_size), "--precision", "fp32",
           "--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    plan: dict[str, Any] = json.loads(p.stdout)
    return plan


def _forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    import torch
    out = model(x)
    for key in ("logits", "last_hidden_state"):
        if hasattr(out, key):
            y = getattr(out, key)
            pooled = getattr(out, "pooler_output", None)
            # BertModel: the pooler (a gathered column-parallel head) is checked too.
            return y if pooled is None else torch.cat([y.flatten(), pooled.flatten()])
    y_out: torch.Tensor = out
    return y_out


def _max_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.detach().double() - b.detach().double()).abs().max()) if a.numel() else 0.0


def _tolerance(ref: torch.Tensor) -> float:
    return TOLERANCE * max(1.0, float(ref.detach().abs().max()) if ref.numel() else 0.0)


def _unshard(tp_model: nn.Module, name: str, t: torch.Tensor) -> torch.Tensor:
    """`t` (shaped like tp_model's parameter `name`) in the original parameter's full layout."""
    mod_name, _, leaf = name.rpartition(".")
    mod = tp_model.get_submodule(mod_name)
    unshard = getattr(mod, "unshard", None)
    return unshard(leaf, t) if unshard is not None else t


def _param_bytes(model: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def run_rank(rank: int, world_size: int, model_names: list[str], plans: dict[str, dict[str, Any]],
             out_dir: str) -> None:
    """One process of the spawned group: runs the checks of every model in `model_names`; rank 0
    writes them to OUT_DIR/results.json, a failing rank its traceback to OUT_DIR/error.RANK.
    The ranks meet through a file store in OUT_DIR (no TCP port chosen ahead: a port found free
    and bound later can be taken in between by another process on a busy machine)."""
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{os.path.join(out_dir, 'rendezvous')}",
                            rank=rank, world_size=world_size)
    try:
        results: list[dict[str, Any]] = []
        for name in model_names:
            results += _check_model(name, world_size, plans[name])
        if rank == 0:
            with open(os.path.join(out_dir, "results.json"), "w") as f:
                json.dump(results, f)
    except Exception:
        with open(os.path.join(out_dir, f"error.{rank}"), "w") as f:
            f.write(traceback.format_exc())
        raise
    finally:
        dist.destroy_process_group()


def _max_param_err(ref: nn.Module, tp: nn.Module, tp_tensor: str) -> tuple[float, float, str]:
    """Largest error over every original parameter between ref's tensor and tp's (unsharded),
    its tolerance and the parameter."""
    worst, tol, worst_name = -1.0, TOLERANCE, ""
    tp_params = dict(tp.named_parameters())
    for name, p in ref.named_parameters():
        a, b = ((p.grad, tp_params[name].grad) if tp_tensor == "grad"
                else (p, tp_params[name].detach()))
        assert a is not None and b is not None, f"{name}: no gradient"
        e = _max_err(a, _unshard(tp, name, b))
        if e / _tolerance(a) >= worst / tol:
            worst, tol, worst_name = e, _tolerance(a), name
    return worst, tol, worst_name


def _check_model(model_name: str, world_size: int,
                 planner: dict[str, Any]) -> list[dict[str, Any]]:
    import torch
    import torch.distributed as dist

    from graphs.tp.converter import convert, validate_plan
    ref, x = build_model(model_name)
    plan = validate_plan({k: v for k, v in planner.items() if k != "analysis"}, ref)
    tp = convert(copy.deepcopy(ref), plan)
    common = {"model": model_name, "world_size": world_size,
              "plan_source": f"graphs tp {ZOO[model_name] or 'ONNX export'} (C++ planner)"}
    strategies = collections.Counter(lp.strategy for lp in plan.layers)
    results: list[dict[str, Any]] = [{"check": "plan", **common, "split_layers": len(plan.layers),
                "strategies": dict(strategies),
                "split_weight_fraction": planner["analysis"]["parameters"]["split_weight_fraction"],
                "ok": len(plan.layers) > 0}]

    y_ref, y_tp = _forward(ref, x), _forward(tp, x)
    err, tol = _max_err(y_ref, y_tp), _tolerance(y_ref)
    results.append({"check": "forward", **common, "max_abs_error": err, "tolerance": tol,
                    "max_abs_output": float(y_ref.detach().abs().max()), "ok": err <= tol})

    # The loss scaled by the output's magnitude (one constant for both models), so that one SGD
    # step moves the parameters a little whatever the model's output scale.
    scale = max(1.0, float(y_ref.detach().abs().max())) ** 2
    (y_ref.pow(2).mean() / scale).backward()
    (y_tp.pow(2).mean() / scale).backward()
    err, tol, worst = _max_param_err(ref, tp, "grad")
    results.append({"check": "grad", **common, "max_abs_error": err, "tolerance": tol,
                    "worst_param": worst, "n_params": len(list(ref.parameters())),
                    "ok": err <= tol})

    for m in (ref, tp):
        torch.optim.SGD(m.parameters(), lr=0.1).step()
    err, tol, worst = _max_param_err(ref, tp, "param")
    with torch.no_grad():
        y_ref = _forward(ref, x)
        err_y, tol_y = _max_err(y_ref, _forward(tp, x)), _tolerance(y_ref)
    results.append({"check": "sgd_step", **common, "max_abs_error": max(err, err_y),
                    "tolerance": max(tol, tol_y), "worst_param": worst,
                    "ok": err <= tol and err_y <= tol_y})

    per_rank: list[Any] = [None] * world_size    # every entry set by all_gather_object
    dist.all_gather_object(per_rank, _param_bytes(tp))
    total = _param_bytes(ref)
    split = {lp.module: lp.strategy for lp in plan.layers if lp.strategy != "replicate"}

    def whole_on_every_rank(n: str) -> bool:  # unsplit modules, and row-parallel biases
        mod, _, leaf = n.rpartition(".")
        return mod not in split or (split[mod] == "row" and leaf == "bias")

    replicated = sum(p.numel() * p.element_size() for n, p in ref.named_parameters()
                     if whole_on_every_rank(n))
    params = planner["analysis"]["parameters"]
    ok = (sum(per_rank) == total + (world_size - 1) * replicated
          and all(b == params["per_rank"] * 4 for b in per_rank) and total == params["total"] * 4)
    results.append({"check": "param_bytes", **common, "per_rank_bytes": per_rank,
                    "total_bytes": total, "replicated_bytes": replicated,
                    "planner_per_rank_bytes": params["per_rank"] * 4,
                    "planner_total_bytes": params["total"] * 4, "ok": ok})
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_verify(model_names: str | list[str], world_size: int,
               timeout_s: float = 300.0) -> list[dict[str, Any]]:
    """Runs the checks of one model name or a list of them on `world_size` spawned gloo processes
    (one process group for all); returns one dict per check.
    Raises RuntimeError when a rank fails, the planner cannot be run, or the run exceeds
    `timeout_s` (hung collective)."""
    import time

    from torch.multiprocessing.spawn import ProcessException, spawn
    model_names = [model_names] if isinstance(model_names, str) else list(model_names)
    for m in model_names:
        if m not in MODELS:
            raise ValueError(f"unknown model '{m}'{_did_you_mean(m)} (one of {', '.join(MODELS)})")
    model_name = ",".join(model_names)
    if world_size < 1:
        raise ValueError(f"world size must be >= 1, got {world_size}")
    with tempfile.TemporaryDirectory(prefix="graphs-tp-") as out_dir:
        plans = {m: planner_plan(m, world_size, out_dir) for m in model_names}
        ctx = spawn(run_rank, args=(world_size, model_names, plans, out_dir),
                       nprocs=world_size, join=False)
        deadline = time.monotonic() + timeout_s
        try:
            while not ctx.join(timeout=max(0.1, min(1.0, deadline - time.monotonic()))):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"verify {model_name} at world size {world_size}: "
                                       f"timed out after {timeout_s:g} s (hung collective?)")
        except ProcessException as e:  # a rank raised, or died
            errs = sorted(f for f in os.listdir(out_dir) if f.startswith("error."))
            detail = (open(os.path.join(out_dir, errs[0])).read().strip().splitlines()[-1]
                      if errs else str(e).strip().splitlines()[-1])
            raise RuntimeError(f"verify {model_name} at world size {world_size}: "
                               f"rank failed: {detail}") from None
        finally:
            for p in ctx.processes:
                if p.is_alive():
                    p.terminate()
                    p.join(5)
        with open(os.path.join(out_dir, "results.json")) as f:
            results: list[dict[str, Any]] = json.load(f)
            return results


def _did_you_mean(name: str) -> str:
    import difflib
    close = difflib.get_close_matches(name, MODELS, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _world_sizes(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--world-size expects N or a comma list of N, got '{text}'") from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError(f"--world-size must be >= 1, got '{text}'")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graphs.tp.verify",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}, or a comma list")
    ap.add_argument("--world-size", required=True, help="N or a comma list (2,4)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a hung run fails")
    a = ap.parse_args(argv)
    try:
        sizes = _world_sizes(a.world_size)
        names = [m for m in a.model.split(",") if m]
        for m in names:
            if m not in MODELS:
                raise ValueError(f"unknown model '{m}'{_did_you_mean(m)} "
                                 f"(one of {', '.join(MODELS)})")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    missing = [m for m in ("torch",) if importlib.util.find_spec(m) is None]
    if missing:
        print(f"error: graphs tp verify needs {', '.join(missing)} in {sys.executable} "
              f"(pip install {' '.join(missing)}, or pass --python to an interpreter that has it)",
              file=sys.stderr)
        return 2
    all_ok = True
    for n in sizes:
        try:
            results = run_verify(names, n, a.timeout)
        except RuntimeError as e:
            print(json.dumps({"check": "run", "model": a.model, "world_size": n,
                              "ok": False, "error": str(e)}), flush=True)
            all_ok = False
            continue
        for r in results:
            print(json.dumps(r), flush=True)
        all_ok = all_ok and all(r["ok"] for r in results)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
