"""A fixed, label-free feature map for images: random data patches as convolution filters.

The paper trains its linear model on the penultimate features of an ImageNet-pretrained ResNet-34.
No pretrained image network can be installed here, so the chapter uses the classic single-layer
"random patches" network (in the spirit of Coates, Ng & Lee, 2011): the filters are image patches
cut at random from unlabelled training images, centred and scaled to unit norm; an image is
contrast-normalised, convolved with the filters, each response is split into its positive and
negative part, and both are average-pooled over the four quadrants of the image. Nothing is
trained and no label is read, so the map plays the role of a frozen backbone. It is far weaker
than a pretrained network (about 50-60 % linear-probe accuracy on CIFAR-10 with a few thousand
images, against 74 % for EfficientNet-Lite0 features), and the quadrant pooling keeps coarse
spatial layout, which is what makes a vertically flipped photo look different from an upright one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class PatchFeatureMap:
    """Filters ``(K, 3, s, s)`` and the per-feature mean/std ``(8K,)`` used to standardise outputs."""

    filters: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    @property
    def dim(self) -> int:
        """Output dimension ``8K`` (2 signs x 4 quadrants x K filters)."""
        return 8 * self.filters.shape[0]


def _normalise_images(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """``(N, 32, 32, 3)`` uint8 → ``(N, 3, 32, 32)`` float32, each image with zero mean and unit std."""
    t = torch.as_tensor(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float() / 255.0
    t = t - t.mean(dim=(1, 2, 3), keepdim=True)
    return t / (t.std(dim=(1, 2, 3), keepdim=True) + 0.05)


def _raw_features(filters: torch.Tensor, x: np.ndarray | torch.Tensor, batch: int) -> torch.Tensor:
    out = []
    if len(x) == 0:
        return torch.zeros(0, 8 * filters.shape[0], device=filters.device)
    for start in range(0, len(x), batch):
        imgs = _normalise_images(x[start : start + batch]).to(filters.device)
        r = F.conv2d(imgs, filters)  # (B, K, H', W')
        both = torch.cat([F.relu(r), F.relu(-r)], dim=1)
        out.append(F.adaptive_avg_pool2d(both, 2).flatten(1))
    return torch.cat(out)


def fit_patch_features(
    x: np.ndarray, n_filters: int = 128, patch: int = 6, seed: int = 0, batch: int = 500
) -> PatchFeatureMap:
    """Cut ``n_filters`` random ``patch x patch`` filters from the images ``x`` ``(N, 32, 32, 3)`` uint8.

    The feature mean/std are taken on (at most 1,000 evenly spread images of) ``x`` too; no label is read.
    """
    if n_filters < 1 or not 1 <= patch <= 32:
        raise ValueError(f"n_filters={n_filters} must be >= 1 and patch={patch} in 1..32")
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(x), (n_filters,), generator=g)
    rows = torch.randint(0, 33 - patch, (n_filters,), generator=g)
    cols = torch.randint(0, 33 - patch, (n_filters,), generator=g)
    imgs = _normalise_images(x[idx.numpy()])
    filters = torch.stack(
        [imgs[k, :, r : r + patch, c : c + patch] for k, (r, c) in enumerate(zip(rows, cols, strict=True))]
    )
    filters = filters - filters.mean(dim=(1, 2, 3), keepdim=True)
    filters = filters / (filters.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-6)
    with torch.no_grad():
        spread = np.linspace(0, len(x) - 1, min(len(x), 1000)).astype(np.int64)  # at most 1,000 images
        raw = _raw_features(filters, x[spread], batch)
    return PatchFeatureMap(filters=filters, mean=raw.mean(0), std=raw.std(0) + 1e-6)


def extract_features(
    fmap: PatchFeatureMap, x: np.ndarray, batch: int = 500, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Standardised features ``(N, 8K)`` float64 of images ``x`` ``(N, 32, 32, 3)`` uint8, on ``device``
    (the convolutions run there too)."""
    dev = torch.device(device)
    with torch.no_grad():
        raw = _raw_features(fmap.filters.to(dev), x, batch)
    return ((raw - fmap.mean.to(dev)) / fmap.std.to(dev)).double()


def flip(x: np.ndarray, how: str) -> np.ndarray:
    """Flip images ``(N, H, W, 3)``: ``"h"`` mirrors left-right, ``"v"`` upside down, ``"none"`` copies."""
    if how == "h":
        return np.ascontiguousarray(x[:, :, ::-1])
    if how == "v":
        return np.ascontiguousarray(x[:, ::-1])
    if how == "none":
        return x.copy()
    raise ValueError(f"how={how!r}; choose one of 'none', 'h', 'v'")
