"""Tensor-parallel plans (docs/tp-plan-schema.md): validation, application to a model on
torch.distributed, and translation to torch.distributed.tensor.parallel styles.

The plan comes from the C++ planner (`graphs tp MODEL --world-size N -o plan.json`); this module
does no planning of its own: it applies what the plan names, module by module, and refuses a
plan that does not fit the model. Errors raise ValueError with one line naming the module and
what is wrong.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from graphs.tp.layers import (
    ChannelParallelBatchNorm2d,
    ChannelParallelConv2d,
    ColumnParallelConv2d,
    ColumnParallelLinear,
    RowParallelConv2d,
    RowParallelLinear,
    VocabParallelEmbedding,
)

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup
    from torch.distributed.tensor.parallel import ParallelStyle

SCHEMA_VERSION = 2
#: Versions `validate_plan` reads: 1 (linears and embeddings) is a subset of 2.
SCHEMA_VERSIONS = (1, 2)
STRATEGIES = ("column", "row", "vocab", "channel", "replicate")
_TOP_KEYS = {"schema_version", "world_size", "model", "layers", "replicated", "notes", "analysis"}
_LAYER_KEYS = {"module", "node", "strategy", "gather_output", "input_is_parallel", "heads"}


@dataclass(frozen=True)
class LayerPlan:
    module: str
    strategy: str
    gather_output: bool = False
    input_is_parallel: bool = True
    heads: int | None = None
    node: str = ""          # the graph node the planner decided on (informational)


@dataclass(frozen=True)
class Plan:
    """A validated plan (the resolved form of plan.json)."""
    world_size: int
    model: str
    layers: tuple[LayerPlan, ...]
    replicated: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        layers = []
        for lp in self.layers:
            d: dict[str, Any] = {"module": lp.module, "strategy": lp.strategy}
            if lp.node:
                d["node"] = lp.node
            if lp.strategy == "column":
                d["gather_output"] = lp.gather_output
            if lp.strategy == "row":
                d["input_is_parallel"] = lp.input_is_parallel
            if lp.heads is not None:
                d["heads"] = lp.heads
            layers.append(d)
        return {"schema_version": SCHEMA_VERSION, "world_size": self.world_size,
                "model": self.model, "layers": layers, "replicated": list(self.replicated),
                "notes": list(self.notes)}


def _weight(m: nn.Module) -> torch.Tensor:
    """The `weight` Parameter of nn.Linear, Conv1D or nn.Embedding."""
    return cast(torch.Tensor, m.weight)


def _bias(m: nn.Module) -> torch.Tensor | None:
    """The `bias` Parameter (or None) of nn.Linear or Conv1D."""
    return cast("torch.Tensor | None", m.bias)


def _is_conv1d(m: nn.Module) -> bool:
    """HF transformers' Conv1D (GPT-2): a linear layer with weight [in, out]."""
    return type(m).__name__ == "Conv1D" and hasattr(m, "nf") and _weight(m).dim() == 2


def _linear_dims(m: nn.Module) -> tuple[int, int] | None:
    """(in_features, out_features) of nn.Linear or Conv1D, else None."""
    if isinstance(m, nn.Linear):
        return m.in_features, m.out_features
    if _is_conv1d(m):
        return _weight(m).shape[0], _weight(m).shape[1]
    return None


