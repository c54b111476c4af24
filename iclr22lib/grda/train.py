"""Training Source-Only, DANN and GRDA on one pipeline, and their per-domain evaluation.

One step draws ``B`` samples from *every* domain (a tensor [N, B, d]), encodes them with their
domain's embedding, takes the prediction loss on the source domains and, for the adversarial methods,
the discriminator's loss on all domains. Nothing loops over samples or domain pairs.

The min-max game ``min_{E,F} max_D  L_f - lambda L_d`` is played with a gradient-reversal layer
between encoder and discriminator (``coupling="fixed"``): one backward pass gives the discriminator
the full gradient of ``L_d`` and the encoder ``grad L_f - lambda grad L_d``. ``coupling="official"``
reproduces the official update instead, in which the discriminator's parameters end up with
``(1 - lambda) grad L_d`` (no gradient at all at the shipped lambda = 1).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from iclr22lib.core.device import cpu_threads
from iclr22lib.core.progress import progress
from iclr22lib.core.seeding import seed_everything
from iclr22lib.core.stats import mean_sd
from iclr22lib.core.training import check_finite, eval_mode
from iclr22lib.grda.config import METHODS, GRDAConfig
from iclr22lib.grda.data import TPT48, DomainGraphData, load_tpt48, tpt48_domains
from iclr22lib.grda.embeddings import fit_embeddings
from iclr22lib.grda.losses import (
    domain_classifier_loss,
    graph_discriminator_loss,
    mdd_loss,
    sample_subgraph,
    source_target_loss,
)
from iclr22lib.grda.models import (
    ConditionalDomainClassifier,
    DomainClassifier,
    Encoder,
    GraphDiscriminator,
    Predictor,
    grad_reverse,
    official_init,
)

#: Size of the state-graph embeddings fed to the encoder on TPT-48.
TPT48_EMBED_DIM = 8
#: Methods whose adversary reads the predictor's class probabilities or labels.
CLASSIFICATION_ONLY = ("cdann", "mdd")
LABELS = {
    "source_only": "Source-Only",
    "dann": "DANN",
    "adda": "ADDA",
    "cdann": "CDANN",
    "mdd": "MDD",
    "grda": "GRDA",
}


@dataclass(frozen=True)
class RunResult:
    """One training run, evaluated after its last epoch (no model selection on target data).

    ``domain_score`` [N] of every domain over its evaluation samples: accuracy for classification data,
    mean squared error (summed over the output dimensions, in z-scored units) for regression data, as
    ``metric`` says; ``target_score`` / ``source_score`` their means over target / source domains;
    ``d_loss`` / ``f_loss`` [epochs] epoch means of the discriminator's and the prediction loss
    (``d_loss`` is NaN for Source-Only); ``target_curve`` [epochs // eval_every] mean target score during
    training.
    """

    method: str
    seed: int
    coupling: str
    lambda_d: float
    domain_score: np.ndarray
    target_score: float
    source_score: float
    d_loss: np.ndarray
    f_loss: np.ndarray
    target_curve: np.ndarray
    d_chance: float
    metric: str = "accuracy"

    @property
    def label(self) -> str:
        name = LABELS[self.method]
        return name if self.coupling == "fixed" else f"{name} (official, λ={self.lambda_d:g})"


@dataclass
class Nets:
    """The networks of one run; ``disc`` is None for Source-Only."""

    encoder: Encoder
    predictor: Predictor
    disc: torch.nn.Module | None


def build(method: str, data: DomainGraphData, cfg: GRDAConfig) -> Nets:
    """Encoder, predictor and the method's discriminator, initialised as ``cfg.init`` says."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    if data.is_regression and method in CLASSIFICATION_ONLY:
        raise ValueError(
            f"method {method!r} needs class probabilities and does not apply to the regression data "
            f"{data.name}; allowed there: {', '.join(m for m in METHODS if m not in CLASSIFICATION_ONLY)}"
        )
    d_in, k = data.x.shape[-1], data.embed.shape[-1]
    n_classes = data.y.shape[-1] if data.is_regression else int(data.y.max()) + 1
    nets = Nets(Encoder(d_in, k, cfg.hidden), Predictor(cfg.hidden, n_classes), None)
    if method == "grda":
        nets.disc = GraphDiscriminator(cfg.hidden, out_dim=k)
    elif method == "dann":
        nets.disc = DomainClassifier(cfg.hidden, data.n_domains)
    elif method == "adda":
        nets.disc = DomainClassifier(cfg.hidden, 1)
    elif method == "cdann":
        nets.disc = ConditionalDomainClassifier(cfg.hidden, n_classes, data.n_domains)
    elif method == "mdd":
        nets.disc = Predictor(cfg.hidden, n_classes)
    for m in (nets.encoder, nets.predictor, nets.disc):
        if m is not None:
            m.to(cfg.device)
            if cfg.init == "official":
                official_init(m)
    return nets


def adversary_loss(
    method: str,
    nets: Nets,
    e_in: torch.Tensor,
    logits: torch.Tensor,
    data: DomainGraphData,
    nodes: torch.Tensor | None,
) -> torch.Tensor:
    """The loss the adversary of ``method`` minimises (and the encoder maximises).

    ``e_in`` [N, B, hidden] is what the adversary reads (the encodings, behind a gradient-reversal
    layer under the fixed coupling); ``logits`` [N, B, C] the predictor's outputs on every domain.
    """
    if method == "grda":
        return graph_discriminator_loss(nets.disc(e_in), data.adj, nodes)
    if method == "dann":
        return domain_classifier_loss(nets.disc(e_in))
    if method == "cdann":
        return domain_classifier_loss(nets.disc(e_in, logits.softmax(-1).detach()))
    if method == "adda":
        return source_target_loss(nets.disc(e_in).squeeze(-1), data.source_mask.to(e_in.device))
    if method == "mdd":
        return mdd_loss(nets.disc(e_in), logits.argmax(-1).detach(), data.source_mask.to(e_in.device))
    raise ValueError(f"method {method!r} has no adversary")


@torch.no_grad()
def domain_scores(nets: Nets, data: DomainGraphData) -> np.ndarray:
    """[N] score of every domain on its evaluation samples: accuracy, or for regression data the squared
    error summed over the outputs and averaged over samples."""
    x, y = data.eval_set
    z = data.embed[:, None, :].expand(-1, x.shape[1], -1)
    with eval_mode(nets.encoder), eval_mode(nets.predictor):
        out = nets.predictor(nets.encoder(x, z))
    if data.is_regression:
        return ((out - y) ** 2).sum(-1).mean(1).cpu().numpy()
    return (out.argmax(-1) == y).float().mean(1).cpu().numpy()


def prediction_loss(out: torch.Tensor, y: torch.Tensor, regression: bool) -> torch.Tensor:
    """Cross-entropy on logits ``out`` [M, C] and labels ``y`` [M], or MSE summed over outputs [M, o]."""
    if regression:
        return ((out - y) ** 2).sum(-1).mean()
    return F.cross_entropy(out, y)


def train_step(
    nets: Nets,
    opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer | None],
    method: str,
    x: torch.Tensor,
    y: torch.Tensor,
    data: DomainGraphData,
    nodes: torch.Tensor | None,
    *,
    lambda_d: float,
    coupling: str,
) -> tuple[float, float]:
    """One update of every network on a batch ``x`` [N, B, d], ``y`` [N, B] (or [N, B, o]); returns
    (L_f, L_d)."""
    opt_ef, opt_d = opts
    z = data.embed[:, None, :].expand(-1, x.shape[1], -1)
    e = nets.encoder(x, z)
    src = data.source_mask.to(x.device)
    logits = nets.predictor(e)  # [N, B, C], every domain
    loss_f = prediction_loss(logits[src].flatten(0, 1), y[src].flatten(0, 1), data.is_regression)
    if nets.disc is None:
        opt_ef.zero_grad()
        loss_f.backward()
        opt_ef.step()
        return float(loss_f.detach()), math.nan
    if coupling == "fixed":
        loss_d = adversary_loss(method, nets, grad_reverse(e, lambda_d), logits, data, nodes)
        opt_ef.zero_grad()
        opt_d.zero_grad()
        (loss_f + loss_d).backward()
    elif coupling == "official":
        loss_d = adversary_loss(method, nets, e, logits, data, nodes)
        opt_d.zero_grad()
        loss_d.backward(retain_graph=True)
        opt_ef.zero_grad()
        (loss_f - lambda_d * loss_d).backward()  # also adds -lambda grad L_d to D's parameters
    else:
        raise ValueError(f"unknown coupling {coupling!r}; allowed: fixed, official")
    opt_d.step()
    opt_ef.step()
    return float(loss_f.detach()), float(loss_d.detach())


