"""The link-prediction variant of Cold Brew (paper Table 4): recover the edges cut from isolated nodes.

Every model here is an *encoder* that maps nodes to embeddings z [N, D]; an edge (u, v) scores
``z_u · z_v`` (a dot product, as the official code's ``calc_score``). Training minimises binary cross
entropy on the training edges (label 1) and on as many uniformly corrupted edges (label 0): for each
positive (u, v) the tail is replaced by a random node (:func:`sample_negatives`, one batched draw).

The edges are split as follows (:func:`link_split`). The edges of the isolated nodes are cut (as in the
classification experiment) and become the *isolated* test set. Of the remaining undirected edges a
share ``holdout`` is held out too, half for validation (model selection) and half as a *warm* test set;
the encoders train and propagate on what is left. Each held-out edge (u, v) is ranked by u against every
node except u and u's other true neighbours in the whole graph (the *filtered* ranking), so chance level
is a mean reciprocal rank (MRR) of about ``ln(N) / N``.

Models: a GCN and a GCN with structural embedding (SE) trained with the link loss, a plain MLP
(features only), and the Cold Brew student: MLP1 regresses the link-trained GCN+SE teacher's embedding
bank, its virtual neighbours are looked up in that bank, and MLP2 maps ``[x, a1·ẽ, a0·ê]`` to the link
embedding, trained with the same link loss. The MLP and the student never see an edge at inference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data

from iclr22lib.coldbrew.config import ColdBrewConfig
from iclr22lib.coldbrew.models import MLP, SEGCN, ColdBrewStudent, se_penalty
from iclr22lib.coldbrew.splits import cut_isolated_edges, degree_groups
from iclr22lib.coldbrew.train import fit_mlp1, train_adam
from iclr22lib.core.device import cpu_threads
from iclr22lib.core.graphs import gcn_adjacency, load_planetoid, row_normalize
from iclr22lib.core.seeding import seed_everything
from iclr22lib.core.stats import mean_sd

#: Models of the link-prediction experiment, in table order.
LINK_MODELS = ("GCN", "GCN+SE", "MLP", "Cold Brew")
#: Edge sets on which MRR is reported.
LINK_GROUPS = ("isolated", "warm")


def link_loss(z: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Binary cross entropy of dot-product scores: z [N, D], pos [2, P] (label 1), neg [2, Q] (label 0).

    The mean runs over all P + Q pairs together, as in the official code.
    """
    pairs = torch.cat([pos, neg], dim=1)
    score = (z[pairs[0]] * z[pairs[1]]).sum(dim=1)
    label = torch.cat([torch.ones(pos.shape[1]), torch.zeros(neg.shape[1])]).to(score)
    return F.binary_cross_entropy_with_logits(score, label)


