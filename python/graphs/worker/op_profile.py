"""Per-operator time from the PyTorch profiler, after the measurement (`profile_ops` in the run
request; docs/worker-protocol.md, `done.op_times`).

torch.profiler with CPU activity over PROFILE_CALLS calls; from `prof.key_averages()` each op's
self CPU time (its own, children excluded) and call count, divided by the number of calls. The
profiler adds a few microseconds per op, so the times are an attribution of the call's time,
not a second latency measurement; on CUDA they are host-side time (launches), not kernel time.
Inductor's generated CPU kernels carry no op name: their time is the compiled region's self time.
"""

from __future__ import annotations

from typing import Any

from graphs.worker.runner import Runner, synchronize

PROFILE_CALLS = 5
MAX_OPS = 200


def op_times(runner: Runner, conversion: str) -> dict[str, Any]:
    """`{"op_times": [{"name", "self_s_per_call", "count_per_call"}, ...]}` sorted by time, at
    most MAX_OPS entries, or `{"op_times_unavailable": reason}`. Never raises for a profiler
    failure: the measurement is done and stays valid."""
    if not runner.torch_calls:
        return {"op_times_unavailable": f"profiler is torch-only: {conversion} does not run "
                                        "PyTorch operators"}
    try:
        from torch.profiler import ProfilerActivity, profile
        synchronize(runner)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(PROFILE_CALLS):
                runner.call()
            synchronize(runner)
        rows = []
        for evt in prof.key_averages():
            self_us = float(evt.self_cpu_time_total)
            if evt.count <= 0:
                continue
            rows.append({"name": str(evt.key), "self_s_per_call": self_us / 1e6 / PROFILE_CALLS,
                         "count_per_call": evt.count / PROFILE_CALLS})
    except Exception as e:  # noqa: BLE001
        return {"op_times_unavailable": f"the profiler failed: {type(e).__name__}: {e}"}
    rows.sort(key=lambda r: (-r["self_s_per_call"], r["name"]))
    return {"op_times": rows[:MAX_OPS]}