def train(
    data: DomainGraphData,
    method: str,
    cfg: GRDAConfig,
    seed: int,
    *,
    coupling: str | None = None,
    lambda_d: float | None = None,
    eval_every: int = 10,
    max_steps: int | None = None,
) -> RunResult:
    """Train ``method`` on ``data`` (already on ``cfg.device``) for ``cfg.epochs`` epochs.

    ``coupling`` and ``lambda_d`` default to the config's. ``max_steps`` stops early (for tests).
    """
    coupling = cfg.coupling if coupling is None else coupling
    lambda_d = cfg.lambda_d if lambda_d is None else lambda_d
    with cpu_threads(cfg.threads or None, data.x.device):
        return _train(data, method, cfg, seed, coupling, lambda_d, eval_every, max_steps)


def _train(
    data: DomainGraphData,
    method: str,
    cfg: GRDAConfig,
    seed: int,
    coupling: str,
    lambda_d: float,
    eval_every: int,
    max_steps: int | None,
) -> RunResult:
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    nets = build(method, data, cfg)
    ef_params = [*nets.encoder.parameters(), *nets.predictor.parameters()]
    opt_ef = torch.optim.Adam(ef_params, lr=cfg.lr, betas=(0.9, 0.999), foreach=True)
    opt_d = (
        torch.optim.Adam(nets.disc.parameters(), lr=cfg.lr, foreach=True) if nets.disc is not None else None
    )
    gamma = 0.5 ** (1.0 / cfg.lr_halflife)
    scheds = [torch.optim.lr_scheduler.ExponentialLR(o, gamma) for o in (opt_ef, opt_d) if o is not None]
    n_dom, n_per, d_in = data.x.shape
    b = cfg.batch_per_domain
    steps = n_per // b
    d_curve, f_curve, t_curve = [], [], []
    tgt = list(data.targets)
    done = 0
    for epoch in progress(range(cfg.epochs), desc=f"{method} seed {seed}"):
        order = torch.rand(n_dom, n_per, generator=gen).argsort(1).to(data.x.device)  # per-domain shuffle
        ls_f, ls_d = [], []
        for s in range(steps):
            idx = order[:, s * b : (s + 1) * b]
            x = data.x.gather(1, idx[..., None].expand(-1, -1, d_in))
            y = data.y.gather(
                1, idx[..., None].expand(-1, -1, data.y.shape[-1]) if data.is_regression else idx
            )
            nodes = (
                sample_subgraph(data.adj, cfg.sample_v, gen).to(data.x.device) if method == "grda" else None
            )
            lf, ld = train_step(
                nets, (opt_ef, opt_d), method, x, y, data, nodes, lambda_d=lambda_d, coupling=coupling
            )
            check_finite(lf, step=f"{epoch}.{s}", what=f"{method} prediction loss")
            ls_f.append(lf)
            ls_d.append(ld)
            done += 1
            if max_steps is not None and done >= max_steps:
                break
        for sc in scheds:
            sc.step()
        f_curve.append(float(np.mean(ls_f)))
        d_curve.append(float(np.mean(ls_d)))
        if (epoch + 1) % eval_every == 0:
            t_curve.append(float(domain_scores(nets, data)[tgt].mean()))
        if max_steps is not None and done >= max_steps:
            break
    score = domain_scores(nets, data)
    chance = {
        "grda": data.n_domains * math.log(2),
        "dann": math.log(data.n_domains),
        "cdann": math.log(data.n_domains),
        "adda": math.log(2),
    }.get(method, math.nan)
    return RunResult(
        method=method,
        seed=seed,
        coupling=coupling,
        lambda_d=lambda_d,
        domain_score=score,
        target_score=float(score[tgt].mean()),
        source_score=float(score[list(data.sources)].mean()),
        d_loss=np.asarray(d_curve),
        f_loss=np.asarray(f_curve),
        target_curve=np.asarray(t_curve),
        d_chance=chance,
        metric="mse" if data.is_regression else "accuracy",
    )


