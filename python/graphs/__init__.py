"""graphs: characterize neural-network graphs and predict how they run on hardware.

The analysis is C++ (the `_graphs` extension); this package is a thin layer over it:

- `graphs.analyze(model, example_inputs=None, hardware=..., batch=..., ...)`: a zoo name, an
  .onnx file or a torch.nn.Module (exported to ONNX first) → `AnalysisResult` (the JSON
  document of `graphs analyze --format json`, main figures typed; `.to_json()`);
- `graphs.validate(models, conversions=..., batch=...)` → `ValidationResult` (`graphs validate`);
- `graphs.benchmark(model, example_inputs, conversions=...)` → `BenchmarkReport` (`graphs bench`).

Bad input raises ValueError with the C++ one-line message, failures RuntimeError.

The extension is loaded on first use of one of its names, so that `import graphs` (and the
benchmark worker, `python -m graphs.worker`) work from a source tree without it and never
depend on an optional backend (torch, onnxruntime, openvino, triton) being installed.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

# A source checkout on PYTHONPATH (python/graphs, no compiled extension) and an installed copy
# (with graphs/_graphs*.so) form one package: submodules come from the first, the extension from
# wherever it is.
__path__ = pkgutil.extend_path(__path__, __name__)

from graphs.analysis import (  # noqa: F401
    AnalysisResult,
    Estimate,
    ValidationResult,
    ValidationRow,
    analyze,
    validate,
)
from graphs.benchmark import BenchmarkReport, ConversionResult, benchmark  # noqa: F401

_EXTENSION_NAMES = ("__version__", "hardware_ids", "zoo_names")

__all__ = ["__version__", "analyze", "validate", "benchmark", "hardware_ids", "zoo_names",
           "AnalysisResult", "Estimate", "ValidationResult", "ValidationRow", "BenchmarkReport",
           "ConversionResult"]


def __getattr__(name: str) -> Any:
    if name in _EXTENSION_NAMES:
        try:
            ext = importlib.import_module("graphs._graphs")
        except ImportError as e:
            raise ImportError(f"graphs.{name} needs the C++ extension graphs._graphs, which is "
                              f"not built or not importable here ({e}); install the package "
                              "with scripts/install_package.sh VENV") from e
        value = getattr(ext, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
