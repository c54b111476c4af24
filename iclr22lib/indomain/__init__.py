"""Chapter 9: visual representation learning does not generalise strongly within the same domain.

Public API: a batched procedural sprite renderer (:func:`render`, :func:`render_indices`), factor
grids and the four splits (:func:`dsprites_grid`, :func:`make_split`), the full-grid R²
(:func:`r2_per_factor`), regressors (:func:`build_model`) and one trainer (:func:`run_experiment`).
"""

from .config import FULL, PRESETS, README_DSPRITES_EXTRAPOLATION, SMOKE, InDomainConfig, config
from .grid import MPI3D, SHAPES3D, SPLITS, Grid, Split, dsprites_grid, heldout_values, make_split
from .metrics import grid_variance, r2_per_factor
from .models import CNN, MLP, MODELS, CoordConvCNN, build_model
from .sprites import SHAPES, factor_values, render, render_indices, render_one
from .train import Run, predict, run_experiment, run_one, train_regressor

__all__ = [
    "CNN", "FULL", "MLP", "MODELS", "MPI3D", "PRESETS", "README_DSPRITES_EXTRAPOLATION", "SHAPES", "SHAPES3D",
    "SMOKE", "SPLITS", "CoordConvCNN", "Grid", "InDomainConfig", "Run", "Split", "build_model", "config",
    "dsprites_grid", "factor_values", "grid_variance", "heldout_values", "make_split", "predict", "r2_per_factor",
    "render", "render_indices", "render_one", "run_experiment", "run_one", "train_regressor",
]
