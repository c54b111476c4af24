"""Training with validation-based model selection, and the chapter's data sets and experiment."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from iclr22lib.core.device import cpu_threads
from iclr22lib.core.training import eval_mode, fit, optimizer_step
from iclr22lib.trajattr.attribution import Attribution, attribute, drop_neighbours, summarise
from iclr22lib.trajattr.config import TrajAttrConfig
from iclr22lib.trajattr.data import TrajBatch, load_split, subsample
from iclr22lib.trajattr.models import MODEL_NAMES, ConstantVelocity, build_model, displacement, nll
from iclr22lib.trajattr.simulate import simulated_samples


def rotate(batch: TrajBatch, angle: torch.Tensor) -> TrajBatch:
    """Rotate every sample's coordinates by its own ``angle`` [B] (radians) about the origin."""
    c, s = angle.cos(), angle.sin()
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # [B, 2, 2]

    def r(x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        return torch.einsum("bij,bnj->bni", rot, x.reshape(shape[0], -1, 2)).reshape(shape)

    return TrajBatch(r(batch.past), r(batch.future), r(batch.nbrs), batch.nbr_mask, batch.group)


@torch.no_grad()
def evaluate(model: nn.Module, batch: TrajBatch, chunk: int = 8192) -> dict[str, float]:
    """Mean NLL per step, minADE and minFDE (metres) over the model's modes (in eval mode)."""
    tot = {"nll": 0.0, "minade": 0.0, "minfde": 0.0}
    with eval_mode(model):
        for i in range(0, len(batch), chunk):
            b = batch.index(slice(i, i + chunk))
            mix = model(b.past, b.nbrs, b.nbr_mask)
            ade, fde = displacement(mix, b.future)
            tot["nll"] += float(nll(mix, b.future).sum())
            tot["minade"] += float(ade.sum())
            tot["minfde"] += float(fde.sum())
    return {k: v / len(batch) for k, v in tot.items()}


@dataclass
class TrainLog:
    """Validation NLL at each check, and the step whose weights were kept."""

    steps: list[int] = field(default_factory=list)
    val_nll: list[float] = field(default_factory=list)
    best_step: int = 0


def train_model(
    name: str, train: TrajBatch, val: TrajBatch, cfg: TrajAttrConfig, *, augment: bool = True, seed: int = 0
) -> tuple[torch.nn.Module, TrainLog]:
    """Train one of :data:`MODEL_NAMES` by NLL with Adam; keep the weights with the best validation NLL.

    The constant-velocity model has no weights: its spread is fitted on the training data.
    ``augment`` rotates each training batch by random angles (as Trajectron++ does on ETH/UCY).
    """
    dev = torch.device(cfg.device)
    torch.manual_seed(seed)
    model = build_model(name, cfg.hidden, cfg.n_modes).to(dev)
    log = TrainLog()
    if isinstance(model, ConstantVelocity):
        model.fit(train.past.to(dev), train.future.to(dev))
        return model, log
    train, val = train.to(dev), val.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.train_steps)
    gen = torch.Generator(device=dev).manual_seed(seed)

    def train_step(step: int) -> float:
        idx = torch.randint(len(train), (min(cfg.batch_size, len(train)),), generator=gen, device=dev)
        b = train.index(idx)
        if augment:
            b = rotate(b, torch.rand(len(b), generator=gen, device=dev) * 2 * math.pi)
        loss = nll(model(b.past, b.nbrs, b.nbr_mask), b.future).mean()
        return optimizer_step(opt, loss, clip=1.0, scheduler=sched, step=step + 1)

    fit_log = fit(
        model,
        train_step,
        lambda: evaluate(model, val)["nll"],
        steps=cfg.train_steps,
        eval_every=cfg.eval_every,
        desc=f"train {name}",
    )
    # steps are counted from 1 here
    log.steps, log.val_nll = [s + 1 for s in fit_log.eval_steps], fit_log.val
    log.best_step = fit_log.best_step + 1
    return model, log


@dataclass
class Splits:
    """Train / validation / test samples of one data set."""

    name: str
    train: TrajBatch
    val: TrajBatch
    test: TrajBatch


def sim_splits(cfg: TrajAttrConfig, lam: float, gamma: float, name: str = "sim") -> Splits:
    """Simulated train / val / test sets from disjoint seeds (val and test: a quarter of train each)."""
    n_eval = max(cfg.sim_scenes // 4, 10)
    kw = dict(radius=cfg.radius, max_nbrs=cfg.max_neighbours)
    return Splits(
        name,
        simulated_samples(cfg.sim_scenes, cfg.sim_agents, lam, gamma, seed=3 * cfg.seed + 1_000, **kw),
        simulated_samples(n_eval, cfg.sim_agents, lam, gamma, seed=3 * cfg.seed + 1_001, **kw),
        simulated_samples(n_eval, cfg.sim_agents, lam, gamma, seed=3 * cfg.seed + 1_002, **kw),
    )


def eth_splits(cfg: TrajAttrConfig, scene: str) -> Splits:
    """One leave-one-out ETH/UCY split, each part subsampled to the config's caps (seeded)."""
    kw = dict(radius=cfg.radius, max_nbrs=cfg.max_neighbours)
    return Splits(
        scene,
        subsample(load_split(scene, "train", **kw), cfg.max_train, cfg.seed),
        subsample(load_split(scene, "val", **kw), cfg.max_eval, cfg.seed + 1),
        subsample(load_split(scene, "test", **kw), cfg.max_eval, cfg.seed + 2),
    )


@dataclass
class DatasetResult:
    """Per model: the trained model, test metrics, drop-neighbour metrics, the attribution and its summary."""

    name: str
    models: dict[str, torch.nn.Module]
    metrics: dict[str, dict[str, float]]
    robustness: dict[str, dict[str, float]]
    attributions: dict[str, Attribution]
    summary: dict[str, dict[str, float]]
    logs: dict[str, TrainLog]


def run_dataset(
    cfg: TrajAttrConfig, splits: Splits, pool: TrajBatch | None = None, *, augment: bool = True
) -> DatasetResult:
    """Train the three models, test them, run the drop-neighbours test and attribute ``n_attr`` test targets.

    ``pool`` supplies the random agent and random replacements (default: the validation split, i.e.
    other scenes or times of the same data, as the official code draws them from other scenes).
    """
    dev = torch.device(cfg.device)
    pool = splits.val if pool is None else pool
    test = splits.test.to(dev)
    att_batch = subsample(splits.test, cfg.n_attr, cfg.seed + 3).to(dev)
    res = DatasetResult(splits.name, {}, {}, {}, {}, {}, {})
    with cpu_threads(1, cfg.device):
        for i, name in enumerate(MODEL_NAMES):
            _run_model(cfg, res, i, name, splits, test, att_batch, pool.to(dev), augment)
    return res


def _run_model(cfg, res, i, name, splits, test, att_batch, pool, augment) -> None:
    model, log = train_model(name, splits.train, splits.val, cfg, augment=augment, seed=cfg.seed + 10 * i)
    res.models[name] = model
    res.logs[name] = log
    res.metrics[name] = evaluate(model, test)
    res.robustness[name] = drop_neighbours(model, test)
    att = attribute(
        model,
        att_batch,
        estimator="exact",
        value=cfg.value,
        baseline=cfg.baseline,
        pool=pool,
        n_draws=cfg.n_random_draws,
        seed=cfg.seed,
    )
    res.attributions[name] = att
    res.summary[name] = summarise(att, seed=cfg.seed)
