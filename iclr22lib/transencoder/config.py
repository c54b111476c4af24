"""Scales and the validated config of the Trans-Encoder chapter (chapter 7)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: The registered data set holding the pretrained sentence encoder (start (a)).
MINILM = "all-MiniLM-L6-v2-fp16"


@dataclass(frozen=True)
class TransEncoderConfig(RunConfig):
    """Data sizes, the two starting models, and the distillation cycles.

    Start (a) is the pretrained MiniLM sentence encoder; start (b) a tiny BERT pretrained here by
    masked-language modelling on the unlabelled pool, then tuned with unsupervised SimCSE.
    """

    starts: str = knob("both", choices=("both", "tiny", "minilm"), help="which starting models to run")
    mutual: bool = knob(False, help="also run mutual distillation of the two starts")
    pool_pairs: int = knob(800, low=16, high=10_000_000, help="unlabelled pairs of the pool (tiny BERT)")
    minilm_pool_pairs: int = knob(64, low=16, high=10_000_000, help="unlabelled pairs for the MiniLM start")
    dev_pairs: int = knob(250, low=50, high=10_000, help="STS-B dev pairs used for model selection")
    test_sets: str = knob("stsb_sick", choices=("stsb_sick", "all"), help="STS-B + SICK-R, or all seven sets")
    test_pairs: int = knob(200, low=50, high=10_000_000, help="cap on pairs per test set")
    bi_max_len: int = knob(32, low=8, high=512, help="bi-encoder max tokens per sentence")
    cross_max_len: int = knob(48, low=16, high=512, help="cross-encoder max tokens per pair")
    tiny_hidden: int = knob(128, low=16, high=1024, help="hidden size of the tiny BERT")
    tiny_layers: int = knob(2, low=1, high=24, help="layers of the tiny BERT")
    tiny_heads: int = knob(2, low=1, high=16, help="attention heads of the tiny BERT")
    mlm_on: str = knob(
        "pairs", choices=("pairs", "sentences"), help="MLM text: pool pairs or single sentences"
    )
    mlm_steps: int = knob(250, low=1, high=10_000_000, help="masked-LM steps of the tiny BERT")
    mlm_batch: int = knob(32, low=2, high=4096, help="masked-LM batch size")
    mlm_lr: float = knob(1e-3, low=1e-6, high=1.0, help="masked-LM learning rate")
    simcse_steps: int = knob(100, low=1, high=10_000_000, help="SimCSE steps of the tiny BERT")
    simcse_batch: int = knob(64, low=2, high=4096, help="SimCSE batch size")
    simcse_lr: float = knob(1e-4, low=1e-7, high=1.0, help="SimCSE learning rate")
    temperature: float = knob(0.05, low=1e-3, high=10.0, help="SimCSE softmax temperature")
    pooling: str = knob("mean", choices=("mean", "cls"), help="bi-encoder pooling")
    cycles: int = knob(1, low=1, high=20, help="distillation cycles (tiny BERT and mutual)")
    minilm_cycles: int = knob(1, low=1, high=20, help="distillation cycles from the MiniLM start")
    cross_epochs: float = knob(3.0, low=0.01, high=100.0, help="cross-encoder epochs per cycle")
    cross_batch: int = knob(32, low=2, high=4096, help="cross-encoder batch size")
    cross_lr: float = knob(2e-3, low=1e-7, high=1.0, help="cross-encoder learning rate (tiny BERT)")
    bi_epochs: float = knob(4.0, low=0.01, high=100.0, help="bi-encoder epochs per cycle")
    bi_batch: int = knob(32, low=2, high=4096, help="bi-encoder batch size")
    bi_lr: float = knob(3e-4, low=1e-7, high=1.0, help="bi-encoder learning rate (tiny BERT)")
    minilm_cross_lr: float = knob(2e-5, low=1e-7, high=1.0, help="cross-encoder learning rate (MiniLM)")
    minilm_bi_lr: float = knob(5e-5, low=1e-7, high=1.0, help="bi-encoder learning rate (MiniLM)")
    warmup: float = knob(0.1, low=0.0, high=0.5, help="cross-encoder warm-up fraction")
    target_scale: str = knob("minmax", choices=("minmax", "clamp", "raw"), help="bi scores -> BCE targets")
    cross_init: str = knob(
        "bi", choices=("plm", "bi"), help="a new cross-encoder starts from the PLM or the bi"
    )
    reinit_bi: bool = knob(True, help="restart the bi-encoder from its start every cycle (official)")
    cross_loss: str = knob("bce", choices=("bce", "mse"), help="bi -> cross loss on the pseudo-labels")
    minilm_head_lr_mult: float = knob(
        100.0, low=1.0, high=1e4, help="MiniLM cross-encoder: new head's lr / body lr (1 = official)"
    )
    study: str = knob(
        "small", choices=("none", "small", "full"), help="dev-only study of what makes a cycle help"
    )


#: Smoke: the bi-encoder trains 4 epochs at 3e-4. The first choice, 2 epochs at 1e-4 (about 50 steps on
#: 800 pairs, far from the official 10 epochs), gave a negative dev gain on two of seeds 0-2; the change
#: was chosen on STS-B dev over those seeds, never on test. On seeds 3 and 4 the first choice did better,
#: so the difference is within seed noise (``tools/ch07_seed_gains.py``).
SMOKE = TransEncoderConfig(scale="smoke")
#: The paper's protocol on one GPU: full pool, all seven test sets, three cycles, self and mutual.
#: Sized with ``iclr22 budget ch07`` (an estimate from FLOPs and kernel counts measured on the CPU, not a
#: measurement on a GPU): the first draft came to about 73 planned H100 minutes, so the toy PLM's
#: masked-LM pretraining was halved in tokens (5,000 steps at batch 256, ~54 passes over the pool's
#: pairs, instead of 20,000 at 128) and the dev-only study grid cut to one level per factor (seven
#: variants, its mutual row read from the main mutual run); the cycles keep the official settings.
FULL = TransEncoderConfig(
    scale="full",
    mutual=True,
    pool_pairs=10_000_000,
    minilm_pool_pairs=10_000_000,
    dev_pairs=1500,
    test_sets="all",
    test_pairs=10_000_000,
    cross_max_len=64,
    tiny_hidden=256,
    tiny_layers=4,
    tiny_heads=4,
    mlm_steps=5000,
    mlm_batch=256,
    mlm_lr=5e-4,
    simcse_steps=2000,
    simcse_batch=128,
    simcse_lr=5e-5,
    cycles=3,
    minilm_cycles=3,
    cross_epochs=1.0,
    cross_batch=32,
    cross_lr=1e-4,
    bi_epochs=10.0,
    bi_batch=128,
    bi_lr=5e-5,
    cross_init="plm",
    minilm_head_lr_mult=1.0,
    study="full",
)
PRESETS = {"smoke": SMOKE, "full": FULL}


@dataclass(frozen=True)
class CycleSettings:
    """Hyper-parameters of the distillation cycles (defaults: the official scripts' where CPU allows)."""

    cycles: int = 3
    cross_epochs: float = 1.0
    cross_batch: int = 32
    cross_lr: float = 2e-5
    bi_epochs: float = 10.0
    bi_batch: int = 128
    bi_lr: float = 5e-5
    warmup: float = 0.1
    target_scale: str = "minmax"
    cross_loss: str = "bce"  # "bce" (paper) | "mse" on the sigmoid score (ablation)
    head_lr_mult: float = 1.0  # learning rate of the cross-encoder's new head / that of its body
    cross_init: str = "plm"  # "plm" (official --init_with_new_models) | "bi" (the current bi-encoder)
    reinit_bi: bool = True  # bi-encoder restarts from its contrastive start every cycle (official)
    seed: int = 0


def cycle_settings(cfg: TransEncoderConfig, start: str) -> CycleSettings:
    """The cycle hyper-parameters for one start (``"tiny"``, ``"minilm"`` or ``"mutual"``)."""
    minilm = start == "minilm"
    return CycleSettings(
        cycles=cfg.minilm_cycles if minilm else cfg.cycles,
        cross_epochs=cfg.cross_epochs,
        cross_batch=cfg.cross_batch,
        cross_lr=cfg.minilm_cross_lr if minilm else cfg.cross_lr,
        bi_epochs=cfg.bi_epochs,
        bi_batch=cfg.bi_batch,
        bi_lr=cfg.minilm_bi_lr if minilm else cfg.bi_lr,
        warmup=cfg.warmup,
        target_scale=cfg.target_scale,
        cross_loss=cfg.cross_loss,
        head_lr_mult=cfg.minilm_head_lr_mult if minilm else 1.0,
        cross_init=cfg.cross_init,
        reinit_bi=cfg.reinit_bi,
        seed=cfg.seed,
    )


def _check(cfg: TransEncoderConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    if cfg.mutual and cfg.starts != "both":
        raise ConfigError("mutual=True distils the two starts into each other; it needs starts='both'")
    if cfg.tiny_hidden % cfg.tiny_heads:
        raise ConfigError(f"tiny_hidden={cfg.tiny_hidden} must be a multiple of tiny_heads={cfg.tiny_heads}")


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch07", PRESETS, check=_check)
