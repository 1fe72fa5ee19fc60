"""graphs.tp: models converted with the C++ planner's plans (`graphs tp`) against the unsharded
ones on spawned gloo processes (CPU), plan validation, and the torch.distributed.tensor.parallel
translation. Python does no planning: every plan here comes from the planner."""

from __future__ import annotations

import copy
import json
import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("torchvision")

from graphs.tp import (  # noqa: E402
    ChannelParallelBatchNorm2d,
    ColumnParallelConv2d,
    ColumnParallelLinear,
    RowParallelConv2d,
    RowParallelLinear,
    to_parallelize_plan,
    validate_plan,
)
from graphs.tp.verify import _hf_model, build_model, planner_plan, run_verify  # noqa: E402

TIMEOUT_S = 240  # a hung collective fails the test instead of hanging it
# Small transformers configs (random weights): GPT-2 with and without its tied LM head, Llama with
# grouped-query attention, BERT with its pooler; an MLP, a CNN with BatchNorm and a depthwise
# conv (all planned from their ONNX exports); torchvision's ResNet-18 (planned from the zoo's).
RUNS = {2: ("mlp", "cnn", "gpt2-small-test", "gpt2-lm-test", "llama-test", "bert-test", "resnet18"),
        4: ("mlp", "cnn", "gpt2-lm-test", "llama-test", "bert-test", "resnet18")}


@pytest.fixture(scope="session")
def planner_env(graphs):
    """The planner the plans come from: this build's `graphs`."""
    old = os.environ.get("GRAPHS_BIN")
    os.environ["GRAPHS_BIN"] = str(graphs)
    yield graphs
    if old is None:
        os.environ.pop("GRAPHS_BIN", None)
    else:
        os.environ["GRAPHS_BIN"] = old


@pytest.fixture(scope="module")
def verify_results(planner_env):
    """One spawned process group per world size runs every model's checks (spawn is the cost)."""
    cache = {}

    def get(world_size: int) -> dict:
        if world_size not in cache:
            rows = run_verify(list(RUNS[world_size]), world_size, timeout_s=TIMEOUT_S)
            cache[world_size] = {(r["model"], r["check"]): r for r in rows}
        return cache[world_size]
    return get


@pytest.fixture(scope="module")
def plan_of(planner_env, tmp_path_factory):
    """The C++ planner's plan (with its analysis) of a verify model at a world size."""
    work = str(tmp_path_factory.mktemp("tp-plans"))
    cache = {}

    def get(name: str, world_size: int) -> dict:
        if (name, world_size) not in cache:
            cache[(name, world_size)] = planner_plan(name, world_size, work)
        return cache[(name, world_size)]
    return get


def _plan_only(plan: dict) -> dict:
    return {k: v for k, v in plan.items() if k != "analysis"}


CASES = [(m, n) for n, ms in RUNS.items() for m in ms]


@pytest.mark.parametrize("model,world_size", CASES, ids=[f"{m}-tp{n}" for m, n in CASES])
def test_sharded_matches_unsharded(verify_results, model, world_size):
    rows = verify_results(world_size)
    assert rows[(model, "plan")]["plan_source"].endswith("(C++ planner)")
    for check in ("forward", "grad", "sgd_step"):
        r = rows[(model, check)]
        assert r["max_abs_error"] <= r["tolerance"], json.dumps(r)
        assert r["ok"]


@pytest.mark.parametrize("model,world_size", CASES, ids=[f"{m}-tp{n}" for m, n in CASES])
def test_per_rank_params_equal_the_planners(verify_results, model, world_size):
    r = verify_results(world_size)[(model, "param_bytes")]
    per_rank = r["per_rank_bytes"]
    assert len(per_rank) == world_size
    assert sum(per_rank) == r["total_bytes"] + (world_size - 1) * r["replicated_bytes"], \
        json.dumps(r)
    assert per_rank == [r["planner_per_rank_bytes"]] * world_size, json.dumps(r)
    assert r["total_bytes"] == r["planner_total_bytes"]
    assert max(per_rank) < r["total_bytes"]  # something was actually split


@pytest.mark.parametrize("world_size", [2, 4])
def test_resnet18_convolutions_split_in_pairs(verify_results, world_size):
    """ResNet-18: conv1 → bn1 → conv2 of each of the 8 basic blocks column → channel → row, fc a
    gathered head; forward and gradients equal the unsharded model's (checked above)."""
    r = verify_results(world_size)[("resnet18", "plan")]
    assert r["strategies"] == {"column": 9, "channel": 8, "row": 8}, json.dumps(r)
    assert r["split_weight_fraction"] > 0.98


