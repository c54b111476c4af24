"""Augmentation policies as stacks of categorical layers over the (op, bin) choices of a space.

A policy with K layers holds probabilities ``probs`` of shape (K, T). Applying it draws, for every
image independently and for k = 1..K, a choice ``t_k ~ probs[k]`` and applies it; ``mirror=True``
flips the sign of geometric values with probability 1/2 (the official evaluation code does this).
The hand-made baselines are policies too (one-hot layers for crop, flip and cutout; uniform layers
for RandAugment and TrivialAugment), so every policy runs through the same code and trainer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.deepaa.ops import apply_ops
from iclr22lib.deepaa.space import OP_INDEX, OP_NAMES, OPS, ChoiceSpace, noop_bin


@dataclass
class Policy:
    """``probs`` (K, T) float64 rows summing to one over the choices of ``space``."""

    space: ChoiceSpace
    probs: torch.Tensor
    mirror: bool = False
    name: str = "policy"

    def __post_init__(self) -> None:
        self.probs = torch.as_tensor(self.probs, dtype=torch.float64).reshape(-1, len(self.space))
        if (self.probs < 0).any() or not torch.allclose(
            self.probs.sum(1), torch.ones(len(self.probs)).double()
        ):
            raise ValueError(f"policy {self.name!r}: every layer must be a probability vector")

    @property
    def n_layers(self) -> int:
        return int(self.probs.shape[0])

    def sample(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        """Choice indices of shape (n, K), row i drawn for image i."""
        if self.n_layers == 0:
            return torch.zeros(n, 0, dtype=torch.long)
        return torch.multinomial(self.probs.float(), n, replacement=True, generator=gen).T

    def apply(self, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        """Augment a batch (N,3,H,W) layer by layer; returns the same dtype."""
        choices = self.sample(len(x), gen)
        for k in range(self.n_layers):
            x = apply_choices(x, self.space, choices[:, k], gen, mirror=self.mirror)
        return x

    def op_mass(self) -> torch.Tensor:
        """Probability mass per operation, (K, 18)."""
        return self.space.op_mass(self.probs)

    def then(self, other: Policy, name: str | None = None) -> Policy:
        """This policy's layers followed by ``other``'s (same space)."""
        return Policy(
            self.space, torch.cat([self.probs, other.probs]), self.mirror or other.mirror, name or self.name
        )


def apply_choices(
    x: torch.Tensor,
    space: ChoiceSpace,
    t: torch.Tensor,
    gen: torch.Generator | None = None,
    *,
    mirror: bool = False,
) -> torch.Tensor:
    """Apply choice ``t[i]`` of ``space`` to image ``x[i]``; ``t`` (N,) long."""
    return apply_ops(x, space.op[t], space.value[t], gen, mirror=mirror)


def one_hot_layer(space: ChoiceSpace, op: str) -> torch.Tensor:
    p = torch.zeros(len(space), dtype=torch.float64)
    p[space.index(op)] = 1.0
    return p


def identity_policy(space: ChoiceSpace, name: str = "none") -> Policy:
    """No augmentation (zero layers)."""
    return Policy(space, torch.zeros(0, len(space)), name=name)


def fixed_policy(space: ChoiceSpace, ops: tuple[str, ...], name: str) -> Policy:
    """Deterministic sequence of magnitude-free ops, e.g. ``("RandCrop", "RandFlip")``."""
    return Policy(space, torch.stack([one_hot_layer(space, o) for o in ops]), name=name)


#: The operations RandAugment and TrivialAugment draw from (their CIFAR lists, on our op table).
RA_OPS = (
    "Identity", "AutoContrast", "Equalize", "Rotate", "Solarize", "Color", "Posterize",
    "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateX", "TranslateY",
)  # fmt: skip


def _intensity_bins(space: ChoiceSpace, op: str) -> dict[int, list[int]]:
    """Choices of ``op`` grouped by intensity level 1..L (distance of the bin from the no-op bin)."""
    nb = noop_bin(op, space.l_mags)
    out: dict[int, list[int]] = {}
    for t in (space.op == OP_INDEX[op]).nonzero().flatten().tolist():
        level = 0 if nb is None else abs(int(space.bin[t]) - nb)
        out.setdefault(level, []).append(t)
    return out


def randaugment_layer(space: ChoiceSpace, level: int) -> torch.Tensor:
    """One RandAugment draw: op uniform over :data:`RA_OPS` at intensity ``level``, sign uniform.

    ``level`` counts bins away from the no-op bin (``1..(l_mags-1)//2``; for solarize/posterize,
    whose no-op sits at the end, twice that many bins so that both scales cover the same fraction).
    """
    p = torch.zeros(len(space), dtype=torch.float64)
    half = (space.l_mags - 1) // 2
    for op in RA_OPS:
        groups = _intensity_bins(space, op)
        if 0 in groups:
            p[groups[0]] += 1.0 / len(RA_OPS)
            continue
        lev = level if OPS[OP_INDEX[op]][3] == "mid" else min(2 * level, 2 * half)
        ts = groups[lev]
        p[ts] += 1.0 / len(RA_OPS) / len(ts)
    return p


def trivialaugment_layer(space: ChoiceSpace) -> torch.Tensor:
    """One TrivialAugment draw: op uniform over :data:`RA_OPS`, then a bin uniform over the op's bins."""
    p = torch.zeros(len(space), dtype=torch.float64)
    for op in RA_OPS:
        ts = (space.op == OP_INDEX[op]).nonzero().flatten()
        p[ts] += 1.0 / len(RA_OPS) / len(ts)
    return p


