#!/usr/bin/env python3
"""Speed and memory of `graphs analyze` on the exported models, side by side with onnx-tool.

For every file in the models manifest (tools/export_models.py) this runs, N times each:
- `graphs analyze FILE --format json --batch 1 --seq-len 128 --timing` (parse / analysis /
  report seconds from the --timing line on stderr);
- onnx-tool 1.0.1's profiler on the same file in a fresh Python process (this script in
  `--onnx-tool-worker` mode: onnx_tool.Model → shape_infer → profile, the steps of
  onnx_tool.model_profile without its table printing).
Wall time is measured around each process (process start and model load included); peak RSS
of each child from its own wait4() rusage (ru_maxrss). Reported figures are medians over the runs.

MACs: ours is totals.macs (conv, gemm, matmul and attention products only). onnx-tool's total
counts every op (elementwise ops too), so the table also shows onnx-tool's MACs summed over
Conv/ConvTranspose/Gemm/MatMul nodes only, which is what ours should equal.

Usage (see bench/README.md):
    .venv-dev/bin/python bench/analyze_speed.py [--runs 5] [--only resnet50,gpt2] [--graphs PATH]
        [--models-dir DIR] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from locate import graphs_binary, models_dir as default_models_dir  # noqa: E402
BATCH, SEQ_LEN = 1, 128
PRODUCT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum"}


def run_measured(cmd: list[str], timeout_s: float) -> dict:
    """Runs cmd: wall seconds, the child's own peak RSS (MiB, from wait4), exit status, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        timer = threading.Timer(timeout_s, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"rc": p.returncode, "wall_s": wall, "rss_mb": ru.ru_maxrss / 1024.0,  # KiB
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def onnx_tool_worker(path: str, dims: dict[str, int]) -> int:
    """Profiles one model with onnx-tool and prints one JSON line."""
    import warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    import onnx
    import onnx_tool
    from onnx_tool.tensor import create_ndarray_f32, create_ndarray_int64

    t0 = time.perf_counter()
    model = onnx_tool.Model(path, {"verbose": False})
    g = model.graph
    t1 = time.perf_counter()
    proto = onnx.load(path, load_external_data=False)
    inits = {i.name for i in proto.graph.initializer}
    feeds = {}
    for inp in proto.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else dims[d.dim_param] for d in tt.shape.dim]
        if tt.elem_type == onnx.TensorProto.INT64:
            feeds[inp.name] = create_ndarray_int64(shape)
        else:
            feeds[inp.name] = create_ndarray_f32(shape)
    g.graph_reorder_nodes()
    g.shape_infer(feeds)
    g.profile(exclude_ops=onnx_tool.NoMacsOps)
    t2 = time.perf_counter()
    product = sum(float(n.macs[0]) for n in g.nodemap.values()
                  if n.op_type in PRODUCT_OPS and getattr(n, "macs", None))
    print(json.dumps({"macs_total": float(g.macs[0]), "macs_products": product,
                      "params": int(g.params), "load_s": t1 - t0, "profile_s": t2 - t1,
                      "np": np.__version__}))
    return 0


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _cell(text: str, n: int = 90) -> str:
    return text.replace("|", "/").replace("\n", " ")[:n]


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def bench_file(graphs: Path | None, path: Path, entry: dict, runs: int, timeout_s: float,
               onnx_tool: bool = True) -> dict:
    row = {"file": path.name, "model": entry["model"], "exporter": entry["exporter"]}
    if graphs is not None:
        cmd = [str(graphs), "analyze", str(path), "--format", "json", "--batch", str(BATCH),
               "--seq-len", str(SEQ_LEN), "--timing"]
        samples, phases, macs, err = [], [], None, None
        for _ in range(runs):
            r = run_measured(cmd, timeout_s)
            if r["rc"] != 0:
                err = f"exit {r['rc']}: {_last_line(r['stderr'])}"
                break
            samples.append(r)
            try:
                macs = float(json.loads(r["stdout"])["totals"]["macs"])
            except (json.JSONDecodeError, KeyError) as e:
                err = f"bad JSON: {e}"
                break
            for line in reversed(r["stderr"].strip().splitlines()):
                try:
                    phases.append(json.loads(line))
                    break
                except json.JSONDecodeError:
                    continue
        row["ours_error"] = err
        row["ours_wall_s"] = _median([s["wall_s"] for s in samples])
        row["ours_rss_mb"] = _median([s["rss_mb"] for s in samples])
        row["ours_macs"] = macs
        for k in ("parse_s", "analysis_s", "report_s"):
            row[f"ours_{k}"] = _median([p.get(k) for p in phases])
    if not onnx_tool:
        return row
    dims = json.dumps({"batch": BATCH, "sequence": SEQ_LEN})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--onnx-tool-worker", str(path), dims]
    samples, res, err = [], None, None
    for _ in range(runs):
        r = run_measured(cmd, timeout_s)
        if r["rc"] != 0:
            err = f"exit {r['rc']}: {_last_line(r['stderr'])}"
            break
        samples.append(r)
        res = json.loads(r["stdout"].strip().splitlines()[-1])
    row["onnx_tool_error"] = err
    row["onnx_tool_wall_s"] = _median([s["wall_s"] for s in samples])
    row["onnx_tool_rss_mb"] = _median([s["rss_mb"] for s in samples])
    row["onnx_tool_macs_total"] = res and res["macs_total"]
    row["onnx_tool_macs_products"] = res and res["macs_products"]
    row["onnx_tool_profile_s"] = res and res["profile_s"]
    return row


