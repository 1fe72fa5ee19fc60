"""The worker's `microbench` request (docs/worker-protocol.md, "Microbench"), driven as a
subprocess: one sample per case, a failing case among good ones, bad requests, Inductor's kernel
count."""

from __future__ import annotations

import os

import pytest

from test_worker_driver import Worker, worker_env

CASES = [
    {"id": "matmul/8x16x4", "op": "matmul", "m": 8, "k": 16, "n": 4},
    {"id": "conv2d/1x4x8x8-k8-r3", "op": "conv2d", "n": 1, "c": 4, "h": 8, "w": 8, "k": 8,
     "r": 3, "s": 3, "stride": 1, "pad": 1, "groups": 1},
    {"id": "conv2d/depthwise", "op": "conv2d", "n": 1, "c": 4, "h": 8, "w": 8, "k": 4,
     "r": 3, "s": 3, "stride": 2, "pad": 1, "groups": 4},
    {"id": "add/256", "op": "add", "numel": 256},
    {"id": "softmax/4x16", "op": "softmax", "rows": 4, "cols": 16},
    {"id": "transpose/2x3x4", "op": "transpose", "a": 2, "b": 3, "c": 4},
    {"id": "maxpool2d/1x2x8x8", "op": "maxpool2d", "n": 1, "c": 2, "h": 8, "w": 8, "r": 3,
     "stride": 2, "pad": 1},
    {"id": "noop", "op": "noop"},
    {"id": "chain/4", "op": "chain", "length": 4},
]
BAD_CONV = {"id": "conv2d/bad-groups", "op": "conv2d", "n": 1, "c": 6, "h": 8, "w": 8, "k": 8,
            "r": 3, "s": 3, "stride": 1, "pad": 1, "groups": 4}
BACKEND_MODULES = {"torch": ["torch"], "onnxruntime": ["onnx", "onnxruntime"],
                   "inductor": ["torch"]}


def microbench(backend: str, cases: list[dict], **kw) -> tuple[list[dict], int]:
    """(events after hello, exit status) of one microbench request."""
    req = {"type": "microbench", "backend": backend, "threads": 1, "min_time_s": 0.002,
           "repeats": 2, "cases": cases}
    req.update(kw)
    with Worker() as w:
        assert w.read()["type"] == "hello"
        w.send(req)
        events = []
        while (e := w.read()) is not None:
            events.append(e)
        return events, w.wait()


def samples(events: list[dict]) -> dict[str, dict]:
    return {e["id"]: e for e in events if e["type"] == "micro_sample"}


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_every_case_gets_a_positive_sample_then_done(backend):
    for module in BACKEND_MODULES[backend]:
        pytest.importorskip(module)
    events, status = microbench(backend, CASES)
    assert status == 0, events
    assert [e["type"] for e in events] == ["micro_sample"] * len(CASES) + ["microbench_done"]
    assert [e["id"] for e in events[:-1]] == [c["id"] for c in CASES]   # request order
    for s in events[:-1]:
        assert "error" not in s, s
        assert 0 < s["min_s"] <= s["median_s"] < 0.1, s
        assert s["calls"] >= 2                       # repeats = 2, at least one call a chunk
        assert s["kernels"] is None
    done = events[-1]
    assert done["backend"] == backend
    for module in BACKEND_MODULES[backend]:
        assert done["versions"][module]
    assert done["threads"] == 1


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_a_failing_case_gives_an_error_sample_and_the_others_still_run(backend):
    for module in BACKEND_MODULES[backend]:
        pytest.importorskip(module)
    cases = [CASES[0], BAD_CONV, CASES[5]]
    events, status = microbench(backend, cases, threads=None)
    assert status == 0, events
    got = samples(events)
    assert list(got) == [c["id"] for c in cases]
    bad = got[BAD_CONV["id"]]
    assert set(bad) == {"type", "id", "error"}
    assert bad["error"].startswith("ValueError: ") and "groups=4" in bad["error"]
    assert "\n" not in bad["error"]
    for c in (CASES[0], CASES[5]):
        assert got[c["id"]]["median_s"] > 0
    assert events[-1]["type"] == "microbench_done"


def test_chain_costs_more_than_noop_in_eager_torch():
    pytest.importorskip("torch")
    events, status = microbench("torch", [{"id": "noop", "op": "noop"},
                                          {"id": "chain/64", "op": "chain", "length": 64}],
                                min_time_s=0.01, repeats=3)
    assert status == 0, events
    got = samples(events)
    assert got["chain/64"]["median_s"] > 8 * got["noop"]["median_s"]   # 64 dispatches vs 1


@pytest.mark.parametrize("req, message", [
    ({"backend": "tensorflow"}, "unknown backend 'tensorflow'"),
    ({"cases": [{"id": "x", "op": "gelu"}]}, "unknown op 'gelu'"),
    ({"cases": [{"id": "x", "op": "matmul", "m": 2, "k": 2}]}, "lacks field 'n'"),
    ({"cases": [{"id": "x", "op": "add", "numel": 0}]}, "field 'numel' must be an integer >= 1"),
    ({"cases": [{"op": "noop"}]}, "has no string \"id\""),
    ({"repeats": 0}, "repeats must be an integer >= 1"),
    ({"min_time_s": -1}, "min_time_s must be a positive number"),
    ({"cases": None}, "\"cases\" must be a list"),
])
def test_a_bad_request_is_one_failed_error_event(req, message):
    req = dict(req)
    events, status = microbench(req.pop("backend", "torch"), req.pop("cases", CASES), **req)
    assert status == 3
    assert [e["type"] for e in events] == ["error"], events
    err = events[0]
    assert err["kind"] == "failed" and err["phase"] == "microbench"
    assert message in err["message"]


def test_a_missing_backend_package_is_unavailable_and_names_pip(tmp_path):
    pytest.importorskip("numpy")
    # A package that raises ImportError shadows the real torch, installed or not.
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    env = worker_env()
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    with Worker(env=env) as w:
        assert w.read()["type"] == "hello"
        w.send({"type": "microbench", "backend": "torch", "threads": None,
                "cases": [{"id": "noop", "op": "noop"}]})
        err = w.read()
        assert w.read() is None
        assert w.wait() == 3
    assert err["type"] == "error" and err["kind"] == "unavailable", err
    assert "pip install torch" in err["message"] and "hidden by the test" in err["message"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_onnx_graph_computes_what_the_torch_function_computes(case):
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from graphs.worker import microbench as mb
    rng = np.random.default_rng(0)
    c = mb.OPS[case["op"]][1](case, lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32))
    want, _ = mb._torch_call(torch, c, compiled=False)
    got = mb._ort_call(ort, c, threads=1)()
    assert len(got) == 1
    np.testing.assert_allclose(got[0], want().numpy(), rtol=1e-4, atol=1e-5)


def test_inductor_reports_generated_kernels():
    pytest.importorskip("torch")
    events, status = microbench("inductor", [{"id": "noop", "op": "noop"}], min_time_s=0.005)
    assert status == 0, events
    s = samples(events)["noop"]
    assert "error" not in s, s
    assert s["median_s"] > 0
    assert isinstance(s["kernels"], int) and s["kernels"] >= 1, s
    assert events[-1]["threads"] == 1
