"""Scales, the validated config of the GRDA chapter, and the published numbers it is compared with."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: Methods the trainer knows, in the order the chapter shows them.
METHODS = ("source_only", "dann", "adda", "cdann", "mdd", "grda")


@dataclass(frozen=True)
class GRDAConfig(RunConfig):
    """Source-Only, DANN and GRDA on a toy domain graph (DG-15 or DG-60).

    Defaults follow the official DG-15 config (Adam 1e-4, 10 samples per domain per step, 10 steps per
    epoch, LR halved every 100 epochs, sub-graphs of 10 domains for the discriminator, the shipped
    2-d domain embeddings) with the maintainers' recommended lambda = 0.5 and the corrected min-max
    coupling; ``coupling="official"`` restores the official update, in which the discriminator only
    receives (1 - lambda) times its gradient.
    """

    dataset: str = knob("dg15", choices=("dg15", "dg60"), help="toy data set")
    methods: str = knob(
        "source_only+dann+grda", help="'+'-separated subset of source_only, dann, adda, cdann, mdd, grda"
    )
    n_seeds: int = knob(1, low=1, high=100, help="runs per method (seeds SEED, SEED+1, ...)")
    epochs: int = knob(500, low=1, high=100_000, help="training epochs (one pass over every domain's data)")
    batch_per_domain: int = knob(10, low=1, high=100, help="samples of every domain in one step")
    hidden: int = knob(512, low=4, high=4096, help="width of every hidden layer (official: 512)")
    lr: float = knob(1e-4, low=1e-7, high=1.0, help="Adam learning rate, all networks")
    lr_halflife: float = knob(100.0, low=1.0, high=1e6, help="epochs after which the LR has halved")
    lambda_d: float = knob(0.5, low=0.0, high=10.0, help="lambda, weight of the adversarial term")
    coupling: str = knob(
        "fixed", choices=("fixed", "official"), help="fixed: true min-max; official: D gets (1-lambda) grad"
    )
    sample_v: int = knob(10, low=2, high=60, help="domains in the sub-graph the discriminator sees per step")
    init: str = knob(
        "official", choices=("official", "torch"), help="official: weights N(0, 0.01^2); torch: default init"
    )
    second_toy: bool = knob(False, help="also run every method on the other toy data set (DG-60 / DG-15)")
    compare_official: bool = knob(True, help="also train GRDA with the official coupling at lambda = 1")
    n_seeds_official: int = knob(1, low=1, high=100, help="seeds of the official-coupling variant")
    tpt48_tasks: str = knob(
        "EW", choices=("none", "EW", "NS", "EW+NS"), help="TPT-48 tasks also run (east-west, north-south)"
    )
    tpt48_epochs: int = knob(60, low=1, high=100_000, help="training epochs on TPT-48 (133 windows / state)")
    threads: int = knob(
        1,
        low=0,
        high=256,
        help="torch CPU threads while training (0: unchanged); the nets are too small to gain",
    )

    @property
    def method_list(self) -> tuple[str, ...]:
        return tuple(self.methods.split("+"))

    @property
    def other_toy(self) -> str:
        """The toy data set that ``second_toy`` adds."""
        return "dg60" if self.dataset == "dg15" else "dg15"

    @property
    def tpt48_task_list(self) -> tuple[str, ...]:
        return () if self.tpt48_tasks == "none" else tuple(self.tpt48_tasks.split("+"))


#: CPU smoke scale: narrower nets (64 units) with PyTorch's default init (at width 64 the official
#: N(0, 0.01^2) init leaves every output at zero and even the source domains are not learnt), a higher
#: learning rate and 200 epochs instead of 500, two seeds.
SMOKE = GRDAConfig(scale="smoke", n_seeds=2, epochs=200, hidden=64, init="torch", lr=3e-4)
#: The paper's protocol on the toy data: shipped hyperparameters, 5 seeds.
FULL = GRDAConfig(
    scale="full", methods="+".join(METHODS), n_seeds=5, n_seeds_official=5, epochs=500, hidden=512,
    tpt48_tasks="EW+NS", tpt48_epochs=300, second_toy=True,
)  # fmt: skip
PRESETS = {"smoke": SMOKE, "full": FULL}


def _check(cfg: GRDAConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    bad = [m for m in cfg.method_list if m not in METHODS]
    if bad or not cfg.method_list or len(set(cfg.method_list)) != len(cfg.method_list):
        raise ConfigError(
            f"methods={cfg.methods!r} is not allowed; give a '+'-separated list of distinct names from "
            f"{', '.join(METHODS)}"
        )
    n_domains = 15 if cfg.dataset == "dg15" else 60
    if cfg.sample_v > n_domains:
        raise ConfigError(f"sample_v={cfg.sample_v} is larger than the {n_domains} domains of {cfg.dataset}")


#: Table 2 of the paper: TPT-48 MSE per target level (1, 2, 3) and over all 24 target states.
PAPER_TPT48 = {
    "EW": {"source_only": (1.852, 1.992, 1.942, 1.926), "dann": (3.942, 2.186, 1.939, 2.679),
           "adda": (2.449, 2.401, 1.966, 2.254), "cdann": (0.902, 2.335, 3.002, 2.108),
           "mdd": (0.993, 1.383, 1.603, 1.335), "grda": (0.936, 1.025, 1.830, 1.297)},
    "NS": {"source_only": (2.255, 1.900, 3.032, 2.426), "dann": (1.851, 1.964, 4.015, 2.600),
           "adda": (2.172, 2.600, 3.462, 2.709), "cdann": (0.924, 6.434, 1.882, 2.621),
           "mdd": (1.159, 2.087, 3.149, 2.054), "grda": (0.754, 0.882, 1.889, 1.165)},
}  # fmt: skip

#: Official source domains of the toy data sets (configs of Wang-ML-Lab/GRDA).
SOURCE_DOMAINS = {"dg15": (0, 12, 3, 4, 14, 8), "dg60": (2, 14, 41, 23, 59, 33)}

#: Mean target accuracy (0-1), Table 1 of Xu et al. (2022).
PAPER_ACCURACY = {
    "dg15": {
        "source_only": 0.3977,
        "dann": 0.7211,
        "adda": 0.6900,
        "cdann": 0.7244,
        "mdd": 0.5133,
        "grda": 0.8444,
    },
    "dg60": {
        "source_only": 0.3839,
        "dann": 0.6198,
        "adda": 0.3217,
        "cdann": 0.6170,
        "mdd": 0.6624,
        "grda": 0.9676,
    },
}

#: The margin (accuracy, 0-1) by which the chapter claims GRDA beats Source-Only on the targets.
MIN_GAIN = 0.10

#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch03", PRESETS, check=_check)
