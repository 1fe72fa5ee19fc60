"""Where the Python tooling finds its inputs; shared by tests/python and bench/.

- models_dir(): $GRAPHS_MODELS_DIR, else the cache directory tools/export_models.py writes to by
  default (${GRAPHS_CACHE_DIR:-$HOME/.cache/graphs}/models/<key>).
- graphs_binary(): $GRAPHS_BIN, else `graphs` on PATH, else <repo>/build/dev/graphs, else None.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def export_models_module():
    """tools/export_models.py imported as a module (it is a script, not a package member)."""
    spec = importlib.util.spec_from_file_location("export_models",
                                                  REPO / "tools" / "export_models.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("export_models", mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def models_dir() -> Path:
    env = os.environ.get("GRAPHS_MODELS_DIR")
    return Path(env) if env else export_models_module().default_out_dir()


def graphs_binary() -> Path | None:
    env = os.environ.get("GRAPHS_BIN")
    if env:
        return Path(env)
    found = shutil.which("graphs")
    if found:
        return Path(found)
    dev = REPO / "build" / "dev" / "graphs"
    return dev if dev.exists() else None
