"""torch.compile conversions: Inductor (default, reduce-overhead, max-autotune) and CUDA graphs
(torch.compile with the OpenVINO backend is the openvino family's: openvino_backend.py).

torch.compile compiles lazily; the convert step makes the compiling call itself, so that
`convert_s` holds the compilation and `first_call_s` the first call of the compiled model.
"""

from __future__ import annotations

from typing import Any, Callable

from graphs.worker import torch_common
from graphs.worker.protocol import require_module
from graphs.worker.runner import RunContext, Runner


def _compiled_runner(ctx: RunContext, compiled: Callable[..., Any],
                     args: tuple[Any, ...]) -> Runner:
    import torch
    r = torch_common.runner(compiled, args, ctx.device)
    r.call()                              # compiles
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    return r


def inductor(ctx: RunContext, mode: str = "default") -> Runner:
    import torch
    if ctx.device == "cuda":
        require_module("triton", "triton", "Inductor on CUDA")
    model = torch_common.module_on(ctx, ctx.device)
    args = torch_common.to_tensors(ctx, ctx.device)
    before = torch_common.inductor_kernel_count()
    compiled = torch.compile(model, backend="inductor", mode=mode)
    r = _compiled_runner(ctx, compiled, args)
    r.generated_kernels = torch_common.kernels_since(before)
    return r


def cudagraphs(ctx: RunContext) -> Runner:
    import torch
    model = torch_common.module_on(ctx, "cuda")
    args = torch_common.to_tensors(ctx, "cuda")
    compiled = torch.compile(model, backend="cudagraphs")
    return _compiled_runner(ctx, compiled, args)
