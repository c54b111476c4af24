"""Cost claim of chapter 7: pseudo-labelling throughput and training speed of our bi- and cross-encoder.

    python benchmarks/ch07_transencoder_throughput.py                 # 256 STS-B test pairs, 2 threads
    python benchmarks/ch07_transencoder_throughput.py --pairs 1024 --threads 2 --steps 5

On the staged MiniLM (fp32, CPU) and the same STS-B test pairs, it measures side by side in one run:
pseudo-labelling throughput (pairs/s; tokenisation included) of our bi-encoder (cosine) and
cross-encoder (one order, and both orders averaged as the chapter uses), training steps/s of the
bi-encoder (MSE, batch 128, max length 32) and the cross-encoder (BCE, batch 32, max length 64),
and the same inference with sentence-transformers' ``encode`` / ``CrossEncoder.predict`` on the same
model and pairs (skipped with a message if sentence-transformers cannot load it offline). The
official code's figures on this machine kind (2 CPU cores; research notes section 9) are printed
beside ours: 315 / 220 pairs/s, 0.44 / 1.43 steps/s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from iclr22lib import transencoder as te
from iclr22lib.core.data import fetch
from iclr22lib.core.timing import seconds_per_call

OFFICIAL = {"bi labels": 315.0, "cross labels": 220.0, "bi train": 0.44, "cross train": 1.43}


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Mean wall seconds of ``repeat`` calls (torch.utils.benchmark, after its warm-up), and one result."""
    return seconds_per_call(fn, repeat, clock="wall"), fn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="training steps timed per encoder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    path = fetch(te.MINILM)
    tok = te.load_tokenizer(path)
    test = te.load_sts("stsb_test").subset(args.pairs, seed=0)
    a, b = list(test.a), list(test.b)
    n = len(a)
    enc = te.load_pretrained(path)
    bi, cross = te.BiEncoder(enc, "mean"), te.CrossEncoder(enc)
    print(f"MiniLM fp32 on CPU, {n} STS-B test pairs, torch threads {torch.get_num_threads()}")

    def ours_bi():
        return bi.similarity(te.tokenize(tok, a, max_len=32), te.tokenize(tok, b, max_len=32), batch_size=128)

    def ours_cross_one():
        return torch.sigmoid(cross.logits(te.tokenize(tok, a, b, max_len=64), batch_size=128))

    def ours_cross_both():
        return cross.score(
            te.tokenize(tok, a, b, max_len=64), te.tokenize(tok, b, a, max_len=64), batch_size=128
        )

    rows = {}
    t, y_bi = timed(ours_bi, 2)
    rows["bi labels"] = n / t
    t, _ = timed(ours_cross_one, 2)
    rows["cross labels"] = n / t
    t, _ = timed(ours_cross_both, 1)
    rows["cross labels, both orders"] = n / t

    pairs = te.encode_pairs(tok, a, b, bi_len=32, cross_len=64)
    target = torch.rand(n)
    # exactly args.steps optimiser steps each (_fit runs round(epochs * items // batch) steps)
    t0 = time.perf_counter()
    te.train_bi_mse(bi, pairs, target, epochs=args.steps / max(1, n // 128), batch_size=128, lr=1e-6)
    rows["bi train"] = args.steps / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    te.train_cross_bce(cross, pairs, target, epochs=args.steps / max(1, 2 * n // 32), batch_size=32, lr=1e-6)
    rows["cross train"] = args.steps / (time.perf_counter() - t0)

    st = {}
    try:
        from sentence_transformers import CrossEncoder as STCross
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(
            str(path), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32}
        )
        model.max_seq_length = 32

        def st_bi():
            za = model.encode(a, batch_size=128, convert_to_tensor=True)
            zb = model.encode(b, batch_size=128, convert_to_tensor=True)
            return F.cosine_similarity(za, zb, dim=-1)

        t, y_st = timed(st_bi, 2)
        st["bi labels"] = n / t
        agree = float(np.corrcoef(y_st.numpy(), y_bi.numpy())[0, 1])
        print(f"our cosines vs sentence-transformers': Pearson {agree:.5f}")
        ce = STCross(str(path), num_labels=1, max_length=64, device="cpu", local_files_only=True)
        t, _ = timed(lambda: ce.predict(list(zip(a, b, strict=True)), batch_size=128), 2)
        st["cross labels"] = n / t
    except Exception as err:  # any failure here only skips the comparison
        print(f"sentence-transformers comparison skipped: {type(err).__name__}: {err}")

    print(f"\n{'measure':<27} {'ours':>9} {'official':>9} {'ours/off':>9} {'ST':>9} {'ours/ST':>8}")
    for k, v in rows.items():
        off = OFFICIAL.get(k)
        s = st.get(k)
        unit = "steps/s" if "train" in k else "pairs/s"
        print(
            f"{k + ' (' + unit + ')':<27} {v:9.2f} {off if off else float('nan'):9.2f} "
            f"{v / off if off else float('nan'):9.2f} {s if s else float('nan'):9.2f} "
            f"{v / s if s else float('nan'):8.2f}"
        )


if __name__ == "__main__":
    main()
