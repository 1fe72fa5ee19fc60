#!/usr/bin/env python3
"""`graphs bench` side by side with Alma (PyPI alma-torch 0.3.7) on the same model, conversions
and sample count: wall time, peak RSS and the spread of repeated results.

Each repeat of each tool is a fresh process tree started from here:

- graphs: ``graphs bench torchvision:resnet18 --conversions EAGER,COMPILE_INDUCTOR_DEFAULT,ONNX_CPU
  --n-samples N --batch 1 -o run.json`` (one worker process per conversion, spawned by the C++
  orchestrator);
- Alma: ``benchmark_model(resnet18, BenchmarkConfig(n_samples=N, batch_size=1, device=cpu,
  multiprocessing=True), [EAGER, COMPILE_INDUCTOR_DEFAULT, ONNX_CPU], data=torch.rand(3, 224, 224))``
  in the Alma venv (bench/alma_venv.sh).

Both build torchvision resnet18 with random weights and use the default thread count. Wall time
is the whole process tree, start to exit (imports, model build, conversions, measurement). Peak
RSS is ``ru_maxrss`` of the largest process of the tree (os.wait4 on the top process:
Linux reports the maximum over it and its waited-for descendants). The per-conversion figure is
what each tool reports: graphs' median latency (and its 95 % CI), Alma's throughput
(samples / summed per-batch time) turned into seconds per sample. The spread is
(max − min) / median over the repeats.

Usage (see docs/benchmarks.md):
  bash bench/alma_venv.sh                        # prints the Alma venv path
  .venv-dev/bin/python bench/alma_compare.py --alma-python ALMA_VENV/bin/python \\
      --graphs build/bench/graphs --repeats 3 --n-samples 512 > alma.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONVERSIONS = ["EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU"]

ALMA_SCRIPT = r"""
import json, sys, time, logging
t0 = time.perf_counter()
import torch, torchvision
try:
    from alma import benchmark_model
    from alma.benchmark import BenchmarkConfig
except Exception as e:
    print(json.dumps({"import_error": f"{type(e).__name__}: {e}"}))
    sys.exit(0)
n, convs, out = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None).eval()
config = BenchmarkConfig(n_samples=n, batch_size=1, device=torch.device("cpu"),
                         multiprocessing=True, fail_on_error=False, allow_cuda=False,
                         allow_mps=False, allow_device_override=False)
res = benchmark_model(model, config, convs, data=torch.rand(3, 224, 224))
safe = {}
for k, v in res.items():
    safe[k] = {kk: (vv if isinstance(vv, (int, float, str, type(None))) else str(vv))
               for kk, vv in v.items() if kk != "traceback"}
    if "traceback" in v:
        safe[k]["traceback_tail"] = str(v["traceback"])[-600:]
json.dump({"results": safe, "python_s": time.perf_counter() - t0}, open(out, "w"))
"""

# Alma 0.3.7 imports torch.ao.quantization.quantize_pt2e and ...quantizer.xnnpack_quantizer at
# import time; torch 2.14 moved PT2E to torchao and removed both modules, so `import alma` fails.
# The shim below (used only with --shim-pt2e, and said so in the output) points those names at
# empty modules so that Alma's other conversions can be measured at all.
SHIM = r"""
import sys, types
def _gone(mod, attr):
    if attr.startswith("__"):
        raise AttributeError(attr)
    def stub(*a, **k):
        raise ImportError(f"{mod}.{attr} is gone in torch 2.14 (stubbed by bench/alma_compare.py)")
    return stub
for name in ("torch.ao.quantization.quantize_pt2e",
             "torch.ao.quantization.quantizer",
             "torch.ao.quantization.quantizer.xnnpack_quantizer"):
    m = types.ModuleType(name)
    m.__getattr__ = lambda attr, _n=name: _gone(_n, attr)
    sys.modules[name] = m
