"""DeepAA's regularised gradient-matching search, one policy layer at a time.

For a data point b (a class c, a batch V of clean validation images of class c and one training image
x of class c) with the network's weights w frozen (BN in inference mode):

* ``G = mean_{v in V} grad_w CE(f(v), c)``, the clean-validation gradient;
* ``a_t = E_s[grad_w CE(f(t(s(x))), c)]`` for every choice t of the layer being searched, s drawn
  from the layers already fixed (``n_prev`` Monte-Carlo samples), and ``A(p) = sum_t p_t a_t``;
* ``cos(p) = <G, A> / (|G| |A|)`` and its derivative per choice
  ``I_t = d cos / d p_t = <a_t, u> / (|A| |G|)`` with ``u = G - (<G, A> / |A|^2) A``.

``<a_t, u>`` is the directional derivative of the per-sample losses along ``u``: one forward-mode
Jacobian-vector product (``torch.func.jvp``) over all augmented images gives every ``I_t`` without
storing a per-sample gradient. Over B data points the reward is ``r_t = mean_b I_bt`` for the first
layer and ``mean_b I_bt - std_b I_bt`` (the variance penalty) for later layers; one Adam step on the
layer's logits maximises ``sum_t r_t softmax(theta)_t``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, jvp

from iclr22lib.core.training import check_finite
from iclr22lib.deepaa.policy import Policy, apply_choices
from iclr22lib.deepaa.space import ChoiceSpace


class GradientOracle:
    """Per-sample-loss gradients and JVPs of a frozen model, as flat vectors of its parameters."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model.eval()
        self.names = [n for n, _ in model.named_parameters()]
        self.params = {n: p.detach() for n, p in model.named_parameters()}
        self.buffers = {n: b for n, b in model.named_buffers()}
        self.shapes = [p.shape for p in self.params.values()]
        self.numel = sum(p.numel() for p in self.params.values())

    def losses(self, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-sample cross-entropy (N,) of images ``x`` (N,3,H,W) in grey levels, labels ``y`` (N,)."""
        dtype = next(iter(params.values())).dtype
        logits = functional_call(self.model, (params, self.buffers), (x.to(dtype),))
        return F.cross_entropy(logits, y, reduction="none")

    def flat(self, tensors: Sequence[torch.Tensor]) -> torch.Tensor:
        """The tensors (e.g. one gradient per parameter) concatenated into one flat vector (P,)."""
        return torch.cat([t.reshape(-1) for t in tensors])

    def unflat(self, v: torch.Tensor) -> dict[str, torch.Tensor]:
        """A flat vector (P,) cut back into one tensor per parameter name, shaped like the parameter."""
        out, i = {}, 0
        for n, s in zip(self.names, self.shapes, strict=True):
            k = int(torch.Size(s).numel())
            out[n] = v[i : i + k].reshape(s)
            i += k
        return out

    def grad(self, x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """``sum_i weights_i grad_w loss_i`` as a flat vector (P,) (reverse mode, plain autograd)."""
        params = {n: p.detach().requires_grad_(True) for n, p in self.params.items()}
        with torch.enable_grad():
            loss = (self.losses(params, x, y) * weights).sum()
            g = torch.autograd.grad(loss, [params[n] for n in self.names])
        return self.flat(g)

    def directional(self, x: torch.Tensor, y: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """``<grad_w loss_i, u>`` for every sample, (N,), by one forward-mode JVP."""
        _, d = jvp(lambda p: self.losses(p, x, y), (self.params,), (self.unflat(u),))
        return d


def importance(
    oracle: GradientOracle,
    g_val: torch.Tensor,
    x_aug: torch.Tensor,
    y: torch.Tensor,
    probs: torch.Tensor,
    n_prev: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine and per-choice derivative for one data point.

    ``x_aug`` (n_prev * T, 3, H, W): sample s of the fixed layers followed by choice t, s-major;
    ``probs`` (T,) the current layer. Returns ``cos`` (scalar) and ``I`` (T,) = d cos / d p_t.
    """
    t = len(probs)
    w = probs.to(g_val.dtype).repeat(n_prev) / n_prev
    a = oracle.grad(x_aug, y, w)
    na, ng = a.norm(), g_val.norm()
    cos = (g_val @ a) / (na * ng)
    u = g_val - (g_val @ a) / (na * na) * a
    d = oracle.directional(x_aug, y, u).reshape(n_prev, t).mean(0)
    return cos, d / (na * ng)


@dataclass
class SearchData:
    """Uint8 images (N,3,H,W) and labels of the search split and the clean validation split."""

    x_search: torch.Tensor
    y_search: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    n_classes: int = 10


def _data_point(data: SearchData, n_val: int, gen: torch.Generator) -> tuple[int, torch.Tensor, torch.Tensor]:
    c = int(torch.randint(data.n_classes, (1,), generator=gen))
    vi = (data.y_val == c).nonzero().flatten()
    si = (data.y_search == c).nonzero().flatten()
    v = vi[torch.randperm(len(vi), generator=gen)[:n_val]]
    s = si[torch.randint(len(si), (1,), generator=gen)]
    return c, v, s


def point_terms(
    oracle: GradientOracle,
    data: SearchData,
    space: ChoiceSpace,
    fixed: Policy,
    probs: torch.Tensor,
    *,
    n_val: int,
    n_prev: int,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw one data point and return its ``cos`` and ``I`` (T,) under the current layer ``probs``."""
    dev = next(iter(oracle.params.values())).device
    c, v, s = _data_point(data, n_val, gen)
    xv = data.x_val[v].to(dev)
    g_val = oracle.grad(
        xv, torch.full((len(v),), c, device=dev), torch.full((len(v),), 1.0 / len(v), device=dev)
    )
    n_s = n_prev if fixed.n_layers else 1
    xs = fixed.apply(data.x_search[s].expand(n_s, -1, -1, -1).to(dev), gen)
    t = len(space)
    x_aug = apply_choices(xs.repeat_interleave(t, 0), space, torch.arange(t).repeat(n_s), gen)
    y = torch.full((len(x_aug),), c, device=dev)
    return importance(oracle, g_val, x_aug, y, probs.to(dev), n_s)


class Adam:
    """Adam on one tensor (the layer logits), written out: ``torch.optim.Adam``'s first step imports
    the compiler stack, which costs seconds on a small CPU machine for a 139-entry vector."""

    def __init__(
        self, theta: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-7
    ) -> None:
        self.theta, self.lr, self.b1, self.b2, self.eps = theta, lr, betas[0], betas[1], eps
        self.m = torch.zeros_like(theta)
        self.v = torch.zeros_like(theta)
        self.t = 0

    def step(self, g: torch.Tensor) -> None:
        """One descent step ``theta -= lr * m_hat / (sqrt(v_hat) + eps)`` for the gradient ``g``."""
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1**self.t)
        v_hat = self.v / (1 - self.b2**self.t)
        self.theta -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


def softmax_objective_grad(theta: torch.Tensor, r: torch.Tensor, scale: float) -> torch.Tensor:
    """Gradient of ``L(theta) = -scale * sum_t r_t softmax(theta)_t``: ``-scale * p * (r - <p, r>)``."""
    p = torch.softmax(theta, 0)
    return -scale * p * (r - (p * r).sum())


def reward(imp: torch.Tensor, variance_penalty: bool) -> torch.Tensor:
    """Reward per choice from (B, T) importances: mean over data points, minus their std if penalised."""
    r = imp.mean(0)
    return r - imp.std(0, unbiased=False) if variance_penalty else r


def identity_logits(space: ChoiceSpace, strength: float = 8.0) -> torch.Tensor:
    """The official initialisation: logit ``strength`` on Identity, 0 elsewhere, centred."""
    th = torch.zeros(len(space), dtype=torch.float64)
    th[space.index("Identity")] = strength
    return th - th.mean()


@dataclass
class LayerLog:
    """What happened while one layer was searched."""

    cos: list[float] = field(default_factory=list)  # mean cosine of the step's data points
    identity: list[float] = field(default_factory=list)  # p(Identity) after each step
    probe_before: float = float("nan")  # mean cosine on fixed probe points, at the layer's init
    probe_after: float = float("nan")  # the same points and augmentations, after the search


@dataclass
class SearchResult:
    policy: Policy
    logs: list[LayerLog]
    stopped: bool  # True when the last layer converged to Identity (the stopping rule fired)


def probe_cos(
    oracle: GradientOracle,
    data: SearchData,
    space: ChoiceSpace,
    fixed: Policy,
    probs: torch.Tensor,
    *,
    n_points: int,
    n_val: int,
    n_prev: int,
    seed: int,
) -> float:
    """Mean cosine over ``n_points`` fixed data points (same draws for every layer ``probs`` (T,))."""
    gen = torch.Generator().manual_seed(seed)
    vals = [
        point_terms(oracle, data, space, fixed, probs, n_val=n_val, n_prev=n_prev, gen=gen)[0]
        for _ in range(n_points)
    ]
    return float(torch.stack(vals).mean())


def search_policy(
    model: nn.Module,
    data: SearchData,
    space: ChoiceSpace,
    *,
    n_layers: int,
    steps: int,
    n_points: int,
    n_val: int,
    n_prev: int,
    lr: float,
    stop_identity: float,
    init_strength: float = 8.0,
    n_probe: int = 8,
    seed: int = 0,
    callback: Callable[[int, int, float], None] | None = None,
) -> SearchResult:
    """Search up to ``n_layers`` layers, each with ``steps`` Adam steps on B = ``n_points`` data points.

    Layer k is searched with layers 1..k-1 fixed; the search stops early when a finished layer keeps
    at least ``stop_identity`` of its mass on Identity (it has converged to doing nothing).
    """
    oracle = GradientOracle(model)
    gen = torch.Generator().manual_seed(seed)
    fixed = Policy(space, torch.zeros(0, len(space)), name="DeepAA (ours)")
    logs: list[LayerLog] = []
    ident = space.index("Identity")
    stopped = False
    for k in range(n_layers):
        theta = identity_logits(space, init_strength)
        opt = Adam(theta, lr=lr)
        log = LayerLog()
        kw = dict(n_points=n_probe, n_val=n_val, n_prev=n_prev, seed=seed + 1000 + k)
        log.probe_before = probe_cos(oracle, data, space, fixed, torch.softmax(theta, 0), **kw)
        for step in range(steps):
            p = torch.softmax(theta, 0)
            cos_i = []
            imps = []
            for _ in range(n_points):
                c, i = point_terms(oracle, data, space, fixed, p, n_val=n_val, n_prev=n_prev, gen=gen)
                cos_i.append(c)
                imps.append(i)
            r = reward(torch.stack(imps).cpu().double(), variance_penalty=k > 0)
            check_finite(r.sum(), step=step, what="DeepAA reward")
            scale = 0.25 if k == 0 else float(n_points)
            opt.step(softmax_objective_grad(theta, r, scale))
            log.cos.append(float(torch.stack(cos_i).mean()))
            log.identity.append(float(torch.softmax(theta, 0)[ident]))
            if callback is not None:
                callback(k, step, log.cos[-1])
        probs = torch.softmax(theta, 0)
        log.probe_after = probe_cos(oracle, data, space, fixed, probs, **kw)
        logs.append(log)
        fixed = Policy(space, torch.cat([fixed.probs, probs[None]]), name=fixed.name)
        if float(probs[ident]) >= stop_identity:
            stopped = True
            break
    return SearchResult(fixed, logs, stopped)
