"""The openvino family: OPENVINO_CPU, the OpenVINO runtime on the ONNX file (exported first for a
torch source), and COMPILE_OPENVINO, torch.compile with OpenVINO's backend.

core.compile_model(model, "CPU") with fp32 inference precision (the CPU plugin otherwise picks
bf16 on CPUs with AMX/AVX512-BF16), the LATENCY performance hint and the run's thread count.
Input tensors are set once on the infer request (sharing the generated arrays' memory); each
call is request.infer(), synchronous.
"""

from __future__ import annotations

import logging
from typing import Any

from graphs.worker import torch_common
from graphs.worker.onnx_export import feeds_by_name, onnx_path_for
from graphs.worker.protocol import require_module, unavailable, unsupported
from graphs.worker.runner import RunContext, Runner


def convert(ctx: RunContext) -> Runner:
    ov = require_module("openvino", "openvino", "OPENVINO_CPU")
    core = ov.Core()
    if "CPU" not in core.available_devices:
        raise unavailable(f"OpenVINO {ov.__version__} has no CPU device "
                          f"(devices: {core.available_devices})")
    path = onnx_path_for(ctx)
    model = core.read_model(path)
    config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    if ctx.threads is not None:
        config["INFERENCE_NUM_THREADS"] = ctx.threads
    compiled = core.compile_model(model, "CPU", config)
    request = compiled.create_infer_request()
    names = [p.get_any_name() for p in compiled.inputs]
    feeds = feeds_by_name(names, ctx)
    for i, n in enumerate(names):
        request.set_input_tensor(i, ov.Tensor(feeds[n], shared_memory=True))
    n_out = len(compiled.outputs)

    def call() -> list[Any]:
        request.infer()
        return [request.get_output_tensor(i).data for i in range(n_out)]
    return Runner(call=call)


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


def compile_openvino(ctx: RunContext) -> Runner:
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
    options: dict[str, Any] = {"device": "CPU", "aot_autograd": True, "config": config}
    compiled = torch.compile(model, backend="openvino", options=options)
    r = torch_common.runner(compiled, args, "cpu")
    r.call()                              # compiles
    log.removeHandler(watcher)
    if watcher.failures:
        raise unsupported("OpenVINO could not compile the graph (its backend fell back to "
                          f"Inductor, which would be mislabelled): {watcher.failures[0][:800]}")
    return r
