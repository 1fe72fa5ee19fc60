"""Which backend module and function run each conversion.

The names and their meaning are the C++ registry's (src/graphs/bench/conversions_*.cc); this
table only says where the worker's code for each lives. A name missing here is answered with an
`error` event (kind `failed`, "unknown conversion"). Test-only conversions exist only with
GRAPHS_TEST_CONVERSIONS=1, as in the registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Conversion:
    name: str
    module: str                      # graphs.worker.<module>
    function: str                    # convert function in it: f(ctx, **options) -> Runner
    options: dict[str, Any] = field(default_factory=dict)
    onnx_source: bool = False        # runs on an .onnx source (else torch sources only)
    torch_source: bool = True
    device: str | None = None        # pinned device ("cpu"/"cuda"); None = the run's device
    test_only: bool = False


_ORT = dict(module="onnxruntime_backend", function="convert", onnx_source=True)
_TABLE = [
    Conversion("EAGER", "torch_eager", "convert"),
    Conversion("BF16+EAGER", "torch_eager", "convert", {"dtype": "bfloat16"}),
    Conversion("FP16+EAGER", "torch_eager", "convert", {"dtype": "float16"}, device="cuda"),
    Conversion("JIT_TRACE", "jit", "trace"),
    Conversion("TORCH_SCRIPT", "jit", "script"),
    Conversion("EXPORT+EAGER", "torch_export", "export_eager"),
    Conversion("EXPORT+AOT_INDUCTOR", "torch_export", "aot_inductor"),
    Conversion("COMPILE_INDUCTOR_DEFAULT", "torch_compile", "inductor", {"mode": "default"}),
    Conversion("COMPILE_INDUCTOR_REDUCE_OVERHEAD", "torch_compile", "inductor",
               {"mode": "reduce-overhead"}),
    Conversion("COMPILE_INDUCTOR_MAX_AUTOTUNE", "torch_compile", "inductor",
               {"mode": "max-autotune"}),
    Conversion("COMPILE_CUDAGRAPHS", "torch_compile", "cudagraphs", device="cuda"),
    Conversion("COMPILE_OPENVINO", "torch_compile", "openvino", device="cpu"),
    Conversion("PT2E_INT8_X86", "quant", "pt2e_x86", device="cpu"),
    Conversion("TORCH_TENSORRT", "tensorrt_backend", "torch_tensorrt", device="cuda"),
    Conversion("ONNX_CPU", **_ORT, options={"provider": "CPUExecutionProvider"}, device="cpu"),
    Conversion("ONNX_CPU_INT8_DYNAMIC", **_ORT,
               options={"provider": "CPUExecutionProvider", "quantize": "dynamic_int8"},
               device="cpu"),
    Conversion("ONNX_GPU", **_ORT, options={"provider": "CUDAExecutionProvider"}, device="cuda"),
    Conversion("ONNX_TENSORRT", **_ORT,
               options={"provider": "TensorrtExecutionProvider", "fp16": True}, device="cuda"),
    Conversion("OPENVINO_CPU", "openvino_backend", "convert", onnx_source=True, device="cpu"),
]
_TEST = [
    Conversion(n, "test_conversions", n.lower(), onnx_source=True, test_only=True)
    for n in ("TEST_HANG", "TEST_SEGFAULT", "TEST_EXIT", "TEST_SLEEP")
]


def test_conversions_enabled() -> bool:
    return os.environ.get("GRAPHS_TEST_CONVERSIONS", "") == "1"


def table() -> dict[str, Conversion]:
    convs = _TABLE + (_TEST if test_conversions_enabled() else [])
    return {c.name: c for c in convs}


def lookup(name: str) -> Conversion | None:
    return table().get(name)
