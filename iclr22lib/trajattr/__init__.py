"""You mostly walk alone (Makansi et al., ICLR 2022): Shapley attribution of a trajectory
predictor's performance to the agent's own past and to each of its neighbours.

Public API: :func:`config` (SMOKE/FULL presets); data (:class:`TrajBatch`, :func:`load_split`,
:func:`windows`, the social-force simulator :func:`simulate` / :func:`simulated_samples`); models
(:class:`ConstantVelocity`, :class:`PastOnly`, :class:`SocialAttention`, :func:`nll`,
:func:`nll_clipped`, :func:`displacement`); attribution (:func:`shapley_exact`, :func:`shapley_permutation`,
:func:`banzhaf_sampled`, :func:`banzhaf_exact`, :func:`model_game`, :func:`attribute`,
:func:`social_interaction_score`, :func:`summarise`, :func:`drop_neighbours`); and the experiment
(:func:`train_model`, :func:`sim_splits`, :func:`eth_splits`, :func:`run_dataset`).
"""

from iclr22lib.core.lazy import lazy_exports
from iclr22lib.trajattr.config import (
    ETH_SCENES,
    FULL,
    SMOKE,
    TrajAttrConfig,
    config,
    eth_scene_list,
    sim_settings,
)

# Everything else imports torch (and more): it is imported on first use, so that
# ``import iclr22lib.trajattr.config`` (what ``iclr22 run`` checks parameters with) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "attribution": (
            "ESTIMATORS", "VALUES", "Attribution", "add_random_agent", "all_coalitions", "attribute",
            "banzhaf_exact", "banzhaf_sampled", "drop_neighbours", "model_game", "sample_loss",
            "shapley_exact", "shapley_permutation", "shapley_weights", "social_interaction_score",
            "summarise",
        ),
        "data": (
            "OBS", "PRED", "TrajBatch", "dense_tracks", "load_split", "read_tracks", "split_files",
            "subsample", "windows",
        ),
        "models": (
            "MODEL_NAMES", "ConstantVelocity", "Mixture", "PastOnly", "SocialAttention", "build_model",
            "displacement", "nll", "nll_clipped",
        ),
        "simulate": ("ForceParams", "initial_state", "rollout", "simulate", "simulated_samples"),
        "train": (
            "DatasetResult", "Splits", "TrainLog", "cpu_threads", "eth_splits", "evaluate", "rotate",
            "run_dataset", "sim_splits", "train_model",
        ),
    },
)

#: Trajectron++ on ETH/UCY (its repository's result notebook; best of 20 samples, metres) — the
#: reference accuracy for our re-trained predictors: {scene: (minADE_20, minFDE_20)}.
TRAJECTRON_PP = {
    "eth": (0.43, 0.86),
    "hotel": (0.12, 0.19),
    "univ": (0.22, 0.43),
    "zara1": (0.17, 0.32),
    "zara2": (0.12, 0.25),
}

__all__ = [
    "ESTIMATORS",
    "ETH_SCENES",
    "FULL",
    "MODEL_NAMES",
    "OBS",
    "PRED",
    "SMOKE",
    "TRAJECTRON_PP",
    "VALUES",
    "Attribution",
    "ConstantVelocity",
    "DatasetResult",
    "ForceParams",
    "Mixture",
    "PastOnly",
    "SocialAttention",
    "Splits",
    "TrainLog",
    "TrajAttrConfig",
    "TrajBatch",
    "add_random_agent",
    "all_coalitions",
    "attribute",
    "banzhaf_exact",
    "banzhaf_sampled",
    "build_model",
    "config",
    "cpu_threads",
    "dense_tracks",
    "displacement",
    "drop_neighbours",
    "eth_scene_list",
    "eth_splits",
    "evaluate",
    "initial_state",
    "load_split",
    "model_game",
    "nll",
    "nll_clipped",
    "read_tracks",
    "rollout",
    "rotate",
    "run_dataset",
    "sample_loss",
    "shapley_exact",
    "shapley_permutation",
    "shapley_weights",
    "sim_settings",
    "sim_splits",
    "simulate",
    "simulated_samples",
    "social_interaction_score",
    "split_files",
    "subsample",
    "summarise",
    "train_model",
    "windows",
]
