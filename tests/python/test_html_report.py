"""The HTML reports rendered by a real browser: headless Chromium (Debian's `chromium`, installed
by scripts/install_deps.sh) loads the file written by `graphs analyze --format html` and
`graphs sweep --format html`, and the DOM it builds must hold the charts: one roofline point per
fused kernel, ridge points, the op-class bars, the memory timeline, the sweep scatter with its
Pareto front. A screenshot must show more than a blank page.

Without chromium (or the graphs binary) the tests skip, unless GRAPHS_REQUIRE_CHROMIUM or
GRAPHS_REQUIRE_MODELS is set (CI sets the latter): then they fail. Set GRAPHS_SCREENSHOT_DIR to
keep the screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import run_graphs

CHROMIUM_TIMEOUT_S = 180


def _required() -> bool:
    return any(os.environ.get(v, "") not in ("", "0")
               for v in ("GRAPHS_REQUIRE_CHROMIUM", "GRAPHS_REQUIRE_MODELS"))


@pytest.fixture(scope="session")
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium not found (Debian package `chromium`: bash scripts/install_deps.sh)"
    if _required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _chromium(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
           "--no-first-run", f"--user-data-dir={tmp / 'profile'}", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S)
    assert p.returncode == 0, f"{' '.join(cmd)} exited {p.returncode}: {p.stderr[-2000:]}"
    return p


def dump_dom(browser: str, tmp: Path, html: Path) -> str:
    return _chromium(browser, tmp, "--dump-dom", html.as_uri()).stdout


def screenshot(browser: str, tmp: Path, html: Path, png: Path, height: int) -> None:
    _chromium(browser, tmp, f"--screenshot={png}", f"--window-size=1100,{height}", html.as_uri())
    assert png.is_file(), f"chromium wrote no screenshot {png}"
    keep = os.environ.get("GRAPHS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)


def png_colours(png: Path) -> tuple[int, int, int]:
    """(width, height, number of distinct RGB colours) of an 8-bit RGB/RGBA PNG (stdlib only)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        if y % 4 == 0:  # sample every 4th row: enough to see the charts' colours
            for x in range(0, stride, channels * 2):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return width, height, len(colours)


def count(dom: str, pattern: str) -> int:
    return len(re.findall(pattern, dom))


def test_analyze_html_renders_charts_in_chromium(graphs, chromium, tmp_path):
    args = ("resnet18", "--hardware", "h100-sxm5-80gb", "--precision", "fp16", "--batch", "8")
    report = run_graphs(graphs, "analyze", *args, "--format", "json", "--per-kernel").json()
    kernels = len(report["kernels"])
    assert kernels > 10
    html = tmp_path / "report.html"
    p = subprocess.run([str(graphs), "analyze", *args, "--format", "html", "-o", str(html)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    dom = dump_dom(chromium, tmp_path, html)
    assert count(dom, r"<svg\b") == 3, "roofline, op-class bars, memory timeline"
    assert count(dom, r'<circle[^>]*class="kernel') == kernels
    assert count(dom, r'<circle[^>]*class="ridge"') >= 3  # fp32, tf32, fp16/bf16, fp8/int8 …
    assert count(dom, r'<line[^>]*class="roof-memory"') == 1
    assert count(dom, r'<rect[^>]*class="bar"') >= 3
    assert count(dom, r'<polygon[^>]*class="activations"') == 1
    assert count(dom, r'<rect[^>]*class="weights"') == 1
    assert "<script" not in html.read_text()

    png = tmp_path / "analyze-resnet18-h100.png"
    screenshot(chromium, tmp_path, html, png, 1600)
    w, h, colours = png_colours(png)
    assert (w, h) == (1100, 1600)
    assert colours > 20, f"the screenshot looks blank ({colours} colours)"


def test_sweep_html_renders_pareto_charts_in_chromium(graphs, chromium, tmp_path):
    args = ("resnet50,bert-base", "--hardware", "h100-sxm5-80gb,a100-sxm4-80gb,l4,t4,"
            "jetson-orin-agx-64gb,i7-12700k", "--batch", "1,8,32", "--precision", "fp32,fp16,int8")
    rows = run_graphs(graphs, "sweep", *args, "--format", "json").json()["rows"]
    html = tmp_path / "sweep.html"
    p = subprocess.run([str(graphs), "sweep", *args, "-o", str(html)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    dom = dump_dom(chromium, tmp_path, html)
    assert count(dom, r"<svg\b") == 4, "per model: scatter and throughput-per-watt bars"
    valid = sum(r["valid"] for r in rows)
    assert count(dom, r'<circle[^>]*class="config') == valid
    assert count(dom, r'<circle[^>]*class="config pareto"') == sum(r["pareto"] for r in rows)
    assert count(dom, r'<polyline[^>]*class="pareto-front"') == 2
    assert count(dom, r'<rect[^>]*class="bar"') == 12  # 6 targets × 2 models
    png = tmp_path / "sweep-resnet50-bert.png"
    screenshot(chromium, tmp_path, html, png, 1400)
    assert png_colours(png)[2] > 20
