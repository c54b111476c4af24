"""Each batched torch op against Pillow on random 32x32 images, and the no-op bins.

Tolerances: colour ops must agree with Pillow within one grey level everywhere (float rounding of a
blend or a lookup table can move a value across an integer); geometric ops use nearest-neighbour
sampling like Pillow, whose fixed-point affine path can pick the neighbouring source pixel at exact
half-pixel ties, so we require at least 97 % of the pixels identical and the rest mostly equal too.
"""

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps

from iclr22lib.deepaa import ops, space


def rand_images(n=6, seed=0, size=32):
    rng = np.random.default_rng(seed)
    # smooth-ish images (low-res noise upscaled) plus one flat and one two-level image
    small = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
    imgs = [np.asarray(Image.fromarray(s).resize((size, size), Image.BILINEAR)) for s in small]
    imgs[0] = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    imgs[1] = np.full((size, size, 3), 77, np.uint8)
    imgs[2] = np.where(rng.random((size, size, 1)) < 0.5, 40, 200).astype(np.uint8).repeat(3, 2)
    return np.stack(imgs)


def to_torch(a):
    return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()


def pil_ref(name, img, v):
    im = Image.fromarray(img)
    if name == "ShearX":
        out = im.transform(im.size, Image.AFFINE, (1, v, 0, 0, 1, 0), Image.NEAREST)
    elif name == "ShearY":
        out = im.transform(im.size, Image.AFFINE, (1, 0, 0, v, 1, 0), Image.NEAREST)
    elif name == "TranslateX":
        out = im.transform(im.size, Image.AFFINE, (1, 0, v * im.size[0], 0, 1, 0), Image.NEAREST)
    elif name == "TranslateY":
        out = im.transform(im.size, Image.AFFINE, (1, 0, 0, 0, 1, v * im.size[1]), Image.NEAREST)
    elif name == "Rotate":
        out = im.rotate(v, resample=Image.NEAREST)
    elif name == "AutoContrast":
        out = ImageOps.autocontrast(im)
    elif name == "Invert":
        out = ImageOps.invert(im)
    elif name == "Equalize":
        out = ImageOps.equalize(im)
    elif name == "Solarize":
        out = ImageOps.solarize(im, v)
    elif name == "Posterize":
        out = ImageOps.posterize(im, int(v))
    elif name == "Contrast":
        out = ImageEnhance.Contrast(im).enhance(v)
    elif name == "Color":
        out = ImageEnhance.Color(im).enhance(v)
    elif name == "Brightness":
        out = ImageEnhance.Brightness(im).enhance(v)
    elif name == "Sharpness":
        out = ImageEnhance.Sharpness(im).enhance(v)
    else:
        raise KeyError(name)
    return np.asarray(out)


GEOMETRIC = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"]
COLOUR = [
    "AutoContrast",
    "Invert",
    "Equalize",
    "Solarize",
    "Posterize",
    "Contrast",
    "Color",
    "Brightness",
    "Sharpness",
]
SPACE = space.build_space(13)


def values(name):
    idx = (SPACE.op == space.OP_INDEX[name]).nonzero().flatten()
    vals = [float(SPACE.value[i]) for i in idx]
    return vals if space.OPS[space.OP_INDEX[name]][3] != "none" else [0.0]


@pytest.mark.parametrize("name", COLOUR)
def test_colour_ops_match_pillow_within_one_level(name):
    imgs = rand_images()
    x = to_torch(imgs)
    for v in values(name):
        ours = ops.apply_op(x, name, v).permute(0, 2, 3, 1).numpy().astype(int)
        ref = np.stack([pil_ref(name, im, v) for im in imgs]).astype(int)
        assert np.abs(ours - ref).max() <= 1, (name, v, np.abs(ours - ref).max())


@pytest.mark.parametrize("name", GEOMETRIC)
def test_geometric_ops_match_pillow_nearest(name):
    imgs = rand_images()
    x = to_torch(imgs)
    for v in values(name):
        ours = ops.apply_op(x, name, v).permute(0, 2, 3, 1).numpy().astype(int)
        ref = np.stack([pil_ref(name, im, v) for im in imgs]).astype(int)
        same = (ours == ref).all(-1).mean()
        assert same >= 0.97, (name, v, same)


def test_noop_bins_are_identity_and_removed():
    imgs = to_torch(rand_images())
    for name, _, _, _kind in space.OPS:
        b = space.noop_bin(name, 13)
        if b is None:
            continue
        v = float(space.op_value(name, b, 13))
        assert torch.equal(ops.apply_op(imgs, name, v), imgs), name
        assert not ((SPACE.op == space.OP_INDEX[name]) & (SPACE.bin == b)).any()
    assert torch.equal(ops.apply_op(imgs, "Identity"), imgs)
    assert len(SPACE) == 139 and len(space.build_space(5)) == 51 and len(space.build_space(3)) == 29


def test_random_ops_flip_crop_cutout():
    x = to_torch(rand_images(n=64, seed=3)).float()
    gen = torch.Generator().manual_seed(0)
    f = ops.apply_op(x, "RandFlip", gen=gen)
    flipped = (f == x.flip(-1)).flatten(1).all(1) & ~(f == x).flatten(1).all(1)
    assert 0.3 < flipped.float().mean() < 0.7
    c = ops.apply_op(x, "RandCrop", gen=gen)
    # every crop equals the padded image shifted by some offset in {-4..4}^2
    pad = torch.tensor(ops.FILL)[None, :, None, None].expand(64, 3, 40, 40).clone()
    pad[:, :, 4:36, 4:36] = x
    for i in range(64):
        hits = [torch.equal(c[i], pad[i, :, a : a + 32, b : b + 32]) for a in range(9) for b in range(9)]
        assert any(hits)
    k = ops.apply_op(x, "RandCutout", gen=gen)
    changed = (k != x).any(1)
    assert changed.flatten(1).sum(1).max() <= 256


def test_apply_ops_uint8_roundtrip_and_bad_shape():
    x = to_torch(rand_images())
    out = ops.apply_ops(x, torch.full((len(x),), 7), torch.zeros(len(x)))
    assert out.dtype == torch.uint8 and torch.equal(out, 255 - x)
    with pytest.raises(ValueError, match="shape"):
        ops.apply_ops(x[:, :2], torch.zeros(len(x), dtype=torch.long), torch.zeros(len(x)))
