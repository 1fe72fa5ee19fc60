"""Entry point: `python -m graphs.worker [--no-outputs]` (docs/worker-protocol.md, version 1).

--no-outputs: write no output files and send no `outputs` event; conversions work in a private
temporary folder (removed at exit) instead of the request's `output_dir`. For workers on another
machine (`graphs bench --remote`): `output_dir` names a folder of the orchestrator's machine,
and files written there could not be read back, so the orchestrator skips the output check.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphs.worker.protocol import Channel
    from graphs.worker.runner import RunContext

USAGE = "usage: python -m graphs.worker [--no-outputs]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    unknown = [a for a in args if a != "--no-outputs"]
    if unknown:
        print(f"graphs.worker: unknown argument(s) {' '.join(unknown)}; {USAGE}", file=sys.stderr)
        return 2
    write_outputs = "--no-outputs" not in args
    from graphs.worker.protocol import PROTOCOL_VERSION, Channel, failed
    chan = Channel()
    chan.send({"type": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid(),
               "python": platform.python_version(), "platform": platform.machine()})
    while True:
        try:
            req = chan.receive()
            if req is None:
                return 0
            kind = req["type"]
            if kind == "probe":
                from graphs.worker.probe import probe
                chan.send(probe())
            elif kind == "run":
                run(chan, req, write_outputs)
                return 0
            elif kind == "microbench":
                from graphs.worker.microbench import microbench
                microbench(chan, req)
                return 0
            elif kind == "stop":
                return 0
            else:
                raise failed(f"unknown request type {kind!r}; expected probe, run or microbench")
        except SystemExit:
            raise
        except BaseException as e:  # noqa: BLE001 - every failure is one error event
            chan.fail(e)


def _threads(req: dict[str, Any]) -> int | None:
    from graphs.worker.protocol import failed
    t = req.get("threads")
    if t is None:
        return None
    if not isinstance(t, int) or isinstance(t, bool) or t < 1:
        raise failed(f"threads must be a positive integer or null, got {t!r}")
    return t


def run(chan: Channel, req: dict[str, Any], write_outputs: bool = True) -> None:
    if write_outputs:
        _run(chan, req, True, None)
        return
    scratch = tempfile.mkdtemp(prefix="graphs-worker-")
    try:
        _run(chan, req, False, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(chan: Channel, req: dict[str, Any], write_outputs: bool, scratch: str | None) -> None:
    from graphs.worker import conversions
    from graphs.worker.protocol import failed, limit_threads, not_applicable
    from graphs.worker.runner import RunContext, synchronize, time_chunk

    chan.set_phase("load")
    t_load = time.perf_counter()
    name = req.get("conversion")
    try:
        conv = conversions.lookup(name, req.get("worker")) if isinstance(name, str) else None
    except ValueError as e:
        raise failed(str(e)) from e
    if conv is None:
        known = ", ".join(sorted(conversions.table()))
        raise failed(f"unknown conversion {name!r}; this worker knows: {known}")
    device = conv.device or req.get("device") or "cpu"
    if device not in ("cpu", "cuda"):
        raise failed(f"device must be cpu or cuda, got {device!r}")
    if conv.device and req.get("device") not in (None, conv.device):
        print(f"graphs.worker: {conv.name} runs on {conv.device} only; "
              f"ignoring device {req.get('device')!r}", file=sys.stderr)
    threads = _threads(req)
    limit_threads(threads)
    output_dir = scratch or req.get("output_dir") or os.path.join(
        os.getcwd(), f"graphs-worker-{os.getpid()}")
    os.makedirs(output_dir, exist_ok=True)
    seed = req.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise failed(f"seed must be a non-negative integer, got {seed!r}")
    chunk_min_time_s = float(req.get("chunk_min_time_s", 0.05))
    profile_ops = req.get("profile_ops", False)
    if not isinstance(profile_ops, bool):
        raise failed(f"profile_ops must be true or false, got {profile_ops!r}")

    convert = conversions.load(conv)
    if conv.test_only:
        model, arrays = None, []
    else:
        from graphs.worker import inputs, models
        source = (req.get("model") or {}).get("source")
        if source == "onnx" and not conv.onnx_source:
            from graphs.worker.torch_common import not_applicable_to_onnx
            raise not_applicable(not_applicable_to_onnx(conv.name))
        if source != "onnx" and not conv.torch_source:
            raise not_applicable(f"{conv.name} applies to ONNX sources only")
        model = models.load(req)
        arrays = inputs.generate(model.input_specs, seed)
        print(f"graphs.worker: {conv.name} on {device}: {model.description}, inputs "
              + ", ".join(f"{s.name}{list(s.shape)}:{s.dtype}/{s.kind}" for s in model.input_specs),
              file=sys.stderr, flush=True)
    ctx = RunContext(request=req, conversion=conv, device=device, model=model, arrays=arrays,
                     output_dir=output_dir, threads=threads)
    load_s = time.perf_counter() - t_load

    chan.set_phase("convert")
    t0 = time.perf_counter()
    runner = convert(ctx, **conv.options)
    synchronize(runner)
    convert_s = time.perf_counter() - t0

    chan.set_phase("first_call")
    t0 = time.perf_counter()
    out = runner.call()
    synchronize(runner)
    first_call_s = time.perf_counter() - t0
    if runner.fetch_outputs is not None and write_outputs:
        out = runner.fetch_outputs()
    chan.send({"type": "cold_start", "load_s": load_s, "convert_s": convert_s,
               "first_call_s": first_call_s})
    if not write_outputs:
        print("graphs.worker: --no-outputs: the first call's outputs are not written (remote "
              "run); the orchestrator cannot check them", file=sys.stderr, flush=True)
    elif not conv.test_only:
        from graphs.worker import outputs
        try:
            event = outputs.write(out, output_dir)
        except Exception as e:  # noqa: BLE001
            raise failed(f"cannot write the outputs: {type(e).__name__}: {e}") from e
        chan.send(event)
    del out

    from graphs.worker.energy import EnergyMeter
    meter = EnergyMeter.open(device)
    measured_calls = 0

    chan.set_phase("warmup")
    phase, n_calls = "warmup", None
    while True:
        if phase == "measure" and not meter.started:
            meter.start()
        lat = time_chunk(runner, chunk_min_time_s, n_calls)
        if phase == "measure":
            meter.lap()
            measured_calls += len(lat)
        chan.send({"type": "chunk", "phase": phase, "latency_s": lat})
        reply = chan.receive()
        if reply is None:
            raise failed("the orchestrator closed stdin while a reply to a chunk was awaited")
        if reply["type"] == "stop":
            break
        if reply["type"] != "continue":
            raise failed(f"expected continue or stop after a chunk, got {reply['type']!r}")
        next_phase = reply.get("phase", phase)
        if next_phase not in ("warmup", "measure"):
            raise failed(f"continue names phase {next_phase!r}; expected warmup or measure")
        if next_phase != phase:
            if next_phase == "warmup":
                raise failed("continue returns to warmup after measure began")
            phase = next_phase
            chan.set_phase(phase)
        k = reply.get("n_calls")
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 0):
            raise failed(f"n_calls must be a non-negative integer, got {k!r}")
        n_calls = k
    extras: dict[str, Any] = {"generated_kernels": runner.generated_kernels,
                              "energy": meter.result(measured_calls)}
    if profile_ops:
        from graphs.worker.op_profile import op_times
        extras.update(op_times(runner, conv.name))
    if runner.cleanup is not None:
        runner.cleanup()
    chan.send(done_event(ctx) | extras)


def done_event(ctx: RunContext) -> dict[str, Any]:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_rss = rss * 1024 if sys.platform != "darwin" else rss
    gpu = None
    threads = ctx.threads
    torch = sys.modules.get("torch")
    if torch is not None:
        threads = torch.get_num_threads()
        if ctx.device == "cuda" and torch.cuda.is_available() and torch.cuda.is_initialized():
            gpu = int(torch.cuda.max_memory_allocated())
    if threads is None:
        threads = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else os.cpu_count())
    versions = {}
    for name in ("torch", "torchvision", "transformers", "onnx", "onnxruntime", "openvino",
                 "torchao", "torch_tensorrt", "tensorrt", "numpy"):
        mod = sys.modules.get(name)
        if mod is not None:
            versions[name] = str(getattr(mod, "__version__", "unknown")).split("-")[0]
    return {"type": "done", "peak_rss_bytes": int(peak_rss), "peak_gpu_memory_bytes": gpu,
            "threads": threads, "versions": versions}


if __name__ == "__main__":
    sys.exit(main())
