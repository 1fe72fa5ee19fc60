"""JIT_TRACE (torch.jit.trace with the run's inputs) and TORCH_SCRIPT (torch.jit.script)."""

from __future__ import annotations

from graphs.worker import torch_common
from graphs.worker.runner import RunContext, Runner


def trace(ctx: RunContext) -> Runner:
    import torch
    model = torch_common.module_on(ctx, ctx.device)
    args = torch_common.to_tensors(ctx, ctx.device)
    with torch.no_grad():
        traced = torch.jit.trace(model, args, check_trace=False, strict=False)
    return torch_common.runner(traced, args, ctx.device)


def script(ctx: RunContext) -> Runner:
    import torch
    model = torch_common.module_on(ctx, ctx.device)
    args = torch_common.to_tensors(ctx, ctx.device)
    scripted = torch.jit.script(model)
    return torch_common.runner(scripted, args, ctx.device)