"""


def run_tree(argv: list[str], env: dict | None = None, timeout: float = 3600):
    """(returncode, wall_s, peak_rss_bytes, stdout, stderr) of a process tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (p.returncode, wall, ru.ru_maxrss * 1024, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"))


def run_graphs(graphs: str, python: str, n: int, work: Path) -> dict:
    out = work / "graphs.json"
    env = dict(os.environ, GRAPHS_PYTHON=python)
    rc, wall, rss, _, err = run_tree(
        [graphs, "bench", "torchvision:resnet18", "--conversions", ",".join(CONVERSIONS),
         "--n-samples", str(n), "--batch", "1",
         "-o", str(out), "--work-dir", str(work / "graphs-work")], env=env)
    row = {"tool": "graphs", "rc": rc, "wall_s": wall, "peak_rss_bytes": rss, "conv": {}}
    if out.exists():
        doc = json.loads(out.read_text())
        for r in doc["results"]:
            if r.get("reference_only"):
                continue
            lat = r.get("latency") or {}
            row["conv"][r["conversion"]] = {
                "status": r["status"], "per_sample_s": lat.get("median_s"),
                "ci_rel": lat.get("median_ci_rel"), "samples": lat.get("count"),
                "check": (r.get("output_check") or {}).get("status"),
                "rss": (r.get("memory") or {}).get("peak_rss_bytes"),
                "cold_s": (r.get("cold_start") or {}).get("total_s")}
    else:
        row["error"] = err[-800:]
    return row


def run_alma(python: str, n: int, work: Path, shim: bool) -> dict:
    out = work / "alma.json"
    script = (SHIM if shim else "") + ALMA_SCRIPT
    rc, wall, rss, stdout, err = run_tree([python, "-c", script, str(n), ",".join(CONVERSIONS),
                                           str(out)])
    row = {"tool": "alma" + (" (pt2e shim)" if shim else ""), "rc": rc, "wall_s": wall,
           "peak_rss_bytes": rss, "conv": {}}
    if "import_error" in stdout:
        row["error"] = json.loads(stdout)["import_error"]
        return row
    if not out.exists():
        row["error"] = err[-800:]
        return row
    doc = json.loads(out.read_text())
    for k, v in doc["results"].items():
        thr = v.get("throughput")
        row["conv"][k] = {"status": v.get("status"),
                          "per_sample_s": (1.0 / thr) if thr else None,
                          "samples": v.get("total_samples"),
                          "error": v.get("error")}
    return row


def spread(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    if len(xs) < 2:
        return None
    return (max(xs) - min(xs)) / statistics.median(xs)


def fmt_ms(x):
    return "—" if x is None else f"{x * 1e3:.2f}"


def report(rows: list[dict], n: int) -> str:
    lines = [f"resnet18 (torchvision, random weights), batch 1, {n} samples per conversion, "
             f"conversions {', '.join(CONVERSIONS)}, {len(rows) // 2 or 1} repeats per tool", ""]
    lines.append("| tool | repeat | exit | wall s | peak RSS MB | " +
                 " | ".join(f"{c} ms/sample" for c in CONVERSIONS) + " |")
    lines.append("|---|---|---|---|---|" + "---|" * len(CONVERSIONS))
    for i, r in enumerate(rows):
        cells = []
        for c in CONVERSIONS:
            cv = r["conv"].get(c)
            if cv is None:
                cells.append("not run")
            elif cv.get("per_sample_s") is None:
                cells.append(f"{cv.get('status')}: {str(cv.get('error') or '')[:60]}")
            else:
                extra = f" ±{cv['ci_rel'] * 100:.1f} %" if cv.get("ci_rel") else ""
                cells.append(fmt_ms(cv["per_sample_s"]) + extra)
        lines.append(f"| {r['tool']} | {r['repeat']} | {r['rc']} | {r['wall_s']:.1f} | "
                     f"{r['peak_rss_bytes'] / 2**20:.0f} | " + " | ".join(cells) + " |")
        if r.get("error"):
            lines.append(f"| | | | | | error: {r['error'][:200].replace('|', '/')} |")
    lines.append("")
    lines.append("Spread over repeats, (max − min) / median:")
    lines.append("")
    lines.append("| tool | wall | peak RSS | " + " | ".join(CONVERSIONS) + " |")
    lines.append("|---|---|---|" + "---|" * len(CONVERSIONS))
    for tool in dict.fromkeys(r["tool"] for r in rows):
        rs = [r for r in rows if r["tool"] == tool]
        def pct(x):
            return "—" if x is None else f"{x * 100:.1f} %"
        cells = [pct(spread([(r["conv"].get(c) or {}).get("per_sample_s") for r in rs]))
                 for c in CONVERSIONS]
        lines.append(f"| {tool} | {pct(spread([r['wall_s'] for r in rs]))} | "
                     f"{pct(spread([r['peak_rss_bytes'] for r in rs]))} | " + " | ".join(cells)
                     + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alma-python", required=True, help="python of the Alma venv")
    ap.add_argument("--graphs", default=os.environ.get("GRAPHS_BIN", str(REPO / "build/dev/graphs")))
    ap.add_argument("--python", default=sys.executable, help="interpreter of graphs' workers")
    ap.add_argument("--n-samples", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shim-pt2e", action="store_true",
                    help="stub the torch.ao PT2E modules Alma 0.3.7 imports (gone in torch 2.14)")
    ap.add_argument("--json", type=Path, help="write the raw rows here")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="alma-compare-") as tmp:
        for rep in range(1, a.repeats + 1):
            for tool in ("graphs", "alma"):
                work = Path(tmp) / f"{tool}-{rep}"
                work.mkdir()
                row = (run_graphs(a.graphs, a.python, a.n_samples, work) if tool == "graphs"
                       else run_alma(a.alma_python, a.n_samples, work, a.shim_pt2e))
                row["repeat"] = rep
                rows.append(row)
                print(f"alma_compare: {row['tool']} repeat {rep}: exit {row['rc']}, "
                      f"{row['wall_s']:.1f} s, {row['peak_rss_bytes'] / 2**20:.0f} MB",
                      file=sys.stderr, flush=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    print(report(rows, a.n_samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
