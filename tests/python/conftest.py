"""Fixtures for the tests that run the `graphs` binary on real exported ONNX models.

Where things come from:
- Models: $GRAPHS_MODELS_DIR, else the cache directory tools/export_models.py writes to by
  default (${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/models/<key>). Its manifest.json lists every
  exported file, failures included (a failed export is a failing test, never a missing one).
- Binary: $GRAPHS_BIN, else `graphs` on PATH, else <repo>/build/dev/graphs.

When the models directory or the binary is missing the tests skip with the reason, unless
GRAPHS_REQUIRE_MODELS is set (CI sets it): then they fail.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import locate  # noqa: E402  (tools/locate.py: models directory and graphs binary)

EXPORT_CMD = ".venv-dev/bin/python tools/export_models.py  (after: bash scripts/python_env.sh)"
BATCH = 1
SEQ_LEN = 128
RUN_TIMEOUT_S = 600


def _required() -> bool:
    return os.environ.get("GRAPHS_REQUIRE_MODELS", "") not in ("", "0")


@functools.cache
def models_dir() -> Path:
    return locate.models_dir()


@functools.cache
def manifest() -> dict | None:
    p = models_dir() / "manifest.json"
    if not p.is_file():
        return None
    return json.loads(p.read_text())


@functools.cache
def graphs_bin() -> Path | None:
    return locate.graphs_binary()


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"{reason} (GRAPHS_REQUIRE_MODELS is set)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class ModelFile:
    """One exported file, joined with its model's PyTorch-side reference counts."""
    file: str
    entry: dict          # manifest["files"][file]
    model: dict          # manifest["models"][entry["model"]]

    @property
    def path(self) -> Path:
        return models_dir() / self.file

    @property
    def name(self) -> str:
        return self.entry["model"]

    @property
    def exporter(self) -> str:
        return self.entry["exporter"]


def pytest_generate_tests(metafunc):
    if "model_file" not in metafunc.fixturenames:
        return
    m = manifest()
    if m is None:
        metafunc.parametrize("model_file", [None], ids=["no-models"], indirect=True)
        return
    files = sorted(m.get("files", {}))
    metafunc.parametrize("model_file", files, ids=files, indirect=True)


@pytest.fixture
def model_file(request) -> ModelFile:
    if request.param is None:
        _unavailable(f"no exported models: {models_dir()}/manifest.json is absent; "
                     f"run {EXPORT_CMD} or set GRAPHS_MODELS_DIR")
    m = manifest()
    entry = m["files"][request.param]
    if entry.get("status") != "ok":
        pytest.fail(f"export of {request.param} failed: {entry.get('error')}", pytrace=False)
    if not (models_dir() / request.param).is_file():
        pytest.fail(f"{models_dir() / request.param} is listed as exported but is missing; "
                    f"rerun {EXPORT_CMD}", pytrace=False)
    return ModelFile(request.param, entry, m["models"][entry["model"]])


@pytest.fixture(scope="session")
def graphs() -> Path:
    b = graphs_bin()
    if b is None or not b.exists():
        _unavailable("graphs binary not found: set GRAPHS_BIN, put `graphs` on PATH, or build "
                     f"{REPO / 'build/dev/graphs'} "
                     "(cmake --preset dev && cmake --build --preset dev)")
    return b


@dataclass(frozen=True)
class CliRun:
    args: tuple
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        assert self.returncode == 0, (
            f"`graphs {' '.join(self.args)}` exited {self.returncode}: "
            f"{self.stderr.strip()[:2000]}")
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"`graphs {' '.join(self.args)}` printed no JSON ({e}): "
                                 f"{self.stdout[:500]!r}") from None


@functools.cache
def _run_cached(binary: str, args: tuple) -> CliRun:
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return CliRun(args, p.returncode, p.stdout, p.stderr)


def run_graphs(binary: Path, *args: str) -> CliRun:
    """Runs `graphs ARGS...` once per session per argument list (later calls reuse it)."""
    return _run_cached(str(binary), tuple(args))


def cli_dims() -> tuple[str, ...]:
    return ("--batch", str(BATCH), "--seq-len", str(SEQ_LEN))
