"""The path a user walks: `pip install "graphs[bench]"` into a fresh environment that has torch,
then `graphs bench`.

A wheel is built from this tree (`pip wheel . --no-deps`), reusing the CMake build folder that
scripts/install_package.sh keeps for the running venv (so an unchanged tree relinks nothing),
and cached under ${GRAPHS_CACHE_DIR:-~/.cache/graphs}/wheels/<hash of the sources>. A FRESH venv
(no system site-packages) gets torch from this machine's disk (`pip install torch==2.13.0`, the
CPU build; $GRAPHS_PACKAGING_TORCH overrides the requirement) and then the wheel with its
[bench] extras (onnx, onnxscript, onnxruntime, numpy: floors only, so the torch already there
stays). Then, from that venv alone:

- `graphs bench test_bench_models:tiny_cnn --conversions EAGER,ONNX_CPU` exits 0 with both
  measured, ONNX Runtime's output checked against EAGER, and the workers started with that
  venv's own interpreter (the default: the `python` next to the `graphs` program);
- `import graphs; graphs.analyze(...)` works from the installed extension.

It skips, saying why, where no torch 2.13.0 wheel lies on disk (pip would download one).
"""

from __future__ import annotations

import configparser
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import _unavailable  # a skip, or a failure under GRAPHS_REQUIRE_MODELS

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("GRAPHS_CACHE_DIR") or Path.home() / ".cache" / "graphs")
TORCH = os.environ.get("GRAPHS_PACKAGING_TORCH", "torch==2.13.0")
#: What goes into the wheel (scikit-build-core builds from these).
SOURCES = ("CMakeLists.txt", "pyproject.toml", "README.md", "cmake", "src", "python/graphs",
           "data")


def _sources_key() -> str:
    h = hashlib.sha256()
    for top in SOURCES:
        p = REPO / top
        files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())
        for f in files:
            if "__pycache__" in f.parts:
                continue
            st = f.stat()
            h.update(f"{f.relative_to(REPO)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _pip_find_links() -> list[str]:
    """pip's find-links folders: $PIP_FIND_LINKS and the config files pip reads."""
    dirs = os.environ.get("PIP_FIND_LINKS", "").split()
    cfg = configparser.ConfigParser()
    cfg.read(["/etc/pip.conf", "/etc/xdg/pip/pip.conf", str(Path.home() / ".pip/pip.conf"),
              str(Path.home() / ".config/pip/pip.conf")])
    for section in ("global", "install"):
        if cfg.has_option(section, "find-links"):
            dirs += cfg.get(section, "find-links").split()
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], text=True,
                             capture_output=True, timeout=60).stdout
        for line in out.splitlines():
            if "find-links" in line and "=" in line:
                dirs += line.split("=", 1)[1].strip().strip("'\"").split()
    except (OSError, subprocess.SubprocessError):
        pass
    return [d.removeprefix("file://") for d in dirs]


def _local_torch() -> str | None:
    if not TORCH.startswith("torch=="):
        return TORCH                      # the caller chose; trust it
    version = TORCH.split("==", 1)[1]
    for d in _pip_find_links():
        if glob.glob(os.path.join(d, f"torch-{version}*.whl")):
            return TORCH
    return None