@pytest.mark.parametrize("world_size", [2, 4])
def test_real_gpt2_with_the_cpp_plan(planner_env, world_size):
    """GPT-2 (124M, the real config, random weights) converted with the zoo gpt2's plan: outputs,
    gradients and a training step equal to the unsharded model; per-rank bytes equal to the
    planner's figure exactly."""
    rows = {r["check"]: r for r in run_verify("gpt2", world_size, timeout_s=TIMEOUT_S * 2)}
    for check in ("plan", "forward", "grad", "sgd_step", "param_bytes"):
        assert rows[check]["ok"], json.dumps(rows[check])
    param_bytes = rows["param_bytes"]
    assert param_bytes["per_rank_bytes"] == [param_bytes["planner_per_rank_bytes"]] * world_size
    assert rows["forward"]["plan_source"] == "graphs tp gpt2 (C++ planner)"


def test_tied_lm_head_shares_the_embedding_shard(plan_of):
    """GPT2LMHeadModel: lm_head and wte split together; alone, the plan is refused; at N = 3
    (vocabulary 1000, 4 heads, 512 MLP features) nothing divides and the planner says so."""
    model = build_model("gpt2-lm-test")[0]
    plan = _plan_only(plan_of("gpt2-lm-test", 2))
    by_module = {lp["module"]: lp for lp in plan["layers"]}
    assert by_module["m.transformer.wte"]["strategy"] == "vocab"
    assert by_module["m.lm_head"]["strategy"] == "column"
    assert by_module["m.lm_head"]["gather_output"] is True
    from graphs.tp.converter import _check_ties
    alone = dict(plan, layers=[lp for lp in plan["layers"] if lp["module"] != "m.lm_head"])
    with pytest.raises(ValueError, match="^m.transformer.wte: weight tied to 'm.lm_head', "
                                         "which the plan does not split"):
        _check_ties(validate_plan(alone, model), dict(model.named_modules()))
    with pytest.raises(RuntimeError, match="not divisible by world size 3"):
        plan_of("gpt2-lm-test", 3)


def test_llama_and_bert_plans(plan_of):
    p = {lp["module"]: lp for lp in plan_of("llama-test", 4)["layers"]}
    assert p["m.model.layers.0.self_attn.q_proj"]["heads"] == 8
    assert p["m.model.layers.0.self_attn.k_proj"]["strategy"] == "column"
    assert "heads" not in p["m.model.layers.0.self_attn.k_proj"]  # the query projection owns it
    assert p["m.model.layers.0.self_attn.o_proj"]["strategy"] == "row"
    assert p["m.model.layers.1.mlp.down_proj"]["strategy"] == "row"
    assert p["m.lm_head"]["gather_output"] and p["m.model.embed_tokens"]["strategy"] == "vocab"
    # 4 KV heads do not split 8 ways: attention stays whole, the MLP still splits.
    p8 = plan_of("llama-test", 8)
    assert "m.model.layers.0.self_attn.q_proj" not in {lp["module"] for lp in p8["layers"]}
    assert "m.model.layers.0.mlp.up_proj" in {lp["module"] for lp in p8["layers"]}
    kept = {r["module"]: r["reason"] for r in p8["analysis"]["replicated_layers"]}
    assert kept["m.model.layers.0.self_attn.k_proj"] == "4 KV heads not divisible by world size 8"
    pb = {lp["module"]: lp for lp in plan_of("bert-test", 2)["layers"]}
    assert pb["m.encoder.layer.0.attention.self.query"]["heads"] == 4
    assert pb["m.encoder.layer.0.attention.output.dense"]["strategy"] == "row"
    assert pb["m.pooler.dense"]["gather_output"]
    assert "m.embeddings.token_type_embeddings" not in pb


def test_gpt2_plan_is_megatron_and_round_trips(plan_of):
    gpt2 = build_model("gpt2-small-test")[0]
    plan = _plan_only(plan_of("gpt2-small-test", 2))
    by_module = {lp["module"]: lp for lp in plan["layers"]}
    qkv = by_module["m.h.0.attn.c_attn"]
    assert (qkv["strategy"], qkv["gather_output"], qkv["heads"]) == ("column", False, 4)
    assert qkv["node"] == "/m/h.0/attn/c_attn/Gemm"  # the ONNX node it was decided on
    assert by_module["m.h.1.attn.c_proj"]["strategy"] == "row"
    assert by_module["m.h.0.mlp.c_fc"]["strategy"] == "column"
    assert by_module["m.h.1.mlp.c_proj"]["input_is_parallel"] is True
    assert by_module["m.wte"]["strategy"] == "vocab"
    assert {"m.wpe", "m.ln_f", "m.h.0.ln_1"} <= set(plan["replicated"])
    assert plan["schema_version"] == 2
    assert validate_plan(json.loads(json.dumps(plan)), gpt2).to_json() == plan  # round trip


