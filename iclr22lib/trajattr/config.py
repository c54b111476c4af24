"""Scales and the validated config of the trajectory-attribution chapter (chapter 10)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: The five leave-one-scene-out benchmark splits of ETH/UCY.
ETH_SCENES = ("eth", "hotel", "univ", "zara1", "zara2")


@dataclass(frozen=True)
class TrajAttrConfig(RunConfig):
    """Simulator, ETH/UCY splits, the three predictors and the attribution settings.

    Two simulator settings are always run: *independent* (lambda = 0, gamma = 0) and *interacting*
    (``lam_strong``, ``gamma_strong``); ``sweep=True`` adds the lambda x gamma grid of the full protocol.
    """

    eth_scenes: str = knob("zara1", choices=(*ETH_SCENES, "all"), help="ETH/UCY test scene(s) to run")
    lam_strong: float = knob(3.0, low=0.0, high=20.0, help="social-force strength of the interacting setting")
    gamma_strong: float = knob(1.0, low=0.0, high=1.0, help="leader-follower gain of the interacting setting")
    sweep: bool = knob(False, help="also run the lambda x gamma grid (full protocol)")
    sim_scenes: int = knob(600, low=10, high=1_000_000, help="simulated scenes per setting (train)")
    sim_agents: int = knob(6, low=2, high=64, help="agents per simulated scene")
    radius: float = knob(3.0, low=0.1, high=50.0, help="neighbour radius in metres (Trajectron++: 3 m)")
    max_neighbours: int = knob(4, low=0, high=16, help="nearest neighbours kept per target")
    max_train: int = knob(6000, low=100, high=10_000_000, help="cap on ETH/UCY training windows")
    max_eval: int = knob(1500, low=50, high=10_000_000, help="cap on ETH/UCY validation/test windows")
    n_modes: int = knob(3, low=1, high=32, help="mixture components of the learned predictors")
    hidden: int = knob(32, low=4, high=1024, help="hidden width of the learned predictors")
    train_steps: int = knob(600, low=1, high=1_000_000, help="Adam steps per model")
    batch_size: int = knob(256, low=8, high=65536, help="training batch size")
    lr: float = knob(3e-3, low=1e-6, high=1.0, help="Adam learning rate")
    eval_every: int = knob(100, low=1, high=100_000, help="steps between validation checks")
    value: str = knob(
        "nll",
        choices=("nll", "nll_clipped", "minade"),
        help="value function: minus NLL, minus the official per-step NLL capped at log p = 6, or minus minADE",
    )
    baseline: str = knob("random", choices=("zero", "random"), help="how a removed player is replaced")
    n_random_draws: int = knob(4, low=1, high=256, help="replacement draws per coalition (random baseline)")
    n_attr: int = knob(250, low=10, high=1_000_000, help="test targets attributed per data set")
    n_permutations: int = knob(32, low=1, high=100_000, help="orderings of the permutation estimator")
    banzhaf_draws: int = knob(10, low=1, high=100_000, help="K of the official (Banzhaf) estimator")


SMOKE = TrajAttrConfig(scale="smoke")
#: The paper's protocol on one GPU: all five splits, the lambda x gamma sweep, more data and steps.
FULL = TrajAttrConfig(
    scale="full",
    eth_scenes="all",
    sweep=True,
    sim_scenes=4000,
    max_neighbours=8,
    max_train=1_000_000,
    max_eval=1_000_000,
    n_modes=5,
    hidden=64,
    train_steps=4000,
    eval_every=250,
    n_attr=2000,
    n_permutations=128,
)
PRESETS = {"smoke": SMOKE, "full": FULL}

#: lambda and gamma values of the full sweep.
SWEEP_LAMBDAS = (0.0, 0.5, 1.0, 2.0, 4.0)
SWEEP_GAMMAS = (0.0, 0.5, 1.0)


def sim_settings(cfg: TrajAttrConfig) -> dict[str, tuple[float, float]]:
    """The simulator settings a run uses: ``{name: (lambda, gamma)}``, independent and interacting first."""
    out = {"independent": (0.0, 0.0), "interacting": (cfg.lam_strong, cfg.gamma_strong)}
    if cfg.sweep:
        for lam in SWEEP_LAMBDAS:
            for gam in SWEEP_GAMMAS:
                if (lam, gam) not in out.values():
                    out[f"lam={lam:g},gamma={gam:g}"] = (lam, gam)
    return out


def eth_scene_list(cfg: TrajAttrConfig) -> tuple[str, ...]:
    """The ETH/UCY test scenes of a run."""
    return ETH_SCENES if cfg.eth_scenes == "all" else (cfg.eth_scenes,)


def _check(cfg: TrajAttrConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    if cfg.eval_every > cfg.train_steps:
        raise ConfigError(
            f"eval_every={cfg.eval_every} is larger than train_steps={cfg.train_steps}; "
            "the model would never be checked on validation data"
        )


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch10", PRESETS, check=_check)
