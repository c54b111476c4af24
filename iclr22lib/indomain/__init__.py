"""Chapter 9: visual representation learning does not generalise strongly within the same domain.

Public API: a batched procedural sprite renderer (:func:`render`, :func:`render_indices`), factor
grids and the four splits (:func:`dsprites_grid`, :func:`make_split`), the full-grid R²
(:func:`r2_per_factor`), regressors (:func:`build_model`: CNN, CoordConv, ResNet-18, MLP), the VAE families
(:mod:`.vae`: β-VAE, Ada-GVAE, SlowVAE with a read-out) and one trainer (:func:`run_experiment`).
"""

from .config import FULL, PRESETS, README_DSPRITES_EXTRAPOLATION, SMOKE, InDomainConfig, config
from .grid import MPI3D, SHAPES3D, SPLITS, Grid, Split, dsprites_grid, heldout_values, make_split
from .metrics import grid_variance, r2_per_factor
from .models import CNN, MLP, MODELS, SUPERVISED, CoordConvCNN, ResNet18, build_model
from .sprites import SHAPES, factor_values, render, render_indices, render_one
from .train import Run, predict, run_experiment, run_one, train_regressor, train_vae
from .vae import (
    VAE_MODELS,
    ConvVAE,
    ReadoutModel,
    adaptive_average,
    kl_between,
    kl_normal,
    sample_pairs,
    vae_loss,
)

__all__ = [
    "CNN",
    "FULL",
    "MLP",
    "MODELS",
    "MPI3D",
    "PRESETS",
    "README_DSPRITES_EXTRAPOLATION",
    "SHAPES",
    "SHAPES3D",
    "SMOKE",
    "SPLITS",
    "SUPERVISED",
    "VAE_MODELS",
    "ConvVAE",
    "CoordConvCNN",
    "Grid",
    "InDomainConfig",
    "ReadoutModel",
    "ResNet18",
    "Run",
    "Split",
    "adaptive_average",
    "build_model",
    "config",
    "dsprites_grid",
    "factor_values",
    "grid_variance",
    "heldout_values",
    "kl_between",
    "kl_normal",
    "make_split",
    "predict",
    "r2_per_factor",
    "render",
    "render_indices",
    "render_one",
    "run_experiment",
    "run_one",
    "sample_pairs",
    "train_regressor",
    "train_vae",
    "vae_loss",
]
