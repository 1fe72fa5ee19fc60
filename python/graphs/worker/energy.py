"""Energy counters read around the measurement phase (docs/worker-protocol.md, `done.energy`).

Sources, summed when several are present:
- RAPL package domains through the Linux powercap sysfs: `<root>/intel-rapl:N/energy_uj`
  (microjoules; AMD's driver exposes the same names). Only top-level package domains count:
  `intel-rapl:N` whose `name` is `package-*` — not the `intel-rapl:N:M` subdomains (core, uncore,
  dram: parts of the package), not `psys` (the whole platform, which includes the packages), not
  `intel-rapl-mmio:N` (a second interface to the same package counter). The counter wraps to 0
  after `max_energy_range_uj` (Linux Documentation/power/powercap/powercap.rst). Since Linux 5.10
  `energy_uj` is readable by root only (CVE-2020-8694, the PLATYPUS power side channel).
  The root is `$GRAPHS_RAPL_ROOT`, else /sys/class/powercap.
- NVML on a CUDA run: `nvmlDeviceGetTotalEnergyConsumption` (millijoules since the driver was
  loaded; Volta and newer), through `pynvml` (pip install nvidia-ml-py).
- Jetson (Tegra) power rails: the on-module INA3221 power monitors, read through the Linux
  hwmon driver (`tegra_counters` below). These are power, not energy: energy is integrated from
  samples taken at the same points as the counters above are read.

Usage: `EnergyMeter.open(device)` before the measurement (it finds and test-reads the counters),
`start()` right before the first timed chunk, `lap()` right after each timed chunk (a wrap of
the RAPL counter is detected per lap, so a measurement may last longer than one wrap period),
then `result(n_calls)` is the `done` message's `energy` object:
`{"j_per_call": J, "source": "rapl:intel-rapl:0+intel-rapl:1"}` or `{"unavailable": reason}`.
The energy is the whole package's (and GPU board's) during the timed chunks, idle parts and other
processes included: on a shared machine it is an upper bound for the model's share.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

RAPL_ROOT_ENV = "GRAPHS_RAPL_ROOT"
DEFAULT_RAPL_ROOT = "/sys/class/powercap"
_PACKAGE_DOMAIN = re.compile(r"^intel-rapl:(\d+)$")

INA3221_ROOT_ENV = "GRAPHS_INA3221_ROOT"
DEFAULT_INA3221_ROOT = "/sys/bus/i2c/drivers/ina3221"
#: The Jetson module's input rail: everything on the module (CPU, GPU, SoC, memory, ...).
MODULE_RAIL = "VDD_IN"
_CHANNEL_LABEL = re.compile(r"^in(\d+)_label$")


class CounterUnavailable(Exception):
    """A counter that cannot be used here; the message is the plain reason."""


@dataclass
class Counter:
    """One monotonically increasing energy counter.

    read: the raw value in `unit_j` joules. wrap: the value after which it restarts at 0
    (None: it never wraps within a run).
    """
    family: str                       # "rapl" | "nvml" | "tegra"
    name: str                         # "intel-rapl:0", "nvml:0", "VDD_IN"
    read: Callable[[], int]
    unit_j: float
    wrap: int | None = None

    def delta(self, before: int, after: int) -> int:
        if after >= before:
            return after - before
        if self.wrap is None:
            raise CounterUnavailable(f"{self.name} went backwards ({before} → {after})")
        return after + self.wrap - before


def _read_int(path: str) -> int:
    with open(path, "rb") as f:
        return int(f.read().strip())


def _not_readable(path: str, e: OSError) -> str:
    if isinstance(e, PermissionError) or e.errno in (errno.EACCES, errno.EPERM):
        return (f"RAPL counter {path} is not readable: permission denied (root-only since "
                "Linux 5.10, CVE-2020-8694; run as root or `sudo chmod a+r "
                f"{os.path.dirname(os.path.dirname(path))}/intel-rapl:*/energy_uj`)")
    return f"RAPL counter {path} is not readable: {type(e).__name__}: {e.strerror or e}"


def rapl_counters(root: str | None = None) -> list[Counter]:
    """The package domains under `root` (default $GRAPHS_RAPL_ROOT or /sys/class/powercap), each
    test-read once. Raises CounterUnavailable with the reason when there are none or one cannot
    be read (a sum over some packages only would understate the energy)."""
    root = root or os.environ.get(RAPL_ROOT_ENV) or DEFAULT_RAPL_ROOT
    if not os.path.isdir(root):
        raise CounterUnavailable(f"no RAPL counters: {root} does not exist "
                                 "(a VM or a kernel without powercap)")
    try:
        entries = os.listdir(root)
    except OSError as e:
        raise CounterUnavailable(f"no RAPL counters: cannot list {root}: {e.strerror or e}") from e
    domains = sorted((int(m.group(1)), n) for n in entries if (m := _PACKAGE_DOMAIN.match(n)))
    counters: list[Counter] = []
    for _, name in domains:
        d = os.path.join(root, name)
        try:
            with open(os.path.join(d, "name"), encoding="utf-8") as f:
                kind = f.read().strip()
        except OSError:
            kind = "package"              # no name file: a top-level domain is a package
        if not kind.startswith("package"):
            continue                      # psys: the platform, which contains the packages
        energy = os.path.join(d, "energy_uj")
        if not os.path.lexists(energy):
            raise CounterUnavailable(f"no RAPL counters: {energy} does not exist")
        try:
            _read_int(energy)
            wrap = _read_int(os.path.join(d, "max_energy_range_uj"))
        except OSError as e:
            raise CounterUnavailable(_not_readable(energy, e)) from e
        except ValueError as e:
            raise CounterUnavailable(f"RAPL counter {energy} does not hold an integer: {e}") from e
        counters.append(Counter("rapl", name, _reader(energy), 1e-6, wrap))
    if not counters:
        raise CounterUnavailable(f"no RAPL counters: {root} has no package domain "
                                 "(intel-rapl:N with a package-N name)")
    return counters


def _reader(path: str) -> Callable[[], int]:
    return lambda: _read_int(path)


def nvml_counter(device: str) -> Counter:
    """GPU 0 of this process (the first of CUDA_VISIBLE_DEVICES) through NVML."""
    if device != "cuda":
        raise CounterUnavailable("no NVML: not a CUDA run")
    try:
        import pynvml
    except ImportError:
        raise CounterUnavailable("no NVML: pynvml is not installed "
                                 "(pip install nvidia-ml-py)") from None
    try:
        pynvml.nvmlInit()
        handle = _nvml_handle(pynvml)
        pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    except Exception as e:  # noqa: BLE001 - NVMLError_NotSupported, _LibraryNotFound, ...
        hint = ""
        if "NotSupported" in type(e).__name__ or "Not Supported" in str(e):
            hint = " (nvmlDeviceGetTotalEnergyConsumption needs a Volta or newer GPU)"
        raise CounterUnavailable(f"no NVML energy counter: {type(e).__name__}: {e}{hint}") from e

    def read() -> int:
        return int(pynvml.nvmlDeviceGetTotalEnergyConsumption(handle))
    return Counter("nvml", "nvml:0", read, 1e-3, None)


def _nvml_handle(pynvml: Any) -> Any:
    """NVML's handle of CUDA device 0: by UUID when torch tells it (CUDA and NVML order devices
    differently), else the first index in CUDA_VISIBLE_DEVICES, else 0."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        uuid = getattr(torch.cuda.get_device_properties(0), "uuid", None)
        if uuid is not None:
            text = str(uuid)
            if not text.startswith("GPU-"):
                text = "GPU-" + text
            return pynvml.nvmlDeviceGetHandleByUUID(text)
    first = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip()
    if first.startswith("GPU-"):
        return pynvml.nvmlDeviceGetHandleByUUID(first)
    return pynvml.nvmlDeviceGetHandleByIndex(int(first) if first.isdigit() else 0)


