"""Graph data sets shared by several chapters: the Planetoid citation graphs (Cora, CiteSeer).

The Planetoid ``ind.*`` files are Python 2 pickles. They are read only after their sha256 has
matched the registry, and through an unpickler that admits nothing but the few NumPy/SciPy
classes these files contain, so no other code can run while they load. The result follows the
standard Planetoid protocol (Yang et al., 2016; the same as ``torch_geometric.datasets.Planetoid``):
20 labelled nodes per class for training, the next 500 nodes for validation, 1000 for testing.
"""

from __future__ import annotations

import collections
import os
import pickle
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from iclr22lib.core.data import PLANETOID, DataError, fetch

try:  # NumPy >= 2 moved the private module; old pickles still name numpy.core
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct


class _PlanetoidUnpickler(pickle.Unpickler):
    _allowed: ClassVar[dict] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("scipy.sparse.csr", "csr_matrix"): sp.csr_matrix,
        ("collections", "defaultdict"): collections.defaultdict,
        ("__builtin__", "list"): list,  # Python 2 name
    }

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataError(f"refusing to unpickle {module}.{name}: not a Planetoid data type") from None


def _load_pickle(path: Path):
    with open(path, "rb") as fh:
        return _PlanetoidUnpickler(fh, encoding="latin1").load()


def _dense(m) -> np.ndarray:
    return m.toarray() if sp.issparse(m) else np.asarray(m)


def load_planetoid(name: str, root: str | os.PathLike | None = None) -> Data:
    """Load Cora or CiteSeer as a PyG :class:`Data` with the standard Planetoid split.

    Returns ``x`` [N, F] float32 bag-of-words (0/1), ``y`` [N] int64, ``edge_index`` [2, E]
    (undirected, both directions, no self-loops) and boolean ``train_mask``/``val_mask``/``test_mask``.
    CiteSeer's 15 test ids with no data get zero features, label 0 and no mask, as PyG does.
    """
    if name not in PLANETOID:
        raise DataError(f"unknown Planetoid data set {name!r}; allowed: {', '.join(PLANETOID)}")
    folder = fetch(name, root) / "raw"
    parts = {
        k: _load_pickle(folder / f"ind.{name}.{k}") for k in ("x", "y", "tx", "ty", "allx", "ally", "graph")
    }
    test_ids = np.loadtxt(folder / f"ind.{name}.test.index", dtype=np.int64)
    test_sorted = np.sort(test_ids)

    tx, ty = _dense(parts["tx"]), _dense(parts["ty"])
    if name == "citeseer":  # some test ids have no row: pad the test block to the full id range
        span = test_sorted.max() - test_sorted.min() + 1
        tx_full = np.zeros((span, tx.shape[1]), dtype=tx.dtype)
        ty_full = np.zeros((span, ty.shape[1]), dtype=ty.dtype)
        tx_full[test_sorted - test_sorted.min()] = tx
        ty_full[test_sorted - test_sorted.min()] = ty
        tx, ty = tx_full, ty_full

    x = np.vstack([_dense(parts["allx"]), tx]).astype(np.float32)
    y = np.vstack([_dense(parts["ally"]), ty])
    x[test_ids] = x[test_sorted]  # the test block is stored in file order; put rows at their ids
    y[test_ids] = y[test_sorted]
    num_nodes = x.shape[0]

    graph = parts["graph"]
    src = np.fromiter((u for u, vs in graph.items() for _ in vs), dtype=np.int64)
    dst = np.fromiter((v for vs in graph.values() for v in vs), dtype=np.int64)
    edge_index = torch.from_numpy(np.stack([src, dst]))
    edge_index, _ = remove_self_loops(edge_index)
    edge_index = coalesce(to_undirected(edge_index, num_nodes=num_nodes), num_nodes=num_nodes)

    n_train = _dense(parts["y"]).shape[0]
    masks = {k: torch.zeros(num_nodes, dtype=torch.bool) for k in ("train", "val", "test")}
    masks["train"][:n_train] = True
    masks["val"][n_train : n_train + 500] = True
    masks["test"][torch.from_numpy(test_sorted)] = True

    return Data(
        x=torch.from_numpy(x),
        y=torch.from_numpy(y.argmax(axis=1).astype(np.int64)),
        edge_index=edge_index,
        train_mask=masks["train"],
        val_mask=masks["val"],
        test_mask=masks["test"],
        name=name,
    )


def gcn_adjacency(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """The GCN propagation matrix ``D^-1/2 (A + I) D^-1/2`` as a sparse COO tensor [N, N]: PyG's
    ``gcn_norm`` weights (self-loops added), with ``[i, j]`` the weight of the message j → i, as in
    ``GCNConv``. ``edge_index`` [2, E] lists each directed edge j → i as (j, i)."""
    index, weight = gcn_norm(edge_index, None, num_nodes)
    return torch.sparse_coo_tensor(
        index.flip(0), weight, (num_nodes, num_nodes), check_invariants=False
    ).coalesce()


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Scale each row of a non-negative [N, F] feature matrix to sum 1 (all-zero rows stay zero)."""
    sums = x.sum(dim=1, keepdim=True)
    return x / sums.clamp_min(torch.finfo(x.dtype).tiny)


def sparse_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout on the stored entries of a sparse COO ``x`` [N, F] (a dense ``x`` gets
    ``F.dropout``): each entry is kept with probability ``1 - p`` and scaled by ``1 / (1 - p)``.
    The mask thresholds uniform numbers, several times faster on a CPU than ``bernoulli_``."""
    if not x.is_sparse:
        return torch.nn.functional.dropout(x, p, training)
    if not training or p <= 0:
        return x
    x = x.coalesce()
    keep = torch.rand(x.values().shape, device=x.device) >= p
    return torch.sparse_coo_tensor(
        x.indices(), x.values() * keep / (1.0 - p), x.shape, is_coalesced=True, check_invariants=False
    )
