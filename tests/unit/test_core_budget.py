"""The GPU planning estimate counts FLOPs and kernels exactly on known steps."""

import pytest
import torch

from iclr22lib.core.budget import GPUModel, StepCost, WorkItem, budget_table, measure_step


def test_matmul_flops_and_one_kernel():
    a, b = torch.randn(7, 5), torch.randn(5, 3)
    cost = measure_step(lambda: a @ b)
    assert cost.flops == 2 * 7 * 5 * 3
    assert cost.ops == 1


def test_views_are_free_and_inplace_ops_count():
    x = torch.randn(4, 6)

    def step():
        y = x.t()[1:].unsqueeze(0)  # three views: no kernel
        z = y.contiguous()  # one copy kernel
        z.add_(1.0)  # one in-place kernel
        return z

    cost = measure_step(step)
    assert cost.ops == 2
    assert cost.flops == 0


def test_backward_is_counted():
    lin = torch.nn.Linear(8, 4)
    x = torch.randn(3, 8)
    fwd = measure_step(lambda: lin(x).sum())
    both = measure_step(lambda: lin(x).sum().backward())
    assert fwd.flops == 2 * 3 * 8 * 4
    assert both.flops == 2 * fwd.flops  # x needs no grad: one more matmul, for the weight gradient
    assert both.ops > fwd.ops


def test_roofline_and_table():
    gpu = GPUModel("toy", op_us=10.0, tflops=1.0)
    cost = StepCost(flops=2e12, ops=1000)
    assert cost.seconds(gpu) == pytest.approx(0.01 + 2.0)
    rows, minutes = budget_table([WorkItem("a", 60, cost), WorkItem("b", 30, cost)], gpu)
    assert minutes == pytest.approx(90 * 2.01 / 60)
    assert [r["steps"] for r in rows] == [60, 30]