def sample_negatives(
    pos: torch.Tensor, num_nodes: int, per_pos: int = 1, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Corrupt the tail of each positive edge pos [2, P] ``per_pos`` times with uniform random nodes.

    Returns [2, P · per_pos] (heads repeated, tails drawn in one call; a drawn tail may by chance be a
    true neighbour, as in the usual uniform sampling).
    """
    if per_pos < 1:
        raise ValueError(f"per_pos={per_pos} must be at least 1")
    heads = pos[0].repeat(per_pos)
    tails = torch.randint(num_nodes, heads.shape, generator=generator, device="cpu").to(pos.device)
    return torch.stack([heads, tails])


def reciprocal_ranks(
    src: torch.Tensor, dst: torch.Tensor, edges: torch.Tensor, exclude: torch.Tensor, chunk: int = 2048
) -> torch.Tensor:
    """Reciprocal rank [M] of each held-out edge (u, v) in edges [2, M]: u scores every node w by
    ``src_u · dst_w`` ([N, D] each); v's rank is 1 + the number of other candidates scoring at least as
    high (ties count against v). Candidates are all nodes but u and the nodes w ≠ v with (u, w) in
    ``exclude`` [2, E] (the filtered setting: other true neighbours do not count as errors)."""
    n = dst.shape[0]
    if edges.shape[1] == 0:
        raise ValueError("no edges to rank")
    out = []
    for start in range(0, edges.shape[1], chunk):
        u, v = edges[0, start : start + chunk], edges[1, start : start + chunk]
        rows = torch.arange(len(u), device=u.device)
        scores = src[u] @ dst.T  # [m, N]
        true = scores[rows, v]
        # the other true neighbours of each row's head u: mark them per distinct head, then gather
        heads, inverse = torch.unique(u, return_inverse=True)
        row_of = torch.full((n,), -1, dtype=torch.long, device=scores.device)
        row_of[heads] = torch.arange(len(heads), device=scores.device)
        sel = row_of[exclude[0]] >= 0
        per_head = torch.zeros(len(heads), n, dtype=torch.bool, device=scores.device)
        per_head[row_of[exclude[0, sel]], exclude[1, sel]] = True
        blocked = per_head[inverse]
        blocked[rows, v] = False
        blocked[rows, u] = True
        better = ((scores >= true[:, None]) & ~blocked).sum(dim=1)  # v itself is counted once
        out.append(1.0 / better.float())
    return torch.cat(out)


def mrr(src: torch.Tensor, dst: torch.Tensor, edges: torch.Tensor, exclude: torch.Tensor) -> float:
    """Mean reciprocal rank of :func:`reciprocal_ranks`, in [0, 1]."""
    return float(reciprocal_ranks(src, dst, edges, exclude).mean())


def _undirected(edge_index: torch.Tensor) -> torch.Tensor:
    """Each undirected edge once, as [2, E/2] with u < v."""
    return edge_index[:, edge_index[0] < edge_index[1]]


def _both(pairs: torch.Tensor) -> torch.Tensor:
    return torch.cat([pairs, pairs.flip(0)], dim=1)


@dataclass
class LinkData:
    """A graph prepared for link prediction (all tensors on one device).

    ``train`` [2, E_tr] both directions: the edges the encoders propagate on and fit; ``val``,
    ``warm`` [2, ·] held-out edges between non-isolated nodes (both directions); ``isolated`` [2, M]
    the cut edges leaving an isolated node; ``full`` [2, E] every edge (for the filtered ranking).
    """

    name: str
    x: torch.Tensor  # [N, F] sparse, rows sum to 1
    train: torch.Tensor
    val: torch.Tensor
    warm: torch.Tensor
    isolated: torch.Tensor
    full: torch.Tensor
    adj: torch.Tensor  # [N, N] sparse GCN matrix of the training edges
    is_isolated: torch.Tensor  # [N] bool

    @property
    def num_nodes(self) -> int:
        return self.adj.shape[0]


def link_split(data: Data, cfg: ColdBrewConfig, split_seed: int = 0) -> LinkData:
    """Cut the isolated nodes' edges (they become the isolated test set) and hold out ``cfg.link_holdout``
    of the other undirected edges, half for validation and half as the warm test set."""
    n = data.num_nodes
    ei = data.edge_index.cpu()
    groups = degree_groups(ei, n, rule=cfg.group_rule, frac=cfg.group_frac)
    iso = groups.isolated
    cut = cut_isolated_edges(ei, iso)
    isolated = ei[:, iso[ei[0]] & (ei[0] != ei[1])]
    kept = _undirected(cut)
    gen = torch.Generator().manual_seed(split_seed)
    perm = torch.randperm(kept.shape[1], generator=gen)
    n_out = round(cfg.link_holdout * kept.shape[1])
    val, warm, train = (kept[:, perm[: n_out // 2]], kept[:, perm[n_out // 2 : n_out]],
                        kept[:, perm[n_out:]])  # fmt: skip
    dev = torch.device(cfg.device)
    train = _both(train)
    return LinkData(
        name=data.name,
        x=row_normalize(data.x).to_sparse().to(dev),
        train=train.to(dev),
        val=_both(val).to(dev),
        warm=_both(warm).to(dev),
        isolated=isolated.to(dev),
        full=ei.to(dev),
        adj=gcn_adjacency(train, n).to(dev),
        is_isolated=iso.to(dev),
    )


def _fit_link(
    encoder: nn.Module,
    embed: Callable[[], torch.Tensor],
    ld: LinkData,
    cfg: ColdBrewConfig,
    what: str,
    penalty: Callable[[], torch.Tensor] | None = None,
    params: list[torch.Tensor] | None = None,
) -> nn.Module:
    """Minimise the link loss of ``embed()`` [N, D] on the training edges (plus ``penalty()``) with fresh
    negatives every step, at the link learning rate; keep the weights with the best validation MRR."""

    def loss() -> torch.Tensor:
        neg = sample_negatives(ld.train, ld.num_nodes, cfg.link_negatives)
        out = link_loss(embed(), ld.train, neg)
        return out if penalty is None else out + penalty()

    def score() -> float:
        z = embed()
        return mrr(z, z, ld.val, ld.full)

    lr, wd = cfg.link_lr, cfg.link_weight_decay
    return train_adam(encoder, loss, score, cfg.link_epochs, cfg, what, lr=lr, weight_decay=wd, params=params)


def train_link_gcn(ld: LinkData, cfg: ColdBrewConfig, se_layers: str) -> SEGCN:
    """A (SE-)GCN encoder [N, F] → [N, link_dim] on the training edges, with the SE penalty when it has SE."""
    model = SEGCN(ld.num_nodes, ld.x.shape[1], cfg.hidden, cfg.link_dim, n_layers=cfg.n_layers,
                  se_layers=se_layers, dropout=cfg.link_dropout, norm=cfg.norm, residual=cfg.residual,
                  se_init_std=cfg.se_init_std).to(ld.adj.device)  # fmt: skip
    penalty = None
    if model.se:

        def penalty() -> torch.Tensor:
            return cfg.se_reg * se_penalty(model.se_parameters(), cfg.se_reg_form)

    return _fit_link(model, lambda: model(ld.x, ld.adj), ld, cfg, "link GCN", penalty)


def train_link_mlp(ld: LinkData, cfg: ColdBrewConfig) -> MLP:
    """A features-only MLP encoder [N, F] → [N, link_dim]."""
    model = MLP(ld.x.shape[1], cfg.mlp_hidden, cfg.link_dim, cfg.link_dropout).to(ld.adj.device)
    return _fit_link(model, lambda: model(ld.x), ld, cfg, "link MLP")


def train_link_student(
    ld: LinkData, bank: torch.Tensor, cfg: ColdBrewConfig, seed: int | None = None
) -> tuple[ColdBrewStudent, torch.Tensor]:
    """Cold Brew for links: MLP1 regresses the teacher's bank [N, D] on the non-isolated nodes (MSE,
    best held-out-node MSE, ``cfg.mlp_epochs`` steps), virtual neighbours are precomputed once, and MLP2 maps
    ``[x, a1·ẽ, a0·ê]`` to a [N, link_dim] embedding under the link loss. Returns it and the embedding.
    ``seed`` (default ``cfg.seed``) draws which non-isolated nodes select MLP1."""
    dev = ld.adj.device
    student = ColdBrewStudent(ld.x.shape[1], bank.shape[1], cfg.link_dim, cfg.mlp_hidden, cfg.link_dropout)
    student = student.to(dev)
    known = torch.nonzero(~ld.is_isolated).flatten()
    gen = torch.Generator().manual_seed(cfg.seed if seed is None else seed)
    known = known[torch.randperm(len(known), generator=gen).to(dev)]
    n_val = max(1, len(known) // 10)
    val, fit_on = known[:n_val], known[n_val:]  # MLP1 is selected on nodes it does not fit
    lr, wd = cfg.link_lr, cfg.link_weight_decay
    ehat, mixed = fit_mlp1(student, ld.x, bank, fit_on, val, cfg, "link student MLP1", lr=lr, weight_decay=wd)
    stage2 = student.classifier_parameters()
    _fit_link(
        student, lambda: student.classify(ld.x, mixed, ehat), ld, cfg, "link student MLP2", params=stage2
    )
    with torch.no_grad():
        return student, student.classify(ld.x, mixed, ehat)


def link_seed(ld: LinkData, cfg: ColdBrewConfig, seed: int) -> dict[str, dict[str, float]]:
    """Train every link model once with ``seed``; MRR per model on the isolated and warm test edges."""
    emb = {}
    seed_everything(seed)
    gcn = train_link_gcn(ld, cfg, "000")
    seed_everything(seed)
    teacher = train_link_gcn(ld, cfg, cfg.se_layers)
    seed_everything(seed)
    mlp = train_link_mlp(ld, cfg)
    with torch.no_grad():
        emb["GCN"], emb["GCN+SE"], emb["MLP"] = gcn(ld.x, ld.adj), teacher(ld.x, ld.adj), mlp(ld.x)
    bank = teacher.embedding_bank(ld.x, ld.adj)
    seed_everything(seed)
    emb["Cold Brew"] = train_link_student(ld, bank, cfg, seed=seed)[1]
    return {m: {"isolated": mrr(z, z, ld.isolated, ld.full), "warm": mrr(z, z, ld.warm, ld.full)}
            for m, z in emb.items()}  # fmt: skip


@dataclass
class LinkResult:
    """MRR (in [0, 1]) per model, edge set and seed, and the sizes of the edge sets (directed edges)."""

    name: str
    sizes: dict[str, int]
    mrr: dict[str, dict[str, list[float]]]

    def mean_sd(self, model: str, group: str) -> tuple[float, float]:
        """Mean and standard deviation (ddof=0) of the MRR over seeds."""
        return mean_sd(self.mrr[model][group])


def run_link_prediction(data: Data, cfg: ColdBrewConfig) -> LinkResult:
    """The link-prediction experiment on one graph for seeds ``cfg.seed .. cfg.seed + link_seeds - 1``
    (one fixed edge split)."""
    ld = link_split(data, cfg)
    out: dict[str, dict[str, list[float]]] = {m: {g: [] for g in LINK_GROUPS} for m in LINK_MODELS}
    for i in range(cfg.link_seeds):
        for m, per_group in link_seed(ld, cfg, cfg.seed + i).items():
            for g, v in per_group.items():
                out[m][g].append(v)
    sizes = {"train": ld.train.shape[1], "val": ld.val.shape[1], "warm": ld.warm.shape[1],
             "isolated": ld.isolated.shape[1]}  # fmt: skip
    return LinkResult(ld.name, sizes, out)


def run_link_experiment(cfg: ColdBrewConfig) -> dict[str, LinkResult]:
    """:func:`run_link_prediction` on every graph of ``cfg.link_datasets`` (one CPU thread on the CPU);
    an empty dict when ``cfg.link_seeds`` is 0."""
    if cfg.link_seeds == 0:
        return {}
    with cpu_threads(1, cfg.device):
        return {name: run_link_prediction(load_planetoid(name), cfg) for name in cfg.link_dataset_names}
