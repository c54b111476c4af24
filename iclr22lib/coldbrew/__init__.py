"""Cold Brew (Zheng et al., ICLR 2022): distilling a structural-embedding GCN into an MLP student
that finds *virtual neighbours*, for nodes with few or no links.

Public API: :func:`config` (SMOKE/FULL presets), the degree groups (:func:`degree_groups`,
:func:`cut_isolated_edges`), the models (:class:`SEGCN`, :class:`ColdBrewStudent`, baselines),
:func:`virtual_neighbours`, :func:`se_penalty`, :func:`fcr`, the experiment (:func:`run_experiment`) and the
full-scale studies (:mod:`iclr22lib.coldbrew.sweeps`: depth grid, K and η sweeps, cut-edge MRR) and
the link-prediction variant (:mod:`iclr22lib.coldbrew.linkpred`: link loss, filtered MRR, Table 4).
"""

from iclr22lib.coldbrew.config import (
    FULL,
    GROUPS,
    OFFICIAL_GROUP_SIZES,
    OFFICIAL_RUN_CORA,
    PAPER_TABLE2,
    PAPER_TABLE3,
    PAPER_TABLE4,
    SMOKE,
    ColdBrewConfig,
    config,
)
from iclr22lib.core.lazy import lazy_exports

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.coldbrew.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "metrics": ("fcr", "label_propagation", "node_homophily"),
        "models": (
            "MLP", "SEGCN", "ColdBrewStudent", "GraphMLP", "GraphSAGE", "neighbour_contrastive_loss",
            "se_penalty", "virtual_neighbours",
        ),
        "splits": (
            "DegreeGroups", "LabelSplit", "cut_isolated_edges", "degree_groups", "label_split", "node_degree",
        ),
        "train": (
            "MODEL_NAMES", "DatasetResult", "Prepared", "fit_mlp1", "group_accuracy", "models_run", "prepare",
            "run_dataset", "run_experiment", "run_seed", "train_adam", "train_gcn", "train_graphmlp",
            "train_mlp", "train_sage", "train_student",
        ),
    },
)  # fmt: skip

__all__ = [
    "FULL",
    "GROUPS",
    "MLP",
    "MODEL_NAMES",
    "OFFICIAL_GROUP_SIZES",
    "OFFICIAL_RUN_CORA",
    "PAPER_TABLE2",
    "PAPER_TABLE3",
    "PAPER_TABLE4",
    "SEGCN",
    "SMOKE",
    "ColdBrewConfig",
    "ColdBrewStudent",
    "DatasetResult",
    "DegreeGroups",
    "GraphMLP",
    "GraphSAGE",
    "LabelSplit",
    "Prepared",
    "config",
    "cut_isolated_edges",
    "degree_groups",
    "fcr",
    "fit_mlp1",
    "group_accuracy",
    "label_propagation",
    "label_split",
    "linkpred",
    "models_run",
    "neighbour_contrastive_loss",
    "node_degree",
    "node_homophily",
    "prepare",
    "run_dataset",
    "run_experiment",
    "run_seed",
    "se_penalty",
    "sweeps",
    "train_adam",
    "train_gcn",
    "train_graphmlp",
    "train_mlp",
    "train_sage",
    "train_student",
    "virtual_neighbours",
]