# --- Jetson power rails ----------------------------------------------------------------------
#
# Source: NVIDIA Jetson Linux Developer Guide (r36.3), Platform Power and Performance → "Jetson
# Orin Nano Series, Jetson Orin NX Series and Jetson AGX Orin Series" → Software-Based Power
# Consumption Modeling: the modules carry INA3221 three-channel power monitors on I2C (address
# 0x40, on AGX modules also 0x41), whose channels the kernel labels with the rail they measure;
# VDD_IN is the module's total input (Orin NX/Nano, Xavier NX). https://docs.nvidia.com/jetson/
# archives/r36.3/DeveloperGuide/SD/PlatformPowerAndPerformance/
# JetsonOrinNanoSeriesJetsonOrinNxSeriesAndJetsonAgxOrinSeries.html
# Units and file names: Linux Documentation/hwmon/ina3221.rst (inN_input: bus voltage in mV,
# currN_input: current in mA) and Documentation/hwmon/sysfs-interface.rst (powerN_input: µW).
#
# Files read, under $GRAPHS_INA3221_ROOT or /sys/bus/i2c/drivers/ina3221:
#   <device>/hwmon/hwmon<M>/in<N>_label      the rail on channel N ("VDD_IN", "VDD_SOC", "NC")
#   <device>/hwmon/hwmon<M>/power<N>_input   its power in µW, where the driver exposes it, else
#   <device>/hwmon/hwmon<M>/in<N>_input      its bus voltage in mV, and
#   <device>/hwmon/hwmon<M>/curr<N>_input    its current in mA (power: mV × mA is µW).
# Channels labelled NC (not connected) and the shunt-voltage sum channel (in7, no current) are
# not rails. With a VDD_IN channel only VDD_IN counts (the other rails are parts of it); without
# one (AGX Xavier, AGX Orin), the sum of the labelled rails: what is not monitored is missing.
# JetPack 4 (L4T 32) kernels expose the monitors through the `ina3221x` IIO driver instead,
# which is not read.
#
# Energy: the rails' power is sampled each time the meter reads its counters (right before the
# first timed chunk and right after each) and integrated with the trapezoid rule over the time
# between samples. The INA3221 averages each reading over its own conversion window
# (`update_interval`, milliseconds), so chunks of 50 ms and more are averaged, not aliased.


