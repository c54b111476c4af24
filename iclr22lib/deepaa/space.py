"""The search space: operations, their value ranges, and the (operation, magnitude-bin) choices.

A magnitude bin ``m`` in ``0..l_mags-1`` maps to ``value = low + (high - low) * m / (l_mags - 1)``.
For an operation whose value range contains a no-op (shear 0, factor 1.0, solarize threshold 256,
posterize 8 bits) that bin is left out, and operations without a magnitude get one entry, so that
``|T| = 7 + 11 * (l_mags - 1)`` (139 choices for the paper's ``l_mags = 13``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: (name, low, high, kind) in the official op order; kind: "mid" = middle bin is a no-op,
#: "end" = last bin is a no-op, "none" = no magnitude (one entry).
OPS: tuple[tuple[str, float, float, str], ...] = (
    ("Identity", 0.0, 1.0, "none"),
    ("ShearX", -0.3, 0.3, "mid"),
    ("ShearY", -0.3, 0.3, "mid"),
    ("TranslateX", -0.45, 0.45, "mid"),
    ("TranslateY", -0.45, 0.45, "mid"),
    ("Rotate", -30.0, 30.0, "mid"),
    ("AutoContrast", 0.0, 1.0, "none"),
    ("Invert", 0.0, 1.0, "none"),
    ("Equalize", 0.0, 1.0, "none"),
    ("Solarize", 0.0, 256.0, "end"),
    ("Posterize", 4.0, 8.0, "end"),
    ("Contrast", 0.1, 1.9, "mid"),
    ("Color", 0.1, 1.9, "mid"),
    ("Brightness", 0.1, 1.9, "mid"),
    ("Sharpness", 0.1, 1.9, "mid"),
    ("RandFlip", 0.0, 1.0, "none"),
    ("RandCutout", 0.0, 1.0, "none"),
    ("RandCrop", 0.0, 1.0, "none"),
)
OP_NAMES: tuple[str, ...] = tuple(o[0] for o in OPS)
OP_INDEX: dict[str, int] = {n: i for i, n in enumerate(OP_NAMES)}
#: Operations whose value has a sign (the evaluation code mirrors it with probability 1/2).
SIGNED_OPS: tuple[str, ...] = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
#: Operations that draw their own randomness (flip, cutout position, crop offset).
RANDOM_OPS: tuple[str, ...] = ("RandFlip", "RandCutout", "RandCrop")


def op_value(op: str, m: int | torch.Tensor, l_mags: int) -> float | torch.Tensor:
    """Value of bin ``m`` (``0..l_mags-1``) of operation ``op``."""
    _, low, high, _ = OPS[OP_INDEX[op]]
    return low + (high - low) * m / (l_mags - 1)


def noop_bin(op: str, l_mags: int) -> int | None:
    """The bin whose value leaves every image unchanged (``None`` for ops without magnitude)."""
    kind = OPS[OP_INDEX[op]][3]
    if kind == "mid":
        return (l_mags - 1) // 2
    if kind == "end":
        return l_mags - 1
    return None


@dataclass(frozen=True)
class ChoiceSpace:
    """The ``T`` (operation, bin) choices of one policy layer.

    ``op`` (T,) long index into :data:`OP_NAMES`; ``bin`` (T,) long magnitude bin (the middle bin for
    ops without magnitude, as in the official files); ``value`` (T,) float64 operation value.
    """

    l_mags: int
    op: torch.Tensor
    bin: torch.Tensor
    value: torch.Tensor

    def __len__(self) -> int:
        return int(self.op.numel())

    def label(self, t: int) -> str:
        """Readable name of choice ``t``, e.g. ``"ShearX(-0.30)"``."""
        name = OP_NAMES[int(self.op[t])]
        if OPS[int(self.op[t])][3] == "none":
            return name
        return f"{name}({float(self.value[t]):.2f})"

    def index(self, op: str, m: int | None = None) -> int:
        """Index of the choice (``op``, bin ``m``); ``m`` may be omitted for ops without magnitude."""
        if op not in OP_INDEX:
            raise KeyError(f"unknown operation {op!r}; known: {', '.join(OP_NAMES)}")
        hit = self.op == OP_INDEX[op]
        if m is not None and OPS[OP_INDEX[op]][3] != "none":
            hit &= self.bin == m
        idx = hit.nonzero().flatten()
        if idx.numel() != 1:
            raise KeyError(f"no single choice for op={op!r}, bin={m!r} in a space with l_mags={self.l_mags}")
        return int(idx[0])

    def op_mass(self, probs: torch.Tensor) -> torch.Tensor:
        """Sum a (..., T) probability tensor per operation -> (..., 18)."""
        out = torch.zeros(*probs.shape[:-1], len(OPS), dtype=probs.dtype)
        return out.index_add_(-1, self.op, probs)


def build_space(l_mags: int = 13) -> ChoiceSpace:
    """All (op, bin) choices in the official order, the no-op bins left out."""
    if not isinstance(l_mags, int) or l_mags < 3 or l_mags % 2 == 0:
        raise ValueError(f"l_mags={l_mags!r} must be an odd int >= 3 (the middle bin is the no-op)")
    ops, bins, vals = [], [], []
    mid = (l_mags - 1) // 2
    for i, (name, _, _, kind) in enumerate(OPS):
        if kind == "none":
            ops.append(i), bins.append(mid), vals.append(0.0)
            continue
        skip = noop_bin(name, l_mags)
        for m in range(l_mags):
            if m != skip:
                ops.append(i), bins.append(m), vals.append(float(op_value(name, m, l_mags)))
    return ChoiceSpace(
        l_mags,
        torch.tensor(ops, dtype=torch.long),
        torch.tensor(bins, dtype=torch.long),
        torch.tensor(vals, dtype=torch.float64),
    )
