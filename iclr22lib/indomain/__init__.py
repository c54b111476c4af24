"""Chapter 9: visual representation learning does not generalise strongly within the same domain.

Public API: a batched procedural sprite renderer (:func:`render`, :func:`render_indices`), factor
grids and the four splits (:func:`dsprites_grid`, :func:`make_split`), the full-grid R²
(:func:`r2_per_factor`), regressors (:func:`build_model`: CNN, CoordConv, ResNet-18, MLP), the VAE families
(:mod:`iclr22lib.indomain.vae`: β-VAE, Ada-GVAE, SlowVAE with a read-out) and one trainer (:func:`run_experiment`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.indomain.config import (
    FULL,
    MODELS,
    PRESETS,
    README_DSPRITES_EXTRAPOLATION,
    SMOKE,
    SPLITS,
    SUPERVISED,
    InDomainConfig,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.indomain.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "grid": ("MPI3D", "SHAPES3D", "Grid", "Split", "dsprites_grid", "heldout_values", "make_split"),
        "metrics": ("grid_variance", "r2_per_factor"),
        "models": ("CNN", "MLP", "CoordConvCNN", "ResNet18", "build_model"),
        "sprites": ("SHAPES", "factor_values", "render", "render_indices", "render_one"),
        "train": ("Run", "predict", "run_experiment", "run_one", "train_regressor", "train_vae"),
        "vae": (
            "VAE_MODELS",
            "ConvVAE",
            "ReadoutModel",
            "adaptive_average",
            "kl_between",
            "kl_normal",
            "sample_pairs",
            "vae_loss",
        ),
    },
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
