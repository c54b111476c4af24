"""One trainer for every model, rendering each minibatch on the fly from factor indices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from iclr22lib.core.progress import progress
from iclr22lib.core.training import optimizer_step
from iclr22lib.indomain.config import InDomainConfig
from iclr22lib.indomain.grid import Grid, Split, make_split
from iclr22lib.indomain.metrics import r2_per_factor
from iclr22lib.indomain.models import build_model
from iclr22lib.indomain.sprites import render_indices
from iclr22lib.indomain.vae import VAE_MODELS, ConvVAE, ReadoutModel, sample_pairs, vae_loss


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


def predict(
    model: torch.nn.Module,
    grid: Grid,
    points: np.ndarray,
    *,
    resolution: int,
    device: torch.device | str,
    batch_size: int = 1024,
    orientation_span: float = 360.0,
) -> np.ndarray:
    """Predictions ``[N, K]`` for the grid points ``points`` (flat indices)."""
    idx_all = grid.indices()
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(points), batch_size):
            idx = torch.as_tensor(idx_all[points[i : i + batch_size]], device=device)
            out.append(
                model(
                    render_indices(
                        idx,
                        grid.sizes,
                        resolution=resolution,
                        device=device,
                        orientation_span=orientation_span,
                    )
                ).cpu()
            )
    return torch.cat(out).numpy() if out else np.zeros((0, len(grid.sizes)), np.float32)


def _train_epochs(
    opt: torch.optim.Optimizer,
    points: np.ndarray,
    batch_loss: Callable[[np.ndarray], torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    gen: np.random.Generator,
    max_steps: int | None,
    desc: str,
    what: str = "loss",
) -> np.ndarray:
    """``epochs`` passes over the grid points ``points`` [N] in a fresh order drawn from ``gen``, one
    :func:`optimizer_step` on ``batch_loss(batch)`` per batch, at most ``max_steps`` steps in all.
    Returns the mean loss of every epoch [E]."""
    curve, step = [], 0
    for _epoch in progress(range(epochs), desc=desc):
        order = gen.permutation(points)
        total, count = 0.0, 0
        for i in range(0, len(order), batch_size):
            batch = order[i : i + batch_size]
            total += optimizer_step(opt, batch_loss(batch), step=step, what=what) * len(batch)
            count, step = count + len(batch), step + 1
            if max_steps is not None and step >= max_steps:
                break
        curve.append(total / max(count, 1))
        if max_steps is not None and step >= max_steps:
            break
    return np.array(curve)


def train_vae(kind: str, grid: Grid, train_points: np.ndarray, *, resolution: int, epochs: int, batch_size: int,
              lr: float, seed: int, device: torch.device | str, latent: int = 10, beta: float = 1.0,
              gamma: float = 10.0, rate: float = 6.0, max_steps: int | None = None,
              orientation_span: float = 360.0) -> tuple[ConvVAE, np.ndarray]:  # fmt: skip
    """Fit a :class:`~iclr22lib.indomain.vae.ConvVAE` of ``kind`` (β-VAE, Ada-GVAE or SlowVAE) on the
    training images only (pairs are drawn inside the split); returns ``(vae, loss_curve [E])``."""
    torch.manual_seed(seed)
    gen = np.random.default_rng(seed)
    vae = ConvVAE(latent, resolution).to(device)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    idx_all = grid.indices()
    in_split = np.zeros(grid.total, dtype=bool)
    in_split[train_points] = True
    draw = dict(resolution=resolution, device=device, orientation_span=orientation_span)

    def batch_loss(batch: np.ndarray) -> torch.Tensor:
        idx = idx_all[batch]
        x1 = render_indices(torch.as_tensor(idx), grid.sizes, **draw)
        x2 = None
        if kind != "beta_vae":
            pairs = torch.as_tensor(sample_pairs(kind, idx, grid.sizes, in_split, gen))
            x2 = render_indices(pairs, grid.sizes, **draw)
        return vae_loss(kind, vae, x1, x2, beta=beta, gamma=gamma, rate=rate)

    curve = _train_epochs(opt, train_points, batch_loss, epochs=epochs, batch_size=batch_size, gen=gen,
                          max_steps=max_steps, desc=kind, what=f"{kind} loss")  # fmt: skip
    return vae.eval(), curve


def train_regressor(model_name: str, grid: Grid, train_points: np.ndarray, *, resolution: int, epochs: int,
                    batch_size: int, lr: float, seed: int, device: torch.device | str, max_steps: int | None = None,
                    orientation_span: float = 360.0, vae_kw: dict | None = None,
                    ) -> tuple[torch.nn.Module, np.ndarray]:  # fmt: skip
    """Train ``model_name`` with Adam on MSE to the normalised factors of ``train_points``.

    For the VAE families the VAE is first fitted without labels (:func:`train_vae`, options ``vae_kw``),
    then only an MLP read-out on its frozen posterior means is trained here.
    Returns ``(model, loss_curve)`` with the mean regression loss of every epoch [E].
    """
    if model_name in VAE_MODELS:
        vae, _ = train_vae(model_name, grid, train_points, resolution=resolution, epochs=epochs,
                           batch_size=batch_size, lr=lr, seed=seed, device=device, max_steps=max_steps,
                           orientation_span=orientation_span, **(vae_kw or {}))  # fmt: skip
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

    def batch_loss(batch: np.ndarray) -> torch.Tensor:
        pts = torch.as_tensor(batch)
        x = render_indices(idx_all[pts].to(device), grid.sizes, resolution=resolution, device=device,
                           orientation_span=orientation_span)  # fmt: skip
        return torch.nn.functional.mse_loss(model(x), targets[pts].to(device))

    model.train()
    curve = _train_epochs(opt, train_points, batch_loss, epochs=epochs, batch_size=batch_size, gen=gen,
                          max_steps=max_steps, desc=model_name)  # fmt: skip
    return model, curve


def run_one(
    model_name: str, grid: Grid, split: Split, cfg: InDomainConfig, seed: int, *, max_steps: int | None = None
) -> Run:
    """Train on ``split.train`` and score on the test set (capped at ``cfg.max_test``) and OOD subsets."""
    kw = dict(resolution=cfg.resolution, device=cfg.device, orientation_span=cfg.orientation_span)
    vae_kw = dict(latent=cfg.latent, beta=cfg.beta, gamma=cfg.slow_gamma, rate=cfg.slow_rate)
    model, curve = train_regressor(
        model_name,
        grid,
        split.train,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        seed=seed,
        max_steps=max_steps,
        vae_kw=vae_kw,
        **kw,
    )
    rng = np.random.default_rng(seed + 1)

    def cap(points: np.ndarray) -> np.ndarray:
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


def run_experiment(cfg: InDomainConfig, *, max_steps: int | None = None) -> list[Run]:
    """Every (split, model, seed) of ``cfg``; seeds are ``cfg.seed, cfg.seed + 1, ...``."""
    grid = _grid(cfg)
    runs = []
    for kind in cfg.splits:
        split = make_split(grid, kind, seed=cfg.seed)
        for model_name in cfg.models:
            for s in range(cfg.n_seeds):
                runs.append(run_one(model_name, grid, split, cfg, cfg.seed + s, max_steps=max_steps))
    return runs


def _grid(cfg: InDomainConfig) -> Grid:
    from iclr22lib.indomain.grid import dsprites_grid

    return dsprites_grid(tuple(cfg.grid_sizes), cfg.ratio)
