"""`graphs.benchmark`: benchmark a model through several conversions from Python.

The run itself is the C++ orchestrator's (`graphs._graphs.bench(config_json)`, the engine of
`graphs bench`): one worker process per conversion, the same statistics, stopping rules and
output check. This module only builds the settings JSON and types the result.

Models reach the workers without pickling a live module:

- a string is a model spec as `graphs bench` takes it (``"torchvision:resnet18"``,
  ``"hf:bert-base-uncased"``, ``"package.module:factory"``, ``"model.onnx"``) and is passed
  through;
- an ``nn.Module`` is exported with ``torch.export.export(model, example_inputs)`` and saved
  with ``torch.export.save`` to a temporary ``.pt2`` file (model source ``exported``); the
  workers load the program, not the module. Inputs are generated from the program's input
  signature (same shapes and dtypes as the example inputs; integer inputs stay below the
  example's maximum + 1);
- a zero-argument callable returning an ``nn.Module`` (a factory) is called here once and
  treated as a module.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import pandas as pd
    import torch

__all__ = ["benchmark", "BenchmarkReport", "ConversionResult", "LatencyStats", "ColdStart",
           "OutputCheck", "OpTime", "build_config", "parse_report"]

#: Settings keys the orchestrator accepts besides model and conversions (src/graphs/bench/
#: settings.h, BenchSettings). `progress` is not one of them: it is the extension's second
#: argument (True: a line per phase on stderr; a callable: a dict per event).
SETTINGS = ("tier", "device", "batch", "seq_len", "input_shapes", "input_dtypes", "min_time_s",
            "max_time_s", "n_samples", "min_samples", "target_rel_ci", "warmup_min_time_s",
            "warmup_max_time_s", "warmup_tolerance", "chunk_min_time_s", "timeout_s",
            "timeouts_s", "threads", "seed", "python", "worker_command", "remote", "jsonl_path",
            "work_dir", "keep_outputs", "keep_samples", "profile_ops", "progress")


@dataclass(frozen=True)
class LatencyStats:
    """Per-call latency of the measured calls, seconds."""
    count: int
    min_s: float
    mean_s: float
    median_s: float
    p90_s: float
    p95_s: float
    p99_s: float
    max_s: float
    stddev_s: float
    iqr_over_median: float
    median_ci_low_s: float | None = None
    median_ci_high_s: float | None = None
    median_ci_rel: float | None = None


@dataclass(frozen=True)
class ColdStart:
    """Seconds from spawn to the first result: load, convert (compile), first call."""
    load_s: float | None = None
    convert_s: float | None = None
    first_call_s: float | None = None
    total_s: float | None = None


@dataclass(frozen=True)
class OutputCheck:
    """The conversion's first outputs against the reference's (EAGER fp32)."""
    status: str                        # "passed", "failed", "reference", "not_checked", ...
    passed: bool | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class OpTime:
    """One PyTorch op's share of a model call (profile_ops): self CPU time and invocations."""
    name: str
    self_s_per_call: float
    count_per_call: float


@dataclass(frozen=True)
class ConversionResult:
    conversion: str
    status: str                        # ok | failed | timeout | crashed | unavailable | ...
    reason: str | None
    device: str | None
    precision: str | None
    batch: int | None
    latency: LatencyStats | None
    throughput_samples_per_s: float | None
    cold_start: ColdStart
    peak_rss_bytes: int | None
    peak_gpu_memory_bytes: int | None
    threads: int | None
    output_check: OutputCheck | None
    warnings: list[str] = field(default_factory=list)
    reference_only: bool = False
    generated_kernels: int | None = None      # Inductor kernels generated while converting
    energy_j_per_call: float | None = None    # joules per timed call (RAPL packages, NVML GPU)
    energy_source: str | None = None
    energy_unavailable: str | None = None     # why there is no energy figure
    op_times: list[OpTime] = field(default_factory=list)   # profile_ops, by self time
    op_times_unavailable: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def median_s(self) -> float | None:
        return self.latency.median_s if self.latency else None


