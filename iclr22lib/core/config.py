"""Chapter configurations: frozen presets per scale, and one validating entry point.

A chapter declares a frozen dataclass that extends :class:`RunConfig` with its own knobs,
written with :func:`knob` so that each carries its allowed values, and a dict of presets
``{"smoke": ..., "full": ...}``. :func:`resolve` turns the notebook's parameters into one
validated config: it checks every value (an unknown name, a wrong type or an out-of-range
value stops at once with a message that lists what is allowed), refuses ``full`` on a
CPU-only machine unless allowed, picks the device and seeds everything.

A knob given as ``None`` keeps the scale's preset value: a notebook's parameters cell sets its
chapter knobs to ``None``, so ``SCALE="full"`` alone runs the ``full`` preset exactly, and an
explicit value still overrides. No config field uses ``None`` as a value of its own.

This module imports no torch: names, types, ranges and the device's spelling are checked before
:func:`resolve` imports torch to pick the device and seed, so a bad parameter is refused at once.

Example::

    @dataclass(frozen=True)
    class MyConfig(RunConfig):
        epochs: int = knob(100, low=1, help="training epochs")

    PRESETS = {"smoke": MyConfig(scale="smoke", epochs=5), "full": MyConfig(scale="full")}
    cfg = resolve(PRESETS, "smoke", seed=0, device="auto", knobs={"epochs": 7})
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar


class ConfigError(ValueError):
    """A parameter has an unknown name, a wrong type or a value outside what is allowed."""


def knob(
    default: Any,
    *,
    choices: tuple[Any, ...] | None = None,
    low: float | None = None,
    high: float | None = None,
    help: str = "",
) -> Any:
    """A config field with its validation rule: allowed ``choices`` or a closed range ``[low, high]``."""
    meta = {"choices": choices, "low": low, "high": high, "help": help}
    if isinstance(default, (list, dict, set)):
        raise TypeError("knob defaults must be immutable (use a tuple)")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunConfig:
    """Parameters every chapter has. ``device`` holds the resolved device (``"cpu"``, ``"cuda:0"``)."""

    scale: str = "smoke"
    seed: int = knob(0, low=0, help="random seed")
    device: str = "cpu"

    def describe(self) -> str:
        """The config as aligned ``name = value`` lines, for printing at the top of a chapter."""
        rows = [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]
        width = max(len(n) for n, _ in rows)
        return "\n".join(f"{n:<{width}} = {v!r}" for n, v in rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)


C = TypeVar("C", bound=RunConfig)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_type(name: str, value: Any, tp: Any) -> Any:
    """Check ``value`` against annotation ``tp``; ints are accepted where floats are expected."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(tp):
            if arm is type(None):
                if value is None:
                    return None
                continue
            try:
                return _check_type(name, value, arm)
            except ConfigError:
                pass
        raise ConfigError(f"{name}={value!r} has the wrong type; expected {tp}")
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            raise ConfigError(f"{name}={value!r} has the wrong type; expected a tuple")
        args = typing.get_args(tp)
        item = args[0] if args else Any
        return tuple(
            value if item is Any else (_check_type(f"{name}[{i}]", v, item) for i, v in enumerate(value))
        )
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(
                f"{name}={value!r} has the wrong type {type(value).__name__}; expected a number"
            )
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}={value!r} has the wrong type {type(value).__name__}; expected an int")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise ConfigError(
                f"{name}={value!r} has the wrong type {type(value).__name__}; expected {_type_name(tp)}"
            )
        return value
    return value


def _check_field(f: dataclasses.Field, value: Any, hints: Mapping[str, Any]) -> Any:
    value = _check_type(f.name, value, hints[f.name])
    choices, low, high = (f.metadata.get(k) for k in ("choices", "low", "high"))
    if choices is not None and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{f.name}={value!r} is not allowed; choose one of {allowed}")
    if low is not None and value < low:
        raise ConfigError(f"{f.name}={value!r} is too small; it must be >= {low}")
    if high is not None and value > high:
        raise ConfigError(f"{f.name}={value!r} is too large; it must be <= {high}")
    return value


_DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device(device: Any) -> str:
    """Check the spelling of a device name (``"auto" | "cpu" | "cuda" | "cuda:N"``) without importing torch."""
    if not isinstance(device, str) or not _DEVICE_RE.match(device):
        raise ConfigError(f"DEVICE={device!r} is not a device; allowed: 'auto', 'cpu', 'cuda', 'cuda:N'")
    return device


def cpu_full_allowed() -> bool:
    """True when the environment allows ``full`` scale on a CPU (``ICLR22LIB_ALLOW_CPU_FULL=1``)."""
    return os.environ.get("ICLR22LIB_ALLOW_CPU_FULL", "") not in ("", "0")


def resolve(
    presets: Mapping[str, C],
    scale: str,
    *,
    seed: int = 0,
    device: str = "auto",
    allow_cpu_full: bool = False,
    knobs: Mapping[str, Any] | None = None,
    chapter: str = "",
    check: Callable[[C], None] | None = None,
) -> C:
    """Validate the notebook's parameters against ``presets[scale]``, seed, and return the config.

    A knob whose value is ``None`` keeps ``presets[scale]``'s value. ``check`` is the chapter's own
    rule across fields; it raises :class:`ConfigError`. Everything is checked in this order before
    torch is imported: the scale, the seed, the device's spelling, each knob, then ``check``.
    Raises :class:`ConfigError` naming the bad parameter and what is allowed.
    """
    where = f" for {chapter}" if chapter else ""
    if not isinstance(scale, str) or scale not in presets:
        raise ConfigError(f"SCALE={scale!r} is not a scale{where}; allowed: {', '.join(presets)}")
    base = presets[scale]
    hints = typing.get_type_hints(type(base))
    fields = {f.name: f for f in dataclasses.fields(base)}
    seed = _check_field(fields["seed"], seed, hints)
    check_device(device)
    updates: dict[str, Any] = {"seed": seed}
    for name, value in (knobs or {}).items():
        if name not in fields or name in ("scale", "seed", "device"):
            own = [n for n in fields if n not in ("scale", "seed", "device")]
            raise ConfigError(f"unknown parameter {name!r}{where}; allowed: {', '.join(own) or '(none)'}")
        if value is not None:  # None: this scale's preset value
            updates[name] = _check_field(fields[name], value, hints)
    cfg = dataclasses.replace(base, **updates)
    if check is not None:
        check(cfg)

    from iclr22lib.core.device import resolve_device
    from iclr22lib.core.seeding import seed_everything

    dev = resolve_device(device)
    if scale == "full" and dev.type == "cpu" and not (allow_cpu_full or cpu_full_allowed()):
        raise ConfigError(
            f"SCALE='full'{where} needs a GPU (it is the paper's protocol and takes up to an hour on an "
            "H100); this machine has none. Use SCALE='smoke', or pass allow_cpu_full=True / set "
            "ICLR22LIB_ALLOW_CPU_FULL=1 if you really mean it."
        )
    cfg = dataclasses.replace(cfg, device=str(dev))
    seed_everything(seed)
    return cfg


class ChapterConfig(typing.Generic[C]):
    """A chapter's ``config(scale="smoke", *, seed=0, device="auto", allow_cpu_full=False, **knobs)``.

    Calling it validates the notebook's parameters against ``presets`` with :func:`resolve`, seeds
    everything and returns the chapter's config; ``chapter`` is the id the pipeline finds it by.
    """

    def __init__(self, chapter: str, presets: Mapping[str, C], check: Callable[[C], None] | None = None):
        self.chapter, self.presets, self.check = chapter, presets, check
        self.__doc__ = f"Validate {chapter}'s parameters, seed everything and return its config (a knob given as None keeps the scale's preset value)."

    def __call__(
        self,
        scale: str = "smoke",
        *,
        seed: int = 0,
        device: str = "auto",
        allow_cpu_full: bool = False,
        **knobs: Any,
    ) -> C:
        return resolve(
            self.presets,
            scale,
            seed=seed,
            device=device,
            allow_cpu_full=allow_cpu_full,
            knobs=knobs,
            chapter=self.chapter,
            check=self.check,
        )

    def __repr__(self) -> str:
        return f"<config of {self.chapter}: scales {', '.join(self.presets)}>"
