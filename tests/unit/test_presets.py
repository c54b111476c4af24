"""A notebook's parameters cell leaves every chapter knob to the scale: its defaults resolve to that
scale's preset exactly (so ``SCALE=full`` alone runs the FULL preset), and an explicit knob still wins."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from iclr22lib import pipeline
from tests.conftest import REPO

CHAPTERS = pipeline.chapters(REPO)
BASE = ("SCALE", "SEED", "DEVICE")

#: One explicit override per chapter: (parameter, a value that differs from both presets).
OVERRIDES = {
    "ch00": ("DATASET", "citeseer"),
    "ch01": ("TOP_K", 5),
    "ch02": ("LEVELS", 1),
    "ch03": ("TPT48_TASKS", "NS"),
    "ch04": ("EPOCHS", 3),
    "ch05": ("CONTEXT_LENGTH", 0),
    "ch06": ("SEARCH_STEPS", 7),
    "ch07": ("CYCLES", 2),
    "ch08": ("REWEIGHT_STEPS", 2),
    "ch09": ("RATIO", 0.3),
    "ch10": ("ETH_SCENES", "hotel"),
}


def defaults(chapter: str) -> dict:
    """The parameters cell of a chapter, read the way Papermill sees it (Jupytext)."""
    return pipeline.parameter_names(pipeline.to_notebook(CHAPTERS[chapter]))


def resolved(chapter: str, scale: str, **override):
    params = {**defaults(chapter), **override, "SCALE": scale}
    module = importlib.import_module(pipeline.config_modules()[chapter])
    knobs = {k.lower(): v for k, v in params.items() if k not in BASE}
    cfg = module.config(scale, seed=params["SEED"], device=params["DEVICE"], allow_cpu_full=True, **knobs)
    return module, cfg


def test_every_chapter_has_an_override():
    assert set(OVERRIDES) == set(CHAPTERS)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_parameters_cell_holds_only_the_base_and_none(chapter):
    params = defaults(chapter)
    assert list(params)[:3] == list(BASE)
    assert params["SCALE"] == "smoke" and params["DEVICE"] == "auto"
    assert {k: v for k, v in params.items() if k not in BASE and v is not None} == {}
    assert pipeline.source_parameters(CHAPTERS[chapter]) == params  # the CLI's fast read agrees


@pytest.mark.parametrize("scale", ["smoke", "full"])
@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_notebook_defaults_are_the_preset(chapter, scale):
    module, cfg = resolved(chapter, scale)
    preset = module.PRESETS[scale]
    assert dataclasses.replace(cfg, seed=preset.seed, device=preset.device) == preset


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_explicit_knob_still_overrides(chapter):
    name, value = OVERRIDES[chapter]
    for scale in ("smoke", "full"):
        module, cfg = resolved(chapter, scale, **{name: value})
        preset = module.PRESETS[scale]
        assert getattr(preset, name.lower()) != value
        expected = dataclasses.replace(preset, **{name.lower(): value})
        assert dataclasses.replace(cfg, seed=preset.seed, device=preset.device) == expected
