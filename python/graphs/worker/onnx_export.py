"""The ONNX file a run's ONNX Runtime / OpenVINO conversion executes.

An .onnx source is used as it is. A torch source is exported in the convert phase (its cost is
part of that conversion's cold start) with torch.onnx.export's dynamo exporter at the run's
static shapes, as tools/export_models.py does; if the dynamo exporter fails, the TorchScript
exporter (opset 17) is tried, and stderr says so. The file goes to the conversion's output_dir.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from graphs.worker.protocol import require_module, unsupported

if TYPE_CHECKING:
    from graphs.worker.runner import RunContext

TS_OPSET = 17


def onnx_path_for(ctx: RunContext) -> str:
    if ctx.model.is_onnx:
        return str(ctx.model.onnx_path)
    torch = require_module("torch", "torch", "exporting to ONNX")
    require_module("onnx", "onnx", "exporting to ONNX")
    from graphs.worker import torch_common
    path = os.path.join(ctx.output_dir, "model.onnx")
    args = torch_common.to_tensors(ctx, "cpu")
    names = [s.name for s in ctx.input_specs]
    source = ctx.model.exported if ctx.model.exported is not None else ctx.model.torch_module()
    errors = []
    try:
        require_module("onnxscript", "onnxscript", "torch.onnx.export(dynamo=True)")
        with torch.no_grad():
            prog = torch.onnx.export(source, args, dynamo=True, input_names=names,
                                     external_data=True)
        prog.save(path, external_data=True)
        return path
    except Exception as e:  # noqa: BLE001 - the second exporter gets its chance
        errors.append(f"dynamo exporter: {type(e).__name__}: {_first_line(e)}")
        print(f"graphs.worker: {errors[-1]}; trying the TorchScript exporter", file=sys.stderr)
    try:
        module = ctx.model.torch_module()
        with torch.no_grad():
            torch.onnx.export(module, args, path, dynamo=False, opset_version=TS_OPSET,
                              input_names=names, do_constant_folding=True)
        return path
    except Exception as e:  # noqa: BLE001
        errors.append(f"TorchScript exporter: {type(e).__name__}: {_first_line(e)}")
    raise unsupported("torch.onnx.export failed: " + "; ".join(errors))


def _first_line(e: BaseException) -> str:
    while e.__cause__ is not None:
        e = e.__cause__
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[0][:400] if lines else ""


def feeds_by_name(input_names: list[str], ctx: RunContext) -> dict[str, Any]:
    """The generated arrays keyed by the ONNX graph's input names: by name where they match the
    signature, else by position (exporters may rename inputs or drop unused ones)."""
    by_name = {s.name: a for s, a in zip(ctx.input_specs, ctx.arrays)}
    if all(n in by_name for n in input_names):
        return {n: by_name[n] for n in input_names}
    if len(input_names) > len(ctx.arrays):
        raise unsupported(f"the ONNX model has {len(input_names)} inputs "
                          f"({', '.join(input_names)}), the run generated {len(ctx.arrays)}")
    return dict(zip(input_names, ctx.arrays))
