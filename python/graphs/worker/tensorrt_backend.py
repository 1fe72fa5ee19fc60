"""TORCH_TENSORRT: torch_tensorrt.compile(ir="dynamo") with fp32 and fp16 kernels enabled
(the engine is built in the convert phase). ONNX Runtime's TensorRT provider is ONNX_TENSORRT
in onnxruntime_backend."""

from __future__ import annotations

from graphs.worker import torch_common
from graphs.worker.protocol import require_module
from graphs.worker.runner import RunContext, Runner


def torch_tensorrt(ctx: RunContext) -> Runner:
    import torch
    torch_trt = require_module("torch_tensorrt", "torch-tensorrt", "TORCH_TENSORRT")
    require_module("tensorrt", "tensorrt", "TORCH_TENSORRT")
    model = torch_common.module_on(ctx, "cuda")
    args = torch_common.to_tensors(ctx, "cuda")
    compiled = torch_trt.compile(model, ir="dynamo", inputs=list(args),
                                 enabled_precisions={torch.float32, torch.float16})
    r = torch_common.runner(compiled, args, "cuda")
    r.call()
    torch.cuda.synchronize()
    return r
