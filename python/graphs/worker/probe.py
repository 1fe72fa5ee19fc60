"""The `probe` request: which modules, devices and providers this interpreter has.

torch, torchvision, onnx, onnxruntime and openvino are imported (their import is the test: a
broken install reports null and its error); the rest are looked up by installed distribution
version without importing them (transformers, triton, torch_tensorrt and tensorrt take seconds
to import and need no device query).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from typing import Any

#: module name → distribution name, for the modules looked up without import.
_METADATA_ONLY = {"transformers": "transformers", "triton": "triton",
                  "torch_tensorrt": "torch-tensorrt", "tensorrt": "tensorrt",
                  "torchao": "torchao", "onnxscript": "onnxscript"}
_IMPORTED = ("torch", "torchvision", "onnx", "onnxruntime", "openvino")


def _version_of(mod: Any, dist: str) -> str:
    v = getattr(mod, "__version__", None)
    if v is None:
        v = importlib.metadata.version(dist)
    return str(v)


def probe() -> dict[str, Any]:
    modules: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    loaded: dict[str, Any] = {}
    for name in _IMPORTED:
        try:
            mod = importlib.import_module(name)
            loaded[name] = mod
            v = _version_of(mod, name)
            if name == "openvino":
                v = v.split("-")[0]
            modules[name] = v
        except ImportError:
            modules[name] = None
        except Exception as e:  # noqa: BLE001 - a broken install is reported, not raised
            modules[name] = None
            errors[name] = f"{type(e).__name__}: {e}"[:500]
    for name, dist in _METADATA_ONLY.items():
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            modules[name] = None
            continue
        try:
            modules[name] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            modules[name] = "unknown"
    out: dict[str, Any] = {"type": "probe_result", "modules": modules,
                           "cuda_available": False, "cuda_device_count": 0,
                           "cuda_device_name": None, "ort_providers": [],
                           "openvino_devices": [], "torch_num_threads": None}
    torch = loaded.get("torch")
    if torch is not None:
        try:
            out["torch_num_threads"] = torch.get_num_threads()
            if torch.cuda.is_available():
                out["cuda_available"] = True
                out["cuda_device_count"] = torch.cuda.device_count()
                out["cuda_device_name"] = torch.cuda.get_device_name(0)
        except Exception as e:  # noqa: BLE001
            errors["torch.cuda"] = f"{type(e).__name__}: {e}"[:500]
    ort = loaded.get("onnxruntime")
    if ort is not None:
        try:
            out["ort_providers"] = list(ort.get_available_providers())
        except Exception as e:  # noqa: BLE001
            errors["onnxruntime.providers"] = f"{type(e).__name__}: {e}"[:500]
    ov = loaded.get("openvino")
    if ov is not None:
        try:
            out["openvino_devices"] = list(ov.Core().available_devices)
        except Exception as e:  # noqa: BLE001
            errors["openvino.devices"] = f"{type(e).__name__}: {e}"[:500]
    if errors:
        out["import_errors"] = errors
    return out
