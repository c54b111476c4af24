"""Full-batch training with early stopping on validation loss, and the GCN-vs-MLP comparison."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from iclr22lib.core.graphs import row_normalize
from iclr22lib.core.progress import progress
from iclr22lib.core.seeding import seed_everything
from iclr22lib.core.training import accuracy, check_finite
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
    best_val, best_state, best_epoch, waited = float("inf"), None, 0, 0
    val_accs, losses = [], []
    for epoch in range(cfg.epochs):
        model.train()
        opt.zero_grad()
        out = model(x, data.edge_index)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        check_finite(loss, step=epoch, what=f"{model_name} training loss")
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            out = model(x, data.edge_index)
            val_loss = float(F.cross_entropy(out[data.val_mask], data.y[data.val_mask]))
        val_accs.append(accuracy(out[data.val_mask], data.y[data.val_mask]))
        losses.append(loss.item())
        if val_loss < best_val:
            best_val, best_epoch, waited = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        out = model(x, data.edge_index)
    return RunResult(
        model=model_name,
        seed=seed,
        test_acc=accuracy(out[data.test_mask], data.y[data.test_mask]),
        best_epoch=best_epoch,
        val_acc_curve=np.asarray(val_accs),
        train_loss_curve=np.asarray(losses),
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
    """Mean and standard deviation of test accuracy per model, ``{model: (mean, std)}``."""
    out = {}
    for model in dict.fromkeys(r.model for r in runs):
        accs = np.array([r.test_acc for r in runs if r.model == model])
        out[model] = (float(accs.mean()), float(accs.std()))
    return out


def padded_curves(curves: list[np.ndarray]) -> np.ndarray:
    """Stack curves of unequal length (early stopping) into [runs, max_len], padding with NaN."""
    out = np.full((len(curves), max(len(c) for c in curves)), np.nan)
    for i, c in enumerate(curves):
        out[i, : len(c)] = c
    return out
