"""Two text encoders behind one interface: a TF-IDF MLP and a pretrained transformer (MiniLM).

An encoder maps node ids to embeddings: ``forward(idx) -> (B, dim)`` with gradients, and
``embed_all(batch) -> (n, dim)`` without. Both keep the node texts inside, so the training loop only
passes ids.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from iclr22lib.core.data import DataError, fetch
from iclr22lib.core.training import eval_mode

if TYPE_CHECKING:  # transformers is heavy to import: only with a transformer encoder
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


class TfidfMLPEncoder(nn.Module):
    """h = LayerNorm(W2 relu(W1 x_tfidf)): (B, vocab) -> (B, dim). The TF-IDF rows are kept as a dense
    float32 buffer of shape (n, vocab)."""

    def __init__(self, x: sp.spmatrix, dim: int = 256, dropout: float = 0.1, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.register_buffer("x", torch.from_numpy(np.asarray(sp.csr_matrix(x).todense(), dtype=np.float32)))
        d = self.x.shape[1]
        self.net = nn.Sequential(nn.Linear(d, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.norm = nn.LayerNorm(dim)
        self.dim = dim

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.norm(self.net(self.x[idx.to(self.x.device)]))

    @torch.no_grad()
    def embed_all(self, batch: int = 4096) -> torch.Tensor:
        """Embeddings (n, dim) of every node, in eval mode, ``batch`` nodes at a time."""
        n = self.x.shape[0]
        with eval_mode(self):
            return torch.cat([self(torch.arange(i, min(i + batch, n))) for i in range(0, n, batch)])


def load_minilm(root: str | Path | None = None) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """The sentence encoder in ``all-MiniLM-L6-v2-fp16`` (sha256-checked), from the local folder only,
    cast to float32. Returns ``(tokenizer, model)``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    folder = fetch("all-MiniLM-L6-v2-fp16", root)
    from transformers import AutoModel, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32)
    except OSError as err:  # pragma: no cover - the sha256 check above catches missing files first
        raise DataError(f"could not load the MiniLM encoder from {folder}: {err}") from err
    return tok, model.float()


class TransformerEncoder(nn.Module):
    """A BERT-style encoder with mean pooling over tokens: (B,) node ids -> (B, hidden).

    Only the top ``trainable_layers`` layers are fine-tuned; the output of the frozen layers below is
    computed once for all n texts and cached (shape (n, max_len, hidden)), so that fine-tuning and
    re-encoding cost only the top layers. ``trainable_layers = num_layers`` fine-tunes everything
    (no cache: token ids are kept instead).
    """

    def __init__(
        self,
        texts: Sequence[str],
        tokenizer: PreTrainedTokenizerBase,
        model: PreTrainedModel,
        max_len: int = 64,
        trainable_layers: int = 2,
        batch: int = 64,
    ):
        super().__init__()
        enc = tokenizer(
            list(texts), padding="max_length", truncation=True, max_length=max_len, return_tensors="pt"
        )
        self.register_buffer("ids", enc["input_ids"])
        self.register_buffer("mask", enc["attention_mask"])
        self.model = model
        layers = model.encoder.layer
        self.n_frozen = len(layers) - min(trainable_layers, len(layers))
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in layers[self.n_frozen :]:
            for p in layer.parameters():
                p.requires_grad_(True)
        self.dim = model.config.hidden_size
        self.register_buffer("cache", self._frozen_states(batch) if self.n_frozen > 0 else None)

    def _layers(self, h: torch.Tensor, mask: torch.Tensor, layers: nn.ModuleList) -> torch.Tensor:
        """Run hidden states ``h`` (B, L, hidden) with padding ``mask`` (B, L) through ``layers``; the
        attention mask is built by the model's own mask API for its attention implementation."""
        from transformers.masking_utils import create_bidirectional_mask  # heavy: only with a transformer

        att = create_bidirectional_mask(config=self.model.config, inputs_embeds=h, attention_mask=mask)
        for layer in layers:
            out = layer(h, attention_mask=att)
            h = out[0] if isinstance(out, tuple) else out
        return h

    @torch.no_grad()
    def _frozen_states(self, batch: int) -> torch.Tensor:
        outs = []
        with eval_mode(self.model):
            for i in range(0, self.ids.shape[0], batch):
                ids = self.ids[i : i + batch].to(self.model.device)
                mask = self.mask[i : i + batch].to(self.model.device)
                h = self.model.embeddings(input_ids=ids)
                outs.append(self._layers(h, mask, self.model.encoder.layer[: self.n_frozen]))
        return torch.cat(outs)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Mean-pooled top-layer states (B, hidden) of the texts of node ids ``idx`` (B,)."""
        idx = idx.to(self.ids.device)
        mask = self.mask[idx]
        h = self.cache[idx] if self.cache is not None else self.model.embeddings(input_ids=self.ids[idx])
        h = self._layers(h, mask, self.model.encoder.layer[self.n_frozen :])
        m = mask.unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1).clamp_min(1.0)

    @torch.no_grad()
    def embed_all(self, batch: int = 128) -> torch.Tensor:
        """Embeddings (n, hidden) of every node, in eval mode, ``batch`` texts at a time."""
        n = self.ids.shape[0]
        with eval_mode(self):
            return torch.cat([self(torch.arange(i, min(i + batch, n))) for i in range(0, n, batch)])
