"""What a backend's convert step returns, and the timing of chunks of calls."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from graphs.worker.inputs import InputSpec


@dataclass
class Runner:
    """One inference on the run's prepared inputs.

    call: runs the model once and returns its outputs (any nesting of tensors/arrays).
    cuda_events: time with torch.cuda events and a synchronize after each call (PyTorch on a
      GPU); otherwise time.perf_counter_ns around the call, which must then be synchronous
      (ONNX Runtime and OpenVINO return when the outputs are ready).
    torch_calls: `call` runs PyTorch operators (torch.profiler can attribute its time to ops);
      False for ONNX Runtime, OpenVINO and the test conversions.
    generated_kernels: kernels Inductor generated while converting (torch._inductor.metrics
      .generated_kernel_count, its increase over the compiling call); None for other backends.
    """
    call: Callable[[], Any]
    cuda_events: bool = False
    cleanup: Callable[[], None] | None = None
    #: The last call's outputs on the host, when `call` returns device-side handles (ONNX
    #: Runtime I/O binding); used once, for the `outputs` event, outside any timed region.
    fetch_outputs: Callable[[], Any] | None = None
    torch_calls: bool = False
    generated_kernels: int | None = None


#: A chunk of a fixed number of calls ends early after this long, so that the orchestrator
#: hears from the worker within its phase limit; it then asks for the remaining calls.
FIXED_CHUNK_MAX_S = 10.0


def time_chunk(runner: Runner, min_time_s: float, n_calls: int | None) -> list[float]:
    """Per-call latencies (s) of calls back to back until the chunk has lasted `min_time_s`,
    or, with `n_calls`, `n_calls` calls (fewer if the chunk reaches FIXED_CHUNK_MAX_S). Only
    the call is inside the timed region."""
    lat: list[float] = []
    if n_calls is not None and n_calls <= 0:
        return lat
    call = runner.call
    min_ns = int(min_time_s * 1e9)
    max_ns = int(FIXED_CHUNK_MAX_S * 1e9)
    if runner.cuda_events:
        import torch
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        t0 = time.perf_counter_ns()
        while True:
            start.record()
            call()
            end.record()
            end.synchronize()
            lat.append(start.elapsed_time(end) / 1e3)   # ms → s
            if n_calls is not None:
                if len(lat) >= n_calls or time.perf_counter_ns() - t0 >= max_ns:
                    break
            elif time.perf_counter_ns() - t0 >= min_ns:
                break
        return lat
    perf = time.perf_counter_ns
    t0 = perf()
    while True:
        a = perf()
        call()
        b = perf()
        lat.append((b - a) / 1e9)
        if n_calls is not None:
            if len(lat) >= n_calls or b - t0 >= max_ns:
                break
        elif b - t0 >= min_ns:
            break
    return lat


def synchronize(runner: Runner) -> None:
    if runner.cuda_events:
        import torch
        torch.cuda.synchronize()


@dataclass
class RunContext:
    """Everything a backend's convert function needs; built in the `load` phase."""
    request: dict[str, Any]
    conversion: Any                  # conversions.Conversion
    device: str                      # "cpu" | "cuda"
    model: Any                       # models.LoadedModel
    arrays: list[Any]                # numpy inputs, in input_specs order (generated once)
    output_dir: str
    threads: int | None              # requested intra-op threads (None: backend default)
    onnx_cache: dict[str, Any] | None = None

    @property
    def input_specs(self) -> list[InputSpec]:
        specs: list[InputSpec] = self.model.input_specs
        return specs
