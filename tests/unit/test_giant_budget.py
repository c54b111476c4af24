"""The full-preset planning estimate of chapter 2 counts the steps the code really takes."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from iclr22lib import giant
from iclr22lib.core.budget import budget_table
from iclr22lib.giant.budget import fine_tune_steps, full_workload, tree_depth


@pytest.mark.parametrize("n,branching,max_leaf", [(50, 2, 4), (300, 8, 16), (1000, 4, 16), (3186, 8, 16)])
def test_tree_depth_matches_the_built_tree(n, branching, max_leaf):
    z = sp.random(n, 40, density=0.2, random_state=0, format="csr") + sp.eye(n, 40, format="csr")
    tree = giant.balanced_kmeans_tree(z, branching, max_leaf, seed=0, iters=1)
    assert len(tree.parents) == tree_depth(n, branching, max_leaf)


def _toy_graph(n=96, groups=6):
    rng = np.random.default_rng(0)
    g = np.arange(n) % groups
    texts = [f"topic{g[i]} word{rng.integers(20)} word{rng.integers(20)}" for i in range(n)]
    src = np.repeat(np.arange(n), 2)
    dst = (g[src] + groups * rng.integers(0, n // groups, src.size)) % n
    ei = giant.undirected_edges(src, dst, n)
    return giant.TextGraph(texts, torch.from_numpy(g), ei, list(range(n)), [str(i) for i in range(groups)])


def test_fine_tune_steps_equal_the_optimiser_steps_taken():
    graph = _toy_graph()
    cfg = giant.config("smoke", levels=3, branching=2, max_leaf=8, mlp_steps=4, vocab=100)
    prob = giant.build_problem(graph, cfg)
    expected = fine_tune_steps(cfg, lm=False, n=graph.num_nodes)
    steps = 0

    def count(opt, args, kwargs):
        nonlocal steps
        steps += 1

    handle = register_optimizer_step_post_hook(count)
    try:
        for kind in ("giant", "flat", "lp"):
            steps = 0
            enc = giant.TfidfMLPEncoder(prob.x, 16)
            calls = []
            embed = enc.embed_all
            enc.embed_all = lambda *a, calls=calls, embed=embed, **k: calls.append(1) or embed(*a, **k)
            giant.fine_tune(enc, prob, cfg, False, kind)
            assert steps == expected[kind], kind
            if kind == "giant":
                assert len(calls) == expected["embed_giant"]
    finally:
        handle.remove()


def test_full_estimate_fits_one_gpu_hour(real_data_root):
    items = full_workload()
    lm = next(i for i in items if i.name.startswith("transformer fine-tuning"))
    cfg = giant.FULL
    assert lm.count == 3 * len(cfg.lm_lrs) * cfg.lm_steps * min(cfg.levels, tree_depth(3186, 8, 16))
    _, minutes = budget_table(items)
    assert 5 < minutes < 60
