#!/usr/bin/env python3
"""Configurations per second of `graphs sweep` (design-space exploration speed).

One configuration = one (model, batch, hardware target, precision) estimate: every fused kernel
of the model through the target's mapper (estimate/mapper.h estimate_kernel: roofline, GPU tiles,
waves and L2, systolic padding), summed to latency, energy (dynamic + static), peak memory and
fit, throughput and throughput per watt, written into a row; plus the Pareto marking of all rows.
Loading, shape inference, characterization and fusion happen once per (model, batch, storage
dtype) and are timed apart ("prepare").

For each grid the script runs, N times, in a fresh process:
    graphs sweep zoo --hardware all --batch B,... --precision P,... --format csv -o FILE --timing
and reports the medians of:
- estimate configs/s: configurations / estimate seconds (the per-configuration work above, from
  the --timing line; target resolution included);
- end-to-end configs/s: configurations / wall seconds of the whole process (start, registry load,
  prepare, estimate, CSV writing);
- prepare seconds, CSV rows.

Usage:
    python3 bench/sweep_speed.py [--graphs PATH] [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from locate import graphs_binary  # noqa: E402

GRIDS = {
    # The done-when grid: zoo × all targets × 4 batch sizes × 3 precisions.
    "done-when (4 batches × 3 precisions)": (["1", "8", "32", "128"], ["fp32", "fp16", "int8"]),
    # A denser grid: 8 batch sizes × every precision.
    "dense (8 batches × 6 precisions)": (["1", "2", "4", "8", "16", "32", "64", "128"],
                                         ["fp32", "tf32", "fp16", "bf16", "fp8", "int8"]),
}


def run_once(graphs: str, batches: list[str], precisions: list[str], out: Path) -> dict:
    cmd = [graphs, "sweep", "zoo", "--hardware", "all", "--batch", ",".join(batches),
           "--precision", ",".join(precisions), "--format", "csv", "-o", str(out), "--timing"]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-2000:]}")
    timing = json.loads([line for line in p.stderr.splitlines() if line.startswith("{")][-1])
    rows = sum(1 for _ in out.open()) - 1
    assert rows == timing["configs"], (rows, timing)
    return {"wall_s": wall, "rows": rows, **timing, "cmd": " ".join(cmd[1:])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--graphs", default=None, help="graphs binary (default: tools/locate.py)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", default=None, help="write every run's figures here")
    a = ap.parse_args()
    graphs = a.graphs or graphs_binary()
    if graphs is None:
        raise SystemExit("graphs binary not found: pass --graphs or set GRAPHS_BIN")
    results = {}
    print("| grid | configurations | estimate configs/s (median) | min–max | estimate s | "
          "prepare s | end-to-end configs/s | wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (batches, precisions) in GRIDS.items():
            runs = [run_once(str(graphs), batches, precisions, Path(tmp) / "sweep.csv")
                    for _ in range(a.runs)]
            results[name] = runs
            rate = [r["configs"] / r["estimate_s"] for r in runs]
            e2e = [r["configs"] / r["wall_s"] for r in runs]
            med = statistics.median
            print(f"| {name} | {runs[0]['configs']} | {med(rate):,.0f} | "
                  f"{min(rate):,.0f}–{max(rate):,.0f} | {med([r['estimate_s'] for r in runs]):.4f} | "
                  f"{med([r['prepare_s'] for r in runs]):.2f} | {med(e2e):,.0f} | "
                  f"{med([r['wall_s'] for r in runs]):.2f} |")
            print(f"<!-- graphs {runs[0]['cmd']} -->")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