def _did_you_mean(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _check_bool(where: str, key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"{where}: '{key}' must be true or false, got {v!r}")
    return v


def _layer_plan(i: int, d: Any, n: int) -> LayerPlan:
    if not isinstance(d, dict) or not isinstance(d.get("module"), str):
        raise ValueError(f"plan: layers[{i}] must be an object with a string 'module'")
    name = d["module"]
    where = f"{name}" if name else f"layers[{i}]"
    bad = sorted(set(d) - _LAYER_KEYS)
    if bad:
        raise ValueError(f"{where}: unknown key '{bad[0]}'{_did_you_mean(bad[0], _LAYER_KEYS)}")
    s = d.get("strategy")
    if s not in STRATEGIES:
        raise ValueError(f"{where}: unknown strategy {s!r}{_did_you_mean(str(s), STRATEGIES)} "
                         f"(one of {', '.join(STRATEGIES)})")
    if "gather_output" in d and s != "column":
        raise ValueError(f"{where}: 'gather_output' applies to strategy 'column' only, not '{s}'")
    if "input_is_parallel" in d and s != "row":
        raise ValueError(f"{where}: 'input_is_parallel' applies to strategy 'row' only, not '{s}'")
    heads = d.get("heads")
    if heads is not None and (not isinstance(heads, int) or isinstance(heads, bool) or heads < 1):
        raise ValueError(f"{where}: 'heads' must be a positive integer, got {heads!r}")
    node = d.get("node", "")
    if not isinstance(node, str):
        raise ValueError(f"{where}: 'node' must be a string, got {node!r}")
    return LayerPlan(name, s, _check_bool(where, "gather_output", d.get("gather_output", False)),
                     _check_bool(where, "input_is_parallel", d.get("input_is_parallel", True)),
                     heads, node)


def validate_plan(plan: dict[str, Any], model: nn.Module | None = None) -> Plan:
    """Checks a plan.json dict (against `model` when given) and returns the resolved Plan."""
    if not isinstance(plan, dict):
        raise ValueError(f"plan must be a JSON object, got {type(plan).__name__}")
    unknown = sorted(set(plan) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"plan: unknown key '{unknown[0]}'{_did_you_mean(unknown[0], _TOP_KEYS)}")
    if plan.get("schema_version") not in SCHEMA_VERSIONS:
        raise ValueError(f"plan: schema_version {plan.get('schema_version')!r} is not supported; "
                         f"expected {SCHEMA_VERSION} (or 1)")
    n = plan.get("world_size")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"plan: world_size must be a positive integer, got {n!r}")
    if not isinstance(plan.get("layers"), list):
        raise ValueError("plan: 'layers' must be a list")
    modules = dict(model.named_modules()) if model is not None else None
    layers: list[LayerPlan] = []
    seen: set[str] = set()
    for i, d in enumerate(plan["layers"]):
        lp = _layer_plan(i, d, n)
        if lp.module in seen:
            raise ValueError(f"{lp.module}: listed twice")
        seen.add(lp.module)
        if plan["schema_version"] == 1 and lp.strategy == "channel":
            raise ValueError(f"{lp.module}: strategy 'channel' needs schema_version 2")
        if modules is not None:
            _check_layer(lp, modules, n)
        layers.append(lp)
    replicated = plan.get("replicated", [])
    notes = plan.get("notes", [])
    if not isinstance(replicated, list) or not all(isinstance(r, str) for r in replicated):
        raise ValueError("plan: 'replicated' must be a list of module names")
    if not isinstance(notes, list) or not all(isinstance(r, str) for r in notes):
        raise ValueError("plan: 'notes' must be a list of strings")
    if modules is not None:
        for r in replicated:
            if r not in modules:
                raise ValueError(f"replicated: module '{r}' not in the model"
                                 f"{_did_you_mean(r, modules)}")
    return Plan(n, str(plan.get("model", "")), tuple(layers), tuple(replicated), tuple(notes))


def _check_linear(lp: LayerPlan, dims: tuple[int, int], modules: dict[str, nn.Module],
                  n: int) -> None:
    name, s = lp.module, lp.strategy
    fin, fout = dims
    if s == "column":
        if fout % n:
            raise ValueError(f"{name}: {fout} output features not divisible by world size {n}")
        if lp.heads is not None:
            packed = _packed(name, modules)
            if lp.heads % n:
                raise ValueError(f"{name}: {lp.heads} heads not divisible by world size {n}")
            if fout % (packed * lp.heads):
                raise ValueError(f"{name}: {fout} output features do not hold "
                                 f"{packed}×{lp.heads} whole heads")
    elif fin % n:
        raise ValueError(f"{name}: {fin} input features not divisible by world size {n}")


def _check_conv(lp: LayerPlan, m: nn.Conv2d, n: int) -> None:
    name, s = lp.module, lp.strategy
    if s == "channel":
        if m.groups == 1:
            raise ValueError(f"{name}: strategy 'channel' needs a grouped Conv2d (groups > 1), "
                             f"got groups=1")
        if m.groups % n:
            raise ValueError(f"{name}: {m.groups} groups not divisible by world size {n}")
        return
    if m.groups != 1:
        raise ValueError(f"{name}: strategy '{s}' needs groups=1, got groups={m.groups}")
    if lp.heads is not None:
        raise ValueError(f"{name}: 'heads' applies to linear projections, not Conv2d")
    if s == "column" and m.out_channels % n:
        raise ValueError(f"{name}: {m.out_channels} output channels not divisible by world "
                         f"size {n}")
    if s == "row" and m.in_channels % n:
        raise ValueError(f"{name}: {m.in_channels} input channels not divisible by world "
                         f"size {n}")


