"""ai.onnx.ml ops: our output shapes and element types against ONNX Runtime's, on tiny models
made at test time by tools/make_ml_fixtures.py (scikit-learn estimators converted by skl2onnx,
and hand-built nodes), run in the conformance venv (scripts/conformance_env.sh).

Also: ZipMap (a map output) is refused in one line with exit status 2, and a classifier's MACs
follow the GEMM count of docs/conventions.md by hand.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, _unavailable

DTYPES = {"float32": "float32", "int64": "int64", "object": "string"}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> tuple[Path, dict]:
    r = subprocess.run(["bash", str(REPO / "scripts" / "conformance_env.sh"), "--check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        _unavailable("the conformance venv is not installed: run bash scripts/conformance_env.sh")
    python = Path(r.stdout.strip().splitlines()[-1]) / "bin" / "python"
    out = tmp_path_factory.mktemp("ml")
    made = subprocess.run([str(python), str(REPO / "tools" / "make_ml_fixtures.py"), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    return out, json.loads((out / "expected.json").read_text())


def analyze_all(graphs: Path, folder: Path, expected: dict) -> dict:
    lines = "".join(json.dumps({"model": str(folder / f"{name}.onnx"),
                                "input_shapes": e["input_shapes"]}) + "\n"
                    for name, e in expected.items())
    r = subprocess.run([str(graphs), "analyze", "--models-file", "-", "--hardware", "i7-12700k"],
                       input=lines, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    return {name: res for name, res in zip(expected, results)}


def test_output_shapes_and_types_match_onnxruntime(graphs, fixtures):
    folder, expected = fixtures
    assert len(expected) >= 20
    results = analyze_all(graphs, folder, expected)
    bad = []
    for name, e in expected.items():
        r = results[name]
        if r["exit_status"] != 0:
            bad.append(f"{name}: {r['error']}")
            continue
        ours = [(o["name"], o["shape"], o["dtype"]) for o in r["outputs"]]
        ref = [(o["name"], o["shape"], DTYPES[o["dtype"]]) for o in e["outputs"]]
        if ours != ref:
            bad.append(f"{name}: ours {ours}, ONNX Runtime {ref}")
    assert not bad, "\n".join(bad)


def test_linear_classifier_macs_by_hand(graphs, fixtures):
    folder, expected = fixtures
    r = analyze_all(graphs, folder, {"logistic_3": expected["logistic_3"]})["logistic_3"]
    # LinearClassifier: N·F·T = 5 × 4 × 3 (then a Normalizer, which counts no MACs).
    assert r["macs"] == 5 * 4 * 3


def test_zipmap_is_refused_in_one_line(graphs, tmp_path):
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h

    seq_map = h.make_sequence_type_proto(
        h.make_map_type_proto(T.INT64, h.make_tensor_type_proto(T.FLOAT, None)))
    g = h.make_graph([h.make_node("ZipMap", ["x"], ["y"], domain="ai.onnx.ml",
                                  classlabels_int64s=[0, 1])],
                     "zipmap", [h.make_tensor_value_info("x", T.FLOAT, [2, 2])],
                     [h.make_value_info("y", seq_map)])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("ai.onnx.ml", 3)])
    path = tmp_path / "zipmap.onnx"
    onnx.save(m, str(path))
    r = subprocess.run([str(graphs), "analyze", str(path), "--hardware", "i7-12700k"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "ZipMap" in r.stderr, r.stderr
