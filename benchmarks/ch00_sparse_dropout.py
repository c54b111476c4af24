"""Cost claim of the prologue: dropout on the non-zeros of Cora's sparse features is much faster than
dropout on the dense [2708, 1433] matrix, for the same first layer.

Run: ``python benchmarks/ch00_sparse_dropout.py`` (needs the Cora files under the data root).
Prints the time per training-mode forward+backward of each variant and their ratio, measured side
by side in one process.
"""

from __future__ import annotations

import torch

from iclr22lib.core.graphs import load_planetoid, row_normalize
from iclr22lib.core.timing import seconds_per_call
from iclr22lib.prologue.models import SparseDropoutLinear


def main() -> None:
    torch.manual_seed(0)
    x = row_normalize(load_planetoid("cora").x)
    layer = SparseDropoutLinear(x.shape[1], 16, dropout=0.5).train()
    x_sparse = x.to_sparse()

    def step(inp):
        layer.zero_grad()
        layer(inp).sum().backward()

    dense = seconds_per_call(lambda: step(x), 30, clock="wall")
    sparse = seconds_per_call(lambda: step(x_sparse), 30, clock="wall")
    print(f"threads: {torch.get_num_threads()}, input {tuple(x.shape)}, {x_sparse._nnz()} non-zeros")
    print(f"dense dropout + matmul : {1e3 * dense:8.2f} ms per step")
    print(f"sparse dropout + spmm  : {1e3 * sparse:8.2f} ms per step")
    print(f"speed-up               : {dense / sparse:8.1f}x")


if __name__ == "__main__":
    main()