def _check_layer(lp: LayerPlan, modules: dict[str, nn.Module], n: int) -> None:
    name, s = lp.module, lp.strategy
    if name not in modules:
        raise ValueError(f"{name}: module not in the model"
                         f"{_did_you_mean(name, [k for k in modules if k])}")
    m = modules[name]
    kind = type(m).__name__
    if s in ("column", "row", "channel") and isinstance(m, nn.Conv2d):
        _check_conv(lp, m, n)
    elif s in ("column", "row"):
        dims = _linear_dims(m)
        if dims is None:
            raise ValueError(f"{name}: strategy '{s}' needs nn.Linear, Conv1D or nn.Conv2d, "
                             f"got {kind}")
        _check_linear(lp, dims, modules, n)
    elif s == "channel":
        if not isinstance(m, nn.BatchNorm2d):
            raise ValueError(f"{name}: strategy 'channel' needs nn.BatchNorm2d or a grouped "
                             f"nn.Conv2d, got {kind}")
        if m.num_features % n:
            raise ValueError(f"{name}: {m.num_features} channels not divisible by world size {n}")
    elif s == "vocab":
        if not isinstance(m, nn.Embedding):
            raise ValueError(f"{name}: strategy 'vocab' needs nn.Embedding, got {kind}")
        if m.num_embeddings % n:
            raise ValueError(f"{name}: vocabulary of {m.num_embeddings} not divisible by world "
                             f"size {n}")


def _parent(name: str, modules: dict[str, nn.Module]) -> tuple[nn.Module, str]:
    head, _, leaf = name.rpartition(".")
    return modules[head], leaf


def _packed(name: str, modules: dict[str, nn.Module]) -> int:
    """How many equal blocks a column layer's output packs: 3 for GPT-2's fused c_attn."""
    if not name:
        return 1
    parent, leaf = _parent(name, modules)
    if leaf == "c_attn" and hasattr(parent, "split_size"):
        return 2 if getattr(parent, "is_cross_attention", False) else 3  # [k | v] or [q | k | v]
    return 1


def _tied_pairs(modules: dict[str, nn.Module]) -> dict[str, str]:
    """Linear/Conv1D head → the nn.Embedding whose weight Parameter it shares (tied LM head)."""
    by_weight = {id(m.weight): name for name, m in modules.items()
                 if isinstance(m, nn.Embedding)}
    return {name: by_weight[id(m.weight)] for name, m in modules.items()
            if _linear_dims(m) is not None and id(m.weight) in by_weight}


def _check_ties(plan: Plan, modules: dict[str, nn.Module]) -> None:
    """A head tied to an embedding splits with it (vocab + column over the same rows) or not at
    all: splitting one alone would break the tie."""
    split = {lp.module: lp for lp in plan.layers if lp.strategy != "replicate"}
    for head, emb in _tied_pairs(modules).items():
        h, e = split.get(head), split.get(emb)
        if h is None and e is None:
            continue
        if h is None or e is None:
            one, other = (emb, head) if h is None else (head, emb)
            raise ValueError(f"{one}: weight tied to '{other}', which the plan does not split; "
                             f"split both ('{emb}' vocab, '{head}' column) or neither")
        if e.strategy != "vocab" or h.strategy != "column" or h.heads is not None:
            raise ValueError(f"{head}: tied to '{emb}': needs '{emb}' vocab and '{head}' column "
                             f"(no heads), got {e.strategy} and {h.strategy}")


def _parallel_module(lp: LayerPlan, m: nn.Module, modules: dict[str, nn.Module],
                     group: ProcessGroup | None) -> nn.Module | None:
    """This rank's module for plan entry `lp` (None for 'replicate')."""
    if lp.strategy == "column" and isinstance(m, nn.Conv2d):
        return ColumnParallelConv2d(m, gather_output=lp.gather_output, group=group)
    if lp.strategy == "row" and isinstance(m, nn.Conv2d):
        return RowParallelConv2d(m, input_is_parallel=lp.input_is_parallel, group=group)
    if lp.strategy == "channel":
        if isinstance(m, nn.Conv2d):
            return ChannelParallelConv2d(m, group=group)
        return ChannelParallelBatchNorm2d(cast(nn.BatchNorm2d, m), group=group)
    if lp.strategy == "column":
        packed = _packed(lp.module, modules) if lp.heads is not None else 1
        return ColumnParallelLinear(_weight(m), _bias(m), gather_output=lp.gather_output,
                                    packed=packed, conv1d_layout=_is_conv1d(m), group=group)
    if lp.strategy == "row":
        return RowParallelLinear(_weight(m), _bias(m), input_is_parallel=lp.input_is_parallel,
                                 conv1d_layout=_is_conv1d(m), group=group)
    if lp.strategy == "vocab":
        emb = cast(nn.Embedding, m)
        return VocabParallelEmbedding(emb.weight, padding_idx=emb.padding_idx, group=group)
    return None


