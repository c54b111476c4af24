"""Deep AutoAugment (Zheng et al., ICLR 2022): a multi-layer augmentation policy searched one layer at a
time by matching the gradient of augmented training data to the gradient of clean validation data.

Public API: :func:`config` (SMOKE/FULL presets); the search space (:func:`build_space`,
:class:`ChoiceSpace`, :data:`OP_NAMES`); the batched torch augmentation ops with Pillow semantics
(:func:`apply_ops`, :func:`apply_op`, :data:`OP_FUNCS`); policies (:class:`Policy`,
:func:`baseline_policies`, :func:`load_official_policy`); the gradient-matching objective and search
(:class:`GradientOracle`, :func:`importance`, :func:`reward`, :func:`search_policy`); networks
(:func:`build_model`); the trainer (:func:`train_model`, :func:`accuracy`); and the chapter's
experiment (:mod:`iclr22lib.deepaa.experiment`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.deepaa.config import (
    FULL,
    OFFICIAL,
    SMOKE,
    DeepAAConfig,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.deepaa.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "data": ("Split", "Splits", "load_splits"),
        "models": ("SmallCNN", "WideResNet", "build_model"),
        "ops": ("OP_FUNCS", "apply_op", "apply_ops"),
        "policy": (
            "RA_OPS",
            "Policy",
            "apply_choices",
            "baseline_policies",
            "identity_policy",
            "load_official_policy",
        ),
        "search": (
            "GradientOracle",
            "LayerLog",
            "SearchData",
            "SearchResult",
            "identity_logits",
            "importance",
            "reward",
            "search_policy",
        ),
        "space": ("OP_NAMES", "OPS", "ChoiceSpace", "build_space"),
        "train": ("accuracy", "train_model"),
    },
)

#: The paper's CIFAR-10 WRN-28-10 top-1 accuracies (%): DeepAA (Table 1) and the crop+flip baseline
#: row it copies from TrivialAugment; the search cost in GPU-hours (Table 4). See the chapter notes.
PAPER = {"deepaa_c10_wrn28_10": 97.56, "baseline_c10_wrn28_10": 96.1, "search_gpu_hours_c10": 9.0}

__all__ = [
    "FULL", "OFFICIAL", "OPS", "OP_FUNCS", "OP_NAMES", "PAPER", "RA_OPS", "SMOKE", "ChoiceSpace", "DeepAAConfig",
    "GradientOracle", "LayerLog", "Policy", "SearchData", "SearchResult", "SmallCNN", "Split", "Splits",
    "WideResNet", "accuracy", "apply_choices", "apply_op", "apply_ops", "baseline_policies", "build_model",
    "build_space", "config", "identity_logits", "identity_policy", "importance", "load_official_policy",
    "load_splits", "reward", "search_policy", "train_model",
]  # fmt: skip
