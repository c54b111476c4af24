"""Mark models p(y | x): next-item GRU and Transformer recommenders with tied embeddings, and
non-sequential baselines (item popularity, item-item co-occurrence).

A sequence model reads ``[START] + history`` and outputs a hidden state ``h`` per step; the next-item
distribution is ``softmax(h . E_y + c_y)`` over all items, with ``E`` the *input* embedding (tied
weights). For a state the last step's ``h_x`` gives ``log p(y | x) = h_x . E_y + c_y - logZ_x``: a
rank-``d`` score, returned as a :class:`~iclr22lib.rim.scores.LowRankScore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from iclr22lib.core.training import fit, optimizer_step
from iclr22lib.rim.events import States
from iclr22lib.rim.scores import DenseScore, LowRankScore


class SeqRec(nn.Module):
    """Shared parts: item embedding ``E`` [m + 2, d] (``m`` = padding, ``m + 1`` = start), output bias."""

    def __init__(self, n_items: int, hidden: int):
        super().__init__()
        self.n_items = n_items
        self.emb = nn.Embedding(n_items + 2, hidden, padding_idx=n_items)
        nn.init.normal_(self.emb.weight, std=0.1)
        with torch.no_grad():
            self.emb.weight[n_items].zero_()
        self.bias = nn.Parameter(torch.zeros(n_items))

    def hidden_states(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Next-item logits [..., m] from hidden states [..., d] (tied output weights)."""
        return h @ self.emb.weight[: self.n_items].T + self.bias


