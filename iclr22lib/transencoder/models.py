"""Tokenised inputs, the bi-encoder, the cross-encoder and the encoders they are built on.

Any ``transformers`` encoder works (``AutoModel`` output with ``last_hidden_state``). Two are used
in the chapter: a pretrained sentence encoder loaded from a local folder (:func:`load_pretrained`)
and a tiny BERT built from scratch (:func:`tiny_bert`). Text is tokenised once into
:class:`Tokens`; batches are cut from those tensors and trimmed to their longest row.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from iclr22lib.core.training import eval_mode

if TYPE_CHECKING:  # transformers is imported on first use
    from transformers import BertForMaskedLM, PreTrainedTokenizerBase


@dataclass(frozen=True)
class Tokens:
    """Padded token ids ``ids`` [N, L], ``mask`` [N, L] (1 = real token) and ``types`` [N, L]."""

    ids: torch.Tensor
    mask: torch.Tensor
    types: torch.Tensor

    def __len__(self) -> int:
        return self.ids.shape[0]

    def batch(self, idx: torch.Tensor | slice, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Rows ``idx`` trimmed to their longest sequence, as model keyword arguments."""
        mask = self.mask[idx]
        width = int(mask.sum(1).max()) if mask.shape[0] else 1
        return {
            "input_ids": self.ids[idx, :width].to(device),
            "attention_mask": mask[:, :width].to(device),
            "token_type_ids": self.types[idx, :width].to(device),
        }

    def lengths(self) -> torch.Tensor:
        """Number of real tokens per row [N]."""
        return self.mask.sum(1)


def tokenize(
    tokenizer: PreTrainedTokenizerBase, a: Sequence[str], b: Sequence[str] | None = None, max_len: int = 32
) -> Tokens:
    """Tokenise sentences (or sentence pairs ``[CLS] a [SEP] b [SEP]`` when ``b`` is given) once."""
    if len(a) == 0:
        raise ValueError("nothing to tokenise")
    enc = tokenizer(
        list(a),
        list(b) if b is not None else None,
        max_length=max_len,
        truncation=True if b is None else "longest_first",
        padding="max_length",
        return_tensors="pt",
        return_token_type_ids=True,
    )
    return Tokens(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])


def load_tokenizer(path: str | os.PathLike) -> PreTrainedTokenizerBase:
    """The tokenizer of a local model folder (never a hub download)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def load_pretrained(path: str | os.PathLike) -> nn.Module:
    """A ``transformers`` encoder from a local folder, as float32 (the staged MiniLM is stored in fp16)."""
    from transformers import AutoModel

    if not Path(path).is_dir():
        raise FileNotFoundError(f"no model folder at {path}")
    return AutoModel.from_pretrained(str(path), local_files_only=True, dtype=torch.float32).float()


def tiny_bert(
    vocab_size: int, hidden: int = 128, layers: int = 2, heads: int = 2, max_len: int = 64
) -> BertForMaskedLM:
    """A randomly initialised ``BertForMaskedLM`` (hidden ``hidden``, ``layers`` layers): the toy PLM."""
    from transformers import BertConfig, BertForMaskedLM

    cfg = BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=max(max_len, 64),
        type_vocab_size=2,
    )
    return BertForMaskedLM(cfg)


def _hidden(encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return encoder(**batch).last_hidden_state  # [B, L, H]


@torch.no_grad()
def _by_length(model: nn.Module, tokens: Tokens, batch_size: int, shape: tuple[int, ...]) -> torch.Tensor:
    """``model`` on every row of ``tokens`` in eval mode, in batches of rows of similar length, back on
    the CPU in the original row order: [N, *shape]."""
    device = next(model.parameters()).device
    order = torch.argsort(tokens.lengths(), stable=True)
    out = torch.empty(len(tokens), *shape)
    with eval_mode(model):
        for s in range(0, len(tokens), batch_size):
            idx = order[s : s + batch_size]
            out[idx] = model(tokens.batch(idx, device)).float().cpu()
    return out


class BiEncoder(nn.Module):
    """Encodes one sentence into a vector; similarity of two sentences is the cosine of their vectors.

    ``pooling`` is ``"mean"`` (average of the last layer over real tokens) or ``"cls"`` (the last
    layer's [CLS] state, before any pooler, as in the official code).
    """

    def __init__(self, encoder: nn.Module, pooling: str = "mean") -> None:
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling={pooling!r}; choose 'mean' or 'cls'")
        self.encoder = encoder
        self.pooling = pooling

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Sentence vectors [B, H]."""
        h = _hidden(self.encoder, batch)
        if self.pooling == "cls":
            return h[:, 0]
        m = batch["attention_mask"].unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp_min(1.0)

    def embed(self, tokens: Tokens, batch_size: int = 256) -> torch.Tensor:
        """Vectors of every row of ``tokens`` [N, H], in eval mode, batched by similar length."""
        return _by_length(self, tokens, batch_size, (self.encoder.config.hidden_size,))

    def similarity(self, a: Tokens, b: Tokens, batch_size: int = 256) -> torch.Tensor:
        """Cosine similarity of row i of ``a`` with row i of ``b`` [N] (symmetric by construction)."""
        return F.cosine_similarity(self.embed(a, batch_size), self.embed(b, batch_size), dim=-1)


class CrossEncoder(nn.Module):
    """Reads the concatenated pair ``[CLS] a [SEP] b [SEP]``; a linear head on [CLS] gives one logit."""

    def __init__(self, encoder: nn.Module, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, 1)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits [B]."""
        return self.head(self.dropout(_hidden(self.encoder, batch)[:, 0])).squeeze(-1)

    def logits(self, pairs: Tokens, batch_size: int = 256) -> torch.Tensor:
        """Logits of every row of ``pairs`` [N], eval mode, batched by similar length."""
        return _by_length(self, pairs, batch_size, ())

    def score(self, ab: Tokens, ba: Tokens, batch_size: int = 256) -> torch.Tensor:
        """Similarity in [0, 1] [N]: the sigmoid of the logit averaged over both orders (symmetric)."""
        return 0.5 * (torch.sigmoid(self.logits(ab, batch_size)) + torch.sigmoid(self.logits(ba, batch_size)))
