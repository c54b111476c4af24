import math

import pytest
import torch

from iclr22lib.core.training import NonFiniteLossError, accuracy, check_finite


def test_accuracy_by_hand():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    assert accuracy(logits, torch.tensor([0, 1, 1, 0])) == 0.5


def test_accuracy_rejects_mismatch_and_empty():
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        accuracy(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="empty"):
        accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_finite_stops_on_nan_and_inf(bad):
    with pytest.raises(NonFiniteLossError, match="at step 7; lower the learning rate"):
        check_finite(torch.tensor(bad), step=7)
    check_finite(torch.tensor(1.5), step=7)


def test_eval_mode_restores_each_submodule():
    from torch import nn

    from iclr22lib.core.training import eval_mode

    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    net.train()
    net[1].eval()  # a submodule frozen on purpose keeps its own mode
    with eval_mode(net):
        assert not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == [True, True, False]


def test_fit_keeps_best_weights_and_stops_on_patience():
    import torch

    from iclr22lib.core.training import fit, optimizer_step

    w = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.constant_(w.weight, 0.0)
    opt = torch.optim.SGD(w.parameters(), lr=0.5)
    scores = iter([3.0, 1.0, 2.0, 2.5, 0.5])  # best at the 2nd evaluation, then two worse ones

    def train_step(step: int) -> float:
        return optimizer_step(opt, ((w.weight - 1.0) ** 2).sum(), step=step)

    weights = []

    def validate() -> float:
        weights.append(float(w.weight))
        return next(scores)

    log = fit(w, train_step, validate, steps=10, patience=2)
    assert log.eval_steps == [0, 1, 2, 3] and log.best_step == 1 and log.best == 1.0
    assert float(w.weight) == weights[1] and not w.training


def test_fit_max_mode_and_eval_every():
    import itertools

    import torch

    from iclr22lib.core.training import fit

    rising = itertools.count()
    log = fit(
        torch.nn.Linear(1, 1), lambda s: 0.0, lambda: float(next(rising)), steps=7, eval_every=3, mode="max"
    )
    assert log.eval_steps == [2, 5, 6] and log.val == [0.0, 1.0, 2.0] and log.best_step == 6


def test_optimizer_step_refuses_nan_and_clips():
    import pytest
    import torch

    from iclr22lib.core.training import NonFiniteLossError, optimizer_step

    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=1.0)
    with pytest.raises(NonFiniteLossError, match="step 4"):
        optimizer_step(opt, p.sum() * float("nan"), step=4)
    optimizer_step(opt, (p * torch.tensor([30.0, 40.0, 0.0])).sum(), clip=1.0)
    assert torch.allclose(p.detach(), -torch.tensor([0.6, 0.8, 0.0]))


def test_sparse_dropout_keeps_rate_and_mean():
    import torch

    from iclr22lib.core.graphs import sparse_dropout

    torch.manual_seed(0)
    x = torch.ones(400, 50).to_sparse()
    y = sparse_dropout(x, 0.3, True).to_dense()
    kept = (y > 0).float().mean()
    assert abs(float(kept) - 0.7) < 0.01 and torch.allclose(y[y > 0], torch.tensor(1 / 0.7))
    assert sparse_dropout(x, 0.3, False) is x


def test_mean_sd():
    import pytest

    from iclr22lib.core.stats import mean_sd

    assert mean_sd([1.0, 3.0]) == (2.0, 1.0)
    assert mean_sd([1.0, 3.0], ddof=1)[1] == pytest.approx(2**0.5)
    assert mean_sd([5.0], ddof=1) == (5.0, 0.0)
    with pytest.raises(ValueError):
        mean_sd([])
