"""torch.compile conversions: Inductor (default, reduce-overhead, max-autotune), CUDA graphs,
and the OpenVINO backend.

torch.compile compiles lazily; the convert step makes the compiling call itself, so that
`convert_s` holds the compilation and `first_call_s` the first call of the compiled model.
"""

from __future__ import annotations

import logging

from graphs.worker import torch_common
from graphs.worker.protocol import require_module, unsupported
from graphs.worker.runner import Runner


def _compiled_runner(ctx, compiled, args) -> Runner:
    import torch
    r = torch_common.runner(compiled, args, ctx.device)
    r.call()                              # compiles
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    return r


def inductor(ctx, mode: str = "default") -> Runner:
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


def cudagraphs(ctx) -> Runner:
    import torch
    model = torch_common.module_on(ctx, "cuda")
    args = torch_common.to_tensors(ctx, "cuda")
    compiled = torch.compile(model, backend="cudagraphs")
    return _compiled_runner(ctx, compiled, args)


class _FallbackLog(logging.Handler):
    """Collects OpenVINO's "Failed in OpenVINO execution" debug records: on such a failure its
    torch.compile backend silently compiles the graph with Inductor instead."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if "Failed in OpenVINO" in msg:
            self.failures.append(msg)


def openvino(ctx) -> Runner:
    import torch
    require_module("openvino", "openvino", "COMPILE_OPENVINO")
    require_module("openvino.torch", "openvino", "COMPILE_OPENVINO")   # registers the backend
    log = logging.getLogger("openvino.frontend.pytorch.torchdynamo.backend")
    watcher = _FallbackLog()
    log.addHandler(watcher)
    log.setLevel(logging.DEBUG)
    model = torch_common.module_on(ctx, "cpu")
    args = torch_common.to_tensors(ctx, "cpu")
    config = {"INFERENCE_PRECISION_HINT": "f32"}
    if ctx.threads is not None:
        config["INFERENCE_NUM_THREADS"] = str(ctx.threads)
    # aot_autograd: with torch 2.14 the backend's default path (make_fx inside Dynamo) fails
    # while Dynamo builds its shape guards ("sources must not be empty for symbol ...").
    options = {"device": "CPU", "aot_autograd": True, "config": config}
    compiled = torch.compile(model, backend="openvino", options=options)
    r = _compiled_runner(ctx, compiled, args)
    log.removeHandler(watcher)
    if watcher.failures:
        raise unsupported("OpenVINO could not compile the graph (its backend fell back to "
                          f"Inductor, which would be mislabelled): {watcher.failures[0][:800]}")
    return r
