"""graphs.worker.energy against a fake powercap tree (GRAPHS_RAPL_ROOT): energy per call is the
counters' increase over the timed calls, wrap-around is undone, and a missing or unreadable
counter gives its plain reason instead of a number."""

from __future__ import annotations

import builtins
import errno
import sys
from pathlib import Path

import pytest

from graphs.worker import energy
from graphs.worker.energy import EnergyMeter

WRAP_UJ = 262143328850


def _domain(root: Path, name: str, kind: str, energy_uj: int, wrap: int = WRAP_UJ) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(kind + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{wrap}\n")
    return d


def _set(d: Path, energy_uj: int) -> None:
    (d / "energy_uj").write_text(f"{energy_uj}\n")


@pytest.fixture
def powercap(tmp_path, monkeypatch) -> Path:
    """Two packages, their core/dram subdomains, a psys domain and an MMIO twin of package 0:
    only intel-rapl:0 and intel-rapl:1 are package totals."""
    root = tmp_path / "powercap"
    _domain(root, "intel-rapl:0", "package-0", 1_000_000)
    _domain(root, "intel-rapl:1", "package-1", 5_000_000)
    _domain(root, "intel-rapl:0:0", "core", 7)
    _domain(root, "intel-rapl:0:1", "dram", 7)
    _domain(root, "intel-rapl:2", "psys", 9)
    _domain(root, "intel-rapl-mmio:0", "package-0", 11)
    monkeypatch.setenv(energy.RAPL_ROOT_ENV, str(root))
    return root


def test_energy_per_call_is_the_package_counters_increase_over_the_calls(powercap):
    meter = EnergyMeter.open("cpu")
    assert [c.name for c in meter.counters] == ["intel-rapl:0", "intel-rapl:1"]
    meter.start()
    _set(powercap / "intel-rapl:0", 1_000_000 + 2_000_000)       # +2 J
    _set(powercap / "intel-rapl:0:0", 10**9)                     # subdomain: not counted
    _set(powercap / "intel-rapl:2", 10**9)                       # psys: not counted
    meter.lap()
    _set(powercap / "intel-rapl:1", 5_000_000 + 1_000_000)       # +1 J
    meter.lap()
    got = meter.result(n_calls=30)
    assert got == {"j_per_call": pytest.approx(3.0 / 30), "source": "rapl:intel-rapl:0+intel-rapl:1"}


def test_a_wrapped_counter_is_unwrapped_with_max_energy_range(powercap):
    wrap = 1_000_000_000
    root = powercap.parent / "wrapping"
    d = _domain(root, "intel-rapl:0", "package-0", wrap - 300_000, wrap=wrap)
    meter = EnergyMeter(energy.rapl_counters(str(root)), [], "cpu")
    meter.start()
    _set(d, 200_000)                     # 0.3 J to the wrap, then 0.2 J
    meter.lap()
    _set(d, 900_000)                     # +0.7 J without a wrap
    meter.lap()
    got = meter.result(n_calls=4)
    assert got["j_per_call"] == pytest.approx(1.2 / 4)
    assert got["source"] == "rapl:intel-rapl:0"


def test_missing_powercap_names_the_directory_and_nvml_is_cuda_only(tmp_path, monkeypatch):
    monkeypatch.setenv(energy.RAPL_ROOT_ENV, str(tmp_path / "nope"))
    meter = EnergyMeter.open("cpu")
    meter.start()
    meter.lap()
    reason = meter.result(n_calls=10)["unavailable"]
    assert reason.startswith(f"no RAPL counters: {tmp_path / 'nope'} does not exist")
    assert "(a VM or a kernel without powercap)" in reason
    assert "no NVML: not a CUDA run" in reason


def test_a_root_without_package_domains_says_so(tmp_path, monkeypatch):
    root = tmp_path / "powercap"
    _domain(root, "intel-rapl:0:0", "core", 1)
    _domain(root, "intel-rapl:1", "psys", 1)
    monkeypatch.setenv(energy.RAPL_ROOT_ENV, str(root))
    reason = EnergyMeter.open("cpu").result(n_calls=10)["unavailable"]
    assert "has no package domain" in reason


def test_an_unreadable_counter_is_a_reason_not_a_partial_sum(powercap):
    # A directory where the file should be: open() fails like an unreadable file does.
    (powercap / "intel-rapl:1" / "energy_uj").unlink()
    (powercap / "intel-rapl:1" / "energy_uj").mkdir()
    meter = EnergyMeter.open("cpu")
    assert meter.counters == []
    reason = meter.result(n_calls=10)["unavailable"]
    assert f"RAPL counter {powercap / 'intel-rapl:1' / 'energy_uj'} is not readable" in reason


def test_a_root_only_counter_names_the_cve_and_the_fix(powercap, monkeypatch):
    real_open = builtins.open

    def guarded(path, *args, **kw):
        if str(path).endswith("energy_uj"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kw)

    monkeypatch.setattr(builtins, "open", guarded)
    reason = EnergyMeter.open("cpu").result(n_calls=10)["unavailable"]
    assert "permission denied" in reason and "CVE-2020-8694" in reason
    assert "chmod a+r" in reason


def test_counters_that_did_not_advance_give_no_number(powercap):
    meter = EnergyMeter.open("cpu")
    meter.start()
    meter.lap()
    assert "did not advance" in meter.result(n_calls=10)["unavailable"]


def test_no_measured_calls_gives_no_number(powercap):
    meter = EnergyMeter.open("cpu")
    assert meter.result(n_calls=0) == {"unavailable": "no measured calls"}


def test_a_counter_that_fails_mid_measurement_is_reported(powercap):
    meter = EnergyMeter.open("cpu")
    meter.start()
    (powercap / "intel-rapl:0" / "energy_uj").write_text("garbage\n")
    meter.lap()
    assert "failed during the measurement" in meter.result(n_calls=10)["unavailable"]


def test_cuda_run_without_nvml_counts_the_packages_and_says_what_is_missing(powercap, monkeypatch):
    monkeypatch.setattr(energy, "nvml_counter", lambda device: (_ for _ in ()).throw(
        energy.CounterUnavailable("no NVML: pynvml is not installed (pip install nvidia-ml-py)")))
    meter = EnergyMeter.open("cuda")
    meter.start()
    _set(powercap / "intel-rapl:0", 2_000_000)
    meter.lap()
    got = meter.result(n_calls=1)
    assert got["j_per_call"] == pytest.approx(1.0)
    assert got["incomplete"].startswith("the GPU's energy is not counted: no NVML")


class _FakeNvml:
    """The part of pynvml the meter uses; energy in mJ, advanced by the test."""

    def __init__(self):
        self.mj = 10_000
        self.handles = []

    def nvmlInit(self):
        pass

    def nvmlDeviceGetHandleByIndex(self, i):
        self.handles.append(("index", i))
        return "gpu0"

    def nvmlDeviceGetHandleByUUID(self, uuid):
        self.handles.append(("uuid", uuid))
        return "gpu0"

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        assert handle == "gpu0"
        return self.mj


def test_cuda_run_sums_the_packages_and_the_gpu_from_nvml(powercap, monkeypatch):
    fake = _FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    monkeypatch.delitem(sys.modules, "torch", raising=False)   # no UUID from torch: the index
    meter = EnergyMeter.open("cuda")
    assert [c.name for c in meter.counters] == ["intel-rapl:0", "intel-rapl:1", "nvml:0"]
    assert fake.handles == [("index", 3)]
    meter.start()
    _set(powercap / "intel-rapl:0", 1_000_000 + 500_000)   # +0.5 J
    fake.mj += 2_500                                        # +2.5 J
    meter.lap()
    got = meter.result(n_calls=10)
    assert got == {"j_per_call": pytest.approx(0.3),
                   "source": "rapl:intel-rapl:0+intel-rapl:1+nvml:0"}


def test_nvml_that_does_not_support_energy_is_a_reason(monkeypatch):
    fake = _FakeNvml()

    def unsupported(handle):
        raise RuntimeError("Not Supported")

    fake.nvmlDeviceGetTotalEnergyConsumption = unsupported
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    with pytest.raises(energy.CounterUnavailable, match="no NVML energy counter: RuntimeError: Not Supported"):
        energy.nvml_counter("cuda")
