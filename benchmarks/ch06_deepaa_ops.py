"""Cost of DeepAA's building blocks, measured side by side in one run.

1. Augmentation throughput (images/s): the batched torch ops of ``iclr22lib.deepaa`` applying a random
   (op, bin) choice to every image of a batch, versus Pillow applying the same kind of choice image by
   image (``PIL.ImageOps`` / ``ImageEnhance`` / ``Image.transform``), on 32x32 CIFAR-sized images.
2. One search step's cost versus the number of choices per layer |T| (l_mags = 3, 5, 9, 13 ->
   29, 51, 95, 139 choices): the step draws B data points and evaluates |T| augmented copies with one
   reverse pass and one forward-mode JVP each, so its cost should grow about linearly in |T|.

Run: ``python benchmarks/ch06_deepaa_ops.py [--device cpu|cuda] [--n 4096]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageOps

from iclr22lib import deepaa as ch
from iclr22lib.core.timing import seconds_per_call
from iclr22lib.deepaa import search as se

RNG = np.random.default_rng(0)


def pil_apply(img: Image.Image, name: str, v: float) -> Image.Image:
    if name == "ShearX":
        return img.transform(img.size, Image.AFFINE, (1, v, 0, 0, 1, 0), Image.NEAREST)
    if name == "ShearY":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, v, 1, 0), Image.NEAREST)
    if name == "TranslateX":
        return img.transform(img.size, Image.AFFINE, (1, 0, v * img.size[0], 0, 1, 0), Image.NEAREST)
    if name == "TranslateY":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, v * img.size[1]), Image.NEAREST)
    if name == "Rotate":
        return img.rotate(v, resample=Image.NEAREST)
    simple = {"AutoContrast": ImageOps.autocontrast, "Invert": ImageOps.invert, "Equalize": ImageOps.equalize}
    if name in simple:
        return simple[name](img)
    if name == "Solarize":
        return ImageOps.solarize(img, v)
    if name == "Posterize":
        return ImageOps.posterize(img, int(v))
    enh = {"Contrast": ImageEnhance.Contrast, "Color": ImageEnhance.Color,
           "Brightness": ImageEnhance.Brightness, "Sharpness": ImageEnhance.Sharpness}  # fmt: skip
    if name in enh:
        return enh[name](img).enhance(v)
    if name == "RandFlip":
        return ImageOps.mirror(img) if RNG.random() < 0.5 else img
    return img  # Identity; RandCutout/RandCrop are not in Pillow (numpy code in the official repo)


def throughput(n: int, device: str) -> tuple[float, float]:
    space = ch.build_space(13)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 3, 32, 32), generator=gen, dtype=torch.uint8)
    t = torch.randint(len(space), (n,), generator=gen)
    xd = x.to(device)
    torch_ips = n / seconds_per_call(lambda: ch.apply_choices(xd, space, t, gen), 1, clock="wall")
    arr = x.permute(0, 2, 3, 1).numpy()
    names = [ch.OP_NAMES[int(space.op[i])] for i in t]
    vals = space.value[t].tolist()
    m = min(n, 2048)

    def pil_all() -> None:
        for i in range(m):
            np.asarray(pil_apply(Image.fromarray(arr[i]), names[i], vals[i]))

    pil_ips = m / seconds_per_call(pil_all, 1, clock="wall")
    return torch_ips, pil_ips


def search_step_seconds(l_mags: int, device: str, n_points: int = 2) -> float:
    torch.manual_seed(0)
    space = ch.build_space(l_mags)
    model = ch.build_model("cnn", width=16).to(device).eval()
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (200, 3, 32, 32), generator=gen, dtype=torch.uint8).to(device)
    y = (torch.arange(200) % 10).to(device)
    data = se.SearchData(x[:100], y[:100], x[100:], y[100:])
    oracle = se.GradientOracle(model)
    fixed = ch.identity_policy(space)
    p = torch.softmax(se.identity_logits(space), 0)
    return seconds_per_call(
        lambda: se.point_terms(oracle, data, space, fixed, p, n_val=8, n_prev=1, gen=gen),
        n_points,
        clock="wall",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=4096, help="images in the throughput batch")
    args = ap.parse_args()
    print(f"device: {args.device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    tt, tp = throughput(args.n, args.device)
    print(f"augmentation throughput, random choice of the 139 per image, 32x32: torch batched {tt:,.0f} img/s, "
          f"Pillow image by image {tp:,.0f} img/s, ratio torch/Pillow = {tt / tp:.1f}x")  # fmt: skip
    base = None
    print("one search step (per data point, layer 1, small CNN width 16):")
    for lm in (3, 5, 9, 13):
        n_t = len(ch.build_space(lm))
        s = search_step_seconds(lm, args.device)
        base = base or (s, n_t)
        print(f"  |T| = {n_t:>3}: {s * 1000:7.1f} ms per data point, ratio to |T| = {base[1]}: "
              f"{s / base[0]:.2f}x (choices ratio {n_t / base[1]:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
