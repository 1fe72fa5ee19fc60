"""The worker side of docs/worker-protocol.md, driven as a subprocess: start-up, probe, the run
sequence with continue/stop, n_calls, error events and exit statuses, the test-only
conversions. Torch-free: the run requests use TEST_* conversions or fail before loading."""

from __future__ import annotations

import importlib.metadata
import signal

import pytest

from test_worker_driver import Worker, run_request, run_worker, standard_policy, worker_env

SLEEP_MODEL = {"source": "torchvision", "name": "unused-by-test-conversions"}


def test_hello_is_first_line_with_protocol_version_and_pid():
    with Worker() as w:
        hello = w.read()
        assert hello == {"type": "hello", "protocol": 1, "pid": w.proc.pid,
                         "python": hello["python"], "platform": hello["platform"]}
        assert hello["python"].count(".") == 2
        w.send({"type": "stop"})
        assert w.read() is None
        assert w.wait() == 0


def test_end_of_input_before_any_request_exits_zero():
    with Worker() as w:
        assert w.read()["type"] == "hello"
        w.proc.stdin.close()
        assert w.read() is None
        assert w.wait() == 0


def test_probe_reports_versions_and_then_waits_for_the_next_request():
    with Worker() as w:
        w.read()
        w.send({"type": "probe"})
        p = w.read()
        assert p["type"] == "probe_result"
        mods = p["modules"]
        for name in ("torch", "torchvision", "transformers", "onnx", "onnxruntime", "openvino",
                     "triton", "torch_tensorrt", "tensorrt"):
            assert name in mods
        for name in ("onnx", "onnxruntime"):
            try:
                installed = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                installed = None
            assert mods[name] == installed
        assert isinstance(p["cuda_available"], bool)
        assert isinstance(p["cuda_device_count"], int)
        assert isinstance(p["ort_providers"], list)
        assert isinstance(p["openvino_devices"], list)
        if mods["onnxruntime"]:
            assert "CPUExecutionProvider" in p["ort_providers"]
        if mods["torch"]:
            assert p["torch_num_threads"] >= 1
        # Still alive and answering.
        w.send({"type": "probe"})
        assert w.read()["type"] == "probe_result"
        w.proc.stdin.close()
        assert w.wait() == 0


def test_test_sleep_runs_the_whole_sequence(tmp_path):
    log = run_worker(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path, chunk_min_time_s=0.005),
                     policy=standard_policy(warmup_chunks=2, measure_calls=7))
    assert log.returncode == 0, log.stderr
    phases = [e["phase"] for e in log.of_type("phase")]
    assert phases == ["load", "convert", "first_call", "warmup", "measure"]
    order = [t for t in log.types if t != "chunk"]
    assert order == ["hello", "phase", "phase", "phase", "cold_start", "phase", "phase", "done"]
    cold = log.one("cold_start")
    assert all(cold[k] >= 0 for k in ("load_s", "convert_s", "first_call_s"))
    assert cold["first_call_s"] >= 0.001             # one time.sleep(0.001)
    chunks = log.of_type("chunk")
    assert [c["phase"] for c in chunks] == ["warmup", "warmup", "warmup", "measure"]
    for c in chunks[:3]:                              # a chunk lasts at least chunk_min_time_s
        assert sum(c["latency_s"]) >= 0.005 and all(x >= 0.001 for x in c["latency_s"])
    assert len(chunks[3]["latency_s"]) == 7           # n_calls: exactly that many
    done = log.one("done")
    assert done["peak_rss_bytes"] > 10_000_000
    assert done["peak_gpu_memory_bytes"] is None
    assert done["threads"] == 1
    assert not log.of_type("outputs")                 # test conversions report no outputs


def test_measure_chunks_repeat_until_stop_and_n_calls_zero_is_empty(tmp_path):
    def policy(i, chunk):
        if i == 0:
            return {"type": "continue", "phase": "measure", "n_calls": 2}
        if i == 1:
            return {"type": "continue", "phase": "measure", "n_calls": 0}
        if i == 2:
            return {"type": "continue", "phase": "measure", "n_calls": 3}
        return {"type": "stop"}
    log = run_worker(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path), policy=policy)
    assert log.returncode == 0
    assert [len(c["latency_s"]) for c in log.of_type("chunk")][1:] == [2, 0, 3]


def test_unknown_conversion_is_a_failed_error_listing_known_names(tmp_path):
    log = run_worker(run_request("COMPILE_INDUCTOR", SLEEP_MODEL, tmp_path))
    assert log.returncode == 3
    err = log.error
    assert err["kind"] == "failed" and err["phase"] == "load"
    assert "unknown conversion 'COMPILE_INDUCTOR'" in err["message"]
    assert "COMPILE_INDUCTOR_DEFAULT" in err["message"]
    assert log.types[-1] == "error"


def test_test_conversions_exist_only_with_the_environment_switch(tmp_path):
    log = run_worker(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path),
                     env=worker_env(test_conversions=False))
    assert log.returncode == 3
    assert "unknown conversion 'TEST_SLEEP'" in log.error["message"]


_SLEEP_SPEC = {"family": "test", "module": "graphs_test_conversions", "function": "test_sleep",
               "options": {}, "device": None, "torch_source": True, "onnx_source": True,
               "test_only": True}


