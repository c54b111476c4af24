"""Rendering throughput of the batched sprite renderer vs drawing one image at a time.

Usage: python benchmarks/ch09_indomain_render.py [--resolution 64] [--n 4096] [--device cpu|cuda]

Renders ``n`` grid points of the full dSprites-like grid (3 x 6 x 40 x 32 x 32, spread evenly over
it) both ways on the same device and prints images/s and the speed-up. ``--n 0`` renders the whole
grid (737,280 images) in batches; the one-at-a-time path is then timed on the first 2,000 images
and extrapolated, which is stated in the output.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from iclr22lib.indomain import dsprites_grid, factor_values, render_indices, render_one


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--n", type=int, default=4096, help="images to render (0: the full grid)")
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    grid = dsprites_grid()
    n = grid.total if a.n == 0 else min(a.n, grid.total)
    points = np.linspace(0, grid.total - 1, n).astype(int)
    idx = torch.as_tensor(grid.indices()[points])

    render_indices(idx[:64], grid.sizes, resolution=a.resolution, device=a.device)  # warm-up
    sync(a.device)
    t0 = time.perf_counter()
    checksum = 0.0
    for i in range(0, n, a.batch):
        checksum += float(
            render_indices(idx[i : i + a.batch], grid.sizes, resolution=a.resolution, device=a.device).sum()
        )
    sync(a.device)
    t_batched = time.perf_counter() - t0

    n_single = min(n, 2000)
    vals = [v.to(a.device) for v in factor_values(grid.sizes)]
    sync(a.device)
    t0 = time.perf_counter()
    for k in range(n_single):
        row = idx[k]
        f = [vals[j][row[j]].reshape(1) for j in range(5)]
        render_one(*f, resolution=a.resolution)
    sync(a.device)
    t_single = (time.perf_counter() - t0) * n / n_single

    print(f"device {a.device}, {a.resolution}x{a.resolution}, {n} images (checksum {checksum:.0f} pixels on)")
    print(f"batched (batch {a.batch}): {n / t_batched:12.0f} images/s  ({t_batched:.2f} s)")
    extra = "" if n_single == n else f", timed on {n_single} and scaled"
    print(f"one at a time:     {n / t_single:12.0f} images/s  ({t_single:.2f} s{extra})")
    print(f"speed-up of batching: {t_single / t_batched:.1f}x")


if __name__ == "__main__":
    main()
