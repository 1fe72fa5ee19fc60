"""How plan.json names torch modules from an ONNX graph (src/graphs/parallel/tp_modules.h),
checked against real exports: every module a plan names exists in the exported model with a type
its strategy fits (graphs.tp.validate_plan), and plans read from different graphs of one model
agree — the zoo's ResNet-18 (built in C++, state_dict names) against torchvision's exported by
the TorchScript exporter, and an export whose nn.Linear weights were folded into unnamed
constants ("onnx::MatMul_12", named through the node scope) against one that kept their
names."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
pytest.importorskip("transformers")

from graphs.tp import validate_plan  # noqa: E402
from graphs.tp.verify import build_model  # noqa: E402


def _export(model, x, path, **kw) -> str:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17, **kw)
    return str(path)


def _plan(graphs, source: str, world_size: int) -> dict:
    p = subprocess.run([str(graphs), "tp", source, "--world-size", str(world_size), "--format",
                        "json", "--precision", "fp32"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _split(plan: dict) -> dict:
    return {lp["module"]: (lp["strategy"], lp.get("gather_output"), lp.get("heads"))
            for lp in plan["layers"]}


@pytest.fixture(scope="module")
def resnet18():
    return build_model("resnet18")


def test_resnet18_export_plans_like_the_zoo(graphs, resnet18, tmp_path):
    """BatchNorm kept (training=PRESERVE, no folding): the same modules, strategies and
    replicated modules as the zoo's plan, and every name fits torchvision's module."""
    model, x = resnet18
    path = _export(model, x, tmp_path / "r18.onnx", training=torch.onnx.TrainingMode.PRESERVE,
                   do_constant_folding=False)
    exported, zoo = _plan(graphs, path, 2), _plan(graphs, "resnet18", 2)
    assert _split(exported) == _split(zoo)
    assert set(exported["replicated"]) == set(zoo["replicated"])
    validate_plan({k: v for k, v in exported.items() if k != "analysis"}, model)
    nodes = {lp["module"]: lp["node"] for lp in exported["layers"]}
    assert nodes["layer1.0.conv1"] == "/layer1/layer1.0/conv1/Conv"
    assert nodes["layer1.0.bn1"] == "/layer1/layer1.0/bn1/BatchNormalization"


def test_resnet18_folded_export_names_the_convs_not_the_batchnorms(graphs, resnet18, tmp_path):
    """The exporter's default eval export folds BatchNorm into the Conv weights (new constants
    "onnx::Conv_N", named through the node scope): the same convolutions split, and the plan
    cannot name the BatchNorms it no longer sees (docs/tp-plan-schema.md, "Module names")."""
    model, x = resnet18
    path = _export(model, x, tmp_path / "r18-folded.onnx")
    folded, zoo = _split(_plan(graphs, path, 2)), _split(_plan(graphs, "resnet18", 2))
    convs = {m: s for m, s in zoo.items() if ".bn" not in m}
    assert folded == convs
    modules = dict(model.named_modules())
    assert all(isinstance(modules[m], (torch.nn.Conv2d, torch.nn.Linear)) for m in folded)


def test_folded_linear_weights_are_named_by_scope(graphs, tmp_path):
    """Llama exported with constant folding: its nn.Linear weights become "onnx::MatMul_N"; the
    node scope names them, and the plan equals the one from the export that kept the names."""
    model, x = build_model("llama-test")
    folded = _plan(graphs, _export(model, x, tmp_path / "folded.onnx", do_constant_folding=True), 2)
    named = _plan(graphs, _export(model, x, tmp_path / "named.onnx", do_constant_folding=False), 2)
    assert _split(folded) == _split(named)
    assert "m.model.layers.0.self_attn.q_proj" in _split(folded)
    validate_plan({k: v for k, v in folded.items() if k != "analysis"}, model)
    assert folded["analysis"]["parameters"] == named["analysis"]["parameters"]
