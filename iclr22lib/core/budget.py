"""Estimate a workload's time on a GPU we cannot run: count one step's FLOPs and kernels on the CPU.

No GPU is lent to every session, yet each chapter's ``full`` preset must fit one GPU hour. This module
runs one training step of the *full-scale* models on the CPU under two dispatch modes, one that counts
floating-point operations (``torch.utils.flop_counter``) and one that counts the tensor operations
that launch a kernel (views and aliases excluded, in-place ops included). A simple roofline for eager
PyTorch then gives seconds per step:

    t_step = ops * op_us * 1e-6 + flops / (tflops * 1e12)

The defaults of :data:`H100_EAGER` are deliberately pessimistic for an H100 running eager fp32 PyTorch
(20 µs per dispatched op, launch and Python overhead together; 20 TFLOP/s sustained, far below the
card's TF32 peak). The estimate is an upper-bound-style planning figure, never a measurement: a
chapter that quotes it says so, and a run on a real GPU replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class GPUModel:
    """A two-parameter cost model: ``op_us`` microseconds per kernel-launching op, ``tflops`` sustained."""

    name: str
    op_us: float
    tflops: float


#: Conservative planning model of one H100 running eager fp32 PyTorch.
H100_EAGER = GPUModel("H100, eager fp32 (planning model: 20 us/op, 20 TFLOP/s)", op_us=20.0, tflops=20.0)


@dataclass(frozen=True)
class StepCost:
    """What one call of a step function dispatched: ``flops`` (float operations) and ``ops`` (kernels)."""

    flops: float
    ops: int

    def seconds(self, gpu: GPUModel = H100_EAGER) -> float:
        """Estimated seconds of one step on ``gpu``."""
        return self.ops * gpu.op_us * 1e-6 + self.flops / (gpu.tflops * 1e12)


class _KernelCounter(TorchDispatchMode):
    """Counts aten ops that do work: in-place ops and ops whose result is not a view of an input."""

    def __init__(self) -> None:
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        schema = func._schema
        is_view = not schema.is_mutable and any(r.alias_info is not None for r in schema.returns)
        if func.namespace == "aten" and not is_view:
            self.ops += 1
        return func(*args, **(kwargs or {}))


def measure_step(step: Callable[[], Any]) -> StepCost:
    """Run ``step()`` once (on any device; the CPU is the point) and count its FLOPs and kernels,
    backward pass and optimiser step included if ``step`` does them."""
    with FlopCounterMode(display=False) as flops, _KernelCounter() as kernels:
        step()
    return StepCost(float(flops.get_total_flops()), kernels.ops)


@dataclass(frozen=True)
class WorkItem:
    """``count`` repetitions of a step that costs ``cost`` each, under a readable ``name``."""

    name: str
    count: float
    cost: StepCost

    def seconds(self, gpu: GPUModel = H100_EAGER) -> float:
        return self.count * self.cost.seconds(gpu)


def budget_table(items: Iterable[WorkItem], gpu: GPUModel = H100_EAGER) -> tuple[list[dict], float]:
    """One row per work item (steps, GFLOP and kernels per step, estimated minutes) and the total
    estimated minutes on ``gpu``."""
    rows, total = [], 0.0
    for it in items:
        s = it.seconds(gpu)
        total += s
        rows.append(
            {
                "work": it.name,
                "steps": round(it.count),
                "GFLOP/step": round(it.cost.flops / 1e9, 3),
                "kernels/step": it.cost.ops,
                "est. min": round(s / 60, 1),
            }
        )
    return rows, total / 60
