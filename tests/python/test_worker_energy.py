"""graphs.worker.energy against a fake powercap tree (GRAPHS_RAPL_ROOT): energy per call is the
counters' increase over the timed calls, wrap-around is undone, and a missing or unreadable
counter gives its plain reason instead of a number. The Jetson reader against recorded INA3221
hwmon trees (GRAPHS_INA3221_ROOT): power sampled around the timed chunks and integrated."""

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
    monkeypatch.setenv(energy.INA3221_ROOT_ENV, str(tmp_path / "no-ina3221"))
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
    assert got == {"j_per_call": pytest.approx(3.0 / 30),
                   "source": "rapl:intel-rapl:0+intel-rapl:1"}


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
    with pytest.raises(energy.CounterUnavailable,
                       match="no NVML energy counter: RuntimeError: Not Supported"):
        energy.nvml_counter("cuda")


# --- Jetson (INA3221 hwmon) ------------------------------------------------------------------

def _hwmon(root: Path, device: str, channels: dict[int, tuple], hwmon: str = "hwmon3") -> Path:
    """A recorded hwmon folder of one INA3221: channel -> (label, mV, mA) or (label, None, None,
    µW) where the driver exposes powerN_input; plus the shunt-voltage sum channel in7."""
    d = root / device / "hwmon" / hwmon
    d.mkdir(parents=True)
    (d / "name").write_text("ina3221\n")
    for n, ch in channels.items():
        (d / f"in{n}_label").write_text(ch[0] + "\n")
        if ch[1] is not None:
            (d / f"in{n}_input").write_text(f"{ch[1]}\n")
            (d / f"curr{n}_input").write_text(f"{ch[2]}\n")
        if len(ch) > 3:
            (d / f"power{n}_input").write_text(f"{ch[3]}\n")
        (d / f"in{n + 3}_input").write_text("1520\n")          # shunt voltage, µV: not read
    (d / "in7_label").write_text("sum of shunt voltage\n")
    (d / "in7_input").write_text("4560\n")
    return d


def _set_channel(d: Path, n: int, mv: int | None = None, ma: int | None = None,
                 uw: int | None = None) -> None:
    if mv is not None:
        (d / f"in{n}_input").write_text(f"{mv}\n")
    if ma is not None:
        (d / f"curr{n}_input").write_text(f"{ma}\n")
    if uw is not None:
        (d / f"power{n}_input").write_text(f"{uw}\n")


class _Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def no_rapl(tmp_path, monkeypatch):
    monkeypatch.setenv(energy.RAPL_ROOT_ENV, str(tmp_path / "no-powercap"))


@pytest.fixture
def orin_nx(tmp_path, monkeypatch, no_rapl) -> Path:
    """Jetson Orin NX / Xavier NX layout: one INA3221 at 1-0040 with VDD_IN (the module input),
    VDD_CPU_GPU_CV and VDD_SOC."""
    root = tmp_path / "ina3221"
    d = _hwmon(root, "1-0040", {1: ("VDD_IN", 5000, 1200),          # 6 W
                                2: ("VDD_CPU_GPU_CV", 5000, 400),
                                3: ("VDD_SOC", 5000, 300)})
    monkeypatch.setenv(energy.INA3221_ROOT_ENV, str(root))
    return d


def test_jetson_energy_is_vdd_in_power_integrated_over_the_timed_chunks(orin_nx):
    clock = _Clock()
    meter = EnergyMeter(energy.tegra_counters(clock=clock), [], "cuda")
    assert [(c.family, c.name) for c in meter.counters] == [("tegra", "VDD_IN")]
    meter.start()                                      # t = 100 s, 6 W
    clock.t += 0.5
    _set_channel(orin_nx, 1, ma=1600)                  # 8 W
    _set_channel(orin_nx, 3, ma=3000)                  # VDD_SOC is part of VDD_IN: not added
    meter.lap()                                        # (6 + 8) / 2 W × 0.5 s = 3.5 J
    clock.t += 1.0
    _set_channel(orin_nx, 1, mv=4000, ma=2000)         # 8 W
    meter.lap()                                        # 8 W × 1 s = 8 J
    got = meter.result(n_calls=23)
    # Whole module: the integrated GPU is in it, so a CUDA run is not "incomplete".
    assert got == {"j_per_call": pytest.approx(11.5 / 23), "source": "tegra:VDD_IN"}