class GRURec(SeqRec):
    """GRU recommender: embedding -> ``layers`` GRU layers -> tied decoder."""

    def __init__(self, n_items: int, hidden: int = 64, layers: int = 1):
        super().__init__(n_items, hidden)
        self.rnn = nn.GRU(hidden, hidden, layers, batch_first=True)

    def hidden_states(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.rnn(self.emb(seq))[0]


class TransformerRec(SeqRec):
    """Causal Transformer recommender with learned positions and tied decoder."""

    def __init__(self, n_items: int, hidden: int = 64, layers: int = 1, heads: int = 2, max_len: int = 256):
        super().__init__(n_items, hidden)
        self.pos = nn.Embedding(max_len + 1, hidden)
        nn.init.normal_(self.pos.weight, std=0.02)
        layer = nn.TransformerEncoderLayer(
            hidden, heads, 2 * hidden, dropout=0.0, batch_first=True, norm_first=True
        )
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden)

    def hidden_states(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        L = seq.shape[1]
        x = self.emb(seq) + self.pos(torch.arange(L, device=seq.device))[None]
        mask = torch.triu(torch.ones(L, L, dtype=torch.bool, device=seq.device), 1)  # True = may not attend
        pad = torch.arange(L, device=seq.device)[None, :] >= lengths[:, None]
        return self.norm(self.enc(x, mask=mask, src_key_padding_mask=pad, is_causal=True))


def build_mark_model(
    name: str, n_items: int, hidden: int, layers: int, heads: int = 2, max_len: int = 256
) -> SeqRec:
    """``"gru"`` or ``"transformer"``."""
    if name == "gru":
        return GRURec(n_items, hidden, layers)
    if name == "transformer":
        return TransformerRec(n_items, hidden, layers, heads, max_len)
    raise ValueError(f"unknown mark model {name!r}; choose 'gru' or 'transformer'")


def sequences(states: States, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``[START] + last (max_len - 1) history items`` per state, right-padded: [n, <=max_len], lengths [n]."""
    m = states.n_items
    keep = np.minimum(states.hist_len, max_len - 1)
    L = int(keep.max()) + 1 if len(keep) else 1
    out = np.full((len(states), L), m, dtype=np.int64)
    out[:, 0] = m + 1
    j = np.arange(L - 1)[None, :]
    src = states.hist_len[:, None] - keep[:, None] + j  # positions in hist_items
    ok = j < keep[:, None]
    rows = np.nonzero(ok)[0]
    out[:, 1:][ok] = states.hist_items[rows, src[ok]]
    return torch.as_tensor(out), torch.as_tensor(keep + 1)


@dataclass
class TrainLog:
    """Mean training / validation next-item NLL per epoch and the epoch kept."""

    train: list[float] = field(default_factory=list)
    valid: list[float] = field(default_factory=list)
    best_epoch: int = -1


def length_batches(
    order: torch.Tensor, lengths: torch.Tensor, batch_size: int, chunk: int, gen: torch.Generator
) -> list[torch.Tensor]:
    """Split the shuffled indices ``order`` [n] into batches of about equal sequence length.

    Every ``chunk`` batches' worth of ``order`` is sorted by ``lengths`` and cut into batches of
    ``batch_size``, and the batches are shuffled (the usual bucket iterator): each batch is padded to a
    length close to its own sequences', not to the longest in a random draw. ``chunk = 0`` keeps the
    random batches of ``order`` as they are. Returns a list of index tensors that partition ``order``.
    """
    if chunk <= 0:
        return list(order.split(batch_size))
    batches = []
    for part in order.split(batch_size * chunk):
        batches += part[torch.argsort(lengths[part], stable=True)].split(batch_size)
    return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]


def _nll(model: SeqRec, seq: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, int]:
    h = model.hidden_states(seq[:, :-1], lengths - 1)
    tgt = seq[:, 1:]
    mask = tgt < model.n_items
    loss = nn.functional.cross_entropy(model.logits(h[mask]), tgt[mask], reduction="sum")
    return loss, int(mask.sum())


def train_mark_model(
    model: SeqRec,
    train: States,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    max_len: int,
    seed: int = 0,
    valid_frac: float = 0.1,
    device: str = "cpu",
    bucket_chunk: int = 8,
) -> TrainLog:
    """Next-item cross-entropy with Adam on the training histories; a random ``valid_frac`` of the
    sequences is held out and the epoch with the best held-out NLL is kept.

    Batches group sequences of similar length (:func:`length_batches` with ``bucket_chunk``; 0 for
    random batches): with ML-100K's long-tailed history lengths a random batch of 64 is padded to
    about 200 steps while its median sequence has 27, so bucketing cuts the recurrent steps about
    2.3-fold for the GRU (``benchmarks/ch04_rim_topk.py``)."""
    seq, lengths = sequences(train, max_len)
    has = lengths > 1
    seq, lengths = seq[has], lengths[has]
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(seq), generator=g)
    n_val = max(1, int(valid_frac * len(seq)))
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def epoch(step: int) -> float:
        order = tr_idx[torch.randperm(len(tr_idx), generator=g)]
        tot, cnt = 0.0, 0
        for b in length_batches(order, lengths, batch_size, bucket_chunk, g):
            Lb = int(lengths[b].max())
            loss, k = _nll(model, seq[b, :Lb].to(device), lengths[b].to(device))
            optimizer_step(opt, loss / k, clip=5.0, step=f"epoch {step}")
            tot, cnt = tot + float(loss.detach()), cnt + k
        return tot / max(cnt, 1)

    def validate() -> float:
        vt, vc = 0.0, 0
        for s in range(0, n_val, 256):
            b = val_idx[s : s + 256]
            Lb = int(lengths[b].max())
            loss, k = _nll(model, seq[b, :Lb].to(device), lengths[b].to(device))
            vt, vc = vt + float(loss), vc + k
        return vt / max(vc, 1)

    fit_log = fit(model, epoch, validate, steps=epochs, desc=type(model).__name__)
    return TrainLog(fit_log.train_loss, fit_log.val, fit_log.best_step)


def history_pairs(states: States, test_items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(state, test-item column) pairs already in the histories — the pairs ``exclude_train`` removes."""
    col = np.full(states.n_items, -1)
    col[test_items] = np.arange(len(test_items))
    r, j = np.nonzero(states.hist_items >= 0)
    c = col[states.hist_items[r, j]]
    keys = np.unique((r * len(test_items) + c)[c >= 0])
    return keys // len(test_items), keys % len(test_items)


@torch.no_grad()
def mark_score(
    model: SeqRec,
    states: States,
    test_items: np.ndarray,
    max_len: int,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
    batch: int = 512,
    device: torch.device | str = "cpu",
) -> LowRankScore:
    """``p(y | x)`` for every state and test item as a :class:`LowRankScore` (normalised over all items)."""
    seq, lengths = sequences(states, max_len)
    hs, logz = [], []
    for s in range(0, len(seq), batch):
        Lb = int(lengths[s : s + batch].max())
        h = model.hidden_states(seq[s : s + batch, :Lb].to(device), lengths[s : s + batch].to(device))
        h = h[torch.arange(h.shape[0]), lengths[s : s + batch].to(device) - 1]
        hs.append(h.cpu())
        logz.append(model.logits(h).logsumexp(1).cpu())
    ti = torch.as_tensor(test_items)
    E = model.emb.weight[: model.n_items].detach().cpu()
    return LowRankScore(torch.cat(hs), E[ti], -torch.cat(logz), model.bias.detach().cpu()[ti], exclude)


def item_popularity(
    train: States, test_items: np.ndarray, n_states: int, exclude: tuple[np.ndarray, np.ndarray] | None = None
) -> LowRankScore:
    """``p(y) \\propto`` training count of ``y`` (+1), the same for every state."""
    cnt = np.bincount(train.hist_items[train.hist_items >= 0], minlength=train.n_items)[test_items] + 1.0
    return LowRankScore(
        np.zeros((n_states, 0)), np.zeros((len(test_items), 0)), None, np.log(cnt / cnt.sum()), exclude
    )


def item_item(
    train: States,
    states: States,
    test_items: np.ndarray,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
) -> DenseScore:
    """Item-item baseline: ``s(x, y) = sum_{i in hist(x)} cos(i, y)``, the cosine of the items' binary
    user-incidence vectors in the training histories. Dense [n, m_test]: a small-scale baseline."""
    m = train.n_items
    r, j = np.nonzero(train.hist_items >= 0)
    X = torch.zeros(len(train), m)
    X[torch.as_tensor(r), torch.as_tensor(train.hist_items[r, j])] = 1.0
    Xn = X / X.norm(dim=0).clamp_min(1e-9)
    S = Xn.T[:, :] @ Xn[:, torch.as_tensor(test_items)]  # [m, m_test] cosines
    S[torch.as_tensor(test_items), torch.arange(len(test_items))] = 0.0
    r2, j2 = np.nonzero(states.hist_items >= 0)
    H = torch.zeros(len(states), m)
    H[torch.as_tensor(r2), torch.as_tensor(states.hist_items[r2, j2])] = 1.0
    return DenseScore((H @ S).clamp_min(1e-12).log(), exclude)
