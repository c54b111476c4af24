"""Does chapter 2's downstream MLP need to cache the transpose of its sparse input's pattern?

The MLP on sparse CSR features ([TF-IDF ‖ embedding], or TF-IDF alone) computes its first layer's
weight gradient as ``(x.T @ g).T`` with ``x.T`` in CSR form (``giant.downstream.CSRTranspose``). This
times one smoke-size 100-epoch MLP fit (64 hidden units, one thread) on CiteSeer's real features, once
building that transpose on every forward pass and once building it only once per fit, with
``torch.utils.benchmark.Timer`` (median of the runs it takes), side by side in one process.

Run: ``python benchmarks/ch02_csr_transpose_cache.py`` (needs ``citeseer_text`` under the data root).
"""

from __future__ import annotations

from unittest import mock

import torch
from ch02_downstream_fit import smoke_fit
from torch.utils.benchmark import Timer

from iclr22lib.giant import downstream


def main() -> None:
    fit, feats = smoke_fit()
    tfidf = feats["[TF-IDF ‖ 384-d]"]  # TF-IDF block + dense tail, as the chapter fits it

    real = downstream.CSRTranspose
    built = []

    class Once(real):
        """The transpose of the first pattern seen, reused for every later call (one fit)."""

        def __new__(cls, x: torch.Tensor):
            if not built:
                built.append(real(x))
            return built[0]

        def __init__(self, x: torch.Tensor):
            pass

    build = Timer(
        "downstream.CSRTranspose(x)", globals={"downstream": downstream, "x": tfidf}
    ).blocked_autorange()
    print(
        f"threads {torch.get_num_threads()}; features {tuple(tfidf.shape)}, {tfidf.values().numel():,} stored"
    )
    print(f"one CSRTranspose build: {build.median * 1e3:.2f} ms")
    each = Timer("fit(x)", globals={"fit": fit, "x": tfidf}).blocked_autorange(min_run_time=5)
    with mock.patch.object(downstream, "CSRTranspose", Once):
        built.clear()
        once = Timer(
            "built.clear(); fit(x)", globals={"fit": fit, "x": tfidf, "built": built}
        ).blocked_autorange(min_run_time=5)
    print(f"100-epoch MLP fit, transpose built every forward: {each.median:.3f} s")
    print(f"100-epoch MLP fit, transpose built once:          {once.median:.3f} s")
    print(
        f"saving of the cache: {each.median - once.median:+.3f} s per fit ({each.median / once.median:.3f}x)"
    )


if __name__ == "__main__":
    main()
