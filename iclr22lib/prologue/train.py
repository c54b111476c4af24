"""Full-batch training with early stopping on validation loss, and the GCN-vs-MLP comparison."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from iclr22lib.core.graphs import row_normalize
from iclr22lib.core.progress import progress
from iclr22lib.core.seeding import seed_everything
from iclr22lib.core.stats import mean_sd
from iclr22lib.core.training import accuracy, fit, optimizer_step
from iclr22lib.prologue.config import PrologueConfig
from iclr22lib.prologue.models import GCN, MLP

MODELS = {"GCN": GCN, "MLP": MLP}


@dataclass(frozen=True)
class RunResult:
    """One training run: test accuracy at the epoch of best validation loss, and its curves."""

    model: str
    seed: int
    test_acc: float
    best_epoch: int
    val_acc_curve: np.ndarray  # [epochs_run], accuracy in [0, 1]
    train_loss_curve: np.ndarray  # [epochs_run], mean cross-entropy in nats


def train_node_classifier(data: Data, model_name: str, cfg: PrologueConfig, seed: int) -> RunResult:
    """Train one model on ``data`` (already on ``cfg.device``) with the given seed."""
    if model_name not in MODELS:
        raise ValueError(f"unknown model {model_name!r}; allowed: {', '.join(MODELS)}")
    seed_everything(seed)
    x = data.x if data.x.is_sparse else data.x.to_sparse()
    n_classes = int(data.y.max()) + 1
    model = MODELS[model_name](data.num_features, cfg.hidden, n_classes, cfg.dropout).to(cfg.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    tr, va = data.train_mask, data.val_mask
    val_accs: list[float] = []

    def train_step(epoch: int) -> float:
        loss = F.cross_entropy(model(x, data.edge_index)[tr], data.y[tr])
        return optimizer_step(opt, loss, step=epoch, what=f"{model_name} training loss")

    def val_loss() -> float:
        out = model(x, data.edge_index)
        val_accs.append(accuracy(out[va], data.y[va]))
        return float(F.cross_entropy(out[va], data.y[va]))

    log = fit(
        model, train_step, val_loss, steps=cfg.epochs, mode="min", patience=cfg.patience, desc=model_name
    )
    with torch.no_grad():
        out = model(x, data.edge_index)
    return RunResult(
        model=model_name,
        seed=seed,
        test_acc=accuracy(out[data.test_mask], data.y[data.test_mask]),
        best_epoch=log.best_step,
        val_acc_curve=np.asarray(val_accs),
        train_loss_curve=np.asarray(log.train_loss),
    )


def compare(data: Data, cfg: PrologueConfig) -> list[RunResult]:
    """Train every model for seeds ``cfg.seed .. cfg.seed + cfg.n_seeds - 1``; one result per run."""
    if cfg.row_normalize:
        data = data.clone()
        data.x = row_normalize(data.x)
    data = data.to(cfg.device)
    runs = [(m, cfg.seed + i) for i in range(cfg.n_seeds) for m in MODELS]
    return [train_node_classifier(data, m, cfg, s) for m, s in progress(runs, desc="training runs")]


def summarise(runs: list[RunResult]) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation (ddof=0) of test accuracy per model, ``{model: (mean, std)}``."""
    return {
        m: mean_sd(r.test_acc for r in runs if r.model == m) for m in dict.fromkeys(r.model for r in runs)
    }


def padded_curves(curves: list[np.ndarray]) -> np.ndarray:
    """Stack curves of unequal length (early stopping) into [runs, max_len], padding with NaN."""
    out = np.full((len(curves), max(len(c) for c in curves)), np.nan)
    for i, c in enumerate(curves):
        out[i, : len(c)] = c
    return out
