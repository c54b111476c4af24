"""Scales and the validated config of chapter 9."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: The four split kinds (:func:`iclr22lib.indomain.grid.make_split`).
SPLITS = ("random", "composition", "interpolation", "extrapolation")
#: Supervised families (:mod:`iclr22lib.indomain.models`); the VAE families of :mod:`iclr22lib.indomain.vae` add
#: ``beta_vae``, ``ada_gvae``, ``slow_vae``.
SUPERVISED = ("cnn", "coordconv", "resnet18", "mlp")
MODELS = (*SUPERVISED, "beta_vae", "ada_gvae", "slow_vae")


@dataclass(frozen=True)
class InDomainConfig(RunConfig):
    """Factor regression on procedural sprites, per split kind and model family (supervised, or a VAE
    trained without labels / with weak labels followed by a supervised read-out)."""

    resolution: int = knob(64, choices=(32, 64), help="image side length in pixels")
    grid_sizes: tuple[int, ...] = knob((3, 6, 40, 32, 32), help="values of shape, scale, orientation, x, y")
    orientation_span: float = knob(
        360.0,
        low=1.0,
        high=360.0,
        help="orientations span [0, this] degrees (dSprites: 360, not identifiable)",
    )
    ratio: float = knob(
        0.2, low=0.05, high=0.5, help="held-out ratio r of the structured splits (dSprites: 0.2)"
    )
    splits: tuple[str, ...] = knob(SPLITS, help=f"split kinds to run, from {SPLITS}")
    models: tuple[str, ...] = knob(MODELS, help=f"model families, from {MODELS}")
    n_seeds: int = knob(3, low=1, high=20, help="training runs per (split, model)")
    epochs: int = knob(5, low=1, high=1000, help="passes over the training split")
    batch_size: int = knob(256, low=1, high=65536, help="minibatch size")
    lr: float = knob(1e-3, low=1e-6, high=1.0, help="Adam learning rate")
    latent: int = knob(10, low=1, high=256, help="VAE families: latent dimensions")
    beta: float = knob(1.0, low=0.0, high=100.0, help="VAE families: weight of the KL to the N(0, I) prior")
    slow_gamma: float = knob(
        10.0, low=0.0, high=1000.0, help="SlowVAE: weight of the Laplace transition prior"
    )
    slow_rate: float = knob(6.0, low=0.01, high=100.0, help="SlowVAE: rate of the Laplace transition prior")
    max_test: int = knob(0, low=0, high=10_000_000, help="evaluate on at most this many test points (0: all)")


SMOKE = InDomainConfig(
    scale="smoke",
    resolution=32,
    grid_sizes=(3, 6, 10, 16, 16),
    orientation_span=81.0,
    splits=("random", "extrapolation"),
    models=("cnn",),
    n_seeds=1,
    epochs=8,
    batch_size=128,
    lr=1e-3,
    max_test=4000,
)
FULL = InDomainConfig(scale="full")
PRESETS = {"smoke": SMOKE, "full": FULL}


def _check(cfg: InDomainConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    bad = [s for s in cfg.splits if s not in SPLITS] + [m for m in cfg.models if m not in MODELS]
    if bad:
        raise ConfigError(f"unknown split/model names {bad}; splits: {SPLITS}, models: {MODELS}")
    if len(cfg.grid_sizes) != 5 or not 1 <= cfg.grid_sizes[0] <= 3 or min(cfg.grid_sizes) < 1:
        raise ConfigError(f"GRID_SIZES={cfg.grid_sizes} must be 5 sizes with 1..3 shapes")


#: Best extrapolation R² on dSprites in the official benchmark README's leaderboard (PCL, DenseNet-121).
README_DSPRITES_EXTRAPOLATION = {"PCL": 0.667, "DenseNet121": 0.644}

#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch09", PRESETS, check=_check)
