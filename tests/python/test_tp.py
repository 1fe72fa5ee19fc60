"""graphs.tp: TP-sharded models against the unsharded ones on spawned gloo processes (CPU), plan
validation, and the torch.distributed.tensor.parallel translation."""

from __future__ import annotations

import copy
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from graphs.tp import (ColumnParallelLinear, RowParallelLinear, plan_for_model,  # noqa: E402
                       to_parallelize_plan, validate_plan)
from graphs.tp.verify import TOLERANCE, build_model, run_verify  # noqa: E402

TIMEOUT_S = 240  # a hung collective fails the test instead of hanging it
# Small transformers configs (random weights): GPT-2 with and without its tied LM head, Llama with
# grouped-query attention, BERT with its pooler; an MLP and a CNN.
RUNS = {2: ("mlp", "cnn", "gpt2-small-test", "gpt2-lm-test", "llama-test", "bert-test"),
        4: ("mlp", "cnn", "gpt2-lm-test", "llama-test", "bert-test")}


@pytest.fixture(scope="module")
def verify_results():
    """One spawned process group per world size runs every model's checks (spawn is the cost)."""
    cache = {}

    def get(world_size: int) -> dict:
        if world_size not in cache:
            rows = run_verify(list(RUNS[world_size]), world_size, timeout_s=TIMEOUT_S)
            cache[world_size] = {(r["model"], r["check"]): r for r in rows}
        return cache[world_size]
    return get


CASES = [(m, n) for n, ms in RUNS.items() for m in ms]


@pytest.mark.parametrize("model,world_size", CASES, ids=[f"{m}-tp{n}" for m, n in CASES])
def test_sharded_matches_unsharded(verify_results, model, world_size):
    rows = verify_results(world_size)
    for check in ("forward", "grad", "sgd_step"):
        r = rows[(model, check)]
        assert r["max_abs_error"] <= TOLERANCE, json.dumps(r)
        assert r["ok"]


@pytest.mark.parametrize("model,world_size", CASES, ids=[f"{m}-tp{n}" for m, n in CASES])
def test_per_rank_params_sum_to_total_plus_replicas(verify_results, model, world_size):
    r = verify_results(world_size)[(model, "param_bytes")]
    per_rank = r["per_rank_bytes"]
    assert len(per_rank) == world_size
    assert sum(per_rank) == r["total_bytes"] + (world_size - 1) * r["replicated_bytes"], json.dumps(r)
    assert max(per_rank) < r["total_bytes"]  # something was actually split


@pytest.mark.parametrize("world_size", [2, 4])
def test_real_gpt2_with_the_cpp_plan(graphs, monkeypatch, world_size):
    """GPT-2 (124M, the real config, random weights) converted with the C++ planner's plan: outputs,
    gradients and a training step equal to the unsharded model; per-rank bytes equal to the
    planner's figure exactly; plan_for_model derives the same plan."""
    monkeypatch.setenv("GRAPHS_BIN", str(graphs))
    rows = {r["check"]: r for r in run_verify("gpt2", world_size, timeout_s=TIMEOUT_S * 2)}
    for check in ("forward", "grad", "sgd_step", "param_bytes", "planner"):
        assert rows[check]["ok"], json.dumps(rows[check])
    assert rows["param_bytes"]["per_rank_bytes"] == [rows["param_bytes"]["planner_per_rank_bytes"]] * world_size
    assert rows["forward"]["plan_source"] == "graphs tp (C++ planner)"


def test_tied_lm_head_shares_the_embedding_shard():
    """GPT2LMHeadModel: lm_head and wte split together; alone, the plan is refused."""
    model = build_model("gpt2-lm-test")[0]
    plan = plan_for_model(model, 2).to_json()
    by_module = {lp["module"]: lp for lp in plan["layers"]}
    assert by_module["transformer.wte"]["strategy"] == "vocab"
    assert by_module["lm_head"] == {"module": "lm_head", "strategy": "column", "gather_output": True}
    from graphs.tp.convert import _check_ties
    alone = dict(plan, layers=[lp for lp in plan["layers"] if lp["module"] != "lm_head"])
    with pytest.raises(ValueError, match="^transformer.wte: weight tied to 'lm_head', which the plan "
                                         "does not split"):
        _check_ties(validate_plan(alone, model), dict(model.named_modules()))
    # Vocabulary 1000 does not split 3 ways: neither the embedding nor the tied head splits.
    plan3 = plan_for_model(model, 3)
    assert {"transformer.wte", "lm_head"}.isdisjoint(lp.module for lp in plan3.layers)


def test_plan_for_llama_and_bert():
    llama = build_model("llama-test")[0]
    p = {lp.module: lp for lp in plan_for_model(llama, 4).layers}
    assert p["model.layers.0.self_attn.q_proj"].heads == 8
    assert p["model.layers.0.self_attn.k_proj"].strategy == "column"
    assert p["model.layers.0.self_attn.o_proj"].strategy == "row"
    assert p["model.layers.1.mlp.down_proj"].strategy == "row"
    assert p["lm_head"].gather_output and p["model.embed_tokens"].strategy == "vocab"
    # 4 KV heads do not split 8 ways: attention stays whole, the MLP still splits.
    p8 = {lp.module for lp in plan_for_model(llama, 8).layers}
    assert "model.layers.0.self_attn.q_proj" not in p8 and "model.layers.0.mlp.up_proj" in p8
    bert = build_model("bert-test")[0]
    pb = {lp.module: lp for lp in plan_for_model(bert, 2).layers}
    assert pb["encoder.layer.0.attention.self.query"].heads == 4
    assert pb["encoder.layer.0.attention.output.dense"].strategy == "row"
    assert pb["pooler.dense"].gather_output
    assert "embeddings.token_type_embeddings" not in pb


