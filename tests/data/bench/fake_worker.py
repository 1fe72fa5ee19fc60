#!/usr/bin/env python3
"""A torch-free worker speaking protocol v1 (docs/worker-protocol.md), for the orchestrator's tests.

Every conversion behaves like TEST_SLEEP (times time.sleep(0.001), writes one float32 output),
except the test-only ones (TEST_HANG, TEST_SEGFAULT, TEST_EXIT) and what these variables ask:
  FAKE_MISSING=mod,mod      probe reports these modules as not importable
  FAKE_MISMATCH=NAME,NAME   these conversions' outputs are off by 1.0
  FAKE_GARBAGE=NAME         this conversion prints a line that is not JSON in load
  FAKE_ERROR=NAME:kind      this conversion fails in convert with an error of that kind
  FAKE_PROTOCOL=N           hello announces protocol N
  FAKE_STDERR_BYTES=N       write N bytes to stderr before the first chunk (pipe-drain test)
  FAKE_CALL_S=S             seconds per timed call (default 0.001)
  FAKE_ENERGY_J=J           done reports J joules per call from "rapl:intel-rapl:0" (default:
                            energy unavailable, "fake worker: no energy counters")
  FAKE_KERNELS=N            done reports N generated kernels
  FAKE_HOSTILE=what         misbehave: deep_json (a 100,000-deep line), dev_zero and escape
                            (outputs naming /dev/zero and ../../etc/passwd), negative_rss,
                            wrong_phase (a warm-up chunk after measuring began), grandchild (a
                            detached child keeps stdout open while the worker exits)
A run request with "profile_ops": true gets two fake op times in done.
A microbench request gets, per case, median_s = min_s = overhead + work / rate with the figures
of FAKE_RATES below (work counted here, independently of the C++ side: FLOPs for matmul and
conv, bytes for add and softmax); noop 3 µs; chain of L adds 3 µs + L µs; a conv whose channels
do not divide by its groups is an error sample.
"""
import json
import os
import resource
import signal
import struct
import sys
import time

out = sys.stdout


def send(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


def recv():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)  # the orchestrator is gone
    return json.loads(line)


def env_list(name):
    return [x for x in os.environ.get(name, "").split(",") if x]


