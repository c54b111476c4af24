"""Shared infrastructure for every chapter: configs, devices, data, results, plots, progress.

``iclr22lib.core.config`` and ``iclr22lib.core.data`` import no torch; the names that need it
(devices, seeding) are imported on first use.
"""

from iclr22lib.core.config import ConfigError, RunConfig, knob, resolve
from iclr22lib.core.data import DataError, data_root, fetch
from iclr22lib.core.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"device": ("cpu_threads", "hardware_summary", "resolve_device"), "seeding": ("seed_everything",)},
)

__all__ = [
    "ConfigError",
    "DataError",
    "RunConfig",
    "cpu_threads",
    "data_root",
    "fetch",
    "hardware_summary",
    "knob",
    "resolve",
    "resolve_device",
    "seed_everything",
]
