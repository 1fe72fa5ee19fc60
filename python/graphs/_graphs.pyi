from typing import Any, Mapping, Sequence

__version__: str

def analyze(
    model: str,
    hardware: Sequence[str] = ("host",),
    batch: int = 1,
    seq_len: int = 128,
    precision: str = "fp32",
    dims: Mapping[str, int] | None = None,
    per_kernel: bool = False,
    per_node: bool = False,
) -> dict[str, Any]:
    """Characterize `model` (.onnx path or zoo name) and estimate it on each hardware target.

    Returns the `graphs analyze --format json` document as a dict. Raises ValueError for bad
    input (missing file, unknown name, bad size, unsupported op), OSError when reading fails,
    RuntimeError for a failure inside the analysis.
    """

def hardware_ids() -> list[str]: ...
def zoo_names() -> list[str]: ...
def conversion_table() -> list[dict[str, Any]]:
    """The C++ conversion registry: one dict per conversion (name, family, devices, torch_source,
    onnx_source, test_only)."""

def bench(config_json: str) -> str:
    """Run the `graphs bench` orchestrator with the settings in `config_json` and return the report.

    `config_json` is a JSON object whose keys are the bench settings (docs/bench.md, "Settings"):
    `model` ("torchvision:resnet18", "hf:bert-base-uncased", "pkg.mod:factory" with
    `input_shapes`/`input_dtypes`, an .onnx path, or a .pt2 torch.export program), `conversions`
    (list or comma-separated string) or `tier`, `device`, `batch`, `seq_len`, `min_time_s`,
    `max_time_s`, `n_samples`, `target_rel_ci`, `timeout_s`, `threads`, `python`, `jsonl_path`,
    `keep_samples`, ... Unknown keys raise ValueError with a did-you-mean.

    Returns the report as a JSON string (the document `graphs bench -o x.json` writes:
    `schema_version`, `header`, `results`, `summary`). Conversion failures are results, not
    exceptions. Raises ValueError for bad settings (unknown conversion or model, bad sizes), OSError
    when the results file or work directory cannot be written. The GIL is released while workers
    run; the workers default to this interpreter (sys.executable).
    """
