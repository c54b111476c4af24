"""Cost claim of chapter 10: exact Shapley values with all coalitions in one batched forward pass,
against one forward pass per coalition, and permutation sampling's error against its cost.

    python benchmarks/ch10_trajattr_shapley.py                 # 4, 8 and 12 players, 8 targets
    python benchmarks/ch10_trajattr_shapley.py --targets 64 --threads 2

Players are the target's past and P - 1 neighbours of an (untrained, randomly initialised) social
attention model; the value is minus the NLL, removed players are zeroed. Both exact computations
must agree before the script prints their times and ratio. Then, for permutation sampling with M
orderings, the mean absolute error against the exact values and the model rows evaluated.
"""

from __future__ import annotations

import argparse
import time

import torch

from iclr22lib import trajattr as ta


def make_batch(n_targets: int, n_nbrs: int, seed: int = 0) -> ta.TrajBatch:
    """Simulated targets with exactly ``n_nbrs`` neighbour slots, all filled (random paths where needed)."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(-7, 13, dtype=torch.float32)
    vel = torch.randn(n_targets, 2, generator=gen) * 0.5
    path = t[None, :, None] * vel[:, None] + 0.05 * torch.randn(n_targets, 20, 2, generator=gen).cumsum(1)
    path = path - path[:, 7:8]
    nbrs = (
        torch.randn(n_targets, n_nbrs, 1, 2, generator=gen) * 2
        + t[:8, None] * torch.randn(n_targets, n_nbrs, 1, 2, generator=gen) * 0.4
    )
    mask = torch.ones(n_targets, n_nbrs, dtype=torch.bool)
    return ta.TrajBatch(path[:, :8], path[:, 8:], nbrs, mask, torch.zeros(n_targets, dtype=torch.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[4, 8, 12])
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--permutations", type=int, nargs="+", default=[8, 32, 128])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ta.SocialAttention(hidden=32, n_modes=3).eval()
    print(f"social attention model, {args.targets} targets, torch threads {torch.get_num_threads()}")
    print(f"{'players':>7} {'coalitions':>10} {'batched (s)':>12} {'one pass each (s)':>18} {'speed-up':>9}")
    rows = []
    for P in args.players:
        batch = make_batch(args.targets, P - 1)
        game = ta.model_game(model, batch, value="nll", baseline="zero")
        coalitions = ta.all_coalitions(P)
        t0 = time.perf_counter()
        phi, values = ta.shapley_exact(game, P)
        t_batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        looped = torch.cat([game(c[None]) for c in coalitions], dim=1).double()  # one forward pass each
        t_loop = time.perf_counter() - t0
        assert torch.allclose(looped, values, atol=1e-4), "batched and per-coalition values disagree"
        print(f"{P:>7} {len(coalitions):>10} {t_batched:>12.3f} {t_loop:>18.3f} {t_loop / t_batched:>8.1f}x")
        rows.append((P, game, phi))
    print("\npermutation sampling: mean |error| against exact Shapley, and model rows per target")
    print(
        f"{'players':>7} " + " ".join(f"{f'M={m}':>16}" for m in args.permutations) + f" {'exact rows':>11}"
    )
    for P, game, phi in rows:
        cells = []
        for m in args.permutations:
            est, _ = ta.shapley_permutation(game, P, m, seed=1)
            m_even = 2 * ((m + 1) // 2)
            cells.append(f"{(est - phi).abs().mean().item():.4f} /{m_even * (P + 1):>6}")
        print(f"{P:>7} " + " ".join(f"{c:>16}" for c in cells) + f" {2**P:>11}")


if __name__ == "__main__":
    main()
