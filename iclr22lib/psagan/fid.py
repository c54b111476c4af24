"""Frechet distance between Gaussians, from moments or from samples (scipy and torch versions).

``FD = |mu_1 - mu_2|^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch
from numpy.typing import ArrayLike


def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and (unbiased) covariance [D, D] of samples ``x`` [N, D], in float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need samples [N >= 2, D], got shape {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def frechet_distance(
    mu1: ArrayLike, s1: ArrayLike, mu2: ArrayLike, s2: ArrayLike, *, eps: float = 1e-6
) -> float:
    """Frechet distance from moments with ``scipy.linalg.sqrtm`` (float64; adds ``eps * I`` to both
    covariances if the product's square root is not finite; drops a negligible imaginary part)."""
    mu1, mu2, s1, s2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, s1, s2))
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        off = eps * np.eye(s1.shape[0])
        covmean = scipy.linalg.sqrtm((s1 + off) @ (s2 + off))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def frechet_distance_torch(mu1: ArrayLike, s1: ArrayLike, mu2: ArrayLike, s2: ArrayLike) -> float:
    """The same distance with symmetric eigendecompositions in float64 torch:
    ``Tr (S_1 S_2)^{1/2} = Tr (S_1^{1/2} S_2 S_1^{1/2})^{1/2}`` (exact for PSD covariances)."""
    mu1, mu2, s1, s2 = (torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (mu1, mu2, s1, s2))

    def psd_sqrt(m: torch.Tensor) -> torch.Tensor:
        w, v = torch.linalg.eigh((m + m.T) / 2)
        return (v * w.clamp_min(0).sqrt()) @ v.T

    r = psd_sqrt(s1)
    tr_covmean = torch.linalg.eigvalsh(r @ s2 @ r).clamp_min(0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + s1.trace() + s2.trace() - 2.0 * tr_covmean)


def fid_from_samples(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between the Gaussians fitted to samples ``a`` [N, D] and ``b`` [M, D]."""
    return frechet_distance(*moments(a), *moments(b))
