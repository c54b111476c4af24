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
