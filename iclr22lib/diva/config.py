"""Scales and the validated config of chapter 8 (DIVA), and the paper's numbers."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: Losses on the leave-one-out predictions (:mod:`iclr22lib.diva.ridge`).
LOSSES = ("mse", "ce")


@dataclass(frozen=True)
class DivaConfig(RunConfig):
    """DIVA on frozen features (ImageNet EfficientNet-Lite0, or random patches) of the CIFAR-10 JPEG subset."""

    n_train_per_class: int = knob(200, low=20, high=2000, help="train images per class (of 2,000 here)")
    n_test_per_class: int = knob(200, low=10, high=1000, help="test images per class (of 1,000)")
    backbone: str = knob(
        "efficientnet", choices=("efficientnet", "patches"), help="frozen feature map: pretrained or none"
    )
    image_size: int = knob(128, low=32, high=320, help="EfficientNet input size in pixels (CIFAR upscaled)")
    n_filters: int = knob(128, low=8, high=2048, help="random-patch filters K (features: 8K)")
    patch: int = knob(6, low=3, high=12, help="filter size in pixels")
    noise_levels: tuple[float, ...] = knob((0.2,), help="label-noise fractions of the detection runs")
    n_seeds: int = knob(1, low=1, high=20, help="runs per noise level (seeds SEED, SEED+1, ...)")
    loo_loss: str = knob("mse", choices=LOSSES, help="loss on the leave-one-out predictions")
    temperature: float = knob(10.0, low=0.01, high=1000.0, help="logit scale for 'ce' and Chang et al.")
    lam_grid: tuple[float, ...] = knob(
        (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0),
        help="ridge values tried by LOO selection",
    )
    reweight_steps: int = knob(3, low=1, high=50, help="DIVA Reweight gradient steps")
    lr: float = knob(0.1, low=1e-4, high=10.0, help="Reweight step, as mean relative change of a weight")
    ren_val_fraction: float = knob(0.2, low=0.05, high=0.5, help="held-out share for Ren et al.")
    extend_core_per_class: int = knob(20, low=2, high=500, help="Extend: core images per class")
    extend_pool_noise: float = knob(0.3, low=0.0, high=0.9, help="Extend: label-noise share of the pool")
    extend_k: int = knob(50, low=1, high=10_000, help="Extend: pool samples added per round")
    extend_rounds: int = knob(12, low=1, high=200, help="Extend: most rounds")
    aug_per_class: int = knob(60, low=5, high=2000, help="flip experiment: images per class")
    aug_loo_on: str = knob(
        "grouped",
        choices=("grouped", "original", "all"),
        help="flip experiment: LOO over originals left out with their copies | originals only | all images",
    )

    ntk: bool = knob(True, help="also run DIVA on the linearised (empirical-NTK) small CNN")
    ntk_per_class: int = knob(50, low=5, high=1000, help="linearised CNN: task images per class")
    ntk_pretrain_per_class: int = knob(
        150, low=10, high=1500, help="linearised CNN: pretraining images per class"
    )
    ntk_test_per_class: int = knob(50, low=5, high=1000, help="linearised CNN: test images per class")
    ntk_epochs: int = knob(8, low=1, high=500, help="linearised CNN: pretraining epochs")
    ntk_width: int = knob(16, low=2, high=256, help="linearised CNN: channels of the first conv layer")


SMOKE = DivaConfig(scale="smoke")
FULL = DivaConfig(
    scale="full",
    n_train_per_class=2000,
    n_test_per_class=1000,
    image_size=224,
    n_filters=512,
    noise_levels=(0.1, 0.2, 0.4),
    n_seeds=5,
    extend_core_per_class=100,
    extend_k=400,
    extend_rounds=20,
    aug_per_class=1000,
    ntk_per_class=500,
    ntk_pretrain_per_class=1500,
    ntk_test_per_class=500,
    ntk_epochs=30,
)
PRESETS = {"smoke": SMOKE, "full": FULL}


def _check(cfg: DivaConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    bad = [v for v in cfg.noise_levels if not 0.0 <= v < 0.9]
    if not cfg.noise_levels or bad:
        raise ConfigError(f"noise_levels={cfg.noise_levels!r}: give one or more fractions in [0, 0.9)")
    if not cfg.lam_grid or min(cfg.lam_grid) <= 0:
        raise ConfigError(f"lam_grid={cfg.lam_grid!r}: give one or more ridge values > 0")
    if cfg.extend_core_per_class >= cfg.n_train_per_class:
        raise ConfigError(
            f"extend_core_per_class={cfg.extend_core_per_class} must be below n_train_per_class="
            f"{cfg.n_train_per_class} (the rest of the train images form the pool)"
        )
    if cfg.ntk_per_class + cfg.ntk_pretrain_per_class > 2000:
        raise ConfigError(
            f"ntk_per_class + ntk_pretrain_per_class = {cfg.ntk_per_class + cfg.ntk_pretrain_per_class}: "
            "the two slices must fit in the 2,000 train images per class"
        )


#: Mislabelled-sample detection with 20 % label noise (ResNet-34 features), submission's Figure 3 table.
PAPER_DETECTION = {
    "CUB-200": (0.87, 0.98),
    "FGVC-Aircraft": (0.68, 0.90),
    "MIT Indoor-67": (0.86, 0.98),
    "Stanford Cars": (0.75, 0.93),
    "Caltech-256": (0.92, 0.99),
    "Oxford Flowers": (0.83, 0.97),
}  # dataset: (F1 at eps = 0, AUC)

#: Table 1 of the submission: test error (%) original → DIVA Reweight, and the two baselines.
PAPER_TABLE1 = {
    "FGVC-Aircraft": (57.58, 54.64, 70.48, 81.82),
    "CUB-200": (39.30, 36.93, 57.85, 72.55),
    "MIT Indoor-67": (32.54, 31.27, 37.84, 64.48),
    "Oxford Flowers": (20.23, 19.16, 22.82, 48.80),
    "Stanford Cars": (58.91, 56.31, 75.87, 83.09),
    "Caltech-256": (23.98, 21.29, 37.52, 58.44),
}  # dataset: (uniform, DIVA Reweight, Chang et al., Ren et al.)

#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch08", PRESETS, check=_check)
