"""Cost claim of chapter 2's downstream training on the CPU: drawing dropout masks by thresholding
uniform numbers instead of torch's ``bernoulli_``, and multiplying [TF-IDF ‖ embedding] as a sparse
block plus a dense block instead of one sparse matrix.

Run: ``python benchmarks/ch02_downstream_fit.py`` (needs ``citeseer_text`` under the data root).
Prints process CPU seconds of one 100-epoch MLP fit (64 hidden units, one thread) per variant and the
ratios, measured side by side in one process. ``plain`` patches the chapter's dropout back to
``F.dropout`` and keeps the concatenated features as one sparse matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import torch
import torch.nn.functional as F

from iclr22lib import giant
from iclr22lib.core.timing import seconds_per_call
from iclr22lib.giant import downstream
from iclr22lib.giant.data import random_split


def smoke_fit() -> tuple[Callable[[torch.Tensor], object], dict[str, torch.Tensor]]:
    """One thread; a 100-epoch, 64-unit MLP fit on CiteSeer-text's seed-0 split, and its two feature sets
    (a random 384-d embedding, and [TF-IDF ‖ that embedding] as the chapter builds it)."""
    torch.set_num_threads(1)
    graph = giant.load_citeseer_text()
    prob = giant.build_problem(graph, giant.config("smoke"))
    emb = torch.randn(graph.num_nodes, 384)
    feats = {"dense 384-d": emb, "[TF-IDF ‖ 384-d]": giant.concat_features(emb, prob.x)}
    split = random_split(graph.y, 0)

    def fit(x: torch.Tensor) -> object:
        return giant.fit_classifier("mlp", x, graph.edge_index, graph.y, split, 0, epochs=100, hidden=64)

    return fit, feats


def main() -> None:
    fit, feats = smoke_fit()

    plain = mock.patch.multiple(
        downstream,
        dropout=lambda x, p, training: F.dropout(x, p, training),
        split_dense_tail=lambda x: x,
    )
    print(f"threads: {torch.get_num_threads()}; CPU seconds per 100-epoch MLP fit")
    for name, x in feats.items():
        ours = seconds_per_call(lambda x=x: fit(x), 2)
        with plain:
            base = seconds_per_call(lambda x=x: fit(x), 2)
        print(f"{name:18s} plain {base:6.2f} s   ours {ours:6.2f} s   ratio {base / ours:5.2f}x")


if __name__ == "__main__":
    main()