def compare(data: DomainGraphData, cfg: GRDAConfig) -> list[RunResult]:
    """Every method of ``cfg.methods`` for seeds SEED..SEED+n_seeds-1, plus (when
    ``cfg.compare_official``) GRDA with the official coupling at the shipped lambda = 1 for the first
    ``cfg.n_seeds_official`` seeds."""
    data = data.to(cfg.device)
    jobs = [(m, cfg.seed + i, None, None) for i in range(cfg.n_seeds) for m in cfg.method_list]
    if cfg.compare_official:
        jobs += [("grda", cfg.seed + i, "official", 1.0) for i in range(cfg.n_seeds_official)]
    return [train(data, m, cfg, s, coupling=c, lambda_d=lam) for m, s, c, lam in progress(jobs, "runs")]


def run_tpt48(
    cfg: GRDAConfig, task: str, root: str | os.PathLike | None = None
) -> tuple[TPT48, list[RunResult]]:
    """TPT-48 task ``"EW"`` or ``"NS"``: state-graph embeddings, then every method of ``cfg.methods`` that
    applies to regression (CDANN and MDD do not) for ``cfg.n_seeds`` seeds and ``cfg.tpt48_epochs``
    epochs, with the fixed coupling. Scores are per-state MSE (see :func:`domain_scores`)."""
    t = load_tpt48(task, root)
    embed = fit_embeddings(torch.as_tensor(t.adj), dim=TPT48_EMBED_DIM, seed=cfg.seed)
    embed = (embed - embed.mean(0)) / embed.std(0)  # unit scale, like the other inputs
    data = tpt48_domains(t, embed)
    methods = "+".join(m for m in cfg.method_list if m not in CLASSIFICATION_ONLY)
    run_cfg = replace(cfg, methods=methods, epochs=cfg.tpt48_epochs, compare_official=False)
    return t, compare(data, run_cfg)


def level_scores(t: TPT48, score: np.ndarray) -> tuple[float, float, float, float]:
    """Mean of ``score`` [48] over the target states of levels 1, 2 and 3, and over all targets."""
    lv = t.level
    return (*(float(score[lv == k].mean()) for k in (1, 2, 3)), float(score[lv > 0].mean()))


def summarise(runs: list[RunResult]) -> dict[str, tuple[float, float]]:
    """Mean and (population) standard deviation of the target score per run label, ``{label: (mean, sd)}``."""
    labels = dict.fromkeys(r.label for r in runs)
    return {label: mean_sd(r.target_score for r in runs if r.label == label) for label in labels}
