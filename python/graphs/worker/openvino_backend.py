"""OPENVINO_CPU: the OpenVINO runtime on the ONNX file (exported first for a torch source).

core.compile_model(model, "CPU") with fp32 inference precision (the CPU plugin otherwise picks
bf16 on CPUs with AMX/AVX512-BF16), the LATENCY performance hint and the run's thread count.
Input tensors are set once on the infer request (sharing the generated arrays' memory); each
call is request.infer(), synchronous.
"""

from __future__ import annotations

from graphs.worker.onnx_export import feeds_by_name, onnx_path_for
from graphs.worker.protocol import require_module, unavailable
from graphs.worker.runner import Runner


def convert(ctx) -> Runner:
    ov = require_module("openvino", "openvino", "OPENVINO_CPU")
    core = ov.Core()
    if "CPU" not in core.available_devices:
        raise unavailable(f"OpenVINO {ov.__version__} has no CPU device "
                          f"(devices: {core.available_devices})")
    path = onnx_path_for(ctx)
    model = core.read_model(path)
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    if ctx.threads is not None:
        config["INFERENCE_NUM_THREADS"] = ctx.threads
    compiled = core.compile_model(model, "CPU", config)
    request = compiled.create_infer_request()
    names = [p.get_any_name() for p in compiled.inputs]
    feeds = feeds_by_name(names, ctx)
    for i, n in enumerate(names):
        request.set_input_tensor(i, ov.Tensor(feeds[n], shared_memory=True))
    n_out = len(compiled.outputs)

    def call():
        request.infer()
        return [request.get_output_tensor(i).data for i in range(n_out)]
    return Runner(call=call)
