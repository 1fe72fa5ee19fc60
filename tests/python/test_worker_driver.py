"""A small driver for `python -m graphs.worker` used by the worker and bench tests.

The worker runs from this checkout (python/ first on PYTHONPATH, then tests/python for the tiny
factory models of test_bench_models.py), with the interpreter running pytest.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
#: The test-only conversions' worker code (not in the shipped package).
TEST_CONVERSIONS_DIR = REPO / "tests" / "python" / "worker_test_conversions"
EVENT_TIMEOUT_S = 900      # compiling a model on a busy 2-core machine can take minutes


def worker_env(test_conversions: bool = True, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO / "python"), str(REPO / "tests" / "python")]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    if test_conversions:
        env["GRAPHS_TEST_CONVERSIONS"] = "1"
        env["GRAPHS_TEST_CONVERSIONS_DIR"] = str(TEST_CONVERSIONS_DIR)
    else:
        env.pop("GRAPHS_TEST_CONVERSIONS", None)
        env.pop("GRAPHS_TEST_CONVERSIONS_DIR", None)
    env.update(extra)
    return env


@dataclass
class RunLog:
    events: list[dict] = field(default_factory=list)
    returncode: int | None = None
    stderr: str = ""

    def of_type(self, t: str) -> list[dict]:
        return [e for e in self.events if e.get("type") == t]

    def one(self, t: str) -> dict:
        got = self.of_type(t)
        assert len(got) == 1, f"expected one {t!r} event, got {len(got)}: {self.events[-5:]}\n" \
                              f"stderr tail: {self.stderr[-3000:]}"
        return got[0]

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    @property
    def error(self) -> dict | None:
        errs = self.of_type("error")
        return errs[0] if errs else None


class Worker:
    """One worker process; events are read on a thread so that a test never blocks forever."""

    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None):
        self._stderr = tempfile.TemporaryFile(mode="w+b")
        self.proc = subprocess.Popen([sys.executable, "-m", "graphs.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env or worker_env(), cwd=cwd)
        self._q: queue.Queue = queue.Queue()
        self.raw_lines: list[bytes] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.raw_lines.append(line)
            self._q.put(line)
        self._q.put(None)

    def read(self, timeout: float = EVENT_TIMEOUT_S) -> dict | None:
        """The next event, or None when stdout closed."""
        line = self._q.get(timeout=timeout)
        if line is None:
            return None
        return json.loads(line)

    def send(self, obj: dict) -> None:
        self.send_raw(json.dumps(obj) + "\n")

    def send_raw(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self._stderr.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


Policy = Callable[[int, dict], dict]


def standard_policy(warmup_chunks: int = 1, measure_calls: int = 3) -> Policy:
    """Warm up for `warmup_chunks` chunks, then measure exactly `measure_calls` calls, stop."""
    def policy(i: int, chunk: dict) -> dict:
        if i < warmup_chunks:
            return {"type": "continue", "phase": "warmup"}
        if i == warmup_chunks:
            return {"type": "continue", "phase": "measure", "n_calls": measure_calls}
        return {"type": "stop"}
    return policy


def run_request(conversion: str, model: dict, output_dir: str | os.PathLike, **kw: Any) -> dict:
    req = {"type": "run", "conversion": conversion, "model": model, "batch": 1, "seq_len": 8,
           "threads": 1, "seed": 0, "input_shapes": None, "input_dtypes": None,
           "output_dir": str(output_dir), "chunk_min_time_s": 0.01, "device": "cpu"}
    req.update(kw)
    return req


def run_worker(request: dict, policy: Policy | None = None, env: dict | None = None,
               probe: bool = False) -> RunLog:
    """hello, [probe], run → events until done/error (answering chunks by `policy`)."""
    policy = policy or standard_policy()
    log = RunLog()
    with Worker(env=env) as w:
        hello = w.read()
        log.events.append(hello)
        if probe:
            w.send({"type": "probe"})
            log.events.append(w.read())
        w.send(request)
        chunks = 0
        while True:
            ev = w.read()
            if ev is None:
                break
            log.events.append(ev)
            if ev["type"] == "chunk":
                w.send(policy(chunks, ev))
                chunks += 1
            elif ev["type"] in ("done", "error"):
                break
        try:
            log.returncode = w.wait(timeout=120)
        except subprocess.TimeoutExpired:
            log.returncode = None
        log.stderr = w.stderr()
    return log


TINY_CNN = {"source": "factory", "spec": "test_bench_models:tiny_cnn"}
TINY_CNN_SHAPES = [[1, 3, 32, 32]]
TINY_TEXT = {"source": "factory", "spec": "test_bench_models:tiny_text"}
