"""The `microbench` request (docs/worker-protocol.md, "Microbench"): single ops timed on the CPU.

`graphs calibrate` sends one request listing cases (a matmul, a conv, an elementwise add, a
softmax, the per-call cost of a one-element op, a chain of dependent one-element ops) and fits its
hardware model to the times (src/graphs/calibrate/op_microbench.h); this module only measures.

Every case is float32, contiguous, on the CPU. Its arrays come from
numpy.random.default_rng(0), uniform in [-1, 1), and are made once; the backend's function is
built (and compiled, for Inductor) outside the timed region, warmed up, then timed in `repeats`
chunks of at least `min_time_s` seconds each (time.perf_counter_ns around the chunk's loop).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from graphs.worker.protocol import Channel, classify, failed, limit_threads, require_module

WARMUP_MIN_S = 0.02
WARMUP_MIN_CALLS = 3
#: A chunk reads the clock about this many times, so that reading it costs little per call.
CLOCK_READS_PER_CHUNK = 8
ONNX_OPSET = 17
ONNX_IR_VERSION = 8         # the IR version of opset 17 (ONNX 1.12), read by every ORT release


@dataclass
class Case:
    """One op instance. Graph inputs are fed on every call; weights are constants (torch: tensors
    captured by the function; ONNX: initializers). `torch_fn(torch, weights)` returns
    fn(*inputs); `onnx_nodes(onnx.helper)` returns nodes from x0, x1, … and w0, w1, … to y."""
    inputs: list[Any]
    weights: list[Any]
    torch_fn: Callable[..., Any]
    onnx_nodes: Callable[..., Any]


def _uniform(np: Any, rng: Any) -> Callable[..., Any]:
    """u(*shape): a float32 array of `shape`, uniform in [-1, 1), drawn from `rng`."""
    return lambda *shape: rng.uniform(-1.0, 1.0, shape).astype(np.float32)


def _matmul(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """X[m,k] @ W[k,n]."""
    return Case([u(c["m"], c["k"])], [u(c["k"], c["n"])],
                lambda t, w: lambda x: t.matmul(x, w[0]),
                lambda h: [h.make_node("MatMul", ["x0", "w0"], ["y"])])


def _conv2d(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """X[n,c,h,w] * W[k,c/groups,r,s] + B[k], stride, symmetric pad."""
    ch, k, g, st, p = c["c"], c["k"], c["groups"], c["stride"], c["pad"]
    if ch % g or k % g:
        raise ValueError(f"conv2d: c={ch} and k={k} must both be divisible by groups={g}")
    return Case([u(c["n"], ch, c["h"], c["w"])], [u(k, ch // g, c["r"], c["s"]), u(k)],
                lambda t, w: lambda x: t.nn.functional.conv2d(x, w[0], w[1], st, p, 1, g),
                lambda h: [h.make_node("Conv", ["x0", "w0", "w1"], ["y"], strides=[st, st],
                                       pads=[p, p, p, p], group=g)])


def _add(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """a + b over numel elements, both graph inputs."""
    return Case([u(c["numel"]), u(c["numel"])], [],
                lambda t, w: lambda a, b: t.add(a, b),
                lambda h: [h.make_node("Add", ["x0", "x1"], ["y"])])


def _softmax(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """softmax of X[rows, cols] over the last axis."""
    return Case([u(c["rows"], c["cols"])], [],
                lambda t, w: lambda x: t.softmax(x, dim=-1),
                lambda h: [h.make_node("Softmax", ["x0"], ["y"], axis=-1)])


def _transpose(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """X[a, b, c] → Y[b, a, c], materialized: the copy a channel shuffle or a head split does."""
    return Case([u(c["a"], c["b"], c["c"])], [],
                lambda t, w: lambda x: x.transpose(0, 1).contiguous(),
                lambda h: [h.make_node("Transpose", ["x0"], ["y"], perm=[1, 0, 2])])


def _maxpool2d(c: dict[str, Any], u: Callable[..., Any]) -> Case:
    """max pooling of X[n,c,h,w] with an r×r window, stride, symmetric pad."""
    r, st, p = c["r"], c["stride"], c["pad"]
    return Case([u(c["n"], c["c"], c["h"], c["w"])], [],
                lambda t, w: lambda x: t.nn.functional.max_pool2d(x, r, st, p),
                lambda h: [h.make_node("MaxPool", ["x0"], ["y"], kernel_shape=[r, r],
                                       strides=[st, st], pads=[p, p, p, p])])


def _chain(length: int, u: Callable[..., Any]) -> Case:
    """`length` dependent one-element adds, y = x + 1 + 1 …, in one call."""
    import numpy as np

    def torch_fn(t: Any, w: list[Any]) -> Callable[[Any], Any]:
        def chain(x: Any) -> Any:
            y = x
            for _ in range(length):
                y = y + 1
            return y
        return chain

    names = ["x0"] + [f"t{i}" for i in range(1, length)] + ["y"]
    return Case([u(1)], [np.ones(1, dtype=np.float32)], torch_fn,
                lambda h: [h.make_node("Add", [names[i], "w0"], [names[i + 1]])
                           for i in range(length)])


#: op → (required integer fields with their minimum, builder(case, uniform)).
OPS: dict[str, tuple[dict[str, int], Callable[..., Case]]] = {
    "matmul": ({"m": 1, "k": 1, "n": 1}, _matmul),
    "conv2d": ({"n": 1, "c": 1, "h": 1, "w": 1, "k": 1, "r": 1, "s": 1, "stride": 1, "pad": 0,
                "groups": 1}, _conv2d),
    "add": ({"numel": 1}, _add),
    "softmax": ({"rows": 1, "cols": 1}, _softmax),
    "transpose": ({"a": 1, "b": 1, "c": 1}, _transpose),
    "maxpool2d": ({"n": 1, "c": 1, "h": 1, "w": 1, "r": 1, "stride": 1, "pad": 0}, _maxpool2d),
    "noop": ({}, lambda c, u: _chain(1, u)),
    "chain": ({"length": 1}, lambda c, u: _chain(c["length"], u)),
}

#: backend → the modules it imports, as (module, pip package).
BACKENDS = {"torch": [("numpy", "numpy"), ("torch", "torch")],
            "inductor": [("numpy", "numpy"), ("torch", "torch")],
            "onnxruntime": [("numpy", "numpy"), ("onnx", "onnx"), ("onnxruntime", "onnxruntime")]}


def _validate(req: dict[str, Any]) -> tuple[str, int | None, float, int, list[dict[str, Any]]]:
    """(backend, threads, min_time_s, repeats, cases) of a request, or a `failed` error."""
    def positive_int(v: Any, what: str, minimum: int = 1) -> int:
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            raise failed(f"microbench: {what} must be an integer >= {minimum}, got {v!r}")
        return v

    backend = req.get("backend")
    if backend not in BACKENDS:
        raise failed(f"microbench: unknown backend {backend!r}; expected one of "
                     f"{', '.join(BACKENDS)}")
    threads = req.get("threads")
    if threads is not None:
        positive_int(threads, "threads")
    min_time_s = req.get("min_time_s", 0.05)
    if not isinstance(min_time_s, (int, float)) or isinstance(min_time_s, bool) \
            or not min_time_s > 0:
        raise failed(f"microbench: min_time_s must be a positive number, got {min_time_s!r}")
    repeats = positive_int(req.get("repeats", 3), "repeats")
    cases = req.get("cases")
    if not isinstance(cases, list):
        raise failed("microbench: \"cases\" must be a list of case objects")
    for i, c in enumerate(cases):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            raise failed(f"microbench: case {i} has no string \"id\": {c!r}")
        if c.get("op") not in OPS:
            raise failed(f"microbench: case {c['id']!r}: unknown op {c.get('op')!r}; expected "
                         f"one of {', '.join(OPS)}")
        for name, minimum in OPS[c["op"]][0].items():
            if name not in c:
                raise failed(f"microbench: case {c['id']!r} ({c['op']}) lacks field {name!r}")
            positive_int(c[name], f"case {c['id']!r} field {name!r}", minimum)
    return backend, threads, float(min_time_s), repeats, cases


def _torch_call(torch: Any, case: Case,
                compiled: bool) -> tuple[Callable[[], Any], int | None]:
    """(call, kernels): eager, or torch.compile'd and compiled by a first call (not timed)."""
    xs = [torch.from_numpy(a) for a in case.inputs]
    fn = case.torch_fn(torch, [torch.from_numpy(a) for a in case.weights])
    if not compiled:
        return (lambda: fn(*xs)), None
    torch._dynamo.reset()
    metrics: ModuleType | None
    try:
        import torch._inductor.metrics as metrics
    except ImportError:
        metrics = None
    count = getattr(metrics, "generated_kernel_count", None)
    fn = torch.compile(fn)
    fn(*xs)
    kernels = None
    if isinstance(count, int) and metrics is not None:
        kernels = int(metrics.generated_kernel_count) - count
    return (lambda: fn(*xs)), kernels


