"""Factor grids and the four splits of the in-domain generalisation benchmark.

A grid enumerates every combination of factor indices once, in C order (first factor slowest), as
dSprites does, so that image ``i`` has factor indices ``np.unravel_index(i, sizes)``. Targets are
indices divided by ``n_k - 1`` so every factor lives in ``[0, 1]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from iclr22lib.indomain.config import SPLITS


@dataclass(frozen=True)
class Grid:
    """A full factorial grid: ``sizes[k]`` values of factor ``names[k]``; ``never_split`` factors are kept whole."""

    sizes: tuple[int, ...]
    names: tuple[str, ...]
    never_split: tuple[str, ...] = ()
    ratio: float = 0.2

    def __post_init__(self) -> None:
        if len(self.sizes) != len(self.names):
            raise ValueError(f"{len(self.sizes)} sizes for {len(self.names)} names")
        if any(n < 2 for n in self.sizes):
            raise ValueError(f"every factor needs at least 2 values; got sizes {self.sizes}")
        unknown = set(self.never_split) - set(self.names)
        if unknown:
            raise ValueError(f"never_split names {sorted(unknown)} are not factors of {self.names}")
        if not 0 < self.ratio < 1:
            raise ValueError(f"ratio must lie in (0, 1); got {self.ratio}")

    @property
    def total(self) -> int:
        return int(np.prod(self.sizes))

    @property
    def split_factors(self) -> tuple[int, ...]:
        """Positions of the factors that the structured splits hold values out of."""
        return tuple(k for k, n in enumerate(self.names) if n not in self.never_split)

    def indices(self) -> np.ndarray:
        """``[total, K]`` integer factor indices of every grid point, C order."""
        return np.stack(np.unravel_index(np.arange(self.total), self.sizes), axis=1)

    def targets(self, idx: np.ndarray) -> np.ndarray:
        """Normalised regression targets ``idx / (n - 1)``, ``[N, K]`` float32."""
        return (np.asarray(idx) / (np.asarray(self.sizes) - 1)).astype(np.float32)


def dsprites_grid(sizes: tuple[int, ...] = (3, 6, 40, 32, 32), ratio: float = 0.2) -> Grid:
    """dSprites' factors (shape, scale, orientation, x, y); shape is never split, ``r = 0.2``."""
    return Grid(tuple(sizes), ("shape", "scale", "orientation", "x", "y"), ("shape",), ratio)


#: Other benchmark grids of the paper (used by the tests to check split fractions).
SHAPES3D = Grid(
    (10, 10, 10, 8, 4, 15), ("floor", "wall", "object", "size", "type", "azimuth"), ("type",), 0.15
)
MPI3D = Grid(
    (6, 6, 2, 3, 3, 40, 40),
    ("color", "shape", "size", "height", "background", "x", "y"),
    ("shape", "size"),
    0.10,
)


def heldout_values(grid: Grid, kind: str) -> dict[int, np.ndarray]:
    """Per split-able factor, the value indices the split treats specially.

    ``extrapolation``: the top ``ceil(r n)`` values (held out). ``interpolation``: the values not on
    ``round(linspace(0, n-1, n - ceil(r n)))`` (held out, always interior). ``composition``: the
    lowest ``floor(q n)`` values, the *anchors* that the training set is built around, with
    ``q = 1 - (1 - (1 - r)^k)^(1/k)`` for ``k`` split-able factors.
    """
    out = {}
    r, ks = grid.ratio, grid.split_factors
    for k in ks:
        n = grid.sizes[k]
        m = math.ceil(r * n)
        if kind == "extrapolation":
            out[k] = np.arange(n - m, n)
        elif kind == "interpolation":
            keep = np.round(np.linspace(0, n - 1, n - m)).astype(int)
            out[k] = np.setdiff1d(np.arange(n), keep)
        elif kind == "composition":
            q = 1 - (1 - (1 - r) ** len(ks)) ** (1 / len(ks))
            out[k] = np.arange(math.floor(q * n))
        else:
            raise ValueError(f"split {kind!r} has no held-out values; choose from {SPLITS[1:]}")
    return out


@dataclass
class Split:
    """Train/test grid positions (flat indices) of one split, plus one-factor-OOD test subsets.

    ``ood[name]`` holds the test points where factor ``name`` alone takes a held-out value (every
    other factor in distribution); only inter- and extrapolation splits have them.
    """

    kind: str
    train: np.ndarray
    test: np.ndarray
    heldout: dict[str, np.ndarray] = field(default_factory=dict)
    ood: dict[str, np.ndarray] = field(default_factory=dict)


def make_split(grid: Grid, kind: str, *, seed: int = 0, test_fraction: float = 0.7) -> Split:
    """Build split ``kind`` of ``grid``; ``test_fraction`` and ``seed`` only matter for ``random``."""
    if kind not in SPLITS:
        raise ValueError(f"unknown split {kind!r}; choose from {SPLITS}")
    idx = grid.indices()
    if kind == "random":
        perm = np.random.RandomState(seed).permutation(grid.total)
        n_test = round(test_fraction * grid.total)
        return Split(kind, np.sort(perm[n_test:]), np.sort(perm[:n_test]))
    held = heldout_values(grid, kind)
    special = {k: np.isin(idx[:, k], v) for k, v in held.items()}
    any_special = np.zeros(grid.total, dtype=bool)
    for m in special.values():
        any_special |= m
    names = {grid.names[k]: v for k, v in held.items()}
    if kind == "composition":
        # train on the "axes": at least one factor at an anchor value; test on new combinations
        return Split(kind, np.flatnonzero(any_special), np.flatnonzero(~any_special), names)
    ood = {}
    for k, m in special.items():
        others = np.zeros(grid.total, dtype=bool)
        for j, mj in special.items():
            if j != k:
                others |= mj
        ood[grid.names[k]] = np.flatnonzero(m & ~others)
    return Split(kind, np.flatnonzero(~any_special), np.flatnonzero(any_special), names, ood)
