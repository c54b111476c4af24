"""Scales and the validated config of the RIM chapter (chapter 4)."""

from __future__ import annotations

from dataclasses import dataclass

from iclr22lib.core.config import ChapterConfig, ConfigError, RunConfig, knob


@dataclass(frozen=True)
class RimConfig(RunConfig):
    """Data recipe, mark models, intensity models and the matching sweep.

    Every run uses MovieLens-100K through the ML-1M recipe (second half of each user's events,
    50/50 user split, horizon = median span) and the planted synthetic marked point process.
    """

    mark_models: str = knob(
        "gru", choices=("gru", "transformer", "both"), help="sequential mark model(s) p(y|x)"
    )
    hidden: int = knob(64, low=8, high=1024, help="embedding = hidden width of the mark models")
    layers: int = knob(1, low=1, high=8, help="recurrent / attention layers")
    heads: int = knob(2, low=1, high=16, help="attention heads of the Transformer")
    epochs: int = knob(8, low=1, high=200, help="training epochs of the mark models")
    lr: float = knob(5e-3, low=1e-6, high=1.0, help="Adam learning rate of the mark models")
    batch_size: int = knob(64, low=4, high=4096, help="sequences per batch")
    max_len: int = knob(200, low=8, high=4096, help="history steps kept per sequence")
    n_decays: int = knob(12, low=1, high=200, help="exponential decays of the Hawkes kernels")
    exclude_train: bool = knob(True, help="never recommend an item already in the state's history")
    synth_users: int = knob(600, low=20, high=1_000_000, help="users of the synthetic process")
    synth_items: int = knob(300, low=10, high=1_000_000, help="items of the synthetic process")
    synth_rank: int = knob(4, low=1, high=256, help="rank of the planted preferences")
    synth_periods: float = knob(
        12.0, low=3.0, high=1000.0, help="observed length of the synthetic process (horizons)"
    )
    mults: tuple[float, ...] = knob((0.0, 0.5, 1.0), help="matching sweep: <1 item min-exposure, >=1 cap")
    online_mult: float = knob(0.5, low=0.0, high=0.99, help="min-exposure level of the online-dual check")
    dual_epochs: int = knob(20, low=1, high=1000, help="annealing epochs of the entropic dual")
    dual_eps_final: float = knob(1e-3, low=1e-12, high=1.0, help="final entropic temperature (scores / max)")


SMOKE = RimConfig(scale="smoke")
#: The paper's hyper-parameters (GRU/Transformer 2 x 128, 20 epochs, 50 decays, dual 100 epochs).
FULL = RimConfig(
    scale="full",
    mark_models="both",
    hidden=128,
    layers=2,
    epochs=20,
    lr=2e-3,
    max_len=256,
    n_decays=50,
    synth_users=20_000,
    synth_items=2_000,
    synth_rank=8,
    mults=(0.0, 0.3, 0.7, 1.0, 3.0, 10.0, 100.0),
    dual_epochs=100,
    dual_eps_final=3e-4,
)
PRESETS = {"smoke": SMOKE, "full": FULL}


def mark_model_names(cfg: RimConfig) -> tuple[str, ...]:
    """The mark models a run trains, GRU first."""
    return ("gru", "transformer") if cfg.mark_models == "both" else (cfg.mark_models,)


def _check(cfg: RimConfig) -> None:
    """The rules :func:`knob` cannot state (across fields, or on the items of a list)."""
    if not cfg.mults or any(m < 0 for m in cfg.mults):
        raise ConfigError(f"mults={cfg.mults!r} must be a non-empty tuple of numbers >= 0")
    if cfg.hidden % cfg.heads:
        raise ConfigError(f"hidden={cfg.hidden} must be divisible by heads={cfg.heads}")


#: ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)`` → the validated config.
config = ChapterConfig("ch04", PRESETS, check=_check)
