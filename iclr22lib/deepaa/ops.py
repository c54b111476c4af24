"""The augmentation operations as batched torch functions with Pillow's semantics (no torchvision).

Every op takes ``x`` of shape (N, 3, H, W), float, holding integer grey levels in [0, 255] (uint8 input
is accepted by :func:`apply_ops` and returned as uint8), a per-image value ``v`` of shape (N,) and a
``torch.Generator`` for the ops that draw randomness, and returns a tensor of the same shape with
integer levels in [0, 255]. Geometric ops use nearest-neighbour sampling with fill 0, like
``PIL.Image.transform(..., AFFINE, resample=NEAREST)``; colour ops follow ``PIL.ImageOps`` and
``PIL.ImageEnhance`` (a blend ``degenerate + f * (x - degenerate)`` truncated to an integer).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Generator, Tensor

from iclr22lib.deepaa.space import OP_NAMES, SIGNED_OPS

#: Fill colour of cutout and of the crop padding (the official code's CIFAR mean, in grey levels).
FILL = (125.0, 123.0, 114.0)
CUTOUT_SIZE = 16
CROP_PAD = 4

Op = Callable[[Tensor, Tensor, Generator | None], Tensor]


def affine_nearest(x: Tensor, mat: Tensor) -> Tensor:
    """PIL ``AFFINE`` transform, nearest neighbour, fill 0.

    Output pixel (column i, row j) reads the input at ``floor(a(i+.5) + b(j+.5) + c)``,
    ``floor(d(i+.5) + e(j+.5) + f)``; ``mat`` is (N, 6) = (a, b, c, d, e, f) in pixel units.
    Like Pillow, a pure shift/scale (b = d = 0) is evaluated in float64, any other matrix in 16.16
    fixed point (Pillow's ``affine_fixed``), so that exact half-pixel ties fall the same way.
    """
    n, ch, h, w = x.shape
    mat = mat.to(torch.float64)
    a, b, c, d, e, f = (mat[:, k, None, None] for k in range(6))
    scale_only = (mat[:, 1] == 0) & (mat[:, 3] == 0)
    if bool(scale_only.all()):
        ii = torch.arange(w, dtype=torch.float64, device=x.device)[None, None, :] + 0.5
        jj = torch.arange(h, dtype=torch.float64, device=x.device)[None, :, None] + 0.5
        xs = torch.floor(a * ii + b * jj + c).long()
        ys = torch.floor(d * ii + e * jj + f).long()
    else:
        if bool(scale_only.any()):
            out = torch.empty_like(x)
            out[scale_only] = affine_nearest(x[scale_only], mat[scale_only])
            out[~scale_only] = affine_nearest(x[~scale_only], mat[~scale_only])
            return out

        def fix(v: Tensor) -> Tensor:
            return torch.floor(v * 65536.0 + 0.5).long()

        il = torch.arange(w, device=x.device)[None, None, :]
        jl = torch.arange(h, device=x.device)[None, :, None]
        xs = (fix(c + a * 0.5 + b * 0.5) + il * fix(a) + jl * fix(b)) >> 16
        ys = (fix(f + d * 0.5 + e * 0.5) + il * fix(d) + jl * fix(e)) >> 16
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    flat = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).reshape(n, 1, h * w).expand(n, ch, h * w)
    out = x.reshape(n, ch, h * w).gather(2, flat).reshape(n, ch, h, w)
    return out * inside[:, None].to(x.dtype)


def _mat(n: int, device: torch.device, **entries: Tensor | float) -> Tensor:
    m = torch.zeros(n, 6, dtype=torch.float64, device=device)
    m[:, 0] = 1.0
    m[:, 4] = 1.0
    for k, val in entries.items():
        m[:, "abcdef".index(k)] = val
    return m


def shear_x(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """Shear along x: column i reads ``i + v j`` (``v`` [N] the shear factor)."""
    return affine_nearest(x, _mat(len(x), x.device, b=v))


def shear_y(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """Shear along y: row j reads ``j + v i`` (``v`` [N] the shear factor)."""
    return affine_nearest(x, _mat(len(x), x.device, d=v))


def translate_x(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """Shift along x by ``v`` [N] times the width (fill 0)."""
    return affine_nearest(x, _mat(len(x), x.device, c=v * x.shape[-1]))


def translate_y(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """Shift along y by ``v`` [N] times the height (fill 0)."""
    return affine_nearest(x, _mat(len(x), x.device, f=v * x.shape[-2]))


def rotate(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """Counter-clockwise by ``v`` degrees about the image centre (``PIL.Image.rotate``)."""
    h, w = x.shape[-2:]
    t = -torch.deg2rad(v.to(torch.float64))
    cos, sin = torch.cos(t), torch.sin(t)
    cx, cy = w / 2.0, h / 2.0
    c = cos * (-cx) + sin * (-cy) + cx
    f = -sin * (-cx) + cos * (-cy) + cy
    return affine_nearest(x, torch.stack([cos, sin, c, -sin, cos, f], 1))


def grey(x: Tensor) -> Tensor:
    """Pillow's RGB -> L conversion, (N,3,H,W) -> (N,1,H,W): ``(19595 R + 38470 G + 7471 B + 2^15) >> 16``."""
    w = torch.tensor([19595.0, 38470.0, 7471.0], dtype=torch.float64, device=x.device)
    s = (x.to(torch.float64) * w[None, :, None, None]).sum(1, keepdim=True)
    return torch.floor((s + 32768.0) / 65536.0).to(x.dtype)


def blend(degenerate: Tensor, x: Tensor, f: Tensor) -> Tensor:
    """``PIL.Image.blend(degenerate, x, f)``: ``trunc(clip(d + f (x - d), 0, 255))`` in float32."""
    f = f.to(torch.float32).reshape(-1, 1, 1, 1)
    d = degenerate.to(torch.float32)
    out = d + f * (x.to(torch.float32) - d)
    return torch.floor(out.clamp(0.0, 255.0)).to(x.dtype)


def contrast(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageEnhance.Contrast``: blend with the rounded mean grey level, factor ``v`` [N]."""
    g = grey(x).to(torch.float64)
    m = torch.floor(g.mean((1, 2, 3), keepdim=True) + 0.5)
    return blend(m.expand_as(x), x, v)


def color(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageEnhance.Color``: blend with the grey image, factor ``v`` [N]."""
    return blend(grey(x).expand_as(x), x, v)


def brightness(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageEnhance.Brightness``: blend with black, factor ``v`` [N]."""
    return blend(torch.zeros_like(x), x, v)


def smooth(x: Tensor) -> Tensor:
    """``ImageFilter.SMOOTH`` (3x3 kernel [[1,1,1],[1,5,1],[1,1,1]]/13, rounded); border pixels unchanged."""
    k = torch.ones(3, 3, dtype=torch.float32, device=x.device)
    k[1, 1] = 5.0
    k = (k / 13.0).expand(x.shape[1], 1, 3, 3)
    inner = F.conv2d(x.to(torch.float32), k, groups=x.shape[1])
    out = x.clone()
    out[..., 1:-1, 1:-1] = torch.floor(inner + 0.5).clamp(0, 255).to(x.dtype)
    return out


def sharpness(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageEnhance.Sharpness``: blend with :func:`smooth`, factor ``v`` [N]."""
    return blend(smooth(x), x, v)


def _lut(x: Tensor, lut: Tensor) -> Tensor:
    """Apply a per-image, per-channel lookup table ``lut`` (N, 3, 256) to integer-valued ``x``."""
    n, ch, h, w = x.shape
    idx = x.reshape(n, ch, h * w).long().clamp(0, 255)
    return lut.to(x.dtype).gather(2, idx).reshape(n, ch, h, w)


def autocontrast(x: Tensor, v: Tensor | None = None, gen: Generator | None = None) -> Tensor:
    """Per channel, map [min, max] linearly onto [0, 255] (``ImageOps.autocontrast``, cutoff 0)."""
    lo = x.amin((2, 3), keepdim=True).to(torch.float64)
    hi = x.amax((2, 3), keepdim=True).to(torch.float64)
    scale = 255.0 / (hi - lo).clamp_min(1.0)
    out = torch.floor(x.to(torch.float64) * scale - lo * scale).clamp(0, 255)
    return torch.where(hi > lo, out, x.to(torch.float64)).to(x.dtype)


def invert(x: Tensor, v: Tensor | None = None, gen: Generator | None = None) -> Tensor:
    """``ImageOps.invert``: ``255 - x``."""
    return 255.0 - x


def equalize(x: Tensor, v: Tensor | None = None, gen: Generator | None = None) -> Tensor:
    """``ImageOps.equalize`` per channel: ``lut[v] = (step // 2 + #{pixels < v}) // step``."""
    n, ch, h, w = x.shape
    rows = torch.arange(n * ch, device=x.device)[:, None] * 256
    idx = (x.reshape(n * ch, h * w).long().clamp(0, 255) + rows).flatten()
    hist = torch.bincount(idx, minlength=n * ch * 256).reshape(n * ch, 256)
    last = (torch.arange(256, device=x.device) * (hist > 0)).argmax(1)
    step = (h * w - hist.gather(1, last[:, None])) // 255
    below = hist.cumsum(1) - hist
    lut = ((step // 2 + below) // step.clamp_min(1)).clamp(max=255)
    ident = torch.arange(256, device=x.device).expand(n * ch, 256)
    lut = torch.where(step > 0, lut, ident)
    return _lut(x, lut.reshape(n, ch, 256))


def solarize(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageOps.solarize``: invert the levels at or above the threshold ``v`` [N]."""
    t = v.to(x.dtype).reshape(-1, 1, 1, 1)
    return torch.where(x < t, x, 255.0 - x)


def posterize(x: Tensor, v: Tensor, gen: Generator | None = None) -> Tensor:
    """``ImageOps.posterize``: keep the top ``v`` [N] bits (1..8) of every level."""
    bits = v.to(torch.float64).floor().long().clamp(1, 8)
    mask = (~((1 << (8 - bits)) - 1)) & 255
    return (x.long() & mask.reshape(-1, 1, 1, 1)).to(x.dtype)


def identity(x: Tensor, v: Tensor | None = None, gen: Generator | None = None) -> Tensor:
    """``x`` unchanged."""
    return x


def rand_flip(x: Tensor, v: Tensor | None = None, gen: Generator | None = None) -> Tensor:
    """Horizontal flip with probability 1/2 per image."""
    flip = torch.rand(len(x), generator=gen, device="cpu").to(x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def _fill(x: Tensor) -> Tensor:
    return torch.tensor(FILL, dtype=x.dtype, device=x.device)[None, :, None, None]


def rand_cutout(
    x: Tensor, v: Tensor | None = None, gen: Generator | None = None, size: int = CUTOUT_SIZE
) -> Tensor:
    """A ``size`` x ``size`` square with centre uniform in the image, clipped, filled with :data:`FILL`."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n,), generator=gen).to(x.device)
    cx = torch.randint(0, w, (n,), generator=gen).to(x.device)
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    half = size // 2
    in_r = (rows >= (cy - half)[:, None]) & (rows < (cy + half)[:, None])
    in_c = (cols >= (cx - half)[:, None]) & (cols < (cx + half)[:, None])
    box = in_r[:, :, None] & in_c[:, None, :]
    return torch.where(box[:, None], _fill(x).expand_as(x), x)


def rand_crop(
    x: Tensor, v: Tensor | None = None, gen: Generator | None = None, pad: int = CROP_PAD
) -> Tensor:
    """Pad ``pad`` pixels with :data:`FILL` and take a random crop of the original size."""
    n, ch, h, w = x.shape
    padded = torch.cat([_fill(x).expand(n, ch, h, pad), x, _fill(x).expand(n, ch, h, pad)], 3)
    padded = torch.cat(
        [_fill(x).expand(n, ch, pad, w + 2 * pad), padded, _fill(x).expand(n, ch, pad, w + 2 * pad)], 2
    )
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(x.device)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(x.device)
    rows = (oy[:, None] + torch.arange(h, device=x.device)[None, :])[:, :, None]
    cols = (ox[:, None] + torch.arange(w, device=x.device)[None, :])[:, None, :]
    flat = (rows * (w + 2 * pad) + cols).reshape(n, 1, h * w).expand(n, ch, h * w)
    return padded.reshape(n, ch, -1).gather(2, flat).reshape(n, ch, h, w)


#: Op functions in the order of :data:`iclr22lib.deepaa.space.OP_NAMES`.
OP_FUNCS: dict[str, Op] = {
    "Identity": identity,
    "ShearX": shear_x,
    "ShearY": shear_y,
    "TranslateX": translate_x,
    "TranslateY": translate_y,
    "Rotate": rotate,
    "AutoContrast": autocontrast,
    "Invert": invert,
    "Equalize": equalize,
    "Solarize": solarize,
    "Posterize": posterize,
    "Contrast": contrast,
    "Color": color,
    "Brightness": brightness,
    "Sharpness": sharpness,
    "RandFlip": rand_flip,
    "RandCutout": rand_cutout,
    "RandCrop": rand_crop,
}
assert tuple(OP_FUNCS) == OP_NAMES
_SIGNED = torch.tensor([n in SIGNED_OPS for n in OP_NAMES])


def apply_ops(
    x: Tensor,
    op: Tensor,
    value: Tensor,
    gen: Generator | None = None,
    *,
    mirror: bool = False,
) -> Tensor:
    """Apply operation ``op[i]`` with value ``value[i]`` to image ``x[i]`` for the whole batch.

    ``x`` (N,3,H,W) uint8 or float in [0, 255]; ``op`` (N,) long index into ``OP_NAMES``; ``value`` (N,).
    The batch is grouped by operation, so the cost is one batched call per distinct op.
    ``mirror=True`` flips the sign of signed (geometric) values with probability 1/2, as the
    official evaluation code does. Returns the same dtype as ``x``.
    """
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"images must have shape (N, 3, H, W); got {tuple(x.shape)}")
    if op.shape != (len(x),) or value.shape != (len(x),):
        raise ValueError(
            f"op and value must have shape ({len(x)},); got {tuple(op.shape)}, {tuple(value.shape)}"
        )
    dtype = x.dtype
    xf = x.to(torch.float32)
    value = value.to(torch.float64).to(x.device)
    op = op.to(x.device)
    if mirror:
        sign = torch.where(torch.rand(len(x), generator=gen) < 0.5, -1.0, 1.0).to(value)
        value = torch.where(_SIGNED.to(x.device)[op], value * sign, value)
    kinds = torch.unique(op).tolist()
    if len(kinds) == 1:
        out = OP_FUNCS[OP_NAMES[kinds[0]]](xf, value, gen)
    else:
        out = torch.empty_like(xf)
        for k in kinds:
            sel = (op == k).nonzero().flatten()
            out.index_copy_(0, sel, OP_FUNCS[OP_NAMES[k]](xf.index_select(0, sel), value[sel], gen))
    return out.to(dtype) if dtype == torch.uint8 else out


def apply_op(x: Tensor, name: str, value: float = 0.0, gen: Generator | None = None) -> Tensor:
    """Apply one named op with one value to every image of a batch (convenience for tests and plots)."""
    if name not in OP_FUNCS:
        raise KeyError(f"unknown operation {name!r}; known: {', '.join(OP_NAMES)}")
    k = OP_NAMES.index(name)
    n = len(x)
    return apply_ops(x, torch.full((n,), k, dtype=torch.long), torch.full((n,), float(value)), gen)
