from dataclasses import dataclass

import pytest
import torch

from iclr22lib.core.config import ConfigError, RunConfig, knob, resolve
from iclr22lib.core.device import resolve_device


@dataclass(frozen=True)
class ToyConfig(RunConfig):
    dataset: str = knob("cora", choices=("cora", "citeseer"))
    epochs: int = knob(10, low=1, high=1000)
    lr: float = knob(0.01, low=0.0, high=1.0)
    layers: tuple[int, ...] = knob((16, 16))
    flag: bool = knob(False)


PRESETS = {"smoke": ToyConfig(scale="smoke", epochs=5), "full": ToyConfig(scale="full", epochs=500)}


def run(scale="smoke", **kw):
    opts = {k: kw.pop(k) for k in ("seed", "device", "allow_cpu_full") if k in kw}
    return resolve(PRESETS, scale, chapter="ch99", knobs=kw, **opts)


def test_presets_and_overrides():
    cfg = run(epochs=7, lr=1, layers=[8, 4])
    assert (cfg.scale, cfg.epochs, cfg.lr, cfg.layers, cfg.device) == ("smoke", 7, 1.0, (8, 4), "cpu")
    assert isinstance(cfg.lr, float)
    assert "epochs  = 7" in cfg.describe().splitlines()
    assert cfg.to_dict()["dataset"] == "cora"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": "huge"}, "SCALE='huge' is not a scale for ch99; allowed: smoke, full"),
        (
            {"colour": "red"},
            "unknown parameter 'colour' for ch99; allowed: dataset, epochs, lr, layers, flag",
        ),
        ({"epochs": "10"}, "epochs='10' has the wrong type str; expected an int"),
        ({"epochs": 2.5}, "epochs=2.5 has the wrong type float; expected an int"),
        ({"epochs": True}, "epochs=True has the wrong type bool; expected an int"),
        ({"epochs": 0}, "epochs=0 is too small; it must be >= 1"),
        ({"lr": 2.0}, "lr=2.0 is too large; it must be <= 1.0"),
        ({"dataset": "pubmed"}, "dataset='pubmed' is not allowed; choose one of 'cora', 'citeseer'"),
        ({"flag": 1}, "flag=1 has the wrong type int; expected bool"),
        ({"layers": [1, "a"]}, "layers[1]='a' has the wrong type str; expected an int"),
        ({"seed": -1}, "seed=-1 is too small; it must be >= 0"),
        ({"seed": "0"}, "seed='0' has the wrong type str; expected an int"),
        ({"device": "gpu"}, "DEVICE='gpu' is not a device; allowed: 'auto', 'cpu', 'cuda', 'cuda:N'"),
    ],
)
def test_bad_parameters_say_what_is_allowed(kwargs, message):
    with pytest.raises(ConfigError) as err:
        run(**kwargs)
    assert str(err.value) == message


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_full_refused_on_cpu_unless_allowed(monkeypatch):
    monkeypatch.delenv("ICLR22LIB_ALLOW_CPU_FULL", raising=False)
    with pytest.raises(ConfigError, match="needs a GPU"):
        run("full")
    assert run("full", allow_cpu_full=True).epochs == 500
    monkeypatch.setenv("ICLR22LIB_ALLOW_CPU_FULL", "1")
    assert run("full").scale == "full"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only refusal")
def test_cuda_refused_without_gpu():
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")


def test_resolve_seeds_everything():
    import random

    import numpy as np

    run(seed=123)
    a = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002 - the global generator is what is seeded
    run(seed=123)
    b = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    run(seed=124)
    c = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    assert a == b and a != c


def test_configs_are_frozen():
    cfg = run()
    with pytest.raises(AttributeError):
        cfg.epochs = 3


def test_mutable_knob_default_rejected():
    with pytest.raises(TypeError, match="immutable"):
        knob([1, 2])


def test_none_keeps_the_preset_value():
    assert run("full", allow_cpu_full=True, epochs=None, lr=None).epochs == 500
    assert run(epochs=None).epochs == 5
    assert run("full", allow_cpu_full=True, epochs=7).epochs == 7


def test_check_runs_on_the_resolved_config():
    def check(cfg):
        if cfg.epochs > 100 and cfg.flag:
            raise ConfigError("flag needs epochs <= 100")

    with pytest.raises(ConfigError, match="flag needs"):
        resolve(PRESETS, "full", allow_cpu_full=True, knobs={"flag": True}, check=check)
    assert resolve(PRESETS, "smoke", knobs={"flag": True}, check=check).flag
