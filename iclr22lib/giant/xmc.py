"""The XMC view of a graph: neighbours as labels, PIFA label features, a balanced label tree and
the multi-resolution targets of each tree level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def tfidf_features(
    texts: tuple[str, ...] | list[str], max_features: int = 20000, ngram_max: int = 2
) -> sp.csr_matrix:
    """TF-IDF of word 1..``ngram_max``-grams, rows l2-normalised: (n, vocab) float32 CSR."""
    vec = TfidfVectorizer(
        max_features=max_features,
        ngram_range=(1, ngram_max),
        sublinear_tf=True,
        min_df=2,
        max_df=0.98,
        stop_words="english",
        dtype=np.float32,
    )
    return vec.fit_transform(list(texts)).tocsr()


def neighbour_targets(edge_index: torch.Tensor, num_nodes: int) -> sp.csr_matrix:
    """The XMC label matrix Y (n x n, float32 CSR): Y[i, j] = 1 when j is a neighbour of i."""
    ei = edge_index.cpu().numpy()
    y = sp.csr_matrix((np.ones(ei.shape[1], np.float32), (ei[0], ei[1])), shape=(num_nodes, num_nodes))
    y.sum_duplicates()
    y.data[:] = 1.0
    return y


def pifa(y: sp.spmatrix, x: sp.spmatrix) -> sp.csr_matrix:
    """Positive-instance feature aggregation: Z = normalize_rows( normalize_rows(Y)^T X ).

    ``y``: (n_instances, L) labels; ``x``: (n_instances, d) features; returns (L, d) label features.
    A label with no positive instance gets a zero row.
    """
    yn = normalize(sp.csr_matrix(y, dtype=np.float32), norm="l2", axis=1)
    return normalize(sp.csr_matrix(yn.T @ sp.csr_matrix(x, dtype=np.float32)), norm="l2", axis=1).tocsr()


@dataclass(frozen=True)
class LabelTree:
    """A balanced label tree.

    ``parents[t]`` maps the nodes of level t+1 to their parent at level t; level 0 is the root (one node),
    the last level holds the labels themselves. Children of a parent have contiguous ids.
    ``label_order[k]`` is the original label id at leaf position k (labels are renumbered so that
    siblings are contiguous); ``label_pos`` is its inverse.
    """

    parents: tuple[np.ndarray, ...]
    label_order: np.ndarray
    label_pos: np.ndarray

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of nodes per level, from the first level below the root down to the labels."""
        return tuple(len(p) for p in self.parents)

    def cluster_matrix(self, t: int) -> sp.csr_matrix:
        """C^{(t)} in {0,1}^{K_t x K_{t-1}} (t = 1..depth): level-t node -> its parent (level t-1)."""
        p = self.parents[t - 1]
        k_prev = 1 if t == 1 else len(self.parents[t - 2])
        return sp.csr_matrix((np.ones(len(p), np.float32), (np.arange(len(p)), p)), shape=(len(p), k_prev))

    def children_table(self, t: int) -> np.ndarray:
        """(K_{t-1}, max_children) int64 ids of the level-t children of each level-(t-1) node, padded with -1."""
        p = self.parents[t - 1]
        k_prev = 1 if t == 1 else len(self.parents[t - 2])
        counts = np.bincount(p, minlength=k_prev)
        starts = np.cumsum(counts) - counts
        order = np.argsort(p, kind="stable")
        rank = np.arange(len(p)) - np.repeat(starts, counts)
        table = np.full((k_prev, max(int(counts.max()), 1)), -1, dtype=np.int64)
        table[p[order], rank] = order
        return table


def _balanced_split(
    z: sp.csr_matrix, cluster: np.ndarray, k: int, rng: np.random.Generator, iters: int
) -> np.ndarray:
    """Split every one of the ``k`` clusters into two halves of sizes ceil/floor by balanced spherical
    2-means, all clusters at once. Returns the child id in {0, 1} of each row."""
    n = z.shape[0]
    counts = np.bincount(cluster, minlength=k)
    starts = np.cumsum(counts) - counts
    half = (counts + 1) // 2
    rows = np.repeat(np.arange(n), np.diff(z.indptr))
    score = rng.random(n)  # random initial halves
    for _ in range(iters + 1):
        order = np.lexsort((-score, cluster))
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n) - np.repeat(starts, counts)
        side = (rank >= half[cluster]).astype(np.int64)
        if _ == iters:
            break
        member = sp.csr_matrix((np.ones(n, np.float32), (cluster * 2 + side, np.arange(n))), shape=(2 * k, n))
        cent = np.asarray((member @ z).todense())
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
        diff = cent[0::2] - cent[1::2]  # (k, d)
        score = np.bincount(rows, z.data * diff[cluster[rows], z.indices], minlength=n)
        score = score + 1e-9 * rng.random(n)  # break ties at random
    return side


def balanced_kmeans_tree(
    z: sp.spmatrix | np.ndarray, branching: int = 8, max_leaf: int = 16, seed: int = 0, iters: int = 10
) -> LabelTree:
    """Balanced hierarchical spherical k-means on label features ``z`` (L x d).

    Each level splits every cluster into ``branching`` (a power of two) balanced parts by repeated
    balanced 2-means, vectorised over all clusters of a depth; splitting stops once clusters hold at most
    ``max_leaf`` labels; the labels form the last level. Cluster sizes at each level differ by at most one.
    """
    if branching < 2 or branching & (branching - 1):
        raise ValueError(f"branching={branching} must be a power of two >= 2")
    z = normalize(sp.csr_matrix(z, dtype=np.float32), norm="l2", axis=1)
    n = z.shape[0]
    rng = np.random.default_rng(seed)
    bits = branching.bit_length() - 1
    cluster = np.zeros(n, np.int64)
    k = 1
    levels: list[np.ndarray] = []  # cluster id of every label at each level
    while -(-n // k) > max_leaf and k < n:
        for _ in range(bits):
            if -(-n // k) <= 1:
                break
            cluster = cluster * 2 + _balanced_split(z, cluster, k, rng, iters)
            k *= 2
        levels.append(cluster.copy())
    # renumber labels so that siblings are contiguous: sort by the finest cluster
    label_order = np.lexsort((np.arange(n), cluster)) if levels else np.arange(n)
    label_pos = np.empty(n, np.int64)
    label_pos[label_order] = np.arange(n)
    parents: list[np.ndarray] = []
    prev = np.zeros(n, np.int64)
    for lv in levels:  # map each level's clusters to the previous level's
        ids = np.unique(lv)
        remap = np.full(lv.max() + 1, -1)
        remap[ids] = np.arange(len(ids))
        par = np.zeros(len(ids), np.int64)
        par[remap[lv]] = prev
        parents.append(par)
        prev = remap[lv]
    parents.append(prev[label_order])
    return LabelTree(tuple(parents), label_order, label_pos)


def multiresolution_targets(y: sp.spmatrix, tree: LabelTree, binary: bool = True) -> list[sp.csr_matrix]:
    """Targets per level t = 1..depth: Y^{(D)} = Y (columns in tree order), Y^{(t-1)} = binarize(Y^{(t)} C^{(t)}).

    With ``binary=False`` the coarse levels hold counts (how many neighbours fall in each cluster),
    used as the weights of the weighted squared hinge loss.
    """
    cur = sp.csr_matrix(y, dtype=np.float32)[:, tree.label_order]
    out = [cur]
    for t in range(len(tree.parents), 1, -1):
        cur = sp.csr_matrix(cur @ tree.cluster_matrix(t))
        if binary:
            cur.data[:] = 1.0
        out.append(cur)
    return out[::-1]
