"""`graphs.analyze` and `graphs.validate`: the C++ pipeline and validation loop from Python.

Both are thin: the analysis, the estimates and the validation run in C++ (the `_graphs`
extension: `analyze`, `validate`); this module only turns Python arguments into the extension's
and its JSON documents into typed results. The one thing done here is what needs PyTorch: a
`torch.nn.Module` is exported to ONNX (`torch.onnx.export`, TorchScript exporter, batch axis
named `batch`) in a temporary folder and that file is analyzed.

Errors: ValueError for bad input (unknown model, hardware, precision, a bad size; the C++
one-line message, with its did-you-mean), OSError when a file cannot be read, RuntimeError for a
failure inside the analysis, TypeError for arguments of the wrong kind, ImportError when the
extension is not built.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import torch

__all__ = ["analyze", "validate", "AnalysisResult", "Estimate", "ValidationResult",
           "ValidationRow", "export_onnx"]

#: opset of the TorchScript exporter used for nn.Module models (as tools/export_models.py).
ONNX_OPSET = 17


def _extension() -> ModuleType:
    try:
        from graphs import _graphs
    except ImportError as e:
        raise ImportError("graphs.analyze and graphs.validate need the C++ extension "
                          f"graphs._graphs, which is not built or not importable here ({e}); "
                          "install the package (pip install . or bash scripts/install_package.sh "
                          "VENV)") from e
    return _graphs


@dataclass(frozen=True)
class Estimate:
    """One hardware target's estimate (an entry of the report's `estimates`); seconds, joules,
    bytes."""
    hardware: str
    latency_s: float | None            # None only when the document lacks it
    energy_j: float | None
    throughput_samples_per_s: float | None
    period_s: float | None             # steady-state time between pipelined inferences
    peak_memory_bytes: float | None
    precision: str | None
    backend: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Estimate:
        memory = d.get("memory") or {}
        return cls(hardware=d.get("hardware", ""), latency_s=d.get("latency_s"),
                   energy_j=d.get("energy_j"),
                   throughput_samples_per_s=d.get("throughput_samples_per_s"),
                   period_s=d.get("period_s"), peak_memory_bytes=memory.get("peak_bytes"),
                   precision=d.get("precision"), backend=d.get("backend"), raw=dict(d))


@dataclass(frozen=True)
class AnalysisResult:
    """The `graphs analyze --format json` document (schema_version 1), with its main figures
    typed. `result["totals"]`, `result["estimates"]`, ... index the document itself."""
    model: str
    # batch, params, macs, flops, weight_bytes: None only when the document lacks them
    batch: int | None
    seq_len: int | None
    precision: str
    params: int | None
    macs: float | None
    flops: float | None
    weight_bytes: float | None
    fused_kernels: int | None
    estimates: list[Estimate]
    llm: dict[str, Any] | None         # with `phase`: the LLM phase figures per target
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> AnalysisResult:
        model = doc.get("model") or {}
        totals = doc.get("totals") or {}
        return cls(model=model.get("name", ""), batch=model.get("batch"),
                   seq_len=model.get("seq_len"), precision=model.get("precision", ""),
                   params=totals.get("params"), macs=totals.get("macs"),
                   flops=totals.get("flops"), weight_bytes=totals.get("weight_bytes"),
                   fused_kernels=totals.get("fused_kernels"),
                   estimates=[Estimate.from_dict(e) for e in doc.get("estimates") or []],
                   llm=doc.get("llm"), raw=dict(doc))

    def estimate(self, hardware: str) -> Estimate:
        for e in self.estimates:
            if e.hardware == hardware:
                return e
        raise KeyError(f"no estimate for {hardware!r}; estimates: "
                       f"{', '.join(e.hardware for e in self.estimates) or 'none'}")

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as a fresh dict."""
        doc: dict[str, Any] = json.loads(json.dumps(self.raw))
        return doc

    def to_json(self, indent: int | None = None) -> str:
        """The JSON document as text (what `graphs analyze --format json` prints)."""
        return json.dumps(self.raw, indent=indent)


@dataclass(frozen=True)
class ValidationRow:
    """One model × conversion × batch: predicted against measured, seconds."""
    model: str
    conversion: str
    backend: str
    precision: str
    batch: int
    status: str                        # a bench status, or "prediction_failed"
    reason: str
    predicted_latency_s: float | None
    measured_latency_s: float | None
    error_rel: float | None            # (predicted - measured) / measured
    predicted_speedup_vs_eager: float | None
    measured_speedup_vs_eager: float | None
    roofline_bound_s: float | None
    predicted_kernels: int | None
    measured_kernels: int | None
    measured_energy_j_per_call: float | None
    predicted_energy_j: float | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class ValidationResult:
    """The validation report ({"schema_version", "header", "rows", "summary", "exit_status"})."""
    rows: list[ValidationRow]
    summary: list[dict[str, Any]]      # per conversion: cases, mape, median_abs_error_rel, ...
    exit_status: int | None            # 0 all ran, 1 a conversion or a prediction failed
    header: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ValidationResult:
        keys = [k for k in ValidationRow.__dataclass_fields__ if k != "raw"]
        rows = [ValidationRow(**{k: r.get(k) for k in keys}, raw=dict(r))
                for r in doc.get("rows") or []]
        return cls(rows=rows, summary=list(doc.get("summary") or []),
                   exit_status=doc.get("exit_status"), header=dict(doc.get("header") or {}),
                   raw=dict(doc))

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(json.dumps(self.raw))
        return doc

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.raw, indent=indent)


