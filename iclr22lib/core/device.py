"""Device choice and a one-line description of the hardware a result came from."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

import torch

from iclr22lib.core.config import ConfigError, check_device


def resolve_device(device: str = "auto") -> torch.device:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a :class:`torch.device`.

    ``auto`` picks CUDA when a GPU is present and the CPU otherwise. Asking for CUDA on a
    machine without one is an error rather than a silent fall-back.
    """
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"DEVICE={device!r} but this machine has no CUDA GPU; use 'auto' or 'cpu'")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"DEVICE={device!r} but only {torch.cuda.device_count()} GPU(s) are visible (cuda:0..)"
            )
    return torch.device(device)


def hardware_summary(device: torch.device | str | None = None) -> str:
    """Describe the hardware, e.g. ``"NVIDIA H100 80GB HBM3"`` or ``"CPU x86_64, 2 threads"``."""
    dev = torch.device(device) if device is not None else resolve_device("auto")
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU {platform.machine()}, {torch.get_num_threads()} threads ({os.cpu_count()} cores)"


@contextlib.contextmanager
def cpu_threads(n: int | None, device: torch.device | str = "cpu") -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads when ``device`` is the CPU; restore the count after.

    ``n=None`` (or a GPU device) leaves the setting alone. The book's small models are often faster on
    one thread than on two that wait for each other on a busy 2-core machine.
    """
    if n is None or torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