def _gpt2():
    return build_model("gpt2-small-test")[0]


@pytest.fixture(scope="module")
def gpt2():
    return _gpt2()


def test_plan_for_gpt2_is_megatron(gpt2):
    plan = plan_for_model(gpt2, 2).to_json()
    by_module = {lp["module"]: lp for lp in plan["layers"]}
    assert by_module["h.0.attn.c_attn"] == {"module": "h.0.attn.c_attn", "strategy": "column",
                                            "gather_output": False, "heads": 4}
    assert by_module["h.1.attn.c_proj"]["strategy"] == "row"
    assert by_module["h.0.mlp.c_fc"]["strategy"] == "column"
    assert by_module["h.1.mlp.c_proj"] == {"module": "h.1.mlp.c_proj", "strategy": "row",
                                           "input_is_parallel": True}
    assert by_module["wte"]["strategy"] == "vocab"
    assert {"wpe", "ln_f", "h.0.ln_1"} <= set(plan["replicated"])
    assert validate_plan(json.loads(json.dumps(plan)), gpt2).to_json() == plan  # round trip


def _plan(layers, **top):
    return {"schema_version": 1, "world_size": 2, "model": "gpt2-small-test", "layers": layers,
            "replicated": [], "notes": [], **top}


BAD_PLANS = [
    (_plan([], schema_version=2), "plan: schema_version 2 is not supported; expected 1"),
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
     "h.0.ln_1: strategy 'column' needs nn.Linear or Conv1D, got LayerNorm"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "colum"}]),
     "h.0.mlp.c_fc: unknown strategy 'colum'; did you mean 'column'?"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "row", "gather_output": True}]),
     "h.0.mlp.c_fc: 'gather_output' applies to strategy 'column' only, not 'row'"),
    (_plan([], world_size=0), "plan: world_size must be a positive integer, got 0"),
    (_plan([], replicated=["ln_ff"]), "replicated: module 'ln_ff' not in the model; did you mean 'ln_f'?"),
    (_plan([{"module": "h.0.mlp.c_fc", "strategy": "column"},
            {"module": "h.0.mlp.c_fc", "strategy": "column"}]), "h.0.mlp.c_fc: listed twice"),
]


@pytest.mark.parametrize("plan,message", BAD_PLANS, ids=[m.split(":")[0] + ":" + m.split(":")[1][:30]
                                                        for _, m in BAD_PLANS])
def test_plan_validation_errors(gpt2, plan, message):
    with pytest.raises(ValueError) as e:
        validate_plan(plan, gpt2)
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


def test_to_parallelize_plan_keys_and_styles(gpt2):
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel
    plan = plan_for_model(gpt2, 4)
    out = to_parallelize_plan(plan)
    expected = {lp.module for lp in plan.layers if lp.strategy != "replicate"}
    assert set(out) == expected
    assert isinstance(out["h.0.attn.c_attn"], ColwiseParallel)
    assert isinstance(out["h.0.attn.c_proj"], RowwiseParallel)
    assert isinstance(out["wte"], RowwiseParallel)
    assert set(to_parallelize_plan(plan.to_json())) == expected  # a plan.json dict works too


def test_to_parallelize_plan_rejects_conv():
    cnn = build_model("cnn")[0]
    with pytest.raises(ValueError, match="^0: conv_out_channel has no torch.distributed"):
        to_parallelize_plan(plan_for_model(cnn, 2))


def test_plan_for_mlp_pairs_column_then_row():
    mlp = build_model("mlp")[0]
    plan = plan_for_model(mlp, 4)
    assert [(lp.module, lp.strategy) for lp in plan.layers] == [
        ("0", "column"), ("2", "row"), ("4", "column"), ("6", "row")]
    assert plan.replicated == ("3",)


def test_convert_rejects_mismatched_world_size(tmp_path):
    import torch.distributed as dist
    from graphs.tp import convert
    from graphs.tp.verify import _free_port
    mlp = build_model("mlp")[0]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    try:
        with pytest.raises(ValueError, match="plan is for world size 2, torch.distributed has 1"):
            convert(copy.deepcopy(mlp), plan_for_model(mlp, 2))
        tp = convert(copy.deepcopy(mlp), plan_for_model(mlp, 1))  # world size 1: same function
        assert isinstance(tp[0], ColumnParallelLinear) and isinstance(tp[2], RowParallelLinear)
        x = torch.randn(3, 32)
        assert torch.allclose(tp(x), mlp(x), atol=TOLERANCE, rtol=0)
    finally:
        dist.destroy_process_group()


def test_verify_fails_instead_of_hanging():
    with pytest.raises(RuntimeError, match="verify mlp at world size 2: timed out after 0.2 s"):
        run_verify("mlp", 2, timeout_s=0.2)  # spawning alone takes longer
