"""Tensor-parallel plans (schema v1, docs/tp-plan-schema.md): validation, derivation from a
module's structure, application to a model on torch.distributed, and translation to
torch.distributed.tensor.parallel styles.

Errors in a plan raise ValueError with one line naming the layer and what is wrong.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import torch
from torch import nn

from graphs.tp.layers import (ChannelParallelConv2d, ColumnParallelLinear, RowParallelLinear,
                              VocabParallelEmbedding)

SCHEMA_VERSION = 1
STRATEGIES = ("column", "row", "vocab", "replicate", "conv_out_channel")
_TOP_KEYS = {"schema_version", "world_size", "model", "layers", "replicated", "notes", "analysis"}
_LAYER_KEYS = {"module", "strategy", "gather_output", "input_is_parallel", "heads"}
_ELEMENTWISE = (nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.Dropout, nn.Identity)


@dataclass(frozen=True)
class LayerPlan:
    module: str
    strategy: str
    gather_output: bool = False
    input_is_parallel: bool = True
    heads: int | None = None


@dataclass(frozen=True)
class Plan:
    """A validated plan (the resolved form of plan.json)."""
    world_size: int
    model: str
    layers: tuple[LayerPlan, ...]
    replicated: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        layers = []
        for lp in self.layers:
            d = {"module": lp.module, "strategy": lp.strategy}
            if lp.strategy == "column":
                d["gather_output"] = lp.gather_output
            if lp.strategy == "row":
                d["input_is_parallel"] = lp.input_is_parallel
            if lp.heads is not None:
                d["heads"] = lp.heads
            layers.append(d)
        return {"schema_version": SCHEMA_VERSION, "world_size": self.world_size, "model": self.model,
                "layers": layers, "replicated": list(self.replicated), "notes": list(self.notes)}


def _is_conv1d(m: nn.Module) -> bool:
    """HF transformers' Conv1D (GPT-2): a linear layer with weight [in, out]."""
    return type(m).__name__ == "Conv1D" and hasattr(m, "nf") and m.weight.dim() == 2


def _linear_dims(m: nn.Module) -> tuple[int, int] | None:
    """(in_features, out_features) of nn.Linear or Conv1D, else None."""
    if isinstance(m, nn.Linear):
        return m.in_features, m.out_features
    if _is_conv1d(m):
        return m.weight.shape[0], m.weight.shape[1]
    return None


def _did_you_mean(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _check_bool(where: str, key: str, v) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"{where}: '{key}' must be true or false, got {v!r}")
    return v


def validate_plan(plan: dict, model: nn.Module | None = None) -> Plan:
    """Checks a plan.json dict (against `model` when given) and returns the resolved Plan."""
    if not isinstance(plan, dict):
        raise ValueError(f"plan must be a JSON object, got {type(plan).__name__}")
    unknown = sorted(set(plan) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"plan: unknown key '{unknown[0]}'{_did_you_mean(unknown[0], _TOP_KEYS)}")
    if plan.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"plan: schema_version {plan.get('schema_version')!r} is not supported; "
                         f"expected {SCHEMA_VERSION}")
    n = plan.get("world_size")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"plan: world_size must be a positive integer, got {n!r}")
    if not isinstance(plan.get("layers"), list):
        raise ValueError("plan: 'layers' must be a list")
    modules = dict(model.named_modules()) if model is not None else None
    layers, seen = [], set()
    for i, d in enumerate(plan["layers"]):
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
        if name in seen:
            raise ValueError(f"{where}: listed twice")
        seen.add(name)
        lp = LayerPlan(name, s, _check_bool(where, "gather_output", d.get("gather_output", False)),
                       _check_bool(where, "input_is_parallel", d.get("input_is_parallel", True)), heads)
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
                raise ValueError(f"replicated: module '{r}' not in the model{_did_you_mean(r, modules)}")
    return Plan(n, str(plan.get("model", "")), tuple(layers), tuple(replicated), tuple(notes))


