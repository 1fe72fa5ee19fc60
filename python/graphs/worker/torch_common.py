"""Shared PyTorch helpers for the torch backends: device checks, tensors from the generated
arrays, calling conventions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from graphs.worker.protocol import unavailable
from graphs.worker.runner import Runner

if TYPE_CHECKING:
    import torch

    from graphs.worker.runner import RunContext


def torch_device(device: str) -> torch.device:
    import torch
    if device == "cuda":
        if not torch.cuda.is_available():
            raise unavailable("no CUDA device: torch.cuda.is_available() is False "
                              f"(torch {torch.__version__}, CUDA build {torch.version.cuda})")
        return torch.device("cuda", 0)
    return torch.device("cpu")


def to_tensors(ctx: RunContext, device: str,
               float_dtype: torch.dtype | None = None) -> tuple[torch.Tensor, ...]:
    """The run's inputs as torch tensors on `device` (floats cast to `float_dtype` if given).

    Masks stay in their own dtype. Called before the first call: copies to the device never
    happen inside the timed region.
    """
    import numpy as np
    import torch
    dev = torch_device(device)
    out = []
    for spec, arr in zip(ctx.input_specs, ctx.arrays):
        t = torch.from_numpy(np.ascontiguousarray(arr))
        if spec.dtype == "bfloat16":
            t = t.to(torch.bfloat16)
        if float_dtype is not None and t.is_floating_point() and spec.kind == "float":
            t = t.to(float_dtype)
        out.append(t.to(dev))
    return tuple(out)


def module_on(ctx: RunContext, device: str, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The run's nn.Module (eval) on `device`, cast to `dtype` if given."""
    model: torch.nn.Module = ctx.model.torch_module()
    model = model.to(torch_device(device))
    if dtype is not None:
        model = model.to(dtype)
    return model


def runner(fn: Callable[..., Any], args: tuple[Any, ...], device: str, *, no_grad: bool = True,
           inference_mode: bool = True) -> Runner:
    """A Runner calling fn(*args) under inference mode (or no_grad), timed with CUDA events on
    a GPU."""
    import torch
    if inference_mode:
        def call() -> Any:
            with torch.inference_mode():
                return fn(*args)
    elif no_grad:
        def call() -> Any:
            with torch.no_grad():
                return fn(*args)
    else:
        def call() -> Any:
            return fn(*args)
    return Runner(call=call, cuda_events=(device == "cuda"), torch_calls=True)


def inductor_kernel_count() -> int | None:
    """torch._inductor.metrics.generated_kernel_count: kernels Inductor has generated in this
    process (cache hits replay their count); None when this torch has no such counter."""
    try:
        from torch._inductor import metrics
    except ImportError:
        return None
    n = getattr(metrics, "generated_kernel_count", None)
    return n if isinstance(n, int) else None


def kernels_since(before: int | None) -> int | None:
    """Kernels Inductor generated since inductor_kernel_count() returned `before`."""
    after = inductor_kernel_count()
    if before is None or after is None:
        return None
    return after - before


def not_applicable_to_onnx(conversion: str) -> str:
    return (f"{conversion} is not applicable to an ONNX source: it runs a PyTorch module; "
            "for an .onnx file use ONNX_CPU, ONNX_GPU, ONNX_TENSORRT, ONNX_CPU_INT8_DYNAMIC or "
            "OPENVINO_CPU")
