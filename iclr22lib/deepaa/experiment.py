"""The chapter's experiment: pretrain the search network, search a policy, train with every policy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from iclr22lib.core.data import fetch
from iclr22lib.core.progress import progress
from iclr22lib.core.stats import mean_sd
from iclr22lib.deepaa.config import DeepAAConfig
from iclr22lib.deepaa.data import Splits, load_splits
from iclr22lib.deepaa.models import build_model
from iclr22lib.deepaa.policy import Policy, baseline_policies, load_official_policy
from iclr22lib.deepaa.search import SearchData, SearchResult, search_policy
from iclr22lib.deepaa.space import ChoiceSpace, build_space
from iclr22lib.deepaa.train import accuracy, train_model


def splits(cfg: DeepAAConfig) -> Splits:
    """The config's CIFAR-10 splits on its device."""
    s = load_splits(
        cfg.pretrain_per_class,
        cfg.search_per_class,
        cfg.val_per_class,
        cfg.train_per_class,
        cfg.test_per_class,
    )
    return Splits(*(getattr(s, f).to(cfg.device) for f in ("pretrain", "search", "val", "train", "test")))


def pretrain(
    cfg: DeepAAConfig, data: Splits, space: ChoiceSpace, max_steps: int | None = None
) -> torch.nn.Module:
    """The search network, trained on the pretrain split with crop + flip + cutout (as the official code)."""
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, width=cfg.width).to(cfg.device)
    default = baseline_policies(space)["crop+flip+cutout"]
    train_model(
        model, data.pretrain.x, data.pretrain.y, default, epochs=cfg.pretrain_epochs, batch_size=cfg.batch_size,
        lr=cfg.lr, weight_decay=cfg.weight_decay, seed=cfg.seed, max_steps=max_steps,
    )  # fmt: skip
    return model.eval()


def search(
    cfg: DeepAAConfig, model: torch.nn.Module, data: Splits, space: ChoiceSpace, **over: object
) -> SearchResult:
    """Run the layer-by-layer search with the config's settings (``over`` overrides keyword arguments)."""
    kw = dict(
        n_layers=cfg.n_layers, steps=cfg.search_steps, n_points=cfg.n_points, n_val=cfg.n_val, n_prev=cfg.n_prev,
        lr=cfg.policy_lr, stop_identity=cfg.stop_identity, n_probe=cfg.n_probe, seed=cfg.seed,
    )  # fmt: skip
    kw.update(over)
    sd = SearchData(data.search.x, data.search.y, data.val.x, data.val.y)
    return search_policy(model, sd, space, **kw)


def official_policy(cfg: DeepAAConfig, space: ChoiceSpace) -> Policy:
    """The released policy named by ``cfg.official`` (13 bins), mapped onto the chapter's op table."""
    path = fetch("deepaa_official_policies") / f"policy_DeepAA_{cfg.official}.npz"
    return load_official_policy(path, name=f"DeepAA (released {cfg.official})")


@dataclass
class Evaluation:
    """Test accuracy (fraction) per policy and seed, and CPU/GPU seconds per run."""

    acc: dict[str, list[float]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def mean(self, name: str) -> float:
        """Mean test accuracy of policy ``name`` over its seeds."""
        return mean_sd(self.acc[name])[0]

    def std(self, name: str) -> float:
        """Sample standard deviation (ddof 1) of its test accuracy over seeds; 0 for one seed."""
        return mean_sd(self.acc[name], ddof=1)[1]


def evaluate_policies(
    cfg: DeepAAConfig, data: Splits, policies: dict[str, Policy], max_steps: int | None = None
) -> Evaluation:
    """Train a fresh network per policy and seed on the train split; accuracy on the test split."""
    ev = Evaluation()
    runs = [(name, s) for s in range(cfg.n_seeds) for name in policies]
    for name, s in progress(runs, desc="training runs"):
        seed = cfg.seed * 1000 + s
        torch.manual_seed(seed)
        model = build_model(cfg.model, width=cfg.width).to(cfg.device)
        t0 = time.perf_counter()
        train_model(
            model, data.train.x, data.train.y, policies[name], epochs=cfg.epochs, batch_size=cfg.batch_size,
            lr=cfg.lr, weight_decay=cfg.weight_decay, seed=seed, max_steps=max_steps,
        )  # fmt: skip
        ev.acc.setdefault(name, []).append(accuracy(model, data.test.x, data.test.y))
        ev.seconds.setdefault(name, []).append(time.perf_counter() - t0)
    return ev


def space_of(cfg: DeepAAConfig) -> ChoiceSpace:
    """The choice space of the config's ``l_mags`` magnitude bins."""
    return build_space(cfg.l_mags)
