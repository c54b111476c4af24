"""The chapter's experiment: the XMC problem of a text graph, feature variants, downstream accuracy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from iclr22lib.giant.config import GiantConfig
from iclr22lib.giant.data import TextGraph, random_split
from iclr22lib.giant.downstream import fit_classifier, sparse_csr
from iclr22lib.giant.encoders import TfidfMLPEncoder, TransformerEncoder
from iclr22lib.giant.xmc import (
    LabelTree,
    balanced_kmeans_tree,
    multiresolution_targets,
    neighbour_targets,
    pifa,
    tfidf_features,
)
from iclr22lib.giant.xr import (
    XRResult,
    XRSchedule,
    beam_search,
    flat_tree,
    ranking_precision,
    train_link_prediction,
    train_xr,
)


@dataclass
class XMCProblem:
    """Neighbourhood prediction as XMC: TF-IDF ``x`` (n, vocab), labels ``y`` (n, n), PIFA ``z`` (n, vocab),
    the label ``tree``, per-level ``targets`` and ``counts`` (n, K_t), training ``instances`` (degree >= 1)."""

    x: sp.csr_matrix
    y: sp.csr_matrix
    z: sp.csr_matrix
    tree: LabelTree
    targets: list[sp.csr_matrix]
    counts: list[sp.csr_matrix]
    instances: torch.Tensor


def build_problem(graph: TextGraph, cfg: GiantConfig) -> XMCProblem:
    """TF-IDF, neighbour targets, PIFA, the balanced tree and the multi-resolution targets."""
    x = tfidf_features(graph.texts, cfg.vocab)
    y = neighbour_targets(graph.edge_index, graph.num_nodes)
    z = pifa(y, x)
    tree = balanced_kmeans_tree(z, cfg.branching, cfg.max_leaf, seed=cfg.seed)
    deg = np.asarray(y.sum(1)).ravel()
    inst = torch.from_numpy(np.nonzero(deg > 0)[0])
    return XMCProblem(
        x, y, z, tree, multiresolution_targets(y, tree), multiresolution_targets(y, tree, binary=False), inst
    )


def svd_features(x: sp.spmatrix, dim: int, seed: int = 0) -> torch.Tensor:
    """TF-IDF + truncated SVD baseline: (n, dim) float32.

    Computed with one BLAS thread: the randomised SVD's rounding depends on the thread count, and the
    downstream accuracy moves with it, so the result would otherwise depend on the machine."""
    with threadpool_limits(1):
        svd = TruncatedSVD(dim, random_state=seed).fit_transform(x)
    return torch.from_numpy(svd.astype(np.float32))


def concat_features(emb: torch.Tensor, x: sp.spmatrix) -> torch.Tensor:
    """GIANT-XRT's ranker-side features [TF-IDF ‖ l2-normalised embedding], as the official pipeline
    builds them for its XR-Linear stage: a float32 sparse CSR tensor of shape (n, vocab + dim)."""
    e = sp.csr_matrix(normalize(emb.detach().cpu().numpy().astype(np.float32), norm="l2", axis=1))
    m = sp.hstack([sp.csr_matrix(x, dtype=np.float32), e], format="csr")
    m.sort_indices()
    return sparse_csr(
        torch.from_numpy(m.indptr.astype(np.int64)),
        torch.from_numpy(m.indices.astype(np.int64)),
        torch.from_numpy(m.data),
        m.shape,
    )


def schedule(cfg: GiantConfig, lm: bool, lr: float | None = None) -> XRSchedule:
    """The XR schedule of one encoder from the config (``lr`` overrides the encoder learning rate)."""
    default = cfg.lm_lrs[0] if lm else cfg.mlp_lrs[0]
    return XRSchedule(
        steps=cfg.lm_steps if lm else cfg.mlp_steps,
        batch=cfg.batch,
        lr_encoder=default if lr is None else lr,
        lr_head=cfg.head_lr,
        negatives=cfg.negatives,
        topk=cfg.topk,
    )


def fine_tune(
    encoder: TfidfMLPEncoder | TransformerEncoder,
    prob: XMCProblem,
    cfg: GiantConfig,
    lm: bool,
    kind: str,
    seed: int = 0,
    lr: float | None = None,
) -> tuple[torch.Tensor, XRResult | list[float]]:
    """Fine-tune ``encoder`` in place by ``kind`` = 'giant' (hierarchical XR), 'flat' (one level over all
    labels, the same total steps) or 'lp' (link prediction, the same total steps); return its embeddings.
    ``lr``: the encoder learning rate (default: the first of the config's grid)."""
    sch = schedule(cfg, lm, lr)
    levels = min(cfg.levels, len(prob.tree.parents))
    if kind == "giant":
        res = train_xr(encoder, prob.tree, prob.targets, prob.counts, prob.instances, sch, seed, levels)
    elif kind == "flat":
        sch.steps *= levels
        t = prob.tree
        y = prob.targets[-1][:, t.label_pos]  # back to original label order
        res = train_xr(encoder, flat_tree(y.shape[1]), [y], None, prob.instances, sch, seed)
    elif kind == "lp":
        ei = torch.from_numpy(np.stack(prob.y.nonzero())).long()
        res = train_link_prediction(encoder, ei, prob.y.shape[0], sch, sch.steps * levels, seed)
    else:
        raise ValueError(f"kind={kind!r}; choose 'giant', 'flat' or 'lp'")
    return encoder.embed_all().cpu(), res


def level_precision(
    encoder_emb: torch.Tensor, res: XRResult, prob: XMCProblem, ks: Sequence[int] = (1, 5), beam: int = 10
) -> pd.DataFrame:
    """Neighbourhood-prediction P@k of each trained level by beam search down the tree (training
    instances), with the chance level of P@1 (mean positives / K_t)."""
    inst = prob.instances
    emb = encoder_emb[inst].to(res.heads[0].weight.device)
    ranked = beam_search(emb, res.heads, prob.tree, beam)
    rows = []
    for t, (ids, _) in enumerate(ranked, start=1):
        pk = ranking_precision(ids, prob.targets[t - 1], inst, ks)
        k_t = prob.targets[t - 1].shape[1]
        avg_pos = float(prob.targets[t - 1][inst.numpy()].sum(1).mean())
        rows.append(
            {"level": t, "clusters": k_t, **{f"P@{k}": pk[k] for k in ks}, "chance P@1": avg_pos / k_t}
        )
    return pd.DataFrame(rows)


@dataclass
class Selection:
    """Result of :func:`select_on_validation`: the winning candidate's index, settings, features and run
    result, and one row per candidate with its mean and sd validation accuracy (no test numbers)."""

    best: int
    setting: dict[str, Any]
    features: torch.Tensor
    result: Any
    table: pd.DataFrame


def select_on_validation(
    candidates: Sequence[Mapping[str, Any]],
    make: Callable[[Mapping[str, Any]], tuple[torch.Tensor, Any]],
    graph: TextGraph,
    cfg: GiantConfig,
    model: str = "mlp",
    device: str | torch.device = "cpu",
) -> Selection:
    """Pick the candidate setting whose features give the best mean *validation* accuracy of ``model``.

    ``make(setting) -> (features (n, d), run result)`` builds one candidate's features. Every
    candidate is scored on the same ``cfg.n_seeds`` splits as :func:`evaluate_features`; only the
    validation accuracy is read; ties go to the earlier candidate. A single candidate is returned
    without downstream training (its validation accuracy is then NaN).
    """
    if not candidates:
        raise ValueError("select_on_validation needs at least one candidate setting")
    best, rows = None, []
    for i, setting in enumerate(candidates):
        feats, res = make(setting)
        val = [float("nan")]
        if len(candidates) > 1:
            val = evaluate_features({"c": feats}, graph, cfg, device, (model,))["val"].tolist()
        rows.append({**setting, "val mean": float(np.mean(val)), "val sd": float(np.std(val))})
        if best is None or rows[-1]["val mean"] > rows[best[0]]["val mean"]:
            best = (i, feats, res)
    assert best is not None
    return Selection(best[0], dict(candidates[best[0]]), best[1], best[2], pd.DataFrame(rows))


def evaluate_features(
    features: dict[str, torch.Tensor],
    graph: TextGraph,
    cfg: GiantConfig,
    device: str | torch.device = "cpu",
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Validation and test accuracy of every (feature variant, downstream model, seed): one row each.

    ``models``: the downstream models (default ``cfg.model_list``)."""
    rows = []
    ei = graph.edge_index.to(device)
    y = graph.y.to(device)
    for s in range(cfg.n_seeds):
        split = {k: v.to(device) for k, v in random_split(graph.y, cfg.seed + s).items()}
        for name, x in features.items():
            for model in cfg.model_list if models is None else models:
                r = fit_classifier(
                    model, x.to(device), ei, y, split, seed=cfg.seed + s, epochs=cfg.epochs, hidden=cfg.hidden
                )
                rows.append({"features": name, "model": model, "seed": cfg.seed + s, **r})
    return pd.DataFrame(rows)