def _run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert p.returncode == 0, (f"`{' '.join(map(str, cmd))}` exited {p.returncode}\n"
                               f"{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    return p


def _wheel() -> Path:
    """The wheel of this tree, built once per source state."""
    out = CACHE / "wheels" / _sources_key()
    found = sorted(out.glob("graphs-*.whl"))
    if found:
        return found[-1]
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # The build folder scripts/install_package.sh uses for this venv: objects already built.
    # (scripts/install_package.sh: `readlink -f VENV | sha256sum`, newline included)
    tag = hashlib.sha256((os.path.realpath(sys.prefix) + "\n").encode()).hexdigest()[:8]
    env = dict(os.environ)
    env.setdefault("CCACHE_DIR", str(CACHE / "ccache"))
    env.setdefault("CCACHE_BASEDIR", str(REPO))
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
    cmd = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp),
           f"--config-settings=build-dir=build/py-{tag}"]
    try:
        import pybind11  # noqa: F401
        import scikit_build_core  # noqa: F401
        cmd.append("--no-build-isolation")
    except ImportError:
        pass
    _run(cmd, timeout=3600, cwd=REPO, env=env)
    wheels = list(tmp.glob("graphs-*.whl"))
    assert len(wheels) == 1, wheels
    for old in out.parent.iterdir():       # one wheel kept: the tree's latest state
        if old != tmp and ".tmp" not in old.name:
            shutil.rmtree(old, ignore_errors=True)
    tmp.rename(out)
    return out / wheels[0].name


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would point the fresh venv elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "GRAPHS_PYTHON",
                        "GRAPHS_WORKER_COMMAND", "GRAPHS_TEST_CONVERSIONS",
                        "GRAPHS_TEST_CONVERSIONS_DIR")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def test_pip_install_bench_extra_into_a_torch_env_gives_a_working_graphs_bench(tmp_path):
    torch_req = _local_torch()
    if torch_req is None:
        _unavailable(f"no {TORCH} wheel on this machine's disk (pip's find-links: "
                     f"{_pip_find_links() or 'none'}); installing it would download one. Set "
                     "GRAPHS_PACKAGING_TORCH to a torch requirement that is local")
    times = {}
    t0 = time.perf_counter()
    wheel = _wheel()
    times["wheel_s"] = time.perf_counter() - t0

    venv = tmp_path / "venv"
    t0 = time.perf_counter()
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", str(venv)], timeout=300, env=_clean_env())
    py, pip = venv / "bin" / "python", [str(venv / "bin" / "python"), "-m", "pip"]
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    _run([*pip, "install", "-q", torch_req], timeout=900, env=_clean_env())
    times["torch_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _run([*pip, "install", "-q", f"{wheel}[bench]"], timeout=900, env=_clean_env())
    times["wheel_install_s"] = time.perf_counter() - t0
    listed = json.loads(_run([*pip, "list", "--format", "json"], timeout=120,
                             env=_clean_env()).stdout)
    versions = {d["name"].lower(): d["version"] for d in listed}
    if torch_req.startswith("torch=="):
        assert versions["torch"].split("+")[0] == torch_req.split("==")[1], \
            f"the [bench] extra replaced the torch that was there: {versions['torch']}"
    for pkg in ("graphs", "onnx", "onnxruntime", "onnxscript", "numpy"):
        assert pkg in versions, (pkg, versions)

    t0 = time.perf_counter()
    out = tmp_path / "results.json"
    # Only the factory's folder on PYTHONPATH: graphs itself comes from the venv.
    env = _clean_env(PYTHONPATH=str(REPO / "tests" / "python"))
    p = subprocess.run([str(venv / "bin" / "graphs"), "bench", "test_bench_models:tiny_cnn",
                        "--input-shape", "1,3,32,32", "--conversions", "EAGER,ONNX_CPU",
                        "--n-samples", "5", "--threads", "1", "-o", str(out), "--work-dir",
                        str(tmp_path / "work")],
                       capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    times["bench_s"] = time.perf_counter() - t0
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr[-4000:]}"
    doc = json.loads(out.read_text())
    assert doc["header"]["worker_command"] == [str(py), "-m", "graphs.worker"]
    assert doc["header"]["probe"]["modules"]["torch"] == versions["torch"]
    results = {r["conversion"]: r for r in doc["results"]}
    assert sorted(results) == ["EAGER", "ONNX_CPU"]
    for name, r in results.items():
        assert r["status"] == "ok", (name, r["reason"], r.get("stderr_tail"))
        assert r["latency"]["count"] == 5 and r["latency"]["median_s"] > 0
    assert results["EAGER"]["output_check"]["status"] == "reference"
    assert results["ONNX_CPU"]["output_check"]["status"] == "passed"

    api = _run([str(py), "-c", "import graphs; r = graphs.analyze('resnet18', "
                "hardware='h100-sxm5-80gb'); print(r.params, r.estimates[0].latency_s > 0)"],
               timeout=300, env=_clean_env(), cwd=tmp_path).stdout.split()
    assert api == ["11689512", "True"]
    print("packaging timings:", json.dumps({k: round(v, 1) for k, v in times.items()}))