def test_mlp_pairs_column_then_row(plan_of):
    plan = plan_of("mlp", 4)
    assert [(lp["module"], lp["strategy"]) for lp in plan["layers"]] == [
        ("0", "column"), ("2", "row"), ("4", "column"), ("6", "row")]
    assert plan["replicated"] == ["3"]


def test_cnn_depthwise_conv_is_channel_parallel(plan_of):
    """Conv → BN → ReLU → depthwise Conv (16 groups) → BN → ReLU6 → 1×1 Conv: one column → row
    pair with the BatchNorms and the depthwise conv channel-parallel between; the BatchNorm after
    the row conv (whole, after the all-reduce) and the 10-way head at N = 4 stay replicated."""
    by_module = {lp["module"]: lp["strategy"] for lp in plan_of("cnn", 4)["layers"]}
    assert by_module == {"0": "column", "1": "channel", "3": "channel", "4": "channel",
                         "6": "row"}
    kept = {r["module"]: r["reason"] for r in plan_of("cnn", 4)["analysis"]["replicated_layers"]}
    assert kept == {"11": "10 output features not divisible by world size 4"}


def _gpt2():
    return _hf_model("gpt2-small-test")[0]  # GPT2Model itself: modules h.0..., wte


@pytest.fixture(scope="module")
def gpt2():
    return _gpt2()


@pytest.fixture(scope="module")
def resnet18():
    return build_model("resnet18")[0]


def _plan(layers, **top):
    return {"schema_version": 2, "world_size": 2, "model": "gpt2-small-test", "layers": layers,
            "replicated": [], "notes": [], **top}


BAD_PLANS = [
    (_plan([], schema_version=3), "plan: schema_version 3 is not supported; expected 2 (or 1)"),
    (_plan([], layer=[]), "plan: unknown key 'layer'; did you mean 'layers'?"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "column", "gather": True}]),
     "h.0.mlp.c_fc: unknown key 'gather'; did you mean 'gather_output'?"),
    (_plan([{"module": "h.0.mlp.c_fcc", "strategy": "column"}]),
     "h.0.mlp.c_fcc: module not in the model; did you mean 'h.0.mlp.c_fc'?"),
    (_plan([{"module": "h.0.attn.c_attn", "strategy": "column"}], world_size=5),
     "h.0.attn.c_attn: 384 output features not divisible by world size 5"),
    (_plan([{"module": "h.0.attn.c_attn", "strategy": "column", "heads": 4}], world_size=3),
     "h.0.attn.c_attn: 4 heads not divisible by world size 3"),
    (_plan([{"module": "h.0.mlp.c_proj", "strategy": "row"}], world_size=3),
     "h.0.mlp.c_proj: 512 input features not divisible by world size 3"),
    (_plan([{"module": "wte", "strategy": "vocab"}], world_size=3),
     "wte: vocabulary of 1000 not divisible by world size 3"),
    (_plan([{"module": "h.0.ln_1", "strategy": "column"}]),
     "h.0.ln_1: strategy 'column' needs nn.Linear, Conv1D or nn.Conv2d, got LayerNorm"),
    (_plan([{"module": "h.0.ln_1", "strategy": "channel"}]),
     "h.0.ln_1: strategy 'channel' needs nn.BatchNorm2d or a grouped nn.Conv2d, got LayerNorm"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "colum"}]),
     "h.0.mlp.c_fc: unknown strategy 'colum'; did you mean 'column'?"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "row", "gather_output": True}]),
     "h.0.mlp.c_fc: 'gather_output' applies to strategy 'column' only, not 'row'"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "row", "node": 3}]),
     "h.0.mlp.c_fc: 'node' must be a string, got 3"),
    (_plan([], world_size=0), "plan: world_size must be a positive integer, got 0"),
    (_plan([], replicated=["ln_ff"]),
     "replicated: module 'ln_ff' not in the model; did you mean 'ln_f'?"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "column"},
            {"module": "h.0.mlp.c_fc", "strategy": "column"}]), "h.0.mlp.c_fc: listed twice"),
]


@pytest.mark.parametrize("plan,message", BAD_PLANS,
                         ids=[m.split(":")[0] + ":" + m.split(":")[1][:30] for _, m in BAD_PLANS])
def test_plan_validation_errors(gpt2, plan, message):
    with pytest.raises(ValueError) as e:
        validate_plan(plan, gpt2)
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


