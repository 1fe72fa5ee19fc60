"""ONNX Runtime conversions: ONNX_CPU, ONNX_CPU_INT8_DYNAMIC (quantize_dynamic), ONNX_GPU (CUDA
execution provider), ONNX_TENSORRT (TensorRT execution provider, fp16).

Session options: all graph optimizations, sequential execution, intra-op threads = the run's
threads. A requested execution provider that ONNX Runtime does not list, or that the session
does not end up using (ORT falls back to CPU with only a warning), is reported, never replaced.
On a GPU, inputs are bound to device memory once (I/O binding) and outputs stay on the device,
so no host-device copy is timed; run_with_iobinding returns when the outputs are ready.
"""

from __future__ import annotations

import os
from typing import Any

from graphs.worker.onnx_export import feeds_by_name, onnx_path_for
from graphs.worker.protocol import require_module, unavailable, unsupported
from graphs.worker.runner import RunContext, Runner


def session_options(ort: Any, threads: int | None) -> Any:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads is not None:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return so


def quantize_dynamic_int8(src: str, output_dir: str) -> str:
    """int8 weights for MatMul/Gemm (activations quantized at run time); ORT's CPU provider has
    no int8 ConvInteger kernel, so convolutions stay fp32.

    The exporter's value_info is dropped first: quantize_dynamic re-runs ONNX shape inference,
    which rejects the dynamo exporter's annotations of reshaped values ("Inferred shape and
    existing shape differ").
    """
    onnx = require_module("onnx", "onnx", "onnxruntime.quantization")
    from onnxruntime.quantization import QuantType, quantize_dynamic
    data = src + ".data"
    large = os.path.getsize(src) + (os.path.getsize(data) if os.path.exists(data) else 0) \
        > 1_500_000_000
    model = onnx.load(src)
    del model.graph.value_info[:]
    plain = os.path.join(output_dir, "model.fp32.onnx")
    onnx.save(model, plain, save_as_external_data=large)
    del model
    dst = os.path.join(output_dir, "model.int8.onnx")
    quantize_dynamic(plain, dst, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gemm", "Attention"],
                     use_external_data_format=large)
    return dst


def convert(ctx: RunContext, provider: str, quantize: str | None = None,
            fp16: bool = False) -> Runner:
    ort = require_module("onnxruntime", "onnxruntime" if provider == "CPUExecutionProvider"
                         else "onnxruntime-gpu", f"{ctx.conversion.name}")
    available = ort.get_available_providers()
    if provider not in available:
        pip = "onnxruntime-gpu" if provider != "CPUExecutionProvider" else "onnxruntime"
        raise unavailable(f"ONNX Runtime {ort.__version__} has no {provider} "
                          f"(available: {', '.join(available)}; pip install {pip})")
    path = onnx_path_for(ctx)
    if quantize == "dynamic_int8":
        path = quantize_dynamic_int8(path, ctx.output_dir)
    providers: list[Any] = [provider]
    if provider == "TensorrtExecutionProvider":
        providers = [(provider, {"trt_fp16_enable": fp16, "trt_engine_cache_enable": True,
                                 "trt_engine_cache_path": ctx.output_dir}),
                     "CUDAExecutionProvider"]
    sess = ort.InferenceSession(path, session_options(ort, ctx.threads), providers=providers)
    used = sess.get_providers()
    if not used or used[0] != provider:
        raise unsupported(f"ONNX Runtime did not use {provider} for this model "
                          f"(session providers: {', '.join(used)}); see the worker's stderr")
    names = [i.name for i in sess.get_inputs()]
    feeds = feeds_by_name(names, ctx)
    if provider == "CPUExecutionProvider":
        def call() -> Any:
            return sess.run(None, feeds)
        return Runner(call=call)
    binding = sess.io_binding()
    for n, a in feeds.items():
        binding.bind_ortvalue_input(n, ort.OrtValue.ortvalue_from_numpy(a, "cuda", 0))
    for o in sess.get_outputs():
        binding.bind_output(o.name, "cuda")

    def call_gpu() -> None:
        sess.run_with_iobinding(binding)
    return Runner(call=call_gpu, fetch_outputs=binding.copy_outputs_to_cpu)
