"""Scales and the validated config of the prologue."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.claims import Claim
from iclr22lib.core.config import ChapterConfig, RunConfig, knob
from iclr22lib.core.data import PLANETOID


@dataclass(frozen=True)
class PrologueConfig(RunConfig):
    """GCN vs MLP on a Planetoid graph; the defaults are Kipf & Welling's (2017) settings."""

    dataset: str = knob("cora", choices=PLANETOID, help="Planetoid graph")
    n_seeds: int = knob(10, low=1, high=100, help="training runs per model (seeds SEED, SEED+1, ...)")
    row_normalize: bool = knob(True, help="scale each node's features to sum 1, as Kipf & Welling do")
    hidden: int = knob(16, low=1, high=4096, help="hidden units of both models")
    dropout: float = knob(0.5, low=0.0, high=0.95, help="dropout on the input and hidden layer")
    lr: float = knob(0.01, low=1e-6, high=1.0, help="Adam learning rate")
    weight_decay: float = knob(5e-4, low=0.0, high=1.0, help="L2 penalty (Adam weight decay)")
    epochs: int = knob(200, low=1, high=100_000, help="full-batch training epochs")
    patience: int = knob(
        100, low=1, high=100_000, help="stop after this many epochs without a better val loss"
    )


SMOKE = PrologueConfig(scale="smoke", n_seeds=3, epochs=200)
FULL = PrologueConfig(scale="full", n_seeds=20, epochs=1000)
PRESETS = {"smoke": SMOKE, "full": FULL}


#: Published statistics of the Planetoid graphs: (nodes, undirected edges, features, classes),
#: as reported by Yang et al. (2016) and Kipf & Welling (2017).
PUBLISHED_STATS = {"cora": (2708, 5278, 1433, 7), "citeseer": (3327, 4552, 3703, 6)}

#: GCN test accuracy on the standard split, Table 2 of Kipf & Welling (2017).
PAPER_GCN_ACCURACY = {"cora": 0.815, "citeseer": 0.703}

#: The margin (accuracy, 0-1) by which the chapter claims the GCN beats the MLP.
MIN_GAP = {"cora": 0.10, "citeseer": 0.05}


def claim(dataset: str) -> Claim:
    """The chapter's claim, fixed before any run: the GCN's test accuracy minus the MLP's, paired by
    seed, is above :data:`MIN_GAP` (a 95 % t interval over the run's seeds decides it)."""
    return Claim(
        text=f"A two-layer GCN beats an MLP of the same width on {dataset} by more than "
        f"{100 * MIN_GAP[dataset]:.0f} points",
        ours="GCN",
        baseline="MLP",
        direction="greater",
        threshold=MIN_GAP[dataset],
        threshold_source="this chapter's own margin (Kipf & Welling 2017 report no MLP on this split)",
    )


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch00", PRESETS)
