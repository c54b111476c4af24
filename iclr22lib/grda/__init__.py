"""Chapter 3, GRDA: adversarial domain adaptation across a graph of domains (Xu et al., ICLR 2022).

Public API: :func:`config` (SMOKE / FULL presets), the loaders :func:`load_dg`, :func:`make_dg` and
:func:`load_tpt48` (with :func:`tpt48_domains` and the graph embeddings :func:`fit_embeddings`), the networks,
:func:`graph_discriminator_loss`, and :func:`train` / :func:`compare` / :func:`run_tpt48` which run Source-Only,
DANN, ADDA, CDANN, MDD and GRDA on one pipeline with per-domain evaluation.
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.grda.config import (
    FULL,
    METHODS,
    MIN_GAIN,
    PAPER_ACCURACY,
    PAPER_TPT48,
    SMOKE,
    SOURCE_DOMAINS,
    GRDAConfig,
    config,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.grda.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "data": (
            "TPT48",
            "DomainGraphData",
            "density",
            "hop_distance",
            "load_dg",
            "load_tpt48",
            "make_dg",
            "tpt48_domains",
        ),
        "embeddings": ("embedding_loss", "fit_embeddings"),
        "losses": (
            "domain_classifier_loss",
            "graph_discriminator_loss",
            "mdd_loss",
            "sample_subgraph",
            "source_target_loss",
        ),
        "models": (
            "ConditionalDomainClassifier",
            "DomainClassifier",
            "Encoder",
            "GraphDiscriminator",
            "Predictor",
            "grad_reverse",
        ),
        "train": (
            "CLASSIFICATION_ONLY",
            "LABELS",
            "RunResult",
            "build",
            "compare",
            "domain_scores",
            "level_scores",
            "prediction_loss",
            "run_tpt48",
            "summarise",
            "train",
            "train_step",
        ),
    },
)

__all__ = [
    "CLASSIFICATION_ONLY",
    "FULL",
    "LABELS",
    "METHODS",
    "MIN_GAIN",
    "PAPER_ACCURACY",
    "PAPER_TPT48",
    "SMOKE",
    "SOURCE_DOMAINS",
    "TPT48",
    "ConditionalDomainClassifier",
    "DomainClassifier",
    "DomainGraphData",
    "Encoder",
    "GRDAConfig",
    "GraphDiscriminator",
    "Predictor",
    "RunResult",
    "build",
    "compare",
    "config",
    "density",
    "domain_classifier_loss",
    "domain_scores",
    "embedding_loss",
    "fit_embeddings",
    "grad_reverse",
    "graph_discriminator_loss",
    "hop_distance",
    "level_scores",
    "load_dg",
    "load_tpt48",
    "make_dg",
    "mdd_loss",
    "prediction_loss",
    "run_tpt48",
    "sample_subgraph",
    "source_target_loss",
    "summarise",
    "tpt48_domains",
    "train",
    "train_step",
]
