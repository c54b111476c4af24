"""GIANT-XRT (Chien et al., ICLR 2022): node features from a text encoder fine-tuned to predict each
node's neighbourhood as an extreme multi-label problem over a hierarchical label tree, coarse to fine.

Public API: :func:`config` (SMOKE/FULL presets); data (:func:`load_citeseer_text`, :class:`TextGraph`,
:func:`random_split`); the XMC problem (:func:`tfidf_features`, :func:`neighbour_targets`, :func:`pifa`,
:func:`balanced_kmeans_tree`, :class:`LabelTree`, :func:`multiresolution_targets`); encoders
(:class:`TfidfMLPEncoder`, :class:`TransformerEncoder`, :func:`load_minilm`); XR fine-tuning
(:func:`train_xr`, :class:`XRSchedule`, :func:`squared_hinge`, :func:`shortlist`, :func:`flat_tree`,
:func:`train_link_prediction`, tree inference :func:`beam_search`,
:func:`path_scores`, :func:`ranking_precision`); downstream (:func:`fit_classifier`, :class:`Classifier`,
:func:`scale_sparse`) and the experiment (:func:`build_problem`, :func:`fine_tune`, :func:`svd_features`,
:func:`concat_features`, :func:`select_on_validation`, :func:`level_precision`, :func:`evaluate_features`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.giant.config import (
    FULL,
    MODELS,
    SMOKE,
    GiantConfig,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.giant.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "data": (
            "CITESEER_TEXT_STATS",
            "CLASSES",
            "TextGraph",
            "load_citeseer_text",
            "random_split",
            "undirected_edges",
        ),
        "downstream": ("Classifier", "fit_classifier", "scale_sparse", "standardise"),
        "encoders": ("TfidfMLPEncoder", "TransformerEncoder", "load_minilm"),
        "experiment": (
            "Selection",
            "XMCProblem",
            "build_problem",
            "concat_features",
            "evaluate_features",
            "fine_tune",
            "level_precision",
            "schedule",
            "select_on_validation",
            "svd_features",
        ),
        "xmc": (
            "LabelTree",
            "balanced_kmeans_tree",
            "multiresolution_targets",
            "neighbour_targets",
            "pifa",
            "tfidf_features",
        ),
        "xr": (
            "Head",
            "SparseRows",
            "XRResult",
            "XRSchedule",
            "beam_search",
            "flat_tree",
            "path_scores",
            "ranking_precision",
            "shortlist",
            "squared_hinge",
            "train_link_prediction",
            "train_xr",
        ),
    },
)

#: Test accuracy (%) with GIANT-XRT features from the official README (pecos examples/giant-xrt),
#: and with the OGB default features where the paper's abstract gives them (papers100M).
PAPER_RESULTS = {
    ("ogbn-arxiv", "mlp"): 73.06,
    ("ogbn-arxiv", "sage"): 74.35,
    ("ogbn-products", "mlp"): 80.49,
    ("ogbn-papers100M", "mlp"): 61.06,
    ("ogbn-papers100M", "sgc"): 66.19,
}
#: ogbn-papers100M from the abstract: (OGB features, GIANT) test accuracy %.
PAPER_PAPERS100M = {"mlp": (47.24, 61.10), "sgc": (63.29, 66.10), "gamlp": (68.25, 69.67)}

__all__ = [
    "CITESEER_TEXT_STATS",
    "CLASSES",
    "FULL",
    "MODELS",
    "PAPER_PAPERS100M",
    "PAPER_RESULTS",
    "SMOKE",
    "Classifier",
    "GiantConfig",
    "Head",
    "LabelTree",
    "Selection",
    "SparseRows",
    "TextGraph",
    "TfidfMLPEncoder",
    "TransformerEncoder",
    "XMCProblem",
    "XRResult",
    "XRSchedule",
    "balanced_kmeans_tree",
    "beam_search",
    "build_problem",
    "concat_features",
    "config",
    "evaluate_features",
    "fine_tune",
    "fit_classifier",
    "flat_tree",
    "level_precision",
    "load_citeseer_text",
    "load_minilm",
    "multiresolution_targets",
    "neighbour_targets",
    "path_scores",
    "pifa",
    "random_split",
    "ranking_precision",
    "scale_sparse",
    "schedule",
    "select_on_validation",
    "shortlist",
    "squared_hinge",
    "standardise",
    "svd_features",
    "tfidf_features",
    "train_link_prediction",
    "train_xr",
    "undirected_edges",
]
