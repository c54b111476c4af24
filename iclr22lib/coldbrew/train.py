"""Training and evaluation: one graph, every model, several seeds, accuracy per degree group."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data

from iclr22lib.coldbrew.config import ColdBrewConfig
from iclr22lib.coldbrew.metrics import label_propagation, node_homophily
from iclr22lib.coldbrew.models import (
    MLP,
    SEGCN,
    ColdBrewStudent,
    GraphMLP,
    GraphSAGE,
    neighbour_contrastive_loss,
    se_penalty,
    virtual_neighbours,
)
from iclr22lib.coldbrew.splits import DegreeGroups, LabelSplit, cut_isolated_edges, degree_groups, label_split
from iclr22lib.core.device import cpu_threads
from iclr22lib.core.graphs import gcn_adjacency, load_planetoid, row_normalize
from iclr22lib.core.progress import progress
from iclr22lib.core.seeding import seed_everything
from iclr22lib.core.stats import mean_sd
from iclr22lib.core.training import accuracy, fit, optimizer_step

M = TypeVar("M", bound=nn.Module)

MODEL_NAMES = ("GCN", "GCN+SE", "MLP", "GraphMLP", "GraphSAGE", "Cold Brew")


@dataclass
class Prepared:
    """A graph ready for the experiment: features, labels, groups, label split and the cut graph."""

    name: str
    x: torch.Tensor  # [N, F] sparse COO, rows sum to 1
    x_dense: torch.Tensor  # [N, F]
    y: torch.Tensor  # [N]
    n_classes: int
    groups: DegreeGroups
    split: LabelSplit
    edge_index: torch.Tensor  # [2, E_cut], the cut graph, both directions
    adj: torch.Tensor  # [N, N] sparse GCN matrix of the cut graph
    masks: dict[str, torch.Tensor]  # group -> evaluation-node mask [N] on the device
    x_train: torch.Tensor  # [N_train, F] sparse rows of the training nodes
    x_val: torch.Tensor  # [N_val, F] sparse rows of the validation nodes

    @property
    def num_nodes(self) -> int:
        return self.y.shape[0]


def prepare(data: Data, cfg: ColdBrewConfig) -> Prepared:
    """Choose the groups, cut the isolated nodes' edges and move everything to ``cfg.device``."""
    groups = degree_groups(data.edge_index, data.num_nodes, rule=cfg.group_rule, frac=cfg.group_frac)
    split = label_split(data, cfg.label_split)
    cut = cut_isolated_edges(data.edge_index, groups.isolated)
    dev = torch.device(cfg.device)
    x = row_normalize(data.x)
    masks = {
        "isolated": groups.isolated & split.evaluate,
        "tail": groups.tail & split.evaluate,
        "head": groups.head & split.evaluate,
        "overall": split.evaluate,
    }
    return Prepared(
        name=data.name,
        x=x.to_sparse().to(dev),
        x_dense=x.to(dev),
        y=data.y.to(dev),
        n_classes=int(data.y.max()) + 1,
        groups=groups,
        split=LabelSplit(*(m.to(dev) for m in (split.train, split.val, split.evaluate))),
        edge_index=cut.to(dev),
        adj=gcn_adjacency(cut, data.num_nodes).to(dev),
        masks={k: v.to(dev) for k, v in masks.items()},
        x_train=x[split.train].to_sparse().to(dev),
        x_val=x[split.val].to_sparse().to(dev),
    )


def group_accuracy(logits: torch.Tensor, g: Prepared) -> dict[str, float]:
    """Accuracy in % on the evaluation nodes of each group: {"isolated", "tail", "head", "overall"}."""
    hit = (logits.argmax(dim=1) == g.y).float()
    return {k: 100.0 * float(hit[m].mean()) for k, m in g.masks.items()}


def train_adam(
    model: M,
    loss_fn: Callable[[], torch.Tensor],
    score_fn: Callable[[], float],
    epochs: int,
    cfg: ColdBrewConfig,
    what: str,
    *,
    lr: float | None = None,
    weight_decay: float | None = None,
    params: list[torch.Tensor] | None = None,
) -> M:
    """Full-batch Adam on the scalar ``loss_fn()`` for ``epochs`` steps over ``params`` (default: all of
    ``model``'s), with ``lr`` and ``weight_decay`` (default: ``cfg``'s); ``score_fn()`` (higher is better)
    every ``cfg.eval_every`` steps and at the last. Returns ``model`` at its best score, in eval mode."""
    lr = cfg.lr if lr is None else lr
    weight_decay = cfg.weight_decay if weight_decay is None else weight_decay
    opt = torch.optim.Adam(params or model.parameters(), lr=lr, weight_decay=weight_decay)

    def step(epoch: int) -> float:
        return optimizer_step(opt, loss_fn(), step=epoch, what=f"{what} loss")

    fit(model, step, score_fn, steps=epochs, eval_every=cfg.eval_every, mode="max", desc=what)
    return model