@dataclass(frozen=True)
class BenchmarkReport:
    model: str
    results: list[ConversionResult]
    exit_status: int | None
    jsonl_path: str | None
    header: dict[str, Any] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, conversion: str) -> ConversionResult:
        for r in self.results:
            if r.conversion == conversion and not r.reference_only:
                return r
        for r in self.results:
            if r.conversion == conversion:
                return r
        raise KeyError(f"no result for {conversion!r}; results: "
                       f"{', '.join(r.conversion for r in self.results)}")

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results if not r.reference_only)

    def to_dict(self) -> dict[str, Any]:
        """The orchestrator's JSON document (schema of `graphs bench -o x.json`), JSON-safe."""
        if self.raw:
            doc: dict[str, Any] = json.loads(json.dumps(self.raw))
            return doc
        return {"model": self.model, "exit_status": self.exit_status,
                "results": [_result_dict(r) for r in self.results]}

    def to_dataframe(self) -> pd.DataFrame:
        """One row per conversion (pandas.DataFrame). Needs pandas, which graphs does not
        depend on."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("BenchmarkReport.to_dataframe() needs pandas, which graphs does "
                              "not install: pip install pandas (or use .to_dict())") from e
        return pd.DataFrame([_row(r) for r in self.results])


def _result_dict(r: ConversionResult) -> dict[str, Any]:
    d = asdict(r)
    d.pop("raw", None)
    return d


def _row(r: ConversionResult) -> dict[str, Any]:
    lat = r.latency
    return {"conversion": r.conversion, "status": r.status, "reason": r.reason,
            "device": r.device, "precision": r.precision, "batch": r.batch,
            "latency_median_s": lat.median_s if lat else None,
            "latency_mean_s": lat.mean_s if lat else None,
            "latency_p90_s": lat.p90_s if lat else None,
            "latency_p99_s": lat.p99_s if lat else None,
            "latency_median_ci_rel": lat.median_ci_rel if lat else None,
            "samples": lat.count if lat else 0,
            "throughput_samples_per_s": r.throughput_samples_per_s,
            "cold_start_s": r.cold_start.total_s, "convert_s": r.cold_start.convert_s,
            "peak_rss_bytes": r.peak_rss_bytes, "peak_gpu_memory_bytes": r.peak_gpu_memory_bytes,
            "threads": r.threads,
            "output_check": r.output_check.status if r.output_check else None,
            "energy_j_per_call": r.energy_j_per_call, "generated_kernels": r.generated_kernels,
            "reference_only": r.reference_only}


def _latency(d: dict[str, Any] | None) -> LatencyStats | None:
    if not d:
        return None
    keys = LatencyStats.__dataclass_fields__
    fields: dict[str, Any] = {k: d.get(k) for k in keys}     # JSON values, untyped
    return LatencyStats(**fields)


def parse_report(doc: dict[str, Any]) -> BenchmarkReport:
    """A BenchmarkReport from the orchestrator's JSON document."""
    results = []
    for r in doc.get("results", []):
        cs = r.get("cold_start") or {}
        mem = r.get("memory") or {}
        oc = r.get("output_check")
        results.append(ConversionResult(
            conversion=r.get("conversion"), status=r.get("status"), reason=r.get("reason"),
            device=r.get("device"), precision=r.get("precision"), batch=r.get("batch"),
            latency=_latency(r.get("latency")),
            throughput_samples_per_s=r.get("throughput_samples_per_s"),
            cold_start=ColdStart(cs.get("load_s"), cs.get("convert_s"), cs.get("first_call_s"),
                                 cs.get("total_s")),
            peak_rss_bytes=mem.get("peak_rss_bytes"),
            peak_gpu_memory_bytes=mem.get("peak_gpu_memory_bytes"),
            threads=r.get("threads"),
            output_check=None if not oc else OutputCheck(
                oc.get("status"), oc.get("passed"), oc.get("max_abs_error"),
                oc.get("max_rel_error"), oc.get("note") or oc.get("reason")),
            warnings=list(r.get("warnings") or []),
            reference_only=bool(r.get("reference_only", False)),
            generated_kernels=r.get("generated_kernels"),
            energy_j_per_call=r.get("energy_j_per_call"),
            energy_source=r.get("energy_source"),
            energy_unavailable=r.get("energy_unavailable"),
            op_times=[OpTime(o["name"], o["self_s_per_call"], o["count_per_call"])
                      for o in r.get("op_times") or []],
            op_times_unavailable=r.get("op_times_unavailable"),
            raw=r))
    header = doc.get("header") or {}
    summary = doc.get("summary") or {}
    return BenchmarkReport(model=header.get("model", ""), results=results,
                           exit_status=summary.get("exit_status"),
                           jsonl_path=summary.get("jsonl_path"), header=header, raw=doc)


def _is_module(obj: Any) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(obj, torch.nn.Module)


def export_module(model: torch.nn.Module, example_inputs: Sequence[Any] | Any, path: str,
                  dynamic_shapes: Any = None) -> str:
    """torch.export.export(model.eval(), example_inputs) saved with torch.export.save."""
    import torch
    if example_inputs is None:
        raise ValueError("benchmarking an nn.Module needs example_inputs (a tuple of tensors) "
                         "to export it with torch.export")
    if not isinstance(example_inputs, (tuple, list)):
        example_inputs = (example_inputs,)
    model = model.eval()
    try:
        ep = torch.export.export(model, tuple(example_inputs), dynamic_shapes=dynamic_shapes)
    except Exception as e:  # noqa: BLE001 - one message naming the way out
        raise ValueError(f"torch.export.export failed on {type(model).__name__} "
                         f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                         "benchmark it through a factory instead: "
                         "graphs.benchmark('package.module:factory', input_shapes=[...])") from e
    torch.export.save(ep, path)
    return path


