"""Tensor parallelism on torch.distributed: plan schema v1 (docs/tp-plan-schema.md), Megatron
parallel layers, the converter that applies a plan, and `python -m graphs.tp.verify`."""

from graphs.tp.convert import (SCHEMA_VERSION, STRATEGIES, LayerPlan, Plan, convert,  # noqa: F401
                               plan_for_model, to_parallelize_plan, validate_plan)
from graphs.tp.layers import (ChannelParallelConv2d, ColumnParallelLinear,  # noqa: F401
                              RowParallelLinear, VocabParallelEmbedding)

__all__ = ["SCHEMA_VERSION", "STRATEGIES", "LayerPlan", "Plan", "convert", "plan_for_model",
           "to_parallelize_plan", "validate_plan", "ChannelParallelConv2d", "ColumnParallelLinear",
           "RowParallelLinear", "VocabParallelEmbedding"]