def _check_layer(lp: LayerPlan, modules: dict, n: int) -> None:
    name, s = lp.module, lp.strategy
    if name not in modules:
        raise ValueError(f"{name}: module not in the model{_did_you_mean(name, [k for k in modules if k])}")
    m = modules[name]
    kind = type(m).__name__
    if s in ("column", "row"):
        dims = _linear_dims(m)
        if dims is None:
            raise ValueError(f"{name}: strategy '{s}' needs nn.Linear or Conv1D, got {kind}")
        fin, fout = dims
        if s == "column":
            if fout % n:
                raise ValueError(f"{name}: {fout} output features not divisible by world size {n}")
            if lp.heads is not None:
                packed = _packed(name, modules)
                if lp.heads % n:
                    raise ValueError(f"{name}: {lp.heads} heads not divisible by world size {n}")
                if fout % (packed * lp.heads):
                    raise ValueError(f"{name}: {fout} output features do not hold {packed}×{lp.heads} "
                                     f"whole heads")
        elif fin % n:
            raise ValueError(f"{name}: {fin} input features not divisible by world size {n}")
    elif s == "vocab":
        if not isinstance(m, nn.Embedding):
            raise ValueError(f"{name}: strategy 'vocab' needs nn.Embedding, got {kind}")
        if m.num_embeddings % n:
            raise ValueError(f"{name}: vocabulary of {m.num_embeddings} not divisible by world size {n}")
    elif s == "conv_out_channel":
        if not isinstance(m, nn.Conv2d):
            raise ValueError(f"{name}: strategy 'conv_out_channel' needs nn.Conv2d, got {kind}")
        if m.groups != 1 or m.padding_mode != "zeros":
            raise ValueError(f"{name}: conv_out_channel supports groups=1 and zero padding only")
        if m.out_channels % n:
            raise ValueError(f"{name}: {m.out_channels} output channels not divisible by world size {n}")


def _parent(name: str, modules: dict) -> tuple[nn.Module, str]:
    head, _, leaf = name.rpartition(".")
    return modules[head], leaf


def _packed(name: str, modules: dict) -> int:
    """How many equal blocks a column layer's output packs: 3 for GPT-2's fused c_attn."""
    if not name:
        return 1
    parent, leaf = _parent(name, modules)
    if leaf == "c_attn" and hasattr(parent, "split_size"):
        return 2 if getattr(parent, "is_cross_attention", False) else 3  # [k | v] or [q | k | v]
    return 1


_VOCAB_NAMES = ("wte", "embed_tokens", "word_embeddings")


def _heads(m: nn.Module, *names) -> int | None:
    for n in names:
        v = getattr(m, n, None)
        if isinstance(v, int):
            return v
        cfg = getattr(m, "config", None)
        v = getattr(cfg, n, None) if cfg is not None else None
        if isinstance(v, int):
            return v
    return None


def _tied_pairs(modules: dict) -> dict[str, str]:
    """Linear/Conv1D head → the nn.Embedding whose weight Parameter it shares (tied LM head)."""
    by_weight = {id(m.weight): name for name, m in modules.items() if isinstance(m, nn.Embedding)}
    return {name: by_weight[id(m.weight)] for name, m in modules.items()
            if _linear_dims(m) is not None and id(m.weight) in by_weight}


