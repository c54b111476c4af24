"""Chapter 8, DIVA (Dukler et al., ICLR 2022): the dataset derivative of a learning task.

For a linear model on frozen features (a linearised network), the leave-one-out loss and its derivative
with respect to each training sample's weight have closed forms (:mod:`iclr22lib.diva.ridge`). On top of
them: DIVA Reweight, detection of detrimental (e.g. mislabelled) samples, DIVA Extend and augmentation
probabilities, with the baselines (:mod:`iclr22lib.diva.procedures`), the frozen backbones (ImageNet
EfficientNet-Lite0, :mod:`iclr22lib.diva.efficientnet`; label-free random patches, :mod:`iclr22lib.diva.features`), the full-network linearisation (:mod:`iclr22lib.diva.ntk`) and the chapter's experiments (:mod:`iclr22lib.diva.experiments`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.diva.config import (
    FULL,
    PAPER_DETECTION,
    PAPER_TABLE1,
    SMOKE,
    DivaConfig,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.diva.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "efficientnet": ("EfficientNetLite0", "efficientnet_features", "load_efficientnet_lite0"),
        "features": ("PatchFeatureMap", "extract_features", "fit_patch_features", "flip"),
        "ntk": ("SmallCNN", "empirical_ntk", "jacobian_features"),
        "procedures": (
            "ExtendResult",
            "ReweightResult",
            "auc",
            "augmentation_probabilities",
            "chang_weights",
            "corrupt_labels",
            "detrimental",
            "error_rate",
            "extend",
            "f1",
            "loss_ranking_scores",
            "ren_weights",
            "reweight",
        ),
        "ridge": (
            "LOO",
            "fit",
            "fit_dual",
            "loo_derivative",
            "loo_derivative_kernel",
            "loo_loss",
            "loo_predictions",
            "loo_predictions_kernel",
            "one_hot",
            "select_lambda",
            "val_derivative",
        ),
    },
)

__all__ = [
    "FULL",
    "LOO",
    "PAPER_DETECTION",
    "PAPER_TABLE1",
    "SMOKE",
    "DivaConfig",
    "EfficientNetLite0",
    "ExtendResult",
    "PatchFeatureMap",
    "ReweightResult",
    "SmallCNN",
    "auc",
    "augmentation_probabilities",
    "chang_weights",
    "config",
    "corrupt_labels",
    "detrimental",
    "efficientnet_features",
    "empirical_ntk",
    "error_rate",
    "extend",
    "extract_features",
    "f1",
    "fit",
    "fit_dual",
    "fit_patch_features",
    "flip",
    "jacobian_features",
    "load_efficientnet_lite0",
    "loo_derivative",
    "loo_derivative_kernel",
    "loo_loss",
    "loo_predictions",
    "loo_predictions_kernel",
    "loss_ranking_scores",
    "one_hot",
    "ren_weights",
    "reweight",
    "select_lambda",
    "val_derivative",
]
