"""Seeding and determinism for Python, NumPy and torch."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch (all devices) with ``seed``.

    With ``deterministic=True`` torch is asked for deterministic algorithms wherever it has
    them (``warn_only``: an op without a deterministic kernel warns instead of failing, since
    several scatter ops of PyTorch Geometric have none on CUDA).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds the legacy global generator that libraries use
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
