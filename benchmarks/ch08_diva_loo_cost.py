"""Cost of the closed-form leave-one-out loss and its dataset derivative against explicit retraining.

DIVA's claim: for a linear model on frozen features, the leave-one-out (LOO) predictions and the
derivative of the LOO loss with respect to every example's weight come in closed form, so they cost
about one training run instead of N. This script times, side by side in one run and for each N:

* ``closed form``: LOO predictions *and* the full derivative d L_LOO / d alpha (N numbers) with
  :func:`iclr22lib.diva.ridge.loo_derivative`;
* ``retraining``: LOO predictions only, by refitting weighted ridge without each example. Doing all N
  refits at N = 10,000 takes hours on a CPU, so ``--timed`` refits are timed and the total is
  extrapolated linearly (each refit costs the same); the output says so.

The derivative by retraining would need N further refits per weight (finite differences), so the
printed ratio is a lower bound on the saving for the derivative. Run::

    python benchmarks/ch08_diva_loo_cost.py                  # N = 500, 2000, 10000, p = 256
    python benchmarks/ch08_diva_loo_cost.py --sizes 500 --p 128 --timed 5 --device cuda
"""

from __future__ import annotations

import argparse
import time

import torch

from iclr22lib.diva import ridge


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench(n: int, p: int, c: int, timed: int, device: torch.device, repeats: int = 3) -> dict:
    g = torch.Generator().manual_seed(n)
    Z = torch.randn(n, p, generator=g, dtype=torch.float64).to(device)
    Y = ridge.one_hot(torch.randint(0, c, (n,), generator=g), c).to(device)
    alpha = torch.ones(n, dtype=torch.float64, device=device)
    lam = 10.0
    ridge.loo_derivative(Z, Y, alpha, lam)  # warm-up
    closed = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        _grad, loo = ridge.loo_derivative(Z, Y, alpha, lam)
        _sync(device)
        closed.append(time.perf_counter() - t0)
    idx = torch.linspace(0, n - 1, timed).long().tolist()
    worst = 0.0
    _sync(device)
    t0 = time.perf_counter()
    for i in idx:
        a = alpha.clone()
        a[i] = 0.0
        u_i = Z[i] @ ridge.fit(Z, Y, a, lam)
        worst = max(worst, (u_i - loo.u[i]).abs().max().item())
    _sync(device)
    per_refit = (time.perf_counter() - t0) / timed
    return {"n": n, "closed": min(closed), "per_refit": per_refit, "retrain": per_refit * n, "dev": worst}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    ap.add_argument("--p", type=int, default=256, help="feature dimension")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--timed", type=int, default=10, help="explicit refits actually timed per N")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, p = {args.p}, "
        f"C = {args.classes}, float64"
    )
    print(
        f"{'N':>7} {'closed form (LOO + dL/dalpha)':>30} {'N refits (LOO only)':>22} {'speed-up':>10} "
        f"{'max |u - u_refit|':>18}"
    )
    rows = [bench(n, args.p, args.classes, min(args.timed, n), device) for n in args.sizes]
    for r in rows:
        print(
            f"{r['n']:>7} {r['closed']:>28.3f} s {r['retrain']:>20.1f} s {r['retrain'] / r['closed']:>9.0f}x "
            f"{r['dev']:>18.1e}"
        )
    print(f"(refit totals extrapolated from {args.timed} timed refits per N)")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = b["n"] / a["n"]
        print(
            f"N grows {growth:.0f}x: closed form {b['closed'] / a['closed']:.1f}x slower, "
            f"N refits {b['retrain'] / a['retrain']:.1f}x slower"
        )


if __name__ == "__main__":
    main()