@dataclass
class Rail:
    """One INA3221 channel: its label and the files its power is read from."""
    label: str
    hwmon: str
    channel: int

    def _path(self, what: str) -> str:
        return os.path.join(self.hwmon, f"{what}{self.channel}_input")

    def power_w(self) -> float:
        power = self._path("power")
        if os.path.exists(power):
            return _read_int(power) * 1e-6
        return _read_int(self._path("in")) * _read_int(self._path("curr")) * 1e-6


class PowerIntegrator:
    """Energy of a set of rails since the first read, in µJ, as a counter: each read samples
    the summed power and adds the trapezoid since the previous read."""

    def __init__(self, rails: list[Rail], clock: Callable[[], float]):
        self.rails = rails
        self.clock = clock
        self._last: tuple[float, float] | None = None
        self._energy_uj = 0.0

    def read(self) -> int:
        power_w = sum(r.power_w() for r in self.rails)
        now_s = self.clock()
        if self._last is not None:
            then_s, then_w = self._last
            self._energy_uj += 0.5 * (then_w + power_w) * (now_s - then_s) * 1e6
        self._last = (now_s, power_w)
        return int(round(self._energy_uj))


def _tegra_rails(root: str) -> list[Rail]:
    rails = []
    for hwmon in sorted(glob.glob(os.path.join(root, "*", "hwmon", "hwmon*"))):
        try:
            names = os.listdir(hwmon)
        except OSError:
            continue
        for n in sorted(names):
            m = _CHANNEL_LABEL.match(n)
            if not m:
                continue
            channel = int(m.group(1))
            if not any(os.path.exists(os.path.join(hwmon, f"{w}{channel}_input"))
                       for w in ("curr", "power")):
                continue                  # a voltage-only channel (the shunt-voltage sum)
            try:
                with open(os.path.join(hwmon, n), encoding="utf-8") as f:
                    label = f.read().strip()
            except OSError:
                continue
            if not label or label.upper().startswith("NC"):
                continue                  # not connected
            rails.append(Rail(label, hwmon, channel))
    return rails


