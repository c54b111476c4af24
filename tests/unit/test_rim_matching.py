"""Matching: greedy against a plain loop, the dual against the known optimum, constraints met."""

import itertools

import numpy as np
import pytest
import torch

from iclr22lib import rim


def _greedy_loop(S, row_cap, col_cap):
    n, m = S.shape
    order = np.argsort(-S.ravel(), kind="stable")
    rl, cl, out = np.full(n, row_cap), np.full(m, col_cap), []
    for p in order:
        r, c = divmod(int(p), m)
        if np.isfinite(S[r, c]) and rl[r] > 0 and cl[c] > 0:
            rl[r] -= 1
            cl[c] -= 1
            out.append((r, c))
    return sorted(out)


@pytest.mark.parametrize("seed,row_cap,col_cap,chunk", [(0, 3, 2, 7), (1, 2, 5, 50), (2, 4, 1, 1000)])
def test_vectorised_greedy_equals_the_sequential_loop(seed, row_cap, col_cap, chunk):
    S = np.random.default_rng(seed).normal(size=(25, 18))
    S[0, :5] = -np.inf
    r, c = rim.greedy(S, row_cap, col_cap, chunk=chunk)
    assert sorted(zip(r.tolist(), c.tolist(), strict=True)) == _greedy_loop(S, row_cap, col_cap)


def test_greedy_lower_bound_meets_min_exposure():
    S = np.random.default_rng(3).gamma(0.5, size=(60, 40)) * np.linspace(0.1, 3, 40)
    r, c = rim.greedy_match(np.log(S), 0.5, 4, 6)
    assert (np.bincount(r, minlength=60) == 4).all()
    exposure = np.bincount(c, minlength=40)
    assert (exposure >= 2).all() and (exposure >= 3).mean() > 0.95  # a heuristic: nearly every item meets it
    plain = np.bincount(np.argsort(-S, 1)[:, :4].ravel(), minlength=40)
    assert (plain >= 3).mean() < 0.8


def test_dual_recovers_the_assignment_on_a_3x3_example():
    # one state per item and one item per state: the optimum is the best permutation, (1, 0, 2)
    S = np.array([[1.0, 0.9, 0.0], [1.0, 0.8, 0.1], [1.0, 0.7, 0.2]]) + 1e-3
    best = max(itertools.permutations(range(3)), key=lambda p: sum(S[i, p[i]] for i in range(3)))
    assert best == (1, 0, 2)
    sol = rim.solve_dual(rim.DenseScore(np.log(S)), 1.0, 1, 1, epochs=40, eps_start=1.0, eps_final=1e-3)
    pi = sol.policy(torch.as_tensor(S / S.max(), dtype=torch.float32))
    assert torch.equal(pi.argmax(1), torch.tensor(best))
    assert torch.allclose(pi, torch.eye(3)[list(best)], atol=0.02)  # rows and columns each sum to 1
    _r, c = sol.assign(rim.DenseScore(np.log(S)))
    assert c.tolist() == list(best)
    # the same with a lower bound (every item reached at least once) gives the same permutation
    lb = rim.solve_dual(rim.DenseScore(np.log(S)), 0.99, 1, 1, epochs=40, eps_start=1.0, eps_final=1e-3)
    assert lb.assign(rim.DenseScore(np.log(S)))[1].tolist() == list(best)


def test_dual_meets_exposure_bound_and_online_generalises():
    g = np.random.default_rng(4)
    U, V = g.normal(size=(400, 3)), g.normal(size=(60, 3))
    sc = rim.LowRankScore(U[:200], V, np.log(g.gamma(1.0, size=200)))
    held_out = rim.LowRankScore(U[200:], V, np.log(g.gamma(1.0, size=200)))
    sol = rim.solve_dual(sc, 0.5, 3, 4, epochs=30)  # each state <= 3 items, each item >= 2 states
    e = sol.expected(sc, (np.zeros(0, int), np.zeros(0, int)))
    assert e["user_exposure"] == pytest.approx(np.full(200, 3.0), abs=1e-3)
    assert (e["item_exposure"] >= 2 * 0.97).all()
    e2 = sol.expected(held_out, (np.zeros(0, int), np.zeros(0, int)))
    plain = np.bincount(np.asarray(held_out.topk_rows(3)).ravel(), minlength=60)
    assert (e2["item_exposure"] >= 1.8).mean() > 0.8 > (plain >= 1.8).mean()


def test_constraints_of_the_sweep():
    assert rim.constraints(0.5, 16, 5) == ("lb", 16, 2.5)
    assert rim.constraints(3.0, 16, 5) == ("ub", 48, 5.0)
