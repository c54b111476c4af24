"""Scales and the validated config of the Deep AutoAugment chapter (chapter 6)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

OFFICIAL = ("cifar_1", "cifar_2")


@dataclass(frozen=True)
class DeepAAConfig(RunConfig):
    """Data splits (images per class), the search network and search, and the final training runs."""

    model: str = knob("cnn", choices=("cnn", "wrn-40-2", "wrn-28-2"), help="search and evaluation network")
    width: int = knob(12, low=2, high=256, help="base width of the small CNN")
    l_mags: int = knob(5, choices=(3, 5, 7, 9, 11, 13), help="magnitude bins (paper: 13 -> 139 choices)")
    n_layers: int = knob(3, low=1, high=10, help="maximum number of policy layers searched (paper: 6)")
    search_steps: int = knob(12, low=1, high=100_000, help="Adam steps per layer (paper: 1024)")
    n_points: int = knob(4, low=1, high=256, help="data points per step, B (paper: 16)")
    n_val: int = knob(16, low=1, high=1024, help="clean validation images per data point (paper: 64)")
    n_prev: int = knob(2, low=1, high=64, help="samples of the fixed layers per data point (paper: 16)")
    policy_lr: float = knob(
        0.2, low=1e-5, high=10.0, help="Adam learning rate of the policy logits (paper: 0.025)"
    )
    stop_identity: float = knob(
        0.9, low=0.0, high=1.0, help="stop when a searched layer keeps this Identity mass"
    )
    n_probe: int = knob(8, low=1, high=1024, help="fixed data points on which the cosine is compared")
    pretrain_per_class: int = knob(
        30, low=5, high=1000, help="images per class to pretrain the search network"
    )
    pretrain_epochs: int = knob(30, low=1, high=1000, help="pretraining epochs (paper: 45 on 5,000 images)")
    search_per_class: int = knob(50, low=5, high=1500, help="search-split images per class")
    val_per_class: int = knob(
        30, low=5, high=1000, help="clean validation images per class (search objective)"
    )
    train_per_class: int = knob(30, low=5, high=2000, help="images per class of the final training runs")
    test_per_class: int = knob(100, low=10, high=1000, help="test images per class")
    epochs: int = knob(80, low=1, high=1000, help="epochs of each final training run")
    batch_size: int = knob(64, low=8, high=4096, help="training batch size")
    lr: float = knob(0.05, low=1e-5, high=10.0, help="SGD learning rate (cosine schedule)")
    weight_decay: float = knob(5e-4, low=0.0, high=0.1, help="SGD weight decay")
    n_seeds: int = knob(2, low=1, high=20, help="training seeds per policy")
    official: str = knob("cifar_1", choices=OFFICIAL, help="released DeepAA policy evaluated beside ours")


SMOKE = DeepAAConfig(scale="smoke")
#: The paper's protocol scaled to one GPU hour: WRN-40-2, 139 choices, up to 6 layers, the whole subset.
FULL = DeepAAConfig(
    scale="full",
    model="wrn-40-2",
    l_mags=13,
    n_layers=6,
    search_steps=64,
    n_points=16,
    n_val=64,
    n_prev=4,
    policy_lr=0.025,
    n_probe=32,
    pretrain_per_class=500,
    pretrain_epochs=45,
    search_per_class=1000,
    val_per_class=500,
    train_per_class=2000,
    test_per_class=1000,
    epochs=30,
    batch_size=128,
    lr=0.1,
    n_seeds=3,
)
PRESETS = {"smoke": SMOKE, "full": FULL}


def _check(cfg: DeepAAConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    used = cfg.pretrain_per_class + cfg.search_per_class + cfg.val_per_class
    if used > 2000:
        raise ConfigError(
            f"pretrain_per_class + search_per_class + val_per_class = {used}, but the staged CIFAR-10 subset "
            "has 2000 train images per class"
        )


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch06", PRESETS, check=_check)
