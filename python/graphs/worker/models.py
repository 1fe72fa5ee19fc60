"""Model sources of a run request: torchvision, hf, factory, onnx, exported.

`load(request)` returns a LoadedModel with the model's input signature bound to the run's batch
and seq_len. Torch sources build the nn.Module here (the `load` phase); ONNX sources only read
the graph's inputs (weights are loaded by the backend).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

from graphs.worker.inputs import InputSpec, bind_dim, kind_for, normalize_dtype, specs_from_request
from graphs.worker.protocol import failed, not_applicable, require_module

if TYPE_CHECKING:
    import torch

SOURCES = ("torchvision", "hf", "factory", "onnx", "exported")


@dataclass
class LoadedModel:
    source: str                          # one of SOURCES
    description: str                     # "torchvision:resnet18"
    input_specs: list[InputSpec]
    module: Any = None                   # torch sources: the nn.Module (eval mode)
    exported: Any = None                 # exported source: the torch.export.ExportedProgram
    onnx_path: str | None = None         # onnx source
    output_names: list[str] = field(default_factory=list)

    @property
    def is_onnx(self) -> bool:
        return self.source == "onnx"

    def torch_module(self) -> Any:
        if self.module is None:
            raise not_applicable(f"{self.description} is an ONNX file, not a PyTorch module")
        return self.module


def load(request: dict[str, Any]) -> LoadedModel:
    """The request's model; torch sources are built after torch.manual_seed(request seed), so
    that every worker of a run builds the same random weights. torchvision and hf models then
    get graphs.torch_models.randomize_ (as tools/export_models.py does), so that their outputs
    do not vanish and the output check compares values, not rounding."""
    model = request.get("model")
    if not isinstance(model, dict) or model.get("source") not in SOURCES:
        raise failed(f"bad model in run request: {model!r}; model.source is one of "
                     f"{', '.join(SOURCES)}")
    batch = _positive(request.get("batch", 1), "batch")
    seq_len = _positive(request.get("seq_len", 128), "seq_len")
    source = model["source"]
    if source == "onnx":
        return _load_onnx(_field(model, "path"), batch, seq_len)
    torch = require_module("torch", "torch", f"model source '{source}'")
    threads = request.get("threads")
    if isinstance(threads, int) and threads > 0:
        torch.set_num_threads(threads)
    # Random weights: every worker of a run must build the same ones.
    torch.manual_seed(int(request.get("seed", 0) or 0))
    if source == "torchvision":
        return _load_torchvision(_field(model, "name"), batch)
    if source == "hf":
        return _load_hf(_field(model, "name"), batch, seq_len)
    if source == "factory":
        return _load_factory(_field(model, "spec"), request, batch, seq_len)
    return _load_exported(_field(model, "path"), batch, seq_len)


def _field(model: dict[str, Any], name: str) -> str:
    v = model.get(name)
    if not isinstance(v, str) or not v:
        raise failed(f"model source '{model.get('source')}' needs a non-empty \"{name}\"")
    return v


def _positive(v: Any, name: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise failed(f"{name} must be a positive integer, got {v!r}")
    return v


def _load_torchvision(name: str, batch: int) -> LoadedModel:
    require_module("torchvision", "torchvision", "model source 'torchvision'")
    from graphs.torch_models import (
        UnknownModelError,
        randomize_,
        torchvision_input_shape,
        torchvision_model,
    )
    try:
        module = torchvision_model(name)
    except UnknownModelError as e:
        raise failed(str(e)) from None
    randomize_(module)
    shape = torchvision_input_shape(name, module, batch)
    return LoadedModel("torchvision", f"torchvision:{name}",
                       [InputSpec("input", shape, "float32", "float")], module=module)


def _load_hf(name: str, batch: int, seq_len: int) -> LoadedModel:
    require_module("transformers", "transformers", "model source 'hf'")
    from graphs.torch_models import UnknownModelError, hf_info, hf_model, randomize_
    try:
        info = hf_info(name)
    except UnknownModelError as e:
        raise failed(str(e)) from None
    if info.task == "text" and info.max_seq_len and seq_len > info.max_seq_len:
        raise failed(f"seq_len {seq_len} exceeds {info.name}'s max_position_embeddings "
                     f"{info.max_seq_len}")
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.set_verbosity_error()
    except Exception:  # noqa: BLE001 - only quiets warnings
        pass
    module = hf_model(info.name)
    randomize_(module)
    if info.task == "vision":
        specs = [InputSpec(info.input_names[0], (batch, 3, info.image_size, info.image_size),
                           "float32", "float")]
    else:
        specs = [InputSpec(n, (batch, seq_len), "int64", kind_for(n, "int64"),
                           vocab_size=info.vocab_size) for n in info.input_names]
    return LoadedModel("hf", f"hf:{info.name}", specs, module=module,
                       output_names=list(info.output_names))


def _resolve_factory(spec: str) -> Callable[..., Any]:
    mod_name, _, attr = spec.partition(":")
    if not mod_name or not attr:
        raise failed(f"factory {spec!r} is not package.module:callable")
    try:
        obj = importlib.import_module(mod_name)
    except ImportError as e:
        raise failed(f"factory {spec!r}: cannot import {mod_name!r} ({type(e).__name__}: {e}); "
                     f"is it on PYTHONPATH? (worker cwd {os.getcwd()})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise failed(f"factory {spec!r}: module {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise failed(f"factory {spec!r} is not callable")
    return obj


def _load_factory(spec: str, request: dict[str, Any], batch: int, seq_len: int) -> LoadedModel:
    import torch
    fn = _resolve_factory(spec)
    shapes = request.get("input_shapes")
    if not shapes:
        raise failed(f"factory model {spec!r} needs input_shapes (one shape per input)")
    try:
        specs = specs_from_request(shapes, request.get("input_dtypes"), batch, seq_len)
    except ValueError as e:
        raise failed(f"factory model {spec!r}: {e}") from None
    module = fn()
    if not isinstance(module, torch.nn.Module):
        if not callable(module):
            raise failed(f"factory {spec!r} returned {type(module).__name__}, not an nn.Module")
        module = _FunctionModule(module)
    # Token ids must index the model's vocabulary: bound them by its largest embedding table.
    tables = [m.num_embeddings for m in module.modules() if isinstance(m, torch.nn.Embedding)]
    if tables:
        specs = [dataclasses.replace(s, vocab_size=max(tables)) if s.kind == "ids" else s
                 for s in specs]
    return LoadedModel("factory", spec, specs, module=module.eval())


def _FunctionModule(fn: Callable[..., Any]) -> torch.nn.Module:
    import torch

    class FunctionModule(torch.nn.Module):
        def forward(self, *args: Any) -> Any:
            return fn(*args)
    return FunctionModule()


def _load_exported(path: str, batch: int, seq_len: int) -> LoadedModel:
    import torch
    if not os.path.isfile(path):
        raise failed(f"no torch.export program file {path!r}")
    ep = torch.export.load(path)
    specs = exported_input_specs(ep, batch, seq_len)
    return LoadedModel("exported", f"exported:{os.path.basename(path)}", specs,
                       module=ep.module(), exported=ep)


def exported_input_specs(ep: torch.export.ExportedProgram, batch: int,
                         seq_len: int) -> list[InputSpec]:
    """Input specs of an ExportedProgram's user inputs (tensors only, in call order).

    Static dims are kept; symbolic dims are bound by batch/seq_len. When the program carries
    its example inputs, integer inputs draw token ids below the example's max + 1.
    """
    import torch
    sig = ep.graph_signature
    user_input = torch.export.graph_signature.InputKind.USER_INPUT
    user = [s for s in sig.input_specs if s.kind == user_input]
    nodes = {n.name: n for n in ep.graph.nodes if n.op == "placeholder"}
    examples: list[Any] = []
    ex = getattr(ep, "example_inputs", None)
    if ex is not None:
        args, kwargs = ex
        examples = list(torch.utils._pytree.tree_leaves((args, kwargs)))
    specs = []
    for i, s in enumerate(user):
        name = s.arg.name
        val = nodes[name].meta.get("val") if name in nodes else None
        if not isinstance(val, torch.Tensor):
            raise failed(f"exported program input {name!r} is not a tensor; only tensor inputs "
                         "can be generated")
        dims = []
        for j, d in enumerate(val.shape):
            dims.append(int(d) if isinstance(d, int) or str(d).isdigit()
                        else bind_dim(str(d), j, batch, seq_len))
        dtype = normalize_dtype(str(val.dtype))
        vocab = None
        if i < len(examples) and isinstance(examples[i], torch.Tensor) and \
                not examples[i].is_floating_point() and examples[i].numel():
            vocab = int(examples[i].max()) + 1
        specs.append(InputSpec(name, tuple(dims), dtype, kind_for(name, dtype),
                               vocab_size=vocab))
    return specs


_ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
                9: "bool", 10: "float16", 11: "float64", 16: "bfloat16"}


def _load_onnx(path: str, batch: int, seq_len: int) -> LoadedModel:
    if not os.path.isfile(path):
        raise failed(f"no ONNX file {path!r}")
    specs = []
    onnx: ModuleType | None
    try:
        import onnx
    except ImportError:
        onnx = None
    if onnx is not None:
        m = onnx.load(path, load_external_data=False)
        inits = {i.name for i in m.graph.initializer}
        for v in m.graph.input:
            if v.name in inits:
                continue
            t = v.type.tensor_type
            if t.elem_type not in _ONNX_DTYPES:
                raise failed(f"ONNX input {v.name!r} has element type {t.elem_type}, which the "
                             "input generator does not support")
            dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else
                    (d.dim_param if d.HasField("dim_param") else None) for d in t.shape.dim]
            specs.append(_onnx_spec(v.name, dims, _ONNX_DTYPES[t.elem_type], batch, seq_len))
        outputs = [o.name for o in m.graph.output]
    else:
        ort = require_module("onnxruntime", "onnxruntime", "reading an ONNX file's inputs")
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for v in sess.get_inputs():
            dtype = v.type.removeprefix("tensor(").removesuffix(")")
            dtype = {"float": "float32", "double": "float64",
                     "float16": "float16"}.get(dtype, dtype)
            specs.append(_onnx_spec(v.name, list(v.shape), normalize_dtype(dtype), batch, seq_len))
        outputs = [o.name for o in sess.get_outputs()]
        del sess
    return LoadedModel("onnx", os.path.basename(path), specs, onnx_path=os.path.abspath(path),
                       output_names=outputs)


def _onnx_spec(name: str, dims: list[int | str | None], dtype: str, batch: int,
               seq_len: int) -> InputSpec:
    shape = tuple(bind_dim(d, j, batch, seq_len) for j, d in enumerate(dims))
    return InputSpec(name, shape, dtype, kind_for(name, dtype))
