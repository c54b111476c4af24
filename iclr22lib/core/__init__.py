"""Shared infrastructure for every chapter: configs, devices, data, results, plots, progress."""

from iclr22lib.core.config import ConfigError, RunConfig, knob, resolve
from iclr22lib.core.data import DataError, data_root, fetch
from iclr22lib.core.device import cpu_threads, hardware_summary, resolve_device
from iclr22lib.core.seeding import seed_everything

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