def _f(x, fmt):
    return "—" if x is None else format(x, fmt)


def markdown(rows: list[dict]) -> str:
    head = ("| model | exporter | ours wall s | ours parse/analysis/report s | ours peak RSS MB "
            "| onnx-tool wall s | onnx-tool RSS MB | wall ratio (onnx-tool/ours) "
            "| ours GMACs | onnx-tool GMACs conv+gemm+matmul (all ops) | Δ MACs |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        ow, tw = r.get("ours_wall_s"), r.get("onnx_tool_wall_s")
        ratio = tw / ow if ow and tw else None
        om, tm, ta = r.get("ours_macs"), r.get("onnx_tool_macs_products"), r.get("onnx_tool_macs_total")
        delta = (om - tm) / tm if om is not None and tm else None
        phases = "/".join(_f(r.get(f"ours_{k}"), ".3f") for k in ("parse_s", "analysis_s", "report_s"))
        ours_wall = _f(ow, ".3f") if not r.get("ours_error") else f"failed: {_cell(r['ours_error'])}"
        tool_wall = (_f(tw, ".3f") if not r.get("onnx_tool_error")
                     else f"failed: {_cell(r['onnx_tool_error'])}")
        lines.append(
            f"| {r['model']} | {r['exporter']} | {ours_wall} | {phases} | {_f(r.get('ours_rss_mb'), '.0f')} "
            f"| {tool_wall} | {_f(r.get('onnx_tool_rss_mb'), '.0f')} | {_f(ratio, '.1f')} "
            f"| {_f(om and om / 1e9, '.3f')} | {_f(tm and tm / 1e9, '.3f')} ({_f(ta and ta / 1e9, '.3f')}) "
            f"| {_f(delta, '+.2%')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--onnx-tool-worker":
        return onnx_tool_worker(sys.argv[2], json.loads(sys.argv[3]))
    ap = argparse.ArgumentParser(description="Time `graphs analyze` against onnx-tool.")
    ap.add_argument("--models-dir", type=Path, default=None,
                    help="exported models (default: $GRAPHS_MODELS_DIR, else the export cache dir)")
    ap.add_argument("--graphs", type=Path, default=None,
                    help="graphs binary (default: $GRAPHS_BIN, PATH, build/dev/graphs)")
    ap.add_argument("--runs", type=int, default=5, help="runs per tool and file (median)")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--exporters", default="ts17,dynamo")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run")
    ap.add_argument("--no-onnx-tool", action="store_true", help="time only `graphs analyze`")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    a = ap.parse_args(argv)

    models_dir = a.models_dir or default_models_dir()
    man_path = models_dir / "manifest.json"
    if not man_path.is_file():
        print(f"analyze_speed: no {man_path}; run .venv-dev/bin/python tools/export_models.py first",
              file=sys.stderr)
        return 2
    graphs = a.graphs or graphs_binary()
    if graphs is None or not graphs.exists():
        print("analyze_speed: graphs binary not found (set --graphs or GRAPHS_BIN); "
              "timing onnx-tool only", file=sys.stderr)
        graphs = None
    manifest = json.loads(man_path.read_text())
    only = set(a.only.split(",")) if a.only else None
    exporters = set(a.exporters.split(","))
    rows = []
    for fname, entry in sorted(manifest["files"].items()):
        if entry.get("status") != "ok" or entry["exporter"] not in exporters:
            continue
        if only and entry["model"] not in only:
            continue
        print(f"analyze_speed: {fname}", file=sys.stderr)
        rows.append(bench_file(graphs, models_dir / fname, entry, a.runs, a.timeout,
                               onnx_tool=not a.no_onnx_tool))
    print(f"`graphs analyze` vs onnx-tool {_onnx_tool_version()}, batch {BATCH}, seq {SEQ_LEN}, "
          f"median of {a.runs} runs, {os.cpu_count()} CPUs\n")
    print(markdown(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    # onnx-tool failing on a model is a finding (shown in the table), not a failed benchmark.
    return 0 if all(not r.get("ours_error") for r in rows) else 1


def _onnx_tool_version() -> str:
    try:
        import importlib.metadata
        return importlib.metadata.version("onnx-tool")
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