def plan_for_model(module: nn.Module, world_size: int, model_name: str = "") -> Plan:
    """The Megatron plan the C++ planner emits, derived from the module structure:
    - GPT-2 blocks: attn.c_attn column (whole heads) → attn.c_proj row, mlp.c_fc column →
      mlp.c_proj row;
    - Llama-style attention (q_proj, k_proj, v_proj column → o_proj row; heads on q_proj) and MLP
      (gate_proj, up_proj column → down_proj row), when heads and KV heads divide;
    - BERT: attention.self.{query,key,value} column → attention.output.dense row,
      intermediate.dense column → output.dense row, pooler.dense column with gather_output;
    - token embeddings (wte, embed_tokens, word_embeddings) with a divisible vocabulary: vocab;
    - the LM head (lm_head): column with gather_output; a head tied to the token embedding
      splits with it (same vocabulary shard) or, when the vocabulary does not divide, neither does;
    - in nn.Sequential, Linear → [elementwise]* → Linear pairs column → row; Conv2d
      conv_out_channel; every other module holding parameters replicated."""
    modules = dict(module.named_modules())
    n = world_size
    layers: list[LayerPlan] = []
    taken: set[str] = set()

    def add(lp: LayerPlan):
        layers.append(lp)
        taken.add(lp.module)

    def pre(name: str) -> str:
        return f"{name}." if name else ""

    def col_ok(m) -> bool:
        d = _linear_dims(m)
        return d is not None and d[1] % n == 0

    def row_ok(m) -> bool:
        d = _linear_dims(m)
        return d is not None and d[0] % n == 0

    for name, m in modules.items():
        if name in taken:
            continue
        p = pre(name)
        if hasattr(m, "c_attn") and hasattr(m, "num_heads") and hasattr(m, "c_proj") \
                and not getattr(m, "is_cross_attention", False) \
                and m.num_heads % n == 0:
            add(LayerPlan(f"{p}c_attn", "column", heads=m.num_heads))
            add(LayerPlan(f"{p}c_proj", "row"))
        elif hasattr(m, "c_fc") and hasattr(m, "c_proj") and col_ok(m.c_fc) and row_ok(m.c_proj):
            add(LayerPlan(f"{p}c_fc", "column"))
            add(LayerPlan(f"{p}c_proj", "row"))
        elif all(hasattr(m, k) for k in ("q_proj", "k_proj", "v_proj", "o_proj")):
            heads = _heads(m, "num_heads", "num_attention_heads")
            kv = _heads(m, "num_key_value_heads", "num_kv_heads") or heads
            if heads and heads % n == 0 and kv % n == 0 \
                    and all(col_ok(getattr(m, k)) for k in ("q_proj", "k_proj", "v_proj")) \
                    and row_ok(m.o_proj):
                add(LayerPlan(f"{p}q_proj", "column", heads=heads))
                add(LayerPlan(f"{p}k_proj", "column"))
                add(LayerPlan(f"{p}v_proj", "column"))
                add(LayerPlan(f"{p}o_proj", "row"))
        elif all(hasattr(m, k) for k in ("gate_proj", "up_proj", "down_proj")):
            if col_ok(m.gate_proj) and col_ok(m.up_proj) and row_ok(m.down_proj):
                add(LayerPlan(f"{p}gate_proj", "column"))
                add(LayerPlan(f"{p}up_proj", "column"))
                add(LayerPlan(f"{p}down_proj", "row"))
        elif hasattr(m, "attention") and hasattr(m, "intermediate") and hasattr(m, "output") \
                and hasattr(getattr(m.attention, "self", None), "query"):
            att = m.attention.self
            heads = _heads(att, "num_attention_heads")
            if heads and heads % n == 0 \
                    and all(col_ok(getattr(att, k)) for k in ("query", "key", "value")) \
                    and row_ok(m.attention.output.dense):
                add(LayerPlan(f"{p}attention.self.query", "column", heads=heads))
                add(LayerPlan(f"{p}attention.self.key", "column"))
                add(LayerPlan(f"{p}attention.self.value", "column"))
                add(LayerPlan(f"{p}attention.output.dense", "row"))
            if col_ok(m.intermediate.dense) and row_ok(m.output.dense):
                add(LayerPlan(f"{p}intermediate.dense", "column"))
                add(LayerPlan(f"{p}output.dense", "row"))
        elif type(m).__name__.endswith("Pooler") and isinstance(getattr(m, "dense", None), nn.Linear) \
                and col_ok(m.dense):
            add(LayerPlan(f"{p}dense", "column", gather_output=True))
        elif isinstance(m, nn.Sequential):
            kids = list(m.named_children())
            i = 0
            while i < len(kids):
                j = i + 1
                while j < len(kids) and isinstance(kids[j][1], _ELEMENTWISE):
                    j += 1
                a, b = kids[i], kids[j] if j < len(kids) else (None, None)
                if isinstance(a[1], nn.Linear) and isinstance(b[1], nn.Linear) \
                        and a[1].out_features % n == 0 and b[1].in_features % n == 0:
                    add(LayerPlan(p + a[0], "column"))
                    add(LayerPlan(p + b[0], "row"))
                    i = j + 1
                else:
                    i += 1
        elif isinstance(m, nn.Conv2d) and m.groups == 1 and m.padding_mode == "zeros" \
                and m.out_channels % n == 0:
            add(LayerPlan(name, "conv_out_channel"))
        elif isinstance(m, nn.Embedding) and name.rsplit(".", 1)[-1] in _VOCAB_NAMES \
                and m.num_embeddings % n == 0:
            add(LayerPlan(name, "vocab"))
    # Output heads: an LM head splits column-parallel (logits gathered); a tied one only together
    # with its embedding.
    tied = _tied_pairs(modules)
    for name, m in modules.items():
        if name.rsplit(".", 1)[-1] != "lm_head" or name in taken or not col_ok(m):
            continue
        if name in tied and tied[name] not in taken:
            continue
        add(LayerPlan(name, "column", gather_output=True))
    replicated = tuple(nm for nm, m in modules.items()
                       if nm not in taken and any(True for _ in m.parameters(recurse=False)))
    notes = ("derived by graphs.tp.plan_for_model",)
    plan = Plan(world_size, model_name or type(module).__name__, tuple(layers), replicated, notes)
    return validate_plan(plan.to_json(), module)


