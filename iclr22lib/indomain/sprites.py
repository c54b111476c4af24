"""A procedural, dSprites-like sprite renderer (vectorised over a batch, CPU or GPU).

The dSprites file cannot be had here, so images are drawn from their factor values. Geometry is
defined on the 64x64 canvas of dSprites and scaled to the requested resolution: a sprite of scale
``s`` has half-size ``10 s`` (64-pixel units) and its centre sits at ``15 + 34 x`` horizontally and
``15 + 34 y`` vertically, so that no sprite ever touches the border at any orientation. A pixel is
on when its centre, rotated by ``-theta`` about the sprite centre and divided by the half-size,
falls inside the unit shape:

* square  ``max(|u|, |v|) <= 1``
* ellipse ``u^2 + (v / 0.5)^2 <= 1``
* heart   ``(a^2 + b^2 - 1)^3 - a^2 b^3 <= 0`` with ``a = u / 0.8``, ``b = -v / 0.8``
"""

from __future__ import annotations

import math

import torch

SHAPES = ("square", "ellipse", "heart")


def render(
    shape: torch.Tensor,
    scale: torch.Tensor,
    orientation: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    resolution: int = 64,
) -> torch.Tensor:
    """Render a batch of binary sprites.

    Args:
        shape: ``[B]`` integer shape ids (0 square, 1 ellipse, 2 heart).
        scale: ``[B]`` sprite scale in ``[0.5, 1]`` (dSprites' range; any value in ``(0, 1]`` works).
        orientation: ``[B]`` rotation angle in radians.
        x, y: ``[B]`` positions in ``[0, 1]`` (x grows to the right, y grows downwards).
        resolution: output side length ``H = W`` in pixels (>= 8).

    Returns:
        ``[B, 1, H, W]`` float tensor of 0s and 1s on the device of ``scale``.
    """
    if resolution < 8:
        raise ValueError(f"resolution={resolution} is too small; use at least 8 pixels")
    shape = torch.as_tensor(shape)
    dev = torch.as_tensor(scale).device
    scale, orientation, x, y = (
        torch.as_tensor(t, dtype=torch.float32, device=dev) for t in (scale, orientation, x, y)
    )
    shape = shape.to(dev).long()
    sizes = {t.shape for t in (shape, scale, orientation, x, y)}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise ValueError(
            f"all factors must be 1-d tensors of one length; got shapes {sorted(map(tuple, sizes))}"
        )
    if shape.numel() and (int(shape.min()) < 0 or int(shape.max()) >= len(SHAPES)):
        raise ValueError(
            f"shape ids must lie in 0..{len(SHAPES) - 1} ({', '.join(SHAPES)}); got {shape.unique().tolist()}"
        )
    if scale.numel() and (float(scale.min()) <= 0 or float(scale.max()) > 1):
        raise ValueError(f"scale must lie in (0, 1]; got min {float(scale.min())}, max {float(scale.max())}")
    for name, t in (("x", x), ("y", y)):
        if t.numel() and (float(t.min()) < 0 or float(t.max()) > 1):
            raise ValueError(f"{name} must lie in [0, 1]; got min {float(t.min())}, max {float(t.max())}")

    # pixel centres in 64-pixel canvas units
    unit = 64.0 / resolution
    coords = (torch.arange(resolution, device=dev, dtype=torch.float32) + 0.5) * unit - 0.5
    py = coords.view(1, resolution, 1)
    px = coords.view(1, 1, resolution)
    cx = (15.0 + 34.0 * x).view(-1, 1, 1)
    cy = (15.0 + 34.0 * y).view(-1, 1, 1)
    half = (10.0 * scale).view(-1, 1, 1)
    c, s = torch.cos(orientation).view(-1, 1, 1), torch.sin(orientation).view(-1, 1, 1)
    dx, dy = px - cx, py - cy
    u = (c * dx + s * dy) / half  # R(-theta) applied to (dx, dy)
    v = (-s * dx + c * dy) / half
    square = torch.maximum(u.abs(), v.abs()) <= 1.0
    ellipse = u**2 + (v / 0.5) ** 2 <= 1.0
    a, b = u / 0.8, -v / 0.8
    heart = (a**2 + b**2 - 1.0) ** 3 - a**2 * b**3 <= 0.0
    kind = shape.view(-1, 1, 1)
    img = torch.where(kind == 0, square, torch.where(kind == 1, ellipse, heart))
    return img.unsqueeze(1).float()


def render_one(
    shape: int, scale: float, orientation: float, x: float, y: float, *, resolution: int = 64
) -> torch.Tensor:
    """Render a single sprite ``[1, H, W]`` (the slow, one-at-a-time reference for the benchmark)."""
    t = [torch.tensor([v]) for v in (shape, scale, orientation, x, y)]
    return render(*t, resolution=resolution)[0]


def factor_values(sizes: tuple[int, ...], orientation_span: float = 360.0) -> list[torch.Tensor]:
    """The physical values of each dSprites-like factor for a grid of ``(shape, scale, orient, x, y)`` sizes.

    Shape ids ``0..n-1``; scale ``linspace(0.5, 1, n)``; orientation ``linspace(0, span, n)`` in
    degrees, converted to radians (dSprites: span 360, so 0 and 2 pi coincide); x and y ``linspace(0, 1, n)``.
    """
    if len(sizes) != 5:
        raise ValueError(f"a sprite grid has 5 factors (shape, scale, orientation, x, y); got sizes {sizes}")
    n_shape, n_scale, n_orient, n_x, n_y = sizes
    if not 1 <= n_shape <= len(SHAPES):
        raise ValueError(f"the grid can hold 1..{len(SHAPES)} shapes; got {n_shape}")
    return [
        torch.arange(n_shape, dtype=torch.float32),
        torch.linspace(0.5, 1.0, n_scale),
        torch.linspace(0.0, math.radians(orientation_span), n_orient),
        torch.linspace(0.0, 1.0, n_x),
        torch.linspace(0.0, 1.0, n_y),
    ]


def render_indices(
    indices: torch.Tensor,
    sizes: tuple[int, ...],
    *,
    resolution: int = 64,
    device: torch.device | str | None = None,
    orientation_span: float = 360.0,
) -> torch.Tensor:
    """Render sprites from an ``[B, 5]`` array of factor *indices* into a grid of ``sizes``; ``[B, 1, H, W]``."""
    idx = torch.as_tensor(indices, dtype=torch.long)
    device = device if device is not None else idx.device
    idx = idx.to(device)
    vals = [v.to(device) for v in factor_values(tuple(sizes), orientation_span)]
    f = [vals[k][idx[:, k]] for k in range(5)]
    return render(f[0], f[1], f[2], f[3], f[4], resolution=resolution)
