"""The chapter's experiment: the XMC problem of a text graph, feature variants, downstream accuracy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.decomposition import TruncatedSVD

from iclr22lib.giant.config import GiantConfig
from iclr22lib.giant.data import TextGraph, random_split
from iclr22lib.giant.downstream import fit_classifier
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
    flat_tree,
    precision_at_k,
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
    """TF-IDF + truncated SVD baseline: (n, dim) float32."""
    return torch.from_numpy(TruncatedSVD(dim, random_state=seed).fit_transform(x).astype(np.float32))


def schedule(cfg: GiantConfig, lm: bool) -> XRSchedule:
    """The XR schedule of one encoder from the config."""
    return XRSchedule(
        steps=cfg.lm_steps if lm else cfg.mlp_steps,
        batch=cfg.batch,
        lr_encoder=cfg.lm_lr if lm else cfg.mlp_lr,
        lr_head=cfg.head_lr,
        negatives=cfg.negatives,
        topk=cfg.topk,
    )


def fine_tune(
    encoder, prob: XMCProblem, cfg: GiantConfig, lm: bool, kind: str, seed: int = 0
) -> tuple[torch.Tensor, XRResult | list[float]]:
    """Fine-tune ``encoder`` in place by ``kind`` = 'giant' (hierarchical XR), 'flat' (one level over all
    labels, the same total steps) or 'lp' (link prediction, the same total steps); return its embeddings."""
    sch = schedule(cfg, lm)
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


def level_precision(encoder_emb: torch.Tensor, res: XRResult, prob: XMCProblem, ks=(1, 5)) -> pd.DataFrame:
    """Neighbourhood-prediction P@k of each trained level over all K_t clusters (training instances)."""
    rows = []
    inst = prob.instances
    for t, head in enumerate(res.heads, start=1):
        with torch.no_grad():
            s = head(encoder_emb[inst].to(head.weight.device))
        pk = precision_at_k(s, prob.targets[t - 1], inst, ks)
        k_t = prob.targets[t - 1].shape[1]
        avg_pos = float(prob.targets[t - 1][inst.numpy()].sum(1).mean())
        rows.append(
            {"level": t, "clusters": k_t, **{f"P@{k}": pk[k] for k in ks}, "chance P@1": avg_pos / k_t}
        )
    return pd.DataFrame(rows)


def evaluate_features(
    features: dict[str, torch.Tensor], graph: TextGraph, cfg: GiantConfig, device: str | torch.device = "cpu"
) -> pd.DataFrame:
    """Test accuracy of every (feature variant, downstream model, seed): one row each."""
    rows = []
    ei = graph.edge_index.to(device)
    y = graph.y.to(device)
    for s in range(cfg.n_seeds):
        split = {k: v.to(device) for k, v in random_split(graph.y, cfg.seed + s).items()}
        for name, x in features.items():
            for model in cfg.model_list:
                r = fit_classifier(
                    model, x.to(device), ei, y, split, seed=cfg.seed + s, epochs=cfg.epochs, hidden=cfg.hidden
                )
                rows.append({"features": name, "model": model, "seed": cfg.seed + s, **r})
    return pd.DataFrame(rows)