def _check_ties(plan: Plan, modules: dict) -> None:
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


def convert(model: nn.Module, plan: Plan | dict, group=None) -> nn.Module:
    """Replaces, in place, every module the plan splits with its tensor-parallel version holding
    only this rank's shard; attention modules whose QKV is split get their head counts divided.
    A column head tied to a vocab-parallel embedding shares the embedding's shard Parameter (its
    rows are the same vocabulary range), so the tie holds after conversion.
    torch.distributed must be initialised with the plan's world size. Returns `model`."""
    import torch.distributed as dist
    if isinstance(plan, dict):
        plan = validate_plan(plan, model)
    else:
        plan = validate_plan(plan.to_json(), model)
    n = dist.get_world_size(group)
    if n != plan.world_size:
        raise ValueError(f"plan is for world size {plan.world_size}, torch.distributed has {n}")
    modules = dict(model.named_modules())
    _check_ties(plan, modules)
    tied = _tied_pairs(modules)
    converted: dict[str, nn.Module] = {}
    # Embeddings first, so that a tied head finds its embedding's shard.
    for lp in sorted(plan.layers, key=lambda lp: lp.strategy != "vocab"):
        m = modules[lp.module]
        new: nn.Module | None = None
        with torch.no_grad():
            if lp.strategy == "column":
                packed = _packed(lp.module, modules) if lp.heads is not None else 1
                new = ColumnParallelLinear(m.weight, m.bias, gather_output=lp.gather_output,
                                           packed=packed, conv1d_layout=_is_conv1d(m), group=group)
                if lp.module in tied:
                    shard = converted[tied[lp.module]].weight
                    if shard.shape != new.weight.shape or not torch.equal(shard, new.weight):
                        raise ValueError(f"{lp.module}: tied shard does not match "
                                         f"'{tied[lp.module]}'s (internal error)")
                    new.weight = shard  # one Parameter: the tie holds
            elif lp.strategy == "row":
                new = RowParallelLinear(m.weight, m.bias, input_is_parallel=lp.input_is_parallel,
                                        conv1d_layout=_is_conv1d(m), group=group)
            elif lp.strategy == "vocab":
                new = VocabParallelEmbedding(m.weight, padding_idx=m.padding_idx, group=group)
            elif lp.strategy == "conv_out_channel":
                new = ChannelParallelConv2d(m, group=group)
        if new is None:
            continue
        converted[lp.module] = new
        parent, leaf = _parent(lp.module, modules)
        setattr(parent, leaf, new)
        if lp.heads is not None and not lp.gather_output:
            for attr in ("num_heads", "split_size", "embed_dim", "n_head"):
                if isinstance(getattr(parent, attr, None), int):
                    setattr(parent, attr, getattr(parent, attr) // n)
    return model


def to_parallelize_plan(plan: Plan | dict) -> dict:
    """The equivalent `parallelize_plan` for torch.distributed.tensor.parallel.parallelize_module:
    column → ColwiseParallel (output Replicate when gather_output), row → RowwiseParallel
    (input Replicate unless input_is_parallel), vocab → RowwiseParallel (nn.Embedding rows),
    replicate → omitted (left replicated). conv_out_channel has no PyTorch style: ValueError.
    PyTorch's styles accept nn.Linear and nn.Embedding only, and split a packed QKV contiguously,
    so plans for GPT-2's Conv1D/c_attn need `convert` instead."""
    from torch.distributed.tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel
    if isinstance(plan, dict):
        plan = validate_plan(plan)
    out = {}
    for lp in plan.layers:
        if lp.strategy == "column":
            out[lp.module] = (ColwiseParallel(output_layouts=Replicate()) if lp.gather_output
                              else ColwiseParallel())
        elif lp.strategy == "row":
            out[lp.module] = (RowwiseParallel() if lp.input_is_parallel
                              else RowwiseParallel(input_layouts=Replicate()))
        elif lp.strategy == "vocab":
            out[lp.module] = RowwiseParallel(input_layouts=Replicate(), output_layouts=Replicate())
        elif lp.strategy == "conv_out_channel":
            raise ValueError(f"{lp.module}: conv_out_channel has no torch.distributed.tensor.parallel "
                             f"style; apply the plan with graphs.tp.convert")
    return out
