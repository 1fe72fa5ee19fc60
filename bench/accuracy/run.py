#!/usr/bin/env python3
"""Accuracy study: predicted against measured latency on this machine (docs/accuracy.md).

Two steps, so that a measurement is taken once and re-scored whenever the estimator or the
calibration changes (the prediction is never fitted on these models: `graphs calibrate` uses
microbenchmarks only):

  measure  `graphs bench SOURCE --batch B -c EAGER,COMPILE_INDUCTOR_DEFAULT,ONNX_CPU` for every
           model exported by tools/export_models.py (15 torchvision models, 4 transformers) at
           batch 1 and 8 (sequence 128), one JSONL per model × batch; a finished file (it has
           its `end` line) is skipped, so an interrupted study resumes.
  score    `graphs validate --measured <all JSONL> --graph SOURCE=<exported .onnx>`: per row
           predicted, measured, error; per conversion MAPE, median |error|, share within ±15 %.

Usage:
  bench/accuracy/run.py measure [--threads N] [--models a,b] [--batches 1,8] [--out DIR]
  bench/accuracy/run.py score   [--threads N] [--out DIR] [--json FILE]

The graphs binary is $GRAPHS_BIN or `graphs` on PATH; workers run in $GRAPHS_PYTHON (the dev
venv). Results go to DIR (default ~/.cache/graphs/accuracy/threads-N).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import export_models  # noqa: E402  (the catalogue of exported models)

CONVERSIONS = "EAGER,COMPILE_INDUCTOR_DEFAULT,ONNX_CPU"


def graphs_bin() -> str:
    return os.environ.get("GRAPHS_BIN") or shutil.which("graphs") or "graphs"


def source_of(spec) -> str:
    if spec.source == "torchvision":
        return f"torchvision:{spec.name}"
    return f"hf:{export_models.HF_NAMES[spec.name]}"


def finished(path: Path) -> bool:
    if not path.exists():
        return False
    with path.open() as f:
        return any(json.loads(line).get("type") == "end" for line in f if line.strip())


def out_dir(args) -> Path:
    if args.out:
        return Path(args.out)
    return export_models.cache_root() / "accuracy" / f"threads-{args.threads or 'default'}"


def specs(args):
    all_specs = export_models.catalogue()
    if not args.models:
        return all_specs
    by_name = {s.name: s for s in all_specs}
    unknown = [n for n in args.models.split(",") if n not in by_name]
    if unknown:
        raise SystemExit(f"accuracy: unknown model(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in args.models.split(",")]


def measure(args) -> int:
    out = out_dir(args)
    out.mkdir(parents=True, exist_ok=True)
    batches = [int(b) for b in args.batches.split(",")]
    for spec in specs(args):
        for batch in batches:
            path = out / f"{spec.name}-b{batch}.jsonl"
            if finished(path):
                print(f"accuracy: {path.name}: done already", file=sys.stderr)
                continue
            path.unlink(missing_ok=True)
            cmd = [graphs_bin(), "bench", source_of(spec), "--batch", str(batch), "--seq-len", "128",
                   "-c", CONVERSIONS, "--min-time", str(args.min_time), "--max-time", str(args.max_time),
                   "--jsonl", str(path), "-q", "-o", str(path.with_suffix(".md"))]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            t0 = time.monotonic()
            rc = subprocess.call(cmd)
            print(f"accuracy: {path.name}: exit {rc} in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return 0


def score(args) -> int:
    out = out_dir(args)
    models_dir = export_models.default_out_dir()
    files, graphs = [], []
    for spec in specs(args):
        onnx = models_dir / f"{spec.name}.dynamo.onnx"
        for f in sorted(out.glob(f"{spec.name}-b*.jsonl")):
            if finished(f):
                files.append(str(f))
        graphs += ["--graph", f"{source_of(spec)}={onnx}"]
    if not files:
        print(f"accuracy: no finished results in {out}; run `measure` first", file=sys.stderr)
        return 2
    base = [graphs_bin(), "validate", "--measured", ",".join(files), *graphs, "--no-history"]
    json_path = Path(args.json) if args.json else out / "accuracy.json"
    rc = subprocess.call(base + ["--format", "json", "-o", str(json_path)])
    if rc not in (0, 1):
        return rc
    rc = subprocess.call(base + ["-o", str(out / "accuracy.txt")])
    if rc in (0, 1):  # 1: some conversion failed; its rows are in the table
        print((out / "accuracy.txt").read_text())
    return rc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["measure", "score"])
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: the backends' default)")
    p.add_argument("--models", default="", help="comma-separated catalogue names (default: all)")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--min-time", type=float, default=1.0)
    p.add_argument("--max-time", type=float, default=3.0)
    p.add_argument("--out", default="", help="results folder")
    p.add_argument("--json", default="", help="score: where to write the validation JSON")
    args = p.parse_args(argv)
    return measure(args) if args.step == "measure" else score(args)


if __name__ == "__main__":
    sys.exit(main())
