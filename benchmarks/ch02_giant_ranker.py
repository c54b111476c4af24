"""Training cost per epoch of GIANT's hierarchical XR ranker against a flat one-vs-all head.

Synthetic XMC problems with L = 10^3, 10^4, 10^5 labels: 2,048 instances, each with 4 positive labels
drawn near its own topic, a small MLP encoder on 64-d inputs. One epoch = one pass over the
instances; the hierarchical ranker makes that pass once per tree level (shortlists of children of
positive and predicted clusters), the flat head scores all L labels for every instance.
Prints seconds per epoch, their ratio and the growth factor per 10x labels.

Usage: python benchmarks/ch02_giant_ranker.py [--labels 1000 10000 100000] [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import scipy.sparse as sp
import torch

from iclr22lib import giant
from iclr22lib.core.timing import seconds_per_call


def problem(n_labels: int, n: int = 2048, dim: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((64, dim)).astype(np.float32)
    label_topic = rng.integers(0, 64, n_labels)
    inst_topic = rng.integers(0, 64, n)
    x = topics[inst_topic] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    order = np.argsort(label_topic, kind="stable")  # labels grouped by topic
    starts = np.searchsorted(label_topic[order], np.arange(64))
    counts = np.bincount(label_topic, minlength=64)
    pick = starts[inst_topic][:, None] + (rng.random((n, 4)) * counts[inst_topic][:, None]).astype(np.int64)
    cols = order[pick.clip(max=n_labels - 1)].ravel()
    y = sp.csr_matrix(
        (np.ones(cols.size, np.float32), (np.repeat(np.arange(n), 4), cols)), shape=(n, n_labels)
    )
    y.sum_duplicates()
    y.data[:] = 1.0
    z = topics[label_topic] + 0.5 * rng.standard_normal((n_labels, dim)).astype(np.float32)
    return sp.csr_matrix(x), y, z


def epoch_time(enc, tree, targets, n: int, batch: int) -> float:
    sched = giant.XRSchedule(steps=max(1, n // batch), batch=batch, negatives="tfn+man", topk=4)
    return seconds_per_call(
        lambda: giant.train_xr(enc, tree, targets, None, torch.arange(n), sched, seed=0), 1, clock="wall"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for n_labels in args.labels:
        x, y, z = problem(n_labels)
        t0 = time.perf_counter()
        tree = giant.balanced_kmeans_tree(z, 16, 32, seed=0)
        t_tree = time.perf_counter() - t0
        tg = giant.multiresolution_targets(y, tree)
        hier = epoch_time(giant.TfidfMLPEncoder(x, 64, seed=0), tree, tg, x.shape[0], args.batch)
        flat = epoch_time(
            giant.TfidfMLPEncoder(x, 64, seed=0), giant.flat_tree(n_labels), [y], x.shape[0], args.batch
        )
        rows.append((n_labels, tree.sizes, t_tree, hier, flat))
        print(
            f"L={n_labels:>7}  tree {tree.sizes}  build {t_tree:6.2f}s  hierarchical {hier:7.3f}s/epoch  "
            f"flat {flat:7.3f}s/epoch  flat/hierarchical {flat / hier:6.2f}x",
            flush=True,
        )
    for (l0, _, _, h0, f0), (l1, _, _, h1, f1) in itertools.pairwise(rows):
        print(f"L {l0} -> {l1} (x{l1 / l0:g}): hierarchical x{h1 / h0:.2f}, flat x{f1 / f0:.2f} per epoch")


if __name__ == "__main__":
    main()
