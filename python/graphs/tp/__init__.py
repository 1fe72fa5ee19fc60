"""Tensor parallelism on torch.distributed: plan.json (docs/tp-plan-schema.md, written by the C++
planner `graphs tp`), Megatron parallel layers for linears and convolutions, the converter that
applies a plan, and `python -m graphs.tp.verify`.

The torch-dependent names load on first use, so `python -m graphs.tp.verify` can say in one line
that torch is missing instead of failing in this package's import."""

from __future__ import annotations

import importlib
from typing import Any

_CONVERT = ("SCHEMA_VERSION", "STRATEGIES", "LayerPlan", "Plan", "convert", "to_parallelize_plan",
            "validate_plan")
_LAYERS = ("ChannelParallelBatchNorm2d", "ChannelParallelConv2d", "ColumnParallelConv2d",
           "ColumnParallelLinear", "RowParallelConv2d", "RowParallelLinear",
           "VocabParallelEmbedding")

__all__ = [*_CONVERT, *_LAYERS]


def __getattr__(name: str) -> Any:
    if name in _CONVERT:
        return getattr(importlib.import_module("graphs.tp.converter"), name)
    if name in _LAYERS:
        return getattr(importlib.import_module("graphs.tp.layers"), name)
    raise AttributeError(f"module 'graphs.tp' has no attribute '{name}'")
