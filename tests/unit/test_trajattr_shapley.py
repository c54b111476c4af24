"""Shapley and Banzhaf estimators against hand-computed values, the efficiency axiom and convergence."""

import math

import pytest
import torch

from iclr22lib import trajattr as ta

# A 3-player game: v(∅)=0, v(1)=1, v(2)=0, v(3)=0, v(12)=3, v(13)=1, v(23)=2, v(123)=4.
# Shapley by hand (weights 1/3, 1/6, 1/6, 1/3 for |S| = 0, 1, 1, 2):
#   player 1: 1/3*1 + 1/6*(3-0) + 1/6*(1-0) + 1/3*(4-2) = 5/3
#   player 2: 1/3*0 + 1/6*(3-1) + 1/6*(2-0) + 1/3*(4-1) = 5/3
#   player 3: 1/3*0 + 1/6*(1-1) + 1/6*(2-0) + 1/3*(4-3) = 2/3
# Banzhaf (plain mean of the four marginals): (1+3+1+2)/4, (0+2+2+3)/4, (0+0+2+1)/4 = 7/4, 7/4, 3/4.
TABLE = {(): 0.0, (0,): 1.0, (1,): 0.0, (2,): 0.0, (0, 1): 3.0, (0, 2): 1.0, (1, 2): 2.0, (0, 1, 2): 4.0}


def table_game(coalitions):
    rows = [TABLE[tuple(int(i) for i in c.nonzero().flatten())] for c in coalitions]
    return torch.tensor(rows, dtype=torch.float64)[None]


def random_game(n_players, n_games=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    values = torch.randn(n_games, 2**n_players, generator=gen, dtype=torch.float64)
    weights = 2 ** torch.arange(n_players)

    def game(coalitions):
        return values[:, (coalitions.long() * weights).sum(1)]

    return game, values


def test_exact_shapley_on_the_hand_made_game():
    phi, values = ta.shapley_exact(table_game, 3)
    assert torch.allclose(phi[0], torch.tensor([5 / 3, 5 / 3, 2 / 3], dtype=torch.float64))
    assert values.shape == (1, 8)


def test_banzhaf_differs_from_shapley_on_the_hand_made_game():
    beta = ta.banzhaf_exact(table_game, 3)
    assert torch.allclose(beta[0], torch.tensor([7 / 4, 7 / 4, 3 / 4], dtype=torch.float64))
    # Banzhaf values need not sum to v(all) - v(none) = 4: here they sum to 4.25
    assert beta.sum().item() == pytest.approx(4.25)


def test_unanimity_game_shapley_third_banzhaf_quarter():
    def unanimity(c):
        return c.all(1).double()[None]

    assert torch.allclose(ta.shapley_exact(unanimity, 3)[0], torch.full((1, 3), 1 / 3, dtype=torch.float64))
    assert torch.allclose(ta.banzhaf_exact(unanimity, 3), torch.full((1, 3), 1 / 4, dtype=torch.float64))


def test_official_scheme_estimates_banzhaf_not_shapley():
    est = ta.banzhaf_sampled(table_game, 3, n_draws=20000, seed=1)[0]
    assert torch.allclose(est, torch.tensor([1.75, 1.75, 0.75], dtype=torch.float64), atol=0.05)
    assert (est[2] - 2 / 3).abs() > 0.05  # far from player 3's Shapley value


@pytest.mark.parametrize("n_players", [1, 2, 5, 8])
def test_efficiency_axiom(n_players):
    game, values = random_game(n_players)
    phi, _ = ta.shapley_exact(game, n_players)
    assert torch.allclose(phi.sum(1), values[:, -1] - values[:, 0], atol=1e-10)


def test_weights_sum_to_one_over_coalition_sizes():
    P = 7
    sizes = torch.arange(P)
    total = (torch.tensor([math.comb(P - 1, int(s)) for s in sizes]) * ta.shapley_weights(P, sizes)).sum()
    assert total.item() == pytest.approx(1.0)


def test_additive_game_gives_each_player_its_own_term():
    coef = torch.tensor([0.5, -2.0, 3.0, 0.0], dtype=torch.float64)

    def additive(c):
        return (c.double() * coef).sum(1)[None] + 7.0

    for est in (ta.shapley_exact(additive, 4)[0], ta.banzhaf_exact(additive, 4)):
        assert torch.allclose(est[0], coef)


def test_permutation_sampling_converges_to_exact():
    game, _ = random_game(5, n_games=4, seed=3)
    exact, _ = ta.shapley_exact(game, 5)
    few, se_few = ta.shapley_permutation(game, 5, 8, seed=0)
    many, se_many = ta.shapley_permutation(game, 5, 4000, seed=0)
    err_few, err_many = (few - exact).abs().max(), (many - exact).abs().max()
    assert err_many < 0.05 and err_many < err_few
    assert ((many - exact).abs() <= 4 * se_many + 1e-9).all()
    assert se_many.mean() < se_few.mean() / 5  # 500x the orderings: about sqrt(500) = 22x smaller
    # each ordering's contributions telescope: the estimate is efficient too
    assert torch.allclose(many.sum(1), exact.sum(1), atol=1e-9)
