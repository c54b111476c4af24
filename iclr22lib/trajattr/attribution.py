"""Shapley attribution of a predictor's *performance* to its inputs.

Players: ``0`` = the target's own past, ``1..N`` = the neighbour slots (the last one may be a
*random agent* from another scene, see :func:`add_random_agent`). The value of a coalition ``S`` is
``v(S) = -loss(f(x_S, x~_rest), y)``, the loss of the prediction when only the players in ``S``
are kept and the others are replaced (``zero``: a zero past / a deleted neighbour; ``random``: the
same slot of another sample, averaged over several draws).

Estimators work on any *game* ``value_fn(coalitions [C, P] bool) -> [B, C]`` (B games at once):

- :func:`shapley_exact`: all 2^P coalitions, Shapley weights ``|S|!(P-|S|-1)!/P!``;
- :func:`shapley_permutation`: antithetic random orderings (Castro et al. 2009), with standard errors;
- :func:`banzhaf_sampled`: the official code's scheme (other players kept with probability 1/2),
  which estimates the Banzhaf value :func:`banzhaf_exact`, not the Shapley value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from iclr22lib.core.training import eval_mode
from iclr22lib.trajattr.data import TrajBatch
from iclr22lib.trajattr.models import displacement, nll, nll_clipped

Game = Callable[[torch.Tensor], torch.Tensor]


def all_coalitions(n_players: int) -> torch.Tensor:
    """Every subset as a bool matrix [2^P, P]; row ``c`` holds the bits of the integer ``c``."""
    if not 1 <= n_players <= 20:
        raise ValueError(f"exact enumeration needs 1 <= players <= 20, got {n_players}")
    codes = torch.arange(2**n_players)
    return (codes[:, None] >> torch.arange(n_players)) & 1 == 1


def _pairs(n_players: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For every player k: codes of coalitions without k [P, 2^(P-1)], the same with k, and |S|."""
    codes = torch.arange(2**n_players)
    bits = torch.arange(n_players)
    without = torch.stack([codes[(codes >> k) & 1 == 0] for k in bits.tolist()])
    size = ((without[..., None] >> bits) & 1).sum(-1)
    return without, without | (1 << bits)[:, None], size


def shapley_weights(n_players: int, size: torch.Tensor) -> torch.Tensor:
    """``|S|! (P - |S| - 1)! / P!`` for coalition sizes ``size`` (float64)."""
    lg = torch.lgamma
    s = size.double()
    return torch.exp(lg(s + 1) + lg(n_players - s) - lg(torch.tensor(n_players + 1.0, dtype=torch.float64)))