def _is_module(obj: Any) -> bool:
    from graphs.benchmark import _is_module as is_module
    return is_module(obj)


def _hardware_list(hardware: str | Iterable[str] | None) -> list[str]:
    if hardware is None:
        return ["host"]
    if isinstance(hardware, str):
        return [h.strip() for h in hardware.split(",") if h.strip()]
    ids = list(hardware)
    for h in ids:
        if not isinstance(h, str):
            raise TypeError(f"hardware IDs are strings, got {type(h).__name__}")
    return ids


def export_onnx(model: torch.nn.Module, example_inputs: Sequence[Any] | Any, path: str) -> int:
    """Exports `model` (eval mode, no grad) to `path` with the TorchScript exporter (opset 17),
    dim 0 of every input and output named `batch` so that the analysis can bind other batch
    sizes. Returns the examples' batch (the first input's dim 0). ValueError naming the
    exporter's error when the export fails."""
    import torch
    if example_inputs is None:
        raise ValueError("analyzing an nn.Module needs example_inputs (a tensor or a tuple of "
                         "tensors) to export it to ONNX")
    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    args = tuple(example_inputs)
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not tensors or tensors[0].dim() == 0:
        raise ValueError("example_inputs must hold at least one tensor with a batch dimension")
    names = [f"input_{i}" for i in range(len(args))]
    model = model.eval()
    with torch.no_grad():
        out = model(*args)
    n_out = len(out) if isinstance(out, (tuple, list)) else 1
    out_names = [f"output_{i}" for i in range(n_out)]
    dynamic = {n: {0: "batch"} for n, a in zip(names, args)
               if isinstance(a, torch.Tensor) and a.dim() > 0}
    dynamic.update({n: {0: "batch"} for n in out_names})
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
            # onnxscript and fixes the batch dim unless told otherwise; this one is enough here.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(model, args, path, dynamo=False, opset_version=ONNX_OPSET,
                              input_names=names, output_names=out_names, dynamic_axes=dynamic,
                              do_constant_folding=True)
    except Exception as e:  # noqa: BLE001 - one message naming the way out
        cause: BaseException = e
        while cause.__cause__ is not None:
            cause = cause.__cause__
        first = next((ln.strip() for ln in str(cause).splitlines() if ln.strip()), "")
        raise ValueError(f"torch.onnx.export failed on {type(model).__name__} "
                         f"({type(cause).__name__}: {first[:300]}); export it yourself and "
                         "analyze the .onnx file") from e
    return int(tensors[0].shape[0])


def analyze(model: Any, example_inputs: Sequence[Any] | Any = None, *,
            hardware: str | Iterable[str] | None = "host", batch: int | None = None,
            seq_len: int = 128, precision: str = "fp32", weight_precision: str | None = None,
            kv_precision: str | None = None, backend: str | None = None,
            phase: str | None = None, output_tokens: int | None = None,
            request_rate_per_s: float | None = None, max_concurrency: int | None = None,
            mapper: str = "auto", cuda_graphs: bool = False,
            dims: Mapping[str, int] | None = None, per_kernel: bool = False,
            per_node: bool = False,
            input_shapes: Mapping[str, Sequence[int]] | None = None) -> AnalysisResult:
    """Characterize `model` and estimate it on each hardware target (`graphs analyze`).

    model: a zoo name ("resnet50", "llama-2-7b"), a path to an .onnx file, or a torch.nn.Module
      with `example_inputs` (exported to ONNX in a temporary folder, batch axis dynamic).
    hardware: one ID ("h100-sxm5-80gb"), comma-separated IDs, or a list; [] for the
      characterization alone. Default: "host", this machine.
    batch: default 1, or the example inputs' batch for an nn.Module.
    precision / weight_precision / kv_precision: fp32 tf32 fp16 bf16 fp8 int8 (int4 for
      weights and KV cache); backend: an engine ID (eager, inductor, onnxruntime, tensorrt,
      vllm, ...); phase: prefill, decode, generate or serve (LLMs) with output_tokens,
      request_rate_per_s and max_concurrency as `graphs analyze` takes them.
    dims: named symbolic dims ({"seq": 64}), as --dim NAME=N; input_shapes: a graph input's
      full shape ({"x": [1, 3, 224, 224]}), as --input-shape NAME=1x3x224x224.
    Errors: ValueError with graphs' one-line message (unknown name, hardware or dim).
    """
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if isinstance(model, str):
        if example_inputs is not None:
            raise TypeError("example_inputs is for nn.Module models; a zoo name or an .onnx "
                            "file needs none (pass hardware=... by keyword)")
        return _analyze(model, hardware, 1 if batch is None else batch, seq_len, precision,
                        weight_precision, kv_precision, backend, phase, output_tokens,
                        request_rate_per_s, max_concurrency, mapper, cuda_graphs, dims,
                        per_kernel, per_node, input_shapes)
    if not _is_module(model):
        raise TypeError(f"model must be a zoo name, an .onnx path or a torch.nn.Module; got "
                        f"{type(model).__name__}")
    with tempfile.TemporaryDirectory(prefix="graphs-analyze-") as tmp:
        name = type(model).__name__ or "model"
        path = os.path.join(tmp, f"{name}.onnx")
        example_batch = export_onnx(model, example_inputs, path)
        return _analyze(path, hardware, example_batch if batch is None else batch, seq_len,
                        precision, weight_precision, kv_precision, backend, phase,
                        output_tokens, request_rate_per_s, max_concurrency, mapper,
                        cuda_graphs, dims, per_kernel, per_node, input_shapes)


