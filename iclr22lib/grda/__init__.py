"""Chapter 3, GRDA: adversarial domain adaptation across a graph of domains (Xu et al., ICLR 2022).

Public API: :func:`config` (SMOKE / FULL presets), the loaders :func:`load_dg`, :func:`make_dg` and
:func:`load_tpt48`, the networks, :func:`graph_discriminator_loss`, and :func:`train` / :func:`compare`
which run Source-Only, DANN, ADDA, CDANN, MDD and GRDA on one pipeline with per-domain evaluation.
"""

from iclr22lib.grda.config import (
    FULL,
    METHODS,
    MIN_GAIN,
    PAPER_ACCURACY,
    SMOKE,
    SOURCE_DOMAINS,
    GRDAConfig,
    config,
)
from iclr22lib.grda.data import (
    TPT48,
    DomainGraphData,
    density,
    hop_distance,
    load_dg,
    load_tpt48,
    make_dg,
    radius_fit,
)
from iclr22lib.grda.losses import (
    domain_classifier_loss,
    graph_discriminator_loss,
    mdd_loss,
    sample_subgraph,
    source_target_loss,
)
from iclr22lib.grda.models import (
    ConditionalDomainClassifier,
    DomainClassifier,
    Encoder,
    GraphDiscriminator,
    Predictor,
    grad_reverse,
)
from iclr22lib.grda.train import (
    LABELS,
    RunResult,
    build,
    compare,
    domain_accuracy,
    summarise,
    train,
    train_step,
)

__all__ = [
    "FULL",
    "LABELS",
    "METHODS",
    "MIN_GAIN",
    "PAPER_ACCURACY",
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
    "domain_accuracy",
    "domain_classifier_loss",
    "grad_reverse",
    "graph_discriminator_loss",
    "hop_distance",
    "load_dg",
    "load_tpt48",
    "make_dg",
    "mdd_loss",
    "radius_fit",
    "sample_subgraph",
    "source_target_loss",
    "summarise",
    "train",
    "train_step",
]
