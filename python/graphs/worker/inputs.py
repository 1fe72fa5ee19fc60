"""Model inputs: the signature of a model's inputs and the arrays generated from it.

Inputs are generated once per run with ``numpy.random.default_rng(seed)``, in signature order,
so every worker of a run (every conversion) feeds identical values; the same arrays are reused
for every call, so memory does not grow with the number of samples. Rules by kind
(docs/worker-protocol.md):

- ``float``: uniform in [0, 1), drawn in float64 and cast to the input's dtype;
- ``ids`` (token ids): uniform integers in [0, min(vocab, 1000));
- ``mask`` (attention masks): all ones;
- ``zeros`` (token type ids): all zeros;
- ``positions`` (position ids): 0, 1, …, n-1 along the last dimension;
- ``bool``: all True.

Symbolic dimensions are bound by name: ``batch``-like names to the run's batch, ``seq``/
``sequence``/``length``-like names to its seq_len; an unnamed or unknown symbolic dimension is
the batch in position 0 and the sequence length elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Exclusive upper bound of generated token ids when the vocabulary is larger or unknown.
MAX_TOKEN_ID = 1000

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int8", "uint8", "int16", "int32", "int64")
KINDS = ("float", "ids", "mask", "zeros", "positions", "bool")


@dataclass(frozen=True)
class InputSpec:
    """One model input: its name, concrete shape, numpy dtype name and generation kind."""
    name: str
    shape: tuple[int, ...]
    dtype: str
    kind: str
    vocab_size: int | None = None   # token ids only: ids are < min(vocab_size, 1000)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"input {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        if any((not isinstance(d, int)) or d < 0 for d in self.shape):
            raise ValueError(f"input {self.name!r}: shape {self.shape} has a non-concrete dim")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype,
                "kind": self.kind}


def normalize_dtype(name: str) -> str:
    """A dtype name as numpy spells it ("float" → "float32", "torch.int64" → "int64")."""
    n = str(name).strip().lower().removeprefix("torch.")
    aliases = {"float": "float32", "half": "float16", "double": "float64", "long": "int64",
               "int": "int32", "fp32": "float32", "fp16": "float16", "bf16": "bfloat16",
               "f32": "float32", "f16": "float16", "i64": "int64", "i32": "int32",
               "boolean": "bool"}
    n = aliases.get(n, n)
    if n not in FLOAT_DTYPES + INT_DTYPES + ("bool",):
        raise ValueError(f"unknown input dtype {name!r}; one of "
                         f"{', '.join(FLOAT_DTYPES + INT_DTYPES + ('bool',))}")
    return n


def kind_for(name: str, dtype: str) -> str:
    """The generation kind of an input from its name and dtype."""
    n = name.lower()
    if dtype == "bool":
        return "bool"
    if dtype in FLOAT_DTYPES:
        return "mask" if "mask" in n else "float"
    if "mask" in n:
        return "mask"
    if "token_type" in n or "segment" in n:
        return "zeros"
    if "position" in n:
        return "positions"
    return "ids"


_BATCH_NAMES = {"b", "n", "bs", "batch", "batch_size", "n_batch", "num_batch"}
_SEQ = re.compile(r"seq|length|len|token|time|^s$|^t$|^l$")


def bind_dim(dim: Any, position: int, batch: int, seq_len: int) -> int:
    """A concrete size for one dimension (int, None, or a symbolic name)."""
    if isinstance(dim, int) and dim > 0:
        return dim
    if isinstance(dim, str) and dim:
        d = dim.lower()
        if d in _BATCH_NAMES or "batch" in d:
            return batch
        if _SEQ.search(d):
            return seq_len
    return batch if position == 0 else seq_len


def generate(specs: Sequence[InputSpec], seed: int) -> list[np.ndarray]:
    """Arrays for `specs`, in order, from one default_rng(seed) stream (C order)."""
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        shape = tuple(s.shape)
        if s.kind == "float":
            a = rng.random(shape, dtype=np.float64)
            a = a.astype(np.float32) if s.dtype == "bfloat16" else a.astype(s.dtype)
        elif s.kind == "ids":
            high = min(s.vocab_size, MAX_TOKEN_ID) if s.vocab_size else MAX_TOKEN_ID
            if s.dtype == "uint8" or s.dtype == "int8":
                high = min(high, 127)
            a = rng.integers(0, high, size=shape, dtype=np.int64).astype(s.dtype)
        elif s.kind == "mask":
            a = np.ones(shape, dtype=np.float32 if s.dtype == "bfloat16" else s.dtype)
        elif s.kind == "zeros":
            a = np.zeros(shape, dtype=s.dtype)
        elif s.kind == "positions":
            n = shape[-1] if shape else 1
            a = np.ascontiguousarray(np.broadcast_to(np.arange(n, dtype=s.dtype), shape))
        else:  # bool
            a = np.ones(shape, dtype=bool)
        out.append(np.ascontiguousarray(a))
    return out


def specs_from_request(shapes: Sequence[Sequence[Any]], dtypes: Sequence[str] | None,
                       batch: int, seq_len: int, names: Sequence[str] | None = None
                       ) -> list[InputSpec]:
    """Specs for a factory model from the request's input_shapes / input_dtypes."""
    if not shapes:
        raise ValueError("a factory model needs input_shapes (one shape per input)")
    if dtypes and len(dtypes) != len(shapes):
        raise ValueError(f"{len(dtypes)} input_dtypes for {len(shapes)} input_shapes")
    specs = []
    for i, shape in enumerate(shapes):
        dtype = normalize_dtype(dtypes[i]) if dtypes else "float32"
        name = names[i] if names and i < len(names) else f"input_{i}"
        concrete = tuple(bind_dim(d if not (isinstance(d, int) and d < 0) else None, j, batch,
                                  seq_len) for j, d in enumerate(shape))
        specs.append(InputSpec(name, concrete, dtype, kind_for(name, dtype)))
    return specs
