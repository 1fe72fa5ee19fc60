"""EAGER, BF16+EAGER, FP16+EAGER: the nn.Module as written (optionally cast), no compilation."""

from __future__ import annotations

from graphs.worker import torch_common
from graphs.worker.runner import RunContext, Runner


def convert(ctx: RunContext, dtype: str | None = None) -> Runner:
    import torch
    torch_dtype = getattr(torch, dtype) if dtype else None
    if torch_dtype is torch.bfloat16 and ctx.device == "cpu" and \
            not torch.backends.mkldnn.is_available():
        print("graphs.worker: no oneDNN; bf16 runs on reference kernels", flush=True)
    model = torch_common.module_on(ctx, ctx.device, torch_dtype)
    args = torch_common.to_tensors(ctx, ctx.device, torch_dtype)
    return torch_common.runner(model, args, ctx.device)