def _analyze(model: str, hardware: str | Iterable[str] | None, batch: int, seq_len: int,
             precision: str, weight_precision: str | None, kv_precision: str | None,
             backend: str | None, phase: str | None, output_tokens: int | None,
             request_rate_per_s: float | None, max_concurrency: int | None, mapper: str,
             cuda_graphs: bool, dims: Mapping[str, int] | None, per_kernel: bool,
             per_node: bool,
             input_shapes: Mapping[str, Sequence[int]] | None = None) -> AnalysisResult:
    doc = _extension().analyze(
        model, hardware=_hardware_list(hardware), batch=batch, seq_len=seq_len,
        precision=precision, dims=dict(dims or {}), per_kernel=per_kernel, per_node=per_node,
        weight_precision=weight_precision or "", kv_precision=kv_precision or "",
        phase=phase or "", output_tokens=output_tokens or 0,
        request_rate_per_s=request_rate_per_s or 0.0, max_concurrency=max_concurrency or 0,
        backend=backend or "", mapper=mapper, cuda_graphs=cuda_graphs,
        input_shapes={str(k): [int(d) for d in v] for k, v in (input_shapes or {}).items()})
    return AnalysisResult.from_dict(doc)


#: validate()'s own settings; every other keyword is a bench setting (graphs.benchmark.SETTINGS).
VALIDATE_SETTINGS = ("hardware", "measured_files", "graphs", "explain", "record_history",
                     "history_path")


def validate(models: str | Iterable[str] | None, conversions: Iterable[str] | str | None = None,
             *, batch: int | Iterable[int] | None = None,
             progress: bool | Callable[[dict[str, Any]], Any] = False,
             _validate: Callable[[str], str] | None = None, **settings: Any) -> ValidationResult:
    """Predict and measure each model × conversion on this machine (`graphs validate`).

    models: zoo names with a PyTorch twin ("resnet18", "bert-base"), .onnx files, or
      "SOURCE=GRAPH" strings; a list or one comma-separated string. None with measured_files.
    conversions: default EAGER, COMPILE_INDUCTOR_DEFAULT, ONNX_CPU.
    batch: one size or several (each model at each).
    progress: True prints a line per phase on stderr; a callable gets a dict per event.
    settings: hardware (the prediction target, default "host"), measured_files, graphs
      ({SOURCE: GRAPH}), explain, record_history (default True), history_path, and the bench
      settings (seq_len, min_time_s, max_time_s, n_samples, timeout_s, threads, python, ...).

    A conversion that fails is a row with its status; ValueError for bad input.
    """
    from graphs.benchmark import SETTINGS, check_settings
    bench_keys = tuple(k for k in SETTINGS if k not in ("tier", "jsonl_path", "work_dir",
                                                        "progress", "batch"))
    check_settings(settings, VALIDATE_SETTINGS + bench_keys, "validate")
    cfg: dict[str, Any] = {}
    if models is not None:
        items = [models] if isinstance(models, str) else list(models)
        cfg["models"] = [m.strip() for item in items for m in os.fspath(item).split(",")
                         if m.strip()]
    if conversions is not None:
        items = [conversions] if isinstance(conversions, str) else list(conversions)
        cfg["conversions"] = [c.strip() for item in items for c in item.split(",") if c.strip()]
    if batch is not None:
        cfg["batches"] = [batch] if isinstance(batch, int) else list(batch)
    for k, v in settings.items():
        if v is not None:
            cfg[k] = v
    text = json.dumps(cfg)
    doc = json.loads(_validate(text) if _validate is not None
                     else _extension().validate(text, progress=progress))
    return ValidationResult.from_dict(doc)
