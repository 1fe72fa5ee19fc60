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