def convert(model: nn.Module, plan: Plan | dict[str, Any],
            group: ProcessGroup | None = None) -> nn.Module:
    """Replaces, in place, every module the plan splits with its tensor-parallel version holding
    only this rank's shard (graphs.tp.layers); attention modules whose QKV is split get their
    head counts divided. A column head tied to a vocab-parallel embedding shares the embedding's
    shard Parameter (its rows are the same vocabulary range), so the tie holds after conversion.
    Modules the plan does not name stay as they are. torch.distributed must be initialised with
    the plan's world size. Returns `model`."""
    import torch.distributed as dist
    plan = validate_plan(plan if isinstance(plan, dict) else plan.to_json(), model)
    n = dist.get_world_size(group)
    if n != plan.world_size:
        raise ValueError(f"plan is for world size {plan.world_size}, torch.distributed has {n}")
    modules = dict(model.named_modules())
    _check_ties(plan, modules)
    tied = _tied_pairs(modules)
    converted: dict[str, nn.Module] = {}
    # Embeddings first, so that a tied head finds its embedding's shard.
    for lp in sorted(plan.layers, key=lambda lp: lp.strategy != "vocab"):
        with torch.no_grad():
            new = _parallel_module(lp, modules[lp.module], modules, group)
            if new is None:
                continue
            if lp.module in tied and lp.strategy == "column":
                shard = _weight(converted[tied[lp.module]])
                if shard.shape != _weight(new).shape or not torch.equal(shard, _weight(new)):
                    raise ValueError(f"{lp.module}: tied shard does not match "
                                     f"'{tied[lp.module]}'s (internal error)")
                new.weight = shard  # one Parameter: the tie holds
        converted[lp.module] = new
        parent, leaf = _parent(lp.module, modules)
        setattr(parent, leaf, new)
        if lp.heads is not None and not lp.gather_output:
            for attr in ("num_heads", "split_size", "embed_dim", "n_head"):
                if isinstance(getattr(parent, attr, None), int):
                    setattr(parent, attr, getattr(parent, attr) // n)
    return model


def to_parallelize_plan(plan: Plan | dict[str, Any],
                        model: nn.Module | None = None) -> dict[str, ParallelStyle]:
    """The equivalent `parallelize_plan` for torch.distributed.tensor.parallel.parallelize_module:
    column → ColwiseParallel (output Replicate when gather_output), row → RowwiseParallel
    (input Replicate unless input_is_parallel), vocab → RowwiseParallel (nn.Embedding rows),
    replicate → omitted (left replicated). PyTorch's styles accept nn.Linear and nn.Embedding
    only: 'channel' entries, and (given `model`) column/row entries on an nn.Conv2d, raise
    ValueError — apply such plans with `convert`. PyTorch splits a packed QKV contiguously, so
    plans for GPT-2's Conv1D/c_attn need `convert` too."""
    from torch.distributed.tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel
    plan = validate_plan(plan if isinstance(plan, dict) else plan.to_json(), model)
    modules = dict(model.named_modules()) if model is not None else {}
    out: dict[str, ParallelStyle] = {}
    for lp in plan.layers:
        if lp.strategy == "channel" or isinstance(modules.get(lp.module), nn.Conv2d):
            raise ValueError(f"{lp.module}: a convolution split ('{lp.strategy}') has no "
                             f"torch.distributed.tensor.parallel style; apply the plan with "
                             f"graphs.tp.convert")
        if lp.strategy == "column":
            out[lp.module] = (ColwiseParallel(output_layouts=Replicate()) if lp.gather_output
                              else ColwiseParallel())
        elif lp.strategy == "row":
            out[lp.module] = (RowwiseParallel() if lp.input_is_parallel
                              else RowwiseParallel(input_layouts=Replicate()))
        elif lp.strategy == "vocab":
            out[lp.module] = RowwiseParallel(input_layouts=Replicate(), output_layouts=Replicate())
    return out
