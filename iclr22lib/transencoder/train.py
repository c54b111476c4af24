"""Training and evaluation: Spearman, the toy PLM's masked-LM pretraining, SimCSE, and the two
distillation losses of Trans-Encoder (bi -> cross with BCE, cross -> bi with MSE on the cosine).

Every trainer is one small loop: AdamW, linear warm-up then linear decay, gradient-norm clip 1,
a finite-loss check per step; it returns the per-step losses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
from torch import nn
from transformers import PreTrainedTokenizerBase, get_linear_schedule_with_warmup

from iclr22lib.core.progress import progress
from iclr22lib.core.training import optimizer_step
from iclr22lib.transencoder.models import BiEncoder, CrossEncoder, Tokens, tokenize


def spearman(pred: np.ndarray | torch.Tensor, gold: np.ndarray | torch.Tensor) -> float:
    """Spearman's rank correlation in [-1, 1] of ``pred`` [N] and ``gold`` [N] (SciPy's, ties averaged);
    0 when either side is constant."""
    p = np.asarray(pred, dtype=np.float64).reshape(-1)
    g = np.asarray(gold, dtype=np.float64).reshape(-1)
    if p.shape != g.shape or p.size < 2:
        raise ValueError(f"need two equally long vectors of >= 2 values, got {p.shape} and {g.shape}")
    if not (np.isfinite(p).all() and np.isfinite(g).all()):
        raise ValueError("Spearman of non-finite scores is undefined")
    if np.ptp(p) == 0 or np.ptp(g) == 0:
        return 0.0
    return float(spearmanr(p, g).statistic)


@dataclass(frozen=True)
class EncodedPairs:
    """Sentence pairs tokenised once for both models: ``a``/``b`` [N, Lb] for the bi-encoder,
    ``ab``/``ba`` [N, Lc] (both orders) for the cross-encoder; ``gold`` [N] or None (the pool)."""

    name: str
    a: Tokens
    b: Tokens
    ab: Tokens
    ba: Tokens
    gold: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.a)


def subset_pairs(pairs: EncodedPairs, n: int, seed: int = 0) -> EncodedPairs:
    """A seeded random subset of ``n`` rows of ``pairs`` (all of them, unchanged, when ``n >= len``)."""
    if n >= len(pairs):
        return pairs
    idx = torch.sort(torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed))[:n]).values

    def rows(t: Tokens) -> Tokens:
        return Tokens(t.ids[idx], t.mask[idx], t.types[idx])

    gold = None if pairs.gold is None else pairs.gold[idx.numpy()]
    return EncodedPairs(pairs.name, rows(pairs.a), rows(pairs.b), rows(pairs.ab), rows(pairs.ba), gold)


def encode_pairs(
    tokenizer: PreTrainedTokenizerBase,
    a: Sequence[str],
    b: Sequence[str],
    *,
    bi_len: int,
    cross_len: int,
    gold: np.ndarray | None = None,
    name: str = "",
) -> EncodedPairs:
    """Tokenise pairs once for the bi-encoder (each side) and the cross-encoder (both orders)."""
    return EncodedPairs(
        name,
        tokenize(tokenizer, a, max_len=bi_len),
        tokenize(tokenizer, b, max_len=bi_len),
        tokenize(tokenizer, a, b, max_len=cross_len),
        tokenize(tokenizer, b, a, max_len=cross_len),
        None if gold is None else np.asarray(gold, dtype=np.float64),
    )


def evaluate_bi(bi: BiEncoder, pairs: EncodedPairs) -> float:
    """STS Spearman x 100 of the bi-encoder's cosine against the gold scores."""
    if pairs.gold is None:
        raise ValueError(f"{pairs.name or 'these pairs'} have no gold scores")
    return 100.0 * spearman(bi.similarity(pairs.a, pairs.b), pairs.gold)


def evaluate_cross(cross: CrossEncoder, pairs: EncodedPairs) -> float:
    """STS Spearman x 100 of the cross-encoder's symmetric score against the gold scores."""
    if pairs.gold is None:
        raise ValueError(f"{pairs.name or 'these pairs'} have no gold scores")
    return 100.0 * spearman(cross.score(pairs.ab, pairs.ba), pairs.gold)


