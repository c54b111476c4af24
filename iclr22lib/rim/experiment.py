"""One RIM experiment on one data set: mark models x intensity models, ItemRec / UserRec, matching.

Scores are built for the test states D and (for the online dual) the validation states V over the
same test items; ``k = ceil(#test items / 100)`` items per state and ``C = ceil(#test states / 100)``
states per item, the official defaults.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from iclr22lib.rim import intensity as it
from iclr22lib.rim import matching as mt
from iclr22lib.rim import metrics as me
from iclr22lib.rim import seqrec as sr
from iclr22lib.rim.config import RimConfig, mark_model_names
from iclr22lib.rim.events import RimData, States
from iclr22lib.rim.scores import RandomScore, Score

#: (rows, cols) of state-item pairs.
Pairs = tuple[np.ndarray, np.ndarray]


def targets(
    states: States, test_items: np.ndarray, exclude: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Unique (state, test-item column) target pairs, minus the ``exclude`` pairs."""
    col = np.full(states.n_items, -1)
    col[test_items] = np.arange(len(test_items))
    c = col[states.tgt_item]
    m = len(test_items)
    keys = np.unique(states.tgt_state[c >= 0] * m + c[c >= 0])
    if exclude is not None and len(exclude[0]):
        keys = np.setdiff1d(keys, exclude[0] * m + exclude[1])
    return keys // m, keys % m


@dataclass
class Intensities:
    """``lambda(x)`` per intensity model for the test states (``test``) and validation states (``valid``)."""

    test: dict[str, np.ndarray]
    valid: dict[str, np.ndarray]
    hawkes: it.Hawkes
    hp: it.HawkesPoisson


def fit_intensities(data: RimData, n_decays: int) -> Intensities:
    """Hawkes by maximum likelihood on the test states' histories; Hawkes-Poisson on the validation
    states' window counts; EMA, user popularity and constant."""
    dec = it.default_decays(n_decays)
    hk = it.fit_hawkes(data.test, dec)
    hp = it.fit_hawkes_poisson(data.valid, dec)
    out = []
    for st in (data.test, data.valid):
        out.append(
            {
                "Const": it.constant_intensity(st),
                "Pop": it.user_pop_intensity(st),
                "EMA": np.maximum(it.ema_intensity(st), 1e-6),
                "Hawkes": np.maximum(hk.window_count(st), 1e-6),
                "HP": np.maximum(hp.window_count(st), 1e-6),
            }
        )
    return Intensities(out[0], out[1], hk, hp)


@dataclass
class RunResult:
    """Tables of one data set: ``rec`` rows (model, task, metrics), ``match`` rows (model, solver, mult,
    metrics), the online check, intensities, training logs and timings."""

    name: str
    k: int
    C: int
    n_states: int
    n_items: int
    rec: list[dict] = field(default_factory=list)
    match: list[dict] = field(default_factory=list)
    online_check: dict = field(default_factory=dict)
    itemrec_identical: dict = field(default_factory=dict)
    intensities: Intensities | None = None
    logs: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    intensity_corr: dict = field(default_factory=dict)


def build_scores(
    cfg: RimConfig,
    data: RimData,
    lam: Intensities,
    extra: dict[str, Callable[[States, Pairs | None], Score]] | None = None,
    exclude_train: bool | None = None,
) -> tuple[dict[str, Score], dict[str, Score], Pairs | None, dict[str, sr.TrainLog], dict[str, float]]:
    """Train the mark models and assemble every (mark model x intensity) score for D and V.

    ``extra`` = ``{name: callable(states, exclude) -> Score}`` adds scores (e.g. a planted oracle).
    """
    excl = cfg.exclude_train if exclude_train is None else exclude_train
    ex_d = sr.history_pairs(data.test, data.test_items) if excl else None
    ex_v = sr.history_pairs(data.valid, data.test_items) if excl else None
    n, nv = len(data.test), len(data.valid)
    pop_d = sr.item_popularity(data.train, data.test_items, n, ex_d)
    pop_v = sr.item_popularity(data.train, data.test_items, nv, ex_v)
    D: dict[str, Score] = {"Random": RandomScore(n, len(data.test_items), cfg.seed, ex_d), "ItemPop": pop_d}
    V: dict[str, Score] = {"Random": RandomScore(nv, len(data.test_items), cfg.seed, ex_v), "ItemPop": pop_v}
    for lname in ("Hawkes", "HP"):
        D[f"ItemPop-{lname}"] = pop_d.scale_rows(lam.test[lname])
        V[f"ItemPop-{lname}"] = pop_v.scale_rows(lam.valid[lname])
    logs, secs = {}, {}
    for name in mark_model_names(cfg):
        t0 = time.perf_counter()
        model = sr.build_mark_model(name, data.n_items, cfg.hidden, cfg.layers, cfg.heads, cfg.max_len)
        logs[name] = sr.train_mark_model(
            model,
            data.train,
            epochs=cfg.epochs,
            lr=cfg.lr,
            batch_size=cfg.batch_size,
            max_len=cfg.max_len,
            seed=cfg.seed,
            device=cfg.device,
        )
        secs[f"fit {name}"] = time.perf_counter() - t0
        label = {"gru": "GRU", "transformer": "Transformer"}[name]
        md = sr.mark_score(model.cpu(), data.test, data.test_items, cfg.max_len, ex_d)
        mv = sr.mark_score(model, data.valid, data.test_items, cfg.max_len, ex_v)
        D[label], V[label] = md, mv
        for lname in ("Pop", "EMA", "Hawkes", "HP"):
            D[f"{label}-{lname}"] = md.scale_rows(lam.test[lname])
            V[f"{label}-{lname}"] = mv.scale_rows(lam.valid[lname])
    for key, make in (extra or {}).items():
        D[key], V[key] = make(data.test, ex_d), make(data.valid, ex_v)
    return D, V, ex_d, logs, secs


