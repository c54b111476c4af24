"""The prologue (chapter 0): GCN against MLP node classification on a Planetoid graph.

It is the template every chapter follows: a config with ``smoke`` and ``full`` presets,
small model and training modules, and functions the notebook calls.
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.prologue.config import (
    FULL,
    MIN_GAP,
    PAPER_GCN_ACCURACY,
    PUBLISHED_STATS,
    SMOKE,
    PrologueConfig,
    claim,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.prologue.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "models": ("GCN", "MLP"),
        "train": ("MODELS", "RunResult", "compare", "padded_curves", "summarise", "train_node_classifier"),
    },
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
    "claim",
    "compare",
    "config",
    "padded_curves",
    "summarise",
    "train_node_classifier",
]