def shapley_exact(value_fn: Game, n_players: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact Shapley values [B, P] and the values of all coalitions [B, 2^P] (one batched game call)."""
    values = value_fn(all_coalitions(n_players)).double()
    without, with_, size = _pairs(n_players)
    marg = values[:, with_] - values[:, without]  # [B, P, 2^(P-1)]
    return (marg * shapley_weights(n_players, size)).sum(-1), values


def banzhaf_exact(value_fn: Game, n_players: int) -> torch.Tensor:
    """Exact Banzhaf values [B, P]: the plain mean of the marginal contributions over all subsets."""
    values = value_fn(all_coalitions(n_players)).double()
    without, with_, _ = _pairs(n_players)
    return (values[:, with_] - values[:, without]).mean(-1)


def shapley_permutation(
    value_fn: Game, n_players: int, n_permutations: int, *, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte-Carlo Shapley values [B, P] and their standard errors [B, P].

    ``n_permutations`` orderings (rounded up to an even number: each random ordering comes with its
    reverse) are walked adding one player at a time; all ``M (P + 1)`` prefixes are evaluated in one
    batched game call.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    half = (n_permutations + 1) // 2
    gen = torch.Generator().manual_seed(seed)
    perms = torch.stack([torch.randperm(n_players, generator=gen) for _ in range(half)])
    perms = torch.cat([perms, perms.flip(1)])  # antithetic pairs, [M, P]
    M = perms.shape[0]
    rank = torch.empty_like(perms)
    rank.scatter_(1, perms, torch.arange(n_players).expand(M, n_players))  # position of each player
    prefix = rank[:, None, :] < torch.arange(n_players + 1)[None, :, None]  # [M, P+1, P]
    values = value_fn(prefix.reshape(-1, n_players)).double().view(-1, M, n_players + 1)
    marg = values[:, :, 1:] - values[:, :, :-1]  # contribution of the player at each position
    per_player = torch.gather(marg, 2, rank.expand(values.shape[0], M, n_players))  # [B, M, P]
    # antithetic pairs are dependent: use the pair means as the independent draws
    pairs = (per_player[:, :half] + per_player[:, half:]) / 2
    se = (
        pairs.std(1, unbiased=True) / math.sqrt(half)
        if half > 1
        else torch.full_like(pairs[:, 0], float("nan"))
    )
    return per_player.mean(1), se


def banzhaf_sampled(value_fn: Game, n_players: int, n_draws: int = 10, *, seed: int = 0) -> torch.Tensor:
    """The official code's estimator [B, P]: for each player k, ``n_draws`` coalitions of the others,
    each kept with probability 1/2; the mean of ``v(S + k) - v(S)``. Unbiased for Banzhaf, not Shapley."""
    gen = torch.Generator().manual_seed(seed)
    others = torch.rand(n_players, n_draws, n_players, generator=gen) < 0.5
    eye = torch.eye(n_players, dtype=torch.bool)[:, None, :]
    pos, neg = others | eye, others & ~eye
    values = value_fn(torch.cat([pos, neg]).reshape(-1, n_players)).double()
    values = values.view(-1, 2, n_players, n_draws)
    return (values[:, 0] - values[:, 1]).mean(-1)


# --------------------------------------------------------------------------- the model's game


def add_random_agent(batch: TrajBatch, pool: TrajBatch, *, seed: int = 0) -> TrajBatch:
    """Append one neighbour slot holding a real neighbour of a random sample of ``pool`` (another
    scene or data split): it carries no information about the target's future."""
    gen = torch.Generator().manual_seed(seed)
    has = pool.nbr_mask.any(1).nonzero().squeeze(1)
    if len(has) == 0:
        raise ValueError("the pool has no sample with a neighbour to borrow as a random agent")
    pick = has[torch.randint(len(has), (len(batch),), generator=gen)]
    slot = pool.nbr_mask[pick].float().argmax(1)  # first real slot
    extra = pool.nbrs[pick, slot].to(batch.nbrs)
    return TrajBatch(
        past=batch.past,
        future=batch.future,
        nbrs=torch.cat([batch.nbrs, extra[:, None]], dim=1),
        nbr_mask=torch.cat(
            [batch.nbr_mask, torch.ones(len(batch), 1, dtype=torch.bool, device=batch.nbr_mask.device)], 1
        ),
        group=batch.group,
    )


#: The value functions v(S) = -loss a game can use.
VALUES = ("nll", "nll_clipped", "minade")


def sample_loss(model: nn.Module, batch: TrajBatch, value: str = "nll") -> torch.Tensor:
    """Per-sample loss [B]: NLL per step (``"nll"``), the official code's per-step NLL with the
    log-density capped (``"nll_clipped"``), or minADE over the model's modes (``"minade"``)."""
    if value not in VALUES:
        raise ValueError(f"unknown value function {value!r}; choose one of {', '.join(VALUES)}")
    mix = model(batch.past, batch.nbrs, batch.nbr_mask)
    if value == "nll":
        return nll(mix, batch.future)
    if value == "nll_clipped":
        return nll_clipped(mix, batch.future)
    return displacement(mix, batch.future)[0]


def model_game(
    model: nn.Module,
    batch: TrajBatch,
    *,
    value: str = "nll",
    baseline: str = "zero",
    pool: TrajBatch | None = None,
    n_draws: int = 1,
    seed: int = 0,
    max_rows: int = 65536,
) -> Game:
    """The game ``v(S) = -loss`` of ``model`` on ``batch``, over players (past, slot 1..N).

    ``coalitions`` [C, P] → values [B, C]: every (sample, coalition, draw) is one row of one batched
    forward pass (split into chunks of ``max_rows`` rows). Empty slots stay empty whatever the
    coalition, so their players are null players with value exactly 0. With ``baseline="random"``
    a removed past or neighbour is replaced by the past / a neighbour of a random sample of ``pool``,
    averaged over ``n_draws`` draws fixed once per game.
    """
    if baseline not in ("zero", "random"):
        raise ValueError(f"unknown baseline {baseline!r}; choose 'zero' or 'random'")
    B, N = len(batch), batch.n_slots
    dev = batch.past.device
    if baseline == "zero":
        n_draws = 1
        rep_past = torch.zeros_like(batch.past)[None]
        rep_nbrs = torch.zeros_like(batch.nbrs)[None]
        rep_mask = torch.zeros_like(batch.nbr_mask)[None]
    else:
        if pool is None:
            raise ValueError("baseline='random' needs a pool of samples to draw replacements from")
        gen = torch.Generator().manual_seed(seed)
        idx = torch.randint(len(pool), (n_draws, B), generator=gen)
        rep_past = pool.past[idx].to(dev)  # [R, B, 8, 2]
        has = pool.nbr_mask.any(1).nonzero().squeeze(1)
        nb_pick = has[torch.randint(len(has), (n_draws, B, N), generator=gen)]
        slot = pool.nbr_mask[nb_pick].float().argmax(-1)
        rep_nbrs = pool.nbrs[nb_pick, slot].to(dev)  # [R, B, N, 8, 2]
        rep_mask = batch.nbr_mask[None].expand(n_draws, B, N)  # empty slots stay empty

    def game_part(c: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
        C, b = c.shape[0], hi - lo
        keep_past = c[:, 0].view(1, 1, C, 1, 1)
        keep_nb = c[:, 1:].view(1, 1, C, N)
        own_past, own_nbrs, own_mask = batch.past[lo:hi], batch.nbrs[lo:hi], batch.nbr_mask[lo:hi]
        past = torch.where(keep_past, own_past[None, :, None], rep_past[:, lo:hi, None])  # [R, b, C, 8, 2]
        nbrs = torch.where(keep_nb[..., None, None], own_nbrs[None, :, None], rep_nbrs[:, lo:hi, None])
        mask = torch.where(keep_nb, own_mask[None, :, None], rep_mask[:, lo:hi, None])
        future = batch.future[lo:hi][None, :, None].expand(n_draws, b, C, *batch.future.shape[1:])
        rows = n_draws * b * C
        flat = TrajBatch(
            past.reshape(rows, *past.shape[3:]),
            future.reshape(rows, *future.shape[3:]),
            nbrs.reshape(rows, *nbrs.shape[3:]),
            mask.reshape(rows, N),
            torch.zeros(rows, dtype=torch.int64, device=dev),
        )
        loss = torch.cat(
            [sample_loss(model, flat.index(slice(i, i + max_rows)), value) for i in range(0, rows, max_rows)]
        )
        return -loss.view(n_draws, b, C).mean(0).cpu()

    def game(coalitions: torch.Tensor) -> torch.Tensor:
        c = coalitions.to(dev)
        step = max(1, max_rows // (n_draws * c.shape[0]))  # targets per chunk: bounded memory
        with torch.no_grad():
            return torch.cat([game_part(c, lo, min(lo + step, B)) for lo in range(0, B, step)])

    return game


@dataclass
class Attribution:
    """Attribution of one batch: ``phi`` [B, P] (player 0 = past), ``se`` [B, P] (NaN unless sampled),
    ``v_all`` and ``v_none`` [B], ``random_slot`` (player index of the random agent or None)."""

    phi: torch.Tensor
    se: torch.Tensor
    v_all: torch.Tensor
    v_none: torch.Tensor
    nbr_mask: torch.Tensor
    random_slot: int | None
    estimator: str


ESTIMATORS = ("exact", "permutation", "banzhaf")


def attribute(
    model: nn.Module,
    batch: TrajBatch,
    *,
    estimator: str = "exact",
    value: str = "nll",
    baseline: str = "zero",
    pool: TrajBatch | None = None,
    random_agent: bool = True,
    n_draws: int = 4,
    n_permutations: int = 32,
    banzhaf_draws: int = 10,
    seed: int = 0,
) -> Attribution:
    """Attribute ``model``'s performance on ``batch`` to (past, neighbours, random agent).

    With ``random_agent`` one neighbour slot from ``pool`` is appended (the attribution noise floor).
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)}")
    if random_agent:
        if pool is None:
            raise ValueError("random_agent=True needs a pool (another split or scene) to borrow from")
        batch = add_random_agent(batch, pool, seed=seed + 1)
    game = model_game(model, batch, value=value, baseline=baseline, pool=pool, n_draws=n_draws, seed=seed)
    P = 1 + batch.n_slots
    se = torch.full((len(batch), P), float("nan"), dtype=torch.float64)
    with eval_mode(model):
        ends = game(torch.stack([torch.ones(P, dtype=torch.bool), torch.zeros(P, dtype=torch.bool)])).double()
        if estimator == "exact":
            phi, _ = shapley_exact(game, P)
        elif estimator == "permutation":
            phi, se = shapley_permutation(game, P, n_permutations, seed=seed)
        else:
            phi = banzhaf_sampled(game, P, banzhaf_draws, seed=seed)
    return Attribution(
        phi, se, ends[:, 0], ends[:, 1], batch.nbr_mask.cpu(), P - 1 if random_agent else None, estimator
    )


def social_interaction_score(att: Attribution) -> torch.Tensor:
    """Per sample [B]: the largest attribution of a *real* neighbour (0 for a target with none)."""
    phi_n = att.phi[:, 1:].clone()
    real = att.nbr_mask.clone()
    if att.random_slot is not None:
        real[:, att.random_slot - 1] = False
    phi_n[~real] = -torch.inf
    best = phi_n.max(1).values if phi_n.shape[1] else torch.full((phi_n.shape[0],), -torch.inf)
    return torch.where(torch.isfinite(best), best, torch.zeros_like(best))


def summarise(att: Attribution, *, n_boot: int = 500, seed: int = 0) -> dict[str, float]:
    """Means over samples: ``past``, ``sis``, ``random``, ``sis_minus_random`` with a 95 % bootstrap
    interval (``lo``/``hi``), ``frac_above_random`` (share of samples with a neighbour whose SIS
    exceeds the 95 % quantile of the random agent's attribution), ``total`` (v(all) - v(none)), and
    ``neighbour_mean`` (a real neighbour's mean attribution, over targets that have one) with its paired
    difference to the random agent and interval (``neighbour_minus_random[_lo|_hi]``). The max in the
    SIS is biased upwards when a target has several neighbours; the per-neighbour mean is not."""
    sis = social_interaction_score(att)
    rnd = att.phi[:, att.random_slot] if att.random_slot is not None else torch.zeros_like(sis)
    diff = sis - rnd
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(diff), (n_boot, len(diff)), generator=gen)
    boot = diff[idx].mean(1)
    real = att.nbr_mask.clone()
    if att.random_slot is not None:
        real[:, att.random_slot - 1] = False
    has = real.any(1)
    q95 = torch.quantile(rnd.double(), 0.95)
    # mean attribution of one real neighbour (no max, so no selection bias), over targets with one
    phi_n = att.phi[:, 1:]
    n_real = real.sum(1)
    mean_nb = (phi_n * real).sum(1) / n_real.clamp_min(1)
    d_nb = (mean_nb - rnd)[has]
    if len(d_nb):
        idx_nb = torch.randint(len(d_nb), (n_boot, len(d_nb)), generator=gen)
        boot_nb = d_nb[idx_nb].mean(1)
        nb_stats = (
            float(mean_nb[has].mean()),
            float(d_nb.mean()),
            float(torch.quantile(boot_nb, 0.025)),
            float(torch.quantile(boot_nb, 0.975)),
        )
    else:
        nb_stats = (0.0, 0.0, 0.0, 0.0)
    return {
        "neighbour_mean": nb_stats[0],
        "neighbour_minus_random": nb_stats[1],
        "neighbour_minus_random_lo": nb_stats[2],
        "neighbour_minus_random_hi": nb_stats[3],
        "past": float(att.phi[:, 0].mean()),
        "sis": float(sis.mean()),
        "random": float(rnd.mean()),
        "sis_minus_random": float(diff.mean()),
        "sis_minus_random_lo": float(torch.quantile(boot, 0.025)),
        "sis_minus_random_hi": float(torch.quantile(boot, 0.975)),
        "frac_above_random": float((sis[has] > q95).double().mean()) if has.any() else 0.0,
        "total": float((att.v_all - att.v_none).mean()),
    }


def drop_neighbours(model: nn.Module, batch: TrajBatch) -> dict[str, float]:
    """The robustness test: minADE / minFDE / NLL with all neighbours, and with every neighbour deleted."""
    out = {}
    with eval_mode(model), torch.no_grad():
        for name, mask in (("with", batch.nbr_mask), ("without", torch.zeros_like(batch.nbr_mask))):
            mix = model(batch.past, batch.nbrs, mask)
            ade, fde = displacement(mix, batch.future)
            out[f"minade_{name}"] = float(ade.mean())
            out[f"minfde_{name}"] = float(fde.mean())
            out[f"nll_{name}"] = float(nll(mix, batch.future).mean())
    return out