def _fit(
    model: nn.Module,
    n_items: int,
    loss_fn: Callable[[torch.Tensor], torch.Tensor],
    *,
    batch_size: int,
    lr: float,
    epochs: float = 1.0,
    steps: int | None = None,
    warmup: float = 0.1,
    weight_decay: float = 0.01,
    seed: int = 0,
    desc: str = "",
    head_params: Sequence[nn.Parameter] | None = None,
    head_lr_mult: float = 1.0,
) -> list[float]:
    """Shuffled mini-batches of item indices for ``epochs`` (or exactly ``steps``); returns the losses.

    ``head_params`` (e.g. a freshly initialised output layer) train at ``head_lr_mult`` times ``lr``.
    The global torch seed is set to ``seed`` first, so dropout is reproducible per call."""
    if n_items < 1:
        raise ValueError("nothing to train on")
    batch_size = min(batch_size, n_items)
    per_epoch = max(1, n_items // batch_size)
    total = steps if steps is not None else max(1, round(epochs * per_epoch))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks: a run depends on its seed only, not on what ran before
    head = [p for p in (head_params or []) if p.requires_grad]
    head_ids = {id(p) for p in head}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    groups = [{"params": body, "lr": lr}]
    if head:
        groups.append({"params": head, "lr": lr * head_lr_mult})
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)
    n_warm = int(warmup * total)
    # transformers' linear warm-up and decay, one step ahead (``last_epoch=0``): step s trains at
    # (s + 1) / (n_warm + 1) of ``lr`` during warm-up, so no step is spent at lr 0, then decays to 0
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    sched = get_linear_schedule_with_warmup(opt, n_warm + 1, total + 1, last_epoch=0)
    model.train()
    losses: list[float] = []
    perm = torch.randperm(n_items, generator=gen)
    pos = 0
    what = f"{desc or 'training'} loss"
    for step in progress(range(total), desc=desc):
        if pos + batch_size > n_items:
            perm, pos = torch.randperm(n_items, generator=gen), 0
        idx = perm[pos : pos + batch_size]
        pos += batch_size
        losses.append(optimizer_step(opt, loss_fn(idx), clip=1.0, scheduler=sched, step=step, what=what))
    model.eval()
    return losses


