"""Progress bars that show in a terminal or JupyterLab and stay quiet in CI and batch runs.

Quiet follows tqdm's own variable ``TQDM_DISABLE=1`` (set by the book's Papermill runs and under ``CI``);
without it ``disable=None`` hides a bar when the stream is no terminal. The variable is read here, not
left to tqdm, because ``tqdm.notebook`` replaces a missing ``disable`` by False before tqdm reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

if os.environ.get("CI"):
    os.environ.setdefault("TQDM_DISABLE", "1")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, **kwargs) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar (quiet as the module docstring says); extra keywords go to tqdm."""
    disable = os.environ.get("TQDM_DISABLE", "") not in ("", "0") or None
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, **kwargs)
