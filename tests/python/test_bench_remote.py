"""`graphs bench --remote USER@HOST` with the real worker on a loopback "remote": a fake `ssh`
first on PATH drops its options and the destination and runs the rest here. The worker runs
with --no-outputs, so every conversion is measured and none is output-checked (each result
says so), and the run still exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from test_worker_driver import worker_env

FAKE_SSH = """#!/bin/sh
printf '%s\\n' "$*" >> "$(dirname "$0")/ssh.log"
while [ $# -gt 0 ]; do case "$1" in -o) shift 2;; -*) shift;; *) break;; esac; done
shift
exec "$@"
"""


def test_remote_run_measures_everything_and_checks_no_output(graphs, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "ssh").chmod(0o755)
    env = worker_env(test_conversions=False)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("GRAPHS_WORKER_COMMAND", None)
    out = tmp_path / "r.json"
    p = subprocess.run([str(graphs), "bench", "test_bench_models:tiny_cnn", "--input-shape",
                        "1,3,32,32", "--conversions", "EAGER,ONNX_CPU", "--n-samples", "5",
                        "--threads", "1", "--remote", "me@jetson", "--python", sys.executable,
                        "-o", str(out), "--work-dir", str(tmp_path / "work"), "-q"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "graphs: warning: the workers run on me@jetson over ssh" in p.stderr
    log = (bin_dir / "ssh.log").read_text().splitlines()
    assert log[0] == f"-T -o BatchMode=yes me@jetson {sys.executable} -m graphs.worker --no-outputs"
    assert len(log) == 3                                # probe, EAGER, ONNX_CPU
    doc = json.loads(out.read_text())
    results = {r["conversion"]: r for r in doc["results"]}
    assert sorted(results) == ["EAGER", "ONNX_CPU"]
    for r in results.values():
        assert r["status"] == "ok" and r["latency"]["count"] == 5, r
        assert r["output_check"]["status"] == "not_checked", r["output_check"]
    assert "output not checked: the worker reported no outputs" in results["ONNX_CPU"]["warnings"]
    assert "reported no outputs" in results["EAGER"]["output_check"]["note"]
    # Nothing was written to the local output folders the requests named.
    assert not list((tmp_path / "work").rglob("*.npy"))
