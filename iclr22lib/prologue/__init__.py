"""The prologue (chapter 0): GCN against MLP node classification on a Planetoid graph.

It is the template every chapter follows: a config with ``smoke`` and ``full`` presets,
small model and training modules, and functions the notebook calls.
"""

from iclr22lib.prologue.config import (
    FULL,
    MIN_GAP,
    PAPER_GCN_ACCURACY,
    PUBLISHED_STATS,
    SMOKE,
    PrologueConfig,
    config,
)
from iclr22lib.prologue.models import GCN, MLP
from iclr22lib.prologue.train import (
    MODELS,
    RunResult,
    compare,
    padded_curves,
    summarise,
    train_node_classifier,
)

__all__ = [
    "FULL",
    "GCN",
    "MIN_GAP",
    "MLP",
    "MODELS",
    "PAPER_GCN_ACCURACY",
    "PUBLISHED_STATS",
    "SMOKE",
    "PrologueConfig",
    "RunResult",
    "compare",
    "config",
    "padded_curves",
    "summarise",
    "train_node_classifier",
]