def tegra_counters(root: str | None = None,
                   clock: Callable[[], float] | None = None) -> list[Counter]:
    """The Jetson module's power as one integrating counter (see the comment above): VDD_IN when
    a channel has that label, else the sum of every labelled rail. Each rail is test-read once.
    Raises CounterUnavailable with the reason when there is no monitor or a rail is unreadable."""
    root = root or os.environ.get(INA3221_ROOT_ENV) or DEFAULT_INA3221_ROOT
    if not os.path.isdir(root):
        legacy = os.path.join(os.path.dirname(root.rstrip("/")), "ina3221x")
        hint = (" (JetPack 4's ina3221x IIO driver is present; it is not read)"
                if os.path.isdir(legacy) else " (not a Jetson)")
        raise CounterUnavailable(f"no Jetson power monitor: {root} does not exist{hint}")
    rails = _tegra_rails(root)
    if not rails:
        raise CounterUnavailable(f"no Jetson power monitor: no labelled INA3221 channel under "
                                 f"{root}/*/hwmon/hwmon*")
    module = [r for r in rails if r.label == MODULE_RAIL]
    rails = module[:1] or rails
    for r in rails:
        try:
            r.power_w()
        except OSError as e:
            raise CounterUnavailable(f"Jetson power rail {r.label} in {r.hwmon} is not readable: "
                                     f"{type(e).__name__}: {e.strerror or e}") from e
        except ValueError as e:
            raise CounterUnavailable(f"Jetson power rail {r.label} in {r.hwmon} does not hold "
                                     f"integers: {e}") from e
    integrator = PowerIntegrator(rails, clock or time.monotonic)
    name = "+".join(r.label for r in rails)
    return [Counter("tegra", name, integrator.read, 1e-6, None)]


@dataclass
class EnergyMeter:
    counters: list[Counter]
    reasons: list[str]                       # why each missing source is missing
    device: str = "cpu"
    _last: list[int] | None = None
    _total: list[int] = field(default_factory=list)
    _error: str | None = None

    @classmethod
    def open(cls, device: str) -> EnergyMeter:
        counters: list[Counter] = []
        reasons: list[str] = []
        finders: tuple[Callable[[], list[Counter]], ...] = (
            rapl_counters, lambda: [nvml_counter(device)], tegra_counters)
        for find in finders:
            try:
                counters += find()
            except CounterUnavailable as e:
                reasons.append(str(e))
        return cls(counters, reasons, device)

    def _read(self) -> list[int] | None:
        if self._error is not None:
            return None
        try:
            return [c.read() for c in self.counters]
        except Exception as e:  # noqa: BLE001 - OSError, ValueError, an NVML error
            self._error = ("an energy counter failed during the measurement: "
                           f"{type(e).__name__}: {e}")
        return None

    @property
    def started(self) -> bool:
        return self._last is not None or self._error is not None

    def start(self) -> None:
        """Reads every counter: right before the first timed chunk."""
        if not self.counters:
            return
        self._last = self._read()
        self._total = [0] * len(self.counters)

    def lap(self) -> None:
        """Reads every counter again and adds the increments: right after each timed chunk."""
        if self._last is None:
            return
        now = self._read()
        if now is None:
            self._last = None
            return
        try:
            for i, c in enumerate(self.counters):
                self._total[i] += c.delta(self._last[i], now[i])
        except CounterUnavailable as e:
            self._error = str(e)
            self._last = None
            return
        self._last = now

    def result(self, n_calls: int) -> dict[str, Any]:
        """The `done` message's `energy` object for `n_calls` timed calls."""
        if not self.counters:
            return {"unavailable": "; ".join(self.reasons)}
        if self._error is not None:
            return {"unavailable": self._error}
        if self._last is None or n_calls <= 0:
            return {"unavailable": "no measured calls"}
        joules = sum(t * c.unit_j for t, c in zip(self._total, self.counters))
        if joules <= 0:
            return {"unavailable": "the energy counters did not advance during the measurement "
                                   "(it was shorter than their update interval); measure longer"}
        rapl = [c.name for c in self.counters if c.family == "rapl"]
        nvml = [c.name for c in self.counters if c.family == "nvml"]
        tegra = [c.name for c in self.counters if c.family == "tegra"]
        parts = ((["rapl:" + "+".join(rapl)] if rapl else []) + nvml
                 + (["tegra:" + "+".join(tegra)] if tegra else []))
        out = {"j_per_call": joules / n_calls, "source": "+".join(parts)}
        # A Jetson's rails cover the CPU and the integrated GPU alike.
        if self.device == "cuda" and not tegra and (not rapl or not nvml):
            what = "the GPU's" if not nvml else "the CPU packages'"
            out["incomplete"] = f"{what} energy is not counted: " + "; ".join(self.reasons)
        return out
