"""Runs `graphs analyze` over ONNX's own backend test models and compares every output shape with
the expected output tensors shipped beside each model (onnx/backend/test/data of onnx 1.20.x:
node, pytorch-converted, pytorch-operator, simple; scripts/conformance_env.sh installs it).

  .venv-dev/bin/python tools/onnx_conformance.py [--graphs BIN] [--data DIR] [--json OUT]

prints the counts and every refusal grouped by its reason (docs/onnx-coverage.md is written from
this output). tests/python/test_onnx_conformance.py imports `run` and asserts on the result.

How a model is run. Each graph input gets its shape from test_data_set_0/input_<i>.pb
(`--input-shape NAME=D0xD1x...`; static dims must agree, '?' and named dims are bound). All
models go through one `graphs analyze --models-file -` process (analyze_batch.h): one JSON line
per model. A process that dies (a signal, or an exit other than 0) before a model's line is a
crash of that model; the run resumes after it in a new process.
Outcomes per model:
  analyzed  exit status 0 and the whole pipeline ran (shapes, costs, estimates on three targets)
  refused   exit status 2 with a one-line message (an op or a type the tool does not handle)
  failed    exit status 1
  crash     a signal, another exit status, or no line
Shapes. Every graph output of an analyzed model is compared with output_<i>.pb. An output whose
size depends on tensor contents (NonZero, Unique, a Loop's trip count...) carries a named
data-dependent dim in the analysis; each such dim recorded on a graph output is bound to the
expected size with --dim SYMBOL=N and the model is analyzed again, as a user who knows the size
would. Dims a model names inside its graph (not on an output) are left to their bound.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SUITES = ("node", "pytorch-converted", "pytorch-operator", "simple")
TARGETS = "h100-sxm5-80gb,i7-12700k,tpu-v4"
REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path | None:
    """$GRAPHS_ONNX_TEST_DATA, else the conformance venv's onnx/backend/test/data when ready."""
    env = os.environ.get("GRAPHS_ONNX_TEST_DATA")
    if env:
        return Path(env)
    r = subprocess.run(["bash", str(REPO / "scripts" / "conformance_env.sh"), "--check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    venv = Path(r.stdout.strip().splitlines()[-1])
    found = sorted(venv.glob("lib/python*/site-packages/onnx/backend/test/data"))
    return found[0] if found else None


@dataclass
class Case:
    name: str                       # "node/test_abs"
    model: Path
    input_shapes: dict = field(default_factory=dict)   # input name -> dims
    expected: list = field(default_factory=list)       # per output: dims, or None (not a tensor)
    output_names: list = field(default_factory=list)


def _tensor_dims(path: Path, onnx) -> list | None:
    """Dims of a TensorProto file; None when the file holds another proto (sequence, optional)."""
    data = path.read_bytes()
    t = onnx.TensorProto()
    try:
        t.ParseFromString(data)
    except Exception:  # noqa: BLE001 - not a tensor
        return None
    if t.data_type == 0:
        return None
    return list(t.dims)


def load_cases(root: Path) -> list[Case]:
    import onnx

    cases = []
    for suite in SUITES:
        for d in sorted((root / suite).iterdir()):
            model = d / "model.onnx"
            if not model.is_file():
                continue
            case = Case(f"{suite}/{d.name}", model)
            cases.append(case)
            try:
                m = onnx.load(str(model), load_external_data=False)
            except Exception:  # noqa: BLE001 - the tool gets to say what is wrong with it
                continue
            inits = {i.name for i in m.graph.initializer}
            inputs = [i for i in m.graph.input if i.name not in inits]
            case.output_names = [o.name for o in m.graph.output]
            data = d / "test_data_set_0"
            for i, inp in enumerate(inputs):
                f = data / f"input_{i}.pb"
                if f.is_file() and inp.type.HasField("tensor_type"):
                    dims = _tensor_dims(f, onnx)
                    if dims is not None:
                        case.input_shapes[inp.name] = dims
            for i, out in enumerate(m.graph.output):
                f = data / f"output_{i}.pb"
                tensor = out.type.HasField("tensor_type")
                case.expected.append(_tensor_dims(f, onnx) if tensor and f.is_file() else None)
    return cases


def _run_batch(graphs: Path, lines: list[dict]) -> tuple[list[dict | None], int]:
    """Analyzes `lines` in as few processes as crashes allow; returns one result per line (None:
    a crash) and the number of processes started."""
    results: list[dict | None] = [None] * len(lines)
    start, processes = 0, 0
    while start < len(lines):
        processes += 1
        text = "".join(json.dumps(line) + "\n" for line in lines[start:])
        p = subprocess.run([str(graphs), "analyze", "--models-file", "-", "--hardware", TARGETS],
                           input=text, capture_output=True, text=True)
        got = [json.loads(out) for out in p.stdout.splitlines() if out.strip()]
        for r in got:
            results[start + r["line"] - 1] = r
        done = start + len(got)
        if p.returncode == 0 and done == len(lines):
            break
        if p.returncode == 0:
            raise RuntimeError(f"graphs exited 0 after {len(got)} of {len(lines) - start} lines")
        crashed = done  # the first line without a result
        results[crashed] = {"crash": True, "returncode": p.returncode,
                            "stderr": p.stderr.strip()[-500:]}
        start = crashed + 1
    return results, processes


def _line(case: Case, dims: dict | None = None) -> dict:
    line = {"model": str(case.model)}
    if case.input_shapes:
        line["input_shapes"] = case.input_shapes
    if dims:
        line["dims"] = dims
    return line


def _output_dims_to_bind(case: Case, result: dict) -> dict:
    """--dim SYMBOL=N for each data-dependent dim recorded on a graph output."""
    binds = {}
    for d in result.get("data_dependent_dims", []):
        if d["value"] in case.output_names and d["axis"] >= 0:
            exp = case.expected[case.output_names.index(d["value"])]
            if exp is not None and d["axis"] < len(exp):
                binds[d["symbol"]] = exp[d["axis"]]
    return binds


def _mismatches(case: Case, result: dict) -> list[str]:
    out = []
    for i, o in enumerate(result["outputs"]):
        exp = case.expected[i] if i < len(case.expected) else None
        if exp is not None and o["shape"] != exp:
            out.append(f"{o['name']}: {o['shape']} expected {exp}")
    return out


def reason(message: str) -> str:
    """A refusal's message reduced to its reason: node names, values and shapes dropped."""
    m = re.search(r"unknown op '([^']+)' \(domain ([^,]+),", message)
    if m:
        return f"unknown op {m.group(2)}::{m.group(1)}"
    text = re.sub(r"^\S+\.onnx: ", "", message)
    op = re.match(r"^([A-Za-z0-9_]+) node ", text)
    text = re.sub(r"^[A-Za-z0-9_]+ node '[^']*': ", "", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\[[^\]]*\]", "[…]", text)
    text = re.sub(r"-?\d+", "N", text)
    return (op.group(1) + ": " if op else "") + text


def run(graphs: Path, root: Path) -> dict:
    t0 = time.monotonic()
    cases = load_cases(root)
    results, processes = _run_batch(graphs, [_line(c) for c in cases])
    # Second pass: data-dependent dims on outputs bound to the expected sizes.
    rebind = [(i, _output_dims_to_bind(c, r)) for i, (c, r) in enumerate(zip(cases, results))
              if r and r.get("exit_status") == 0 and _mismatches(c, r)]
    rebind = [(i, b) for i, b in rebind if b]
    if rebind:
        again, n = _run_batch(graphs, [_line(cases[i], b) for i, b in rebind])
        processes += n
        for (i, b), r in zip(rebind, again):
            if r is not None:
                r["bound"] = b
            results[i] = r
    summary = {"models": len(cases), "analyzed": 0, "refused": 0, "failed": 0, "crashes": [],
               "mismatches": {}, "assumed": {}, "multi_line": [],
               "refusals": collections.defaultdict(list),
               "failures": {}, "rebound": len(rebind), "processes": processes}
    for c, r in zip(cases, results):
        if r is None or r.get("crash"):
            summary["crashes"].append({"model": c.name, **(r or {})})
            continue
        status = r["exit_status"]
        if status == 0:
            summary["analyzed"] += 1
            bad = _mismatches(c, r)
            unbound = [d["symbol"] for d in r.get("data_dependent_dims", [])
                       if d["source"] != "bound by --dim"]
            if bad and unbound:
                summary["assumed"][c.name] = bad + [f"unbound: {', '.join(unbound)}"]
            elif bad:
                summary["mismatches"][c.name] = bad
        elif status == 2:
            summary["refused"] += 1
            if "\n" in r["error"] or not r["error"].strip():
                summary["multi_line"].append(c.name)
            summary["refusals"][reason(r["error"])].append(c.name)
        elif status == 1:
            summary["failed"] += 1
            summary["failures"][c.name] = r["error"]
        else:
            summary["crashes"].append({"model": c.name, **r})
    summary["refusals"] = dict(sorted(summary["refusals"].items(),
                                      key=lambda kv: (-len(kv[1]), kv[0])))
    summary["seconds"] = round(time.monotonic() - t0, 1)
    return summary


def render(summary: dict) -> str:
    lines = [f"models {summary['models']}, analyzed {summary['analyzed']}, refused "
             f"{summary['refused']}, failed {summary['failed']}, "
             f"crashes {len(summary['crashes'])}, "
             f"output shapes differing {len(summary['mismatches'])}, differing where a "
             f"data-dependent dim inside the graph was left to its bound {len(summary['assumed'])} "
             f"(models rerun with data-dependent dims bound: {summary['rebound']}; "
             f"{summary['processes']} processes, {summary['seconds']} s)"]
    for c in summary["crashes"]:
        lines.append(f"CRASH {c['model']}: {c}")
    for name, bad in summary["mismatches"].items():
        lines.append(f"MISMATCH {name}: {'; '.join(bad)}")
    for name, bad in summary["assumed"].items():
        lines.append(f"ASSUMED {name}: {'; '.join(bad)}")
    for name, err in summary["failures"].items():
        lines.append(f"FAILED {name}: {err}")
    lines.append("")
    lines.append("refusals by reason:")
    for why, names in summary["refusals"].items():
        lines.append(f"  {len(names):4d}  {why}")
        lines.append(f"        {', '.join(n.split('/', 1)[1] for n in names)}")
    return "\n".join(lines) + "\n"


def markdown_table(summary: dict) -> str:
    """The refusal table of docs/onnx-coverage.md: count, reason, models."""
    rows = ["| models | reason (the message, names and numbers elided) | which |",
            "|---:|---|---|"]
    for why, names in summary["refusals"].items():
        which = ", ".join(n.split("/", 1)[1] for n in names)
        rows.append(f"| {len(names)} | `{why.replace('|', '¦')}` | {which} |")
    return "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graphs", type=Path, help="the graphs binary (default: $GRAPHS_BIN, PATH, "
                    "build/dev/graphs)")
    ap.add_argument("--data", type=Path, help="onnx/backend/test/data (default: "
                    "$GRAPHS_ONNX_TEST_DATA, else the conformance venv's)")
    ap.add_argument("--json", type=Path, help="also write the summary as JSON")
    ap.add_argument("--markdown", action="store_true",
                    help="print the refusal table of docs/onnx-coverage.md instead")
    a = ap.parse_args()
    sys.path.insert(0, str(REPO / "tools"))
    import locate

    graphs = a.graphs or locate.graphs_binary()
    root = a.data or data_dir()
    if graphs is None or root is None:
        print("onnx_conformance: need the graphs binary and the test data "
              "(bash scripts/conformance_env.sh)", file=sys.stderr)
        return 2
    summary = run(graphs, root)
    if a.json:
        a.json.write_text(json.dumps(summary, indent=1) + "\n")
    sys.stdout.write(markdown_table(summary) if a.markdown else render(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
