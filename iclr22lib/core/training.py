"""Small training helpers shared by the chapters."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from iclr22lib.core.progress import progress


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


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Put ``module`` in eval mode for a ``with`` block, then give every submodule its own mode back."""
    modes = [m.training for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, mode in zip(module.modules(), modes, strict=True):
            m.training = mode


def optimizer_step(
    opt: torch.optim.Optimizer,
    loss: torch.Tensor,
    *,
    clip: float | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    step: int | str = "?",
    what: str = "loss",
) -> float:
    """One update: refuse a non-finite ``loss``, back-propagate it, clip the gradients' global norm to
    ``clip`` (over the optimiser's parameters), step ``opt`` and then ``scheduler``; returns the loss."""
    check_finite(loss, step=step, what=what)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        params = [p for group in opt.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    if scheduler is not None:
        scheduler.step()
    return float(loss.detach())


class BestState:
    """The weights of a model at its best validation score so far (``mode`` "min" or "max").

    ``update`` copies the state dict when the score improves strictly; ``waited`` counts the
    evaluations since then (for patience); ``restore`` loads the best weights and sets eval mode.
    """

    def __init__(self, mode: str = "min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode={mode!r} is not allowed; use 'min' or 'max'")
        self.sign = 1.0 if mode == "min" else -1.0
        self.score, self.step, self.waited = math.inf if mode == "min" else -math.inf, -1, 0
        self.state: dict[str, torch.Tensor] | None = None

    def update(self, model: nn.Module, score: float, step: int) -> bool:
        """Record ``score`` at ``step``; True (and a copy of the weights) when it beats the best."""
        if self.sign * score < self.sign * self.score:
            self.score, self.step, self.waited = score, step, 0
            self.state = copy.deepcopy(model.state_dict())
            return True
        self.waited += 1
        return False

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best weights into ``model`` (if any score was recorded) and return it in eval mode."""
        if self.state is not None:
            model.load_state_dict(self.state)
        return model.eval()


@dataclass
class FitLog:
    """What :func:`fit` saw: the training loss of every step, and the validation score of every
    evaluation with the step it was taken at (0-based); ``best_step`` is the step of the weights kept."""

    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    best_step: int = -1
    best: float = math.nan


def fit(
    model: nn.Module,
    train_step: Callable[[int], float],
    validate: Callable[[], float],
    *,
    steps: int,
    eval_every: int = 1,
    mode: str = "min",
    patience: int | None = None,
    desc: str = "",
) -> FitLog:
    """The book's training loop with best-state tracking.

    For ``step`` in ``0 .. steps-1``: ``train_step(step)`` runs in train mode and returns its loss
    (it does its own update, e.g. with :func:`optimizer_step`); every ``eval_every`` steps and at the
    last, ``validate()`` runs in eval mode under ``torch.no_grad`` and returns a score. The weights
    with the best score are kept (:class:`BestState`), training stops after ``patience`` evaluations
    without improvement, and the model is returned to the best weights, in eval mode.
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps={steps} and eval_every={eval_every} must both be at least 1")
    best, log = BestState(mode), FitLog()
    for step in progress(range(steps), desc=desc):
        model.train()
        log.train_loss.append(train_step(step))
        if (step + 1) % eval_every and step != steps - 1:
            continue
        with eval_mode(model), torch.no_grad():
            score = float(validate())
        log.eval_steps.append(step)
        log.val.append(score)
        best.update(model, score, step)
        if patience is not None and best.waited >= patience:
            break
    best.restore(model)
    log.best_step, log.best = best.step, best.score
    return log