def test_jetson_without_vdd_in_sums_the_labelled_rails_of_every_monitor(tmp_path, monkeypatch,
                                                                          no_rapl):
    """AGX layout: two monitors, no VDD_IN; a not-connected channel and the power*_input files
    one driver exposes instead of voltage and current."""
    root = tmp_path / "ina3221"
    a = _hwmon(root, "1-0040", {1: ("GPU", 19000, 100),            # 1.9 W
                                2: ("CPU", 19000, 200),            # 3.8 W
                                3: ("SOC", 19000, 100)})           # 1.9 W
    b = _hwmon(root, "1-0041", {1: ("CV", None, None, 500_000),     # 0.5 W from power1_input
                                2: ("NC", 0, 0),
                                3: ("SYS5V", 5000, 300)}, hwmon="hwmon4")   # 1.5 W
    monkeypatch.setenv(energy.INA3221_ROOT_ENV, str(root))
    clock = _Clock()
    meter = EnergyMeter(energy.tegra_counters(clock=clock), [], "cpu")
    assert [c.name for c in meter.counters] == ["GPU+CPU+SOC+CV+SYS5V"]
    meter.start()                                      # 9.6 W
    clock.t += 2.0
    _set_channel(a, 1, ma=300)                         # GPU 5.7 W: 13.4 W in all
    _set_channel(b, 1, uw=1_500_000)                   # CV 1.5 W: 14.4 W
    _set_channel(b, 2, mv=5000, ma=1000)               # NC: not counted
    meter.lap()
    got = meter.result(n_calls=4)
    assert got["j_per_call"] == pytest.approx((9.6 + 14.4) / 2 * 2.0 / 4)
    assert got["source"] == "tegra:GPU+CPU+SOC+CV+SYS5V"


def test_jetson_monitor_through_energy_meter_open(orin_nx, monkeypatch):
    clock = _Clock()
    real = energy.tegra_counters
    monkeypatch.setattr(energy, "tegra_counters", lambda: real(clock=clock))
    meter = EnergyMeter.open("cpu")
    assert [c.family for c in meter.counters] == ["tegra"]
    assert meter.reasons[0].startswith("no RAPL counters")
    meter.start()
    clock.t += 1.0
    meter.lap()
    assert meter.result(n_calls=6) == {"j_per_call": pytest.approx(1.0), "source": "tegra:VDD_IN"}


def test_no_ina3221_driver_is_a_reason(tmp_path, monkeypatch, no_rapl):
    monkeypatch.setenv(energy.INA3221_ROOT_ENV, str(tmp_path / "i2c" / "drivers" / "ina3221"))
    reason = EnergyMeter.open("cpu").result(n_calls=10)["unavailable"]
    assert f"no Jetson power monitor: {tmp_path / 'i2c' / 'drivers' / 'ina3221'} does not exist " \
           "(not a Jetson)" in reason
    (tmp_path / "i2c" / "drivers" / "ina3221x").mkdir(parents=True)     # JetPack 4's IIO driver
    reason = EnergyMeter.open("cpu").result(n_calls=10)["unavailable"]
    assert "ina3221x IIO driver is present; it is not read" in reason


def test_an_unreadable_rail_is_a_reason_and_no_labelled_channel_says_so(orin_nx, tmp_path,
                                                                         monkeypatch):
    (orin_nx / "curr1_input").unlink()
    (orin_nx / "curr1_input").mkdir()                  # open() fails as on an unreadable file
    with pytest.raises(energy.CounterUnavailable, match="Jetson power rail VDD_IN in .* is not "
                       "readable"):
        energy.tegra_counters()
    empty = tmp_path / "empty"
    (empty / "1-0040" / "hwmon" / "hwmon0").mkdir(parents=True)
    with pytest.raises(energy.CounterUnavailable, match="no labelled INA3221 channel"):
        energy.tegra_counters(str(empty))


def test_a_rail_that_fails_mid_measurement_is_reported(orin_nx):
    clock = _Clock()
    meter = EnergyMeter(energy.tegra_counters(clock=clock), [], "cpu")
    meter.start()
    (orin_nx / "curr1_input").write_text("garbage\n")
    clock.t += 0.5
    meter.lap()
    assert "failed during the measurement" in meter.result(n_calls=3)["unavailable"]
