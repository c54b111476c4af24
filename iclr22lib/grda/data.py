"""Data of the GRDA chapter: the DG-15/DG-60 toy domain graphs, their generator, and TPT-48.

Everything is read from the pickle-free ``.npz`` copies (and one plain-text edge list) through the
book's data registry, which checks every file's sha256 first.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.core.data import DataError, fetch
from iclr22lib.grda.config import SOURCE_DOMAINS

_DG_FILES = {"dg15": ("grda_dg15", "dg15_derived.npz"), "dg60": ("grda_dg60", "dg60_derived.npz")}
_DG_KEYS = ("data", "label", "domain", "A", "angle", "g_encode")


@dataclass(frozen=True)
class DomainGraphData:
    """A multi-domain data set with a domain graph, stored domain-major.

    ``x`` [N, n, d] float32 (z-scored over all domains, as the official code does), ``y`` [N, n] int64
    class labels, or [N, n, o] float32 regression targets (only the source domains' are used),
    ``adj`` [N, N] float32 symmetric 0/1 with zero diagonal, ``embed`` [N, k] float32 node embeddings of
    the domain graph, ``angle`` [N] the generator's domain angles, ``sources`` the labelled domains.
    Evaluation uses ``x_eval`` / ``y_eval`` [N, m, ...] when given, else ``x`` / ``y`` (transductive).
    """

    name: str
    x: torch.Tensor
    y: torch.Tensor
    adj: torch.Tensor
    embed: torch.Tensor
    angle: np.ndarray
    sources: tuple[int, ...]
    raw_mean: np.ndarray
    raw_std: np.ndarray
    x_eval: torch.Tensor | None = None
    y_eval: torch.Tensor | None = None

    @property
    def is_regression(self) -> bool:
        return self.y.is_floating_point()

    @property
    def eval_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` every domain is scored on."""
        return (self.x, self.y) if self.x_eval is None else (self.x_eval, self.y_eval)

    @property
    def n_domains(self) -> int:
        return self.x.shape[0]

    @property
    def targets(self) -> tuple[int, ...]:
        return tuple(i for i in range(self.n_domains) if i not in self.sources)

    @property
    def source_mask(self) -> torch.Tensor:
        """[N] bool, True for source domains."""
        m = torch.zeros(self.n_domains, dtype=torch.bool)
        m[list(self.sources)] = True
        return m

    def to(self, device: str | torch.device) -> DomainGraphData:
        """A copy with every tensor on ``device``."""
        ev = [None if t is None else t.to(device) for t in (self.x_eval, self.y_eval)]
        return DomainGraphData(
            self.name,
            self.x.to(device),
            self.y.to(device),
            self.adj.to(device),
            self.embed.to(device),
            self.angle,
            self.sources,
            self.raw_mean,
            self.raw_std,
            *ev,
        )


def _from_arrays(name: str, arrays: dict[str, np.ndarray], sources: tuple[int, ...]) -> DomainGraphData:
    domain = arrays["domain"].astype(np.int64)
    n_domains = int(domain.max()) + 1
    counts = np.bincount(domain, minlength=n_domains)
    if len(set(counts.tolist())) != 1:
        raise DataError(f"{name}: domains have unequal sizes {counts.tolist()}; expected equal sizes")
    order = np.argsort(domain, kind="stable")
    data, label = arrays["data"][order], arrays["label"][order]
    mean, std = data.mean(0), data.std(0)
    x = ((data - mean) / std).reshape(n_domains, counts[0], -1)
    adj = arrays["A"]
    if adj.shape != (n_domains, n_domains) or not np.array_equal(adj, adj.T) or np.any(np.diag(adj)):
        raise DataError(f"{name}: the adjacency is not a symmetric {n_domains}x{n_domains} 0/1 matrix")
    return DomainGraphData(
        name=name,
        x=torch.as_tensor(x, dtype=torch.float32),
        y=torch.as_tensor(label.reshape(n_domains, -1), dtype=torch.int64),
        adj=torch.as_tensor(adj, dtype=torch.float32),
        embed=torch.as_tensor(arrays["g_encode"], dtype=torch.float32),
        angle=np.asarray(arrays["angle"], dtype=np.float64),
        sources=tuple(sources),
        raw_mean=mean,
        raw_std=std,
    )


def load_dg(name: str = "dg15", root: str | os.PathLike | None = None) -> DomainGraphData:
    """Load DG-15 (``"dg15"``) or DG-60 (``"dg60"``) with the official source domains.

    Reads ``<root>/grda_dg15/dg15_derived.npz`` (resp. dg60) after checking its sha256; never unpickles.
    """
    if name not in _DG_FILES:
        raise ValueError(f"unknown toy data set {name!r}; allowed: {', '.join(_DG_FILES)}")
    dataset, file = _DG_FILES[name]
    folder = fetch(dataset, root, files=[file])
    with np.load(folder / file, allow_pickle=False) as z:
        missing = [k for k in _DG_KEYS if k not in z.files]
        if missing:
            raise DataError(f"{folder / file} lacks the arrays {missing}; it has {z.files}")
        arrays = {k: z[k] for k in _DG_KEYS}
    return _from_arrays(name, arrays, SOURCE_DOMAINS[name])


def make_dg(
    n_domains: int = 60,
    *,
    seed: int = 0,
    max_angle: float = 2 * math.pi,
    radius_slope: float = 6 / (2 * math.pi),
    tau: float = 0.2,
    per_class: int = 50,
    sources: tuple[int, ...] | None = None,
) -> DomainGraphData:
    """Our re-implementation of the toy generator (defaults: the DG-60 settings of the official script).

    Domain ``i`` has an angle ``t_i ~ U[0, max_angle)`` and centre ``m_i = (1 + radius_slope t_i)
    (cos t_i, sin t_i)``; class 0 is ``m_i + eps`` and class 1 is ``-m_i + eps`` with ``eps`` uniform-ish
    in the unit disc (standard normals kept when ``||eps|| <= 1``). Domains ``i != j`` are linked with
    probability ``cos(t_i - t_j)`` when that cosine is at least ``tau``, never otherwise.
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, max_angle, n_domains)
    radius = 1.0 + radius_slope * angle
    centre = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)  # [N, 2]
    eps = rng.standard_normal((n_domains, 2, 8 * per_class, 2))
    keep = np.linalg.norm(eps, axis=-1) <= 1.0  # [N, 2, 8*per_class]
    # the first `per_class` kept draws of every (domain, class): rank kept draws, take ranks < per_class
    rank = np.cumsum(keep, axis=-1) - 1
    pick = keep & (rank < per_class)
    if not pick.sum(-1).min() == per_class:
        raise RuntimeError("too few draws inside the unit disc; increase the oversampling")
    noise = eps[pick].reshape(n_domains, 2, per_class, 2)
    sign = np.array([1.0, -1.0])[None, :, None, None]
    data = (sign * centre[:, None, None, :] + noise).reshape(-1, 2)
    label = np.repeat(np.tile(np.array([0.0, 1.0]), n_domains), per_class)
    domain = np.repeat(np.arange(n_domains, dtype=np.float64), 2 * per_class)
    p = np.cos(angle[:, None] - angle[None, :])
    upper = np.triu((p >= tau) & (rng.uniform(size=p.shape) < p), k=1)
    adj = (upper | upper.T).astype(np.float64)
    arrays = {
        "data": data,
        "label": label,
        "domain": domain,
        "A": adj,
        "angle": angle,
        "g_encode": np.zeros((n_domains, 2), np.float32),
    }
    if sources is None:
        sources = tuple(int(i) for i in np.argsort(angle)[: max(1, n_domains // 10)])
    return _from_arrays(f"make_dg({n_domains})", arrays, sources)


def density(adj: torch.Tensor | np.ndarray) -> float:
    """Edges over possible edges of an undirected graph without self loops."""
    a = np.asarray(adj)
    n = a.shape[0]
    return float(np.triu(a, 1).sum() / (n * (n - 1) / 2))


# ---------------------------------------------------------------------------------------------- TPT-48

#: Source states of the two TPT-48 tasks (24 each); the other 24 states are the targets.
TPT48_SOURCES = {
    "EW": ("MI IN OH PA NJ NY VT NH ME MA CT RI KY WV MD DE VA TN AL GA NC FL SC MO").split(),
    "NS": ("ND VT NH ME WA MT SD MN WI MI NY MA OR ID WY NE IA IL IN OH PA NJ CT RI").split(),
}


@dataclass(frozen=True)
class TPT48:
    """Monthly mean temperatures of the 48 contiguous US states and their adjacency.

    ``temps`` [48, 144] float64 in deg F (January first), ``states`` the 48 abbreviations in row order,
    ``adj`` [48, 48] float32 0/1 state adjacency (DC dropped), ``sources`` the task's source rows and
    ``hops`` [48] int: 0 for a source, else the number of hops to the nearest source state, and
    ``level`` [48] int: the paper's target groups, ``min(hops, 3)`` (level 3 = three hops or more).
    """

    task: str
    temps: np.ndarray
    states: tuple[str, ...]
    adj: np.ndarray
    sources: tuple[int, ...]
    hops: np.ndarray

    @property
    def level(self) -> np.ndarray:
        return np.minimum(self.hops, 3)

    def level_sizes(self) -> tuple[int, int, int]:
        """Number of target states in levels 1, 2 and 3."""
        return tuple(int((self.level == k).sum()) for k in (1, 2, 3))


def hop_distance(adj: np.ndarray, sources: Iterable[int]) -> np.ndarray:
    """Breadth-first hop distance from the nearest of ``sources`` ([N] int, -1 when unreachable)."""
    n = adj.shape[0]
    dist = np.full(n, -1)
    queue = deque(int(s) for s in sources)
    dist[list(queue)] = 0
    while queue:
        u = queue.popleft()
        for v in np.flatnonzero(adj[u]):
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                queue.append(int(v))
    return dist


def load_tpt48(task: str = "EW", root: str | os.PathLike | None = None) -> TPT48:
    """TPT-48 with the east-to-west (``"EW"``) or north-to-south (``"NS"``) split."""
    if task not in TPT48_SOURCES:
        raise ValueError(f"unknown TPT-48 task {task!r}; allowed: {', '.join(TPT48_SOURCES)}")
    folder = fetch("tpt48", root, files=["tpt48_derived.npz", "usa_map.txt"])
    with np.load(folder / "tpt48_derived.npz", allow_pickle=False) as z:
        states, temps = tuple(str(s) for s in z["states"]), np.asarray(z["temps"], dtype=np.float64)
    index = {s: i for i, s in enumerate(states)}
    adj = np.zeros((len(states), len(states)), np.float32)
    for line in (folder / "usa_map.txt").read_text().split("\n"):
        pair = line.split()
        if len(pair) == 2 and all(p in index for p in pair):  # drops DC
            adj[index[pair[0]], index[pair[1]]] = adj[index[pair[1]], index[pair[0]]] = 1.0
    sources = tuple(index[s] for s in TPT48_SOURCES[task])
    return TPT48(task, temps, states, adj, sources, hop_distance(adj, sources))


def tpt48_domains(t: TPT48, embed: np.ndarray | torch.Tensor) -> DomainGraphData:
    """TPT-48 as a regression task over the state graph: predict the next 6 monthly temperatures from the
    previous 6.

    Source states train on every sliding window of their 144 months (``x`` = months t..t+5, ``y`` =
    t+6..t+11: 133 windows); target states contribute only the inputs of their 12 yearly groups
    (January-June), tiled to the same count and never their labels. Every state is scored on its 12 yearly
    groups (``x_eval`` = Jan-Jun, ``y_eval`` = Jul-Dec). Temperatures are z-scored with one mean and
    standard deviation over the source windows and the target inputs, as the authors' later loader does.
    ``embed`` [48, k]: node embeddings of the state graph (:func:`~iclr22lib.grda.embeddings.fit_embeddings`).
    """
    temps = t.temps  # [48, 144] deg F
    n_states, n_months = temps.shape
    window, span = 6, 12
    starts = np.arange(n_months - span + 1)
    win = temps[:, starts[:, None] + np.arange(span)]  # [48, W, 12]
    years = temps.reshape(n_states, -1, span)  # [48, 12, 12]: Jan-Dec of each year
    src = np.zeros(n_states, dtype=bool)
    src[list(t.sources)] = True
    pool = np.concatenate([win[src].ravel(), years[~src][..., :window].ravel()])
    mean, std = float(pool.mean()), float(pool.std())
    win, years = (win - mean) / std, (years - mean) / std
    n_win = win.shape[1]
    x = win[..., :window].copy()
    y = win[..., window:].copy()
    reps = np.resize(np.arange(years.shape[1]), n_win)  # tile the 12 yearly inputs to n_win
    x[~src] = years[~src][:, reps, :window]
    y[~src] = 0.0  # unknown; never read (the prediction loss only sees source domains)
    f32 = torch.float32
    return DomainGraphData(
        name=f"tpt48_{t.task.lower()}",
        x=torch.as_tensor(x, dtype=f32),
        y=torch.as_tensor(y, dtype=f32),
        adj=torch.as_tensor(t.adj, dtype=f32),
        embed=torch.as_tensor(embed, dtype=f32),
        angle=np.zeros(n_states),
        sources=tuple(t.sources),
        raw_mean=np.array(mean),
        raw_std=np.array(std),
        x_eval=torch.as_tensor(years[..., :window], dtype=f32),
        y_eval=torch.as_tensor(years[..., window:], dtype=f32),
    )
