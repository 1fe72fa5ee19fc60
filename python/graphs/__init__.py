"""graphs: characterize neural-network graphs and predict how they run on hardware.

The analysis is C++ (the `_graphs` extension); this package re-exports it. Results are plain
dicts following the JSON schema of `graphs analyze --format json` (units in field names).
`graphs.benchmark` runs models through several backends (the `graphs bench` orchestrator).

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

from graphs.benchmark import BenchmarkReport, ConversionResult, benchmark  # noqa: F401

_EXTENSION_NAMES = ("__version__", "analyze", "hardware_ids", "zoo_names")

__all__ = ["__version__", "analyze", "hardware_ids", "zoo_names", "benchmark",
           "BenchmarkReport", "ConversionResult"]


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
