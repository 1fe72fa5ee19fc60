"""The `done` message's measurement extras through a real worker: per-op times from torch.profiler
(`profile_ops`), Inductor's generated-kernel count, and the energy counters read around the
measurement (a fake powercap tree through GRAPHS_RAPL_ROOT)."""

from __future__ import annotations

import pytest

from test_worker_driver import TINY_CNN, TINY_CNN_SHAPES, run_request, run_worker, worker_env

pytest.importorskip("torch")


def _done(conversion, tmp_path, env=None, **kw):
    log = run_worker(run_request(conversion, TINY_CNN, tmp_path / "out",
                                 input_shapes=TINY_CNN_SHAPES, **kw), env=env)
    assert log.returncode == 0, \
        f"{conversion}: exit {log.returncode}, {log.error}\n{log.stderr[-3000:]}"
    return log.one("done")


def _static_powercap(root):
    d = root / "intel-rapl:0"
    d.mkdir(parents=True)
    (d / "name").write_text("package-0\n")
    (d / "energy_uj").write_text("1000\n")
    (d / "max_energy_range_uj").write_text("262143328850\n")
    return root


def test_eager_with_profile_ops_reports_aten_op_times(tmp_path):
    env = worker_env(GRAPHS_RAPL_ROOT=str(_static_powercap(tmp_path / "powercap")))
    done = _done("EAGER", tmp_path, env=env, profile_ops=True)
    ops = done["op_times"]
    assert ops and len(ops) <= 200
    assert all(set(o) == {"name", "self_s_per_call", "count_per_call"} for o in ops)
    times = [o["self_s_per_call"] for o in ops]
    assert times == sorted(times, reverse=True) and times[0] > 0
    by_name = {o["name"]: o for o in ops}
    # tiny_cnn: two Conv2d, one Linear per call (a hand count of the model).
    assert by_name["aten::conv2d"]["count_per_call"] == pytest.approx(2)
    assert by_name["aten::linear"]["count_per_call"] == pytest.approx(1)
    assert "op_times_unavailable" not in done
    assert done["generated_kernels"] is None
    # The fake counter was found and read around the measurement; it did not move.
    assert "did not advance" in done["energy"]["unavailable"], done["energy"]


def test_inductor_reports_its_generated_kernels(tmp_path):
    done = _done("COMPILE_INDUCTOR_DEFAULT", tmp_path)
    assert isinstance(done["generated_kernels"], int) and done["generated_kernels"] >= 1
    assert "op_times" not in done and "op_times_unavailable" not in done   # profile_ops is off
    energy = done["energy"]
    assert set(energy) in ({"unavailable"}, {"j_per_call", "source"}), energy


def test_profile_ops_on_onnx_runtime_says_the_profiler_is_torch_only(tmp_path):
    done = _done("ONNX_CPU", tmp_path, profile_ops=True)
    assert done["op_times_unavailable"].startswith("profiler is torch-only")
    assert "op_times" not in done
    assert done["generated_kernels"] is None


def test_profile_ops_must_be_a_boolean(tmp_path):
    log = run_worker(run_request("TEST_SLEEP", TINY_CNN, tmp_path, profile_ops="yes"))
    assert log.returncode == 3
    assert "profile_ops must be true or false" in log.error["message"]