def test_the_request_says_which_code_runs_a_conversion(tmp_path):
    """With a `worker` field the worker runs what the C++ registry names, even under a name its
    own table lacks; a malformed field is a failed error; a test-only one needs the switch."""
    log = run_worker(run_request("TEST_SLEEP_NAMED_BY_REQUEST", SLEEP_MODEL, tmp_path,
                                 worker=_SLEEP_SPEC))
    assert log.returncode == 0, log.stderr
    assert log.types[-1] == "done"
    log = run_worker(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path,
                                 worker={**_SLEEP_SPEC, "options": []}))
    assert log.returncode == 3 and "worker.options must be dict" in log.error["message"]
    log = run_worker(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path, worker=_SLEEP_SPEC),
                     env=worker_env(test_conversions=False))
    assert log.returncode == 3 and "unknown conversion 'TEST_SLEEP'" in log.error["message"]


def _tiny_onnx(path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    m = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, ["batch", "sequence"])
    graph = helper.make_graph([helper.make_node("Mul", ["input_ids", "attention_mask"], ["y"])],
                              "tiny", [x, m], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("conversion", ["EAGER", "COMPILE_INDUCTOR_DEFAULT", "JIT_TRACE",
                                        "EXPORT+AOT_INDUCTOR", "COMPILE_OPENVINO", "BF16+EAGER"])
def test_torch_conversions_are_not_applicable_to_an_onnx_source(tmp_path, conversion):
    path = _tiny_onnx(tmp_path / "tiny.onnx")
    log = run_worker(run_request(conversion, {"source": "onnx", "path": str(path)}, tmp_path))
    assert log.returncode == 3
    assert log.error["kind"] == "not_applicable"
    assert "not applicable to an ONNX source" in log.error["message"]


def test_onnx_source_runs_onnx_cpu_with_generated_token_inputs(tmp_path):
    pytest.importorskip("onnxruntime")
    import numpy as np
    path = _tiny_onnx(tmp_path / "tiny.onnx")
    log = run_worker(run_request("ONNX_CPU", {"source": "onnx", "path": str(path)},
                                 tmp_path / "out", batch=2, seq_len=5))
    assert log.returncode == 0, log.stderr
    out = log.one("outputs")
    assert out["files"] == ["out_0.npy"] and out["dtypes"] == ["int64"]
    assert out["shapes"] == [[2, 5]]
    y = np.load(tmp_path / "out" / "out_0.npy")
    # ids × all-ones mask: the generated token ids themselves, in [0, 1000).
    assert y.min() >= 0 and y.max() < 1000 and len(np.unique(y)) > 1
    assert log.one("done")["threads"] == 1


def test_missing_onnx_file_is_a_failed_load(tmp_path):
    log = run_worker(run_request("ONNX_CPU", {"source": "onnx", "path": str(tmp_path / "no.onnx")},
                                 tmp_path))
    assert log.returncode == 3
    assert log.error["kind"] == "failed" and log.error["phase"] == "load"
    assert "no ONNX file" in log.error["message"]


def test_bad_model_source_is_a_failed_error(tmp_path):
    log = run_worker(run_request("ONNX_CPU", {"source": "pickle", "path": "x"}, tmp_path))
    assert log.returncode == 3
    assert "model.source is one of" in log.error["message"]


def test_malformed_request_line_is_an_error_event_and_exit_3():
    with Worker() as w:
        w.read()
        w.send_raw("{not json\n")
        err = w.read()
        assert err["type"] == "error" and err["kind"] == "failed"
        assert "not JSON" in err["message"]
        assert w.read() is None
        assert w.wait() == 3


def test_unknown_request_type_is_an_error_event():
    with Worker() as w:
        w.read()
        w.send({"type": "dance"})
        err = w.read()
        assert err["type"] == "error" and "unknown request type 'dance'" in err["message"]
        assert w.wait() == 3


def test_closing_stdin_while_a_chunk_reply_is_awaited_is_an_error(tmp_path):
    with Worker() as w:
        w.read()
        w.send(run_request("TEST_SLEEP", SLEEP_MODEL, tmp_path))
        while w.read()["type"] != "chunk":
            pass
        w.proc.stdin.close()
        err = w.read()
        assert err["type"] == "error" and "closed stdin" in err["message"]
        assert w.wait() == 3


def test_test_exit_exits_7_without_a_word(tmp_path):
    log = run_worker(run_request("TEST_EXIT", SLEEP_MODEL, tmp_path))
    assert log.returncode == 7
    assert log.types[-1] == "phase" and log.events[-1]["phase"] == "convert"


def test_test_segfault_dies_of_sigsegv(tmp_path):
    log = run_worker(run_request("TEST_SEGFAULT", SLEEP_MODEL, tmp_path))
    assert log.returncode == -signal.SIGSEGV
    assert log.events[-1] == {"type": "phase", "phase": "convert"}


def test_test_hang_stays_in_convert_until_killed(tmp_path):
    with Worker() as w:
        w.read()
        w.send(run_request("TEST_HANG", SLEEP_MODEL, tmp_path))
        phases = [w.read()["phase"] for _ in range(2)]
        assert phases == ["load", "convert"]
        assert w.proc.poll() is None
        w.proc.send_signal(signal.SIGKILL)
        assert w.wait() == -signal.SIGKILL
        assert w.read() is None


def test_library_output_on_stdout_does_not_corrupt_the_stream(tmp_path):
    """A factory that prints (Python print and a raw write to fd 1) while loading."""
    pytest.importorskip("torch")
    log = run_worker(run_request("EAGER", {"source": "factory", "spec": "test_bench_models:noisy"},
                                 tmp_path, input_shapes=[[1, 4]]))
    assert log.returncode == 0, log.stderr
    assert "noisy factory says hello" in log.stderr and "raw fd 1 write" in log.stderr
    assert log.one("outputs")["shapes"] == [[1, 4]]
