"""The first call's outputs as .npy files (docs/worker-protocol.md, `outputs`)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def flatten(out: Any) -> list[Any]:
    """Leaves of an output in the model's order: tuples/lists in order, dicts (and transformers
    ModelOutputs, which are ordered dicts) by value order, None dropped."""
    if out is None:
        return []
    if isinstance(out, dict):
        return [leaf for v in out.values() for leaf in flatten(v)]
    if isinstance(out, (list, tuple)):
        return [leaf for v in out for leaf in flatten(v)]
    if hasattr(out, "to_tuple") and callable(out.to_tuple):
        return flatten(out.to_tuple())
    return [out]


def to_numpy(x: Any) -> np.ndarray:
    """One leaf as a float32 or int64 array (bool → int64; other floats → float32)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):          # torch.Tensor
        t = x.detach().cpu()
        if t.is_floating_point() or t.is_complex():
            t = t.float()
        elif t.dtype != __import__("torch").int64:
            t = t.long()
        a = t.numpy()
    elif hasattr(x, "numpy") and callable(x.numpy):         # OrtValue, others
        a = np.asarray(x.numpy())
    elif hasattr(x, "data") and isinstance(x.data, np.ndarray):  # ov.Tensor
        a = x.data
    else:
        a = np.asarray(x)
    if a.dtype.kind == "f" or a.dtype.kind == "c":
        a = a.real.astype(np.float32) if a.dtype.kind == "c" else a.astype(np.float32)
    elif a.dtype.kind in "iub":
        a = a.astype(np.int64)
    else:
        raise TypeError(f"output of dtype {a.dtype} cannot be compared")
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<")))


def write(out: Any, output_dir: str) -> dict[str, Any]:
    """Writes out_<i>.npy for each leaf of `out`; returns the `outputs` event."""
    os.makedirs(output_dir, exist_ok=True)
    files, dtypes, shapes = [], [], []
    for i, leaf in enumerate(flatten(out)):
        a = to_numpy(leaf)
        name = f"out_{i}.npy"
        np.save(os.path.join(output_dir, name), a, allow_pickle=False)
        files.append(name)
        dtypes.append(str(a.dtype))
        shapes.append(list(a.shape))
    return {"type": "outputs", "files": files, "dtypes": dtypes, "shapes": shapes}
