"""graphs: characterize neural-network graphs and predict how they run on hardware.

The analysis is C++ (the `_graphs` extension); this package re-exports it. Results are plain
dicts following the JSON schema of `graphs analyze --format json` (units in field names).
"""

from graphs._graphs import (  # noqa: F401  (re-exports)
    __version__,
    analyze,
    hardware_ids,
    zoo_names,
)

__all__ = ["__version__", "analyze", "hardware_ids", "zoo_names"]
