"""Lazy package attributes (PEP 562), so that a package's light modules import without torch.

A chapter package re-exports its public API from submodules that import torch, transformers or
gluonts. Importing ``iclr22lib.<chapter>.config`` runs the package's ``__init__`` first, so the
``__init__`` imports only its config eagerly and the rest on first use::

    __getattr__, __dir__ = lazy_exports(__name__, {"models": ("GCN", "MLP"), "train": ("compare",)})

``ch.GCN`` then imports ``<package>.models`` the first time it is read; ``ch.sweeps`` imports the
submodule ``sweeps``. Where a name is also the name of the submodule it comes from (``grda.train``
the function, in ``grda/train.py``), the name keeps meaning the function: loading the submodule, by
whatever import, does not replace it with the module.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: each name of ``exports[sub]`` comes from ``package.sub``."""
    where = {name: sub for sub, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = sys.modules[package]
        if name in where:
            value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        elif not name.startswith("__"):
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)  # later reads skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    class _Package(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in where and isinstance(value, types.ModuleType):  # the import system binding a submodule
                value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
            super().__setattr__(name, value)

    sys.modules[package].__class__ = _Package
    return __getattr__, __dir__
