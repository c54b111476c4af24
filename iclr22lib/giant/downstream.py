"""Downstream node classifiers on fixed node features (PyTorch Geometric), full batch."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv, SAGEConv, SGConv

from iclr22lib.core.training import fit, optimizer_step
from iclr22lib.giant.config import MODELS


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout, the same distribution as ``F.dropout``. On the CPU the mask is drawn by
    thresholding uniform numbers, several times faster than torch's ``bernoulli_`` (see
    ``benchmarks/ch02_downstream_fit.py``); on a GPU it is ``F.dropout`` itself."""
    if not training or not 0.0 < p < 1.0 or x.is_cuda:
        return F.dropout(x, p, training)
    return x * (torch.rand_like(x) >= p).to(x.dtype) * (1.0 / (1.0 - p))


def sparse_csr(
    crow: torch.Tensor, col: torch.Tensor, vals: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    """A torch sparse CSR tensor, without torch's 'beta feature' warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, vals, shape)


class _CSRMatmul(torch.autograd.Function):
    """``x @ w.T`` for a sparse CSR ``x`` (n, d) and dense ``w`` (h, d); the weight gradient ``g.T @ x`` is
    computed as ``(x.T @ g).T`` with ``x.T`` given in CSR form (torch's own CSR backward is ~10x slower)."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor, xt: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        ctx.xt = xt
        return x @ w.t()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, g: torch.Tensor
    ) -> tuple[None, None, torch.Tensor]:
        return None, None, (ctx.xt @ g).t()


class CSRTranspose:
    """The transpose of a fixed CSR sparsity pattern (n, d) as CSR (d, n): built once, then
    ``__call__(values)`` gives ``x.T`` for any values on that pattern (e.g. after dropout)."""

    def __init__(self, x: torch.Tensor):
        rows = torch.repeat_interleave(torch.arange(x.shape[0], device=x.device), x.crow_indices().diff())
        cols = x.col_indices()
        self.perm = torch.argsort(cols * x.shape[0] + rows)  # order of the entries in x.T, row-major
        counts = torch.bincount(cols, minlength=x.shape[1])
        self.crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        self.col = rows[self.perm]
        self.shape = (x.shape[1], x.shape[0])

    def __call__(self, values: torch.Tensor) -> torch.Tensor:
        return sparse_csr(self.crow, self.col, values[self.perm], self.shape)


def csr_linear(x: torch.Tensor, layer: nn.Linear, xt: CSRTranspose) -> torch.Tensor:
    """``layer(x)`` for a sparse CSR input ``x`` (n, d) → (n, h), with the fast weight gradient."""
    return _CSRMatmul.apply(x, xt(x.values()), layer.weight) + layer.bias


class SparseDense(NamedTuple):
    """Node features whose first columns are sparse and whose last columns are dense, e.g. GIANT-XRT's
    [TF-IDF ‖ embedding]: ``sparse`` CSR (n, a), ``dense`` (n, d - a). The MLP multiplies each block in
    its own format instead of treating the dense block as a sparse one."""

    sparse: torch.Tensor
    dense: torch.Tensor


def split_dense_tail(x: torch.Tensor) -> torch.Tensor | SparseDense:
    """Split a sparse CSR (n, d) with sorted column indices into :class:`SparseDense` when its trailing
    columns are stored in every row; ``x`` unchanged when there is no such block, dense when all are."""
    n, d = x.shape
    cols = x.col_indices()
    full = torch.bincount(cols, minlength=d) == n
    a = d - int(torch.cumprod(full.flip(0), 0).sum())  # first column of the all-stored trailing block
    if a == d:
        return x
    if a == 0:
        return x.to_dense()
    tail = cols >= a
    vals = x.values()
    head_counts = x.crow_indices().diff() - (d - a)
    crow = torch.cat([head_counts.new_zeros(1), head_counts.cumsum(0)])
    sparse = sparse_csr(crow, cols[~tail], vals[~tail], (n, a))
    return SparseDense(sparse, vals[tail].reshape(n, d - a))


class Classifier(nn.Module):
    """2-layer MLP / GCN / GraphSAGE, or SGC (K=2 propagation + linear): (n, d) -> (n, classes) logits."""

    def __init__(self, kind: str, d_in: int, hidden: int, classes: int, dropout: float = 0.5):
        super().__init__()
        if kind not in MODELS:
            raise ValueError(f"model {kind!r} is not known; choose one of {MODELS}")
        self.kind, self.dropout = kind, dropout
        if kind == "sgc":
            self.conv = SGConv(d_in, classes, K=2, cached=True)
            return
        if kind == "gcn":  # transductive: the normalised adjacency is cached after the first call
            self.l1, self.l2 = GCNConv(d_in, hidden, cached=True), GCNConv(hidden, classes, cached=True)
        else:
            layer = {"mlp": nn.Linear, "sage": SAGEConv}[kind]
            self.l1, self.l2 = layer(d_in, hidden), layer(hidden, classes)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        if self.kind == "sgc":
            return self.conv(x, edge_index)
        if isinstance(x, SparseDense):  # MLP only: each block in its own format
            a = x.sparse.shape[1]
            xs = self._dropout_csr(x.sparse)
            w = self.l1.weight
            h = _CSRMatmul.apply(xs, CSRTranspose(xs)(xs.values()), w[:, :a])
            h = h + dropout(x.dense, self.dropout, self.training) @ w[:, a:].t() + self.l1.bias
            return self.l2(dropout(F.relu(h), self.dropout, self.training))
        if x.layout == torch.sparse_csr:  # dropout on the stored entries only
            x = self._dropout_csr(x)
        else:
            x = dropout(x, self.dropout, self.training)
        if self.kind == "mlp" and x.layout == torch.sparse_csr:
            h = csr_linear(x, self.l1, CSRTranspose(x))
        else:
            h = self.l1(x) if self.kind == "mlp" else self.l1(x, edge_index)
        h = dropout(F.relu(h), self.dropout, self.training)
        return self.l2(h) if self.kind == "mlp" else self.l2(h, edge_index)

    def _dropout_csr(self, x: torch.Tensor) -> torch.Tensor:
        vals = dropout(x.values(), self.dropout, self.training)
        return sparse_csr(x.crow_indices(), x.col_indices(), vals, x.shape)


def standardise(x: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Centre and scale every feature by its training-node mean and standard deviation."""
    mu, sd = x[train].mean(0), x[train].std(0).clamp_min(1e-6)
    return (x - mu) / sd


def scale_sparse(x: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Scale every column of a sparse CSR (n, d) matrix by its training-node standard deviation.

    Unlike :func:`standardise` nothing is centred (centring would make the matrix dense); a linear
    first layer absorbs the means in its bias. Returns a float32 sparse CSR tensor.
    """
    coo = x.to_sparse_coo().coalesce()
    idx, vals = coo.indices(), coo.values().float()
    n_train = train.sum().clamp_min(2).float()
    on_train = train[idx[0]]
    s1 = torch.zeros(x.shape[1]).index_add_(0, idx[1][on_train], vals[on_train])
    s2 = torch.zeros(x.shape[1]).index_add_(0, idx[1][on_train], vals[on_train] ** 2)
    var = (s2 - s1**2 / n_train) / (n_train - 1)
    scaled = vals / var.clamp_min(0).sqrt().clamp_min(1e-6)[idx[1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_coo_tensor(idx, scaled, x.shape).coalesce().to_sparse_csr()


def fit_classifier(
    kind: str,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    y: torch.Tensor,
    split: dict[str, torch.Tensor],
    seed: int,
    epochs: int = 200,
    hidden: int = 128,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    dropout: float = 0.5,
) -> dict[str, float]:
    """Train full batch with Adam; return the test accuracy at the epoch of best validation accuracy.

    ``x``: (n, d) dense, or sparse CSR (the MLP and GCN use it as it is, scaled by
    :func:`scale_sparse`; GraphSAGE and SGC get it densified).
    """
    torch.manual_seed(seed)
    if x.layout == torch.sparse_csr:
        x = scale_sparse(x.cpu(), split["train"].cpu()).to(y.device)
        if kind in ("sage", "sgc"):
            x = x.to_dense()
        elif kind == "mlp":
            x = split_dense_tail(x)
    else:
        x = standardise(x.float(), split["train"])
    d_in = x.sparse.shape[1] + x.dense.shape[1] if isinstance(x, SparseDense) else x.shape[1]
    model = Classifier(kind, d_in, hidden, int(y.max()) + 1, dropout).to(y.device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    rows_only = kind == "mlp" and isinstance(x, torch.Tensor) and x.layout == torch.strided
    held = torch.nonzero(split["val"] | split["test"]).ravel()
    test_acc: list[float] = []

    def train_step(ep: int) -> float:
        loss = F.cross_entropy(model(x, edge_index)[split["train"]], y[split["train"]])
        return optimizer_step(opt, loss, step=ep, what=f"{kind} classifier loss")

    def validate() -> float:
        if rows_only:  # the MLP on dense features needs only the evaluated rows
            pred = torch.zeros_like(y).index_copy_(0, held, model(x[held], edge_index).argmax(1))
        else:
            pred = model(x, edge_index).argmax(1)
        test_acc.append(float((pred[split["test"]] == y[split["test"]]).float().mean()))
        return float((pred[split["val"]] == y[split["val"]]).float().mean())

    log = fit(model, train_step, validate, steps=epochs, mode="max", desc=f"{kind} classifier")
    return {"val": log.best, "test": test_acc[log.best_step], "epoch": log.best_step}