def _ort_call(ort: Any, case: Case, threads: int | None) -> Callable[[], Any]:
    """sess.run of a one-case ONNX graph (opset 17) on the CPU execution provider."""
    from onnx import TensorProto, helper, numpy_helper
    inputs = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, list(a.shape))
              for i, a in enumerate(case.inputs)]
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(a, f"w{i}") for i, a in enumerate(case.weights)]
    graph = helper.make_graph(case.onnx_nodes(helper), "microbench", inputs, [output],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = ONNX_IR_VERSION
    so = ort.SessionOptions()
    if threads is not None:
        so.intra_op_num_threads = threads
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    feeds = {f"x{i}": a for i, a in enumerate(case.inputs)}
    return lambda: sess.run(None, feeds)


def measure(call: Callable[[], Any], min_time_s: float, repeats: int) -> tuple[float, float, int]:
    """(median_s, min_s, calls): median and minimum over `repeats` chunks of the per-call time
    (s, chunk time / calls), each chunk calling `call` until min_time_s (s) have passed, after a
    warm-up of ≥ WARMUP_MIN_S s and ≥ WARMUP_MIN_CALLS calls; `calls` counts the timed calls.
    Calls go in batches sized from the warm-up, so that the clock is read about
    CLOCK_READS_PER_CHUNK times a chunk."""
    n, t0 = 0, time.perf_counter_ns()
    while n < WARMUP_MIN_CALLS or time.perf_counter_ns() - t0 < WARMUP_MIN_S * 1e9:
        call()
        n += 1
    per_call_s = (time.perf_counter_ns() - t0) / 1e9 / n
    batch = max(1, int(min_time_s / CLOCK_READS_PER_CHUNK / per_call_s))
    min_time_ns = min_time_s * 1e9
    times, total = [], 0
    for _ in range(repeats):
        calls, start = 0, time.perf_counter_ns()
        while True:
            for _ in range(batch):
                call()
            calls += batch
            elapsed_ns = time.perf_counter_ns() - start
            if elapsed_ns >= min_time_ns:
                break
        times.append(elapsed_ns / 1e9 / calls)
        total += calls
    return statistics.median(times), min(times), total


def microbench(chan: Channel, req: dict[str, Any]) -> None:
    """Runs every case of a `microbench` request, one `micro_sample` each as soon as it is
    measured, then `microbench_done`. A bad request or a missing package raises WorkerError."""
    chan.phase = "microbench"       # names the phase of an error event; no `phase` event is sent
    backend, threads, min_time_s, repeats, cases = _validate(req)
    limit_threads(threads)
    mods = {name: require_module(name, pip, f"microbench backend '{backend}'")
            for name, pip in BACKENDS[backend]}
    np, torch = mods["numpy"], mods.get("torch")
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    for c in cases:
        try:
            case = OPS[c["op"]][1](c, _uniform(np, np.random.default_rng(0)))
            context = torch.inference_mode() if torch is not None else contextlib.nullcontext()
            with context:
                if backend == "onnxruntime":
                    call, kernels = _ort_call(mods["onnxruntime"], case, threads), None
                else:
                    call, kernels = _torch_call(torch, case, compiled=backend == "inductor")
                median_s, min_s, calls = measure(call, min_time_s, repeats)
            chan.send({"type": "micro_sample", "id": c["id"], "median_s": median_s,
                       "min_s": min_s, "calls": calls, "kernels": kernels})
        except Exception as e:  # noqa: BLE001 - one failing case never stops the others
            traceback.print_exc(file=sys.stderr)
            chan.send({"type": "micro_sample", "id": c["id"],
                       "error": classify(e, "microbench")[1]})
    versions = {name: str(getattr(m, "__version__", "unknown")).split("-")[0]
                for name, m in mods.items()}
    chan.send({"type": "microbench_done", "backend": backend, "versions": versions,
               "threads": torch.get_num_threads() if torch is not None else threads})
