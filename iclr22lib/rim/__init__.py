"""RIM (Ma, Liu & Deoras, ICLR 2022): recurrent intensity modelling bridges recommendation and marketing.

Public API: :func:`config` (SMOKE/FULL presets); events (:class:`EventLog`, :func:`make_log`,
:func:`load_ml100k`, :func:`ml1m_recipe`, :class:`States`, :func:`make_states`, :class:`RimData`,
:func:`user_split`, :func:`temporal_split`); the planted process (:func:`generate`,
:func:`simulate_hawkes`, :class:`Planted`, :func:`oracle_score`); mark models (:class:`GRURec`,
:class:`TransformerRec`, :func:`train_mark_model`, :func:`mark_score`, :func:`item_popularity`,
:func:`item_item`); intensities (:func:`fit_hawkes`, :func:`fit_hawkes_poisson`, :func:`poisson_em`,
:func:`ema_intensity`, ...); scores (:class:`LowRankScore`, :class:`RandomScore`, :class:`DenseScore`
with batched ``topk_rows`` / ``topk_cols``); matching (:func:`greedy`, :func:`greedy_match`,
:func:`solve_dual`, :class:`DualSolution`); metrics (:func:`evaluate`, :func:`evaluate_expected`,
:func:`perplexity`); and the experiment (:func:`run`, :class:`RunResult`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.rim.config import (
    FULL,
    SMOKE,
    RimConfig,
    config,
    mark_model_names,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.rim.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "events": (
            "EventLog", "RimData", "States", "load_ml100k", "make_log", "make_states", "ml1m_recipe",
            "temporal_split", "user_split",
        ),
        "experiment": (
            "Intensities", "RunResult", "build_scores", "fit_intensities", "online_check", "run", "targets",
        ),
        "intensity": (
            "Hawkes", "HawkesPoisson", "constant_intensity", "default_decays", "ema_intensity", "fit_hawkes",
            "fit_hawkes_poisson", "hawkes_design", "poisson_em", "state_features", "user_pop_intensity",
        ),
        "matching": ("DualSolution", "constraints", "greedy", "greedy_match", "solve_dual"),
        "metrics": ("cols_to_pairs", "evaluate", "evaluate_expected", "hits", "perplexity", "rows_to_pairs"),
        "scores": ("DenseScore", "LowRankScore", "RandomScore", "Score"),
        "seqrec": (
            "GRURec", "TrainLog", "TransformerRec", "build_mark_model", "history_pairs", "item_item",
            "item_popularity", "mark_score", "sequences", "train_mark_model",
        ),
        "synthetic": ("Planted", "generate", "oracle_score", "simulate_hawkes"),
    },
)

#: The official code (GRU 2 x 128, 20 epochs) run on ML-100K converted to the ML-1M format on this
#: machine kind (research notes, section 11): {quantity: (low, high)} over its unseeded runs.
OFFICIAL_ML100K = {
    "Random UserRec prec@5": (0.004, 0.005),
    "ItemPop ItemRec prec@16": (0.0174, 0.0174),
    "GRU ItemRec prec@16": (0.023, 0.028),
    "GRU UserRec prec@5": (0.014, 0.016),
    "GRU-Hawkes UserRec prec@5": (0.046, 0.050),
    "GRU-HP UserRec prec@5": (0.041, 0.048),
    "GRU fit seconds": (66.0, 66.0),
}
#: ML-1M, read off the official README figure (x 100 -> fractions): RNN alone and RNN x HP.
OFFICIAL_ML1M = {
    "RNN ItemRec prec@36": 0.0248,
    "RNN UserRec prec@31": 0.0170,
    "RNN-HP UserRec prec@31": 0.0470,
}

__all__ = [
    "FULL",
    "OFFICIAL_ML1M",
    "OFFICIAL_ML100K",
    "SMOKE",
    "DenseScore",
    "DualSolution",
    "EventLog",
    "GRURec",
    "Hawkes",
    "HawkesPoisson",
    "Intensities",
    "LowRankScore",
    "Planted",
    "RandomScore",
    "RimConfig",
    "RimData",
    "RunResult",
    "Score",
    "States",
    "TrainLog",
    "TransformerRec",
    "build_mark_model",
    "build_scores",
    "cols_to_pairs",
    "config",
    "constant_intensity",
    "constraints",
    "default_decays",
    "ema_intensity",
    "evaluate",
    "evaluate_expected",
    "fit_hawkes",
    "fit_hawkes_poisson",
    "fit_intensities",
    "generate",
    "greedy",
    "greedy_match",
    "hawkes_design",
    "history_pairs",
    "hits",
    "item_item",
    "item_popularity",
    "load_ml100k",
    "make_log",
    "make_states",
    "mark_model_names",
    "mark_score",
    "ml1m_recipe",
    "online_check",
    "oracle_score",
    "perplexity",
    "poisson_em",
    "rows_to_pairs",
    "run",
    "sequences",
    "simulate_hawkes",
    "solve_dual",
    "state_features",
    "targets",
    "temporal_split",
    "train_mark_model",
    "user_pop_intensity",
    "user_split",
]