def mask_tokens(
    ids: torch.Tensor,
    mask: torch.Tensor,
    *,
    special: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    prob: float,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking of ``ids`` [B, L]: pick ``prob`` of the real non-special tokens; 80 % become
    [MASK], 10 % a random token, 10 % stay. Returns (masked ids [B, L], picked positions [B, L] bool)."""
    can = mask.bool() & ~torch.isin(ids, special)
    picked = (torch.rand(ids.shape, generator=gen) < prob) & can
    r = torch.rand(ids.shape, generator=gen)
    out = ids.clone()
    out[picked & (r < 0.8)] = mask_id
    rand_pos = picked & (r >= 0.8) & (r < 0.9)
    out[rand_pos] = torch.randint(vocab_size, ids.shape, generator=gen)[rand_pos]
    return out, picked


def pretrain_mlm(
    mlm: nn.Module,
    tokens: Tokens,
    *,
    special_ids: Sequence[int],
    mask_id: int,
    steps: int,
    batch_size: int,
    lr: float,
    prob: float = 0.15,
    seed: int = 0,
) -> list[float]:
    """Masked-language-model pretraining of a ``BertForMaskedLM`` on ``tokens``; the vocabulary
    projection is computed only at the picked positions. Returns per-step cross-entropy (nats)."""
    gen = torch.Generator().manual_seed(seed + 1)
    special = torch.as_tensor(list(special_ids))
    device = next(mlm.parameters()).device
    vocab = mlm.config.vocab_size

    def loss_fn(idx: torch.Tensor) -> torch.Tensor:
        batch = tokens.batch(idx)
        ids, picked = mask_tokens(
            batch["input_ids"],
            batch["attention_mask"],
            special=special,
            mask_id=mask_id,
            vocab_size=vocab,
            prob=prob,
            gen=gen,
        )
        if not picked.any():
            picked[0, 1] = True
        batch = {k: v.to(device) for k, v in batch.items()}
        h = mlm.bert(
            input_ids=ids.to(device),
            attention_mask=batch["attention_mask"],
            token_type_ids=batch["token_type_ids"],
        ).last_hidden_state
        logits = mlm.cls(h[picked.to(device)])
        return F.cross_entropy(logits, batch["input_ids"][picked.to(device)])

    return _fit(mlm, len(tokens), loss_fn, steps=steps, batch_size=batch_size, lr=lr, seed=seed, desc="MLM")


def simcse_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.05) -> torch.Tensor:
    """Unsupervised SimCSE (InfoNCE): row i of ``z1`` [B, H] must pick row i of ``z2`` among all rows."""
    sim = F.cosine_similarity(z1.unsqueeze(1), z2.unsqueeze(0), dim=-1) / temperature  # [B, B]
    return F.cross_entropy(sim, torch.arange(z1.shape[0], device=z1.device))


def train_simcse(
    bi: BiEncoder,
    tokens: Tokens,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    temperature: float = 0.05,
    seed: int = 0,
) -> list[float]:
    """Unsupervised SimCSE: each sentence is encoded twice with different dropout; the two copies are
    the positive pair, the batch's other sentences the negatives."""
    device = next(bi.parameters()).device

    def loss_fn(idx: torch.Tensor) -> torch.Tensor:
        batch = tokens.batch(torch.cat([idx, idx]), device)
        z = bi(batch)
        return simcse_loss(z[: len(idx)], z[len(idx) :], temperature)

    return _fit(
        bi,
        len(tokens),
        loss_fn,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        warmup=0.0,
        seed=seed,
        desc="SimCSE",
    )


def rescale_targets(y: torch.Tensor, mode: str) -> torch.Tensor:
    """Bi-encoder cosines [N] -> cross-encoder targets: ``"minmax"`` maps the pool's range onto [0, 1],
    ``"clamp"`` clips to [0, 1], ``"raw"`` keeps the cosines (the official code; may fall below 0)."""
    if mode == "raw":
        return y.clone()
    if mode == "clamp":
        return y.clamp(0.0, 1.0)
    if mode == "minmax":
        lo, hi = y.min(), y.max()
        return (y - lo) / (hi - lo) if hi > lo else torch.full_like(y, 0.5)
    raise ValueError(f"target scaling {mode!r}; choose 'minmax', 'clamp' or 'raw'")


def concat_tokens(x: Tokens, y: Tokens) -> Tokens:
    """Rows of ``x`` then rows of ``y`` (same width)."""
    return Tokens(torch.cat([x.ids, y.ids]), torch.cat([x.mask, y.mask]), torch.cat([x.types, y.types]))


def cross_training_set(pairs: EncodedPairs, targets: torch.Tensor) -> tuple[Tokens, torch.Tensor]:
    """Both orders of every pair with the same target: (tokens [2N, L], targets [2N])."""
    return concat_tokens(pairs.ab, pairs.ba), torch.cat([targets, targets])


CROSS_LOSSES = ("bce", "mse")


def cross_loss(logits: torch.Tensor, targets: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """Loss of cross-encoder logits [B] on soft targets [B] in [0, 1]: ``"bce"`` (the paper's binary
    cross-entropy with logits) or ``"mse"`` (squared error of the sigmoid score, our ablation)."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, targets)
    if kind == "mse":
        return F.mse_loss(torch.sigmoid(logits), targets)
    raise ValueError(f"cross-encoder loss {kind!r}; choose one of {', '.join(CROSS_LOSSES)}")


def train_cross_bce(
    cross: CrossEncoder,
    pairs: EncodedPairs,
    targets: torch.Tensor,
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    warmup: float = 0.1,
    seed: int = 0,
    loss: str = "bce",
    head_lr_mult: float = 1.0,
) -> list[float]:
    """Bi -> cross distillation: binary cross-entropy (``loss="bce"``, the paper) or squared error of
    the sigmoid (``"mse"``) of the cross-encoder's logit on soft targets ``targets`` [N] in [0, 1], on
    both orders of every pair. The new linear head learns at ``head_lr_mult`` x ``lr`` (1 = official)."""
    if loss not in CROSS_LOSSES:
        raise ValueError(f"cross-encoder loss {loss!r}; choose one of {', '.join(CROSS_LOSSES)}")
    device = next(cross.parameters()).device
    toks, y = cross_training_set(pairs, targets.float())

    def loss_fn(idx: torch.Tensor) -> torch.Tensor:
        return cross_loss(cross(toks.batch(idx, device)), y[idx].to(device), loss)

    return _fit(
        cross,
        len(toks),
        loss_fn,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        warmup=warmup,
        seed=seed,
        desc=f"cross {loss.upper()}",
        head_params=list(cross.head.parameters()),
        head_lr_mult=head_lr_mult,
    )


def train_bi_mse(
    bi: BiEncoder,
    pairs: EncodedPairs,
    targets: torch.Tensor,
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    warmup: float = 0.0,
    seed: int = 0,
) -> list[float]:
    """Cross -> bi distillation: mean squared error between the cosine of the two sentence vectors
    and the cross-encoder's score ``targets`` [N]."""
    device = next(bi.parameters()).device
    y = targets.float()

    def loss_fn(idx: torch.Tensor) -> torch.Tensor:
        za, zb = bi(pairs.a.batch(idx, device)), bi(pairs.b.batch(idx, device))
        return F.mse_loss(F.cosine_similarity(za, zb, dim=-1), y[idx].to(device))

    return _fit(
        bi,
        len(pairs),
        loss_fn,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        warmup=warmup,
        seed=seed,
        desc="bi MSE",
    )