def write_npy(path, values, shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def probe():
    missing = set(env_list("FAKE_MISSING"))
    mods = {m: (None if m in missing else "0.0-fake") for m in [
        "torch", "torchvision", "transformers", "onnx", "onnxruntime", "openvino", "triton",
        "torch_tensorrt", "tensorrt"]}
    send({"type": "probe_result", "modules": mods, "cuda_available": False,
          "cuda_device_count": 0, "cuda_device_name": None,
          "ort_providers": ["CPUExecutionProvider"], "openvino_devices": ["CPU"],
          "torch_num_threads": 1})


def timed_chunk(min_time_s, n_calls, call_s):
    lat = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter_ns()
        time.sleep(call_s)
        lat.append((time.perf_counter_ns() - t0) * 1e-9)
        if n_calls is not None:
            if len(lat) >= n_calls:
                break
        elif time.perf_counter() - start >= min_time_s:
            break
    return lat


def run(req):
    name = req["conversion"]
    phase = "load"
    send({"type": "phase", "phase": "load"})
    if name in env_list("FAKE_GARBAGE"):
        out.write("this is not json\n")
        out.flush()
        time.sleep(60)
    if name == "TEST_EXIT":
        os._exit(7)
    send({"type": "phase", "phase": "convert"})
    for spec in env_list("FAKE_ERROR"):
        n, _, kind = spec.partition(":")
        if n == name:
            send({"type": "error", "phase": "convert", "kind": kind,
                  "message": "fake %s error" % kind, "traceback": "Traceback: fake"})
            sys.exit(3)
    if name == "TEST_HANG":
        while True:
            time.sleep(3600)
    if name == "TEST_SEGFAULT":
        sys.stderr.write("about to segfault\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    hostile = os.environ.get("FAKE_HOSTILE", "")
    if hostile == "deep_json":
        out.write("[" * 100000 + "]" * 100000 + "\n")
        out.flush()
        time.sleep(60)
    if hostile == "grandchild":
        if os.fork() == 0:  # keeps the inherited stdout open, outlives the worker
            time.sleep(60)
            os._exit(0)
        os._exit(0)
    send({"type": "phase", "phase": "first_call"})
    send({"type": "cold_start", "load_s": 0.01, "convert_s": 0.02, "first_call_s": 0.003})
    if hostile in ("dev_zero", "escape"):
        name = "/dev/zero" if hostile == "dev_zero" else "../../etc/passwd"
        send({"type": "outputs", "files": [name], "dtypes": ["float32"], "shapes": [[2, 5]]})
    values = [0.1 * i - 0.3 for i in range(10)]
    if name in env_list("FAKE_MISMATCH"):
        values = [v + 1.0 for v in values]
    os.makedirs(req["output_dir"], exist_ok=True)
    write_npy(os.path.join(req["output_dir"], "out_0.npy"), values, [2, 5])
    if hostile not in ("dev_zero", "escape"):
        send({"type": "outputs", "files": ["out_0.npy"], "dtypes": ["float32"], "shapes": [[2, 5]]})
    nbytes = int(os.environ.get("FAKE_STDERR_BYTES", "0"))
    if nbytes:
        sys.stderr.write("e" * nbytes)
        sys.stderr.flush()
    call_s = float(os.environ.get("FAKE_CALL_S", "0.001"))
    phase = "warmup"
    send({"type": "phase", "phase": "warmup"})
    n_calls = None
    while True:
        send({"type": "chunk", "phase": phase,
              "latency_s": timed_chunk(req["chunk_min_time_s"], n_calls, call_s)})
        reply = recv()
        if reply["type"] == "stop":
            break
        n_calls = reply.get("n_calls")
        if reply["phase"] != phase:
            phase = reply["phase"]
            send({"type": "phase", "phase": phase})
            if hostile == "wrong_phase":
                phase = "warmup"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if hostile == "negative_rss":
        rss = -5
    done = {"type": "done", "peak_rss_bytes": rss, "peak_gpu_memory_bytes": None,
            "threads": req.get("threads") or 1, "versions": {"fake": "1"}}
    if os.environ.get("FAKE_ENERGY_J"):
        done["energy"] = {"j_per_call": float(os.environ["FAKE_ENERGY_J"]),
                          "source": "rapl:intel-rapl:0"}
    else:
        done["energy"] = {"unavailable": "fake worker: no energy counters"}
    if os.environ.get("FAKE_KERNELS"):
        done["generated_kernels"] = int(os.environ["FAKE_KERNELS"])
    if req.get("profile_ops"):
        done["op_times"] = [{"name": "fake::sleep", "self_s_per_call": call_s, "count_per_call": 1},
                            {"name": "fake::noop", "self_s_per_call": 1e-6, "count_per_call": 2}]
    send(done)
    sys.exit(0)


# class → (overhead s, rate per s); tests/cpp/calibrate_op_microbench_test.cc expects these.
FAKE_RATES = {"matmul": (20e-6, 50e9), "conv": (30e-6, 40e9), "depthwise_conv": (10e-6, 8e9),
              "pointwise_conv": (25e-6, 30e9), "grouped_conv": (15e-6, 20e9),
              "data_movement": (4e-6, 15e9), "pooling": (7e-6, 5e9),
              "elementwise": (5e-6, 20e9), "reduction": (6e-6, 10e9)}


def microbench_time(case):
    op = case["op"]
    if op == "noop":
        return 3e-6, None
    if op == "chain":
        return 3e-6 + case["length"] * 1e-6, None
    if op == "matmul":
        return ("matmul", 2.0 * case["m"] * case["k"] * case["n"]), None
    if op == "conv2d":
        c, k, g = case["c"], case["k"], case["groups"]
        if c % g or k % g:
            return None, f"ValueError: c={c} and k={k} must be divisible by groups={g}"
        oh = (case["h"] + 2 * case["pad"] - case["r"]) // case["stride"] + 1
        ow = (case["w"] + 2 * case["pad"] - case["s"]) // case["stride"] + 1
        flops = 2.0 * case["n"] * k * oh * ow * (c // g) * case["r"] * case["s"]
        if g == 1:
            cls = "pointwise_conv" if case["r"] * case["s"] == 1 else "conv"
        else:
            cls = "grouped_conv" if k // g >= 8 else "depthwise_conv"
        return (cls, flops), None
    if op == "add":
        return ("elementwise", 12.0 * case["numel"]), None
    if op == "maxpool2d":
        oh = (case["h"] + 2 * case["pad"] - case["r"]) // case["stride"] + 1
        ow = (case["w"] + 2 * case["pad"] - case["r"]) // case["stride"] + 1
        n, c = case["n"], case["c"]
        return ("pooling", 4.0 * (n * c * case["h"] * case["w"] + n * c * oh * ow)), None
    if op == "transpose":
        return ("data_movement", 8.0 * case["a"] * case["b"] * case["c"]), None
    if op == "softmax":
        return ("reduction", 8.0 * case["rows"] * case["cols"]), None
    return None, f"ValueError: unknown op {op!r}"


def microbench(req):
    for case in req["cases"]:
        t, err = microbench_time(case)
        if err:
            send({"type": "micro_sample", "id": case["id"], "error": err})
            continue
        if isinstance(t, tuple):
            overhead, rate = FAKE_RATES[t[0]]
            t = overhead + t[1] / rate
        send({"type": "micro_sample", "id": case["id"], "median_s": t, "min_s": t, "calls": 10,
              "kernels": 1 if req["backend"] == "inductor" else None})
    send({"type": "microbench_done", "backend": req["backend"], "versions": {"fake": "1"},
          "threads": req.get("threads")})
    sys.exit(0)


def main():
    send({"type": "hello", "protocol": int(os.environ.get("FAKE_PROTOCOL", "1")),
          "pid": os.getpid(), "python": sys.version.split()[0], "platform": "fake"})
    while True:
        req = recv()
        if req["type"] == "probe":
            probe()
        elif req["type"] == "run":
            run(req)
        elif req["type"] == "microbench":
            microbench(req)


if __name__ == "__main__":
    main()
