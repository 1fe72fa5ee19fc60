"""Where the worker's code for each conversion is: module, function, keyword options.

The C++ registry is the one table (src/graphs/bench/conversions_*.cc, each family's file
registering its BackendFamily and its conversions). It sends what a run needs in the request's
`worker` field (bench/conversion_registry.h `worker_conversion`: family, module, function,
options, pinned device, sources, test_only); `lookup` builds the Conversion from it. A request
without that field (an older orchestrator, a hand-written request) falls back to `_TABLE` below,
which tests/python/test_bindings.py::test_conversion_tables_agree holds equal to the C++ table,
field by field. A name missing from both is answered with an `error` event (kind `failed`,
"unknown conversion").

Test-only conversions (the `test` family) exist only with GRAPHS_TEST_CONVERSIONS=1; their code
is not in this package: it is tests/python/worker_test_conversions/graphs_test_conversions.py,
imported from the folder $GRAPHS_TEST_CONVERSIONS_DIR names.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, cast

#: Family → its worker module (an import name): BackendFamily::worker_module in C++.
FAMILY_MODULES: dict[str, str] = {
    "eager": "graphs.worker.torch_eager",
    "torchscript": "graphs.worker.jit",
    "export": "graphs.worker.torch_export",
    "inductor": "graphs.worker.torch_compile",
    "cudagraphs": "graphs.worker.torch_compile",
    "aot_inductor": "graphs.worker.torch_export",
    "pt2e": "graphs.worker.quant",
    "onnxruntime": "graphs.worker.onnxruntime_backend",
    "openvino": "graphs.worker.openvino_backend",
    "tensorrt": "graphs.worker.tensorrt_backend",
    "test": "graphs_test_conversions",
}
TEST_FAMILY = "test"
TEST_DIR_ENV = "GRAPHS_TEST_CONVERSIONS_DIR"


@dataclass(frozen=True)
class Conversion:
    name: str
    family: str
    function: str                    # convert function in the module: f(ctx, **options) -> Runner
    options: dict[str, Any] = field(default_factory=dict)
    onnx_source: bool = False        # runs on an .onnx source
    torch_source: bool = True        # runs on a torch source
    device: str | None = None        # pinned device ("cpu"/"cuda"); None = the run's device
    test_only: bool = False
    module: str = ""                 # import name; "" = the family's (FAMILY_MODULES)

    def import_name(self) -> str:
        return self.module or FAMILY_MODULES.get(self.family, "")


def _ort(name: str, device: str, **options: Any) -> Conversion:
    return Conversion(name, "onnxruntime", "convert", options, onnx_source=True, device=device)


_TABLE = [
    Conversion("EAGER", "eager", "convert"),
    Conversion("BF16+EAGER", "eager", "convert", {"dtype": "bfloat16"}),
    Conversion("FP16+EAGER", "eager", "convert", {"dtype": "float16"}, device="cuda"),
    Conversion("JIT_TRACE", "torchscript", "trace"),
    Conversion("TORCH_SCRIPT", "torchscript", "script"),
    Conversion("EXPORT+EAGER", "export", "export_eager"),
    Conversion("EXPORT+AOT_INDUCTOR", "aot_inductor", "aot_inductor"),
    Conversion("COMPILE_INDUCTOR_DEFAULT", "inductor", "inductor", {"mode": "default"}),
    Conversion("COMPILE_INDUCTOR_REDUCE_OVERHEAD", "inductor", "inductor",
               {"mode": "reduce-overhead"}),
    Conversion("COMPILE_INDUCTOR_MAX_AUTOTUNE", "inductor", "inductor",
               {"mode": "max-autotune"}),
    Conversion("COMPILE_CUDAGRAPHS", "cudagraphs", "cudagraphs", device="cuda"),
    Conversion("COMPILE_OPENVINO", "openvino", "compile_openvino", device="cpu"),
    Conversion("PT2E_INT8_X86", "pt2e", "pt2e_x86", device="cpu"),
    Conversion("TORCH_TENSORRT", "tensorrt", "torch_tensorrt", device="cuda"),
    _ort("ONNX_CPU", "cpu", provider="CPUExecutionProvider"),
    _ort("ONNX_CPU_INT8_DYNAMIC", "cpu", provider="CPUExecutionProvider",
         quantize="dynamic_int8"),
    _ort("ONNX_GPU", "cuda", provider="CUDAExecutionProvider"),
    _ort("ONNX_TENSORRT", "cuda", provider="TensorrtExecutionProvider", fp16=True),
    Conversion("OPENVINO_CPU", "openvino", "convert", onnx_source=True, device="cpu"),
]
_TEST = [
    Conversion(n, TEST_FAMILY, n.lower(), onnx_source=True, test_only=True)
    for n in ("TEST_HANG", "TEST_SEGFAULT", "TEST_EXIT", "TEST_SLEEP")
]


def test_conversions_enabled() -> bool:
    return os.environ.get("GRAPHS_TEST_CONVERSIONS", "") == "1"


def table() -> dict[str, Conversion]:
    convs = _TABLE + (_TEST if test_conversions_enabled() else [])
    return {c.name: c for c in convs}


def from_request(name: str, spec: dict[str, Any]) -> Conversion | None:
    """The Conversion a request's `worker` field describes; None when it is not a conversion
    this worker may run (a test-only one without GRAPHS_TEST_CONVERSIONS=1). ValueError names a
    malformed field."""
    def typed(key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        v = spec.get(key, default)
        if not isinstance(v, kind):
            raise ValueError(f"worker.{key} must be {getattr(kind, '__name__', kind)}, "
                             f"got {v!r}")
        return v
    test_only = typed("test_only", bool, False)
    if test_only and not test_conversions_enabled():
        return None
    device = spec.get("device")
    if device not in (None, "cpu", "cuda"):
        raise ValueError(f"worker.device must be cpu, cuda or null, got {device!r}")
    return Conversion(name=name, family=typed("family", str, ""),
                      function=typed("function", str, "convert"),
                      options=dict(typed("options", dict, {})),
                      onnx_source=typed("onnx_source", bool, False),
                      torch_source=typed("torch_source", bool, True),
                      device=device, test_only=test_only, module=typed("module", str, ""))


def lookup(name: str, spec: Any = None) -> Conversion | None:
    """The conversion `name`: from the request's `worker` field when it has one, else from the
    table."""
    if isinstance(spec, dict):
        return from_request(name, spec)
    return table().get(name)


def load(conv: Conversion) -> Callable[..., Any]:
    """The convert function of `conv`. Test-only code is imported from $GRAPHS_TEST_CONVERSIONS_DIR
    and nothing else outside graphs.worker is imported. ImportError says what is missing."""
    module = conv.import_name()
    if conv.test_only:
        folder = os.environ.get(TEST_DIR_ENV, "")
        if not folder or not os.path.isdir(folder):
            raise ImportError(f"{conv.name} is a test-only conversion: its code is not in the "
                              f"graphs package; set {TEST_DIR_ENV} to tests/python/"
                              "worker_test_conversions of a graphs checkout")
        if folder not in sys.path:
            sys.path.insert(0, folder)
    elif not module.startswith("graphs.worker."):
        raise ImportError(f"{conv.name}: worker module {module!r} is not in graphs.worker")
    fn = getattr(importlib.import_module(module), conv.function)
    if not callable(fn):
        raise ImportError(f"{conv.name}: {module}.{conv.function} is not a function")
    return cast(Callable[..., Any], fn)