def run(
    cfg: RimConfig,
    data: RimData,
    match_models: tuple[str, ...] = ("GRU", "GRU-HP"),
    extra: dict[str, Callable[[States, Pairs | None], Score]] | None = None,
    exclude_train: bool | None = None,
) -> RunResult:
    """The whole protocol on ``data`` (see the module docstring); ``exclude_train`` overrides the config's
    (repeat consumption is normal in some data)."""
    t0 = time.perf_counter()
    lam = fit_intensities(data, cfg.n_decays)
    t_int = time.perf_counter() - t0
    D, V, ex_d, logs, secs = build_scores(cfg, data, lam, extra, exclude_train)
    secs["fit intensities"] = t_int
    n, m = len(data.test), len(data.test_items)
    k, C = math.ceil(m / 100), math.ceil(n / 100)
    tg = targets(data.test, data.test_items, ex_d)
    res = RunResult(data.name, k, C, n, m, intensities=lam, logs=logs, seconds=secs)
    y = data.test.target_counts()
    res.intensity_corr = {
        key: float(np.corrcoef(np.log(v), np.log1p(y))[0, 1]) for key, v in lam.test.items() if np.std(v) > 0
    }
    t0 = time.perf_counter()
    item_lists = {}
    for name, s in D.items():
        rows = s.topk_rows(k)
        item_lists[name] = rows
        res.rec.append(
            {"model": name, "task": "ItemRec", **me.evaluate(me.rows_to_pairs(rows), tg, (n, m), n * k)}
        )
        cols = s.topk_cols(C)
        res.rec.append(
            {"model": name, "task": "UserRec", **me.evaluate(me.cols_to_pairs(cols), tg, (n, m), m * C)}
        )
    for name in D:
        base = name.split("-")[0]
        if base in ("GRU", "Transformer") and name != base:
            res.itemrec_identical[name] = bool((item_lists[name] == item_lists[base]).all())
    secs["ItemRec + UserRec"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_tg = np.bincount(tg[0], minlength=n)
    for name in match_models:
        dense = D[name].dense(log=True).numpy()
        for mult in cfg.mults:
            kind, _kr, cb = mt.constraints(mult, k, C)
            denom = k * n if kind == "lb" else int(cb) * m
            a = mt.greedy_match(dense, mult, k, C)
            res.match.append(
                {"model": name, "solver": "greedy", "mult": mult, **me.evaluate(a, tg, (n, m), denom)}
            )
            for solver, fit_on, n_ref in (("dual", D[name], None), ("online dual", V[name], n)):
                # with no item bound (mult = 0) the item prices are 0 and only the row prices act
                sol = mt.solve_dual(
                    fit_on, mult, k, C, epochs=cfg.dual_epochs, eps_final=cfg.dual_eps_final, n_ref=n_ref
                )
                e = sol.expected(D[name], tg)
                res.match.append(
                    {
                        "model": name,
                        "solver": solver,
                        "mult": mult,
                        **me.evaluate_expected(
                            e["item_exposure"], e["user_exposure"], e["hits"], n_tg, denom
                        ),
                    }
                )
    secs["matching"] = time.perf_counter() - t0
    if match_models:
        res.online_check = online_check(cfg, D, V, match_models[-1], k, C, n)
    return res


def online_check(cfg: RimConfig, D: dict, V: dict, name: str, k: int, C: int, n: int) -> dict:
    """Fit the online dual on V at ``cfg.online_mult`` and measure the expected item exposure it gives
    the held-out states of D: the bound, the fraction of items within 10 % of it, with and without
    the dual prices (plain top-k)."""
    sol = mt.solve_dual(
        V[name], cfg.online_mult, k, C, epochs=cfg.dual_epochs, eps_final=cfg.dual_eps_final, n_ref=n
    )
    e = sol.expected(D[name], (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    m = D[name].shape[1]
    exp_ = e["item_exposure"]
    bound = cfg.online_mult * C
    plain = np.bincount(np.asarray(D[name].topk_rows(k)).reshape(-1), minlength=m)
    return {
        "model": name,
        "bound": bound,
        "frac_items_meeting": float((exp_ >= 0.9 * bound).mean()),
        "frac_items_meeting_without_dual": float((plain >= 0.9 * bound).mean()),
        "mean_exposure_over_bound": float(np.minimum(exp_ / bound, 1).mean()) if bound > 0 else 1.0,
        "item_ppl": me.perplexity(exp_),
        "item_ppl_without_dual": me.perplexity(plain),
        "recs_per_state": float(exp_.sum() / n),
    }