def check_settings(settings: dict[str, Any], known: Sequence[str], what: str) -> None:
    """TypeError naming each unknown keyword (with a did-you-mean) and the known ones."""
    unknown = sorted(set(settings) - set(known))
    if unknown:
        import difflib
        hints = []
        for u in unknown:
            near = difflib.get_close_matches(u, known, n=1)
            hints.append(f"{u!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        raise TypeError(f"unknown {what} setting(s) {', '.join(hints)}; known: "
                        f"{', '.join(known)}")


def build_config(model: str, conversions: Iterable[str] | str | None,
                 settings: dict[str, Any]) -> dict[str, Any]:
    """The orchestrator's settings object. Unknown setting names are rejected here with the
    list of known ones (the orchestrator would reject them too); `progress` is left out (it is
    not a setting of the run but how it reports)."""
    check_settings(settings, SETTINGS, "benchmark")
    settings = {k: v for k, v in settings.items() if k != "progress"}
    cfg: dict[str, Any] = {"model": model}
    if conversions is not None:
        cfg["conversions"] = [conversions] if isinstance(conversions, str) else list(conversions)
    for k, v in settings.items():
        if v is not None:
            cfg[k] = [list(s) for s in v] if k == "input_shapes" else v
    if "conversions" not in cfg and "tier" not in cfg:
        cfg["conversions"] = ["EAGER", "COMPILE_INDUCTOR_DEFAULT"]
    return cfg


def benchmark(model: Any, example_inputs: Sequence[Any] | Any = None,
              conversions: Iterable[str] | str | None = None, *,
              dynamic_shapes: Any = None,
              _bench: Callable[[str], str] | None = None,
              **settings: Any) -> BenchmarkReport:
    """Benchmark `model` through `conversions` (default: EAGER and COMPILE_INDUCTOR_DEFAULT).

    model: an nn.Module (with `example_inputs`), a zero-argument factory returning one, or a
      model spec string as `graphs bench` takes it.
    settings: the orchestrator's settings (units in the names): device, batch, seq_len,
      min_time_s, max_time_s, n_samples, target_rel_ci, timeout_s, threads, seed, tier,
      input_shapes, input_dtypes, jsonl_path, work_dir, keep_samples, profile_ops, python,
      remote ("user@host": the workers run there over ssh; model specs only), ...; and
      progress: False (default), True (a line per phase on stderr) or a callable that gets a
      dict per event ({"conversion", "index", "total", "phase", "elapsed_s", "samples",
      "median_ci_rel", "status", "reason"}).

    Raises ValueError for bad input (unknown conversion names, with suggestions, come from the
    orchestrator), ImportError when the C++ extension is not built. A conversion that fails,
    hangs or crashes does not raise: it is a result with its status and reason.
    """
    if isinstance(model, (str, os.PathLike)):
        spec = os.fspath(model)
        return _run(spec, conversions, settings, _bench)
    if not _is_module(model) and callable(model):
        model = model()
    if not _is_module(model):
        raise TypeError(f"model must be an nn.Module, a factory returning one, or a model spec "
                        f"string; got {type(model).__name__}")
    if settings.get("remote"):
        raise ValueError("an nn.Module is exported to a temporary file on this machine, which "
                         "workers on a remote host cannot open; benchmark a model spec there "
                         "('torchvision:NAME', 'hf:NAME', 'package.module:factory')")
    with tempfile.TemporaryDirectory(prefix="graphs-bench-") as tmp:
        path = export_module(model, example_inputs, os.path.join(tmp, "model.pt2"),
                             dynamic_shapes)
        return _run(path, conversions, settings, _bench)


def _run(spec: str, conversions: Iterable[str] | str | None, settings: dict[str, Any],
         bench: Callable[[str], str] | None) -> BenchmarkReport:
    cfg = build_config(spec, conversions, settings)
    if bench is not None:
        return parse_report(json.loads(bench(json.dumps(cfg))))
    try:
        from graphs._graphs import bench as run_bench
    except ImportError as e:
        raise ImportError("graphs.benchmark needs the C++ extension graphs._graphs with "
                          "bench(); install the package (bash scripts/install_package.sh "
                          f"VENV): {e}") from e
    progress = settings.get("progress", False)
    return parse_report(json.loads(run_bench(json.dumps(cfg), progress=progress)))
