"""Scales and the validated config of the PSA-GAN chapter (chapter 5)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob

#: Data sets the chapter can train on (both are in the core registry).
DATASETS = ("m4_hourly", "exchange_rate")
#: Ablation variants of the full protocol (PSA-GAN with one ingredient switched off).
ABLATIONS = ("no_sa", "no_fadein", "no_ml")


@dataclass(frozen=True)
class PsaganConfig(RunConfig):
    """Data, windows, the progressive GAN, its schedule, Context-FID and the downstream forecaster.

    ``windows`` lists the window lengths tau (powers of two, >= 16) trained in one run; ``n_seeds`` the
    seeds per configuration (``seed``, ``seed + 1``, ...). ``context_length`` > 0 adds PSA-GAN-C (the
    generator also reads the ``context_length`` values before the window); ``ablations`` adds the
    variants without self-attention / fade-in / moment loss.
    """

    dataset: str = knob("m4_hourly", choices=DATASETS, help="training data set")
    n_series: int = knob(414, low=1, high=100_000, help="first n series used (M4 hourly has 414)")
    holdout_frac: float = knob(0.2, low=0.05, high=0.5, help="last fraction of each training series held out")
    windows: tuple[int, ...] = knob((64, 128, 256), help="window lengths tau (powers of two, 16..1024)")
    n_seeds: int = knob(3, low=1, high=10, help="seeds per configuration")
    channels: int = knob(32, low=4, high=512, help="channels C of every generator/discriminator block")
    emb_dim: int = knob(10, low=1, high=128, help="series-embedding size E")
    attn_dim: int = knob(1, low=1, high=64, help="query/key/value channels of self-attention")
    self_attention: bool = knob(True, help="self-attention in every block (False: the 'w/o SA' ablation)")
    batch_size: int = knob(128, low=2, high=4096, help="windows per batch")
    batches_per_epoch: int = knob(100, low=1, high=100_000, help="batches per epoch")
    epochs_per_stage: int = knob(12, low=1, high=100_000, help="epochs spent at each depth")
    fade_epochs: int = knob(
        6, low=0, high=100_000, help="epochs over which a new stage is faded in (0: none)"
    )
    n_critic: int = knob(2, low=1, high=100, help="discriminator steps per generator step")
    warmup_g_steps: int = knob(25, low=0, high=100_000, help="generator steps of the discriminator warm-up")
    warmup_n_critic: int = knob(
        50, low=1, high=1000, help="discriminator steps per generator step in warm-up"
    )
    lr: float = knob(1e-3, low=1e-7, high=1.0, help="Adam learning rate of G and D")
    lambda_ml: float = knob(1.0, low=0.0, high=100.0, help="weight of the moment loss (0: 'w/o ML')")
    context_length: int = knob(64, low=0, high=1024, help="PSA-GAN-C context L (0: PSA-GAN only)")
    ablations: bool = knob(
        True, help="also train the w/o SA, w/o fade-in and w/o ML variants (longest window)"
    )
    baselines: bool = knob(True, help="also train the EBGAN and TimeGAN baselines")
    ebgan_margin: float = knob(0.1, low=0.0, high=10.0, help="EBGAN energy margin m")
    timegan_pre_iters: int = knob(
        2000, low=0, high=1_000_000, help="TimeGAN autoencoder and supervisor iterations (each phase)"
    )
    timegan_iters: int = knob(1000, low=1, high=1_000_000, help="TimeGAN joint iterations (2 G + 1 D steps)")
    timegan_hidden: int = knob(24, low=2, high=1024, help="TimeGAN GRU width H")
    timegan_layers: int = knob(3, low=1, high=8, help="TimeGAN GRU layers")
    embedder: str = knob("ts2vec", choices=("ts2vec", "causalcnn"), help="Context-FID embedder")
    emb_hidden: int = knob(64, low=4, high=1024, help="embedder hidden width")
    emb_out: int = knob(320, low=4, high=2048, help="embedding size")
    emb_depth: int = knob(10, low=1, high=16, help="embedder residual blocks")
    emb_steps: int = knob(600, low=1, high=100_000, help="embedder training steps")
    fid_windows: int = knob(512, low=16, high=100_000, help="windows per Context-FID evaluation")
    fid_runs: int = knob(10, low=1, high=100, help="Context-FID repetitions (fresh windows each)")
    downstream: bool = knob(True, help="train DeepAR on real vs real + synthetic data (NRMSE)")
    tasks: bool = knob(
        True, help="also the missing-value and far-forecasting tasks (longest window's generators)"
    )
    task_models: tuple[str, ...] = knob(
        ("PSA-GAN", "PSA-GAN-C", "EBGAN", "TimeGAN"),
        help="generators whose filled series DeepAR is trained on in the tasks (none trained: PSA-GAN)",
    )
    mv_stretch: int = knob(24, low=1, high=1024, help="length of each missing-value stretch")
    mv_stretches: int = knob(2, low=1, high=100, help="missing-value stretches per series (held-out region)")
    also_datasets: tuple[str, ...] = knob(
        ("exchange_rate",), help="further data sets for a Context-FID-only run of the same protocol"
    )
    deepar_epochs: int = knob(20, low=1, high=10_000, help="DeepAR epochs")
    deepar_batches: int = knob(50, low=1, high=10_000, help="DeepAR batches per epoch")
    n_synthetic: int = knob(2, low=1, high=100, help="synthetic series per real series for downstream")
    threads: int = knob(1, low=1, high=256, help="torch CPU threads (ignored on GPU)")


SMOKE = PsaganConfig(
    scale="smoke",
    n_series=120,
    windows=(32,),
    n_seeds=1,
    channels=16,
    batch_size=64,
    batches_per_epoch=25,
    epochs_per_stage=10,
    fade_epochs=4,
    warmup_g_steps=5,
    warmup_n_critic=5,
    context_length=16,
    ablations=False,
    emb_hidden=32,
    emb_out=32,
    emb_depth=4,
    emb_steps=150,
    fid_windows=256,
    fid_runs=5,
    deepar_epochs=3,
    deepar_batches=30,
    n_synthetic=1,
    timegan_pre_iters=300,
    timegan_iters=80,
    timegan_hidden=16,
    timegan_layers=2,
    task_models=("PSA-GAN-C",),
    also_datasets=(),
    threads=1,
)
#: The paper's protocol shortened to one H100 hour: three window lengths, PSA-GAN and PSA-GAN-C, the
#: ablations at the longest window, EBGAN and TimeGAN, 3 seeds, 10 Context-FID runs, and the
#: augmentation, missing-value and far-forecasting DeepAR tasks on m4_hourly.
#: Sized by the planning estimate ``iclr22 budget ch05`` (:mod:`iclr22lib.psagan.budget`): every
#: step of the run counted by replaying the code's schedules, each step kind's FLOPs and kernels
#: measured on the CPU, priced with the pessimistic H100_EAGER model (20 us per kernel, 20 TFLOP/s;
#: cuDNN recurrent layers, host-side sampling, SciPy and GluonTS work included). The original
#: preset (12 epochs of 100 batches per stage, 2000 + 1000 TimeGAN iterations, 20 x 50 DeepAR
#: batches, 25 x 50 warm-up, exchange_rate too) came to about 5 h; this one to about 45 min.
#: That is an estimate, not a measurement: the full preset has not been run on a GPU yet.
#: Schedules are therefore far shorter than the paper's (about 3,500 epochs with 500-epoch
#: fade-ins; TimeGAN's original 50,000 iterations per phase): 4 epochs of 100 batches per stage,
#: fade-ins over 2 epochs, a discriminator warm-up of 10 G steps at 20 D steps each, TimeGAN
#: 400 + 400 + 120 iterations, DeepAR 6 epochs of 40 batches. The held-out fraction is 0.3 so that
#: held-out windows of 256 (+ the 64 context values) fit in M4's 960-long series (0.2 left 192).
#: The exchange_rate Context-FID run is not part of it (it would double the GAN training); run it as
#: its own job with ``-p DATASET exchange_rate -p DOWNSTREAM False``.
FULL = PsaganConfig(
    scale="full",
    holdout_frac=0.3,
    epochs_per_stage=4,
    fade_epochs=2,
    warmup_g_steps=10,
    warmup_n_critic=20,
    timegan_pre_iters=400,
    timegan_iters=120,
    deepar_epochs=6,
    deepar_batches=40,
    also_datasets=(),
)
PRESETS = {"smoke": SMOKE, "full": FULL}


def n_stages(window: int) -> int:
    """Number of resolutions 8, 16, ..., ``window`` (= log2(window) - 2)."""
    return window.bit_length() - 3


def _check(cfg: PsaganConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    for w in cfg.windows:
        if w < 16 or w > 1024 or w & (w - 1):
            raise ConfigError(
                f"windows={cfg.windows!r}: every window length must be a power of two in 16..1024"
            )
    if not cfg.windows:
        raise ConfigError("windows=() is empty; give at least one window length, e.g. (32,)")
    for name in cfg.also_datasets:
        if name not in DATASETS:
            raise ConfigError(
                f"also_datasets={cfg.also_datasets!r}: {name!r} is not one of {', '.join(DATASETS)}"
            )
    models = ("PSA-GAN", "PSA-GAN-C", "EBGAN", "TimeGAN")
    for name in cfg.task_models:
        if name not in models:
            raise ConfigError(f"task_models={cfg.task_models!r}: {name!r} is not one of {', '.join(models)}")


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch05", PRESETS, check=_check)
