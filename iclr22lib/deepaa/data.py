"""The CIFAR-10 splits of the chapter, cut from the staged JPEG subset (2,000 train images per class).

Within each class of the train archive (file-name order) we take, without overlap:
``[0, pretrain)`` to pretrain the search network, ``[pretrain, pretrain + search)`` as the search
split (the training images the policy augments), and the last ``val`` images as the clean validation
split of the gradient-matching objective. The final training runs use the first ``train`` images of
each class (the paper also trains the final model on data the search has seen); the test images come
from the test archive (first ``test`` per class) and are never used for any choice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from iclr22lib.core.images import CIFAR10_ARCHIVES, load_cifar10_jpeg


@dataclass
class Split:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device: torch.device | str) -> Split:
        return Split(self.x.to(device), self.y.to(device))


@dataclass
class Splits:
    pretrain: Split
    search: Split
    val: Split
    train: Split
    test: Split


def _load(split: str, per_class: int, offset: int, root: str | os.PathLike | None) -> Split:
    x, y = load_cifar10_jpeg(split, per_class=per_class, offset=offset, root=root)
    return Split(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y))


def load_splits(
    pretrain: int, search: int, val: int, train: int, test: int, root: str | os.PathLike | None = None
) -> Splits:
    """Decode the chapter's splits (numbers are images per class)."""
    avail = CIFAR10_ARCHIVES["train"][1]
    if pretrain + search + val > avail:
        raise ValueError(
            f"pretrain + search + val = {pretrain + search + val} images per class, but the staged train "
            f"archive has {avail} per class"
        )
    if train > avail:
        raise ValueError(f"train={train} per class exceeds the {avail} staged per class")
    full = _load("train", max(pretrain + search, train), 0, root)
    per = max(pretrain + search, train)
    pos = torch.arange(len(full)) % per
    pick = lambda lo, hi: Split(full.x[(pos >= lo) & (pos < hi)], full.y[(pos >= lo) & (pos < hi)])  # noqa: E731
    return Splits(
        pretrain=pick(0, pretrain),
        search=pick(pretrain, pretrain + search),
        val=_load("train", val, avail - val, root),
        train=pick(0, train),
        test=_load("test", test, 0, root),
    )