def baseline_policies(space: ChoiceSpace, ra_n: int = 2, ra_level: int | None = None) -> dict[str, Policy]:
    """The hand-made baselines on the same op table: none, crop+flip, crop+flip+cutout, RA, TA.

    RandAugment (N = ``ra_n`` layers at intensity ``ra_level``, default half the range) and
    TrivialAugment are applied between crop+flip and cutout, as both papers do on CIFAR.
    """
    half = (space.l_mags - 1) // 2
    level = max(1, half // 2) if ra_level is None else ra_level
    if not 1 <= level <= half:
        raise ValueError(f"ra_level={level} must lie in 1..{half} for l_mags={space.l_mags}")
    cf = [one_hot_layer(space, "RandCrop"), one_hot_layer(space, "RandFlip")]
    cut = [one_hot_layer(space, "RandCutout")]
    ra = [randaugment_layer(space, level)] * ra_n
    return {
        "none": identity_policy(space),
        "crop+flip": Policy(space, torch.stack(cf), name="crop+flip"),
        "crop+flip+cutout": Policy(space, torch.stack(cf + cut), name="crop+flip+cutout"),
        "RandAugment": Policy(space, torch.stack(cf + ra + cut), mirror=False, name="RandAugment"),
        "TrivialAugment": Policy(
            space, torch.stack([*cf, trivialaugment_layer(space), *cut]), name="TrivialAugment"
        ),
    }


def load_official_policy(
    path: str | os.PathLike, space: ChoiceSpace | None = None, name: str | None = None
) -> Policy:
    """Read a released DeepAA ``.npz`` (``policy_probs`` (K, 139), ``ops``, ``mags``, ``op_names``).

    The file's (op name, bin) pairs are mapped onto ``space`` (built with the file's ``l_mags`` when
    ``None``); the evaluation-time sign mirroring of the official code is switched on.
    """
    from iclr22lib.deepaa.space import build_space

    try:
        data = np.load(path, allow_pickle=False)
        probs, ops, mags = data["policy_probs"], data["ops"].reshape(-1), data["mags"].reshape(-1)
        names = [str(n).split(":")[0] for n in data["op_names"]]
        l_mags = int(data["l_mags"])
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{path}: not a DeepAA policy file ({err})") from err
    space = build_space(l_mags) if space is None else space
    if space.l_mags != l_mags:
        raise ValueError(f"{path}: l_mags={l_mags} but the space has l_mags={space.l_mags}")
    unknown = sorted(set(names) - set(OP_NAMES))
    if unknown:
        raise ValueError(f"{path}: operations {unknown} are not in this op table (an ImageNet policy?)")
    cols = torch.tensor([space.index(names[o], int(m)) for o, m in zip(ops, mags, strict=True)])
    p = torch.zeros(probs.shape[0], len(space), dtype=torch.float64)
    p[:, cols] = torch.from_numpy(probs.astype(np.float64))
    p = p / p.sum(1, keepdim=True)
    return Policy(space, p, mirror=True, name=name or os.path.basename(str(path)).removesuffix(".npz"))
