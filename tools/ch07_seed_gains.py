"""How much does one Trans-Encoder cycle lift the tiny BERT's bi-encoder, seed by seed? (chapter 7)

    python tools/ch07_seed_gains.py                        # seeds 0-4, the smoke settings
    python tools/ch07_seed_gains.py --seeds 3 4 -p bi_epochs=2 -p bi_lr=1e-4

For each seed it runs the chapter's start-(b) path at smoke scale (masked-LM pretraining, SimCSE, the
configured cycles; the seed also draws the pool and the dev subset) and prints the bi-encoder's STS-B
**dev** Spearman x100 before and after, and the cross-encoder's. Test sets are not read. The chapter's
paragraph on the robustness of its smoke gain refers to this script; about 90 CPU-s per seed.
"""

from __future__ import annotations

import argparse
import ast
import time

import numpy as np
import torch

from iclr22lib import transencoder as te


def seed_gain(seed: int, **overrides: object) -> dict[str, float]:
    """Dev Spearman x100 of the tiny BERT's start, best cycle bi-encoder and first cross-encoder."""
    cfg = te.config("smoke", seed=seed, starts="tiny", study="none", **overrides)
    data = te.prepare(cfg)
    tiny = te.build_tiny_start(cfg, data)
    logs = te.run_cycles([tiny.member], data.pool_enc, data.dev, te.cycle_settings(cfg, "tiny"))
    best = max(lg.dev_bi["tiny BERT"] for lg in logs)
    return {
        "start": tiny.dev_simcse,
        "bi": best,
        "gain": best - tiny.dev_simcse,
        "cross": logs[0].dev_cross["tiny BERT"],
    }


def _override(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    if not value:
        raise argparse.ArgumentTypeError(f"-p {text!r}: write KNOB=VALUE, e.g. -p bi_lr=1e-4")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("-p", dest="overrides", type=_override, action="append", default=[], metavar="KNOB=VALUE")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gains = []
    for seed in args.seeds:
        t0 = time.process_time()
        r = seed_gain(seed, **dict(args.overrides))
        gains.append(r["gain"])
        print(
            f"seed {seed}: dev bi {r['start']:.2f} -> {r['bi']:.2f} ({r['gain']:+.2f}), cross {r['cross']:.2f}"
            f"  [{time.process_time() - t0:.0f} CPU-s]",
            flush=True,
        )
    g = np.array(gains)
    print(
        f"gain > 0 on {int((g > 0).sum())} of {len(g)} seeds, >= 1 point on {int((g >= 1).sum())}; "
        f"mean {g.mean():+.2f}, median {np.median(g):+.2f}"
    )


if __name__ == "__main__":
    main()
