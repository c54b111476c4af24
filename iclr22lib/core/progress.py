"""Progress bars that show in a terminal or JupyterLab and stay quiet in CI and batch runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def quiet() -> bool:
    """True in CI (``CI`` set), when ``ICLR22LIB_QUIET=1`` (set by the book's batch runs), or with no terminal."""
    if os.environ.get("ICLR22LIB_QUIET", "") not in ("", "0") or os.environ.get("CI"):
        return True
    in_kernel = "ipykernel" in sys.modules
    return not (in_kernel or sys.stderr.isatty())


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, **kwargs) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar unless :func:`quiet`; extra keywords go to tqdm."""
    return tqdm(iterable, desc=desc, total=total, disable=quiet(), leave=False, **kwargs)
