"""Image data sets shared by several chapters: the CIFAR-10 JPEG subset of the data registry.

The registered data set ``cifar10_jpeg_subset`` holds byte-exact JPEG copies of CIFAR-10 images in
two uncompressed zips (see its ``SOURCE.md``): all 10,000 test images (1,000 per class) and the
first 2,000 train images of each class (20,000). Members are named ``<split>/<class>/NNNN.jpg``;
the label is the class folder. :func:`load_cifar10_jpeg` verifies the zip through
:func:`iclr22lib.core.data.fetch` (sha256 on every load), decodes with Pillow and returns arrays.

Example::

    x, y = load_cifar10_jpeg("train", per_class=100)   # x: (1000, 32, 32, 3) uint8, y: (1000,) int64
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from iclr22lib.core.data import fetch

DATASET = "cifar10_jpeg_subset"

#: Class names, label = index (CIFAR-10's order).
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

#: Archive of each split and the number of images it holds per class (SOURCE.md of the data set).
CIFAR10_ARCHIVES = {
    "train": ("cifar10_train_first2000pc_20000.zip", 2000),
    "test": ("cifar10_test_all_10000.zip", 1000),
}


@lru_cache(maxsize=4)
def _members(path: str) -> tuple[str, ...]:
    with zipfile.ZipFile(path) as zf:
        return tuple(sorted(n for n in zf.namelist() if n.endswith(".jpg")))


def load_cifar10_jpeg(
    split: str = "train",
    *,
    per_class: int | None = None,
    offset: int = 0,
    classes: Sequence[int] | None = None,
    root: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode CIFAR-10 JPEGs of one split.

    Args:
        split: ``"train"`` (2,000 images per class here) or ``"test"`` (1,000 per class).
        per_class: how many images of each class to return (all when ``None``); images are taken in
            file-name order, starting at index ``offset`` within each class, so the choice is fixed.
        classes: labels to keep (all ten by default).
        root: data root (else ``$ICLR22LIB_DATA``, else ``~/.cache/iclr22lib``).

    Returns:
        ``x`` of shape ``(N, 32, 32, 3)``, ``uint8`` RGB, and ``y`` of shape ``(N,)``, ``int64`` labels,
        grouped by class in label order.
    """
    from PIL import Image

    if split not in CIFAR10_ARCHIVES:
        raise ValueError(f"split={split!r} is not a CIFAR-10 split here; choose one of 'train', 'test'")
    archive, available = CIFAR10_ARCHIVES[split]
    keep = tuple(range(len(CIFAR10_CLASSES))) if classes is None else tuple(int(c) for c in classes)
    bad = [c for c in keep if not 0 <= c < len(CIFAR10_CLASSES)]
    if bad:
        raise ValueError(f"classes={bad} are not CIFAR-10 labels; labels are 0..9")
    n = available - offset if per_class is None else per_class
    if offset < 0 or n < 1 or offset + n > available:
        raise ValueError(
            f"per_class={per_class!r} with offset={offset} asks for images {offset}..{offset + n - 1} of each "
            f"class, but the {split} split here has {available} per class (0..{available - 1})"
        )
    path = fetch(DATASET, root, files=[archive]) / archive
    names = _members(str(path))
    by_class: dict[str, list[str]] = {}
    for name in names:
        by_class.setdefault(name.split("/")[1], []).append(name)
    xs, ys = [], []
    with zipfile.ZipFile(path) as zf:
        for label in keep:
            chosen = by_class[CIFAR10_CLASSES[label]][offset : offset + n]
            for name in chosen:
                img = Image.open(io.BytesIO(zf.read(name))).convert("RGB")
                xs.append(np.asarray(img, dtype=np.uint8))
            ys.extend([label] * len(chosen))
    return np.stack(xs), np.asarray(ys, dtype=np.int64)
