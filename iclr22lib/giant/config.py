"""Scales and the validated config of the GIANT-XRT chapter (chapter 2)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: Downstream node classifiers (:func:`iclr22lib.giant.downstream.fit_classifier`).
MODELS = ("mlp", "gcn", "sage", "sgc")


@dataclass(frozen=True)
class GiantConfig(RunConfig):
    """Label tree, the two encoders, the XR schedule, the baselines and the downstream protocol."""

    vocab: int = knob(3000, low=100, high=1_000_000, help="TF-IDF vocabulary (word 1-2 grams)")
    svd_dim: int = knob(128, low=8, high=4096, help="dimension of the TF-IDF + SVD baseline features")
    branching: int = knob(8, choices=(2, 4, 8, 16, 32), help="children per node of the label tree")
    max_leaf: int = knob(16, low=2, high=10_000, help="labels per leaf cluster at most")
    levels: int = knob(
        3, low=1, high=10, help="tree levels fine-tuned, coarse first (the labels are the last)"
    )
    negatives: str = knob("tfn+man", choices=("tfn", "man", "tfn+man"), help="shortlist negatives")
    topk: int = knob(4, low=1, high=1000, help="previous-level predictions whose children join the shortlist")
    mlp_dim: int = knob(256, low=8, high=4096, help="output width of the TF-IDF MLP encoder")
    mlp_steps: int = knob(100, low=1, high=1_000_000, help="XR steps per level, TF-IDF MLP encoder")
    mlp_lrs: tuple[float, ...] = knob(
        (1e-3,), help="TF-IDF MLP encoder learning rates tried; the best validation accuracy is kept"
    )
    use_lm: bool = knob(True, help="also run the pretrained transformer (MiniLM) encoder")
    max_len: int = knob(32, low=8, high=512, help="transformer: tokens per text")
    trainable_layers: int = knob(
        1, low=1, high=6, help="transformer: top layers fine-tuned (the rest cached)"
    )
    lm_steps: int = knob(100, low=1, high=1_000_000, help="XR steps per level, transformer")
    lm_lrs: tuple[float, ...] = knob(
        (1e-4,), help="transformer learning rates tried; the best validation accuracy is kept"
    )
    batch: int = knob(32, low=2, high=4096, help="XR batch size (nodes)")
    head_lr: float = knob(1e-2, low=1e-6, high=1.0, help="ranker-head learning rate")
    baselines: bool = knob(
        True, help="link-prediction and flat (one level) baselines of the TF-IDF MLP encoder"
    )
    lm_baselines: bool = knob(False, help="the same two baselines for the transformer encoder")
    beam: int = knob(10, low=1, high=100_000, help="beam width of the tree search for precision@k")
    concat_tfidf: bool = knob(True, help="also the GIANT-XRT variant [TF-IDF ‖ normalised embedding]")
    ablation_models: str = knob(
        "mlp", help="downstream models for the ablations and the concatenated variant"
    )
    models: str = knob("mlp,gcn", help="downstream models, comma-separated from mlp, gcn, sage, sgc")
    n_seeds: int = knob(3, low=1, high=100, help="downstream seeds (random stratified 60/20/20 splits)")
    epochs: int = knob(100, low=1, high=100_000, help="downstream training epochs (best validation kept)")
    hidden: int = knob(64, low=4, high=4096, help="downstream hidden width")

    @property
    def model_list(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.models.split(",") if m.strip())

    @property
    def ablation_model_list(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.ablation_models.split(",") if m.strip())


#: Smoke: two tree levels fine-tuned, coarse first (the value the notebook used to pass); the rest defaults.
SMOKE = GiantConfig(scale="smoke", levels=2)
#: The full protocol on one GPU: the whole transformer fine-tuned over all levels with longer texts,
#: three learning rates for GIANT and both ablations of each encoder, all four downstream models, ten
#: seeds. Sized by the planning estimate ``iclr22 budget ch02`` (FLOPs and kernels of each step counted on
#: the CPU, a pessimistic eager-H100 model): about 41 minutes with 1,000 transformer steps per level
#: (1,500 gave 57). An estimate, not a measurement: no full run has been made on a GPU yet.
FULL = GiantConfig(
    scale="full",
    vocab=20000,
    svd_dim=384,
    levels=4,
    mlp_steps=600,
    max_len=256,
    trainable_layers=6,
    lm_steps=1000,
    lm_baselines=True,
    mlp_lrs=(3e-4, 1e-3, 3e-3),
    lm_lrs=(2e-5, 5e-5, 1e-4),
    ablation_models="mlp,gcn,sage,sgc",
    batch=32,
    models="mlp,gcn,sage,sgc",
    n_seeds=10,
    epochs=300,
    hidden=256,
)
PRESETS = {"smoke": SMOKE, "full": FULL}


def _check(cfg: GiantConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    for name, lst in (("models", cfg.model_list), ("ablation_models", cfg.ablation_model_list)):
        bad = [m for m in lst if m not in MODELS]
        if bad or not lst:
            raise ConfigError(
                f"{name}={getattr(cfg, name)!r}: unknown {bad}; choose from {', '.join(MODELS)}"
            )
    for name in ("mlp_lrs", "lm_lrs"):
        grid = getattr(cfg, name)
        if not grid or any(not 1e-7 <= lr <= 1.0 for lr in grid):
            raise ConfigError(f"{name}={grid!r}: give one or more learning rates in [1e-7, 1]")


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch02", PRESETS, check=_check)
