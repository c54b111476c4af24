"""Planning estimate of the full preset's time on one H100 (see :mod:`iclr22lib.core.budget`).

The work of a run is counted from the config exactly as the chapter runs it: every fine-tuned variant
(GIANT, flat XMC and link prediction, for each encoder) is trained once per learning rate of its grid;
a grid of more than one rate is scored by the downstream MLP on every seed; then every feature variant
is evaluated by its downstream models on every seed. One step of each kind is measured on the CPU.
"""

from __future__ import annotations

import torch

from iclr22lib.core.budget import StepCost, WorkItem, measure_step
from iclr22lib.giant.config import FULL, GiantConfig
from iclr22lib.giant.data import CITESEER_TEXT_STATS, random_split
from iclr22lib.giant.downstream import fit_classifier
from iclr22lib.giant.encoders import TransformerEncoder, load_minilm
from iclr22lib.giant.xr import Head, squared_hinge

#: Shortlist width assumed per instance in a measured XR step (children of true and predicted parents).
SHORTLIST = 64


def tree_depth(n: int, branching: int, max_leaf: int) -> int:
    """Levels of :func:`~iclr22lib.giant.xmc.balanced_kmeans_tree` over ``n`` labels (the labels included)."""
    k, depth = 1, 0
    while -(-n // k) > max_leaf and k < n:
        for _ in range(branching.bit_length() - 1):
            if -(-n // k) <= 1:
                break
            k *= 2
        depth += 1
    return depth + 1


def fine_tune_steps(cfg: GiantConfig, lm: bool, n: int = CITESEER_TEXT_STATS["nodes"]) -> dict[str, int]:
    """Optimiser steps of one fine-tuning run of each kind ('giant', 'flat', 'lp') for one encoder, as
    :func:`~iclr22lib.giant.experiment.fine_tune` runs them, and the ``embed`` passes over all texts
    (one per level after the first for matcher-aware negatives, one for the features)."""
    levels = min(cfg.levels, tree_depth(n, cfg.branching, cfg.max_leaf))
    steps = cfg.lm_steps if lm else cfg.mlp_steps
    man = levels - 1 if "man" in cfg.negatives else 0
    return {"giant": steps * levels, "flat": steps * levels, "lp": steps * levels, "embed_giant": man + 1}


def _lm_step_cost(cfg: GiantConfig, batch: int = 2) -> tuple[StepCost, StepCost]:
    """(one XR training step, one embedding batch of 128 texts) of the transformer, FLOPs scaled from
    ``batch`` texts to the config's batch."""
    tok, lm = load_minilm()
    texts = ["graph neural networks read node text " * 60] * batch
    enc = TransformerEncoder(texts, tok, lm, cfg.max_len, cfg.trainable_layers)
    head = Head(0.01 * torch.randn(SHORTLIST, enc.dim), torch.zeros(SHORTLIST))
    params = [p for p in enc.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-5)
    idx = torch.arange(batch)
    y = torch.rand(batch, SHORTLIST) < 0.1

    def step() -> None:
        loss = squared_hinge(head(enc(idx)), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    train = measure_step(step)
    embed = measure_step(lambda: enc.embed_all(batch))
    return (
        StepCost(train.flops * cfg.batch / batch, train.ops),
        StepCost(embed.flops * 128 / batch, embed.ops),
    )


def _mlp_step_cost(cfg: GiantConfig, batch: int = 4) -> StepCost:
    """One XR step of the TF-IDF MLP encoder (vocab -> mlp_dim), FLOPs scaled to the config's batch."""
    net = torch.nn.Sequential(
        torch.nn.Linear(cfg.vocab, cfg.mlp_dim), torch.nn.ReLU(), torch.nn.Linear(cfg.mlp_dim, cfg.mlp_dim)
    )
    norm = torch.nn.LayerNorm(cfg.mlp_dim)
    head = Head(0.01 * torch.randn(SHORTLIST, cfg.mlp_dim), torch.zeros(SHORTLIST))
    params = list(net.parameters()) + list(norm.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3)
    x = torch.rand(batch, cfg.vocab)
    y = torch.rand(batch, SHORTLIST) < 0.1

    def step() -> None:
        loss = squared_hinge(head(norm(net(x))), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    cost = measure_step(step)
    return StepCost(cost.flops * cfg.batch / batch, cost.ops)


def _epoch_cost(model: str, dim: int, cfg: GiantConfig, n: int, m: int = 400) -> StepCost:
    """One downstream epoch (training step and evaluation) on (n, dim) dense features: measured on
    ``m`` nodes with the same mean degree, FLOPs scaled by n / m (every layer is linear in nodes and
    edges)."""
    y = torch.arange(m) % CITESEER_TEXT_STATS["classes"]
    x = torch.randn(m, dim)
    ei = torch.randint(m, (2, 2 * CITESEER_TEXT_STATS["edges"] * m // n))
    split = random_split(y, 0)
    two = measure_step(lambda: fit_classifier(model, x, ei, y, split, 0, epochs=2, hidden=cfg.hidden))
    one = measure_step(lambda: fit_classifier(model, x, ei, y, split, 0, epochs=1, hidden=cfg.hidden))
    return StepCost((two.flops - one.flops) * n / m, two.ops - one.ops)


def full_workload(cfg: GiantConfig = FULL) -> list[WorkItem]:
    """The full run's work items, each with its count and a measured step."""
    n = CITESEER_TEXT_STATS["nodes"]
    kinds = ["giant"] + (["flat", "lp"] if cfg.baselines else [])
    lm_kinds = ["giant"] + (["flat", "lp"] if cfg.lm_baselines else [])
    items: list[WorkItem] = []
    mlp = fine_tune_steps(cfg, lm=False)
    items.append(
        WorkItem(
            "TF-IDF MLP fine-tuning (all kinds and rates)",
            sum(mlp[k] for k in kinds) * len(cfg.mlp_lrs),
            _mlp_step_cost(cfg),
        )
    )
    n_sweeps = len(kinds) * (len(cfg.mlp_lrs) > 1) * len(cfg.mlp_lrs)
    if cfg.use_lm:
        lm = fine_tune_steps(cfg, lm=True)
        train, embed = _lm_step_cost(cfg)
        runs = len(lm_kinds) * len(cfg.lm_lrs)
        items.append(WorkItem("transformer fine-tuning (all kinds and rates)", sum(lm[k] for k in lm_kinds) *
                              len(cfg.lm_lrs), train))  # fmt: skip
        passes = 1 + runs + (lm["embed_giant"] - 1) * len(cfg.lm_lrs)  # plain, final per run, man
        items.append(WorkItem("transformer embedding passes (128 texts each)", passes * -(-n // 128), embed))
        n_sweeps += len(lm_kinds) * (len(cfg.lm_lrs) > 1) * len(cfg.lm_lrs)
    dim = 384 if cfg.use_lm else cfg.mlp_dim
    items.append(
        WorkItem(
            "learning-rate selection: downstream MLP epochs",
            n_sweeps * cfg.n_seeds * cfg.epochs,
            _epoch_cost("mlp", dim, cfg, n),
        )
    )
    main = 2 + (2 if cfg.use_lm else 0)  # SVD, TF-IDF MLP + GIANT (+ MiniLM, MiniLM + GIANT)
    ablations = (len(kinds) - 1) + (len(lm_kinds) - 1 if cfg.use_lm else 0)
    for model in sorted(set(cfg.model_list) | set(cfg.ablation_model_list)):
        fits = main * (model in cfg.model_list) + ablations * (model in cfg.ablation_model_list)
        epochs = fits * cfg.n_seeds * cfg.epochs
        items.append(WorkItem(f"downstream {model.upper()} epochs", epochs, _epoch_cost(model, dim, cfg, n)))
        if cfg.concat_tfidf and model in cfg.ablation_model_list:  # counted dense: an upper bound
            wide = _epoch_cost(model, cfg.vocab + dim, cfg, n)
            items.append(
                WorkItem(f"downstream {model.upper()} epochs, [TF-IDF ‖ emb]", cfg.n_seeds * cfg.epochs, wide)
            )
    return items