def train_gcn(g: Prepared, cfg: ColdBrewConfig, se_layers: str, epochs: int | None = None) -> SEGCN:
    """Train a (SE-)GCN on the cut graph: CE on training nodes + η · SE penalty; best validation accuracy."""
    model = SEGCN(
        g.num_nodes,
        g.x.shape[1],
        cfg.hidden,
        g.n_classes,
        n_layers=cfg.n_layers,
        se_layers=se_layers,
        dropout=cfg.dropout,
        norm=cfg.norm,
        residual=cfg.residual,
        se_init_std=cfg.se_init_std,
    ).to(g.y.device)
    tr, va = g.split.train, g.split.val

    def loss() -> torch.Tensor:
        ce = F.cross_entropy(model(g.x, g.adj)[tr], g.y[tr])
        if not model.se:
            return ce
        return ce + cfg.se_reg * se_penalty(model.se_parameters(), cfg.se_reg_form)

    return train_adam(
        model, loss, lambda: accuracy(model(g.x, g.adj)[va], g.y[va]), epochs or cfg.epochs, cfg, "GCN"
    )


def train_mlp(g: Prepared, cfg: ColdBrewConfig) -> MLP:
    """The plain MLP baseline: features only, same architecture as the student's classifier."""
    model = MLP(g.x.shape[1], cfg.mlp_hidden, g.n_classes, cfg.mlp_dropout).to(g.y.device)
    tr = g.split.train
    return train_adam(
        model,
        lambda: F.cross_entropy(model(g.x_train), g.y[tr]),
        lambda: accuracy(model(g.x_val), g.y[g.split.val]),
        cfg.mlp_epochs,
        cfg,
        "MLP",
    )


