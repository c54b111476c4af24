import math

import pytest
import torch

from iclr22lib import indomain as ch


def one(shape, scale, theta=0.0, x=0.5, y=0.5, res=64):
    t = [torch.tensor([float(v)]) for v in (shape, scale, theta, x, y)]
    return ch.render(*t, resolution=res)[0, 0]


def mean_area(shape, scale, n=6):
    """Pixel area averaged over n x n sub-pixel offsets of the centre (averages out the aliasing)."""
    pos = torch.linspace(0.4, 0.43, n)  # about 1 pixel of centre offsets
    xs, ys = torch.meshgrid(pos, pos, indexing="ij")
    b = xs.numel()
    imgs = ch.render(
        torch.full((b,), shape), torch.full((b,), scale), torch.zeros(b), xs.flatten(), ys.flatten()
    )
    return float(imgs.sum((1, 2, 3)).mean())


@pytest.mark.parametrize("shape, area_at_1", [(0, 400.0), (1, math.pi * 10 * 5)])
def test_area_scales_with_scale_squared(shape, area_at_1):
    for s in (0.5, 0.7, 1.0):
        assert mean_area(shape, s) == pytest.approx(area_at_1 * s * s, rel=0.05), s
    assert mean_area(shape, 1.0) / mean_area(shape, 0.5) == pytest.approx(4.0, rel=0.05)


def test_rotation_by_90_degrees_transposes_an_ellipse_and_keeps_a_square():
    e0, e90 = one(1, 1.0, 0.0), one(1, 1.0, math.pi / 2)
    assert (e90 != e0.T).sum() <= 2 and (e0 != e0.T).sum() > 20
    s0, s90 = one(0, 0.8, 0.3), one(0, 0.8, 0.3 + math.pi / 2)
    assert (s0 != s90).sum() <= 2


def test_translation_moves_the_centre_of_mass():
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    for x, y in [(0.0, 0.0), (1.0, 0.25), (0.5, 1.0)]:
        img = one(1, 0.8, 0.0, x, y)
        cx, cy = float((img * xs).sum() / img.sum()), float((img * ys).sum() / img.sum())
        assert cx == pytest.approx(15 + 34 * x, abs=0.6) and cy == pytest.approx(15 + 34 * y, abs=0.6)


def test_no_sprite_touches_the_border_and_grid_images_are_distinct():
    g = ch.dsprites_grid((3, 6, 8, 2, 2))
    idx = torch.as_tensor(g.indices())
    imgs = ch.render_indices(idx, g.sizes, resolution=64)
    assert imgs.shape == (len(idx), 1, 64, 64)
    border = imgs[..., 0, :].sum() + imgs[..., -1, :].sum() + imgs[..., :, 0].sum() + imgs[..., :, -1].sum()
    assert float(border) == 0.0
    sizes = imgs.sum((1, 2, 3))
    assert bool((sizes > 0).all())
    # batched rendering equals rendering one at a time
    vals = ch.factor_values(g.sizes)
    k = 37
    single = ch.render_one(*[float(vals[j][idx[k, j]]) for j in range(5)], resolution=64)
    assert torch.equal(single, imgs[k])


def test_bad_parameters_have_clear_errors():
    with pytest.raises(ValueError, match=r"scale must lie in \(0, 1\]"):
        one(0, 1.5)
    with pytest.raises(ValueError, match=r"shape ids must lie in 0\.\.2"):
        one(3, 0.5)
    with pytest.raises(ValueError, match="resolution=4 is too small"):
        one(0, 0.5, res=4)
