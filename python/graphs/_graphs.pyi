from collections.abc import Callable, Mapping, Sequence
from typing import Any

__version__: str

#: False/None: no progress; True: one line per phase on sys.stderr; a callable: called (with the
#: GIL) with one dict per event: {"model", "conversion", "index", "total", "phase", "elapsed_s",
#: "samples", "median_ci_rel", "status", "reason"}. What the callable raises is raised when the
#: run ends.
Progress = bool | None | Callable[[dict[str, Any]], Any]

def analyze(
    model: str,
    hardware: Sequence[str] = ("host",),
    batch: int = 1,
    seq_len: int = 128,
    precision: str = "fp32",
    dims: Mapping[str, int] = ...,                     # default {}; None is a TypeError
    per_kernel: bool = False,
    per_node: bool = False,
    weight_precision: str = "",
    kv_precision: str = "",
    phase: str = "",
    output_tokens: int = 0,
    request_rate_per_s: float = 0.0,
    max_concurrency: int = 0,
    backend: str = "",
    mapper: str = "auto",
    cuda_graphs: bool = False,
    input_shapes: Mapping[str, Sequence[int]] = ...,   # default {}; None is a TypeError
) -> dict[str, Any]:
    """Characterize `model` (.onnx path or zoo name) and estimate it on each hardware target.

    The arguments are `graphs analyze`'s flags: weight_precision / kv_precision ("" = as
    precision), phase ("" or prefill|decode|generate|serve) with output_tokens,
    request_rate_per_s (0 = saturation) and max_concurrency (0 = memory decides), backend (an
    engine ID, "" = fused kernels without engine overheads), mapper, cuda_graphs, input_shapes
    (graph input name → full shape, as --input-shape NAME=D0xD1x...).

    Returns the `graphs analyze --format json` document as a dict. Raises ValueError for bad
    input (missing file, unknown name, bad size, unsupported op), OSError when reading fails,
    RuntimeError for a failure inside the analysis. The GIL is released during the analysis.
    (`graphs.analyze` wraps this, accepting nn.Modules and returning an AnalysisResult.)
    """

def hardware_ids() -> list[str]: ...
def zoo_names() -> list[str]: ...
def conversion_table() -> list[dict[str, Any]]:
    """The C++ conversion registry: one dict per conversion (name, family, module, function,
    options, devices, torch_source, onnx_source, requires_modules, test_only)."""

def backend_families() -> list[dict[str, Any]]:
    """The registered backend families: one dict per family (name, worker_module, probe_modules,
    estimator_backend, calibration_backend, dispatch_overhead_key, test_only)."""

def bench(config_json: str, progress: Progress = None) -> str:
    """Run the `graphs bench` orchestrator with the settings in `config_json` and return the report.

    `config_json` is a JSON object whose keys are the bench settings (docs/bench.md, "Settings"):
    `model` ("torchvision:resnet18", "hf:bert-base-uncased", "pkg.mod:factory" with
    `input_shapes`/`input_dtypes`, an .onnx path, or a .pt2 torch.export program), `conversions`
    (list or comma-separated string) or `tier`, `device`, `batch`, `seq_len`, `min_time_s`,
    `max_time_s`, `n_samples`, `target_rel_ci`, `timeout_s`, `threads`, `python`, `jsonl_path`,
    `keep_samples`, `remote` ("user@host": workers over ssh; the output check is skipped), ...
    Unknown keys raise ValueError with a did-you-mean. Notes for the user (a remote run, a model
    file a remote host must hold) are issued as RuntimeWarnings.

    Returns the report as a JSON string (the document `graphs bench -o x.json` writes:
    `schema_version`, `header`, `results`, `summary`). Conversion failures are results, not
    exceptions. Raises ValueError for bad settings (unknown conversion or model, bad sizes), OSError
    when the results file or work directory cannot be written. The GIL is released while workers
    run; the workers default to this interpreter (sys.executable).
    """

def validate(config_json: str, progress: Progress = None) -> str:
    """Run `graphs validate` (predicted against measured on this machine) and return the report.

    `config_json` is a JSON object with `models` (list: zoo names with a PyTorch twin, .onnx
    files, "SOURCE=GRAPH"), `conversions` (list; default EAGER, COMPILE_INDUCTOR_DEFAULT,
    ONNX_CPU), `hardware` (the prediction target, default "host"), `batches` (list of sizes),
    `measured_files` (earlier bench JSONL to re-score), `graphs` ({SOURCE: GRAPH}), `explain`,
    `record_history` (default true), `history_path`, and any bench setting (`seq_len`,
    `min_time_s`, `max_time_s`, `n_samples`, `timeout_s`, `threads`, `python`, `batch`, ...).

    Returns the report as a JSON string: {"schema_version", "header", "rows", "summary",
    "exit_status"}. A conversion that fails is a row, not an exception. Raises ValueError for bad
    input (unknown model, conversion, hardware, setting), OSError when the history store cannot
    be written. The GIL is released while the workers run; they default to this interpreter.
    """