def fit_mlp1(
    student: ColdBrewStudent,
    x: torch.Tensor,
    bank: torch.Tensor,
    fit_on: torch.Tensor,
    val: torch.Tensor,
    cfg: ColdBrewConfig,
    what: str,
    *,
    lr: float | None = None,
    weight_decay: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stage 1 of the student: MLP1 regresses the teacher's ``bank`` [N, D] from ``x`` [N, F] by MSE on
    the nodes ``fit_on`` (a mask or indices) for ``cfg.mlp_epochs`` steps, keeping the weights of least
    MSE on ``val``. Returns ê = MLP1(x) [N, D] and its virtual-neighbour mix ẽ [N, D] in the bank."""
    mlp1 = student.mlp1
    train_adam(
        mlp1,
        lambda: F.mse_loss(mlp1(x)[fit_on], bank[fit_on]),
        lambda: -float(F.mse_loss(mlp1(x)[val], bank[val])),
        cfg.mlp_epochs,
        cfg,
        what,
        lr=lr,
        weight_decay=weight_decay,
    )
    with torch.no_grad():
        ehat = mlp1(x)
        mixed, _, _ = virtual_neighbours(ehat, bank, cfg.top_k)
    return ehat, mixed


def train_student(
    g: Prepared, bank: torch.Tensor, cfg: ColdBrewConfig
) -> tuple[ColdBrewStudent, torch.Tensor]:
    """Distil the teacher's bank [N, D] into the Cold Brew student; returns it and its logits [N, C].

    Stage 1 fits MLP1 to the bank (MSE) on ``cfg.mimic_nodes``; stage 2 fits MLP2 (CE, training
    labels) on features plus the precomputed virtual-neighbour mix. Both keep their best-validation weights.
    """
    dev = g.y.device
    student = ColdBrewStudent(g.x.shape[1], bank.shape[1], g.n_classes, cfg.mlp_hidden, cfg.mlp_dropout).to(
        dev
    )
    known = ~g.groups.isolated.to(dev)
    fit_on = known if cfg.mimic_nodes == "non_isolated" else g.split.train
    ehat, mixed = fit_mlp1(student, g.x, bank, fit_on, g.split.val & known, cfg, "student MLP1")
    tr, va = g.split.train, g.split.val
    train_adam(
        student,
        lambda: F.cross_entropy(student.classify(g.x_train, mixed[tr], ehat[tr]), g.y[tr]),
        lambda: accuracy(student.classify(g.x_val, mixed[va], ehat[va]), g.y[va]),
        cfg.mlp_epochs,
        cfg,
        "student MLP2",
        params=student.classifier_parameters(),
    )
    with torch.no_grad():
        return student, student.classify(g.x, mixed, ehat)


def train_graphmlp(g: Prepared, cfg: ColdBrewConfig) -> GraphMLP:
    """GraphMLP: CE on training nodes + weight · neighbour-contrastive loss on a random node batch,
    positives weighted by the r-th power of the cut graph's GCN matrix."""
    dev = g.y.device
    adj_r = g.adj.to_dense()
    for _ in range(cfg.graphmlp_hops - 1):
        adj_r = torch.sparse.mm(g.adj, adj_r)
    model = GraphMLP(g.x.shape[1], cfg.mlp_hidden, g.n_classes, cfg.mlp_dropout).to(dev)
    tr, va = g.split.train, g.split.val
    b = min(cfg.graphmlp_batch, g.num_nodes)

    def loss() -> torch.Tensor:
        batch = torch.randperm(g.num_nodes, device=dev)[:b]
        _, z = model(g.x_dense[batch])
        nc = neighbour_contrastive_loss(z, adj_r[batch][:, batch], cfg.graphmlp_tau)
        return F.cross_entropy(model(g.x_train)[0], g.y[tr]) + cfg.graphmlp_weight * nc

    return train_adam(
        model, loss, lambda: accuracy(model(g.x_val)[0], g.y[va]), cfg.mlp_epochs, cfg, "GraphMLP"
    )


def train_sage(g: Prepared, cfg: ColdBrewConfig) -> GraphSAGE:
    """Two-layer GraphSAGE on the cut graph."""
    model = GraphSAGE(g.x.shape[1], cfg.hidden, g.n_classes, cfg.dropout).to(g.y.device)
    tr, va = g.split.train, g.split.val
    return train_adam(
        model,
        lambda: F.cross_entropy(model(g.x_dense, g.edge_index)[tr], g.y[tr]),
        lambda: accuracy(model(g.x_dense, g.edge_index)[va], g.y[va]),
        cfg.epochs,
        cfg,
        "GraphSAGE",
    )


@dataclass
class DatasetResult:
    """Accuracies in % per model, group and seed, plus the teacher evaluated the official code's way."""

    name: str
    group_sizes: tuple[int, int, int]  # (isolated, tail, head) nodes
    eval_sizes: dict[str, int]  # evaluated nodes per group
    acc: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    dropout_on: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    lp_acc: float = float("nan")
    lp_alpha: float = float("nan")
    homophily: float = float("nan")

    def add(self, table: dict[str, dict[str, list[float]]], model: str, accs: dict[str, float]) -> None:
        """Append ``accs`` (group -> accuracy) to ``table[model]``."""
        for k, v in accs.items():
            table.setdefault(model, {}).setdefault(k, []).append(v)

    def mean_sd(self, model: str, group: str) -> tuple[float, float]:
        """Mean and standard deviation (ddof=0) over seeds, in %."""
        return mean_sd(self.acc[model][group])


def run_seed(g: Prepared, cfg: ColdBrewConfig, seed: int, res: DatasetResult) -> None:
    """Train every model once with ``seed`` and add its group accuracies to ``res``."""

    def timed(name: str, fn: Callable[[], torch.Tensor]) -> None:
        seed_everything(seed)
        t0 = time.perf_counter()
        logits = fn()
        res.seconds[name] = res.seconds.get(name, 0.0) + time.perf_counter() - t0
        res.add(res.acc, name, group_accuracy(logits, g))

    teachers = {}

    def gnn(name: str, se: str) -> Callable[[], torch.Tensor]:
        def train() -> torch.Tensor:
            teachers[name] = model = train_gcn(g, cfg, se)
            with torch.no_grad():
                return model(g.x, g.adj)

        return train

    timed("GCN", gnn("GCN", "000"))
    timed("GCN+SE", gnn("GCN+SE", cfg.se_layers))
    for name, model in teachers.items():  # the official code's per-group numbers: dropout left on
        seed_everything(seed)
        model.train()
        with torch.no_grad():
            res.add(res.dropout_on, name, group_accuracy(model(g.x, g.adj), g))
        model.eval()
    timed("MLP", lambda: train_mlp(g, cfg)(g.x))
    timed("GraphMLP", lambda: train_graphmlp(g, cfg)(g.x)[0])
    if cfg.with_sage:
        timed("GraphSAGE", lambda: train_sage(g, cfg)(g.x_dense, g.edge_index))
    bank = teachers["GCN+SE"].embedding_bank(g.x, g.adj)
    timed("Cold Brew", lambda: train_student(g, bank, cfg)[1])


def run_dataset(name: str, cfg: ColdBrewConfig) -> DatasetResult:
    """The whole experiment on one graph: seeds ``cfg.seed .. cfg.seed + n_seeds - 1``."""
    g = prepare(load_planetoid(name), cfg)
    res = DatasetResult(
        name=name,
        group_sizes=g.groups.sizes(),
        eval_sizes={k: int(m.sum()) for k, m in g.masks.items()},
    )
    for i in progress(range(cfg.n_seeds), desc=f"{name} seeds"):
        run_seed(g, cfg, cfg.seed + i, res)
    res.lp_acc, res.lp_alpha = label_propagation(
        g.y, g.edge_index, g.split.train, g.split.val, g.split.evaluate
    )
    res.lp_acc *= 100.0
    res.homophily = 100.0 * node_homophily(g.edge_index, g.y)
    return res


def run_experiment(cfg: ColdBrewConfig) -> dict[str, DatasetResult]:
    """:func:`run_dataset` on every graph of ``cfg.datasets`` (on one CPU thread when on the CPU)."""
    with cpu_threads(1, cfg.device):
        return {name: run_dataset(name, cfg) for name in cfg.dataset_names}


def models_run(cfg: ColdBrewConfig) -> tuple[str, ...]:
    """The model names the experiment trains, in table order."""
    return tuple(m for m in MODEL_NAMES if cfg.with_sage or m != "GraphSAGE")
