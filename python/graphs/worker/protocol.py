"""The worker's side of the JSON-lines protocol (docs/worker-protocol.md, version 1).

One JSON object per line on the real stdout (events) and stdin (requests). At start-up the
process's file descriptor 1 is pointed at stderr, so that anything a library prints (Python or
C++) lands on stderr; protocol lines go to a private duplicate of the original stdout.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, NoReturn

PROTOCOL_VERSION = 1
ERROR_EXIT_STATUS = 3

#: `kind` values of an error event.
ERROR_KINDS = ("not_applicable", "unavailable", "unsupported", "failed")


class WorkerError(Exception):
    """A failure to report as one `error` event (kind ∈ ERROR_KINDS)."""

    def __init__(self, kind: str, message: str):
        if kind not in ERROR_KINDS:
            raise ValueError(f"error kind {kind!r} is not one of {ERROR_KINDS}")
        super().__init__(message)
        self.kind = kind
        self.message = message


def not_applicable(message: str) -> WorkerError:
    return WorkerError("not_applicable", message)


def unavailable(message: str) -> WorkerError:
    return WorkerError("unavailable", message)


def unsupported(message: str) -> WorkerError:
    return WorkerError("unsupported", message)


def failed(message: str) -> WorkerError:
    return WorkerError("failed", message)


def limit_threads(threads: int | None) -> None:
    """Caps the OpenMP/MKL pools at `threads` (None: the libraries' default). Call before torch,
    onnxruntime or openvino is imported: their pools read these variables once, at import."""
    if threads is not None:
        import os
        os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ["MKL_NUM_THREADS"] = str(threads)


def require_module(module: str, pip: str, why: str) -> Any:
    """Imports `module` or raises WorkerError(unavailable) naming the pip package."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise unavailable(f"{why} needs the Python module '{module}' "
                          f"(pip install {pip}): {type(e).__name__}: {e}") from e


class Channel:
    """Protocol stdout/stdin. Create once, first thing in the process."""

    def __init__(self) -> None:
        sys.stdout.flush()
        # A private copy of the real stdout for protocol lines; fd 1 and sys.stdout go to stderr.
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._in = sys.stdin.buffer
        self.phase = "start"

    def send(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event, allow_nan=False, separators=(", ", ": ")) + "\n")
        self._out.flush()

    def receive(self) -> dict[str, Any] | None:
        """The next request, or None at end of input. A malformed line is a `failed` error."""
        line = self._in.readline()
        if not line:
            return None
        try:
            msg = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise failed(f"bad request line (not JSON: {e}): {line[:200]!r}") from None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise failed(f"bad request line (no \"type\"): {line[:200]!r}")
        return msg

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.send({"type": "phase", "phase": phase})

    def fail(self, error: BaseException, phase: str | None = None) -> NoReturn:
        """Sends one `error` event for `error` and exits with status 3."""
        if isinstance(error, WorkerError):
            kind, message = error.kind, error.message
        else:
            kind, message = classify(error, phase or self.phase)
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        print(tb, file=sys.stderr, flush=True)
        try:
            self.send({"type": "error", "phase": phase or self.phase, "kind": kind,
                       "message": message, "traceback": tb[-4000:]})
        finally:
            sys.stderr.flush()
            os._exit(ERROR_EXIT_STATUS)


def classify(error: BaseException, phase: str) -> tuple[str, str]:
    """(kind, message) of an exception that carries no kind of its own.

    Any exception while converting is the backend rejecting the model (`unsupported`); a missing
    module is `unavailable`; everything else is `failed`.
    """
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    text = f"{type(error).__name__}: {' / '.join(lines[:4])}"
    if len(text) > 1500:
        text = text[:1500] + " …"
    if isinstance(error, ImportError) and not isinstance(error, ModuleNotFoundError):
        return "failed", text
    if isinstance(error, ModuleNotFoundError):
        return "unavailable", f"module '{error.name}' is missing: {text}"
    if phase == "convert":
        return "unsupported", text
    return "failed", text
