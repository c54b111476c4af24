"""Small training helpers shared by the chapters."""

from __future__ import annotations

import math

import torch


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stops instead of producing garbage."""


def check_finite(loss: torch.Tensor | float, *, step: int | str = "?", what: str = "loss") -> None:
    """Raise :class:`NonFiniteLossError` if ``loss`` is NaN/inf, naming the step and a likely fix."""
    value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"{what} is {value} at step {step}; lower the learning rate or check the inputs for NaN/inf"
        )


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    """Top-1 accuracy of ``logits`` [N, C] against integer labels ``target`` [N], in [0, 1]."""
    if logits.shape[0] != target.shape[0]:
        raise ValueError(f"{logits.shape[0]} predictions for {target.shape[0]} labels")
    if target.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float((logits.argmax(dim=-1) == target).float().mean())
