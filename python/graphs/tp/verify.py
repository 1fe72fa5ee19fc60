"""Differential check of the TP converter: sharded model vs the unsharded one.

    python -m graphs.tp.verify --model gpt2-small-test|mlp|cnn --world-size N [--timeout S]

Spawns N gloo processes on CPU. Every rank builds the model with the same seed, converts a copy
with `plan_for_model`, runs forward on the same input, one backward and one SGD step, and
compares: outputs, the gradient of every original parameter and the parameters after the step
(shards all-gathered back to the original layout), max abs error against a tolerance (1e-5 for
fp32). Prints one JSON line per check (forward, grad, sgd_step, param_bytes); exit status 1 when
a check fails or a rank fails or hangs, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import socket
import sys
import tempfile
import traceback

MODELS = ("gpt2-small-test", "mlp", "cnn")
TOLERANCE = 1e-5


def build_model(name: str):
    """The model and one input batch, identical on every process (fixed seeds)."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    if name == "mlp":
        model = nn.Sequential(nn.Linear(32, 128), nn.GELU(), nn.Linear(128, 32), nn.LayerNorm(32),
                              nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
        x = torch.randn(4, 8, 32)
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2),
                              nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
        x = torch.randn(2, 3, 16, 16)
    elif name == "gpt2-small-test":
        from transformers import GPT2Config, GPT2Model
        cfg = GPT2Config(n_layer=2, n_embd=128, n_head=4, vocab_size=1000, n_positions=64,
                         resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                         bos_token_id=0, eos_token_id=0)
        cfg._attn_implementation = "eager"
        model = GPT2Model(cfg)
        x = torch.randint(0, 1000, (2, 16))
    else:
        raise ValueError(f"unknown model '{name}' (one of {', '.join(MODELS)})")
    return model.eval(), x


def _forward(model, x):
    out = model(x)
    return out.last_hidden_state if hasattr(out, "last_hidden_state") else out


def _max_err(a, b) -> float:
    return float((a.detach().double() - b.detach().double()).abs().max()) if a.numel() else 0.0


def _unshard(tp_model, name: str, t):
    """`t` (shaped like tp_model's parameter `name`) in the original parameter's full layout."""
    mod_name, _, leaf = name.rpartition(".")
    mod = tp_model.get_submodule(mod_name)
    return mod.unshard(leaf, t) if hasattr(mod, "unshard") else t


def _param_bytes(model) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


def run_rank(rank: int, world_size: int, port: int, model_names: list, out_dir: str) -> None:
    """One process of the spawned group: runs the checks of every model in `model_names`; rank 0
    writes them to OUT_DIR/results.json, a failing rank its traceback to OUT_DIR/error.RANK."""
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        results = []
        for name in model_names:
            results += _check_model(name, world_size)
        if rank == 0:
            with open(os.path.join(out_dir, "results.json"), "w") as f:
                json.dump(results, f)
    except Exception:
        with open(os.path.join(out_dir, f"error.{rank}"), "w") as f:
            f.write(traceback.format_exc())
        raise
    finally:
        dist.destroy_process_group()


def _max_param_err(ref, tp, tp_tensor) -> tuple[float, str]:
    """Largest error over every original parameter between ref's tensor and tp's (unsharded)."""
    worst, worst_name = 0.0, ""
    tp_params = dict(tp.named_parameters())
    for name, p in ref.named_parameters():
        a, b = (p.grad, tp_params[name].grad) if tp_tensor == "grad" else (p, tp_params[name].detach())
        e = _max_err(a, _unshard(tp, name, b))
        if e >= worst:
            worst, worst_name = e, name
    return worst, worst_name


def _check_model(model_name: str, world_size: int) -> list[dict]:
    import torch
    import torch.distributed as dist
    from graphs.tp.convert import convert, plan_for_model
    ref, x = build_model(model_name)
    plan = plan_for_model(ref, world_size, model_name)
    tp = convert(copy.deepcopy(ref), plan)
    common = {"model": model_name, "world_size": world_size, "tolerance": TOLERANCE}
    results = []

    y_ref, y_tp = _forward(ref, x), _forward(tp, x)
    err = _max_err(y_ref, y_tp)
    results.append({"check": "forward", **common, "max_abs_error": err, "ok": err <= TOLERANCE})

    y_ref.pow(2).mean().backward()
    y_tp.pow(2).mean().backward()
    err, worst = _max_param_err(ref, tp, "grad")
    results.append({"check": "grad", **common, "max_abs_error": err, "worst_param": worst,
                    "n_params": len(list(ref.parameters())), "ok": err <= TOLERANCE})

    for m in (ref, tp):
        torch.optim.SGD(m.parameters(), lr=0.1).step()
    err, worst = _max_param_err(ref, tp, "param")
    with torch.no_grad():
        err_y = _max_err(_forward(ref, x), _forward(tp, x))
    results.append({"check": "sgd_step", **common, "max_abs_error": max(err, err_y),
                    "worst_param": worst, "ok": max(err, err_y) <= TOLERANCE})

    per_rank = [None] * world_size
    dist.all_gather_object(per_rank, _param_bytes(tp))
    total = _param_bytes(ref)
    split = {lp.module: lp.strategy for lp in plan.layers if lp.strategy != "replicate"}

    def whole_on_every_rank(n: str) -> bool:  # unsplit modules, and row-parallel biases
        mod, _, leaf = n.rpartition(".")
        return mod not in split or (split[mod] == "row" and leaf == "bias")

    replicated = sum(p.numel() * p.element_size() for n, p in ref.named_parameters()
                     if whole_on_every_rank(n))
    results.append({"check": "param_bytes", **common, "per_rank_bytes": per_rank,
                    "total_bytes": total, "replicated_bytes": replicated,
                    "ok": sum(per_rank) == total + (world_size - 1) * replicated})
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_verify(model_names, world_size: int, timeout_s: float = 300.0) -> list[dict]:
    """Runs the checks of one model name or a list of them on `world_size` spawned gloo processes
    (one process group for all); returns one dict per check.
    Raises RuntimeError when a rank fails or the run exceeds `timeout_s` (hung collective)."""
    import time
    import torch.multiprocessing as mp
    from torch.multiprocessing.spawn import ProcessException
    model_names = [model_names] if isinstance(model_names, str) else list(model_names)
    for m in model_names:
        if m not in MODELS:
            raise ValueError(f"unknown model '{m}' (one of {', '.join(MODELS)})")
    model_name = ",".join(model_names)
    if world_size < 1:
        raise ValueError(f"world size must be >= 1, got {world_size}")
    with tempfile.TemporaryDirectory(prefix="graphs-tp-") as out_dir:
        ctx = mp.spawn(run_rank, args=(world_size, _free_port(), model_names, out_dir),
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
            return json.load(f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graphs.tp.verify", description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}, or a comma list")
    ap.add_argument("--world-size", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a hung run fails")
    a = ap.parse_args(argv)
    if a.world_size < 1:
        ap.error(f"--world-size must be >= 1, got {a.world_size}")
    try:
        results = run_verify(a.model.split(","), a.world_size, a.timeout)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(json.dumps({"check": "run", "model": a.model, "world_size": a.world_size,
                          "ok": False, "error": str(e)}))
        return 1
    for r in results:
        print(json.dumps(r))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
