"""ONNX conformance at scale: `graphs analyze` over every backend test model that onnx 1.20.x ships
(node, pytorch-converted, pytorch-operator, simple: 1,793 models with expected outputs), in one
`graphs analyze --models-file` process (tools/onnx_conformance.py says how each is run). The
data comes from the conformance venv (bash scripts/conformance_env.sh) or $GRAPHS_ONNX_TEST_DATA.

Asserted: at least 1,550 models analyzed; no analyzed model's output shape differs from its
expected output tensor, except where a data-dependent dim inside the graph (not on an output,
so not bindable from the expected outputs) was left to its bound, each of which the analysis
names; no crash (a signal or an exit status other than 0 and 2); every refusal one line; the
refused models as docs/onnx-coverage.md lists them.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO, _unavailable

sys.path.insert(0, str(REPO / "tools"))
import onnx_conformance  # noqa: E402

MODELS = 1793
MIN_ANALYZED = 1550


@pytest.fixture(scope="module")
def summary(graphs) -> dict:
    root = onnx_conformance.data_dir()
    if root is None or not root.is_dir():
        _unavailable("ONNX backend test data not found: run bash scripts/conformance_env.sh or "
                     "set GRAPHS_ONNX_TEST_DATA")
    return onnx_conformance.run(graphs, root)


def test_every_model_is_seen(summary):
    assert summary["models"] == MODELS


def test_enough_models_are_analyzed(summary):
    assert summary["analyzed"] >= MIN_ANALYZED, onnx_conformance.render(summary)


def test_no_crash_and_no_failure(summary):
    assert not summary["crashes"], summary["crashes"]
    assert summary["failed"] == 0, summary["failures"]


def test_no_output_shape_differs(summary):
    assert not summary["mismatches"], summary["mismatches"]


def test_shapes_left_to_a_bound_are_named(summary):
    # Each model whose output differs carries unbound data-dependent dims in its analysis.
    for name, lines in summary["assumed"].items():
        assert lines[-1].startswith("unbound: "), (name, lines)


def test_every_refusal_is_one_line(summary):
    assert not summary["multi_line"], summary["multi_line"]


def test_refusals_match_the_coverage_doc(summary):
    """docs/onnx-coverage.md lists every refused model (its table's last column)."""
    doc = (REPO / "docs" / "onnx-coverage.md").read_text()
    listed = set()
    for row in re.findall(r"^\| \d+ \| `[^`]+` \| (.+) \|$", doc, re.M):
        listed.update(n.strip() for n in row.split(","))
    refused = {n.split("/", 1)[1] for names in summary["refusals"].values() for n in names}
    assert refused == listed, (
        "regenerate the table: .venv-dev/bin/python tools/onnx_conformance.py --markdown\n"
        f"refused, not in the doc: {sorted(refused - listed)}\n"
        f"in the doc, not refused: {sorted(listed - refused)}")


def test_a_refusal_from_the_cli_is_one_line_with_status_2(graphs, summary):
    """The batch run reports messages; the program run alone prints them: one line, exit 2."""
    root = onnx_conformance.data_dir()
    some = [names[0] for names in summary["refusals"].values()][:5]
    for name in some:
        r = subprocess.run([str(graphs), "inspect", str(root / name / "model.onnx")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (name, r.returncode, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("graphs: error: "), r.stderr
