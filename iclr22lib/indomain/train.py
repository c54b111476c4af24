"""One trainer for every model, rendering each minibatch on the fly from factor indices."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from iclr22lib.core.progress import progress
from iclr22lib.core.training import check_finite

from .grid import Grid, Split, make_split
from .metrics import r2_per_factor
from .models import build_model
from .sprites import render_indices
from .vae import VAE_MODELS, ConvVAE, ReadoutModel, sample_pairs, vae_loss


@dataclass
class Run:
    """One trained model on one split: per-factor R² on the test set and on each one-factor-OOD subset."""

    model: str
    split: str
    seed: int
    r2: np.ndarray  # [K]
    loss_curve: np.ndarray
    ood_r2: dict[str, np.ndarray] = field(default_factory=dict)  # name -> [K]
    ood_mean_pred: dict[str, float] = field(default_factory=dict)  # mean prediction of the OOD factor

    @property
    def r2_mean(self) -> float:
        return float(self.r2.mean())


def predict(model: torch.nn.Module, grid: Grid, points: np.ndarray, *, resolution: int, device,
            batch_size: int = 1024, orientation_span: float = 360.0) -> np.ndarray:
    """Predictions ``[N, K]`` for the grid points ``points`` (flat indices)."""
    idx_all = grid.indices()
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(points), batch_size):
            idx = torch.as_tensor(idx_all[points[i:i + batch_size]], device=device)
            out.append(model(render_indices(idx, grid.sizes, resolution=resolution, device=device, orientation_span=orientation_span)).cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, len(grid.sizes)), np.float32)


def train_vae(kind: str, grid: Grid, train_points: np.ndarray, *, resolution: int, epochs: int, batch_size: int,
              lr: float, seed: int, device, latent: int = 10, beta: float = 1.0, gamma: float = 10.0,
              rate: float = 6.0, max_steps: int | None = None, orientation_span: float = 360.0):
    """Fit a :class:`~.vae.ConvVAE` of ``kind`` (β-VAE, Ada-GVAE or SlowVAE) on the training images only
    (pairs are drawn inside the split); returns ``(vae, loss_curve)``."""
    torch.manual_seed(seed)
    gen = np.random.default_rng(seed)
    vae = ConvVAE(latent, resolution).to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    idx_all = grid.indices()
    in_split = np.zeros(grid.total, dtype=bool)
    in_split[train_points] = True
    draw = dict(resolution=resolution, device=device, orientation_span=orientation_span)
    curve, step = [], 0
    for _epoch in progress(range(epochs), desc=kind):
        order = gen.permutation(train_points)
        total, count = 0.0, 0
        for i in range(0, len(order), batch_size):
            idx = idx_all[order[i : i + batch_size]]
            x1 = render_indices(torch.as_tensor(idx), grid.sizes, **draw)
            x2 = None
            if kind != "beta_vae":
                x2 = render_indices(torch.as_tensor(sample_pairs(kind, idx, grid.sizes, in_split, gen)), grid.sizes, **draw)
            loss = vae_loss(kind, vae, x1, x2, beta=beta, gamma=gamma, rate=rate)
            check_finite(loss.item(), step=step, what=f"{kind} loss")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count, step = total + loss.item() * len(idx), count + len(idx), step + 1
            if max_steps is not None and step >= max_steps:
                break
        curve.append(total / max(count, 1))
        if max_steps is not None and step >= max_steps:
            break
    return vae.eval(), np.array(curve)


def train_regressor(model_name: str, grid: Grid, train_points: np.ndarray, *, resolution: int, epochs: int,
                    batch_size: int, lr: float, seed: int, device, max_steps: int | None = None,
                    orientation_span: float = 360.0, vae_kw: dict | None = None):
    """Train ``model_name`` with Adam on MSE to the normalised factors of ``train_points``.

    For the VAE families the VAE is first fitted without labels (:func:`train_vae`, options ``vae_kw``),
    then only an MLP read-out on its frozen posterior means is trained here.
    Returns ``(model, loss_curve)`` with the mean regression loss of every epoch.
    """
    if model_name in VAE_MODELS:
        vae, _ = train_vae(model_name, grid, train_points, resolution=resolution, epochs=epochs,
                           batch_size=batch_size, lr=lr, seed=seed, device=device, max_steps=max_steps,
                           orientation_span=orientation_span, **(vae_kw or {}))
        torch.manual_seed(seed)
        model = ReadoutModel(vae, len(grid.sizes)).to(device)
        params = list(model.head.parameters())
    else:
        torch.manual_seed(seed)
        model = build_model(model_name, len(grid.sizes), resolution).to(device)
        params = list(model.parameters())
    gen = np.random.default_rng(seed)
    opt = torch.optim.Adam(params, lr=lr)
    idx_all = torch.as_tensor(grid.indices())
    targets = torch.as_tensor(grid.targets(grid.indices()))
    curve, step = [], 0
    for _epoch in progress(range(epochs), desc=f"{model_name}"):
        model.train()
        order = gen.permutation(train_points)
        total, count = 0.0, 0
        for i in range(0, len(order), batch_size):
            pts = torch.as_tensor(order[i:i + batch_size])
            x = render_indices(idx_all[pts].to(device), grid.sizes, resolution=resolution, device=device,
                               orientation_span=orientation_span)
            loss = torch.nn.functional.mse_loss(model(x), targets[pts].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_value = loss.item()
            check_finite(loss_value, step=step)
            total, count, step = total + loss_value * len(pts), count + len(pts), step + 1
            if max_steps is not None and step >= max_steps:
                break
        curve.append(total / max(count, 1))
        if max_steps is not None and step >= max_steps:
            break
    return model, np.array(curve)


def run_one(model_name: str, grid: Grid, split: Split, cfg, seed: int, *, max_steps: int | None = None) -> Run:
    """Train on ``split.train`` and score on the test set (capped at ``cfg.max_test``) and OOD subsets."""
    kw = dict(resolution=cfg.resolution, device=cfg.device, orientation_span=cfg.orientation_span)
    vae_kw = dict(latent=cfg.latent, beta=cfg.beta, gamma=cfg.slow_gamma, rate=cfg.slow_rate)
    model, curve = train_regressor(model_name, grid, split.train, epochs=cfg.epochs, batch_size=cfg.batch_size,
                                   lr=cfg.lr, seed=seed, max_steps=max_steps, vae_kw=vae_kw, **kw)
    rng = np.random.default_rng(seed + 1)

    def cap(points):
        if cfg.max_test and len(points) > cfg.max_test:
            return np.sort(rng.choice(points, cfg.max_test, replace=False))
        return points

    idx_all = grid.indices()
    test = cap(split.test)
    r2 = r2_per_factor(predict(model, grid, test, **kw), grid.targets(idx_all[test]), grid.sizes)
    run = Run(model_name, split.kind, seed, r2, curve)
    for name, pts in split.ood.items():
        pts = cap(pts)
        pred = predict(model, grid, pts, **kw)
        run.ood_r2[name] = r2_per_factor(pred, grid.targets(idx_all[pts]), grid.sizes)
        run.ood_mean_pred[name] = float(pred[:, grid.names.index(name)].mean())
    return run


def run_experiment(cfg, *, max_steps: int | None = None) -> list[Run]:
    """Every (split, model, seed) of ``cfg``; seeds are ``cfg.seed, cfg.seed + 1, ...``."""
    grid = _grid(cfg)
    runs = []
    for kind in cfg.splits:
        split = make_split(grid, kind, seed=cfg.seed)
        for model_name in cfg.models:
            for s in range(cfg.n_seeds):
                runs.append(run_one(model_name, grid, split, cfg, cfg.seed + s, max_steps=max_steps))
    return runs


def _grid(cfg) -> Grid:
    from .grid import dsprites_grid

    return dsprites_grid(tuple(cfg.grid_sizes), cfg.ratio)
