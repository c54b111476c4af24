"""A toy corpus with planted paraphrases and tiny models on it, shared by the Trans-Encoder tests."""

from __future__ import annotations

import numpy as np
import torch

from iclr22lib import transencoder as te
from iclr22lib.core.data import data_root

WORDS = (
    "man woman child dog cat horse bird car bike train boat house park river road city "
    "runs walks eats plays sits sleeps jumps rides drives reads cooks sings swims climbs "
    "red blue green small big old young happy quiet fast slow near under over"
).split()


def toy_tokenizer():
    """MiniLM's word-piece tokenizer from the shared data root (skips the test when it is absent)."""
    import pytest

    path = data_root() / te.MINILM
    if not (path / "tokenizer.json").is_file():
        pytest.skip(f"no tokenizer under {path}: set ICLR22LIB_DATA")
    return te.load_tokenizer(path)


def toy_models(seed: int = 0):
    """(tokenizer, bi-encoder, cross-encoder) on a 1-layer BERT of width 32."""
    tok = toy_tokenizer()
    torch.manual_seed(seed)
    mlm = te.tiny_bert(tok.vocab_size, hidden=32, layers=1, heads=2, max_len=32)
    return tok, te.BiEncoder(mlm.bert, "mean"), te.CrossEncoder(mlm.bert)


def planted_corpus(n: int = 48, seed: int = 0):
    """``n`` random 6-word sentences, and for each a paraphrase (same words, two swapped, one replaced)
    and an unrelated sentence. Returns (a, paraphrase, unrelated) lists of strings."""
    rng = np.random.default_rng(seed)
    a, para, other = [], [], []
    for _ in range(n):
        s = list(rng.choice(WORDS, 6, replace=False))
        p = list(s)
        i, j = rng.choice(6, 2, replace=False)
        p[i], p[j] = p[j], p[i]
        p[int(rng.integers(6))] = str(rng.choice(WORDS))
        a.append(" ".join(s))
        para.append(" ".join(p))
        other.append(" ".join(rng.choice(WORDS, 6, replace=False)))
    return a, para, other


def toy_pairs(tok, n: int = 8):
    a, para, _ = planted_corpus(n)
    return te.encode_pairs(tok, a, para, bi_len=12, cross_len=24, name="toy")
