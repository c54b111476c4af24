"""Cost claims of chapter 5: PSA-GAN training throughput at window lengths 64 / 128 / 256 (and the
TimeGAN baseline's beside it), Context-FID time against the number of windows, and (CUDA only) bf16
autocast against fp32.

    python benchmarks/ch05_psagan_throughput.py                      # CPU, 1 thread, C = 32, batch 64
    python benchmarks/ch05_psagan_throughput.py --batch 128 --threads 2 --iters 30

Throughput is measured at the full resolution (alpha = 1) with the paper's alternation after warm-up
(one generator step per ``n_critic`` = 2 discriminator steps), on random data in the shape of scaled
M4 windows (the cost does not depend on the values). Context-FID time = embedding both sets with a
TS2Vec encoder (paper size: hidden 64, 320 dims, 10 blocks; untrained, same cost) + the Frechet
distance. On a GPU the same measurements run in fp32 and under ``torch.autocast(bfloat16)``, and the
script checks that Context-FID agrees between the two.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from iclr22lib import psagan as pg
from iclr22lib.core.timing import seconds_per_call
from iclr22lib.psagan.fid import fid_from_samples


def throughput(tau: int, args, dev: torch.device, dtype: torch.dtype | None) -> float:
    """Training windows per second (one G + n_critic D steps per cycle) at full depth."""
    torch.manual_seed(0)
    n_series, n_tf = 414, 3
    g = pg.Generator(tau, n_series, n_tf, channels=args.channels).to(dev)
    d = pg.Discriminator(tau, n_series, n_tf, channels=args.channels).to(dev)
    og, od = torch.optim.Adam(g.parameters(), 1e-4), torch.optim.Adam(d.parameters(), 1e-4)
    b = args.batch
    y = torch.rand(b, 1, tau, device=dev)
    s = torch.randint(0, n_series, (b,), device=dev)
    tf = torch.rand(b, n_tf, tau, device=dev) - 0.5

    def cycle() -> None:
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            for _ in range(2):
                with torch.no_grad():
                    fake = g(torch.randn_like(y), s, tf)
                loss = pg.lsgan_d_loss(d(y, s, tf), d(fake, s, tf))
                od.zero_grad()
                loss.backward()
                od.step()
            fake = g(torch.randn_like(y), s, tf)
            loss = pg.lsgan_g_loss(d(fake, s, tf)) + pg.moment_loss(fake, y)
            og.zero_grad()
            loss.backward()
            og.step()

    return 3 * b / seconds_per_call(cycle, args.iters, clock="wall")


def timegan_throughput(tau: int, args, dev: torch.device, dtype: torch.dtype | None) -> float:
    """Windows per second of TimeGAN's joint phase (2 G + 2 embedder + 1 D steps per iteration, each
    on a fresh batch), at the original sizes (GRU width 24, 3 layers)."""
    from iclr22lib.psagan.timegan import TimeGAN, fit_timegan

    torch.manual_seed(0)
    n_series, n_tf, b = 414, 3, args.batch
    m = TimeGAN(tau, n_series, n_tf).to(dev)
    batch = {
        "y": torch.rand(b, 1, tau, device=dev),
        "series": torch.randint(0, n_series, (b,), device=dev),
        "tf": torch.rand(b, n_tf, tau, device=dev) - 0.5,
    }
    with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
        seconds = seconds_per_call(
            lambda: fit_timegan(m, lambda: batch, iters=(0, 0, args.iters)), 1, clock="wall"
        )
    return 5 * b * args.iters / seconds


def fid_time(n: int, tau: int, enc, dev: torch.device, dtype: torch.dtype | None) -> tuple[float, float]:
    """(seconds, Context-FID) for two sets of n windows."""
    rng = np.random.default_rng(0)
    t = np.arange(tau)
    a = (0.5 + 0.4 * np.sin(2 * np.pi * (t + rng.integers(0, 24, (n, 1))) / 24)).astype(np.float32)
    b = (a + 0.05 * rng.normal(size=a.shape)).astype(np.float32)

    def fid() -> float:
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            return fid_from_samples(pg.embed(enc, a), pg.embed(enc, b))

    return seconds_per_call(fid, 1, clock="wall"), fid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--iters", type=int, default=5, help="timed G+2D cycles per window length")
    parser.add_argument("--fid-windows", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from iclr22lib.core.device import hardware_summary, resolve_device

    dev = resolve_device(args.device)
    print(f"device: {hardware_summary(dev)}; batch {args.batch}, C = {args.channels}")
    modes = [("fp32", None)] + ([("bf16", torch.bfloat16)] if dev.type == "cuda" else [])
    if dev.type != "cuda":
        print("bf16 autocast vs fp32: skipped: no GPU")

    print("\ntraining throughput at full resolution (windows/s; one G + 2 D steps per cycle)")
    base = {}
    for name, dtype in modes:
        for tau in args.windows:
            wps = throughput(tau, args, dev, dtype)
            base.setdefault(name, {})[tau] = wps
            extra = f"  bf16/fp32 = {wps / base['fp32'][tau]:.2f}x" if name != "fp32" else ""
            ratio = base[name][args.windows[0]] / wps
            print(
                f"  {name} tau={tau:4d}: {wps:10.1f} windows/s  (tau={args.windows[0]} is {ratio:.2f}x faster){extra}"
            )

    print("\nTimeGAN baseline, joint phase (windows/s; 2 G + 2 embedder + 1 D steps per iteration)")
    for name, dtype in modes:
        for tau in args.windows:
            wps = timegan_throughput(tau, args, dev, dtype)
            print(
                f"  {name} tau={tau:4d}: {wps:10.1f} windows/s  (PSA-GAN is {base[name][tau] / wps:.1f}x faster)"
            )

    print("\nContext-FID time vs number of windows (TS2Vec 64 -> 320, 10 blocks; tau = 64)")
    torch.manual_seed(0)
    enc = pg.TS2VecEncoder(64, 320, 10).to(dev).eval()
    ref = {}
    for name, dtype in modes:
        for n in args.fid_windows:
            sec, fid = fid_time(n, 64, enc, dev, dtype)
            ref.setdefault(name, {})[n] = (sec, fid)
            r0 = ref[name][args.fid_windows[0]][0]
            extra = ""
            if name != "fp32":
                s32, f32 = ref["fp32"][n]
                extra = f"  time bf16/fp32 = {sec / s32:.2f}x, FID rel. diff {abs(fid - f32) / max(f32, 1e-12):.3f}"
            print(
                f"  {name} n={n:5d}: {sec:8.3f} s ({sec / r0:5.2f}x the n={args.fid_windows[0]} time), FID {fid:.4f}{extra}"
            )


if __name__ == "__main__":
    main()