BAD_CONV_PLANS = [
    ({"module": "layer1.0.conv2", "strategy": "row"}, 3,
     "layer1.0.conv2: 64 input channels not divisible by world size 3"),
    ({"module": "layer1.0.conv1", "strategy": "column"}, 3,
     "layer1.0.conv1: 64 output channels not divisible by world size 3"),
    ({"module": "layer1.0.bn1", "strategy": "channel"}, 3,
     "layer1.0.bn1: 64 channels not divisible by world size 3"),
    ({"module": "layer1.0.conv1", "strategy": "channel"}, 2,
     "layer1.0.conv1: strategy 'channel' needs a grouped Conv2d (groups > 1), got groups=1"),
    ({"module": "layer1.0.bn1", "strategy": "row"}, 2,
     "layer1.0.bn1: strategy 'row' needs nn.Linear, Conv1D or nn.Conv2d, got BatchNorm2d"),
    ({"module": "layer1.0.conv1", "strategy": "column", "heads": 2}, 2,
     "layer1.0.conv1: 'heads' applies to linear projections, not Conv2d"),
]


@pytest.mark.parametrize("layer,world_size,message", BAD_CONV_PLANS,
                         ids=[m.split(":")[1][:40] for _, _, m in BAD_CONV_PLANS])
def test_conv_plan_validation_errors(resnet18, layer, world_size, message):
    with pytest.raises(ValueError) as e:
        validate_plan(_plan([layer], world_size=world_size, model="resnet18"), resnet18)
    assert str(e.value) == message


def test_schema_v1_plans_are_still_read(gpt2):
    plan = _plan([{"module": "h.0.mlp.c_fc", "strategy": "column"},
                  {"module": "h.0.mlp.c_proj", "strategy": "row"}], schema_version=1)
    assert [lp.strategy for lp in validate_plan(plan, gpt2).layers] == ["column", "row"]
    with pytest.raises(ValueError, match="strategy 'channel' needs schema_version 2"):
        validate_plan(_plan([{"module": "x", "strategy": "channel"}], schema_version=1))


def test_to_parallelize_plan_keys_and_styles(plan_of):
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel
    plan = _plan_only(plan_of("gpt2-small-test", 4))
    out = to_parallelize_plan(plan)
    assert set(out) == {lp["module"] for lp in plan["layers"]}
    assert isinstance(out["m.h.0.attn.c_attn"], ColwiseParallel)
    assert isinstance(out["m.h.0.attn.c_proj"], RowwiseParallel)
    assert isinstance(out["m.wte"], RowwiseParallel)


def test_to_parallelize_plan_rejects_conv(plan_of, resnet18):
    plan = _plan_only(plan_of("resnet18", 2))
    with pytest.raises(ValueError, match="^layer1.0.bn1: a convolution split"):
        to_parallelize_plan(plan)  # 'channel' entries, even without the model
    column_only = dict(plan, layers=[lp for lp in plan["layers"] if lp["strategy"] != "channel"])
    with pytest.raises(ValueError, match="^layer1.0.conv1: a convolution split"):
        to_parallelize_plan(column_only, resnet18)


def test_convert_on_one_rank_builds_the_parallel_layers(plan_of):
    """World size 1 (one process): the same classes, the same outputs; a plan for another world
    size is refused."""
    import torch.distributed as dist

    from graphs.tp.converter import convert
    from graphs.tp.verify import _free_port
    mlp, resnet = (build_model(m)[0] for m in ("mlp", "resnet18"))
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0,
                            world_size=1)
    try:
        with pytest.raises(ValueError, match="plan is for world size 2, torch.distributed has 1"):
            convert(copy.deepcopy(mlp), _plan_only(plan_of("mlp", 2)))
        tp = convert(copy.deepcopy(mlp), _plan_only(plan_of("mlp", 1)))
        assert isinstance(tp[0], ColumnParallelLinear) and isinstance(tp[2], RowParallelLinear)
        x = torch.randn(3, 32)
        assert torch.allclose(tp(x), mlp(x), atol=1e-6, rtol=0)
        tr = convert(copy.deepcopy(resnet), _plan_only(plan_of("resnet18", 2)) | {"world_size": 1})
        assert isinstance(tr.layer1[0].conv1, ColumnParallelConv2d)
        assert isinstance(tr.layer1[0].bn1, ChannelParallelBatchNorm2d)
        assert isinstance(tr.layer1[0].conv2, RowParallelConv2d)
        x = torch.randn(1, 3, 32, 32)
        assert torch.allclose(tr(x), resnet(x), atol=1e-4, rtol=1e-5)
    finally:
        dist.destroy_process_group()


def test_verify_fails_instead_of_hanging(planner_env):
    with pytest.raises(RuntimeError, match="verify mlp at world size 2: timed out after 0.2 s"):
        run_verify("mlp", 2, timeout_s=0.2)  # spawning alone takes longer
